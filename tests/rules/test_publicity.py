"""The end of a penalty's 公示 (DESIGN §12): the record's 公示截止期, else the rules' default."""

from __future__ import annotations

from datetime import date

from heze_hub.rules.publicity import DEFAULT_PENALTY_YEARS, publicity_end
from tests.rules.yeardata import license_, make_item, penalty


def test_the_record_says_when() -> None:
    record = {**penalty("菏环罚字〔2018〕27号", "2018-08-06"), "公示截止期": "2019-02-06"}
    item = make_item("X/2018-00001", 1, "处罚", date(2018, 8, 6), kind="penalty", credit=record)
    assert publicity_end(item) == (date(2019, 2, 6), False)


def test_without_a_date_the_longest_period_of_the_rules() -> None:
    assert DEFAULT_PENALTY_YEARS == 3
    item = make_item("X/2018-00001", 1, "处罚", date(2018, 8, 6), kind="penalty",
                     credit=penalty("菏环罚字〔2018〕27号", "2018-08-06"))
    assert publicity_end(item) == (date(2021, 8, 6), True)
    leap = make_item("X/2016-00001", 1, "处罚", date(2016, 2, 29), kind="penalty",
                     credit=penalty("菏环罚字〔2016〕1号", "2016-02-29"))
    assert publicity_end(leap) == (date(2019, 2, 28), True)


def test_licenses_and_plain_items_never_end() -> None:
    lic = make_item("X/2018-00002", 1, "许可", date(2018, 5, 2), kind="license",
                    credit=license_("菏建许〔2018〕7号", "2018-05-02"))
    assert publicity_end(lic) is None
    assert publicity_end(make_item("X/2018-00003", 1, "通知", date(2018, 5, 2))) is None
