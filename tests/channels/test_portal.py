"""portal channel: static site (pages, links, catalogue, search index) and the CMS protocol."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
from pydantic import SecretStr

from heze_hub.delivery.http import HttpClient
from heze_hub.items.model import Attachment
from heze_hub.plugin import DeliveryContext, HubInfo, NormalizedItem, PermanentError, TransientError
from heze_hub.portal.published import PublishedSet
from heze_hub_plugins import portal
from heze_hub_plugins.portal import ARTICLE_FIELDS, PortalChannel, PortalSettings
from tests.channels.support import TZ

ORG = "12371700MB28581232"
PUBLIC = "https://www.heze.gov.cn"
TOKEN = "tok-5f3a9c-very-secret"
CHECKPOINT = (
    "heze.gov.cn/hub\n7\nq1Yx0xvZ0fC9Yp9+HRzvqz1QbVnE0P2sYt0xZxgwb8Y=\n\n"
    "— heze.gov.cn/hub Az3xYw==\n"
)
ID_NUMBER = "11010519491231002X"  # a valid ID number (GB 11643 example)
ID_MASKED = "110105********002X"


# -- items ------------------------------------------------------------------------------------


def make(serial: int, version: int = 1, **fields) -> NormalizedItem:
    """A normalized item as the core would hand it to a channel."""
    data = dict(
        index_no=f"{ORG}/2018-{serial:05d}",
        version=version,
        published_at=datetime(2018, 10, 8, 9, 30, tzinfo=TZ) + timedelta(minutes=serial),
        content_sha256=hashlib.sha256(f"{serial}:{version}".encode()).hexdigest(),
        title=f"菏泽市2018年第{serial}号公开信息",
        department="菏泽市人民政府办公室",
        written_on=date(2018, 9, 28),
        kind="notice",
        category="execution",
        topics=("政务公开",),
        summary="公开事项的内容概述。",
        body_html="<p>正文第一段。</p>",
        body_text="正文第一段。",
    )
    data.update(fields)
    return NormalizedItem(**data)


POLICY = make(
    2,
    title="菏泽市人民政府关于印发菏泽市乡村振兴战略规划（2018—2022年）的通知",
    department="菏泽市人民政府",
    doc_number="菏政发〔2018〕15号",
    written_on=date(2018, 9, 28),
    published_at=datetime(2018, 9, 30, 10, 0, tzinfo=TZ),
    kind="policy",
    category="decision",
    topics=("乡村振兴", "三农"),
    summary="印发全市乡村振兴战略规划，明确总体要求和主要任务。",
    body_html="<p>各县区人民政府：</p><h2>一、总体要求</h2><p>坚持农业农村优先发展……</p>",
    body_text="各县区人民政府： 一、总体要求 坚持农业农村优先发展……",
)
INTERPRETATION = make(
    3,
    title="《菏泽市乡村振兴战略规划（2018—2022年）》政策解读",
    department="菏泽市农业局",
    written_on=date(2018, 9, 30),
    published_at=datetime(2018, 9, 30, 10, 5, tzinfo=TZ),
    kind="interpretation",
    category="decision",
    topics=("乡村振兴", "三农"),
    interprets="菏政发〔2018〕15号",
    summary="从编制背景、主要目标、重点任务和保障措施四个方面解读规划。",
)
ANNOUNCEMENT = make(
    1,
    title="关于2018年度市级财政专项扶贫资金项目计划安排情况的公告",
    department="菏泽市扶贫开发领导小组办公室",
    doc_number="菏扶贫办字〔2018〕9号",
    written_on=date(2018, 6, 4),
    published_at=datetime(2018, 6, 5, 9, 0, tzinfo=TZ),
    kind="announcement",
    category="result",
    topics=("精准扶贫", "财政预决算"),
    posting_days=10,
)
PENALTY = make(
    4,
    title="菏泽市环境保护局行政处罚决定书（菏环罚字〔2018〕28号）",
    department="菏泽市环境保护局",
    doc_number="菏环罚字〔2018〕28号",
    kind="penalty",
    category="result",
    topics=("环境保护",),
    body_html=f"<p>当事人张某（身份证号 {ID_MASKED}）违规焚烧垃圾。</p>",
    body_text=f"当事人张某（身份证号 {ID_MASKED}）违规焚烧垃圾。",
    credit={
        "type": "penalty", "行政相对人名称": "张某", "行政相对人类别": "自然人",
        "证件类型": "身份证", "证件号码": ID_NUMBER, "处罚类别": "罚款",
        "罚款金额（万元）": 0.2, "处罚决定日期": "2018-08-06",
    },
    credit_public={
        "type": "penalty", "行政相对人名称": "张某", "行政相对人类别": "自然人",
        "证件类型": "身份证", "证件号码": ID_MASKED, "处罚类别": "罚款",
        "罚款金额（万元）": 0.2, "处罚决定日期": "2018-08-06",
    },
)


# -- harness ----------------------------------------------------------------------------------


class Store:
    """The store as a channel sees it: published items, newest first."""

    def __init__(self, items=()):
        self.items = list(items)
        self.calls = 0

    def __call__(self, channel: str) -> list[NormalizedItem]:
        assert channel == "portal"
        self.calls += 1
        return sorted(self.items, key=lambda i: i.published_at, reverse=True)


def hub_info(tmp_path: Path, store: Store | None = None, checkpoint: str = CHECKPOINT) -> HubInfo:
    return HubInfo(
        public_url=PUBLIC,
        state_dir=tmp_path / ".hub",
        config_dir=tmp_path,
        org_code=ORG,
        published_items=store or Store(),
        latest_checkpoint=lambda: checkpoint,
    )


def context(key: str = "k", http: HttpClient | None = None) -> DeliveryContext:
    state: dict = {}
    return DeliveryContext(
        idempotency_key=key, attempt=1, state=state, save_state=state.update,
        http=http or HttpClient(),
    )


def static_channel(tmp_path: Path, store: Store | None = None, **settings) -> PortalChannel:
    return PortalChannel("portal", PortalSettings(**settings), hub_info(tmp_path, store))


def site(tmp_path: Path) -> Path:
    return tmp_path / "public"


def page_of(tmp_path: Path, item: NormalizedItem) -> str:
    return (site(tmp_path) / f"xxgk/{item.index_no}.html").read_text(encoding="utf-8")


class _Html(HTMLParser):
    """Collects the metadata table (th → td text) and every link (href, text)."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self._in_meta = False
        self._cell: str | None = None
        self._text = ""
        self._key: str | None = None
        self._href: str | None = None
        self._link_text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("class") == "meta":
            self._in_meta = True
        if self._in_meta and tag in ("th", "td"):
            self._cell, self._text = tag, ""
        if tag == "a":
            self._href, self._link_text = attrs.get("href"), ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_meta = False
        if self._in_meta and tag == self._cell:
            if tag == "th":
                self._key = self._text.strip()
            elif self._key:
                self.meta[self._key] = self._text.strip()
            self._cell = None
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._link_text))
            self._href = None

    def handle_data(self, data):
        if self._cell:
            self._text += data
        if self._href is not None:
            self._link_text += data


def parse(text: str) -> _Html:
    parser = _Html()
    parser.feed(text)
    return parser


def resolve(from_file: str, href: str) -> str:
    """Site path a relative link on page ``from_file`` points at."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(from_file), href))


def page_path(item: NormalizedItem) -> str:
    return f"xxgk/{item.index_no}.html"


def links_to(tmp_path: Path, source: NormalizedItem, target: NormalizedItem) -> bool:
    links = parse(page_of(tmp_path, source)).links
    return any(resolve(page_path(source), href) == page_path(target) for href, _ in links)


def no_temp_files(root: Path) -> bool:
    return not [p for p in root.rglob("*") if p.name.endswith(".tmp")]


# =============================================================================================
# static mode
# =============================================================================================


def test_page_has_the_metadata_header(tmp_path):
    channel = static_channel(tmp_path)
    ctx = context()
    result = channel.publish(POLICY, ctx)

    assert result.url == f"{PUBLIC}/xxgk/{ORG}/2018-00002.html"
    page = page_of(tmp_path, POLICY)
    meta = parse(page).meta
    assert meta["索引号"] == POLICY.index_no
    assert meta["主题分类"] == "乡村振兴、三农"
    assert meta["发布机构"] == "菏泽市人民政府"
    assert meta["成文日期"] == "2018-09-28"
    assert meta["文号"] == "菏政发〔2018〕15号"
    assert meta["发布日期"] == "2018-09-30 10:00"
    assert meta["标题"] == POLICY.title
    assert meta["体裁"] == "政策文件"
    assert meta["公开类别"] == "决策公开"
    assert "坚持农业农村优先发展" in page
    assert '<meta name="ArticleTitle" content="菏泽市人民政府关于印发' in page
    assert ctx.payload_sha256 == hashlib.sha256(page.encode("utf-8")).hexdigest()


def test_json_per_item_is_the_public_form(tmp_path):
    channel = static_channel(tmp_path)
    channel.publish(PENALTY, context())
    channel.finish_run()  # the catalogue and the search index are written once per run

    raw = (site(tmp_path) / f"xxgk/{PENALTY.index_no}.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert ID_NUMBER not in raw
    assert "credit" not in data
    assert data["credit_public"]["证件号码"] == ID_MASKED
    assert data["url"] == f"{PUBLIC}/xxgk/{PENALTY.index_no}.html"
    assert data["index_no"] == PENALTY.index_no and data["content_sha256"] == PENALTY.content_sha256

    page = page_of(tmp_path, PENALTY)
    assert ID_NUMBER not in page
    assert ID_MASKED in page  # the masked 双公示 record is shown
    assert "双公示信息（行政处罚）" in page
    index = (site(tmp_path) / "search-index.json").read_text(encoding="utf-8")
    assert ID_NUMBER not in index


@pytest.mark.parametrize("order", ["policy first", "interpretation first"])
def test_policy_and_interpretation_link_both_ways(tmp_path, order):
    channel = static_channel(tmp_path)
    first, second = (
        (POLICY, INTERPRETATION) if order == "policy first" else (INTERPRETATION, POLICY)
    )
    channel.publish(first, context())
    if first is INTERPRETATION:
        assert "菏政发〔2018〕15号（尚未在本网站发布）" in page_of(tmp_path, INTERPRETATION)
    channel.publish(second, context())

    # Publishing the second re-renders the first: both pages link to each other.
    assert links_to(tmp_path, INTERPRETATION, POLICY)
    assert links_to(tmp_path, POLICY, INTERPRETATION)
    assert "政策解读" in page_of(tmp_path, POLICY)
    assert "尚未在本网站发布" not in page_of(tmp_path, INTERPRETATION)


def test_interpretation_by_index_no_and_policy_from_the_store(tmp_path):
    # The policy was published in an earlier run: the store lists it, this process did not.
    channel = static_channel(tmp_path, Store([POLICY]))
    channel.publish(POLICY, context())  # its page exists on disk from that run
    later = static_channel(tmp_path, Store([POLICY]))
    interpretation = INTERPRETATION.model_copy(update={"interprets": POLICY.index_no})
    later.publish(interpretation, context())

    assert links_to(tmp_path, interpretation, POLICY)
    assert links_to(tmp_path, POLICY, interpretation)


def test_announcement_shows_its_posting_period(tmp_path):
    static_channel(tmp_path).publish(ANNOUNCEMENT, context())
    page = page_of(tmp_path, ANNOUNCEMENT)
    text = re.sub(r"<[^>]+>", "", page)  # dates sit in no-wrap spans
    assert "公示期：2018-06-05 至 2018-06-14（10天，自发布之日起计算）" in text
    assert '<span class="nw">2018-06-05</span>' in page


def test_attachments_are_copied_beside_the_page(tmp_path):
    source = tmp_path / "incoming" / "计划表.xlsx"
    source.parent.mkdir()
    source.write_bytes(b"PK\x03\x04 spreadsheet bytes")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    item = ANNOUNCEMENT.model_copy(update={"attachments": (
        Attachment(title="项目计划安排表", name="计划表.xlsx", source=str(source),
                   sha256=digest, size=source.stat().st_size),
    )})
    static_channel(tmp_path).publish(item, context())

    copied = site(tmp_path) / f"xxgk/{item.index_no}/计划表.xlsx"
    assert copied.read_bytes() == source.read_bytes()
    page = page_of(tmp_path, item)
    assert "项目计划安排表" in page and digest in page and "字节" in page
    hrefs = [h for h, text in parse(page).links if text == "项目计划安排表"]
    assert [resolve(page_path(item), unquote(h)) for h in hrefs] == [
        f"xxgk/{item.index_no}/计划表.xlsx"
    ]


def test_a_changed_attachment_is_refused(tmp_path):
    source = tmp_path / "a.pdf"
    source.write_bytes(b"%PDF-1.7 changed after normalization")
    item = ANNOUNCEMENT.model_copy(update={"attachments": (
        Attachment(title="附件", name="a.pdf", source=str(source), sha256="0" * 64, size=3),
    )})
    with pytest.raises(PermanentError, match="SHA-256"):
        static_channel(tmp_path).publish(item, context())
    assert no_temp_files(tmp_path)


def test_titles_and_bodies_are_escaped(tmp_path):
    evil = make(
        9,
        title='<script>alert("x")</script>关于<b>加强</b>管理的通知',
        department="菏泽市<img src=x onerror=alert(1)>局",
        topics=('"><script>alert(2)</script>',),
        body_html='<p onclick="alert(3)">正文</p><script>alert(4)</script>',
    )
    channel = static_channel(tmp_path)
    channel.publish(evil, context())
    channel.finish_run()

    pages = [p for p in site(tmp_path).rglob("*.html") if p.name != "search.html"]
    assert len(pages) > 3
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
        assert "onclick" not in text, path
    page = page_of(tmp_path, evil)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;关于&lt;b&gt;加强&lt;/b&gt;" in page
    assert parse(page).meta["标题"] == evil.title


def test_new_version_replaces_the_page_atomically(tmp_path):
    channel = static_channel(tmp_path)
    channel.publish(POLICY, context())
    path = site(tmp_path) / f"xxgk/{POLICY.index_no}.html"
    inode = path.stat().st_ino
    with path.open(encoding="utf-8") as reader:  # someone reading the old version
        v2 = POLICY.model_copy(update={
            "version": 2, "title": POLICY.title + "（修订）", "content_sha256": "f" * 64,
            "published_at": POLICY.published_at + timedelta(days=3),
        })
        channel.publish(v2, context())
        assert "（修订）" not in reader.read()  # the reader keeps a whole old file
    channel.finish_run()

    assert path.stat().st_ino != inode  # replaced by rename, not rewritten in place
    page = path.read_text(encoding="utf-8")
    assert "（修订）" in page and "第 2 版" in page
    catalogue = (site(tmp_path) / "xxgk/index.html").read_text(encoding="utf-8")
    rows = [h for h, _ in parse(catalogue).links
            if resolve("xxgk/index.html", h) == page_path(POLICY)]
    assert len(rows) == 1 and "（修订）" in catalogue
    data = json.loads((site(tmp_path) / "search-index.json").read_text(encoding="utf-8"))
    assert [e["version"] for e in data["items"]] == [2]
    assert no_temp_files(site(tmp_path))


def test_a_late_older_version_does_not_roll_the_page_back(tmp_path):
    v2 = POLICY.model_copy(update={"version": 2, "title": "修订后", "content_sha256": "d" * 64})
    channel = static_channel(tmp_path, Store([v2]))
    result = channel.publish(POLICY, context())
    assert result.note and "第 2 版" in result.note
    assert not (site(tmp_path) / page_path(POLICY)).exists()


def test_catalogue_pages_list_items_by_category_topic_and_department(tmp_path):
    channel = static_channel(tmp_path)
    for item in (ANNOUNCEMENT, POLICY, INTERPRETATION, PENALTY):
        channel.publish(item, context())
    channel.finish_run()
    root = site(tmp_path)

    def listed(path: str) -> set[str]:
        text = (root / path).read_text(encoding="utf-8")
        return {resolve(path, h) for h, _ in parse(text).links}

    decision = listed("xxgk/category/decision.html")
    assert {page_path(POLICY), page_path(INTERPRETATION)} <= decision
    assert page_path(PENALTY) not in decision
    assert page_path(PENALTY) in listed("xxgk/category/result.html")
    assert (root / "xxgk/category/service.html").exists()  # every 五公开 category has a page

    overview = (root / "xxgk/index.html").read_text(encoding="utf-8")
    labels = ("决策公开", "结果公开", "乡村振兴", "精准扶贫", "菏泽市农业局", "菏泽市环境保护局")
    assert all(label in overview for label in labels)
    topic_pages = [
        resolve("xxgk/index.html", h) for h, t in parse(overview).links if t == "乡村振兴"
    ]
    assert {page_path(POLICY), page_path(INTERPRETATION)} <= listed(topic_pages[0])
    dept_pages = [resolve("xxgk/index.html", h) for h, t in parse(overview).links
                  if t == "菏泽市扶贫开发领导小组办公室"]
    assert listed(dept_pages[0]) & {page_path(i) for i in (POLICY, PENALTY, ANNOUNCEMENT)} == {
        page_path(ANNOUNCEMENT)
    }
    home = (root / "index.html").read_text(encoding="utf-8")
    assert all(i.title in home for i in (ANNOUNCEMENT, POLICY, INTERPRETATION, PENALTY))


def test_search_index(tmp_path):
    channel = static_channel(tmp_path)
    for item in (ANNOUNCEMENT, POLICY, PENALTY):
        channel.publish(item, context())
    channel.finish_run()
    data = json.loads((site(tmp_path) / "search-index.json").read_text(encoding="utf-8"))

    assert data["count"] == 3
    entry = next(e for e in data["items"] if e["index_no"] == POLICY.index_no)
    assert entry["title"] == POLICY.title
    assert entry["department"] == "菏泽市人民政府"
    assert entry["doc_number"] == "菏政发〔2018〕15号"
    assert entry["topics"] == ["乡村振兴", "三农"]
    assert entry["kind"] == "policy"
    assert entry["written_on"] == "2018-09-28"
    assert entry["published_at"] == "2018-09-30T10:00:00+08:00"
    assert entry["url"] == f"{PUBLIC}/xxgk/{POLICY.index_no}.html"
    assert entry["snippet"].startswith("各县区人民政府")
    assert "农业农村优先发展" in entry["text"]
    # newest first, as the catalogue
    assert data["items"][0]["index_no"] == PENALTY.index_no
    assert (site(tmp_path) / "search.html").exists()


def test_catalogue_includes_the_store_and_this_process(tmp_path):
    store = Store([ANNOUNCEMENT, POLICY])  # published in earlier runs
    channel = static_channel(tmp_path, store)
    channel.publish(PENALTY, context())
    channel.finish_run()
    data = json.loads((site(tmp_path) / "search-index.json").read_text(encoding="utf-8"))
    assert {e["index_no"] for e in data["items"]} == {
        ANNOUNCEMENT.index_no, POLICY.index_no, PENALTY.index_no
    }


def test_a_topic_no_item_has_any_more_loses_its_page(tmp_path):
    channel = static_channel(tmp_path)
    channel.publish(PENALTY, context())
    channel.finish_run()
    topic_dir = site(tmp_path) / "xxgk/topic"
    before = {p.name for p in topic_dir.iterdir()}
    channel.publish(PENALTY.model_copy(update={"version": 2, "topics": ("生态环境",)}), context())
    channel.finish_run()
    after = {p.name for p in topic_dir.iterdir()}
    assert len(before) == len(after) == 1 and before != after


def test_concurrent_publications_end_with_the_whole_catalogue(tmp_path):
    store = Store()
    channel = static_channel(tmp_path, store)
    items = [make(100 + n, topics=(f"主题{n % 7}",), department=f"部门{n % 5}") for n in range(100)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: channel.publish(i, context(i.index_no)), items))

    assert len(results) == 100
    root = site(tmp_path)
    assert all((root / page_path(i)).exists() for i in items)  # each publish() wrote its page
    assert not (root / "search-index.json").exists()  # the catalogue waits for the run's end
    channel.finish_run()
    data = json.loads((root / "search-index.json").read_text(encoding="utf-8"))
    assert data["count"] == 100
    overview = (root / "xxgk/index.html").read_text(encoding="utf-8")
    assert "已主动公开政府信息 100 条" in overview
    listed = sum(
        (root / "xxgk/category/execution.html").read_text(encoding="utf-8").count(i.title)
        for i in items
    )
    assert listed == 100
    assert all((root / page_path(i)).exists() for i in items)
    assert no_temp_files(root)


def test_rebuilds_are_coalesced():
    builds: list[int] = []
    release = threading.Event()

    def build(items, dirty):
        builds.append(len(items))
        if len(builds) == 1:
            release.wait(5)

    set_ = PublishedSet(lambda _for_rebuild: [], build)
    first = threading.Thread(target=lambda: set_.rebuild(set_.add(make(1))))
    first.start()
    while not builds:
        time.sleep(0.001)
    others = [
        threading.Thread(target=lambda n=n: set_.rebuild(set_.add(make(n)))) for n in range(2, 12)
    ]
    for t in others:
        t.start()
    deadline = time.monotonic() + 5
    while set_._added < 11 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for t in [first, *others]:
        t.join(5)
    # The first rebuild saw one item; the next one covered all ten waiting publications.
    assert builds == [1, 11]


def test_finish_run_publishes_the_checkpoint(tmp_path):
    channel = static_channel(tmp_path)
    channel.publish(POLICY, context())
    channel.finish_run()
    assert (site(tmp_path) / "checkpoint").read_text(encoding="utf-8") == CHECKPOINT
    overview = (site(tmp_path) / "xxgk/index.html").read_text(encoding="utf-8")
    assert "q1Yx0xvZ0fC9Yp9+HRzvqz1QbVnE0P2sYt0xZxgwb8Y=" in overview
    assert "— heze.gov.cn/hub Az3xYw==" in overview


def test_finish_run_without_anything_published_writes_nothing(tmp_path):
    static_channel(tmp_path).finish_run()
    assert not site(tmp_path).exists()


def test_relative_and_absolute_output_dir(tmp_path):
    channel = static_channel(tmp_path, output_dir="www/site")
    channel.publish(POLICY, context())
    assert (tmp_path / "www/site" / page_path(POLICY)).exists()
    elsewhere = tmp_path / "abs"
    static_channel(tmp_path, output_dir=str(elsewhere)).publish(POLICY, context())
    assert (elsewhere / page_path(POLICY)).exists()


def test_an_index_no_cannot_escape_the_site(tmp_path):
    with pytest.raises(PermanentError):
        static_channel(tmp_path).publish(make(1, index_no="../../etc/2018-00001"), context())


def test_static_mode_needs_no_token_and_checks_its_folder(tmp_path):
    channel = static_channel(tmp_path)
    assert channel.configuration_problems() == []
    assert channel.check(HttpClient()) == []
    assert channel.resend_safe
    rendered = channel.render(POLICY)
    assert rendered["mode"] == "static" and POLICY.title in rendered["html"]


def test_registers_through_the_hook():
    registered = []
    portal.register_channels(registered.append)
    assert registered == [PortalChannel]
    assert PortalChannel.plugin_name == "portal" and PortalChannel.title == "政府门户网站"


# =============================================================================================
# http mode, against a CMS on 127.0.0.1
# =============================================================================================


class FakeCms:
    """A tiny portal CMS: records every request, answers from a script."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict, bytes]] = []
        self.delay = 0.0
        cms = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                cms.requests.append({
                    "method": self.command, "path": self.path,
                    "headers": dict(self.headers.items()), "body": body,
                })
                time.sleep(cms.delay)
                status, headers, data = (
                    cms.answers.pop(0) if cms.answers else (201, {}, b'{"id":"a-1","url":"u"}')
                )
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def answer(self, status: int, body: dict | str, **headers: str) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.answers.append((status, {k.replace("_", "-"): v for k, v in headers.items()}, data))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cms():
    server = FakeCms()
    try:
        yield server
    finally:
        server.close()


def http_channel(tmp_path: Path, api_base: str, token: str | None = TOKEN, **kw) -> PortalChannel:
    settings = PortalSettings(
        mode="http", api_base=api_base, token=SecretStr(token) if token else None, **kw
    )
    return PortalChannel("portal", settings, hub_info(tmp_path))


def test_http_sends_the_article_with_its_headers(tmp_path, cms):
    cms.answer(201, {"id": "art-1001", "url": "https://cms.heze.gov.cn/art/1001.html"})
    channel = http_channel(tmp_path, cms.url + "/")
    ctx = context("12371700MB28581232/2018-00002:1:portal")
    item = POLICY.model_copy(update={"attachments": (
        Attachment(title="规划全文", name="规划.pdf", source="/secret/path/规划.pdf",
                   sha256="a" * 64, size=1234),
    )})
    result = channel.publish(item, ctx)

    assert result.remote_id == "art-1001"
    assert result.url == "https://cms.heze.gov.cn/art/1001.html"
    assert not result.already_published
    [req] = cms.requests
    assert req["method"] == "POST" and req["path"] == "/api/articles"
    assert req["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert req["headers"]["Idempotency-Key"] == "12371700MB28581232/2018-00002:1:portal"
    assert req["headers"]["Content-Type"].startswith("application/json")
    assert "charset=utf-8" in req["headers"]["Content-Type"]
    body = json.loads(req["body"].decode("utf-8"))
    assert set(body) == set(ARTICLE_FIELDS)
    assert body == {
        "index_no": item.index_no, "version": 1, "title": item.title,
        "department": "菏泽市人民政府", "doc_number": "菏政发〔2018〕15号",
        "written_on": "2018-09-28", "published_at": "2018-09-30T10:00:00+08:00",
        "category": "decision", "topics": ["乡村振兴", "三农"], "kind": "policy",
        "summary": item.summary, "body_html": item.body_html,
        "content_sha256": item.content_sha256, "interprets": None,
        "attachments": [
            {"title": "规划全文", "name": "规划.pdf", "sha256": "a" * 64, "size": 1234}
        ],
    }
    assert "乡村振兴".encode() in req["body"]  # UTF-8, not \u escapes
    assert ctx.payload_sha256 == hashlib.sha256(req["body"]).hexdigest()
    assert channel.render(item) == body


def test_http_200_means_the_cms_had_the_key(tmp_path, cms):
    cms.answer(200, {"id": "art-1001", "url": "https://cms.heze.gov.cn/art/1001.html"})
    result = http_channel(tmp_path, cms.url).publish(POLICY, context())
    assert result.remote_id == "art-1001" and result.already_published


def test_http_same_key_on_every_attempt(tmp_path, cms):
    cms.answer(503, {"error": "busy"})
    cms.answer(201, {"id": "x", "url": "y"})
    channel = http_channel(tmp_path, cms.url)
    ctx = context("IDX:1:portal")
    with pytest.raises(TransientError):
        channel.publish(POLICY, ctx)
    channel.publish(POLICY, ctx)
    assert [r["headers"]["Idempotency-Key"] for r in cms.requests] == ["IDX:1:portal"] * 2
    assert cms.requests[0]["body"] == cms.requests[1]["body"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_http_4xx_is_permanent(tmp_path, cms, status):
    cms.answer(status, {"error": f"标题不合规（{status}）"})
    with pytest.raises(PermanentError) as err:
        http_channel(tmp_path, cms.url).publish(POLICY, context())
    assert f"标题不合规（{status}）" in str(err.value)
    assert f"HTTP {status}" in str(err.value)
    assert TOKEN not in str(err.value)


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [(500, None, None), (502, "3", 3.0), (503, "7", 7.0), (429, "120", 120.0),
     (408, None, None), (425, "1", 1.0)],
)
def test_http_transient_statuses(tmp_path, cms, status, retry_after, expected):
    headers = {"Retry_After": retry_after} if retry_after else {}
    cms.answer(status, {"error": "稍后再试"}, **headers)
    with pytest.raises(TransientError) as err:
        http_channel(tmp_path, cms.url).publish(POLICY, context())
    assert err.value.retry_after == expected
    assert "稍后再试" in str(err.value)


def test_http_retry_after_as_http_date(tmp_path, cms):
    when = datetime.now(UTC) + timedelta(seconds=90)
    cms.answer(429, {"error": "rate limited"}, Retry_After=format_datetime(when, usegmt=True))
    with pytest.raises(TransientError) as err:
        http_channel(tmp_path, cms.url).publish(POLICY, context())
    assert 80 <= err.value.retry_after <= 91


def test_http_connection_refused_is_transient(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransientError) as err:
        http_channel(tmp_path, f"http://127.0.0.1:{port}").publish(POLICY, context())
    assert TOKEN not in str(err.value)


def test_http_timeout_is_transient(tmp_path, cms):
    cms.delay = 1.0
    with pytest.raises(TransientError) as err:
        http_channel(tmp_path, cms.url, timeout=0.2).publish(POLICY, context())
    assert TOKEN not in str(err.value)


def test_http_token_never_in_a_message(tmp_path, cms):
    cms.answer(401, {"error": f"invalid token Bearer {TOKEN}"})  # a CMS echoing the header
    cms.answer(500, f"trace: Authorization: Bearer {TOKEN}")
    channel = http_channel(tmp_path, cms.url)
    messages = []
    for _ in range(2):
        with pytest.raises((PermanentError, TransientError)) as err:
            channel.publish(POLICY, context())
        messages.append(str(err.value))
    assert all(TOKEN not in m for m in messages)
    assert "***" in messages[0]
    assert TOKEN not in repr(channel.settings) and TOKEN not in str(channel.render(POLICY))


def test_http_needs_a_token_and_an_api_base(tmp_path, cms):
    channel = http_channel(tmp_path, cms.url, token=None)
    problems = channel.configuration_problems()
    assert any("HUB_CHANNELS__PORTAL__TOKEN" in p for p in problems)
    with pytest.raises(PermanentError):
        channel.publish(POLICY, context())
    assert cms.requests == []
    bare = PortalChannel("portal", PortalSettings(mode="http", token=SecretStr(TOKEN)),
                         hub_info(tmp_path))
    assert any("api_base" in p for p in bare.configuration_problems())
    with pytest.raises(ValueError):
        PortalSettings(mode="http", api_base="ftp://cms")


def test_http_check_reaches_the_cms_without_publishing(tmp_path, cms):
    cms.answer(404, {"error": "no index"})  # any answer means reachable
    assert http_channel(tmp_path, cms.url).check(HttpClient()) == []
    assert [(r["method"], r["path"]) for r in cms.requests] == [("GET", "/")]

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    problems = http_channel(tmp_path, f"http://127.0.0.1:{port}").check(HttpClient())
    assert problems and "无法连接" in problems[0] and TOKEN not in problems[0]
    assert http_channel(tmp_path, cms.url, token=None).check(HttpClient())


def test_http_against_the_sandbox_cms(tmp_path):
    """The same protocol against the project's sandbox CMS, when it is installed."""
    sandbox = pytest.importorskip("heze_hub.sandbox")
    service = sandbox.PortalCMSService(token=TOKEN)
    base = service.start()
    try:
        channel = http_channel(tmp_path, base)
        item = INTERPRETATION.model_copy(update={"interprets": POLICY.index_no})
        first = channel.publish(item, context("I:1:portal"))
        again = channel.publish(item, context("I:1:portal"))  # a resend after a lost answer
        assert first.remote_id and not first.already_published
        assert (again.remote_id, again.url) == (first.remote_id, first.url)
        assert again.already_published and service.created == 1

        service.add_fault(sandbox.Fault(path="/api/articles", times=1, status=503,
                                        headers={"Retry-After": "4"}))
        with pytest.raises(TransientError) as err:
            channel.publish(POLICY, context("P:1:portal"))
        assert err.value.retry_after == 4.0
        assert channel.publish(POLICY, context("P:1:portal")).remote_id

        with pytest.raises(PermanentError) as err:
            http_channel(tmp_path, base, token="wrong").publish(POLICY, context("P:2:portal"))
        assert "wrong" not in str(err.value)
    finally:
        service.stop()


def test_static_check_reports_an_unusable_folder(tmp_path):
    (tmp_path / "not-a-folder").write_text("x")
    channel = static_channel(tmp_path, output_dir="not-a-folder/public")
    [problem] = channel.check(HttpClient())
    assert "输出目录不可写" in problem
