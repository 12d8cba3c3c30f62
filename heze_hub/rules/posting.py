"""The 公示期 of an announcement: the one the hub computes (from the publication day,
``posting_days`` calendar days, as the portal shows it) and the one a body may name in words.

A page that shows two different periods misleads the citizen who reads it; the clerk is warned
before publishing when the body's period is not the computed one.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from heze_hub.items.model import NormalizedItem

_SENTENCE = re.compile(r"公示(?:期|时间|期限)[^。；;\n]{0,60}")
_DAYS = re.compile(r"(?<![月\d])(\d{1,4})\s*(?:个)?\s*(工作日|天|日)(?![0-9])")
_RANGE = re.compile(
    r"(?:(?P<y1>\d{4})\s*年)?\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*日?\s*(?:至|到|—|－|-|~)\s*"
    r"(?:(?P<y2>\d{4})\s*年)?\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?"
)


def computed_period(item: NormalizedItem, published_on: date) -> tuple[date, date] | None:
    """The item's 公示期 as the portal shows it, or None when it has none."""
    if item.kind != "announcement" or not item.posting_days:
        return None
    return published_on, published_on + timedelta(days=item.posting_days - 1)


def body_period(text: str, year: int) -> tuple[int | None, tuple[date, date] | None]:
    """The 公示期 the body names: its length in days (None for working days or none given) and
    its dates (a missing year taken as ``year``), from the first sentence that names one."""
    for sentence in _SENTENCE.finditer(text):
        s = sentence.group(0)
        days_m = _DAYS.search(s)
        days = int(days_m.group(1)) if days_m and days_m.group(2) != "工作日" else None
        span = None
        m = _RANGE.search(s)
        if m:
            try:
                y1 = int(m.group("y1") or year)
                start = date(y1, int(m.group("m1")), int(m.group("d1")))
                end = date(int(m.group("y2") or y1), int(m.group("m2")), int(m.group("d2")))
                span = (start, end)
            except ValueError:
                span = None
        if days is not None or span is not None:
            return days, span
    return None, None


def period_warning(item: NormalizedItem, published_on: date) -> str | None:
    """A warning when the body names another 公示期 than the one the portal will show."""
    period = computed_period(item, published_on)
    if period is None:
        return None
    days, span = body_period(item.body_text, published_on.year)
    shown = f"{_cn(period[0])}至{_cn(period[1])}（{item.posting_days}天）"
    if span is not None and span != period:
        return (f"正文写的公示期 {_cn(span[0])}至{_cn(span[1])} 与门户将显示的公示期 {shown} "
                "不同（门户按发布日和 posting_days 计算）；请修改正文或 posting_days，使两者一致")
    if span is None and days is not None and days != item.posting_days:
        return (f"正文写的公示期 {days} 天与 posting_days = {item.posting_days} 不同；"
                f"门户将显示 {shown}，请使两者一致")
    return None


def _cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
