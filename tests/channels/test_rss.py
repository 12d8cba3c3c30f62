"""rss channel: RSS 2.0 and Atom feeds rebuilt from what was published, read with feedparser."""

from __future__ import annotations

import calendar
import hashlib
import html
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

import feedparser
import lxml.html
from lxml import etree

from heze_hub.delivery.http import HttpClient
from heze_hub.plugin import DeliveryContext, HubInfo, NormalizedItem
from heze_hub_plugins import rss
from heze_hub_plugins.rss import HUB_NS, RssChannel, RssSettings, entry_guid
from tests.channels.support import TZ

ORG = "12371700MB28581232"
PUBLIC = "https://www.heze.gov.cn"
CHECKPOINT = "heze.gov.cn/hub\n12\nbXlyb290aGFzaA==\n\n— heze.gov.cn/hub AbCdEfGh\n"
ATOM = "{http://www.w3.org/2005/Atom}"


def make(serial: int, version: int = 1, **fields) -> NormalizedItem:
    data = dict(
        index_no=f"{ORG}/2018-{serial:05d}",
        version=version,
        published_at=datetime(2018, 7, 1, 9, 0, tzinfo=TZ) + timedelta(hours=serial),
        content_sha256=hashlib.sha256(f"{serial}:{version}".encode()).hexdigest(),
        title=f"菏泽市2018年6月环境空气质量状况（第{serial}期）",
        department="菏泽市环境保护局",
        written_on=date(2018, 7, 6),
        kind="statistics",
        category="result",
        topics=("环境保护", "空气质量"),
        summary="全市环境空气质量优良天数为18天，优良率60.0%。",
        body_html="<p>2018年6月，全市环境空气质量优良天数为18天。</p>",
        body_text="2018年6月，全市环境空气质量优良天数为18天。",
    )
    data.update(fields)
    return NormalizedItem(**data)


class Store:
    def __init__(self, items=()):
        self.items = list(items)

    def __call__(self, channel: str) -> list[NormalizedItem]:
        assert channel == "rss"
        return sorted(self.items, key=lambda i: i.published_at, reverse=True)


def channel_for(tmp_path: Path, store: Store | None = None, checkpoint=CHECKPOINT, **settings):
    hub = HubInfo(
        public_url=PUBLIC + "/", state_dir=tmp_path / ".hub", config_dir=tmp_path,
        org_code=ORG, published_items=store or Store(), latest_checkpoint=lambda: checkpoint,
    )
    return RssChannel("rss", RssSettings(**settings), hub)


def context() -> DeliveryContext:
    state: dict = {}
    return DeliveryContext("k", 1, state, state.update, HttpClient())


def feeds(tmp_path: Path, folder: str = "public"):
    rss_feed = feedparser.parse((tmp_path / folder / "feed.xml").read_bytes())
    atom_feed = feedparser.parse((tmp_path / folder / "atom.xml").read_bytes())
    assert not rss_feed.bozo, rss_feed.get("bozo_exception")
    assert not atom_feed.bozo, atom_feed.get("bozo_exception")
    assert rss_feed.version == "rss20" and atom_feed.version == "atom10"
    return rss_feed, atom_feed


PENALTY = make(
    20,
    title="菏泽市环境保护局行政处罚决定书（菏环罚字〔2018〕27号）",
    kind="penalty",
    body_html="<p>当事人刘某（身份证号 371702********3010，电话 138****1234）……</p>",
    body_text="当事人刘某（身份证号 371702********3010，电话 138****1234）……",
    credit={"type": "penalty", "证件号码": "371702198005123010"},
    credit_public={"type": "penalty", "证件号码": "371702********3010"},
)


def test_both_feeds_parse_with_chinese_text_and_aware_dates(tmp_path):
    channel = channel_for(tmp_path)
    notice = make(2, title="关于2018年度市级财政专项扶贫资金项目计划安排情况的公告")
    items = [make(1), notice, PENALTY]
    for item in items:
        channel.publish(item, context())
    channel.finish_run()  # the feeds are written once per run
    rss_feed, atom_feed = feeds(tmp_path)

    for feed in (rss_feed, atom_feed):
        assert feed.feed.title == "政府信息公开"
        assert [e.title for e in feed.entries] == [i.title for i in reversed(items)]  # newest first
        for entry, item in zip(feed.entries, reversed(items), strict=True):
            assert entry.id == entry_guid(item.index_no)
            assert entry.link == f"{PUBLIC}/xxgk/{item.index_no}.html"
            assert entry.summary == item.summary
            assert item.body_html in [c.value for c in entry.content]
            assert calendar.timegm(entry.published_parsed) == item.published_at.timestamp()
            if feed is atom_feed:  # RSS 2.0 items have no updated date
                assert calendar.timegm(entry.updated_parsed) == item.published_at.timestamp()
    # The dates carry their offset: +0800 in RSS, +08:00 in Atom.
    assert rss_feed.entries[0].published.endswith("+0800")
    assert atom_feed.entries[0].published.endswith("+08:00")
    assert atom_feed.entries[0].updated.endswith("+08:00")
    assert rss_feed.entries[0].author == "菏泽市环境保护局"  # dc:creator
    assert atom_feed.entries[0].author == "菏泽市环境保护局"
    assert "371702198005123010" not in (tmp_path / "public/feed.xml").read_text(encoding="utf-8")
    assert "371702198005123010" not in (tmp_path / "public/atom.xml").read_text(encoding="utf-8")


def test_entries_are_capped_at_max_entries(tmp_path):
    channel = channel_for(tmp_path, max_entries=5)
    items = [make(n) for n in range(1, 9)]
    for item in items:
        channel.publish(item, context())
    channel.finish_run()  # the feeds are written once per run
    rss_feed, atom_feed = feeds(tmp_path)
    newest = [entry_guid(i.index_no) for i in sorted(items, key=lambda i: i.published_at)[-5:]]
    for feed in (rss_feed, atom_feed):
        assert [e.id for e in feed.entries] == list(reversed(newest))


def test_guid_is_stable_across_versions(tmp_path):
    channel = channel_for(tmp_path)
    v1 = make(3)
    channel.publish(v1, context())
    channel.finish_run()
    before = feeds(tmp_path)
    v2 = v1.model_copy(update={
        "version": 2, "title": v1.title + "（更正）", "content_sha256": "e" * 64,
        "published_at": v1.published_at + timedelta(days=2),
    })
    channel.publish(v2, context())
    channel.finish_run()
    after = feeds(tmp_path)

    for old, new in zip(before, after, strict=True):
        assert len(new.entries) == 1  # replaced, not appended
        assert new.entries[0].id == old.entries[0].id == entry_guid(v1.index_no)
        assert new.entries[0].title.endswith("（更正）")
        assert calendar.timegm(new.entries[0].published_parsed) == v2.published_at.timestamp()
    assert calendar.timegm(after[1].entries[0].updated_parsed) == v2.published_at.timestamp()
    raw = (tmp_path / "public/feed.xml").read_text(encoding="utf-8")
    assert f'<guid isPermaLink="false">{entry_guid(v1.index_no)}</guid>' in raw


def test_feeds_are_rebuilt_from_the_store(tmp_path):
    earlier = [make(1), make(2)]
    (tmp_path / "public").mkdir()
    (tmp_path / "public/feed.xml").write_text("<rss>stale</rss>", encoding="utf-8")
    channel = channel_for(tmp_path, Store(earlier))
    channel.publish(make(3), context())
    channel.finish_run()
    rss_feed, _ = feeds(tmp_path)
    assert [e.id for e in rss_feed.entries] == [entry_guid(make(n).index_no) for n in (3, 2, 1)]

    # A later process: the store lists only what was recorded as published.
    later = channel_for(tmp_path, Store([make(1), make(3)]))
    later.finish_run()
    rss_feed, atom_feed = feeds(tmp_path)
    assert [e.id for e in atom_feed.entries] == [entry_guid(make(n).index_no) for n in (3, 1)]


def test_self_link_and_one_link_per_atom_entry(tmp_path):
    channel = channel_for(tmp_path)
    channel.publish(make(1), context())
    channel.finish_run()
    rss_feed, atom_feed = feeds(tmp_path)
    # RSS <channel><link> is the site, not the feed itself (self added before alternate).
    assert rss_feed.feed.link == f"{PUBLIC}/"
    assert {"rel": "self", "href": f"{PUBLIC}/feed.xml"}.items() <= next(
        link for link in rss_feed.feed.links if link.rel == "self"
    ).items()
    assert next(link for link in atom_feed.feed.links if link.rel == "self").href == (
        f"{PUBLIC}/atom.xml"
    )
    tree = etree.parse(str(tmp_path / "public/atom.xml"))
    for entry in tree.iter(f"{ATOM}entry"):
        assert len(entry.findall(f"{ATOM}link")) == 1


def test_checkpoint_is_in_both_feeds(tmp_path):
    channel = channel_for(tmp_path)
    channel.publish(make(1), context())
    channel.finish_run()
    rss_feed, atom_feed = feeds(tmp_path)
    assert rss_feed.feed.hub_checkpoint == CHECKPOINT.rstrip("\n")
    assert atom_feed.feed.hub_checkpoint == CHECKPOINT.rstrip("\n")
    for name in ("feed.xml", "atom.xml"):
        [element] = etree.parse(str(tmp_path / "public" / name)).iter(f"{{{HUB_NS}}}checkpoint")
        assert element.text == CHECKPOINT


def test_no_checkpoint_yet_means_no_element(tmp_path):
    channel = channel_for(tmp_path, checkpoint="")
    channel.publish(make(1), context())
    channel.finish_run()
    assert "checkpoint" not in (tmp_path / "public/feed.xml").read_text(encoding="utf-8")
    feeds(tmp_path)


def test_control_characters_are_stripped(tmp_path):
    item = make(
        1,
        title="关于\x01空气\x0b质量的\x1f通报",
        summary="摘要\x08内容",
        body_html="<p>正文\x00含\x0c控制字符\ufffe</p>",
        department="菏泽市\x07环境保护局",
    )
    channel = channel_for(tmp_path)
    channel.publish(item, context())
    channel.finish_run()
    rss_feed, atom_feed = feeds(tmp_path)
    assert rss_feed.entries[0].title == atom_feed.entries[0].title == "关于空气质量的通报"


def test_concurrent_publications_end_with_every_entry(tmp_path):
    channel = channel_for(tmp_path, max_entries=200)
    items = [make(n) for n in range(1, 61)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(lambda i: channel.publish(i, context()), items))
    channel.finish_run()
    rss_feed, atom_feed = feeds(tmp_path)
    assert len(rss_feed.entries) == len(atom_feed.entries) == 60
    assert not [p for p in (tmp_path / "public").iterdir() if p.name.endswith(".tmp")]


def test_publish_result_and_payload_hash(tmp_path):
    channel = channel_for(tmp_path, output_dir="feeds", max_entries=1)
    ctx = context()
    result = channel.publish(make(5), ctx)
    assert result.remote_id == entry_guid(make(5).index_no)
    assert result.url == f"{PUBLIC}/feed.xml"
    assert ctx.payload_sha256 and len(ctx.payload_sha256) == 64
    channel.finish_run()
    assert (tmp_path / "feeds/feed.xml").exists()
    # An older item beyond the newest max_entries is published but not listed: say so.
    late = channel.publish(make(1), context())
    assert late.note and "1" in late.note
    assert channel.resend_safe and channel.check(HttpClient()) == []


def test_unchanged_feed_is_not_rewritten(tmp_path):
    channel = channel_for(tmp_path)
    channel.publish(make(1), context())
    channel.finish_run()
    path = tmp_path / "public/feed.xml"
    inode = path.stat().st_ino
    channel.finish_run()
    assert path.stat().st_ino == inode  # byte-identical rebuild leaves the file alone


def test_registers_through_the_hook():
    registered = []
    rss.register_channels(registered.append)
    assert registered == [RssChannel]
    assert RssChannel.plugin_name == "rss"


# --- escaping for the reader: text never becomes markup --------------------------------------
PAYLOAD = "<img src=x onerror=alert(1)>"
#: Elements that carry HTML on purpose (the sanitized body) or machine text (the checkpoint).
_HTML_ELEMENTS = {"content", "encoded", "checkpoint"}


def hostile_feeds(tmp_path):
    channel = channel_for(tmp_path, title="订阅" + PAYLOAD, description="说明" + PAYLOAD)
    item = make(
        1,
        title=f"关于{PAYLOAD}的公告 A&B “引号” <b>粗</b> &amp;",
        summary=f"概述{PAYLOAD}，&lt;script&gt; 与 A&B。",
        department="菏泽市" + PAYLOAD + "局",
        topics=("主题" + PAYLOAD, "A&B"),
    )
    channel.publish(item, context())
    channel.finish_run()
    return item, feeds(tmp_path)


def _no_markup(value: str) -> bool:
    """True if ``value``, parsed as HTML, is text only: not one element."""
    return len(lxml.html.fragment_fromstring(value or "", create_parent="div")) == 0


def test_raw_xml_of_both_feeds_carries_no_markup_outside_the_body(tmp_path):
    hostile_feeds(tmp_path)
    for name in ("feed.xml", "atom.xml"):
        root = etree.parse(str(tmp_path / "public" / name)).getroot()
        assert "onerror" in (tmp_path / "public" / name).read_text(encoding="utf-8")
        for element in root.iter("*"):
            local = etree.QName(element).localname
            if local in _HTML_ELEMENTS:
                continue
            # What the XML holds once read: no "<" that an HTML reader would take as a tag.
            assert "<" not in (element.text or ""), (name, local, element.text)
            for attr, value in element.attrib.items():
                assert "<" not in value, (name, local, attr, value)


def test_atom_title_and_summary_are_typed_html(tmp_path):
    hostile_feeds(tmp_path)
    root = etree.parse(str(tmp_path / "public" / "atom.xml")).getroot()
    entry = root.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").get("type") == "html"
    assert entry.find(f"{ATOM}summary").get("type") == "html"
    assert entry.find(f"{ATOM}content").get("type") == "html"


def test_feedparser_shows_the_payload_as_text_in_both_feeds(tmp_path):
    item, (rss_feed, atom_feed) = hostile_feeds(tmp_path)
    for feed in (rss_feed, atom_feed):
        entry = feed.entries[0]
        for detail, original in ((entry.title_detail, item.title),
                                 (entry.summary_detail, item.summary)):
            assert detail.type == "text/html"
            assert "<img" not in detail.value and "&lt;img" in detail.value
            assert _no_markup(detail.value)
            # A reader rendering the HTML shows exactly the text of the item.
            assert html.unescape(detail.value) == original
        # No HTML form: the markup characters are full-width, whatever the reader does.
        assert entry.author == "菏泽市＜img src=x onerror=alert(1)＞局"
        terms = [t.term for t in entry.tags]
        assert "主题＜img src=x onerror=alert(1)＞" in terms and "A＆B" in terms
        assert all("<" not in t and "&" not in t for t in terms)
        assert "<" not in feed.feed.title and "＜img" in feed.feed.title
    assert "<" not in rss_feed.feed.description


def test_plain_chinese_text_is_unchanged(tmp_path):
    channel = channel_for(tmp_path)
    item = make(3, title="关于2018年度（第一批）“双随机”抽查结果的公示",
                summary="公布抽查结果：合格率98%。")
    channel.publish(item, context())
    channel.finish_run()
    for feed in feeds(tmp_path):
        assert feed.entries[0].title == item.title
        assert feed.entries[0].summary == item.summary
