"""The deadline rules of DESIGN §4 one by one, on hand-made facts (no store).

Dates use the real 2018 calendar: 春节 15–21 February with make-up Sundays/Saturdays 11 and 24
February, 国庆 1–7 October with make-up days 29 and 30 September.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from heze_hub.rules.deadlines import (
    check_credit_deadline,
    check_proactive_deadline,
    check_recall,
    check_school_enrollment,
)
from heze_hub.rules.facts import BROKEN, MET, UNKNOWN, Facts
from tests.rules.yeardata import NOW, TZ, at, facts_item, license_, penalty, run, statuses

# -- proactive deadline ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "first", "status"),
    [
        ("2018-01-26", "2018-02-28T23:59", MET),  # 20 working days across 春节
        ("2018-01-26", "2018-03-01T00:01", BROKEN),
        ("2018-09-28", "2018-10-31", MET),  # across 国庆, make-up 29/30 Sep count
        ("2018-09-28", "2018-11-01", BROKEN),
    ],
)
def test_proactive_deadline(written: str, first: str, status: str) -> None:
    f = facts_item(written_on=written, published={"wechat": first, "portal": "2018-12-31"})
    assert run(check_proactive_deadline, f) == [(status, "wechat")]


def test_proactive_deadline_unpublished() -> None:
    never = facts_item(written_on="2018-06-01", deliveries={"portal": "failed"})
    assert statuses(check_proactive_deadline, never) == [BROKEN]
    # Not yet due as of "now": unknown, not a violation.
    early = datetime(2018, 6, 10, tzinfo=TZ)
    assert statuses(check_proactive_deadline, never, now=early) == [UNKNOWN]


def test_deadline_beyond_holiday_calendar_is_marked_estimate() -> None:
    f = facts_item(written_on="2099-03-02", published={"portal": "2099-03-03"})
    (finding,) = check_proactive_deadline(Facts(year=2099, now=NOW, items=[f]))
    assert finding.status == MET and finding.estimated and "估算" in finding.detail


# -- 双公示 ------------------------------------------------------------------------------------


def test_credit_deadline_across_holidays() -> None:
    # Decided Friday 2018-09-28: 29, 30 Sep are make-up days, 1–7 Oct 国庆 → due Fri 2018-10-12.
    on_time = facts_item(kind="penalty", credit=penalty("菏环罚字〔2018〕1号", "2018-09-28"),
                         published={"credit": "2018-10-12T18:00"})
    late = facts_item(kind="penalty", credit=penalty("菏环罚字〔2018〕2号", "2018-09-28"),
                      published={"credit": "2018-10-13T09:00"})
    # Decided Friday 2018-02-09: due Saturday 2018-02-24, a make-up working day after 春节.
    spring = facts_item(kind="license", credit=license_("菏建许〔2018〕1号", "2018-02-09"),
                        published={"credit": "2018-02-24"})
    assert run(check_credit_deadline, on_time, late, spring) == [
        (MET, "credit"), (BROKEN, "credit"), (MET, "credit"),
    ]


def test_credit_deadline_uses_plugin_not_channel_name() -> None:
    f = facts_item(kind="penalty", credit=penalty("菏环罚字〔2018〕3号", "2018-09-28"),
                   published={"xinyong": "2018-10-08"})
    assert run(check_credit_deadline, f, plugins={"xinyong": "credit"}) == [(MET, "xinyong")]
    # Without the mapping the hub sees no credit channel at all: broken.
    assert run(check_credit_deadline, f) == [(BROKEN, None)]


def test_license_without_record_is_unknown_not_broken() -> None:
    f = facts_item(kind="license", published={"portal": "2018-06-01"})
    assert statuses(check_credit_deadline, f) == [UNKNOWN]


# -- recall ------------------------------------------------------------------------------------


def test_recall_within_24_hours_on_every_portal() -> None:
    decided = at("2018-07-12T16:30")
    f = facts_item(kind="recall", decided_at=decided,
                   published={"portal": "2018-07-13T16:30", "site": "2018-07-13T16:31",
                              "wechat": "2018-07-12T17:00"})
    assert run(check_recall, f, plugins={"site": "portal"}) == [
        (MET, "portal"), (BROKEN, "site"),
    ]


def test_recall_without_decision_time_cannot_be_checked() -> None:
    f = facts_item(kind="recall", published={"portal": "2018-07-13"})
    ((status, _),) = run(check_recall, f)
    assert status == UNKNOWN


def test_recall_not_yet_due() -> None:
    f = facts_item(kind="recall", decided_at=at("2018-07-12T16:30"),
                   deliveries={"portal": "pending"})
    assert statuses(check_recall, f, now=at("2018-07-13T09:00")) == [UNKNOWN]
    assert statuses(check_recall, f, now=at("2018-07-13T17:00")) == [BROKEN]


# -- school enrollment ------------------------------------------------------------------------


def test_school_enrollment_by_end_of_july() -> None:
    topics = ("教育", "义务教育招生")
    ok = facts_item("招生办法", "2018-07-10", topics=topics, published={"portal": "2018-07-31"})
    late = facts_item("招生方案", "2018-07-10", topics=topics, published={"portal": "2018-08-01"})
    result = facts_item("招生结果公告", "2018-09-01", topics=topics,
                        published={"portal": "2018-09-02"})
    assert statuses(check_school_enrollment, ok, late, result) == [MET, BROKEN]
