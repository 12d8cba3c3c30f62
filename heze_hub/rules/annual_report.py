"""``hub report annual``: section 二 of the national annual report template, from the hub's
publication records.

The template (政府信息公开工作年度报告格式, 国办公开办函〔2021〕30号), section 二
"主动公开政府信息情况", has four blocks: 第二十条第（一）项 (规章, 行政规范性文件: 本年制发件数,
本年废止件数, 现行有效件数), 第（五）项 (行政许可: 本年处理决定数量), 第（六）项 (行政处罚,
行政强制: 本年处理决定数量), 第（八）项 (行政事业性收费: 本年收费金额（单位：万元）).

What the hub can count — items published (at least one ``published`` receipt) and *issued or
decided in the year* (the template counts what was made that year, not when it went online):

- 规章 本年制发件数: ``kind = "policy"`` items whose 文号 is a 令 number (``菏政令〔2018〕1号``,
  ``…人民政府令第12号``): 规章 are promulgated by 令, 规范性文件 never are. Counted by
  ``written_on``.
- 行政许可 / 行政处罚 本年处理决定数量: items of that kind, by the decision date of their 双公示
  record (``written_on`` when there is none). Only decisions disclosed through the hub; one
  withdrawn later still counts (it was disclosed).
- Outside the template, the hub's own record of withdrawals (DESIGN §12): items withdrawn in the
  year by ``hub withdraw``, and penalties taken down by ``hub expire`` at the end of their 公示.

What it cannot know is marked "无法从发布记录得出", never estimated: whether a policy without a 令
number is a 行政规范性文件 (the hub has no 规范性文件 registration field; the cell's note gives the
number of such policies for reference), anything repealed (items do not record 废止) and
therefore what is in force, 行政强制 (no such kind), and fee amounts.

The template has no row for decision drafts, comment summaries or bulletin-board postings
(DESIGN §5.6); the report counts them after the table, in a section saying so, for the report's
一、总体情况 to quote; the number of comments received is not in the records and is marked so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from heze_hub.items.credit_record import record_decision_date
from heze_hub.items.model import NormalizedItem
from heze_hub.store.db import Store

UNKNOWABLE = "无法从发布记录得出"
TEMPLATE = "国办公开办函〔2021〕30号"

_DECREE_RE = re.compile(r"令(?:〔|第|\d)")


@dataclass(frozen=True)
class Cell:
    """One cell of the table: a count, or ``None`` when it cannot be known from the hub."""

    section: str  # 第二十条第（一）项
    row: str  # 信息内容: 规章, 行政许可, …
    column: str  # 本年制发件数, …
    value: int | float | None
    basis: str  # how it was counted, or why it cannot be

    @property
    def known(self) -> bool:
        return self.value is not None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "known": self.known}


@dataclass
class AnnualReport:
    year: int
    cells: list[Cell]

    def to_json(self) -> list[dict[str, Any]]:
        """A JSON array: one object per cell, in the template's order."""
        return [{"year": self.year, **c.to_json()} for c in self.cells]


def is_regulation(item: NormalizedItem) -> bool:
    """A 规章: a policy document promulgated by 令."""
    return item.kind == "policy" and bool(item.doc_number and _DECREE_RE.search(item.doc_number))


def _decision_date(item: NormalizedItem) -> date:
    return record_decision_date(item.credit) if item.credit else item.written_on


def annual_report(store: Store, year: int) -> AnnualReport:
    """The 主动公开政府信息情况 table for ``year`` from the items the hub published."""
    published = {
        item.index_no: item
        for channel in _published_channels(store)
        for item in store.published_items(channel)
    }
    # A withdrawn item was disclosed all the same: its decision counts, and the withdrawals are
    # counted apart below (DESIGN §12).
    withdrawn = withdrawn_items(store)
    for w in withdrawn:
        published.setdefault(w.item.index_no, w.item)
    items = list(published.values())
    gone_in_year = [w for w in withdrawn if w.on.year == year]
    issued = [i for i in items if i.written_on.year == year]
    regulations = sum(is_regulation(i) for i in issued)
    other_policies = sum(i.kind == "policy" and not is_regulation(i) for i in issued)

    def decisions(kind: str) -> int:
        return sum(i.kind == kind and _decision_date(i).year == year for i in items)

    s1, s5, s6, s8 = ("第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项",
                      "第二十条第（八）项")
    no_repeal = "发布记录不记载废止，现行有效件数也就无从得出"
    return AnnualReport(year, [
        Cell(s1, "规章", "本年制发件数", regulations,
             f"{year}年成文、经本平台发布、文号为“令”的政策文件"),
        Cell(s1, "规章", "本年废止件数", None, no_repeal),
        Cell(s1, "规章", "现行有效件数", None, no_repeal),
        Cell(s1, "行政规范性文件", "本年制发件数", None,
             f"发布记录不区分行政规范性文件与其他政策文件；供参考：{year}年成文、"
             f"经本平台发布的非规章政策文件 {other_policies} 件"),
        Cell(s1, "行政规范性文件", "本年废止件数", None, no_repeal),
        Cell(s1, "行政规范性文件", "现行有效件数", None, no_repeal),
        Cell(s5, "行政许可", "本年处理决定数量", decisions("license"),
             f"经本平台公开、{year}年作出的行政许可决定（按双公示记录的许可决定日期）"),
        Cell(s6, "行政处罚", "本年处理决定数量", decisions("penalty"),
             f"经本平台公开、{year}年作出的行政处罚决定（按双公示记录的处罚决定日期）"),
        Cell(s6, "行政强制", "本年处理决定数量", None, "本平台没有行政强制决定的体裁"),
        Cell(s8, "行政事业性收费", "本年收费金额（单位：万元）", None,
             "发布记录不含收费金额"),
        *_outlet_cells(store, year, items),
        Cell(WITHDRAWN_SECTION, "已撤回信息", "本年撤回条数",
             sum(w.cause == "withdraw" for w in gone_in_year),
             f"{year}年经 hub withdraw 从各渠道撤回的信息（不含更正后撤下的旧帖）；"
             "撤回前已公开的处理决定仍计入上表"),
        Cell(WITHDRAWN_SECTION, "已撤回信息", "本年公示期满撤下条数",
             sum(w.cause == "expire" for w in gone_in_year),
             f"{year}年经 hub expire 撤下的公示期已满的行政处罚（信用平台保留其记录）"),
    ])


#: The section the template does not have: the hub's own record of withdrawals.
WITHDRAWN_SECTION = "附：本平台撤回记录（模板外）"


@dataclass(frozen=True)
class Withdrawn:
    """An item taken back from the channels: why (``withdraw`` or ``expire``) and when."""

    item: NormalizedItem
    cause: str
    on: date


def withdrawn_items(store: Store) -> list[Withdrawn]:
    """Items withdrawn by ``hub withdraw`` or ``hub expire`` (not the posts a correction
    replaced), each once, with the day of its first withdrawal."""
    from sqlalchemy import select

    from heze_hub.store.schema import deliveries, withdrawals

    d, w = deliveries, withdrawals
    if not store.has_table(w.name):
        return []  # a read-only copy of a database from before withdrawals existed
    q = (select(d.c.index_no, d.c.version, d.c.finished_at, w.c.cause)
         .join(w, w.c.idempotency_key == d.c.idempotency_key)
         .where(d.c.status == "withdrawn", w.c.cause != "correction")
         .order_by(d.c.finished_at))
    first: dict[str, tuple[int, str, str]] = {}
    with store.read() as conn:
        for r in conn.execute(q):
            first.setdefault(r.index_no, (r.version, r.finished_at, r.cause))
    return [Withdrawn(store.load_version(ix, v), cause, date.fromisoformat(at[:10]))
            for ix, (v, at, cause) in first.items()]


def _outlet_cells(store: Store, year: int, items: list[NormalizedItem]) -> list[Cell]:
    """Drafts, comment summaries and board postings: the template has no row for them, so they
    follow the table in a section of their own (DESIGN §5.6)."""
    from heze_hub.rules.outlets import OUTSIDE_TEMPLATE, annual_outlet_counts

    with store.read() as conn:
        rows = annual_outlet_counts(conn, year, items)
    return [Cell(OUTSIDE_TEMPLATE, row, column, value, basis)
            for row, column, value, basis in rows]


def _published_channels(store: Store) -> list[str]:
    from sqlalchemy import select

    from heze_hub.store.schema import deliveries

    with store.read() as conn:
        q = select(deliveries.c.channel).where(deliveries.c.status == "published").distinct()
        return [row[0] for row in conn.execute(q)]


def render(report: AnnualReport, console: Console) -> None:
    """The table laid out like the template, unknowable cells marked, notes below."""
    console.print(f"[bold]{report.year}年度政府信息公开工作年度报告 · 二、主动公开政府信息情况[/]")
    console.print(f"[dim]格式依据 {TEMPLATE}；数据来源：本平台发布记录[/]")
    notes: dict[str, list[str]] = {}  # basis → the cells it explains
    for section in dict.fromkeys(c.section for c in report.cells):
        cells = [c for c in report.cells if c.section == section]
        columns = list(dict.fromkeys(c.column for c in cells))
        table = Table(title=section)
        for name in ("信息内容", *columns):
            table.add_column(name, overflow="fold")
        for row in dict.fromkeys(c.row for c in cells):
            values = []
            for column in columns:
                cell = next((c for c in cells if c.row == row and c.column == column), None)
                if cell is None:  # a row without this column (outside the template's table)
                    values.append("—")
                    continue
                notes.setdefault(cell.basis, []).append(f"{row}·{column}")
                values.append(str(cell.value) if cell.known else f"[yellow]{UNKNOWABLE}[/]")
            table.add_row(row, *values)
        console.print(table)
    console.print("[bold]说明[/]")
    for basis, where in notes.items():
        console.print(f"  {escape('、'.join(where))}：{escape(basis)}")

