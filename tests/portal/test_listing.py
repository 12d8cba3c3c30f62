"""The portal's listings: a catalogue rebuilt from the store's listings table is byte for byte
the catalogue rebuilt from the whole items, and the search index is what the whole-item
rendering of earlier releases wrote."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from heze_hub.delivery.channel import HubInfo
from heze_hub.items.model import CATEGORY_LABELS, KIND_LABELS, NormalizedItem
from heze_hub.items.normalize import to_shanghai
from heze_hub.portal.listing import Listing, row_html, search_entry, search_parts, store_listings
from heze_hub.portal.pages import item_page_path
from heze_hub.portal.site import Site
from heze_hub.store.db import Store
from heze_hub_plugins.portal import PortalChannel, PortalSettings
from tests.store.test_db import put_version

TZ = ZoneInfo("Asia/Shanghai")
BASE = datetime(2024, 3, 1, 9, 0, tzinfo=TZ)
PUBLIC = "https://www.heze.gov.cn"


def item(n: int, version: int = 1, **fields: object) -> NormalizedItem:
    data: dict[str, object] = dict(
        index_no=f"371700/2024-{n:05d}", version=version,
        published_at=BASE + timedelta(hours=n, minutes=version),
        content_sha256=f"{n}-{version}".ljust(64, "0"),
        title=f"关于第{n}号事项的通知 <b>&“引号”", department=f"菏泽市第{n % 3}局",
        written_on=date(2024, 1, 1) + timedelta(days=n), kind="notice",
        category=["decision", "execution", "service", "result"][n % 4],
        topics=(f"主题{n % 5}", "共同主题") if n % 2 else (),
        summary=f"概述{n}", body_html=f"<p>第{n}号</p>",
        body_text=f"第{n}号事项  正文\n\n第二段\t" + "很长的正文" * (n * 40),
    )
    data.update(fields)
    return NormalizedItem(**data)  # type: ignore[arg-type]


ARCHIVE = [
    item(1, kind="policy", doc_number="菏政发〔2024〕1号"),
    item(2, kind="interpretation", interprets="菏政发〔2024〕1号"),
    item(3, kind="interpretation", interprets="371700/2024-00001"),
    item(4, doc_number=None, summary=""),
    *[item(n) for n in range(5, 40)],
]


def fill(store: Store) -> None:
    for it in ARCHIVE:
        put_version(store, it, {"portal": "published"})
    put_version(store, item(4, 2, title="第二版"), {"portal": "published"})
    put_version(store, item(5, 2, title="未发布的第二版"), {"portal": "failed"})


def channel(root: Path, info: HubInfo) -> PortalChannel:
    return PortalChannel("portal", PortalSettings(output_dir=str(root)), info)


def info(store: Store, fast: bool) -> HubInfo:
    return HubInfo(
        public_url=PUBLIC, state_dir=Path("."), config_dir=Path("."), org_code="371700",
        published_items=store.published_items, latest_checkpoint=lambda: "checkpoint\n",
        published_listings=(lambda ch, s: store_listings(store, ch, s)) if fast else None,
    )


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def reference_search_index(items: list[NormalizedItem]) -> bytes:
    """The search index exactly as earlier releases rendered it from whole items."""
    entries = []
    for i in items:
        body = re.sub(r"\s+", " ", i.body_text).strip()
        text = " ".join(
            [i.title, i.index_no, i.doc_number or "", i.department, " ".join(i.topics),
             KIND_LABELS.get(i.kind, ""), CATEGORY_LABELS.get(i.category, ""), i.summary,
             body[:1000]]
        )
        entries.append({
            "index_no": i.index_no, "title": i.title, "department": i.department,
            "doc_number": i.doc_number, "topics": list(i.topics), "kind": i.kind,
            "kind_label": KIND_LABELS.get(i.kind, i.kind), "category": i.category,
            "category_label": CATEGORY_LABELS.get(i.category, i.category),
            "written_on": i.written_on.isoformat(),
            "published_at": to_shanghai(i.published_at).isoformat(), "version": i.version,
            "url": f"{PUBLIC}/xxgk/{i.index_no}.html", "path": item_page_path(i.index_no),
            "summary": i.summary, "snippet": body[:120], "text": text.lower(),
        })
    data = {"count": len(entries), "items": entries}
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def test_listings_rebuild_the_same_site_as_whole_items(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    fill(store)
    slow, fast, again = tmp_path / "slow", tmp_path / "fast", tmp_path / "again"
    channel(slow, info(store, fast=False)).finish_run()
    channel(fast, info(store, fast=True)).finish_run()  # derives and saves the listings
    channel(again, info(store, fast=True)).finish_run()  # reads them back
    assert files(slow) == files(fast) == files(again)
    assert len(files(slow)) > 10
    expected = reference_search_index(store.published_items("portal"))
    assert (fast / "search-index.json").read_bytes() == expected
    script = b"window.HUB_SEARCH_INDEX = " + expected.rstrip() + b";\n"
    assert (fast / "search-index.js").read_bytes() == script
    store.close()


def test_listing_row_and_search_entry_match_the_whole_item() -> None:
    for it in ARCHIVE:
        listing = Listing.of(it)
        for path in ("index.html", "xxgk/index.html", "xxgk/topic/x.html"):
            assert row_html(path, listing) == row_html(path, it)
        whole = json.loads(reference_search_index([it]))["items"][0]
        entry = search_entry(search_parts(it), f"{PUBLIC}/xxgk/{it.index_no}.html")
        assert entry == json.dumps(whole, ensure_ascii=False, separators=(",", ":"))


def test_a_new_item_into_the_archive_links_both_ways_through_listings(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    fill(store)
    root = tmp_path / "site"
    first = channel(root, info(store, fast=True))
    first.finish_run()
    # Pages of the archive exist from earlier runs.
    for it in store.published_items("portal"):
        page = root / item_page_path(it.index_no)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("old", encoding="utf-8")
    later = channel(root, HubInfo(
        public_url=PUBLIC, state_dir=Path("."), config_dir=Path("."), org_code="371700",
        published_items=store.published_items, latest_checkpoint=lambda: "",
        published_listings=lambda ch, s: store_listings(store, ch, s),
        load_version=store.load_version,
    ))
    new = item(50, kind="interpretation", interprets="菏政发〔2024〕1号")
    from tests.channels.test_portal import context

    later.publish(new, context())
    policy_page = (root / item_page_path("371700/2024-00001")).read_text(encoding="utf-8")
    assert "371700/2024-00050" in policy_page  # the policy page was re-rendered with its link
    assert (root / item_page_path("371700/2024-00010")).read_text(encoding="utf-8") == "old"
    later.finish_run()
    data = json.loads((root / "search-index.json").read_text(encoding="utf-8"))
    assert data["count"] == len(store.published_items("portal")) + 1
    assert data["items"][0]["index_no"] == new.index_no
    store.close()


def test_site_rows_come_from_the_listing_on_list_pages(tmp_path: Path) -> None:
    it = ARCHIVE[0]
    listing = Listing.of(it)
    listing.row = "<tr>stored</tr>"
    site = Site(tmp_path, lambda n: n, "")
    assert site.row("xxgk/category/decision.html", listing) == "<tr>stored</tr>"
    assert site.row("index.html", listing) == row_html("index.html", it)
