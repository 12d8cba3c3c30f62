"""The deadline rules of DESIGN §4: proactive disclosure, 双公示, recall decisions and school
enrollment, with the deadline wording the publish-time gate shares.

Decisions where the policy is silent:

- A deadline is met when the publication's *date* (Beijing time) is on or before the deadline
  date; working days come from :mod:`heze_hub.rules.workdays`. Beyond the holiday calendar a
  deadline is a Monday–Friday estimate, and the finding says so (``estimated``).
- School enrollment: "7月底前" includes 31 July. Items about enrollment *results* (title with
  结果) are published after enrollment and are exempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from heze_hub.items.credit_record import record_decision_date
from heze_hub.items.model import NormalizedItem
from heze_hub.rules.facts import (
    BROKEN,
    MET,
    TZ,
    UNKNOWN,
    Facts,
    Finding,
    ItemFacts,
    day_of,
    finding,
)
from heze_hub.rules.workdays import (
    CREDIT_DEADLINE_DAYS,
    PROACTIVE_DEADLINE_DAYS,
    covers_span,
    credit_deadline,
    proactive_deadline,
    working_days_between,
)

RECALL_HOURS = 24


def late(due: date, actual: date) -> str:
    """How late ``actual`` is after ``due``, in working days (calendar days if none)."""
    days = working_days_between(due, actual)
    return f"逾期 {days} 个工作日" if days > 0 else f"逾期 {(actual - due).days} 天"


def estimate_note(start: date, due: date) -> str:
    """The note a deadline computed beyond the holiday calendar carries (empty otherwise)."""
    return "" if covers_span(start, due) else "（节假日历未覆盖该年度，期限按周一至周五估算）"


def _deadline(
    rule: str, f: ItemFacts, *, channel: str | None, start: date, start_label: str, due: date,
    limit: str, published: datetime | None, now: datetime,
) -> Finding:
    """A date deadline checked against a publication (or its absence as of ``now``)."""
    note = estimate_note(start, due)
    head = f"{start_label} {start}，{limit}，最迟 {due}"
    kw = {"channel": channel, "due": due.isoformat(), "estimated": bool(note)}
    if published is not None:
        day = day_of(published)
        kw["actual"] = published.isoformat()
        if day <= due:
            return finding(rule, MET, f"{head}，{day} 已发布{note}", f, **kw)
        return finding(rule, BROKEN, f"{head}，{day} 才发布，{late(due, day)}{note}", f, **kw)
    if day_of(now) > due:
        text = f"{head}，截至 {day_of(now)} 仍未发布，{late(due, day_of(now))}{note}"
        return finding(rule, BROKEN, text, f, **kw)
    return finding(rule, UNKNOWN, f"{head}，尚未发布，尚未到期{note}", f, **kw)


def check_proactive_deadline(facts: Facts) -> Iterator[Finding]:
    """Every proactive item: first publication on any channel within 20 working days."""
    for f in facts.scoped():
        item = f.item
        if item.disclosure != "proactive":
            continue
        first = f.first_any()
        yield _deadline(
            "proactive-deadline", f, channel=first[0] if first else None,
            start=item.written_on, start_label="成文日期",
            due=proactive_deadline(item.written_on),
            limit=f"{PROACTIVE_DEADLINE_DAYS}个工作日内主动公开",
            published=first[1] if first else None, now=facts.now,
        )


def check_credit_deadline(facts: Facts) -> Iterator[Finding]:
    """双公示: on the credit platform within 7 working days of the decision date."""
    for f in facts.scoped():
        item = f.item
        if item.credit is None:
            if item.kind in ("license", "penalty"):
                yield finding(
                    "credit-deadline", UNKNOWN,
                    "体裁为行政许可/行政处罚，但未附双公示记录（credit），未报送信用平台；"
                    "请核实是否应当双公示", f,
                )
            continue
        decided = record_decision_date(item.credit)
        due = credit_deadline(decided)
        channels = facts.channels_of(f, "credit")
        if not channels:
            status = BROKEN if day_of(facts.now) > due else UNKNOWN
            yield finding(
                "credit-deadline", status,
                f"决定日期 {decided}，最迟 {due} 应在信用平台公示，但没有信用平台渠道的投递",
                f, due=due.isoformat(),
            )
            continue
        for channel in channels:
            yield _deadline(
                "credit-deadline", f, channel=channel, start=decided, start_label="决定日期",
                due=due, limit=f"{CREDIT_DEADLINE_DAYS}个工作日内在信用平台公示",
                published=f.first_published.get(channel), now=facts.now,
            )


def check_recall(facts: Facts) -> Iterator[Finding]:
    """Recall decisions: on the portal within 24 hours of ``decided_at``."""
    for f in facts.scoped():
        item = f.item
        if item.kind != "recall":
            continue
        if item.decided_at is None:
            yield finding("recall-24h", UNKNOWN,
                           "无法核查：召回决定未填写决定时间（decided_at）", f)
            continue
        decided = item.decided_at.astimezone(TZ)
        due = decided + timedelta(hours=RECALL_HOURS)
        channels = facts.channels_of(f, "portal")
        if not channels:
            status = BROKEN if facts.now > due else UNKNOWN
            yield finding("recall-24h", status,
                           f"决定于 {decided:%Y-%m-%d %H:%M}，应于24小时内在政府网站公开，"
                           "但没有发往政府网站的投递", f, due=due.isoformat())
            continue
        for channel in channels:
            yield _recall_on(f, channel, decided, due, facts.now)


def _recall_on(f: ItemFacts, channel: str, decided: datetime, due: datetime,
               now: datetime) -> Finding:
    head = f"决定于 {decided:%Y-%m-%d %H:%M}，应于 {due:%Y-%m-%d %H:%M} 前在政府网站公开"
    kw = {"channel": channel, "due": due.isoformat()}
    when = f.first_published.get(channel)
    if when is not None:
        hours = (when - decided).total_seconds() / 3600
        kw["actual"] = when.isoformat()
        text = (f"{head}，{when.astimezone(TZ):%Y-%m-%d %H:%M} 发布"
                f"（决定后 {duration_text(hours)}）")
        return finding("recall-24h", MET if when <= due else BROKEN, text, f, **kw)
    if now > due:
        return finding("recall-24h", BROKEN, f"{head}，截至审计时仍未发布", f, **kw)
    return finding("recall-24h", UNKNOWN, f"{head}，尚未发布，尚未到期", f, **kw)


def check_school_enrollment(facts: Facts) -> Iterator[Finding]:
    """义务教育招生: published by the end of July of the year it is written (results exempt)."""
    for f in facts.scoped():
        item = f.item
        if not is_enrollment(item):
            continue
        first = f.first_any()
        due = date(item.written_on.year, 7, 31)
        yield _deadline(
            "school-enrollment", f, channel=first[0] if first else None,
            start=item.written_on, start_label="成文日期", due=due,
            limit="义务教育招生范围、条件、程序须在7月底前公开",
            published=first[1] if first else None, now=facts.now,
        )


def is_enrollment(item: NormalizedItem) -> bool:
    """An item on 义务教育招生 due by the end of July (results are exempt)."""
    return "义务教育招生" in item.topics and "结果" not in item.title


def duration_text(hours: float) -> str:
    """A time since a decision in the unit a reader counts in: hours within two days, else
    days (never "73500.8 小时")."""
    if hours < 48:
        return f"{hours:.1f} 小时"
    return f"{hours / 24:.0f} 天"
