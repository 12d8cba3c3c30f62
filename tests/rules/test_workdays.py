"""Working days on the mainland calendar, with the real 2018 holidays and make-up days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from heze_hub.rules.workdays import (
    add_working_days,
    calendar_covers,
    covers_span,
    credit_deadline,
    is_working_day,
    proactive_deadline,
    working_days_between,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2018-02-11", True),  # Sunday, make-up working day before 春节
        ("2018-02-24", True),  # Saturday, make-up working day after 春节
        ("2018-02-15", False),  # Thursday, 除夕 holiday
        ("2018-02-21", False),  # Wednesday, last day of 春节
        ("2018-02-22", True),
        ("2018-09-29", True),  # Saturday, make-up working day before 国庆
        ("2018-09-30", True),  # Sunday, make-up working day before 国庆
        ("2018-10-01", False),
        ("2018-10-05", False),  # a Friday inside 国庆
        ("2018-10-08", True),
        ("2018-08-04", False),  # ordinary Saturday
        ("2018-08-06", True),  # ordinary Monday
    ],
)
def test_is_working_day_2018(day: str, working: bool) -> None:
    assert is_working_day(D(day)) is working


@pytest.mark.parametrize(
    ("decided", "deadline"),
    [
        # An ordinary week: Monday + 7 working days = Wednesday of the next week (example 05).
        ("2018-08-06", "2018-08-15"),
        # 国庆: Friday 28 Sep; 29 and 30 Sep are make-up days 1–2, 1–7 Oct holidays, 8–12 Oct 3–7.
        ("2018-09-28", "2018-10-12"),
        # Decided on the make-up Saturday itself: it does not count, Sunday 30 is day 1.
        ("2018-09-29", "2018-10-15"),
        # Decided during the holiday: day 1 is the first working day after it, 8 Oct.
        ("2018-10-03", "2018-10-16"),
        # 春节: Friday 9 Feb; Sunday 11 Feb (make-up) is day 1, 12–14 Feb 2–4, 15–21 Feb holidays,
        # 22–23 Feb 5–6, and the make-up Saturday 24 Feb is day 7 — the deadline is a Saturday.
        ("2018-02-09", "2018-02-24"),
        # Wednesday 14 Feb: 15–21 holidays, 22, 23, 24 (Sat, make-up), 26, 27, 28, 1 Mar.
        ("2018-02-14", "2018-03-01"),
    ],
)
def test_credit_deadline_seven_working_days(decided: str, deadline: str) -> None:
    assert credit_deadline(D(decided)) == D(deadline)
    assert working_days_between(D(decided), D(deadline)) == 7


def test_proactive_deadline_twenty_working_days_across_guoqing() -> None:
    # 2018-09-20 (Thu): 21 Sep is day 1, 25–28 Sep 2–5 (Mon 24 is 中秋), the make-up days
    # 29–30 Sep 6–7, 8–12 Oct 8–12, 15–19 Oct 13–17, 22–24 Oct 18–20.
    assert proactive_deadline(D("2018-09-20")) == D("2018-10-24")
    assert not is_working_day(D("2018-09-24"))  # 中秋节


def test_the_start_day_never_counts() -> None:
    monday = D("2018-08-06")
    assert add_working_days(monday, 0) == monday
    assert add_working_days(monday, 1) == D("2018-08-07")
    assert working_days_between(monday, monday) == 0


def test_add_working_days_rejects_negative() -> None:
    with pytest.raises(ValueError):
        add_working_days(D("2018-08-06"), -1)


def test_working_days_between_is_inverse_of_add_and_antisymmetric() -> None:
    start = D("2018-01-01")
    for offset in range(0, 400, 7):
        a = start + timedelta(days=offset)
        for n in (0, 1, 7, 20):
            b = add_working_days(a, n)
            assert working_days_between(a, b) == n
            assert working_days_between(b, a) == -n


def test_a_saturday_after_a_friday_deadline_adds_no_working_day() -> None:
    # Why lateness is decided by comparing dates: the count alone cannot tell.
    decided = D("2018-08-08")  # Wednesday
    deadline = credit_deadline(decided)
    assert deadline == D("2018-08-17")  # Friday
    saturday = deadline + timedelta(days=1)
    assert working_days_between(decided, saturday) == 7
    assert saturday > deadline


def test_aware_datetimes_count_in_shanghai() -> None:
    # 16:30 UTC on 30 Sep is 00:30 on 1 Oct in 菏泽: a holiday.
    assert not is_working_day(datetime(2018, 9, 30, 16, 30, tzinfo=UTC))
    assert is_working_day(datetime(2018, 9, 30, 15, 30, tzinfo=UTC))


def test_calendar_coverage() -> None:
    assert calendar_covers(2004)
    assert calendar_covers(2018)
    assert not calendar_covers(2003)
    assert not calendar_covers(2100)
    assert covers_span(D("2018-12-20"), D("2019-01-10"))
    assert not covers_span(D("2099-12-20"), D("2100-01-10"))


def test_outside_the_calendar_monday_to_friday_is_the_estimate() -> None:
    # 2100-01-01 is a Friday; without holiday data it counts as a working day.
    assert is_working_day(D("2100-01-01"))
    assert not is_working_day(D("2100-01-02"))
    assert credit_deadline(D("2100-01-01")) == D("2100-01-12")
    assert is_working_day(D("2003-12-31"))  # a Wednesday before the calendar starts
