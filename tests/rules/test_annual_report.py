"""``hub report annual``: the template's section 二 counted from what the hub published."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from heze_hub.cli.audit import register
from heze_hub.rules.annual_report import (
    UNKNOWABLE,
    WITHDRAWN_SECTION,
    annual_report,
    is_regulation,
    render,
)
from heze_hub.rules.outlets import OUTSIDE_TEMPLATE
from heze_hub.store.db import Store
from tests.rules.yeardata import YearBuilder, build_2018, license_, make_item, penalty


def _values(report: object) -> dict[tuple[str, str], object]:
    return {(c.row, c.column): c.value for c in report.cells}  # type: ignore[attr-defined]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    yield s
    s.close()


def test_template_rows_and_columns(store: Store) -> None:
    report = annual_report(store, 2018)
    assert [(c.section, c.row, c.column) for c in report.cells] == [
        ("第二十条第（一）项", "规章", "本年制发件数"),
        ("第二十条第（一）项", "规章", "本年废止件数"),
        ("第二十条第（一）项", "规章", "现行有效件数"),
        ("第二十条第（一）项", "行政规范性文件", "本年制发件数"),
        ("第二十条第（一）项", "行政规范性文件", "本年废止件数"),
        ("第二十条第（一）项", "行政规范性文件", "现行有效件数"),
        ("第二十条第（五）项", "行政许可", "本年处理决定数量"),
        ("第二十条第（六）项", "行政处罚", "本年处理决定数量"),
        ("第二十条第（六）项", "行政强制", "本年处理决定数量"),
        ("第二十条第（八）项", "行政事业性收费", "本年收费金额（单位：万元）"),
        (OUTSIDE_TEMPLATE, "重大行政决策征求意见稿", "本年公开件数"),
        (OUTSIDE_TEMPLATE, "重大行政决策征求意见稿", "收到意见条数"),
        (OUTSIDE_TEMPLATE, "意见收集和采纳情况", "本年公开件数"),
        (OUTSIDE_TEMPLATE, "公开栏告示", "本年登记张贴次数"),
        (WITHDRAWN_SECTION, "已撤回信息", "本年撤回条数"),
        (WITHDRAWN_SECTION, "已撤回信息", "本年公示期满撤下条数"),
    ]


def test_counts_from_the_generated_year(store: Store) -> None:
    build_2018(store)
    values = _values(annual_report(store, 2018))
    assert values[("规章", "本年制发件数")] == 1  # 菏政令〔2018〕1号
    assert values[("行政许可", "本年处理决定数量")] == 2  # the 2017 decision is not counted
    assert values[("行政处罚", "本年处理决定数量")] == 2
    unknowable = [k for k, v in values.items() if v is None]
    assert unknowable == [
        ("规章", "本年废止件数"), ("规章", "现行有效件数"),
        ("行政规范性文件", "本年制发件数"), ("行政规范性文件", "本年废止件数"),
        ("行政规范性文件", "现行有效件数"), ("行政强制", "本年处理决定数量"),
        ("行政事业性收费", "本年收费金额（单位：万元）"),
        ("重大行政决策征求意见稿", "收到意见条数"),
    ]
    # Outside the template's table: two drafts, one summary, two boards confirmed (yeardata).
    assert values[("重大行政决策征求意见稿", "本年公开件数")] == 2
    assert values[("意见收集和采纳情况", "本年公开件数")] == 1
    assert values[("公开栏告示", "本年登记张贴次数")] == 3
    other = next(c for c in annual_report(store, 2018).cells
                 if c.row == "行政规范性文件" and c.column == "本年制发件数")
    assert "非规章政策文件 2 件" in other.basis  # a hint, not a guess
    assert _values(annual_report(store, 2017))[("行政许可", "本年处理决定数量")] == 1


def test_only_published_items_count_by_decision_date(store: Store) -> None:
    b = YearBuilder(store)
    b.item("许可（投递全部失败）", "2018-05-02", kind="license",
           credit=license_("菏建许〔2018〕7号", "2018-05-02"),
           publish={"portal": ("failed", "2018-05-02"), "credit": ("failed", "2018-05-02")})
    b.item("处罚（2018年决定，2019年成文发布）", "2019-01-03", kind="penalty",
           credit=penalty("菏环罚字〔2018〕90号", "2018-12-28"), publish={"credit": "2019-01-03"})
    b.item("规章（2019年）", "2019-01-03", kind="policy", doc_number="菏政令〔2019〕1号")
    values = _values(annual_report(store, 2018))
    assert values[("行政许可", "本年处理决定数量")] == 0
    assert values[("行政处罚", "本年处理决定数量")] == 1
    assert values[("规章", "本年制发件数")] == 0


@pytest.mark.parametrize(
    ("kind", "doc_number", "regulation"),
    [
        ("policy", "菏政令〔2018〕1号", True),
        ("policy", "菏泽市人民政府令第12号", True),
        ("policy", "菏政发〔2018〕15号", False),
        ("policy", "菏环责令改字〔2018〕3号", False),  # 责令改正: 令 inside the 机关代字
        ("notice", "菏政令〔2018〕2号", False),
        ("policy", None, False),
    ],
)
def test_is_regulation(kind: str, doc_number: str | None, regulation: bool) -> None:
    item = make_item("x", 1, "办法", date(2018, 1, 1), kind=kind, doc_number=doc_number)
    assert is_regulation(item) is regulation


def test_render_marks_unknowable_cells(store: Store) -> None:
    build_2018(store)
    console = Console(record=True, width=200)
    render(annual_report(store, 2018), console)
    text = console.export_text()
    assert "主动公开政府信息情况" in text and "国办公开办函〔2021〕30号" in text
    assert text.count(UNKNOWABLE) >= 7
    assert "行政强制" in text and "行政事业性收费" in text


def test_hub_report_annual_command(tmp_path: Path) -> None:
    config = tmp_path / "channels.toml"
    config.write_text('[hub]\nstate_dir = "state"\n', encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'state' / 'hub.db'}")
    YearBuilder(store).item("行政处罚决定书", "2018-08-06", kind="penalty",
                            credit=penalty("菏环罚字〔2018〕27号", "2018-08-06"))
    store.close()

    @click.group()
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        ctx.obj = {"config": str(config)}

    register(cli)
    result = CliRunner().invoke(cli, ["report", "annual", "--year", "2018", "--json"])
    assert result.exit_code == 0, result.output
    cells = json.loads(result.output)
    penalties = next(c for c in cells if c["row"] == "行政处罚")
    assert penalties == penalties | {"year": 2018, "value": 1, "known": True,
                                     "column": "本年处理决定数量"}
    fees = next(c for c in cells if c["row"] == "行政事业性收费")
    assert fees["value"] is None and fees["known"] is False
    missing = CliRunner().invoke(cli, ["report", "annual"])
    assert missing.exit_code == 2
