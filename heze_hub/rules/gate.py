"""The gate of ``hub publish``: errors that refuse a file before anything is sent, warnings about
deadlines printed before sending, and the 双公示 deadline shown by ``hub status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from heze_hub.items.credit_record import record_decision_date
from heze_hub.items.model import NormalizedItem
from heze_hub.rules.content import is_poverty_notice, poverty_problem
from heze_hub.rules.deadlines import (
    RECALL_HOURS,
    duration_text,
    estimate_note,
    is_enrollment,
    late,
)
from heze_hub.rules.facts import day_of
from heze_hub.rules.posting import period_warning
from heze_hub.rules.workdays import (
    CREDIT_DEADLINE_DAYS,
    PROACTIVE_DEADLINE_DAYS,
    calendar_covers,
    credit_deadline,
    proactive_deadline,
    working_days_between,
)

#: A 双公示 deadline this close (working days) draws a warning at publication.
NEAR_DAYS = 2


def gate_errors(item: NormalizedItem) -> list[str]:
    """Rules a file is refused for before anything is sent (Chinese, one line each, each naming
    the field)."""
    errors = []
    if item.disclosure != "proactive":
        errors.append("字段 disclosure：公开属性不是主动公开，不能发布（政府信息公开条例）")
    if is_poverty_notice(item):
        problem = poverty_problem(item)
        if problem:
            errors.append(f"字段 posting_days：{problem}（推进方案·精准脱贫）")
    problem = comment_period_problem(item)
    if problem:
        errors.append(f"字段 comment_until：{problem}")
    return errors


#: The national rule for 重大行政决策 drafts: at least 30 days open for public comment.
COMMENT_DAYS = 30


def comment_period_problem(item: NormalizedItem) -> str | None:
    """Why a draft's comment period is unacceptable, counted from its publication day."""
    if item.kind != "draft" or item.comment_until is None:
        return None
    start = day_of(item.published_at)
    days = (item.comment_until - start).days
    if days < 0:
        return (f"征求意见截止日期 {item.comment_until} 早于发布日期 {start}，"
                f"请改为发布后至少{COMMENT_DAYS}天的日期")
    if days < COMMENT_DAYS:
        return (f"征求意见期自发布日 {start} 至 {item.comment_until} 仅 {days} 天，"
                f"重大行政决策草案征求意见期不得少于{COMMENT_DAYS}天"
                "（推进方案·重大行政决策预公开）")
    return None


def gate_warnings(item: NormalizedItem, now: datetime) -> list[str]:
    """Deadlines already missed or about to be (Chinese); printed before sending, not errors."""
    today = day_of(now)
    warnings: list[str] = []

    def by_date(what: str, start: date, due: date, near: int) -> None:
        note = estimate_note(start, due)
        if today > due:
            warnings.append(f"{what}已于 {due} 到期，现已{late(due, today)}{note}")
        elif working_days_between(today, due) <= near:
            warnings.append(f"{what}将于 {due} 到期，请尽快发布{note}")

    if item.disclosure == "proactive":
        by_date(f"主动公开时限（成文日期 {item.written_on} 起{PROACTIVE_DEADLINE_DAYS}个工作日）",
                item.written_on, proactive_deadline(item.written_on), NEAR_DAYS)
    if item.credit is not None:
        decided = record_decision_date(item.credit)
        by_date(f"双公示时限（决定日期 {decided} 起{CREDIT_DEADLINE_DAYS}个工作日）",
                decided, credit_deadline(decided), NEAR_DAYS)
    if item.kind == "recall":
        if item.decided_at is None:
            warnings.append("召回决定未填写决定时间（decided_at），无法核查24小时公开时限")
        else:
            hours = (now - item.decided_at).total_seconds() / 3600
            if hours > RECALL_HOURS:
                warnings.append(f"召回决定作出已 {duration_text(hours)}，超过24小时公开时限")
            elif hours > RECALL_HOURS - 4:
                warnings.append(f"召回决定作出已 {hours:.1f} 小时，距24小时公开时限不足4小时")
    if is_enrollment(item):
        due = date(item.written_on.year, 7, 31)
        if today > due:
            warnings.append(f"义务教育招生信息应在 {due} 前公开，现已逾期")
    posting = period_warning(item, today)
    if posting:
        warnings.append(posting)
    return warnings



def credit_deadline_status(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The 双公示 deadline of a record not yet on the credit platform (DESIGN §4)."""
    due = credit_deadline(record_decision_date(record))
    estimate = "" if calendar_covers(due.year) else "（节假日安排未知，按周一至周五估算）"
    if today > due:
        state, text = "overdue", f"双公示应于 {due} 前报送信用平台，已逾期{estimate}"
    else:
        left = working_days_between(today, due)
        state = "near" if left <= 2 else "ok"
        text = f"双公示应于 {due} 前报送信用平台，还剩 {left} 个工作日{estimate}"
    return {"due": due.isoformat(), "state": state, "text": text}
