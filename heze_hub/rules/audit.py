"""``hub audit``: the rules of DESIGN §4 checked against what the hub actually published.

:func:`run_audit` reads the store once — every stored version, the ``published`` receipts (when each
item first reached each channel) and the deliveries (their state now) — into
:class:`heze_hub.rules.facts.Facts`, runs every rule of :data:`heze_hub.rules.catalogue.RULES`
and returns the findings. Nothing here decides compliance; the rule modules do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text
from sqlalchemy import select

from heze_hub.items.model import NormalizedItem
from heze_hub.rules.catalogue import RULES, RULES_BY_ID, check_all
from heze_hub.rules.facts import (
    BROKEN,
    MET,
    STATUS_LABELS,
    TZ,
    UNKNOWN,
    Facts,
    Finding,
    ItemFacts,
)
from heze_hub.rules.outlets import load_board_facts
from heze_hub.store.db import Store
from heze_hub.store.schema import deliveries, items, receipts, versions, withdrawals
from heze_hub.tables import Column, print_rows


@dataclass
class AuditReport:
    """The findings of one audit, in the order of the rules table."""

    year: int
    now: datetime
    findings: list[Finding] = field(default_factory=list)

    @property
    def broken(self) -> list[Finding]:
        return [f for f in self.findings if f.status == BROKEN]

    @property
    def unknown(self) -> list[Finding]:
        return [f for f in self.findings if f.status == UNKNOWN]

    #: Items of the year withdrawn from channels (``hub withdraw``, ``hub expire``), apart from
    #: the findings: a withdrawal is no breach of a rule, and the audit shows it all the same.
    withdrawn: list[ItemFacts] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        """Rule id → status → number of findings (every rule listed, even with none)."""
        table = {r.id: {MET: 0, BROKEN: 0, UNKNOWN: 0} for r in RULES}
        for f in self.findings:
            table[f.rule][f.status] += 1
        return table

    def to_json(self) -> list[dict[str, Any]]:
        """A JSON array: one object per finding, with the rule's Chinese name and the year."""
        return [
            {"year": self.year, "rule_name": RULES_BY_ID[f.rule].name, **asdict(f)}
            for f in self.findings
        ]


def load_facts(
    store: Store, year: int, now: datetime, plugins: Mapping[str, str] | None = None
) -> Facts:
    """Every item the store knows, with its publication times and current delivery states."""
    # Audit "as of" now: what was registered or published later does not exist yet. Stored
    # timestamps are ISO 8601 in Beijing time, so string order is time order.
    now = now.astimezone(TZ)
    cutoff = now.isoformat()
    by_index: dict[str, ItemFacts] = {}
    stored: dict[str, dict[int, NormalizedItem]] = {}
    with store.read() as conn:
        latest = dict(conn.execute(select(items.c.index_no, items.c.latest_version)).all())
        for index_no, version, data in conn.execute(
            select(versions.c.index_no, versions.c.version, versions.c.data)
            .where(versions.c.published_at <= cutoff)
        ):
            stored.setdefault(index_no, {})[version] = NormalizedItem.model_validate_json(data)
        for index_no, vs in stored.items():
            top = latest.get(index_no, max(vs))
            by_index[index_no] = ItemFacts(item=vs.get(top) or vs[max(vs)], versions=vs)
        q = select(receipts.c.index_no, receipts.c.channel, receipts.c.finished_at,
                   receipts.c.data).where(receipts.c.status == "published",
                                          receipts.c.finished_at <= cutoff)
        for index_no, channel, finished_at, data in conn.execute(q):
            f = by_index.get(index_no)
            if f is None:
                continue
            when = datetime.fromisoformat(finished_at)
            when = (when if when.tzinfo else when.replace(tzinfo=TZ)).astimezone(TZ)
            if channel not in f.first_published or when < f.first_published[channel]:
                f.first_published[channel] = when
            f.published_versions.add(int(json.loads(bytes(data))["version"]))
        q2 = select(deliveries.c.index_no, deliveries.c.version, deliveries.c.channel,
                    deliveries.c.status, deliveries.c.error, deliveries.c.idempotency_key)
        causes = {} if not store.has_table(withdrawals.name) else {
            r.idempotency_key: (r.cause, r.reason, r.requested_at) for r in conn.execute(
                select(withdrawals.c.idempotency_key, withdrawals.c.cause, withdrawals.c.reason,
                       withdrawals.c.requested_at)
                .where(withdrawals.c.cause != "correction", withdrawals.c.requested_at <= cutoff))}
        for index_no, version, channel, status, error, key in conn.execute(q2):
            f = by_index.get(index_no)
            if f is None:
                continue
            if key.endswith(":withdraw"):
                # Withdrawals are counted apart (DESIGN §12), not as the item's delivery state.
                if status == "withdrawn" and key in causes:
                    f.withdrawn[channel] = causes[key]
                continue
            seen = f.deliveries.get(channel)
            if seen is None or version > seen[0]:
                f.deliveries[channel] = (version, status, error)
        postings, boards = load_board_facts(conn, cutoff)
    ordered = sorted(by_index.values(), key=lambda f: (f.item.written_on, f.item.index_no))
    return Facts(year=year, now=now, items=ordered, plugins=dict(plugins or {}),
                 postings=postings, boards=boards)


def run_audit(
    store: Store, year: int, now: datetime, plugins: Mapping[str, str] | None = None
) -> AuditReport:
    """Check every rule of DESIGN §4 for ``year`` as of ``now``.

    :param plugins: channel name → plugin name, so that a channel named ``site`` running the
        ``portal`` plugin counts as the portal; a channel not listed is taken to be its plugin.
    """
    facts = load_facts(store, year, now, plugins)
    # An item withdrawn in the year shows, however old; so does one of the year withdrawn later.
    withdrawn = [f for f in facts.items if f.withdrawn and (
        facts.in_scope(f) or any(w[2][:4] == str(year) for w in f.withdrawn.values()))]
    return AuditReport(year=year, now=facts.now, findings=check_all(facts), withdrawn=withdrawn)


# ---------------------------------------------------------------------------------------------
# Terminal
# ---------------------------------------------------------------------------------------------

_COLORS = {MET: "green", BROKEN: "red", UNKNOWN: "yellow"}


def render(report: AuditReport, console: Console, *, show_met: bool = False) -> None:
    """The summary per rule, then every finding that is broken or unknown (all with show_met)."""
    console.print(
        f"[bold]{report.year}年度政务公开规则核查[/]（截至 {report.now:%Y-%m-%d %H:%M}）"
    )
    # Rule names and counts stay whole; the longer texts wrap, or each rule becomes a record on
    # a narrow terminal (heze_hub.tables).
    columns = [Column("规则"), Column("适用于", "text"), Column("要求", "text"),
               Column("依据", "text"), Column("符合", justify="right"),
               Column("不符合", justify="right"), Column("无法核查", justify="right")]
    counts = report.counts()
    rows = []
    for r in RULES:
        c = counts[r.id]
        rows.append([
            escape(r.name), escape(r.applies_to), escape(r.requirement), escape(r.source),
            str(c[MET]), f"[red]{c[BROKEN]}[/]" if c[BROKEN] else "0",
            f"[yellow]{c[UNKNOWN]}[/]" if c[UNKNOWN] else "0",
        ])
    print_rows(console, columns, rows)
    # Findings as lines, grouped by rule: long Chinese titles and details stay readable (and
    # searchable) at any terminal width, where a wide table would wrap them mid-word.
    for status in (BROKEN, UNKNOWN, MET) if show_met else (BROKEN, UNKNOWN):
        color = _COLORS[status]
        for r in RULES:
            shown = [f for f in report.findings if f.rule == r.id and f.status == status]
            if not shown:
                continue
            console.print(f"\n[bold {color}]{STATUS_LABELS[status]}[/] · [bold]{r.name}[/]"
                          f"（{len(shown)}）")
            for f in shown:
                head = " ".join(x for x in (f.index_no, f.title) if x)
                where = f" [cyan]\\[{escape(f.channel)}][/]" if f.channel else ""
                console.print(Padding(Text.from_markup(f"{escape(head or '—')}{where}"),
                                      (0, 0, 0, 2), expand=False), soft_wrap=False)
                # The detail is prose: wrapped to the terminal, indented under its item.
                console.print(Padding(Text(f.detail, style=color), (0, 0, 0, 4), expand=False),
                              soft_wrap=False)
    if report.withdrawn:
        console.print(f"\n[bold]已撤回的信息[/]（{len(report.withdrawn)} 条，另行统计，"
                      "不计入核查结果）")
        for f in report.withdrawn:
            by_cause: dict[tuple[str, str], list[str]] = {}
            for channel, (cause, reason, _when) in sorted(f.withdrawn.items()):
                by_cause.setdefault((cause, reason), []).append(channel)
            console.print(f"  {escape(f.item.index_no)} {escape(f.item.title)}")
            for (cause, reason), names in by_cause.items():
                label = "公示期满撤下" if cause == "expire" else "撤回"
                console.print(f"    {label}（{escape('、'.join(names))}）：{escape(reason)}")
    broken, unknown = len(report.broken), len(report.unknown)
    console.print()
    if broken:
        console.print(f"[red]发现 {broken} 项不符合[/]" + (f"，{unknown} 项无法核查" if unknown
                                                           else ""))
    else:
        console.print("[green]未发现不符合项[/]" + (f"（{unknown} 项无法核查）" if unknown else ""))
