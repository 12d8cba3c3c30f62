"""Tables at 80 columns (``COLUMNS=80``, as a narrow terminal): ``hub status``, ``hub
receipts``, ``hub audit`` and ``hub channels`` never cut an identifier (索引号, URL, channel,
rule name), and no line is wider than the terminal except a whole identifier that is itself
too long."""

from __future__ import annotations

import json

import pytest
from rich.cells import cell_len
from rich.console import Console

from heze_hub.tables import Column, print_rows, table_width
from tests.support import EXAMPLES, HubRun


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> HubRun:
    from tests.support import init_config

    folder = tmp_path_factory.mktemp("tables")
    init_config(folder, public_url="https://www.heze.gov.cn/xxgk-portal-of-the-city")
    run = HubRun(cwd=folder)
    run("publish", *sorted(str(p) for p in EXAMPLES.iterdir()), check=0)
    return run


def narrow(run: HubRun, *args: str, check: int | None = 0) -> str:
    return HubRun(cwd=run.cwd, env={"COLUMNS": "80"})(*args, check=check).stdout


def test_status_at_80_columns_keeps_every_index_no_and_url_whole(published: HubRun) -> None:
    data = published.json("status")
    text = narrow(published, "status")
    for row in data:
        assert row["index_no"] in text
        assert row["url"] in text  # long: the record layout keeps it on one line
    titles = {row["title"] for row in data}
    assert all(title in text.replace("\n", "") for title in titles)
    for line in text.splitlines():
        assert cell_len(line) <= 80 or "http" in line, line


def test_status_wide_terminal_is_a_table(published: HubRun) -> None:
    text = HubRun(cwd=published.cwd, env={"COLUMNS": "200"})("status", check=0).stdout
    assert "┃" in text or "│" in text
    assert all(row["url"] in text for row in published.json("status"))


def test_receipts_at_80_columns(published: HubRun) -> None:
    text = narrow(published, "receipts")
    rows = json.loads(published("receipts", "--json", check=0).stdout)
    for r in rows:
        assert r["index_no"] in text and (r["url"] or r["remote_id"]) in text
    assert f"共 {len(rows)} 条回执" in text


def test_audit_at_80_columns_keeps_rule_names_whole(published: HubRun) -> None:
    from heze_hub.rules.catalogue import RULES

    text = narrow(published, "audit", "--year", "2018", check=None)
    for rule in RULES:
        assert rule.name in text, rule.name
    for line in text.splitlines():
        assert cell_len(line) <= 80, line


def test_channels_at_80_columns(published: HubRun) -> None:
    text = narrow(published, "channels")
    for name in ("portal", "rss", "heze_hub_plugins.portal"):
        assert name in text


def test_print_rows_switches_to_records_only_when_identifiers_cannot_fit() -> None:
    columns = [Column("索引号"), Column("标题", "text"), Column("链接")]
    rows = [["371700/2018-00001", "关于" + "很长的标题" * 10, "https://www.heze.gov.cn/x.html"]]
    wide = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    print_rows(wide, columns, rows)
    table_text = wide.export_text()
    assert "371700/2018-00001" in table_text and "https://www.heze.gov.cn/x.html" in table_text
    assert "│" in table_text
    need = table_width(columns, rows)
    slim = Console(width=need - 1, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    print_rows(slim, columns, rows)
    records = slim.export_text()
    assert "│" not in records
    assert "索引号：371700/2018-00001" in records
    assert "链接  ：https://www.heze.gov.cn/x.html" in records
