"""Look-ups channels use to combine items (``heze_hub.store.lookups``), on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from heze_hub.store import lookups
from heze_hub.store.db import Store
from tests.rules.yeardata import YearBuilder


def test_latest_item_of_kind_and_channel_deliveries(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        b = YearBuilder(store)
        policy = b.item("关于实施乡村振兴战略的意见", "2018-06-01", kind="policy",
                        publish={"hotline": "2018-06-01"})
        # A notice whose text mentions the word "interpretation" is no interpretation.
        b.item("关于 \"kind\":\"interpretation\" 的说明", "2018-06-02")
        interp = b.item("解读", "2018-06-02", kind="interpretation", interprets=policy.index_no)
        newer = b.version(policy, {"hotline": ("pending", None)}, title="（修订）")
        assert lookups.latest_item(store, policy.index_no) == newer
        assert lookups.latest_item(store, "371700/2018-09999") is None
        assert lookups.latest_of_kind(store, "interpretation") == [interp]
        assert [i.index_no for i in lookups.latest_of_kind(store, "policy")] == [policy.index_no]
        rows = lookups.channel_deliveries(store, "hotline", policy.index_no)
        assert [(r["version"], r["status"]) for r in rows] == [(2, "pending"), (1, "published")]
        assert lookups.channel_deliveries(store, "portal", policy.index_no) == []
    finally:
        store.close()
