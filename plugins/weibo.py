"""Weibo (政务微博): one status with the item's title and its portal link (DESIGN §5.4).

``POST /2/statuses/share.json`` with the form fields ``access_token``, ``status`` and ``rip``
(the real public IP address of the machine that posts: Weibo's current documentation makes it
required, so a channel without the ``rip`` setting is incomplete and sends nothing). Weibo
answers errors as ``{"error", "error_code", "request"}`` with an HTTP 4xx status; they are
classified by ``error_code``, not by the HTTP status. Weibo refuses to post the same text twice
(20019 and its kin), which makes a resend harmless and such an answer a success.

Length rule. Weibo allows 140 "字": an ASCII character (letters, digits, the URL) counts ½, any
other character (Chinese, full-width punctuation, "…") counts 1, and the total is rounded up —
the rule of Weibo's web client, which counts a non-ASCII character as two bytes and halves the
sum (it lets Latin-1 letters count ½ too; counting them as 1 is the safe side). A character
outside the BMP (an emoji) counts 2, as it does there. Weibo counts a link as a short link of
fixed length (about 10 字), but this module counts the portal URL at its full length: the status
then fits whichever way the platform counts, and the link is never cut.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import urllib.parse

from pydantic import Field, SecretStr, field_validator

from heze_hub.plugin import (
    Channel,
    ChannelSettings,
    DeliveryContext,
    HttpClient,
    NormalizedItem,
    PermanentError,
    PublishResult,
    Response,
    TransientError,
    TransportError,
    Withdrawal,
    hookimpl,
    is_bad_url,
    is_timeout,
    is_transient_status,
    post_title,
    retry_after_seconds,
    shorten,
)

log = logging.getLogger(__name__)

STATUS_MAX = 140
SHARE_PATH = "/2/statuses/share.json"
DESTROY_PATH = "/2/statuses/destroy.json"
ALREADY_DELETED = 20101
UID_PATH = "/2/account/get_uid.json"  # no side effect: used by check() only
STATUS_PAGE = "https://m.weibo.cn/status/{idstr}"

RATE_LIMITED = frozenset({10022, 10023, 10024, 20016})
DUPLICATE = frozenset({20017, 20019, 20111})
TOKEN_EXPIRED = frozenset({21315, 21327, 21332})
AUTH_FAILED = 21301  # no token at all
CONTENT_REJECTED = frozenset({20012, 20018, 20021})
#: System busy / service unavailable / remote service error: transient whatever the HTTP status.
BUSY = frozenset({10001, 10002, 10009})


class WeiboSettings(ChannelSettings):
    """``[channels.weibo]``; the token comes from ``HUB_CHANNELS__WEIBO__ACCESS_TOKEN``."""

    api_base: str = "https://api.weibo.com"
    access_token: SecretStr | None = None
    #: The real public IP address of the machine that posts (``rip``, sent with every
    #: ``statuses/share``); IPv4 or IPv6, kept in its canonical form.
    rip: str | None = None
    #: Wait asked for after a rate-limit code when Weibo sends no Retry-After (its limits are
    #: counted per hour, so a tight retry only burns more of the quota).
    rate_limit_wait: float = Field(600.0, ge=0)

    @field_validator("rip")
    @classmethod
    def _rip_is_an_ip_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            raise ValueError(
                f"rip 应为本机的公网 IP 地址（如 203.0.113.5），实际为“{value}”"
            ) from None


class WeiboChannel(Channel):
    """Posts an item's title and portal link as a Weibo status."""

    plugin_name = "weibo"
    title = "政务微博"
    settings_model = WeiboSettings
    # Weibo refuses a repeated text (20019), so an interrupted attempt may be sent again.
    resend_safe = True
    # statuses/destroy; a status cannot be edited, so a correction is a new status.
    can_withdraw = True
    edits_in_place = False

    settings: WeiboSettings

    # -- render -------------------------------------------------------------------------------
    def render(self, item: NormalizedItem) -> dict[str, str]:
        """The ``status`` form field that would be sent (the token is not shown)."""
        return {"status": self.status_text(item)}

    def status_text(self, item: NormalizedItem) -> str:
        """The title, shortened with "…" if needed, a space and the item's portal URL.

        The title is cut by the hub's common rule (:func:`heze_hub.items.text.shorten`, as for
        WeChat's titles: at a sentence or clause end, no bracket left open, no character sequence or
        Latin word split), with the room counted in Weibo's half-字 units.
        """
        url = self.hub.item_url(item.index_no)
        room = 2 * STATUS_MAX - _units(" " + url)
        if room < _units("…") + 2:
            raise PermanentError(f"门户链接过长，无法放入 {STATUS_MAX} 字的微博：{url}")
        return f"{shorten(post_title(item), room, width=_char_units)} {url}"

    # -- publish ------------------------------------------------------------------------------
    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        status = self.status_text(item)
        # The receipt's payload hash covers the status text, which an auditor can recompute; the
        # form body also holds the token.
        ctx.payload_sha256 = hashlib.sha256(status.encode("utf-8")).hexdigest()
        token = self.settings.access_token.get_secret_value() if self.settings.access_token else ""
        if not self.settings.rip:
            # The core refuses an incomplete channel before a batch starts; this guards a
            # channel object used on its own.
            raise PermanentError(self._rip_missing())
        response = self._post(
            ctx.http, {"access_token": token, "status": status, "rip": self.settings.rip}
        )
        answer = _json(response)
        code = answer.get("error_code") if isinstance(answer, dict) else None
        if code is not None:
            return self._classify(response, answer)
        if response.status >= 400 or not isinstance(answer, dict):
            raise _http_error(response)
        idstr = answer.get("idstr")
        if not idstr and isinstance(answer.get("id"), int):
            idstr = str(answer["id"])  # exact: JSON integers are parsed as Python ints
        if not idstr:
            # Not an answer Weibo gives to a post that landed; a resend is refused if it did.
            raise TransientError("微博应答中没有微博 ID（idstr），稍后重试")
        return PublishResult(
            remote_id=str(idstr),
            url=STATUS_PAGE.format(idstr=idstr),
            note=f"created_at {answer['created_at']}" if answer.get("created_at") else None,
        )

    def withdraw(
        self, item: NormalizedItem, withdrawal: Withdrawal, ctx: DeliveryContext
    ) -> PublishResult:
        """``statuses/destroy`` with the stored ``idstr``; 20101 (already deleted) is withdrawn."""
        if not withdrawal.remote_id:
            raise PermanentError("发布时微博未返回微博 ID，无法自动删除；请在微博后台人工删除")
        token = self.settings.access_token.get_secret_value() if self.settings.access_token else ""
        response = self._post(ctx.http, {"access_token": token, "id": withdrawal.remote_id},
                              DESTROY_PATH)
        answer = _json(response)
        code = answer.get("error_code") if isinstance(answer, dict) else None
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        done = PublishResult(remote_id=withdrawal.remote_id, url=withdrawal.url)
        if code == ALREADY_DELETED:
            done.already_published = True
            done.note = "微博答复该微博已删除（20101），按已撤回记录"
            return done
        if code is not None and code not in DUPLICATE:
            self._classify(response, answer)  # raises: every other code is an error here
        if response.status >= 400 or not isinstance(answer, dict):
            raise _http_error(response)
        return done

    def _classify(self, response: Response, answer: dict) -> PublishResult:
        """Turn an ``error_code`` answer into a result or a typed error."""
        code = answer.get("error_code")
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        detail = f"error_code {code}：{self._scrub(str(answer.get('error', '')))}"
        if code in DUPLICATE:
            return PublishResult(
                already_published=True,
                note=f"微博已有相同内容，视为已发布（{detail}）",
            )
        if code in RATE_LIMITED:
            wait = _retry_after(response)
            raise TransientError(
                f"微博接口调用频率超限（{detail}）",
                retry_after=self.settings.rate_limit_wait if wait is None else wait,
            )
        if code in TOKEN_EXPIRED:
            env = f"HUB_CHANNELS__{self.name.upper()}__ACCESS_TOKEN"
            raise PermanentError(f"令牌过期，请运维人员更新 access_token（{env}）（{detail}）")
        if code in CONTENT_REJECTED:
            raise PermanentError(f"微博拒绝了内容（{detail}）")
        if code in BUSY:
            raise TransientError(
                f"微博系统繁忙或服务暂不可用（HTTP {response.status}，{detail}）",
                retry_after=_retry_after(response),
            )
        if is_transient_status(response.status):
            raise TransientError(
                f"微博接口暂时不可用（HTTP {response.status}，{detail}）",
                retry_after=_retry_after(response),
            )
        raise PermanentError(f"微博发布失败（HTTP {response.status}，{detail}）")

    def _post(self, http: HttpClient, form: dict[str, str], path: str = SHARE_PATH) -> Response:
        """One form POST; transport failures become typed errors without the request's text."""
        error: Exception
        try:
            return http.post(
                self.settings.api_base.rstrip("/") + path,
                body=urllib.parse.urlencode(form).encode("ascii"),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=self.settings.timeout,
            )
        except TransportError as exc:
            if is_bad_url(exc):
                error = PermanentError(f"微博接口地址 api_base 无效：{self.settings.api_base}")
            elif is_timeout(exc):
                error = TransientError(f"微博接口请求超时（{type(exc).__name__}）")
            else:
                error = TransientError(f"微博接口连接失败（{type(exc).__name__}）")
        raise error  # outside the except block: no chained exception

    def _scrub(self, text: str) -> str:
        token = self.settings.access_token
        if token and token.get_secret_value():
            text = text.replace(token.get_secret_value(), "***")
        return text

    # -- health -------------------------------------------------------------------------------
    def configuration_problems(self) -> list[str]:
        """The token (from the environment) and ``rip``, which Weibo requires on every post."""
        problems = super().configuration_problems()
        if not self.settings.rip:
            problems.append(self._rip_missing())
        return problems

    def _rip_missing(self) -> str:
        return (f"缺少 rip（本机的公网 IP 地址，微博发布接口要求必填；请在 [channels.{self.name}] "
                f"中设置 rip，或设置环境变量 HUB_CHANNELS__{self.name.upper()}__RIP）")

    def check(self, http: HttpClient) -> list[str]:
        """Configuration, then the token, asked of ``GET /2/account/get_uid.json``; posts nothing.

        That call lies outside §5.4 but has no side effect. The token travels in the
        ``Authorization: OAuth2`` header, not in the URL. Only a token error (21301, 21315,
        21327, 21332) or an unreachable API is a problem: an endpoint that does not offer the call
        (e.g. a gateway passing only ``share.json``) leaves the token unverified, which is logged.
        """
        problems = self.configuration_problems()
        if not self.settings.api_base.startswith(("https://", "http://")):
            problems.append(f"微博接口地址 api_base 无效：{self.settings.api_base}")
        if problems:
            return problems
        token = self.settings.access_token.get_secret_value() if self.settings.access_token else ""
        error: str | None = None
        try:
            response = http.get(
                self.settings.api_base.rstrip("/") + UID_PATH,
                headers={"Authorization": f"OAuth2 {token}"}, timeout=self.settings.timeout,
            )
        except TransportError as exc:
            error = f"无法连接微博接口（{type(exc).__name__}）"
        if error:
            return [error]
        answer = _json(response)
        code = answer.get("error_code") if isinstance(answer, dict) else None
        if code in TOKEN_EXPIRED or code == AUTH_FAILED:
            env = f"HUB_CHANNELS__{self.name.upper()}__ACCESS_TOKEN"
            message = self._scrub(str(answer.get("error", "")))
            return [f"令牌无效或已过期，请运维人员更新 access_token（{env}）"
                    f"（error_code {code}：{message}）"]
        if response.status != 200 or code is not None:
            log.info("微博：无法用 get_uid 核验 access_token（HTTP %s），仅检查了配置",
                     response.status)
        return []


def _char_units(char: str) -> int:
    """Half-"字" units of one character in Weibo's count: ASCII 1, a BMP character 2, others 4."""
    return 1 if ord(char) < 0x80 else 2 if ord(char) <= 0xFFFF else 4


def _units(text: str) -> int:
    return sum(map(_char_units, text))


def weibo_length(text: str) -> int:
    """Length of ``text`` in Weibo's 字 (see the module docstring)."""
    return -(-_units(text) // 2)


def _json(response: Response) -> object:
    try:
        return json.loads(response.data)
    except ValueError:
        return None


def _http_error(response: Response) -> Exception:
    status = response.status
    if is_transient_status(status):
        return TransientError(
            f"微博接口暂时不可用（HTTP {status}）", retry_after=_retry_after(response)
        )
    if status >= 400:
        return PermanentError(f"微博发布失败（HTTP {status}）")
    # 2xx without a JSON object: a proxy's page, not Weibo's answer; a resend is harmless.
    return TransientError(f"微博接口返回了无法解析的应答（HTTP {status}）")


def _retry_after(response: Response) -> float | None:
    return retry_after_seconds(response.headers.get("Retry-After"))


@hookimpl
def register_channels(register):
    register(WeiboChannel)
