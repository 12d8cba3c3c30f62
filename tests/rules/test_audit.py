"""``hub audit`` over a generated year: every known violation found, none invented."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from heze_hub.cli.audit import register
from heze_hub.rules.audit import render, run_audit
from heze_hub.rules.catalogue import RULES
from heze_hub.rules.facts import BROKEN, UNKNOWN
from heze_hub.store.db import Store
from tests.rules.yeardata import NOW, YearBuilder, at, broken_key, build_2018


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, YearBuilder]]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('audit') / 'hub.db'}")
    builder = build_2018(store)
    yield store, builder
    store.close()


def test_every_violation_found_and_none_invented(year: tuple[Store, YearBuilder]) -> None:
    store, builder = year
    report = run_audit(store, 2018, NOW)
    found = {broken_key(f) for f in report.broken}
    assert builder.expected - found == set(), "violations not found"
    assert found - builder.expected == set(), "violations invented"
    # Every broken finding is reported once.
    assert len(report.broken) == len(builder.expected)


def test_unknowns_are_only_what_the_hub_cannot_tell(year: tuple[Store, YearBuilder]) -> None:
    store, _ = year
    report = run_audit(store, 2018, NOW)
    unknown = sorted((f.rule, f.title) for f in report.unknown)
    assert unknown == [
        ("delivery", "关于做好2018年冬季供暖工作的通知"),  # still pending
        ("monthly-series", "市属企业主要经济效益指标"),  # 未发现该系列
        ("recall-24h", "关于责令召回某批次化妆品的决定"),  # no decided_at
    ]


def test_every_rule_is_checked_and_met_somewhere(year: tuple[Store, YearBuilder]) -> None:
    store, _ = year
    counts = run_audit(store, 2018, NOW).counts()
    assert list(counts) == [r.id for r in RULES]
    assert all(c["met"] > 0 for c in counts.values()), counts


def test_series_and_deadlines_met_across_year_boundary(year: tuple[Store, YearBuilder]) -> None:
    store, _ = year
    report = run_audit(store, 2018, NOW)
    december = [f for f in report.findings if f.period == "2018-12"]
    # December's bulletins are written and published in January 2019 and still count for 2018.
    assert len(december) == 3 and all(f.status == "met" for f in december)
    # The 2017 notice's failed delivery belongs to 2017's audit.
    titles = {f.title for f in report.findings}
    assert "关于做好2017年防汛工作的通知" not in titles
    old = run_audit(store, 2017, NOW)
    assert [f.title for f in old.broken if f.rule == "delivery"] == ["关于做好2017年防汛工作的通知"]


def test_audit_of_a_year_in_progress_reports_no_future_violations(
    year: tuple[Store, YearBuilder],
) -> None:
    store, _ = year
    report = run_audit(store, 2018, at("2018-06-15"))
    series = [f for f in report.findings if f.period]
    # Publications after "now" do not count yet, and nothing is overdue yet: May's bulletins
    # went out in early June (met), June's are due at the end of July (unknown).
    assert not [f for f in series if f.status == BROKEN]
    assert {f.period for f in series if f.status == "met"} == {
        "2018-01", "2018-02", "2018-03", "2018-04", "2018-05", "2018Q1",
    }
    assert {f.period for f in series if f.status == UNKNOWN} >= {"2018-06", "2018-12", "2018Q2"}
    # The late regulation (published 2018-03-01) is broken as of June too; the November recall
    # does not exist yet.
    assert {f.title for f in report.broken} >= {"菏泽市城市绿化管理办法"}
    assert "关于责令召回不合格食用油的决定" not in {f.title for f in report.findings}


def test_json_is_an_array_of_findings(year: tuple[Store, YearBuilder]) -> None:
    store, _ = year
    data = json.loads(json.dumps(run_audit(store, 2018, NOW).to_json(), ensure_ascii=False))
    assert isinstance(data, list) and data
    first = data[0]
    assert set(first) >= {"year", "rule", "rule_name", "status", "detail", "index_no", "title",
                          "channel", "due", "actual", "period", "estimated", "department"}
    late = [d for d in data if d["rule"] == "recall-24h" and d["status"] == "broken"]
    assert {d["channel"] for d in late} == {"portal", None}
    assert any(d["due"] == "2018-11-06T09:00:00+08:00" for d in late)


def test_render_lists_summary_and_problems(year: tuple[Store, YearBuilder]) -> None:
    store, _ = year
    console = Console(record=True, width=240)
    report = run_audit(store, 2018, NOW)
    render(report, console)
    text = console.export_text()
    assert "2018年度政务公开规则核查" in text
    for rule in RULES:
        assert rule.name in text
    assert "菏泽市城市绿化管理办法" in text  # a broken item
    assert "关于调整公交线路的通告" not in text  # met everywhere: only with --all
    assert f"发现 {len(report.broken)} 项不符合，3 项无法核查" in text


# -- the command -------------------------------------------------------------------------------


def _cli(config: Path) -> click.Group:
    @click.group()
    @click.pass_context
    def group(ctx: click.Context) -> None:
        ctx.ensure_object(dict)
        ctx.obj["config"] = str(config)

    register(group)
    return group


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "channels.toml"
    config.write_text(
        '[hub]\nstate_dir = "state"\n\n[channels.portal]\nmode = "static"\n'
        'output_dir = "site"\n',
        encoding="utf-8",
    )
    return config


def test_hub_audit_command(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'state' / 'hub.db'}")
    b = YearBuilder(store)
    b.item("按时发布的通知", "2018-03-01")
    store.close()
    cli = _cli(config)
    runner = CliRunner()

    ok = runner.invoke(cli, ["audit", "--year", "2018", "--json"])
    assert ok.exit_code == 0, ok.output
    assert {d["status"] for d in json.loads(ok.output)} <= {"met", "unknown"}

    store = Store(f"sqlite:///{tmp_path / 'state' / 'hub.db'}")
    YearBuilder(store, serial=10).item(
        "迟发的通知", "2018-03-01", publish={"portal": "2018-05-02"})
    store.close()
    bad = runner.invoke(cli, ["audit", "--year", "2018"])
    assert bad.exit_code == 1, bad.output
    assert "迟发的通知" in bad.output and "不符合" in bad.output

    every = runner.invoke(cli, ["audit", "--year", "2018", "--all"])
    assert "按时发布的通知" in every.output
