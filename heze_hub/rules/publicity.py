"""When a penalty's public display ends (DESIGN §12): its 公示截止期, or the rules' default.

The default when a record gives no 公示截止期: three years after the 处罚决定日期. The national
rules on credit repair (《失信行为纠正后的信用信息修复管理办法（试行）》, 国家发展改革委令 2023
年第58号) set the 公示 period of an administrative penalty at three months to one year for a
general breach and one to three years for a serious one; the hub cannot tell which a record is,
so without a 公示截止期 it keeps a penalty public for the longest period the rules allow, and
never ends a 公示 early. A department that knows the shorter period writes 公示截止期.
Licenses (行政许可) have no end of 公示.
"""

from __future__ import annotations

from datetime import date

from heze_hub.items.model import NormalizedItem

__all__ = ["DEFAULT_PENALTY_YEARS", "publicity_end"]

#: Years a penalty stays public when its record gives no 公示截止期.
DEFAULT_PENALTY_YEARS = 3


def publicity_end(item: NormalizedItem) -> tuple[date, bool] | None:
    """The last day of ``item``'s 公示 and whether it is the rules' default (not the record's);
    ``None`` for an item whose 公示 does not end (not a penalty, no decision date)."""
    record = item.credit or {}
    if item.kind != "penalty" or record.get("type") != "penalty":
        return None
    given = _day(record.get("公示截止期"))
    if given is not None:
        return given, False
    decided = _day(record.get("处罚决定日期"))
    if decided is None:
        return None
    year = decided.year + DEFAULT_PENALTY_YEARS
    # 29 February has no anniversary in a common year: the period ends on the 28th.
    day = min(decided.day, 28) if decided.month == 2 else decided.day
    return decided.replace(year=year, day=day), True


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
