"""Working days on the mainland calendar: the hub's one module for deadlines (DESIGN §4).

Holidays and make-up working days (调休, e.g. Saturday 2018-09-29 before 国庆) come from the
``chinesecalendar`` package, which knows the years the State Council has announced (2004–2026 in
version 1.11). For a year it does not know, this module falls back to Monday–Friday; callers that
show a deadline in such a year should say it is an estimate — :func:`calendar_covers` tells them.

Counting rule, used by every function here: the start day never counts, whatever it is. Day 1 is
the first working day *after* the start day, so "within 7 working days of a decision made on
Friday 2018-09-28" means by Friday 2018-10-12: Saturday 29 and Sunday 30 September are make-up
working days (days 1 and 2), 1–7 October are the 国庆 holidays, and 8–12 October are days 3–7.
A publication is on time when its date is on or before the deadline date; compare dates, not
counts (see :func:`working_days_between`).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

#: Working days a 双公示 record has to reach the credit platform (发改电〔2015〕557号).
CREDIT_DEADLINE_DAYS = 7
#: Working days a proactive item has to be published after it is written (条例 art. 26).
PROACTIVE_DEADLINE_DAYS = 20

_SHANGHAI = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)


def _as_date(d: date) -> date:
    """A ``date`` for ``d``; an aware datetime is first moved to Asia/Shanghai."""
    if isinstance(d, datetime):
        return (d.astimezone(_SHANGHAI) if d.tzinfo else d).date()
    return d


@cache
def calendar_covers(year: int) -> bool:
    """True if the holiday calendar knows ``year``; if not, results are Monday–Friday estimates."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def covers_span(start: date, end: date) -> bool:
    """True if the calendar knows every year from ``start`` to ``end`` (in either order)."""
    a, b = sorted((_as_date(start).year, _as_date(end).year))
    return all(calendar_covers(y) for y in range(a, b + 1))


def is_working_day(d: date) -> bool:
    """True if ``d`` is a working day: a weekday that is not a holiday, or a make-up working day."""
    return _is_working_day(_as_date(d))


@functools.lru_cache(maxsize=16384)
def _is_working_day(d: date) -> bool:
    # Audits and deadline warnings count across years of days, again and again; the answer for
    # a date never changes within a process.
    if calendar_covers(d.year):
        return chinese_calendar.is_workday(d)
    return d.weekday() < 5


def add_working_days(d: date, n: int) -> date:
    """The ``n``-th working day after ``d`` (``d`` itself never counts; ``n = 0`` returns ``d``).

    :raises ValueError: if ``n`` is negative.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day = _as_date(d)
    while n:
        day += _ONE_DAY
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """Working days after ``a`` up to and including ``b``; negative if ``b`` is before ``a``.

    ``working_days_between(d, add_working_days(d, n)) == n``. Note that a date after a deadline
    can still give ``n`` (a Saturday after a Friday deadline adds no working day), so lateness is
    decided by comparing dates with the deadline, not by this count.
    """
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -working_days_between(b, a)
    # Running counts per year: days years apart cost a few look-ups, not a walk over each day.
    count = _year_prefix(b.year)[_day_index(b)] - _year_prefix(a.year)[_day_index(a)]
    for year in range(a.year, b.year):
        count += _year_prefix(year)[-1]
    return count


def _day_index(d: date) -> int:
    return d.timetuple().tm_yday - 1


@functools.lru_cache(maxsize=256)
def _year_prefix(year: int) -> tuple[int, ...]:
    """Working days from 1 January of ``year`` up to and including each day of it."""
    counts, total, day = [], 0, date(year, 1, 1)
    while day.year == year:
        total += _is_working_day(day)
        counts.append(total)
        day += _ONE_DAY
    return tuple(counts)


def credit_deadline(decision_date: date) -> date:
    """Last day a 双公示 record decided on ``decision_date`` may reach the credit platform."""
    return add_working_days(decision_date, CREDIT_DEADLINE_DAYS)


def proactive_deadline(written_on: date) -> date:
    """Last day a proactive item written on ``written_on`` may be published."""
    return add_working_days(written_on, PROACTIVE_DEADLINE_DAYS)
