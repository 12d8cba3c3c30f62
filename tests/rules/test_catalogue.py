"""The rule catalogue of DESIGN §4 as a whole, and the delivery-state check, on hand-made facts."""

from __future__ import annotations

from heze_hub.rules.catalogue import RULES, check_all, check_deliveries
from heze_hub.rules.facts import BROKEN, MET, UNKNOWN, Facts
from tests.rules.yeardata import NOW, facts_item, run


def test_rules_table_is_complete_and_documented() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.name and r.applies_to and r.requirement and r.source
        assert r.check.__doc__


def test_empty_store_breaks_nothing() -> None:
    findings = check_all(Facts(year=2018, now=NOW, items=[]))
    assert not [f for f in findings if f.status == BROKEN]


def test_delivery_states() -> None:
    f = facts_item(published={"portal": "2018-06-01"},
                   deliveries={"wechat": "failed", "weibo": "unconfirmed",
                               "rss": "pending", "credit": "skipped"})
    assert sorted(run(check_deliveries, f), key=lambda x: x[1] or "") == [
        (MET, "portal"), (UNKNOWN, "rss"), (BROKEN, "wechat"), (BROKEN, "weibo"),
    ]
