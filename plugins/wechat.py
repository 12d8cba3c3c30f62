"""WeChat official account (微信公众号): token, cover, draft, submit, poll (DESIGN §5.3).

One publication is five calls: a stable access token (cached per channel object), the cover
uploaded once as a thumb material, a draft, a submit that answers with a ``publish_id``, and
polling ``freepublish/get`` until the article is published or definitely failed.

WeChat cannot deduplicate a submit, so the progress of a delivery is saved in its context before
every next step: the draft's ``media_id`` right after the draft exists (a retry re-uses it instead
of creating a second draft) and the ``publish_id`` right after submit answers (a retry, or
``settle``, only polls). Errors arrive as ``{"errcode", "errmsg"}`` with HTTP 200.

The access token rides in the query string, so no message this module builds contains a URL, and
no transport exception (whose text carries the URL) is ever turned into a string or chained;
urllib3's own DEBUG lines about those URLs are redacted by a log filter.

Without a configured ``cover``, a built-in cover is uploaded: WeChat takes a thumb only as a
JPEG, so a small one is encoded here (see :func:`default_cover_jpeg`).
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import logging
import mimetypes
import re
import struct
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr

from heze_hub.plugin import (
    ELLIPSIS,
    SENTENCE_ENDS,
    TRAILING_PUNCT,
    Channel,
    ChannelSettings,
    DeliveryContext,
    HttpClient,
    HubInfo,
    NormalizedItem,
    PermanentError,
    PublishResult,
    TransientError,
    TransportError,
    Unconfirmed,
    atomic_write,
    hookimpl,
    is_bad_url,
    is_timeout,
    is_transient_status,
    last_boundary,
    never_sent,
    safe_cut,
    shorten,
)

log = logging.getLogger(__name__)

# Limits of one draft article (§5.3): title ≤ 32, author ≤ 16, digest ≤ 128 characters, content
# fewer than 20,000 characters.
TITLE_MAX = 32
AUTHOR_MAX = 16
DIGEST_MAX = 128
CONTENT_MAX = 19_999

TOKEN_CODES = frozenset({40001, 40014, 42001})  # invalid / not latest / expired access token
BUSY = -1
QUOTA_EXHAUSTED = 45009
INVALID_MEDIA_ID = 40007

PUBLISHED, PUBLISHING = 0, 1
FAILED_STATUSES = {
    2: "原创声明失败",
    3: "常规失败",
    4: "平台审核不通过",
    5: "发布成功后已被删除",
    6: "发布成功后已被封禁",
}

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


class WeChatSettings(ChannelSettings):
    """``[channels.wechat]``; the app secret comes from ``HUB_CHANNELS__WECHAT__SECRET``."""

    api_base: str = "https://api.weixin.qq.com"
    appid: str | None = None
    secret: SecretStr | None = None
    #: Cover image (thumb), relative to the configuration directory; a built-in cover if unset.
    cover: str | None = None
    #: Article author; the item's department when unset.
    author: str | None = None
    #: Polling ``freepublish/get`` within one attempt: first wait, longest wait, total bound.
    poll_initial_wait: float = Field(1.0, gt=0)
    poll_max_wait: float = Field(8.0, gt=0)
    poll_max_seconds: float = Field(60.0, ge=0)
    #: Wait asked for when the daily quota is exhausted (errcode 45009).
    quota_wait: float = Field(3600.0, ge=0)


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float  # time.monotonic() after which it is fetched again


class WeChatChannel(Channel):
    """Publishes an item as a WeChat official-account article."""

    plugin_name = "wechat"
    title = "微信公众号"
    settings_model = WeChatSettings
    # A repeated submit would publish the article twice; WeChat cannot refuse it.
    resend_safe = False

    settings: WeChatSettings

    def __init__(self, name: str, settings: ChannelSettings, hub: HubInfo) -> None:
        super().__init__(name, settings, hub)
        self._token: _Token | None = None
        self._token_lock = threading.Lock()
        self._cover_lock = threading.Lock()
        _install_log_redaction()

    # -- render -------------------------------------------------------------------------------
    def render(self, item: NormalizedItem) -> dict[str, Any]:
        """The draft JSON that would be sent; the cover's ``media_id`` is known only on upload."""
        return self._draft(item, thumb_media_id="<封面 media_id（发布时上传）>")

    def _draft(self, item: NormalizedItem, thumb_media_id: str) -> dict[str, Any]:
        url = self.hub.item_url(item.index_no)
        article = {
            "title": shorten(item.title, TITLE_MAX),
            "author": shorten(self.settings.author or item.department, AUTHOR_MAX),
            "digest": shorten(item.summary, DIGEST_MAX),
            "content": article_content(item, url),
            "content_source_url": url,
            "thumb_media_id": thumb_media_id,
            "need_open_comment": 0,
            "only_fans_can_comment": 0,
        }
        return {"articles": [article]}

    # -- publish ------------------------------------------------------------------------------
    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        """Draft, submit and poll; resume from ``ctx.state`` without repeating a finished step."""
        http = ctx.http
        state = dict(ctx.state)
        if state.get("payload_sha256"):
            ctx.payload_sha256 = state["payload_sha256"]
        if state.get("publish_id") is None:
            if state.get("media_id") is None:
                self._create_draft(item, ctx, state)
            # A saved draft is re-used, never drafted again. Should it have vanished (40007), it
            # may have been published already: that answer stays a permanent error.
            answer = self._call(
                http, "/cgi-bin/freepublish/submit", {"media_id": state["media_id"]},
                step="提交发布", sent_is_final=True,
            )
            if answer.get("publish_id") is None:
                raise PermanentError("微信提交发布的应答中没有 publish_id")
            state["publish_id"] = answer["publish_id"]
            # Recorded before the first poll: from here on, a retry only polls.
            ctx.save_state(dict(state))
        return self._poll(http, state["publish_id"])

    def settle(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult | None:
        """With a saved ``publish_id``, ask WeChat how that publication ended.

        Returns ``None`` when no ``publish_id`` was saved (the submit may or may not have landed)
        and when WeChat cannot answer yet (still publishing, busy, unreachable).
        """
        publish_id = ctx.state.get("publish_id")
        if publish_id is None:
            return None
        if ctx.state.get("payload_sha256"):
            ctx.payload_sha256 = ctx.state["payload_sha256"]
        try:
            return self._poll(ctx.http, publish_id)
        except TransientError as exc:
            log.info("微信：暂时无法确认发布结果：%s", exc)
            return None

    def _create_draft(self, item: NormalizedItem, ctx: DeliveryContext, state: dict) -> None:
        """Upload the cover if needed, add the draft and save its ``media_id`` at once."""
        def add(thumb: str, accept: frozenset[int]) -> dict[str, Any]:
            body = _json_bytes(self._draft(item, thumb))
            ctx.payload_sha256 = hashlib.sha256(body).hexdigest()
            return self._call(ctx.http, "/cgi-bin/draft/add", body, step="创建草稿",
                              accept=accept)

        thumb = self._cover_media_id(ctx.http)
        answer = add(thumb, frozenset({INVALID_MEDIA_ID}))
        if answer.get("errcode") == INVALID_MEDIA_ID:
            # The cached cover was deleted from the account's materials: upload it again.
            answer = add(self._cover_media_id(ctx.http, stale=thumb), frozenset())
        if not answer.get("media_id"):
            raise PermanentError("微信创建草稿的应答中没有 media_id")
        state["media_id"] = answer["media_id"]
        state["payload_sha256"] = ctx.payload_sha256
        ctx.save_state(dict(state))

    def _poll(self, http: HttpClient, publish_id: Any) -> PublishResult:
        """Poll until a terminal status, with exponential backoff bounded by the settings."""
        s = self.settings
        deadline = time.monotonic() + s.poll_max_seconds
        wait = s.poll_initial_wait
        while True:
            answer = self._call(
                http, "/cgi-bin/freepublish/get", {"publish_id": publish_id},
                step="查询发布状态",
            )
            status = answer.get("publish_status")
            if status == PUBLISHED:
                return _published(answer, publish_id)
            if status in FAILED_STATUSES:
                failed = answer.get("fail_idx") or []
                where = f"，失败的文章序号 {failed}" if failed else ""
                raise PermanentError(
                    f"微信发布失败：{FAILED_STATUSES[status]}（publish_status {status}"
                    f"，publish_id {publish_id}{where}）"
                )
            if status != PUBLISHING:
                raise PermanentError(
                    f"微信返回了未知的发布状态 {status!r}（publish_id {publish_id}）"
                )
            if time.monotonic() + wait > deadline:
                raise TransientError(
                    f"微信仍在发布中（publish_id {publish_id}），稍后继续查询",
                    retry_after=s.poll_max_wait,
                )
            time.sleep(wait)
            wait = min(wait * 2, s.poll_max_wait)

    # -- cover --------------------------------------------------------------------------------
    def _cover(self) -> tuple[bytes, str]:
        """The cover's bytes and file name: the configured file, else the built-in cover."""
        if not self.settings.cover:
            return default_cover_jpeg(), "heze-hub-cover.jpg"
        path = self._cover_path()
        try:
            return path.read_bytes(), path.name
        except OSError as exc:
            raise PermanentError(f"无法读取微信封面图片 {path}：{exc.strerror}") from None

    def _cover_path(self) -> Path:
        return Path(self.hub.config_dir, self.settings.cover or "")

    def _cover_media_id(self, http: HttpClient, *, stale: str | None = None) -> str:
        """The cover's thumb ``media_id``: uploaded once per account and cover, cached on disk.

        The cache file lives in the state directory, keyed by AppID and the cover's SHA-256, so
        another process of the hub re-uses the upload and a changed cover is uploaded anew.
        """
        data, filename = self._cover()
        key = f"{self.settings.appid}:{hashlib.sha256(data).hexdigest()}"
        cache_file = Path(self.hub.state_dir, "wechat-covers.json")
        with self._cover_lock:
            cache = _read_json(cache_file)
            media_id = cache.get(key)
            if media_id and media_id != stale:
                return media_id
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            answer = self._call(
                http, "/cgi-bin/material/add_material", params={"type": "thumb"},
                files={"media": (filename, data, content_type)}, step="上传封面",
            )
            media_id = answer.get("media_id")
            if not media_id:
                raise PermanentError("微信上传封面的应答中没有 media_id")
            cache[key] = media_id
            atomic_write(cache_file, _json_bytes(cache), 0o600)
            return media_id

    # -- health -------------------------------------------------------------------------------
    def configuration_problems(self) -> list[str]:
        problems = super().configuration_problems()
        if not self.settings.appid:
            problems.append(f"缺少 appid（请在 [channels.{self.name}] 中设置 appid）")
        if self.settings.cover:
            path = self._cover_path()
            if not path.is_file():
                problems.append(f"封面图片不存在：{path}")
            elif path.stat().st_size > 64 * 1024:
                problems.append(f"封面图片超过 64KB（微信缩略图上限）：{path}")
            elif path.read_bytes()[:3] != b"\xff\xd8\xff":
                problems.append(f"封面图片不是 JPEG（微信缩略图只接受 JPEG）：{path}")
        return problems

    def check(self, http: HttpClient) -> list[str]:
        """Configuration, then whether an access token can be obtained; publishes nothing."""
        problems = self.configuration_problems()
        if not self.settings.cover:
            log.warning("微信：未配置封面（cover），将使用内置默认封面图片")
        if problems:
            return problems
        try:
            self._access_token(http)
        except (PermanentError, TransientError) as exc:
            problems.append(f"无法获取微信 access_token：{exc}")
        return problems

    # -- HTTP ---------------------------------------------------------------------------------
    def _access_token(self, http: HttpClient, rejected: str | None = None) -> str:
        """A valid access token; ``rejected`` is one WeChat just refused (refresh it once)."""
        with self._token_lock:
            token = self._token
            if token and token.value != rejected and time.monotonic() < token.refresh_at:
                return token.value
            value, expires_in = self._fetch_token(http, force=False)
            if value == rejected:
                # stable_token hands out the current token until it expires; WeChat says this one
                # is no longer valid, so ask for a new one.
                value, expires_in = self._fetch_token(http, force=True)
            # Refresh ahead of expiry: 5 minutes early, or a fifth of a short lifetime.
            margin = min(300.0, expires_in / 5)
            self._token = _Token(value, time.monotonic() + expires_in - margin)
            return value

    def _fetch_token(self, http: HttpClient, *, force: bool) -> tuple[str, float]:
        secret = self.settings.secret.get_secret_value() if self.settings.secret else ""
        body = _json_bytes({
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

    def _call(
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
    ) -> dict[str, Any]:
        """Call an API that takes the access token; refresh the token once if WeChat rejects it.

        Returns the answer when ``errcode`` is 0 (or absent) or in ``accept``; raises otherwise.
        """
        data = _json_bytes(payload) if isinstance(payload, dict) else payload

        def post(token: str) -> dict[str, Any]:
            return self._post(
                http, path, params={"access_token": token, **(params or {})},
                data=data, files=files, step=step, sent_is_final=sent_is_final,
            )

        token = self._access_token(http)
        answer = post(token)
        if answer.get("errcode") in TOKEN_CODES:
            answer = post(self._access_token(http, rejected=token))
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
        secrets = [self._token.value if self._token else ""]
        if self.settings.secret:
            secrets.append(self.settings.secret.get_secret_value())
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def _published(answer: dict[str, Any], publish_id: Any) -> PublishResult:
    items = (answer.get("article_detail") or {}).get("item") or []
    url = next((i.get("article_url") for i in items if i.get("article_url")), None)
    article_id = answer.get("article_id")
    return PublishResult(
        remote_id=str(article_id) if article_id is not None else None,
        url=url,
        note=f"publish_id {publish_id}",
    )


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


# -- content ---------------------------------------------------------------------------------

def article_content(item: NormalizedItem, url: str) -> str:
    """The article HTML: the sanitized body, an attachments note, shortened to WeChat's limit."""
    content = item.body_html
    if item.attachments:
        names = "、".join(f"《{a.title}》" for a in item.attachments)
        content += (
            f"<p>附件：{html.escape(names)}，请点击“阅读原文”到政府门户网站查看下载。</p>"
        )
    return truncate_html(content, CONTENT_MAX, read_more_url=url)


_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
     "blockquote", "pre", "section", "hr"}
)


class _Tokens(HTMLParser):
    """Splits HTML into (kind, tag, source) tokens; entities stay whole, comments are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        kind = "void" if tag in _VOID_TAGS else "start"
        self.tokens.append((kind, tag, self.get_starttag_text() or f"<{tag}>"))

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        self.tokens.append(("void", tag, self.get_starttag_text() or f"<{tag}/>"))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag, f"</{tag}>"))

    def handle_data(self, data: str) -> None:
        self.tokens.append(("text", "", data))

    def handle_entityref(self, name: str) -> None:
        self.tokens.append(("entity", "", f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.tokens.append(("entity", "", f"&#{name};"))


def _closing(stack: list[str]) -> str:
    return "".join(f"</{tag}>" for tag in reversed(stack))


def truncate_html(source: str, limit: int, *, read_more_url: str) -> str:
    """``source`` if it has at most ``limit`` characters, else a shortened, well-formed prefix.

    The cut falls at the last sentence end that fits, else at the end of the last paragraph or
    block (if that keeps at least half the room), else between two characters of the text; tags
    left open are closed, and a "…" and a "阅读全文" link to ``read_more_url`` follow.
    """
    if len(source) <= limit:
        return source
    link = f'<p><a href="{html.escape(read_more_url)}">阅读全文</a></p>'
    budget = limit - len(link) - len(f"<p>{ELLIPSIS}</p>")
    parser = _Tokens()
    parser.feed(source)
    parser.close()

    out: list[str] = []
    size = 0
    stack: list[str] = []
    last_block: tuple[int, int, list[str]] | None = None  # (tokens, size, stack) after a block
    cut_in_text = False
    for kind, tag, raw in parser.tokens:
        after = stack
        if kind == "start":
            after = [*stack, tag]
        elif kind == "end":
            if tag not in stack:
                continue  # a stray end tag
            after = stack[: len(stack) - 1 - stack[::-1].index(tag)]
        if size + len(raw) + len(_closing(after)) <= budget:
            out.append(raw)
            size += len(raw)
            stack = after
            if (kind == "end" and tag in _BLOCK_TAGS) or (kind == "void" and tag == "hr"):
                last_block = (len(out), size, list(stack))
            continue
        if kind == "text":
            room = budget - size - len(_closing(stack)) - len(ELLIPSIS)
            end = last_boundary(raw, room, SENTENCE_ENDS) if room > 0 else None
            if end is None and last_block is not None and last_block[1] >= budget // 2:
                del out[last_block[0]:]
                stack = last_block[2]
            elif room > 0:
                kept = raw[: end or safe_cut(raw, room)].rstrip(TRAILING_PUNCT)
                out.append(kept + ELLIPSIS)
                cut_in_text = True
        break
    tail = link if cut_in_text else f"<p>{ELLIPSIS}</p>{link}"
    return "".join(out) + _closing(stack) + tail


# -- default cover -----------------------------------------------------------------------------

# WeChat takes a thumb only as a JPEG (≤ 64 KB). The built-in cover is drawn in 8×8 blocks of
# one colour each, so a baseline JPEG needs no DCT: every block is its DC coefficient alone.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)  # ITU T.81 table K.3 (luminance DC)
_DC_VALUES = tuple(range(12))


@functools.cache
def default_cover_jpeg(width: int = 900, height: int = 383) -> bytes:
    """A plain cover (2.35:1, the ratio WeChat shows): deep red with a gold band, as a JPEG."""
    red, gold = (178, 34, 34), (230, 180, 60)
    band = {height * 7 // 80, height * 7 // 80 + 1}  # two block rows, about 70% down
    dc_codes: dict[int, tuple[int, int]] = {}
    code = k = 0
    for length, count in enumerate(_DC_BITS, start=1):
        for _ in range(count):
            dc_codes[_DC_VALUES[k]] = (code, length)
            code, k = code + 1, k + 1
        code <<= 1

    scan = bytearray()
    acc = nbits = 0

    def put(value: int, length: int) -> None:
        nonlocal acc, nbits
        acc, nbits = (acc << length) | value, nbits + length
        while nbits >= 8:
            nbits -= 8
            byte = (acc >> nbits) & 0xFF
            scan.extend((byte, 0) if byte == 0xFF else (byte,))  # byte stuffing
        acc &= (1 << nbits) - 1

    previous = [0, 0, 0]
    for block_row in range((height + 7) // 8):
        r, g, b = gold if block_row in band else red
        ycbcr = (0.299 * r + 0.587 * g + 0.114 * b,
                 128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
                 128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
        # A uniform block's DC coefficient is 8·(v − 128); the quantizer 8 leaves v − 128.
        levels = [round(v) - 128 for v in ycbcr]
        for _ in range((width + 7) // 8):
            for c in range(3):
                diff, previous[c] = levels[c] - previous[c], levels[c]
                size = abs(diff).bit_length()
                put(*dc_codes[size])
                if size:
                    put(diff if diff > 0 else diff + (1 << size) - 1, size)
                put(0, 1)  # end of block: the one AC symbol, coded "0"
    if nbits:
        put((1 << (8 - nbits)) - 1, 8 - nbits)

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", marker, len(payload) + 2) + payload

    tables = (bytes([0x00, *_DC_BITS, *_DC_VALUES])  # DC table 0
              + bytes([0x10, 1, *[0] * 15, 0x00]))  # AC table 0: end-of-block only
    frame = struct.pack(">BHHB", 8, height, width, 3) + bytes([1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])
    return (b"\xff\xd8"
            + segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + segment(0xFFDB, bytes([0, *[8] * 64]))
            + segment(0xFFC0, frame)
            + segment(0xFFC4, tables)
            + segment(0xFFDA, bytes([3, 1, 0, 2, 0, 3, 0, 0, 63, 0]))
            + bytes(scan) + b"\xff\xd9")


# -- small helpers -----------------------------------------------------------------------------

def _json_bytes(value: Any) -> bytes:
    # Unescaped UTF-8: WeChat answers 40033 to \u escapes of Chinese text.
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


_QUERY_TOKEN = re.compile(r"(access_token=)[^&\s\"']+")


class _RedactAccessToken(logging.Filter):
    """urllib3 logs request URLs at DEBUG; WeChat's carry the access token in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "access_token=" in message:
            record.msg, record.args = _QUERY_TOKEN.sub(r"\1***", message), None
        return True


def _install_log_redaction() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactAccessToken) for f in logger.filters):
        logger.addFilter(_RedactAccessToken())


@hookimpl
def register_channels(register):
    register(WeChatChannel)
