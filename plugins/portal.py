"""portal (政府门户网站): the 信息公开 section of the government portal (DESIGN §5.1).

Two modes:

- ``static`` (the default) writes the site into ``output_dir``, which is served at
  ``public_url``: per item a page ``xxgk/{index_no}.html`` with the standard metadata header, a
  JSON file beside it and its attachments in ``xxgk/{index_no}/``; the 信息公开目录 by category
  (五公开), topic and department; ``search-index.json`` and ``search.html``; and ``checkpoint``,
  the latest signed checkpoint of the receipt log. Every file is written atomically. The
  catalogue is rebuilt from what the store says was published plus what this process published
  since, so it always shows what was actually published; concurrent rebuilds are coalesced.
  The pages and the catalogue themselves are rendered by :mod:`heze_hub.portal.pages` and
  :mod:`heze_hub.portal.site`; this module decides what is written when.
- ``http`` sends the item to the portal's CMS: ``POST {api_base}/api/articles`` with a bearer
  token and the delivery's idempotency key; the CMS deduplicates by key, so resending is safe.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr, field_validator

from heze_hub.plugin import (
    Channel,
    ChannelSettings,
    DeliveryContext,
    HttpClient,
    HubError,
    HubInfo,
    NormalizedItem,
    PermanentError,
    PublishedSet,
    PublishResult,
    Response,
    TransientError,
    TransportError,
    atomic_write,
    hookimpl,
    is_bad_url,
    is_transient_status,
    resolve_path,
    retry_after_seconds,
    sha256_hex,
    writable_dir_problem,
    write_failure,
)
from heze_hub.portal import drafts
from heze_hub.portal.listing import Listing, SearchSpool, search_entry, search_parts
from heze_hub.portal.pages import (
    Brand,
    attachment_dir,
    attachment_names,
    checked_page_path,
    interpretations_of,
    item_json_path,
    item_page_path,
    policy_of,
    render_item_page,
    set_brand,
)
from heze_hub.portal.site import Site, copy_attachments, item_json
from heze_hub_plugins.portal_withdraw import PortalLifecycle

# =============================================================================================
# Settings
# =============================================================================================


class PortalSettings(ChannelSettings):
    """``[channels.portal]``; the token comes from ``HUB_CHANNELS__PORTAL__TOKEN``."""

    mode: Literal["static", "http"] = "static"
    output_dir: str = "public"
    #: Link the RSS/Atom feeds from every page (the rss channel writes them beside the pages
    #: by default); false when they live elsewhere.
    feeds: bool = True
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


# =============================================================================================
# The channel
# =============================================================================================


class PortalChannel(PortalLifecycle, Channel):
    """政府门户网站: static 信息公开 pages, or articles sent to the portal CMS."""

    plugin_name = "portal"
    title = "政府门户网站"
    settings_model = PortalSettings
    # Static: rewriting a page is harmless. HTTP: the CMS deduplicates by Idempotency-Key.
    resend_safe = True
    # Static: the page becomes a notice; HTTP: DELETE, where 404 means already gone.
    can_withdraw = True

    settings: PortalSettings

    def __init__(self, name: str, settings: ChannelSettings, hub: HubInfo) -> None:
        super().__init__(name, settings, hub)
        set_brand(Brand(hub.org_name, hub.site_code, self.settings.feeds))
        self._page_lock = threading.Lock()  # item pages: write + register atomically
        self._rows: dict[tuple[str, str, int, str], str] = {}  # catalogue rows, by rebuild
        self._locks_guard = threading.Lock()
        self._item_locks: dict[str, threading.Lock] = {}
        # Compact listings of what was published (whole items only for this process's own).
        self._published = PublishedSet(self._load_listings, self._rebuild_site)
        self._spool: SearchSpool | None = None  # the search entries read by the rebuild

    @property
    def output_dir(self) -> Path:
        return resolve_path(self.settings.output_dir, self.hub.config_dir)

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
            + [f"{attachment_dir(item.index_no)}/{n}" for n, _ in attachment_names(item)],
            "html": self._render_item_page(item).decode("utf-8"),
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
            raise write_failure(f"门户网站目录重建失败（{self.output_dir}）", exc) from exc
        self._published.forget_stored()

    # -- health --------------------------------------------------------------------------------
    def configuration_problems(self) -> list[str]:
        """Static: the output folder must be writable. HTTP: the token and the CMS address."""
        if self.settings.mode == "static":
            problem = writable_dir_problem(self.output_dir)
            return [problem] if problem else []
        problems = super().configuration_problems()
        if not self.settings.api_base:
            problems.append("http 模式缺少 api_base（门户网站内容管理系统接口地址）")
        return problems

    def check(self, http: HttpClient) -> list[str]:
        """Static: the output folder is writable. HTTP: configured and the CMS answers."""
        problems = self.configuration_problems()
        if self.settings.mode == "static":
            return problems
        if problems:
            return problems
        url = f"{self.settings.api_base.rstrip('/')}/"
        try:
            http.get(url, timeout=self.settings.timeout)
        except TransportError as exc:
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
            # Redirects are not followed (a redirected POST would silently become a GET): a 3xx
            # answer is reported as misconfiguration below.
            resp = ctx.http.post(url, body=data, headers=headers, timeout=self.settings.timeout)
        except TransportError as exc:
            detail = self._scrub(_describe(exc))
            if is_bad_url(exc):
                raise PermanentError(f"门户网站接口请求失败 {url}：{detail}") from None
            raise TransientError(f"无法连接门户网站接口 {url}：{detail}") from None

        status = resp.status
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
        page_path = root / checked_page_path(item.index_no)
        result = PublishResult(remote_id=item.index_no, url=self.hub.item_url(item.index_no))
        try:
            # One item's versions one at a time (attachments included); different items freely.
            with self._item_lock(item.index_no):
                newer = self._newer_version(item)
                if newer is not None:
                    # A late retry of an old version must not roll the public page back.
                    result.note = f"门户网站已发布更新的第 {newer} 版，未用旧版本覆盖"
                    return result
                copy_attachments(item, root)
                with self._page_lock:
                    # Rendering, writing and registering together: a page re-rendered for a
                    # related item always sees the version written last.
                    page = self._render_item_page(item)
                    url = self.hub.item_url(item.index_no)
                    atomic_write(root / item_json_path(item.index_no), item_json(item, url))
                    atomic_write(page_path, page)
                    self._published.add(item)
                    self._rerender_partners(item)
        except HubError:
            raise
        except Exception as exc:  # the disk, or the store read for cross links
            raise write_failure(f"写入门户网站页面失败（{page_path}）", exc) from exc
        ctx.payload_sha256 = sha256_hex(page)
        # The catalogue, the search index and the checkpoint are rebuilt once, by finish_run:
        # rebuilding them per item made a batch cost the square of its size (issue 14).
        return result

    def _item_lock(self, index_no: str) -> threading.Lock:
        with self._locks_guard:
            return self._item_locks.setdefault(index_no, threading.Lock())

    def _newer_version(self, item: NormalizedItem) -> int | None:
        """The version number if a newer version of ``item`` is already published."""
        known = self._published.get(item.index_no)
        return known.version if known is not None and known.version > item.version else None

    def _rerender_partners(self, item: NormalizedItem) -> None:
        """Pages whose cross links ``item`` changes: its policy, its interpretations, its draft
        and the draft's other decisions and comment summaries, the items it repeals."""
        self._rerender(item, self._published.partners(item))

    def _rerender(self, item: NormalizedItem, partners: list[Any]) -> None:
        root = self.output_dir
        policy = policy_of(item, partners)
        pages = {policy.index_no} if policy else set()
        pages.update(i.index_no for i in interpretations_of(item, partners))
        pages.update(drafts.partners(item, partners))
        pages.update(item.repeals)  # their 已废止 mark links here (DESIGN §12)
        for index_no in sorted(pages):
            other = self._published.get(index_no)
            if other is None:
                continue
            path = root / item_page_path(other.index_no)
            if not path.exists():
                continue
            full = other if isinstance(other, NormalizedItem) else self.hub.stored_version(
                self.name, other.index_no, other.version)
            if full is not None:
                atomic_write(path, self._render_item_page(full), only_if_changed=True)

    # -- the coalesced rebuild -----------------------------------------------------------------
    def _load_listings(self, for_rebuild: bool) -> Iterator[Listing]:
        """The store's listings; for a rebuild with their search entries, set aside on disk."""
        if not for_rebuild:
            yield from self.hub.listings(self.name)
            return
        spool = SearchSpool()
        self._spool = spool
        for listing in self.hub.listings(self.name, True):
            if listing.search is not None:
                spool.put(listing.index_no, listing.version, listing.search)
                listing.search = None
            yield listing

    def _rebuild_site(self, items: list[NormalizedItem | Listing], _dirty: set[str]) -> None:
        """The catalogue, the search index and the checkpoint, from the merged entries."""
        spool, self._spool = self._spool, None
        try:
            root = self.output_dir
            if not items and not root.exists():
                return
            checkpoint = self.hub.latest_checkpoint() or ""
            site = Site(root, self.hub.item_url, checkpoint, self._rows)

            def entries() -> Iterator[str]:
                for entry in items:
                    if isinstance(entry, NormalizedItem):
                        parts = search_parts(entry)
                    elif entry.search is not None:
                        parts = entry.search
                    else:
                        assert spool is not None  # listings without one come from a rebuild
                        parts = spool.get(entry.index_no, entry.version)
                    yield search_entry(parts, self.hub.item_url(entry.index_no))

            site.write_catalogue(items, entries())
            self._rows = site.rows_used
        finally:
            if spool is not None:
                spool.close()

    def _render_item_page(self, item: NormalizedItem) -> bytes:
        return render_item_page(item, self._published.partners(item)).encode("utf-8")


# =============================================================================================
# Small helpers
# =============================================================================================


def _json_or_none(resp: Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _error_text(resp: Response) -> str:
    answer = _json_or_none(resp)
    if isinstance(answer, dict) and answer.get("error"):
        return str(answer["error"])[:500]
    text = resp.data.decode("utf-8", "replace").strip()
    return text[:200] if text else (resp.reason or "")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


@hookimpl
def register_channels(register: Callable[[type[Channel]], None]) -> None:
    register(PortalChannel)
