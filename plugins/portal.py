"""portal (政府门户网站): the 信息公开 section of the government portal (DESIGN §5.1).

Two modes:

- ``static`` (the default) writes the site into ``output_dir``, which is served at
  ``public_url``: per item a page ``xxgk/{index_no}.html`` with the standard metadata header, a
  JSON file beside it and its attachments in ``xxgk/{index_no}/``; the 信息公开目录 by category
  (五公开), topic and department; ``search-index.json`` and ``search.html``; and ``checkpoint``,
  the latest signed checkpoint of the receipt log. Every file is written atomically. The
  catalogue is rebuilt from what the store says was published plus what this process published
  since, so it always shows what was actually published; concurrent rebuilds are coalesced.
- ``http`` sends the item to the portal's CMS: ``POST {api_base}/api/articles`` with a bearer
  token and the delivery's idempotency key; the CMS deduplicates by key, so resending is safe.

The module also holds the few helpers the file-writing channels share (``atomic_write``,
``PublishedSet``, ``retry_after_seconds``); ``rss`` imports them from here.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import posixpath
import re
import string
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import nh3
import requests
from pydantic import SecretStr, field_validator

from heze_hub import hookimpl
from heze_hub.canonical import sha256_hex
from heze_hub.channel import Channel, ChannelSettings, DeliveryContext, HubInfo, PublishResult
from heze_hub.errors import HubError, PermanentError, TransientError
from heze_hub.files import atomic_write, atomic_writer
from heze_hub.http import is_transient_status, retry_after_seconds
from heze_hub.model import CATEGORY_LABELS, KIND_LABELS, Attachment, NormalizedItem

TZ = ZoneInfo("Asia/Shanghai")

# =============================================================================================
# Shared helpers for channels that write files and rebuild them from the store
# =============================================================================================


def merge_latest(*sources: Iterable[NormalizedItem]) -> list[NormalizedItem]:
    """The latest version of each item in ``sources``, newest publication first."""
    latest: dict[str, NormalizedItem] = {}
    for source in sources:
        for item in source:
            old = latest.get(item.index_no)
            if old is None or item.version >= old.version:
                latest[item.index_no] = item
    return sorted(latest.values(), key=lambda i: (i.published_at, i.index_no), reverse=True)


class PublishedSet:
    """What a channel has published: the store's list plus this process's publications.

    The store lists an item only once the core has recorded its delivery, i.e. after
    ``publish()`` returned, so items published here are kept in memory until it catches up.

    ``rebuild(ticket)`` coalesces concurrent rebuilds: ``add()`` hands out increasing tickets,
    a rebuild includes every item added before it started, and a thread whose ticket an earlier
    rebuild already covered returns at once. A thousand concurrent publications therefore cause
    a handful of rebuilds, not a thousand.
    """

    def __init__(
        self,
        load_store: Callable[[], list[NormalizedItem]],
        build: Callable[[list[NormalizedItem], set[str]], None],
    ) -> None:
        self._load_store = load_store
        self._build = build
        self._lock = threading.Lock()  # guards the fields below
        self._build_lock = threading.Lock()  # one rebuild at a time
        self._local: dict[str, NormalizedItem] = {}
        self._store: list[NormalizedItem] | None = None
        self._dirty: set[str] = set()
        self._added = 0
        self._built = 0

    def add(self, item: NormalizedItem) -> int:
        """Record ``item`` as published by this process; return its rebuild ticket."""
        with self._lock:
            old = self._local.get(item.index_no)
            if old is None or item.version >= old.version:
                self._local[item.index_no] = item
            self._dirty.add(item.index_no)
            self._added += 1
            return self._added

    def known(self) -> list[NormalizedItem]:
        """Every published item as far as this process knows now (store read at most once)."""
        if self._store is None:
            store = self._load_store()
            with self._lock:
                if self._store is None:
                    self._store = store
        with self._lock:
            return merge_latest(self._store or [], self._local.values())

    def rebuild(self, ticket: int | None = None) -> bool:
        """Rebuild unless a rebuild that started after ``ticket`` was issued already ran.

        ``ticket=None`` forces a rebuild. The build callback receives the merged items and the
        index numbers added since the last successful rebuild. Returns whether it rebuilt.
        """
        with self._build_lock:
            if ticket is not None and self._built >= ticket:
                return False
            with self._lock:
                target = self._added
                dirty = set(self._dirty)
            store = self._load_store()
            with self._lock:
                self._store = store
                items = merge_latest(store, self._local.values())
            self._build(items, dirty)
            with self._lock:
                self._dirty -= dirty
            self._built = max(self._built, target)
            return True

    def forget_stored(self) -> None:
        """Drop local items the store now lists at the same or a newer version."""
        with self._lock:
            stored = {i.index_no: i.version for i in self._store or []}
            for index_no, item in list(self._local.items()):
                if stored.get(index_no, 0) >= item.version and index_no not in self._dirty:
                    del self._local[index_no]


def resolve_dir(configured: str, base: Path) -> Path:
    """``output_dir`` as configured; a relative path is relative to the config file's folder."""
    path = Path(configured).expanduser()
    return path if path.is_absolute() else base / path


# =============================================================================================
# Settings
# =============================================================================================


class PortalSettings(ChannelSettings):
    """``[channels.portal]``; the token comes from ``HUB_CHANNELS__PORTAL__TOKEN``."""

    mode: Literal["static", "http"] = "static"
    output_dir: str = "public"
    api_base: str | None = None
    token: SecretStr | None = None

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("api_base 必须是 http:// 或 https:// 开头的地址")
        return value


# Fields of the CMS article, exactly as DESIGN §5.1 lists them.
ARTICLE_FIELDS = (
    "index_no", "version", "title", "department", "doc_number", "written_on", "published_at",
    "category", "topics", "kind", "summary", "body_html", "content_sha256", "interprets",
    "attachments",
)

_INDEX_SEGMENT = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")


# =============================================================================================
# The channel
# =============================================================================================


class PortalChannel(Channel):
    """政府门户网站: static 信息公开 pages, or articles sent to the portal CMS."""

    plugin_name = "portal"
    title = "政府门户网站"
    settings_model = PortalSettings
    # Static: rewriting a page is harmless. HTTP: the CMS deduplicates by Idempotency-Key.
    resend_safe = True

    settings: PortalSettings

    def __init__(self, name: str, settings: ChannelSettings, hub: HubInfo) -> None:
        super().__init__(name, settings, hub)
        self._page_lock = threading.Lock()  # item pages: write + register atomically
        self._rows: dict[tuple[str, str, int, str], str] = {}  # catalogue rows, by rebuild
        self._locks_guard = threading.Lock()
        self._item_locks: dict[str, threading.Lock] = {}
        self._published = PublishedSet(
            lambda: list(self.hub.published_items(self.name)), self._rebuild_site
        )

    @property
    def output_dir(self) -> Path:
        return resolve_dir(self.settings.output_dir, Path(self.hub.config_dir))

    # -- render --------------------------------------------------------------------------------
    def render(self, item: NormalizedItem) -> Any:
        """HTTP: the exact article JSON. Static: the page and the files it would write."""
        if self.settings.mode == "http":
            return self.article(item)
        page = item_page_path(item.index_no)
        return {
            "mode": "static",
            "output_dir": str(self.output_dir),
            "url": self.hub.item_url(item.index_no),
            "files": [page, item_json_path(item.index_no)]
            + [f"{attachment_dir(item.index_no)}/{n}" for n, _ in _attachment_names(item)],
            "html": self._render_item_page(item, self._published.known()).decode("utf-8"),
        }

    def article(self, item: NormalizedItem) -> dict[str, Any]:
        """The CMS article: the public fields of §5.1, nothing else."""
        public = item.public_dict()
        return {key: public.get(key) for key in ARTICLE_FIELDS}

    # -- publish -------------------------------------------------------------------------------
    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        """Publish one item version: write its pages (static) or POST it to the CMS (http)."""
        if self.settings.mode == "http":
            return self._publish_http(item, ctx)
        return self._publish_static(item, ctx)

    def finish_run(self) -> None:
        """Make sure the catalogue, search index and checkpoint show the final state."""
        if self.settings.mode != "static":
            return
        try:
            self._published.rebuild()
        except OSError as exc:
            raise HubError(f"门户网站目录重建失败（{self.output_dir}）：{exc}") from exc
        self._published.forget_stored()

    # -- health --------------------------------------------------------------------------------
    def configuration_problems(self) -> list[str]:
        """The token and the CMS address are needed in http mode only."""
        if self.settings.mode == "static":
            return []
        problems = super().configuration_problems()
        if not self.settings.api_base:
            problems.append("http 模式缺少 api_base（门户网站内容管理系统接口地址）")
        return problems

    def check(self, session: requests.Session) -> list[str]:
        """Static: the output folder is writable. HTTP: configured and the CMS answers."""
        problems = self.configuration_problems()
        if self.settings.mode == "static":
            target = self.output_dir
            existing = next((p for p in (target, *target.parents) if p.exists()), None)
            if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK):
                problems.append(f"输出目录不可写：{target}")
            return problems
        if problems:
            return problems
        url = f"{self.settings.api_base.rstrip('/')}/"
        try:
            session.get(url, timeout=self.settings.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            problems.append(f"无法连接门户网站接口 {url}：{self._scrub(_describe(exc))}")
        return problems

    # =========================================================================================
    # http mode
    # =========================================================================================
    def _publish_http(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        problems = self.configuration_problems()
        if problems:
            raise PermanentError("；".join(problems))
        body = json.dumps(self.article(item), ensure_ascii=False, separators=(",", ":"))
        data = body.encode("utf-8")
        ctx.payload_sha256 = sha256_hex(data)
        url = f"{self.settings.api_base.rstrip('/')}/api/articles"
        headers = {
            "Authorization": f"Bearer {self.settings.token.get_secret_value()}",
            "Idempotency-Key": ctx.idempotency_key,
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
        }
        try:
            # A redirected POST would silently become a GET; treat a redirect as misconfiguration.
            resp = ctx.session.post(
                url, data=data, headers=headers, timeout=self.settings.timeout,
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(
                f"无法连接门户网站接口 {url}：{self._scrub(_describe(exc))}"
            ) from None
        except requests.RequestException as exc:
            raise PermanentError(
                f"门户网站接口请求失败 {url}：{self._scrub(_describe(exc))}"
            ) from None

        status = resp.status_code
        if 200 <= status < 300:
            answer = _json_or_none(resp)
            if not isinstance(answer, dict):
                answer = {}
            remote_id = answer.get("id")
            return PublishResult(
                remote_id=None if remote_id is None else str(remote_id),
                url=answer.get("url") or None,
                already_published=status == 200,
                note="门户网站已处理过该幂等键，返回原文章" if status == 200 else None,
            )
        error = self._scrub(_error_text(resp))
        if is_transient_status(status):
            raise TransientError(
                f"门户网站接口暂时不可用（HTTP {status}）：{error}",
                retry_after=retry_after_seconds(resp.headers.get("Retry-After")),
            )
        if 300 <= status < 400:
            raise PermanentError(
                f"门户网站接口返回重定向（HTTP {status}），请检查 api_base：{error}"
            )
        raise PermanentError(f"门户网站拒绝了该文章（HTTP {status}）：{error}")

    def _scrub(self, text: str) -> str:
        """Never let the token reach a message, a log or a receipt."""
        token = self.settings.token.get_secret_value() if self.settings.token else ""
        return text.replace(token, "***") if token else text

    # =========================================================================================
    # static mode
    # =========================================================================================
    def _publish_static(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        root = self.output_dir
        page_path = root / _checked_page_path(item.index_no)
        result = PublishResult(remote_id=item.index_no, url=self.hub.item_url(item.index_no))
        try:
            # One item's versions one at a time (attachments included); different items freely.
            with self._item_lock(item.index_no):
                newer = self._newer_version(item)
                if newer is not None:
                    # A late retry of an old version must not roll the public page back.
                    result.note = f"门户网站已发布更新的第 {newer} 版，未用旧版本覆盖"
                    return result
                self._copy_attachments(item, root)
                with self._page_lock:
                    # Rendering, writing and registering together: a rebuild re-rendering this
                    # page for a related item always sees the version written last.
                    page = self._render_item_page(item, self._published.known())
                    atomic_write(root / item_json_path(item.index_no), self._item_json(item))
                    atomic_write(page_path, page)
                    ticket = self._published.add(item)
        except HubError:
            raise
        except Exception as exc:  # the disk, or the store read for cross links
            raise TransientError(f"写入门户网站页面失败（{page_path}）：{_describe(exc)}") from exc
        ctx.payload_sha256 = sha256_hex(page)
        try:
            self._published.rebuild(ticket)
        except Exception as exc:  # the store or the disk; the page itself is in place
            raise TransientError(f"门户网站目录重建失败：{_describe(exc)}") from exc
        return result

    def _item_lock(self, index_no: str) -> threading.Lock:
        with self._locks_guard:
            return self._item_locks.setdefault(index_no, threading.Lock())

    def _newer_version(self, item: NormalizedItem) -> int | None:
        """The version number if a newer version of ``item`` is already published."""
        for known in self._published.known():
            if known.index_no == item.index_no:
                return known.version if known.version > item.version else None
        return None

    def _copy_attachments(self, item: NormalizedItem, root: Path) -> None:
        """Copy attachments beside the page, checking each against its normalized SHA-256."""
        folder = root / attachment_dir(item.index_no)
        names = _attachment_names(item)
        for name, attachment in names:
            _copy_checked(attachment, folder / name)
        # Files of an earlier version that this version no longer has.
        if folder.is_dir():
            keep = {name for name, _ in names}
            for stale in folder.iterdir():
                if stale.is_file() and stale.name not in keep and not stale.name.startswith("."):
                    stale.unlink(missing_ok=True)

    def _item_json(self, item: NormalizedItem) -> bytes:
        # public_dict() never holds ``credit`` (unmasked); credit_public is the masked record.
        data = {**item.public_dict(), "url": self.hub.item_url(item.index_no)}
        return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()

    # -- the coalesced rebuild -----------------------------------------------------------------
    def _rebuild_site(self, items: list[NormalizedItem], dirty: set[str]) -> None:
        """Re-render pages whose cross links changed, then the catalogue and search index."""
        root = self.output_dir
        if not items and not root.exists():
            return
        with self._page_lock:
            known = self._published.known()
            by_no = {i.index_no: i for i in known}
            for index_no in _related(known, dirty):
                item = by_no.get(index_no)
                if item is not None and (root / item_page_path(index_no)).exists():
                    atomic_write(
                        root / item_page_path(index_no),
                        self._render_item_page(item, known),
                        only_if_changed=True,
                    )
        checkpoint = self.hub.latest_checkpoint() or ""
        site = Site(root, self.hub.item_url, checkpoint, self._rows)
        site.write_catalogue(items)
        self._rows = site.rows_used

    def _render_item_page(self, item: NormalizedItem, known: list[NormalizedItem]) -> bytes:
        return render_item_page(item, known).encode("utf-8")


# =============================================================================================
# Site layout
# =============================================================================================


def item_page_path(index_no: str) -> str:
    """Path of an item's page under the site root; it matches ``HubInfo.item_url``."""
    return f"xxgk/{index_no}.html"


def item_json_path(index_no: str) -> str:
    return f"xxgk/{index_no}.json"


def attachment_dir(index_no: str) -> str:
    return f"xxgk/{index_no}"


def _checked_page_path(index_no: str) -> str:
    """The page path, refusing an index number that could escape the site folder."""
    segments = index_no.split("/")
    if not all(_INDEX_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments):
        raise PermanentError(f"索引号不能用作页面路径：{index_no!r}")
    return item_page_path(index_no)


def _slug(name: str) -> str:
    """An ASCII file name for a topic or department, stable across runs."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


GROUPS = {
    "category": "公开类别",
    "topic": "主题分类",
    "department": "发布机构",
}


def group_page_path(kind: str, key: str) -> str:
    """Catalogue page of one category (its key), topic or department (its name)."""
    return f"xxgk/{kind}/{key if kind == 'category' else _slug(key)}.html"


def _attachment_names(item: NormalizedItem) -> list[tuple[str, Attachment]]:
    """Safe, unique file names for the attachments of ``item``."""
    used: set[str] = set()
    names = []
    for n, attachment in enumerate(item.attachments, start=1):
        name = PurePosixPath(attachment.name.replace("\\", "/")).name.strip()
        if not name or name.startswith("."):
            name = f"attachment-{n}{name}"
        if name in used:
            name = f"{n}-{name}"
        used.add(name)
        names.append((name, attachment))
    return names


def _copy_checked(attachment: Attachment, dest: Path) -> None:
    """Copy one attachment atomically, verifying its SHA-256; skip if already in place."""
    if (
        dest.is_file()
        and dest.stat().st_size == attachment.size
        and _file_sha256(dest) == attachment.sha256
    ):
        return
    src = Path(attachment.source)
    digest = hashlib.sha256()
    with atomic_writer(dest) as out:
        try:
            with src.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
        except FileNotFoundError:
            raise PermanentError(f"附件《{attachment.title}》的源文件不存在：{src}") from None
        if digest.hexdigest() != attachment.sha256:
            raise PermanentError(
                f"附件《{attachment.title}》（{src}）在规范化之后被改动过：SHA-256 不符"
            )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- policy ⇄ interpretation ------------------------------------------------------------------


def policy_of(item: NormalizedItem, known: Iterable[NormalizedItem]) -> NormalizedItem | None:
    """The item an interpretation explains: ``interprets`` is an index_no or a doc number."""
    if not item.interprets:
        return None
    matches = [
        k for k in known
        if k.index_no != item.index_no
        and item.interprets in (k.index_no, k.doc_number)
    ]
    # An exact index number wins; among doc-number matches prefer a policy document.
    matches.sort(key=lambda k: (k.index_no != item.interprets, k.kind != "policy"))
    return matches[0] if matches else None


def interpretations_of(
    item: NormalizedItem, known: Iterable[NormalizedItem]
) -> list[NormalizedItem]:
    """Interpretations naming ``item`` by index number or document number, oldest first."""
    keys = {item.index_no, item.doc_number} - {None}
    found = [k for k in known if k.interprets in keys and k.index_no != item.index_no]
    return sorted(found, key=lambda k: (k.published_at, k.index_no))


def _related(known: list[NormalizedItem], dirty: set[str]) -> set[str]:
    """Pages to re-render after ``dirty`` items were published: each and its partners."""
    pages = set(dirty)
    for item in known:
        if item.index_no not in dirty:
            continue
        policy = policy_of(item, known)
        if policy is not None:
            pages.add(policy.index_no)
        pages.update(i.index_no for i in interpretations_of(item, known))
    return pages


# =============================================================================================
# HTML
# =============================================================================================

_BASE = string.Template(
    resources.files("heze_hub").joinpath("templates/base.html").read_text(encoding="utf-8")
)


def _template(name: str) -> str:
    return resources.files("heze_hub").joinpath(f"templates/{name}").read_text(encoding="utf-8")


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def href(from_page: str, to_path: str) -> str:
    """Relative, percent-encoded link between two site paths, so the site works anywhere.

    Always via the site root (``../../xxgk/…``): a link then depends only on the depth of the
    page it is on, which lets catalogue rows be rendered once and reused.
    """
    return esc(quote("../" * from_page.count("/") + to_path, safe="/"))


def local_time(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=TZ)).astimezone(TZ)


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value).date()
    return value.isoformat()


def fmt_datetime(value: datetime) -> str:
    return local_time(value).strftime("%Y-%m-%d %H:%M")


def fmt_size(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def posting_period(item: NormalizedItem) -> tuple[date, date] | None:
    """公示期 of an announcement: from its publication day, ``posting_days`` calendar days."""
    if item.kind != "announcement" or not item.posting_days:
        return None
    start = local_time(item.published_at).date()
    return start, start + timedelta(days=item.posting_days - 1)


def page(path: str, title: str, content: str, footer: str = "", head: str = "") -> str:
    """A whole page at site path ``path``."""
    return _BASE.substitute(
        title=esc(title),
        css_href=href(path, "assets/site.css"),
        home_href=href(path, "index.html"),
        catalogue_href=href(path, "xxgk/index.html"),
        search_href=href(path, "search.html"),
        head=head,
        content=content,
        footer=footer or "<p>本网站信息由政务公开发布平台自动生成。</p>",
    )


def _link_item(from_page: str, item: NormalizedItem) -> str:
    return f'<a href="{href(from_page, item_page_path(item.index_no))}">{esc(item.title)}</a>'


def render_item_page(item: NormalizedItem, known: list[NormalizedItem]) -> str:
    """The page a person reads: metadata header, body, attachments, related items."""
    path = item_page_path(item.index_no)
    topics = "、".join(
        f'<a href="{href(path, group_page_path("topic", t))}">{esc(t)}</a>' for t in item.topics
    ) or "—"
    department = (
        f'<a href="{href(path, group_page_path("department", item.department))}">'
        f"{esc(item.department)}</a>"
    )
    category_label = CATEGORY_LABELS.get(item.category, item.category)
    category = (
        f'<a href="{href(path, group_page_path("category", item.category))}">'
        f"{esc(category_label)}</a>"
    )
    parts = [
        f'<nav class="crumbs"><a href="{href(path, "index.html")}">首页</a> › '
        f'<a href="{href(path, "xxgk/index.html")}">信息公开目录</a> › {category}</nav>',
        '<table class="meta">',
        f"<tr><th>索引号</th><td>{esc(item.index_no)}</td><th>主题分类</th><td>{topics}</td></tr>",
        f"<tr><th>发布机构</th><td>{department}</td>"
        f"<th>成文日期</th><td>{esc(fmt_date(item.written_on))}</td></tr>",
        f"<tr><th>文号</th><td>{esc(item.doc_number or '无')}</td>"
        f"<th>发布日期</th><td>{esc(fmt_datetime(item.published_at))}</td></tr>",
        f"<tr><th>体裁</th><td>{esc(KIND_LABELS.get(item.kind, item.kind))}</td>"
        f"<th>公开类别</th><td>{category}</td></tr>",
        f'<tr><th>标题</th><td colspan="3">{esc(item.title)}</td></tr>',
        "</table>",
        f"<h1>{esc(item.title)}</h1>",
    ]
    if item.summary:
        parts.append(f'<p class="summary">内容概述：{esc(item.summary)}</p>')
    period = posting_period(item)
    if period:
        parts.append(
            f'<p class="posting">公示期：{fmt_date(period[0])} 至 {fmt_date(period[1])}'
            f"（{item.posting_days}天）</p>"
        )
    if item.interprets:
        policy = policy_of(item, known)
        target = (
            f"{_link_item(path, policy)}"
            + (f"（{esc(policy.doc_number)}）" if policy.doc_number else "")
            if policy
            else f"{esc(item.interprets)}（尚未在本网站发布）"
        )
        parts.append(
            f'<section class="interprets"><h2>解读的政策文件</h2><p>{target}</p></section>'
        )
    # The core sanitized body_html already; cleaning again costs little on a public page.
    parts.append(f'<div class="body">{nh3.clean(item.body_html)}</div>')
    if item.credit_public:
        label = KIND_LABELS.get(str(item.credit_public.get("type")), "")
        rows = "".join(
            f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
            for k, v in item.credit_public.items()
            if k != "type" and v not in (None, "")
        )
        parts.append(
            f'<section class="credit"><h2>双公示信息{"（" + esc(label) + "）" if label else ""}'
            f"</h2><table>{rows}</table></section>"
        )
    if item.attachments:
        rows = "".join(
            f'<li><a href="{href(path, attachment_dir(item.index_no) + "/" + name)}">'
            f"{esc(a.title)}</a>（{esc(name)}，{esc(fmt_size(a.size))}）"
            f'<br><span class="hash">SHA-256：{esc(a.sha256)}</span></li>'
            for name, a in _attachment_names(item)
        )
        parts.append(f'<section class="attachments"><h2>附件</h2><ul>{rows}</ul></section>')
    interpretations = interpretations_of(item, known)
    if interpretations:
        rows = "".join(f"<li>{_link_item(path, i)}</li>" for i in interpretations)
        parts.append(f'<section class="interpretations"><h2>政策解读</h2><ul>{rows}</ul></section>')
    parts.append(
        f'<p class="version">第 {item.version} 版 · 内容 SHA-256：{esc(item.content_sha256)} · '
        f'<a href="{href(path, item_json_path(item.index_no))}">JSON</a></p>'
    )
    # The page metadata government websites carry for search engines and site audits.
    head = "\n".join(
        f'<meta name="{name}" content="{esc(value)}">'
        for name, value in (
            ("ColumnName", "政府信息公开"),
            ("ArticleTitle", item.title),
            ("PubDate", fmt_datetime(item.published_at)),
            ("ContentSource", item.department),
            ("Keywords", ",".join(item.topics)),
            ("Description", item.summary),
        )
    )
    return page(path, item.title, "\n".join(parts), head=head)


class Site:
    """The catalogue side of the static site: rebuilt as a whole from the published items."""

    def __init__(
        self,
        root: Path,
        item_url: Callable[[str], str],
        checkpoint: str,
        rows: dict[tuple[str, str, int, str], str] | None = None,
    ) -> None:
        self.root = root
        self.item_url = item_url
        self.checkpoint = checkpoint
        # Rows rendered by the previous rebuild; a rebuild re-renders only new versions.
        self.rows = rows or {}
        self.rows_used: dict[tuple[str, str, int, str], str] = {}

    def write(self, path: str, text: str | bytes) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        atomic_write(self.root / path, data, only_if_changed=True)

    def write_catalogue(self, items: list[NormalizedItem]) -> None:
        """目录 pages by category, topic and department, the index pages, search and checkpoint."""
        self.write("assets/site.css", _template("site.css"))
        groups = self.groups(items)
        for kind, members in groups.items():
            written = set()
            for key, group_items in members.items():
                path = group_page_path(kind, key)
                written.add(posixpath.basename(path))
                label = CATEGORY_LABELS.get(key, key) if kind == "category" else key
                self.write(path, self.list_page(path, f"{GROUPS[kind]}：{label}", group_items))
            self._remove_stale(self.root / "xxgk" / kind, written)
        self.write("index.html", self.overview("index.html", items, groups))
        self.write("xxgk/index.html", self.overview("xxgk/index.html", items, groups))
        search = page("search.html", "政府信息检索", _template("search_body.html"))
        self.write("search.html", search)
        self.write("search-index.json", self.search_index(items))
        if self.checkpoint:
            self.write("checkpoint", self.checkpoint)

    @staticmethod
    def groups(items: list[NormalizedItem]) -> dict[str, dict[str, list[NormalizedItem]]]:
        out: dict[str, dict[str, list[NormalizedItem]]] = {k: {} for k in GROUPS}
        for key in CATEGORY_LABELS:
            out["category"][key] = []
        for item in items:  # already newest first
            out["category"].setdefault(item.category, []).append(item)
            for topic in item.topics:
                out["topic"].setdefault(topic, []).append(item)
            out["department"].setdefault(item.department, []).append(item)
        return out

    @staticmethod
    def _remove_stale(folder: Path, keep: set[str]) -> None:
        """Catalogue pages of a topic or department no published item has any more."""
        if folder.is_dir():
            for old in folder.glob("*.html"):
                if old.name not in keep:
                    old.unlink(missing_ok=True)

    def footer(self, path: str) -> str:
        """The latest signed checkpoint, so anyone who saw it can later catch a rollback."""
        if not self.checkpoint:
            return "<p>本网站信息由政务公开发布平台自动生成。</p>"
        return (
            "<p>发布回执日志检查点（C2SP tlog-checkpoint 签名文本，用于核验发布回执；"
            f'另见 <a href="{href(path, "checkpoint")}">checkpoint</a> 文件）：</p>'
            f"<pre>{esc(self.checkpoint)}</pre>"
        )

    def table(self, path: str, items: list[NormalizedItem]) -> str:
        if not items:
            return "<p>暂无信息。</p>"
        rows = "".join(self.row(path, i) for i in items)
        return (
            '<table class="list"><tr><th>索引号</th><th>标题</th><th>发布机构</th><th>文号</th>'
            f"<th>成文日期</th><th>发布日期</th></tr>{rows}</table>"
        )

    def row(self, path: str, i: NormalizedItem) -> str:
        key = (path.count("/") * "../", i.index_no, i.version, i.content_sha256)
        row = self.rows.get(key) or self.rows_used.get(key)
        if row is None:
            row = (
                f"<tr><td>{esc(i.index_no)}</td><td>{_link_item(path, i)}</td>"
                f"<td>{esc(i.department)}</td><td>{esc(i.doc_number or '')}</td>"
                f"<td>{esc(fmt_date(i.written_on))}</td>"
                f"<td>{esc(fmt_date(i.published_at))}</td></tr>"
            )
        self.rows_used[key] = row
        return row

    def list_page(self, path: str, title: str, items: list[NormalizedItem]) -> str:
        content = (
            f'<nav class="crumbs"><a href="{href(path, "index.html")}">首页</a> › '
            f'<a href="{href(path, "xxgk/index.html")}">信息公开目录</a></nav>'
            f"<h1>{esc(title)}</h1><p>共 {len(items)} 条</p>{self.table(path, items)}"
        )
        return page(path, title, content, self.footer(path))

    def overview(self, path: str, items: list[NormalizedItem], groups: dict[str, Any]) -> str:
        def group_list(kind: str, ordered: list[str]) -> str:
            entries = "".join(
                f'<li><a href="{href(path, group_page_path(kind, key))}">'
                f"{esc(CATEGORY_LABELS.get(key, key) if kind == 'category' else key)}</a>"
                f"（{len(groups[kind][key])}）</li>"
                for key in ordered
            )
            return f'<h2>按{GROUPS[kind]}</h2><ul class="groups">{entries}</ul>'

        def by_size(kind: str) -> list[str]:
            return sorted(groups[kind], key=lambda k: (-len(groups[kind][k]), k))

        content = "\n".join([
            "<h1>信息公开目录</h1>",
            f"<p>已主动公开政府信息 {len(items)} 条。"
            f'<a href="{href(path, "search.html")}">检索</a> · '
            f'<a href="{href(path, "search-index.json")}">检索索引（JSON）</a></p>',
            group_list("category", list(CATEGORY_LABELS)),
            group_list("topic", by_size("topic")),
            group_list("department", by_size("department")),
            "<h2>最新公开</h2>",
            self.table(path, items[:30]),
        ])
        return page(path, "信息公开目录", content, self.footer(path))

    def search_index(self, items: list[NormalizedItem]) -> bytes:
        """What the search page (or anyone) needs to find an item without a server."""
        entries = []
        for i in items:
            body = re.sub(r"\s+", " ", i.body_text).strip()
            text = " ".join(
                [i.title, i.index_no, i.doc_number or "", i.department, " ".join(i.topics),
                 KIND_LABELS.get(i.kind, ""), CATEGORY_LABELS.get(i.category, ""), i.summary,
                 body[:1000]]
            )
            entries.append({
                "index_no": i.index_no,
                "title": i.title,
                "department": i.department,
                "doc_number": i.doc_number,
                "topics": list(i.topics),
                "kind": i.kind,
                "kind_label": KIND_LABELS.get(i.kind, i.kind),
                "category": i.category,
                "category_label": CATEGORY_LABELS.get(i.category, i.category),
                "written_on": i.written_on.isoformat(),
                "published_at": local_time(i.published_at).isoformat(),
                "version": i.version,
                "url": self.item_url(i.index_no),
                "path": item_page_path(i.index_no),
                "summary": i.summary,
                "snippet": body[:120],
                "text": text.lower(),
            })
        data = {"count": len(entries), "items": entries}
        return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


# =============================================================================================
# Small helpers
# =============================================================================================


def _json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _error_text(resp: requests.Response) -> str:
    answer = _json_or_none(resp)
    if isinstance(answer, dict) and answer.get("error"):
        return str(answer["error"])[:500]
    text = (resp.text or "").strip()
    return text[:200] if text else (resp.reason or "")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


@hookimpl
def register_channels(register: Callable[[type[Channel]], None]) -> None:
    register(PortalChannel)
