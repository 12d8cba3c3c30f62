"""The policy-interpretation rules of DESIGN §4, on hand-made facts (no store).

Dates use the real 2018 calendar: 春节 15–21 February with make-up Sundays/Saturdays 11 and 24
February, 国庆 1–7 October with make-up days 29 and 30 September.
"""

from __future__ import annotations

import pytest

from heze_hub.rules.facts import BROKEN, MET, ItemFacts
from heze_hub.rules.interpretation import (
    check_interpretation_links,
    check_interpretation_sync,
    check_interpretation_target,
)
from tests.rules.yeardata import facts_item, run, statuses


def _policy() -> ItemFacts:
    return facts_item("规划", "2018-09-28", kind="policy", doc_number="菏政发〔2018〕15号",
                      published={"portal": "2018-09-28"})


@pytest.mark.parametrize(
    ("published", "status"),
    [
        # Policy first published Fri 2018-09-28; 3 working days later is 2018-10-08
        # (29 and 30 September are make-up working days, 1–7 October 国庆).
        ("2018-10-08", MET),
        ("2018-10-09", BROKEN),
        # Published before the policy: 3 working days after Wed 26 Sep is Sat 29 Sep.
        ("2018-09-26", MET),
        # 3 working days after Thu 20 Sep is Wed 26 Sep (Mon 24 Sep is 中秋).
        ("2018-09-20", BROKEN),
    ],
)
def test_interpretation_published_with_policy(published: str, status: str) -> None:
    policy = _policy()
    interp = facts_item("解读", "2018-09-28", kind="interpretation",
                        interprets="菏政发〔2018〕15号", published={"portal": published})
    assert statuses(check_interpretation_sync, policy, interp) == [status]


def test_interpretation_target_by_index_no_or_doc_number() -> None:
    policy = _policy()
    by_index = facts_item("解读一", kind="interpretation", interprets=policy.item.index_no,
                          published={"portal": "2018-09-28"})
    by_doc = facts_item("解读二", kind="interpretation", interprets="菏政发〔2018〕15号",
                        published={"portal": "2018-09-28"})
    missing = facts_item("解读三", kind="interpretation", interprets="鲁政发〔2018〕1号",
                         published={"portal": "2018-09-28"})
    assert statuses(check_interpretation_target, policy, by_index, by_doc, missing) == [
        MET, MET, BROKEN,
    ]


def test_interpretation_links_need_both_on_the_same_portal() -> None:
    policy = _policy()
    both = facts_item("解读", kind="interpretation", interprets=policy.item.index_no,
                      published={"portal": "2018-09-28", "wechat": "2018-09-28"})
    elsewhere = facts_item("解读", kind="interpretation", interprets=policy.item.index_no,
                           published={"site2": "2018-09-28"})
    assert run(check_interpretation_links, policy, both, plugins={"site2": "portal"}) == [
        (MET, "portal"),
    ]
    assert run(check_interpretation_links, policy, elsewhere, plugins={"site2": "portal"}) == [
        (BROKEN, "portal"), (BROKEN, "site2"),
    ]
