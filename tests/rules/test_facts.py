"""Facts: which items belong to the audited year (hand-made facts, no store)."""

from __future__ import annotations

from heze_hub.rules.deadlines import check_proactive_deadline
from heze_hub.rules.facts import BROKEN
from tests.rules.yeardata import facts_item, run, statuses


def test_items_of_other_years_are_out_of_scope() -> None:
    old = facts_item(written_on="2017-05-02", published={"portal": "2017-06-30"})
    assert run(check_proactive_deadline, old) == []
    # Written in 2017, first published in 2018: in scope, and late.
    late = facts_item(written_on="2017-12-01", published={"portal": "2018-02-01"})
    assert statuses(check_proactive_deadline, late) == [BROKEN]
