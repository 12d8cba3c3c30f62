"""Withdrawing from the portal (DESIGN §12).

- static: the item's page becomes a notice at the same URL (本信息已于…撤回, the reason), its
  JSON says it was withdrawn, its attachments go; the catalogue and search follow at the end
  of the run;
- http: ``DELETE {api_base}/api/articles/{id}``: 200 and 204 are withdrawn, 404 means the
  article is already gone (withdrawn as well); 429 and 5xx are worth another attempt, any other
  answer is a permanent failure.
"""

from __future__ import annotations

import json
import shutil
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from heze_hub.plugin import (
    DeliveryContext,
    HubError,
    NormalizedItem,
    PermanentError,
    PublishResult,
    TransientError,
    TransportError,
    Withdrawal,
    atomic_write,
    is_bad_url,
    is_transient_status,
    retry_after_seconds,
    sha256_hex,
    write_failure,
)
from heze_hub.portal.lifecycle import render_withdrawn_page
from heze_hub.portal.pages import (
    attachment_dir,
    checked_page_path,
    item_json_path,
    item_page_path,
)


def write_notice(root: Path, item: NormalizedItem, withdrawal: Withdrawal, url: str) -> bytes:
    """Replace the item's page and JSON by the withdrawal notice; return the page's bytes."""
    notice = render_withdrawn_page(item, withdrawal.reason, withdrawal.requested_at).encode()
    gone = {"index_no": item.index_no, "title": item.title, "withdrawn": True,
            "withdrawn_at": withdrawal.requested_at.isoformat(), "reason": withdrawal.reason,
            "url": url}
    atomic_write(root / checked_page_path(item.index_no), notice)
    atomic_write(root / item_json_path(item.index_no),
                 json.dumps(gone, ensure_ascii=False, indent=2) + "\n")
    shutil.rmtree(root / attachment_dir(item.index_no), ignore_errors=True)
    return notice


def delete_article(
    api_base: str, token: SecretStr, withdrawal: Withdrawal, ctx: DeliveryContext,
    timeout: float, scrub: Callable[[str], str],
) -> PublishResult:
    """Delete the CMS article the publication created; idempotent (404 = already gone)."""
    if not withdrawal.remote_id:
        raise PermanentError("发布时门户网站未返回文章编号，无法自动撤回；请人工撤下")
    article = urllib.parse.quote(withdrawal.remote_id, safe="")
    url = f"{api_base.rstrip('/')}/api/articles/{article}"
    headers = {"Authorization": f"Bearer {token.get_secret_value()}",
               "Idempotency-Key": ctx.idempotency_key, "Accept": "application/json"}
    try:
        resp = ctx.http.request("DELETE", url, headers=headers, timeout=timeout)
    except TransportError as exc:
        detail = scrub(f"{type(exc).__name__}: {exc}"[:300])
        if is_bad_url(exc):
            raise PermanentError(f"门户网站接口请求失败 {url}：{detail}") from None
        raise TransientError(f"无法连接门户网站接口 {url}：{detail}") from None
    done = PublishResult(remote_id=withdrawal.remote_id, url=withdrawal.url)
    if resp.status in (200, 204):
        return done
    if resp.status == 404:
        done.already_published = True
        done.note = "门户网站上该文章已不存在，按已撤回记录"
        return done
    error = scrub(resp.data.decode("utf-8", "replace").strip()[:200] or (resp.reason or ""))
    if is_transient_status(resp.status):
        raise TransientError(
            f"门户网站接口暂时不可用（HTTP {resp.status}）：{error}",
            retry_after=retry_after_seconds(resp.headers.get("Retry-After")),
        )
    raise PermanentError(f"门户网站拒绝撤回该文章（HTTP {resp.status}）：{error}")


class PortalLifecycle:
    """The portal channel's part in the life of an item: withdrawing and re-rendering. Mixed
    into :class:`heze_hub_plugins.portal.PortalChannel`, whose pages, locks and published set
    it uses."""

    settings: Any
    hub: Any
    output_dir: Path
    _page_lock: Any
    _published: Any
    _item_lock: Callable[[str], Any]
    _rerender: Callable[[NormalizedItem, list[Any]], None]
    _render_item_page: Callable[[NormalizedItem], bytes]
    _scrub: Callable[[str], str]
    configuration_problems: Callable[[], list[str]]

    def withdraw(
        self, item: NormalizedItem, withdrawal: Withdrawal, ctx: DeliveryContext
    ) -> PublishResult:
        """Static: the same URL shows a withdrawal notice; the item leaves catalogue and search
        when the run finishes. HTTP: ``DELETE {api_base}/api/articles/{remote_id}`` (200/204;
        404 = already gone)."""
        if self.settings.mode == "http":
            problems = self.configuration_problems()
            if problems:
                raise PermanentError("；".join(problems))
            return delete_article(self.settings.api_base, self.settings.token, withdrawal, ctx,
                                  self.settings.timeout, self._scrub)
        url = self.hub.item_url(item.index_no)
        try:
            with self._item_lock(item.index_no), self._page_lock:
                notice = write_notice(self.output_dir, item, withdrawal, url)
                partners = self._published.partners(item)
                self._published.withdraw(item.index_no, item.version)
                self._rerender(item, partners)  # their links to it
        except HubError:
            raise
        except Exception as exc:
            raise write_failure("门户网站撤回失败", exc) from exc
        ctx.payload_sha256 = sha256_hex(notice)
        return PublishResult(remote_id=item.index_no, url=url)

    def refresh(self, items: list[NormalizedItem]) -> None:
        """Re-render these items' pages (their 已失效 mark)."""
        if self.settings.mode != "static":
            return
        root = self.output_dir
        with self._page_lock:
            for item in items:
                path = root / item_page_path(item.index_no)
                if path.exists():
                    atomic_write(path, self._render_item_page(item), only_if_changed=True)

