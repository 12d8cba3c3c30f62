"""Facts and findings: what the rules of DESIGN §4 look at and what they report.

Every check works on *facts*, not on intentions: the normalized item (its latest version) and when
it actually reached each channel — the ``finished_at`` of the first ``published`` receipt per
channel, whatever version that receipt was for, so that correcting an item later neither repairs
nor spoils a deadline — plus the state of the latest delivery per channel.
:mod:`heze_hub.rules.audit` gathers the facts from the store.

A check yields findings: ``met`` (符合), ``broken`` (不符合) or ``unknown`` (无法核查: the hub
cannot tell, or the deadline has not come yet). ``unknown`` never makes ``hub audit`` fail; it is
how the audit avoids inventing violations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from heze_hub.items.credit_record import record_decision_date
from heze_hub.items.model import NormalizedItem

if TYPE_CHECKING:
    from heze_hub.rules.outlets import Posting

TZ = ZoneInfo("Asia/Shanghai")
MET, BROKEN, UNKNOWN = "met", "broken", "unknown"
STATUS_LABELS = {MET: "符合", BROKEN: "不符合", UNKNOWN: "无法核查"}


@dataclass
class ItemFacts:
    """One item as published: its latest version and when it reached each channel."""

    item: NormalizedItem
    #: Every stored version, by number (proposal replies are re-checked in each published one).
    versions: dict[int, NormalizedItem] = field(default_factory=dict)
    #: Channel → first ``published`` receipt's ``finished_at`` (any version), Beijing time.
    first_published: dict[str, datetime] = field(default_factory=dict)
    #: Versions with at least one ``published`` receipt.
    published_versions: set[int] = field(default_factory=set)
    #: Channel → (version, status, error) of the latest version's delivery on that channel.
    deliveries: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)
    #: Channel → (cause, reason, when requested, ISO) of a recorded withdrawal of the item
    #: (DESIGN §12): cause ``withdraw`` or ``expire``; the posts a correction replaced are not
    #: withdrawals of the item.
    withdrawn: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def first_any(self) -> tuple[str, datetime] | None:
        """The first publication on any channel: (channel, when)."""
        if not self.first_published:
            return None
        channel = min(self.first_published, key=lambda c: (self.first_published[c], c))
        return channel, self.first_published[channel]


@dataclass
class Facts:
    """Everything the checks look at, for one audited year."""

    year: int
    now: datetime
    items: list[ItemFacts]
    #: Channel name → plugin name (which channels are portals, which the credit platform).
    plugins: Mapping[str, str] = field(default_factory=dict)
    #: Bulletin-board postings a person confirmed, and (index_no, channel) → the boards the
    #: notice went to (DESIGN §5.6).
    postings: list[Posting] = field(default_factory=list)
    boards: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def plugin(self, channel: str) -> str:
        return self.plugins.get(channel, channel)

    def channels_of(self, f: ItemFacts, plugin: str) -> list[str]:
        """Channels of ``plugin`` the item was routed to or published on."""
        names = set(f.deliveries) | set(f.first_published)
        return sorted(n for n in names if self.plugin(n) == plugin)

    def in_scope(self, f: ItemFacts) -> bool:
        """Whether an item belongs to the audited year: written, decided or first published in it.
        """
        item = f.item
        years = {item.written_on.year}
        first = f.first_any()
        if first:
            years.add(first[1].year)
        if item.decided_at:
            years.add(item.decided_at.astimezone(TZ).year)
        if item.credit:
            years.add(record_decision_date(item.credit).year)
        return self.year in years

    def scoped(self) -> Iterator[ItemFacts]:
        return (f for f in self.items if self.in_scope(f))


@dataclass(frozen=True)
class Finding:
    """One rule checked for one item (and channel, or period of a series)."""

    rule: str
    status: str
    detail: str
    index_no: str | None = None
    title: str | None = None
    department: str | None = None
    channel: str | None = None
    due: str | None = None  # the deadline or period end, ISO
    actual: str | None = None  # when it happened, ISO
    period: str | None = None  # series period: 2018-06, 2018Q2
    estimated: bool = False  # deadline computed beyond the holiday calendar


def finding(
    rule: str, status: str, detail: str, f: ItemFacts | None = None, **kw: object
) -> Finding:
    """A finding, with the item's index number, title and department when it is about one."""
    if f is not None:
        kw = {"index_no": f.item.index_no, "title": f.item.title,
              "department": f.item.department, **kw}
    return Finding(rule, status, detail, **kw)  # type: ignore[arg-type]


def day_of(when: datetime) -> date:
    """The date of ``when`` in Beijing time: the day deadlines are counted in."""
    return when.astimezone(TZ).date()
