"""Calling WeChat's API: the access token in the query, errcodes with HTTP 200 (DESIGN §5.3).

Errors arrive as ``{"errcode", "errmsg"}`` with HTTP 200. The access token rides in the query
string, so no message this module builds contains a URL, and no transport exception (whose text
carries the URL) is ever turned into a string or chained; urllib3's own DEBUG lines about those
URLs are redacted by a log filter (see :mod:`heze_hub_plugins.wechat_token`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import SecretStr

from heze_hub.plugin import (
    HttpClient,
    PermanentError,
    TransientError,
    TransportError,
    Unconfirmed,
    is_bad_url,
    is_timeout,
    is_transient_status,
    never_sent,
)
from heze_hub_plugins.wechat_token import TokenCache, install_log_redaction

TOKEN_CODES = frozenset({40001, 40014, 42001})  # invalid / not latest / expired access token
BUSY = -1
QUOTA_EXHAUSTED = 45009

# A few errcodes operators meet when setting up an account, explained in Chinese.
ERRCODE_HINTS = {
    40005: "封面文件格式不受支持（缩略图须为 JPEG）",
    40007: "无效的媒体文件 ID",
    40012: "封面超过 64KB",
    40013: "AppID 无效",
    40033: "请求内容含非法字符编码",
    40125: "AppSecret 无效",
    40164: "调用接口的 IP 不在公众号的 IP 白名单中",
    45002: "正文超过长度限制",
    45003: "标题超过长度限制",
    45004: "摘要超过长度限制",
    45110: "作者超过长度限制",
    45166: "正文含有不允许的内容",
    48001: "公众号未获得该接口权限",
}


class ApiSettings(Protocol):
    """What the API calls read of the channel's settings (``WeChatSettings``)."""

    api_base: str
    appid: str | None
    secret: SecretStr | None
    timeout: float
    quota_wait: float


class WeChatApi:
    """The calls of one account, with the access token of one channel object."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._tokens = TokenCache()
        install_log_redaction()

    def access_token(self, http: HttpClient, rejected: str | None = None) -> str:
        """A valid access token; ``rejected`` is one WeChat just refused (refresh it once)."""
        return self._tokens.get(lambda force: self._fetch_token(http, force=force), rejected)

    def _fetch_token(self, http: HttpClient, *, force: bool) -> tuple[str, float]:
        secret = self.settings.secret.get_secret_value() if self.settings.secret else ""
        body = json_bytes({
            "grant_type": "client_credential",
            "appid": self.settings.appid or "",
            "secret": secret,
            "force_refresh": force,
        })
        answer = self._check_errcode(
            self._post(http, "/cgi-bin/stable_token", data=body, step="获取 access_token"),
            step="获取 access_token",
        )
        value = answer.get("access_token")
        if not isinstance(value, str) or not value:
            raise PermanentError("微信获取 access_token 的应答中没有 access_token")
        try:
            expires_in = float(answer.get("expires_in", 7200))
        except (TypeError, ValueError):
            expires_in = 7200.0
        return value, expires_in

    def call(
        self,
        http: HttpClient,
        path: str,
        payload: dict[str, Any] | bytes | None = None,
        *,
        step: str,
        params: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        accept: frozenset[int] | set[int] = frozenset(),
        sent_is_final: bool = False,
        before_send: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """Call an API that takes the access token; refresh the token once if WeChat rejects it.

        Returns the answer when ``errcode`` is 0 (or absent) or in ``accept``; raises otherwise.
        ``before_send`` runs right before each POST of the call, after the token is at hand.
        """
        data = json_bytes(payload) if isinstance(payload, dict) else payload

        def post(token: str) -> dict[str, Any]:
            if before_send is not None:
                before_send()
            return self._post(
                http, path, params={"access_token": token, **(params or {})},
                data=data, files=files, step=step, sent_is_final=sent_is_final,
            )

        token = self.access_token(http)
        answer = post(token)
        if answer.get("errcode") in TOKEN_CODES:
            answer = post(self.access_token(http, rejected=token))
        if answer.get("errcode") in accept:
            return answer
        return self._check_errcode(answer, step=step)

    def _post(
        self,
        http: HttpClient,
        path: str,
        *,
        step: str,
        params: dict[str, str] | None = None,
        data: bytes | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        sent_is_final: bool = False,
    ) -> dict[str, Any]:
        """One POST; transport failures become typed errors whose text has no URL in it.

        With ``sent_is_final`` (submit), a failure after the request may have reached WeChat is
        permanent: the article may be publishing, and WeChat cannot refuse a second submit.
        """
        headers = {} if files else {"Content-Type": "application/json; charset=utf-8"}
        error: Exception | None = None
        try:
            response = http.post(
                self.settings.api_base.rstrip("/") + path, params=params, body=data,
                fields=files, headers=headers, timeout=self.settings.timeout,
            )
        except TransportError as exc:
            if is_bad_url(exc):
                error = PermanentError(f"微信接口地址 api_base 无效：{self.settings.api_base}")
            else:
                error = _transport_error(exc, step, sent_is_final=sent_is_final)
        if error is not None:
            raise error  # raised outside the except block: no chained exception
        status = response.status
        try:
            answer = json.loads(response.data) if status < 400 else None
        except ValueError:
            answer = None
        if sent_is_final and (status >= 500 or (status < 400 and not isinstance(answer, dict))):
            # A gateway's error or a garbled answer: WeChat may have accepted the submit.
            raise Unconfirmed(_unconfirmed(step, f"应答异常（HTTP {status}）"))
        if is_transient_status(status):
            raise TransientError(f"微信接口{step}暂时不可用（HTTP {status}）")
        if status >= 400:
            raise PermanentError(f"微信接口{step}被拒绝（HTTP {status}）")
        if not isinstance(answer, dict):
            raise TransientError(f"微信接口{step}返回了无法解析的应答（HTTP {status}）")
        return answer

    def _check_errcode(self, answer: dict[str, Any], *, step: str) -> dict[str, Any]:
        code = answer.get("errcode") or 0
        if code == 0:
            return answer
        errmsg = self._scrub(str(answer.get("errmsg", "")))
        hint = ERRCODE_HINTS.get(code)
        detail = f"errcode {code}：{errmsg}" + (f"；{hint}" if hint else "")
        if code == BUSY:
            raise TransientError(f"微信系统繁忙，{step}未完成（{detail}）")
        if code == QUOTA_EXHAUSTED:
            raise TransientError(
                f"微信接口调用次数已达上限，{step}未完成（{detail}）",
                retry_after=self.settings.quota_wait,
            )
        if code in TOKEN_CODES:
            raise TransientError(f"微信刷新 access_token 后仍拒绝{step}（{detail}）")
        raise PermanentError(f"微信{step}失败（{detail}）")

    def _scrub(self, text: str) -> str:
        """Remove the secret and the access token, should WeChat ever echo them."""
        secrets = [self._tokens.current or ""]
        if self.settings.secret:
            secrets.append(self.settings.secret.get_secret_value())
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def _transport_error(exc: TransportError, step: str, *, sent_is_final: bool) -> Exception:
    """Classify a transport failure by its type only; its text carries the URL and token."""
    kind = "超时" if is_timeout(exc) else "连接失败"
    if sent_is_final and not never_sent(exc):
        return Unconfirmed(_unconfirmed(step, f"请求{kind}"))
    return TransientError(f"微信接口{step}{kind}（{type(exc).__name__}）")


def _unconfirmed(step: str, what: str) -> str:
    return (
        f"微信{step}{what}，无法确认是否已提交；为避免重复发布不再自动重发。"
        "请在公众号后台「发表记录」中确认，未发表时用 hub retry --resend 重发"
    )


def json_bytes(value: Any) -> bytes:
    # Unescaped UTF-8: WeChat answers 40033 to \u escapes of Chinese text.
    return json.dumps(value, ensure_ascii=False).encode("utf-8")
