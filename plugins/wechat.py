"""WeChat official account (微信公众号): token, cover, draft, submit, poll (DESIGN §5.3).

One publication is five calls: a stable access token (cached per channel object), the cover
uploaded once as a thumb material, a draft, a submit that answers with a ``publish_id``, and
polling ``freepublish/get`` until the article is published or definitely failed.

WeChat cannot deduplicate a submit, so the progress of a delivery is saved in its context before
every next step: the draft's ``media_id`` right after the draft exists (a retry re-uses it instead
of creating a second draft) and the ``publish_id`` right after submit answers (a retry, or
``settle``, only polls). The submit itself is marked (``ctx.mark_sending``) right before it
leaves, so after a crash the core knows whether a submit may be out there with its answer lost
(``unconfirmed``) or provably never left (the delivery is simply resumed).

The draft is not marked: a draft is not public, and a crash between ``draft/add`` and saving its
``media_id`` leaves at worst an unused draft in the account's draft box while the resumed
delivery drafts again. Marking it would turn that harmless case into an ``unconfirmed`` delivery
needing a person, the very stranding the marks exist to prevent. The cover upload and the
token are not marked either: they create nothing public and are reused.

Without a configured ``cover``, a built-in cover is uploaded: WeChat takes a thumb only as a
JPEG, so a small one is encoded by :mod:`~heze_hub_plugins.wechat_cover`.

``publish_id`` goes back to ``freepublish/get`` as a JSON string, its documented type, whatever
type submit answered it with (a number, in practice); a ``publish_id`` saved as a number by an
earlier release is converted when read. The ``msg_data_id`` submit answers with is saved beside it
and kept, with the ``publish_id``, in the receipt's ``remote_data``.

This module holds the steps; beside it, :mod:`~heze_hub_plugins.wechat_api` makes the calls
(errcodes, transport failures, the access token in the query), with the token cached and kept
out of logs by :mod:`~heze_hub_plugins.wechat_token`; :mod:`~heze_hub_plugins.wechat_html`
builds the article (limits, cut title and digest, truncated HTML).
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr

from heze_hub.plugin import (
    Channel,
    ChannelSettings,
    DeliveryContext,
    HttpClient,
    HubInfo,
    NormalizedItem,
    PermanentError,
    PublishResult,
    TransientError,
    Withdrawal,
    atomic_write,
    hookimpl,
)
from heze_hub_plugins.wechat_api import WeChatApi, json_bytes
from heze_hub_plugins.wechat_cover import default_cover_jpeg
from heze_hub_plugins.wechat_html import draft_article

log = logging.getLogger(__name__)

INVALID_MEDIA_ID = 40007
INVALID_ARTICLE_ID = 53600

PUBLISHED, PUBLISHING = 0, 1
FAILED_STATUSES = {
    2: "原创声明失败",
    3: "常规失败",
    4: "平台审核不通过",
    5: "发布成功后已被删除",
    6: "发布成功后已被封禁",
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


class WeChatChannel(Channel):
    """Publishes an item as a WeChat official-account article."""

    plugin_name = "wechat"
    title = "微信公众号"
    settings_model = WeChatSettings
    # A repeated submit would publish the article twice; WeChat cannot refuse it.
    resend_safe = False
    # The submit is marked before it leaves; publish() resumes from the saved draft and
    # publish_id.
    marks_sends = True
    # freepublish/delete; a published article cannot be edited, so a correction is a new post.
    can_withdraw = True
    edits_in_place = False
    # After the submit, freepublish/get is polled until WeChat has published the article.
    waiting_for = "等待微信发布结果"

    settings: WeChatSettings

    def __init__(self, name: str, settings: ChannelSettings, hub: HubInfo) -> None:
        super().__init__(name, settings, hub)
        self._api = WeChatApi(self.settings)
        self._cover_lock = threading.Lock()

    # -- render -------------------------------------------------------------------------------
    def render(self, item: NormalizedItem) -> dict[str, Any]:
        """The draft JSON that would be sent; the cover's ``media_id`` is known only on upload."""
        return self._draft(item, thumb_media_id="<封面 media_id（发布时上传）>")

    def _draft(self, item: NormalizedItem, thumb_media_id: str) -> dict[str, Any]:
        article = draft_article(
            item, url=self.hub.item_url(item.index_no), author=self.settings.author,
            thumb_media_id=thumb_media_id,
        )
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
            marked: list[bool] = []

            def mark() -> None:
                ctx.mark_sending("提交发布")
                marked.append(True)

            try:
                answer = self._api.call(
                    http, "/cgi-bin/freepublish/submit", {"media_id": state["media_id"]},
                    step="提交发布", sent_is_final=True, before_send=mark,
                )
            except TransientError:
                # With sent_is_final, a transient error means WeChat did not take this submit
                # (busy, quota, token): record that, so a crash before the next attempt is
                # not mistaken for a submit that may have landed.
                if marked:
                    ctx.save_state(dict(state))
                raise
            if answer.get("publish_id") is None:
                raise PermanentError("微信提交发布的应答中没有 publish_id")
            state["publish_id"] = str(answer["publish_id"])
            if answer.get("msg_data_id") is not None:
                state["msg_data_id"] = str(answer["msg_data_id"])
            # Recorded before the first poll: from here on, a retry only polls.
            ctx.save_state(dict(state))
        return self._poll(http, state)

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
            answer = self._api.call(
                http, "/cgi-bin/material/add_material", params={"type": "thumb"},
                files={"media": (filename, data, content_type)}, step="上传封面",
            )
            media_id = answer.get("media_id")
            if not media_id:
                raise PermanentError("微信上传封面的应答中没有 media_id")
            cache[key] = media_id
            atomic_write(cache_file, json_bytes(cache), 0o600)
            return media_id

    # -- draft, submit, poll ------------------------------------------------------------------
    def _create_draft(self, item: NormalizedItem, ctx: DeliveryContext, state: dict) -> None:
        """Upload the cover if needed, add the draft and save its ``media_id`` at once."""
        def add(thumb: str, accept: frozenset[int]) -> dict[str, Any]:
            body = json_bytes(self._draft(item, thumb))
            ctx.payload_sha256 = hashlib.sha256(body).hexdigest()
            return self._api.call(ctx.http, "/cgi-bin/draft/add", body, step="创建草稿",
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

    def _poll(self, http: HttpClient, state: Mapping[str, Any]) -> PublishResult:
        """Poll until a terminal status, with exponential backoff bounded by the settings.

        ``state`` holds the saved ``publish_id`` (and ``msg_data_id``, when submit gave one).
        """
        publish_id = str(state["publish_id"])  # a string on the wire, as documented
        s = self.settings
        deadline = time.monotonic() + s.poll_max_seconds
        wait = s.poll_initial_wait
        while True:
            answer = self._api.call(
                http, "/cgi-bin/freepublish/get", {"publish_id": publish_id},
                step="查询发布状态",
            )
            status = answer.get("publish_status")
            if status == PUBLISHED:
                return _published(answer, publish_id, state.get("msg_data_id"))
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

    # -- withdraw -----------------------------------------------------------------------------
    def withdraw(
        self, item: NormalizedItem, withdrawal: Withdrawal, ctx: DeliveryContext
    ) -> PublishResult:
        """``freepublish/delete`` ``{"article_id", "index": 0}`` (0: the whole publication).

        WeChat documents no "already deleted" code; an ``article_id`` it no longer knows
        (53600, invalid article id) can only be one it deleted, so it counts as withdrawn.
        """
        if not withdrawal.remote_id:
            raise PermanentError("发布时微信未返回 article_id，无法自动删除；"
                                 "请在公众号后台人工删除")
        answer = self._api.call(
            ctx.http, "/cgi-bin/freepublish/delete",
            {"article_id": withdrawal.remote_id, "index": 0},
            step="删除已发布文章", accept=frozenset({INVALID_ARTICLE_ID}),
        )
        gone = answer.get("errcode") == INVALID_ARTICLE_ID
        return PublishResult(
            remote_id=withdrawal.remote_id, url=withdrawal.url, already_published=gone,
            note="微信答复文章不存在（已删除），按已撤回记录" if gone else None,
        )

    # -- settle -------------------------------------------------------------------------------
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
            return self._poll(ctx.http, ctx.state)
        except TransientError as exc:
            log.info("微信：暂时无法确认发布结果：%s", exc)
            return None

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
            self._api.access_token(http)
        except (PermanentError, TransientError) as exc:
            problems.append(f"无法获取微信 access_token：{exc}")
        return problems


def _published(answer: dict[str, Any], publish_id: str, msg_data_id: Any) -> PublishResult:
    items = (answer.get("article_detail") or {}).get("item") or []
    url = next((i.get("article_url") for i in items if i.get("article_url")), None)
    article_id = answer.get("article_id")
    remote_data = {"publish_id": publish_id}
    if msg_data_id is not None:
        remote_data["msg_data_id"] = str(msg_data_id)
    return PublishResult(
        remote_id=str(article_id) if article_id is not None else None,
        url=url,
        note=f"publish_id {publish_id}",
        remote_data=remote_data,
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


@hookimpl
def register_channels(register):
    register(WeChatChannel)
