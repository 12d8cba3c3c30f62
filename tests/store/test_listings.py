"""The store's listings table: derived once per version, refreshed when the format changes,
streamed without the items' JSON, and working on a database made before the table existed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from heze_hub.store.db import Store
from tests.store.test_db import make_item, put_version


class Derive:
    """A listing derivation that counts how often it had to parse a version's JSON."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: str) -> dict[str, Any]:
        self.calls += 1
        item = json.loads(data)
        return {
            "published_at": item["published_at"], "title": item["title"],
            "department": item["department"], "doc_number": item["doc_number"],
            "written_on": item["written_on"], "kind": item["kind"],
            "category": item["category"], "topics": json.dumps(item["topics"]),
            "interprets": item["interprets"], "content_sha256": item["content_sha256"],
            "draft_of": item.get("draft_of"),
            "row": f"<tr>{item['title']}</tr>", "search_head": "{}", "search_tail": "{}",
        }


def fill(store: Store) -> None:
    put_version(store, make_item(1, 1, 0), {"portal": "published"})
    put_version(store, make_item(1, 2, 5), {"portal": "published"})
    put_version(store, make_item(2, 1, 1), {"portal": "published", "rss": "published"})
    put_version(store, make_item(3, 1, 2), {"portal": "failed"})


def listed(store: Store, derive: Derive, fmt: str = "f1", search: bool = True) -> dict:
    rows = store.published_listings("portal", fmt, derive, search)
    return {(r["index_no"], r["version"]): r for r in rows}


def test_the_latest_published_version_of_each_item(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    fill(store)
    got = listed(store, Derive())
    assert sorted(got) == sorted((i.index_no, i.version) for i in store.published_items("portal"))
    assert got[("371700/2018-00001", 2)]["title"] == "测试信息1（第2版）"
    store.close()


def test_derived_once_then_read_back_the_same(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    fill(store)
    first_derive, again = Derive(), Derive()
    first = listed(store, first_derive)
    second = listed(store, again)
    assert first_derive.calls == 2 and again.calls == 0  # saved by the first read
    assert {k: {c: v for c, v in r.items() if c != "fmt"} for k, r in first.items()} == second
    # Without the search columns, the same listing fields.
    lean = listed(store, Derive(), search=False)
    assert all("search_head" not in r for r in lean.values())
    assert {k: r["row"] for k, r in lean.items()} == {k: r["row"] for k, r in second.items()}
    store.close()


def test_another_format_is_derived_anew(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    fill(store)
    listed(store, Derive(), "f1")
    newer = Derive()
    listed(store, newer, "f2")
    assert newer.calls == 2
    settled = Derive()
    listed(store, settled, "f2")
    assert settled.calls == 0
    store.close()


def test_a_database_from_before_the_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = Store(url)
    fill(store)
    store.close()
    engine = create_engine(url)
    with engine.begin() as conn:  # what an older hub left behind: no listings table at all
        conn.execute(text("DROP TABLE listings"))
    engine.dispose()
    reopened = Store(url)
    derive = Derive()
    assert len(listed(reopened, derive)) == 2 and derive.calls == 2
    reopened.close()


def test_a_read_only_store_derives_without_saving(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = Store(url)
    fill(store)
    store.close()
    reader = Store(url, read_only=True)
    first, second = Derive(), Derive()
    assert listed(reader, first) == listed(reader, second)
    assert first.calls == second.calls == 2
    reader.close()


def test_a_read_only_look_at_a_database_from_before_the_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = Store(url)
    fill(store)
    store.close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE listings"))
    engine.dispose()
    reader = Store(url, read_only=True)
    derive = Derive()
    assert len(listed(reader, derive)) == 2 and derive.calls == 2
    reader.close()
