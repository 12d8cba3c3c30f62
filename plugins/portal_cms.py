"""The portal CMS's withdrawal call (DESIGN §12): ``DELETE {api_base}/api/articles/{id}``.

200 and 204 are withdrawn, 404 means the article is already gone (withdrawn as well); 429 and
5xx are worth another attempt, any other answer is a permanent failure.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

from pydantic import SecretStr

from heze_hub.plugin import (
    DeliveryContext,
    PermanentError,
    PublishResult,
    TransientError,
    TransportError,
    Withdrawal,
    is_bad_url,
    is_transient_status,
    retry_after_seconds,
)


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
