"""WeChat official-account channel against the sandbox over real HTTP (DESIGN §5.3)."""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import pluggy
import pytest
from pydantic import SecretStr

from heze_hub.delivery import hookspecs
from heze_hub.delivery.channel import DeliveryContext, HubInfo, PublishResult
from heze_hub.delivery.http import HttpClient
from heze_hub.errors import PermanentError, TransientError, Unconfirmed
from heze_hub.items.model import NormalizedItem
from heze_hub.plugin import shorten
from heze_hub.sandbox import Fault, Sandbox
from heze_hub_plugins import wechat as wechat_plugin
from heze_hub_plugins.wechat import WeChatChannel, WeChatSettings
from heze_hub_plugins.wechat_cover import default_cover_jpeg
from heze_hub_plugins.wechat_html import (
    AUTHOR_MAX,
    CONTENT_MAX,
    DIGEST_MAX,
    TITLE_MAX,
    truncate_html,
)
from tests.channels.engine import publish_through_the_engine
from tests.channels.support import PUBLIC_URL, TZ, outcome

INDEX_NO = "11371700MB28581232/2018-00001"
SECRET = "sandbox-wechat-secret"

TOKEN = "/cgi-bin/stable_token"
UPLOAD = "/cgi-bin/material/add_material"
DRAFT = "/cgi-bin/draft/add"
SUBMIT = "/cgi-bin/freepublish/submit"
GET = "/cgi-bin/freepublish/get"
PATHS = (TOKEN, UPLOAD, DRAFT, SUBMIT, GET)


def make_item(**changes: Any) -> NormalizedItem:
    fields: dict[str, Any] = {
        "index_no": INDEX_NO,
        "version": 1,
        "published_at": datetime(2018, 10, 8, 9, 30, tzinfo=TZ),
        "content_sha256": "0" * 64,
        "title": "菏泽市人民政府关于印发菏泽市乡村振兴战略规划（2018—2022年）的通知",
        "department": "菏泽市人民政府",
        "written_on": date(2018, 9, 28),
        "kind": "policy",
        "category": "decision",
        "doc_number": "菏政发〔2018〕15号",
        "topics": ("乡村振兴",),
        "summary": "印发菏泽市乡村振兴战略规划（2018—2022年），明确总体要求和主要任务。",
        "body_html": "<p>各县区人民政府：</p><p>现将《规划》印发给你们，请认真贯彻执行。</p>",
        "body_text": "各县区人民政府：\n\n现将《规划》印发给你们，请认真贯彻执行。",
    }
    fields.update(changes)
    return NormalizedItem(**fields)


class Saves(list):
    """A dict-backed ``save_state`` that merges like the core's and remembers each call."""

    def __init__(self, state: dict[str, Any], sandbox: Sandbox) -> None:
        super().__init__()
        self.state = state
        self.sandbox = sandbox

    def __call__(self, update: dict[str, Any]) -> None:
        # Remember how many status polls had happened when the state was saved.
        self.append((dict(update), self.sandbox.wechat.count(GET)))
        self.state.update(update)


def make_ctx(sb: Sandbox, state: dict[str, Any] | None = None) -> DeliveryContext:
    state = {} if state is None else state
    ctx = DeliveryContext(
        idempotency_key=f"{INDEX_NO}:1:wechat", attempt=1, state=state,
        save_state=Saves(state, sb), http=HttpClient(),
    )
    return ctx


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    """The module's sandbox with a fresh WeChat account: no requests, faults or tokens yet."""
    wechat = sandbox.wechat
    wechat.reset()
    wechat.token_ttl, wechat.polls_until_published, wechat.next_publish_status = 7200, 1, None
    return sandbox


def make_channel(sb: Sandbox, hub: HubInfo, **settings: Any) -> WeChatChannel:
    values: dict[str, Any] = {
        "api_base": sb.url("wechat"), "appid": "wx-sandbox-appid", "secret": SecretStr(SECRET),
        "timeout": 2.0, "poll_initial_wait": 0.001, "poll_max_wait": 0.005,
        "poll_max_seconds": 0.1,
    }
    values.update(settings)
    return WeChatChannel("wechat", WeChatSettings(**values), hub)


@pytest.fixture
def channel(sb: Sandbox, hub: HubInfo) -> WeChatChannel:
    return make_channel(sb, hub)


def counts(sb: Sandbox) -> dict[str, int]:
    return {path.rsplit("/", 1)[-1]: sb.wechat.count(path) for path in PATHS}


# -- the happy path ------------------------------------------------------------------------------

def test_publishes_and_records_progress_before_polling(sb, channel):
    ctx = make_ctx(sb)
    result = channel.publish(make_item(), ctx)

    assert isinstance(result, PublishResult)
    assert result.remote_id and result.url and result.url.startswith("https://mp.weixin.qq.com/")
    assert counts(sb) == {
        "stable_token": 1, "add_material": 1, "add": 1, "submit": 1, "get": 2,
    }
    saves = ctx.save_state
    assert [sorted(update) for update, _ in saves] == [
        ["media_id", "payload_sha256"],
        ["media_id", "msg_data_id", "payload_sha256", "publish_id"],
    ]
    # publish_id was saved after submit answered and before the first poll.
    assert saves[1][1] == 0
    # Submit answered numbers; freepublish/get was sent the publish_id as a JSON string (§5.3).
    polls = [r.json for r in sb.wechat.requests if r.path == GET]
    assert all(isinstance(p["publish_id"], str) for p in polls)
    (publish_id,) = sb.wechat.publishes
    assert ctx.state["publish_id"] == polls[-1]["publish_id"] == publish_id
    # msg_data_id from submit is kept, with the publish_id, for the receipt's remote_data.
    assert result.remote_data == {"publish_id": publish_id,
                                  "msg_data_id": ctx.state["msg_data_id"]}
    assert ctx.state["msg_data_id"].isdigit()


def test_draft_is_utf8_json_within_limits(sb, channel, hub):
    long_body = "".join(
        f"<p>第{i}条。乡村振兴战略规划的主要任务包括<strong>产业、人才、文化</strong>等方面。</p>"
        for i in range(1000)
    )
    item = make_item(
        title="关于" + "乡村振兴" * 20 + "的通知", summary="规划摘要，" * 40,
        body_html=long_body, department="菏泽市人民政府办公室乡村振兴工作领导小组办公室",
    )
    ctx = make_ctx(sb)
    channel.publish(item, ctx)

    (draft,) = [r for r in sb.wechat.requests if r.path == DRAFT]
    assert draft.headers["Content-Type"] == "application/json; charset=utf-8"
    assert b"\\u" not in draft.body and "乡村振兴".encode() in draft.body
    (article,) = json.loads(draft.body.decode("utf-8"))["articles"]
    assert len(article["title"]) <= TITLE_MAX and article["title"].endswith("…")
    assert len(article["author"]) <= AUTHOR_MAX
    assert len(article["digest"]) <= DIGEST_MAX
    assert len(article["content"]) < 20_000
    assert article["content"].endswith(f'<p><a href="{hub.item_url(INDEX_NO)}">阅读全文</a></p>')
    assert article["content_source_url"] == f"{PUBLIC_URL}/xxgk/{INDEX_NO}.html"
    assert ctx.payload_sha256 == hashlib.sha256(draft.body).hexdigest()
    assert channel.render(item)["articles"][0]["content"] == article["content"]


def test_token_and_cover_are_reused(sb, channel, hub):
    for _ in range(2):
        channel.publish(make_item(), make_ctx(sb))
    assert sb.wechat.count(TOKEN) == 1
    assert sb.wechat.count(UPLOAD) == 1

    # Another process (a fresh channel object) re-uses the cached cover but needs its own token.
    other = make_channel(sb, hub)
    other.publish(make_item(), make_ctx(sb))
    assert sb.wechat.count(UPLOAD) == 1
    assert sb.wechat.count(TOKEN) == 2


def test_configured_cover_is_uploaded_once_per_content(sb, hub, tmp_path):
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(default_cover_jpeg(90, 38))
    channel = make_channel(sb, hub, cover="cover.jpg")
    channel.publish(make_item(), make_ctx(sb))
    channel.publish(make_item(), make_ctx(sb))
    uploads = [r for r in sb.wechat.requests if r.path == UPLOAD]
    assert len(uploads) == 1
    assert uploads[0].query["type"] == "thumb"
    assert uploads[0].files["media"].filename == "cover.jpg"
    assert uploads[0].files["media"].data == cover.read_bytes()

    cover.write_bytes(default_cover_jpeg(120, 51))  # a new cover is a new upload
    channel.publish(make_item(), make_ctx(sb))
    assert sb.wechat.count(UPLOAD) == 2


def test_default_cover_is_a_baseline_jpeg():
    data = default_cover_jpeg()
    assert data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9") and len(data) < 64 * 1024
    pos, markers = 2, {}
    while data[pos + 1] != 0xDA:  # segments up to the start of scan
        marker, length = struct.unpack(">HH", data[pos:pos + 4])
        markers[marker] = data[pos + 4:pos + 2 + length]
        pos += 2 + length
    assert list(markers) == [0xFFE0, 0xFFDB, 0xFFC0, 0xFFC4]
    precision, height, width, components = struct.unpack(">BHHB", markers[0xFFC0][:6])
    assert (precision, width, height, components) == (8, 900, 383, 3)
    scan = data[pos + 14:-2]
    assert all(scan[i + 1] == 0 for i in range(len(scan) - 1) if scan[i] == 0xFF)  # stuffed


def test_one_token_and_one_cover_for_concurrent_deliveries(sb, channel):
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: channel.publish(make_item(), make_ctx(sb)), range(8)))
    assert all(r.remote_id for r in results)
    assert sb.wechat.count(TOKEN) == 1 and sb.wechat.count(UPLOAD) == 1
    assert sb.wechat.count(SUBMIT) == 8


def test_registers_through_the_hook():
    manager = pluggy.PluginManager("heze_hub")
    manager.add_hookspecs(hookspecs)
    manager.register(wechat_plugin)
    manager.check_pending()
    registered: list[type] = []
    manager.hook.register_channels(register=registered.append)
    assert registered == [WeChatChannel]
    assert WeChatChannel.plugin_name == "wechat" and WeChatChannel.resend_safe is False
    assert WeChatSettings().secret_fields() == ["secret"]


# -- every error code of §5.3 -----------------------------------------------------------------

BUSY = {"errcode": -1, "errmsg": "system error"}
QUOTA = {"errcode": 45009, "errmsg": "reach max api daily quota limit"}


@pytest.mark.parametrize(
    ("path", "body", "expected", "expected_counts"),
    [
        # -1 busy: transient, nothing after the failed call happens.
        (TOKEN, BUSY, TransientError, {"stable_token": 1, "add_material": 0}),
        (UPLOAD, BUSY, TransientError, {"add_material": 1, "add": 0}),
        (DRAFT, BUSY, TransientError, {"add": 1, "submit": 0}),
        (SUBMIT, BUSY, TransientError, {"submit": 1, "get": 0}),
        (GET, BUSY, TransientError, {"submit": 1, "get": 1}),
        # 45009 quota: transient with a long wait.
        (DRAFT, QUOTA, TransientError, {"add": 1, "submit": 0}),
        (SUBMIT, QUOTA, TransientError, {"submit": 1, "get": 0}),
        # any other code is permanent and carries WeChat's errcode and errmsg.
        (TOKEN, {"errcode": 40125, "errmsg": "invalid appsecret"}, PermanentError,
         {"stable_token": 1, "add_material": 0}),
        (DRAFT, {"errcode": 45003, "errmsg": "title size out of limit"}, PermanentError,
         {"add": 1, "submit": 0}),
        (SUBMIT, {"errcode": 53503, "errmsg": "draft check failed"}, PermanentError,
         {"submit": 1, "get": 0}),
        (GET, {"errcode": 40007, "errmsg": "invalid publish_id"}, PermanentError,
         {"submit": 1, "get": 1}),
    ],
)
def test_errcodes(sb, channel, path, body, expected, expected_counts):
    sb.wechat.add_fault(Fault(path=path, times=1, body=body))
    error = outcome(lambda: channel.publish(make_item(), make_ctx(sb)))

    assert type(error) is expected
    assert str(body["errcode"]) in str(error) and body["errmsg"] in str(error)
    if body["errcode"] == 45009:
        assert error.retry_after == 3600
    elif expected is TransientError:
        assert error.retry_after is None
    got = counts(sb)
    assert {k: got[k] for k in expected_counts} == expected_counts


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
@pytest.mark.parametrize("path", [UPLOAD, DRAFT, SUBMIT, GET])
def test_token_errors_refresh_once_and_retry_the_call(sb, channel, path, errcode):
    sb.wechat.add_fault(Fault(path=path, times=1, body={"errcode": errcode, "errmsg": "token"}))
    result = channel.publish(make_item(), make_ctx(sb))

    assert isinstance(result, PublishResult) and result.remote_id
    # The platform still hands out the token the fault rejected, so the channel forces a new one.
    token_requests = [r.json["force_refresh"] for r in sb.wechat.requests if r.path == TOKEN]
    assert token_requests == [False, False, True]
    assert sb.wechat.count(path) == (3 if path == GET else 2)  # GET also polls once more
    assert sb.wechat.count(SUBMIT) == (2 if path == SUBMIT else 1)


def test_token_rejected_twice_is_not_a_loop(sb, channel):
    sb.wechat.add_fault(Fault(path=DRAFT, body={"errcode": 40001, "errmsg": "invalid credential"}))
    error = outcome(lambda: channel.publish(make_item(), make_ctx(sb)))
    assert isinstance(error, TransientError) and "40001" in str(error)
    assert sb.wechat.count(DRAFT) == 2 and sb.wechat.count(TOKEN) == 3


@pytest.mark.parametrize("how", ["invalidate_tokens", "expire_tokens"])  # 40001, 42001
def test_token_revoked_by_the_platform_is_refreshed(sb, channel, how):
    channel.publish(make_item(), make_ctx(sb))
    getattr(sb.wechat, how)()
    channel.publish(make_item(), make_ctx(sb))
    token_requests = [r.json["force_refresh"] for r in sb.wechat.requests if r.path == TOKEN]
    assert token_requests == [False, False]
    assert sb.wechat.count(UPLOAD) == 1 and sb.wechat.count(DRAFT) == 3


def test_token_refreshed_before_expiry(sb, channel):
    sb.wechat.token_ttl = 1  # the channel refreshes it a fifth of its life early
    channel.publish(make_item(), make_ctx(sb))
    time.sleep(0.85)
    channel.publish(make_item(), make_ctx(sb))
    assert sb.wechat.count(TOKEN) == 2
    assert sb.wechat.count(DRAFT) == 2  # no call was refused for an expired token


@pytest.mark.parametrize(
    ("status", "words"),
    [(2, "原创"), (3, "常规失败"), (4, "审核不通过"), (5, "已被删除"), (6, "已被封禁")],
)
def test_failed_publish_status_is_permanent(sb, channel, status, words):
    sb.wechat.next_publish_status = status
    error = outcome(lambda: channel.publish(make_item(), make_ctx(sb)))
    assert isinstance(error, PermanentError)
    assert words in str(error) and f"publish_status {status}" in str(error)
    assert sb.wechat.count(SUBMIT) == 1


# -- resuming: never a second draft, never a second submit ---------------------------------------

def test_the_submit_and_nothing_else_is_marked_right_before_it_leaves(sb, channel):
    marks: list[tuple[str, dict[str, int]]] = []
    ctx = make_ctx(sb)
    ctx.record_mark = lambda what: marks.append((what, counts(sb)))
    channel.publish(make_item(), ctx)
    assert marks == [("提交发布", {"stable_token": 1, "add_material": 1, "add": 1, "submit": 0,
                                  "get": 0})]


def test_retry_after_submit_failure_reuses_the_draft(sb, channel):
    sb.wechat.add_fault(Fault(path=SUBMIT, times=1, body=BUSY))
    ctx = make_ctx(sb)
    assert isinstance(outcome(lambda: channel.publish(make_item(), ctx)), TransientError)
    assert set(ctx.state) == {"media_id", "payload_sha256"}
    # WeChat refused the marked submit (busy): saved again, which settles the mark in the core.
    assert len(ctx.save_state) == 2
    sha = ctx.payload_sha256

    ctx.payload_sha256 = None
    result = channel.publish(make_item(), ctx)  # the core's next attempt, same context
    assert result.remote_id
    assert sb.wechat.count(DRAFT) == 1 and sb.wechat.count(SUBMIT) == 2
    assert ctx.payload_sha256 == sha


def test_retry_after_poll_failure_only_polls(sb, channel):
    sb.wechat.add_fault(Fault(path=GET, times=1, body=BUSY))
    ctx = make_ctx(sb)
    assert isinstance(outcome(lambda: channel.publish(make_item(), ctx)), TransientError)
    result = channel.publish(make_item(), ctx)
    assert result.remote_id
    assert sb.wechat.count(DRAFT) == 1 and sb.wechat.count(SUBMIT) == 1


def test_still_publishing_at_the_bound_then_settled(sb, channel):
    sb.wechat.polls_until_published = 10_000
    ctx = make_ctx(sb)
    error = outcome(lambda: channel.publish(make_item(), ctx))
    assert isinstance(error, TransientError) and "发布中" in str(error)
    assert ctx.state["publish_id"]
    assert channel.settle(make_item(), ctx) is None  # still publishing: cannot tell yet

    sb.wechat.polls_until_published = 0
    settled = channel.settle(make_item(), ctx)
    assert isinstance(settled, PublishResult) and settled.remote_id
    assert sb.wechat.count(SUBMIT) == 1 and sb.wechat.count(DRAFT) == 1


def test_settle_reports_a_definite_failure(sb, channel):
    sb.wechat.next_publish_status = 4
    sb.wechat.polls_until_published = 10_000
    ctx = make_ctx(sb)
    assert isinstance(outcome(lambda: channel.publish(make_item(), ctx)), TransientError)
    sb.wechat.polls_until_published = 0
    assert isinstance(outcome(lambda: channel.settle(make_item(), ctx)), PermanentError)


def test_publish_id_saved_as_a_number_by_an_older_release_is_polled_as_a_string(sb, channel):
    # A delivery interrupted under a release that saved the submit's number resumes by polling.
    first = make_ctx(sb)
    sb.wechat.polls_until_published = 10_000
    assert isinstance(outcome(lambda: channel.publish(make_item(), first)), TransientError)
    sb.wechat.polls_until_published = 0
    old_state = {"media_id": first.state["media_id"], "publish_id": int(first.state["publish_id"])}
    ctx = make_ctx(sb, old_state)
    result = channel.publish(make_item(), ctx)
    assert result.remote_id and result.remote_data == {"publish_id": first.state["publish_id"]}
    assert sb.wechat.count(SUBMIT) == 1
    assert isinstance(sb.wechat.requests[-1].json["publish_id"], str)


def test_settle_without_publish_id_cannot_tell(sb, channel):
    ctx = make_ctx(sb, {"media_id": "some-draft"})
    assert channel.settle(make_item(), ctx) is None
    assert sb.wechat.count() == 0


def test_lost_submit_answer_is_not_retried(sb, channel):
    # WeChat accepted the submit but the answer never arrived: resubmitting could publish twice.
    sb.wechat.add_fault(Fault(path=SUBMIT, times=1, drop=True, handle=True))
    ctx = make_ctx(sb)
    error = outcome(lambda: channel.publish(make_item(), ctx))
    assert isinstance(error, Unconfirmed) and "hub retry --resend" in str(error)
    assert sb.wechat.count(SUBMIT) == 1 and "publish_id" not in ctx.state
    assert channel.settle(make_item(), ctx) is None


@pytest.mark.parametrize(
    "fault",
    [Fault(path=SUBMIT, times=1, status=502, body={"error": "bad gateway"}),
     Fault(path=SUBMIT, times=1, delay=1.0)],
)
def test_unclear_submit_outcome_is_not_retried(sb, hub, fault):
    channel = make_channel(sb, hub, timeout=0.3)
    sb.wechat.add_fault(fault)
    error = outcome(lambda: channel.publish(make_item(), make_ctx(sb)))
    assert isinstance(error, Unconfirmed) and "无法确认是否已提交" in str(error)
    assert sb.wechat.count(SUBMIT) == 1


def test_submit_refused_with_429_is_transient(sb, hub):
    channel = make_channel(sb, hub)
    channel.publish(make_item(), make_ctx(sb))  # token and cover cached
    sb.wechat.add_fault(Fault(path=SUBMIT, times=1, status=429, body={"errcode": 45009}))
    assert isinstance(outcome(lambda: channel.publish(make_item(), make_ctx(sb))), TransientError)


def test_lost_draft_answer_is_transient(sb, channel):
    sb.wechat.add_fault(Fault(path=DRAFT, times=1, drop=True))
    error = outcome(lambda: channel.publish(make_item(), make_ctx(sb)))
    assert isinstance(error, TransientError)


def test_timeout_is_transient(sb, hub):
    channel = make_channel(sb, hub, timeout=0.2)
    sb.wechat.add_fault(Fault(path=DRAFT, times=1, delay=1.0))
    error = outcome(lambda: channel.publish(make_item(), make_ctx(sb)))
    assert isinstance(error, TransientError) and "超时" in str(error)


def test_unreachable_api_is_transient(hub):
    with Sandbox() as dead:
        url = dead.url("wechat")
    channel = WeChatChannel(
        "wechat",
        WeChatSettings(api_base=url, appid="wx", secret=SecretStr(SECRET), timeout=1.0),
        hub,
    )
    ctx = DeliveryContext("k", 1, {}, lambda _u: None, HttpClient())
    assert isinstance(outcome(lambda: channel.publish(make_item(), ctx)), TransientError)


def test_http_level_errors(sb, channel):
    sb.wechat.add_fault(Fault(path=DRAFT, times=1, status=502))
    assert isinstance(outcome(lambda: channel.publish(make_item(), make_ctx(sb))), TransientError)
    sb.wechat.add_fault(Fault(path=DRAFT, times=1, status=404))
    assert isinstance(outcome(lambda: channel.publish(make_item(), make_ctx(sb))), PermanentError)


def test_stale_cached_cover_is_uploaded_again(sb, channel):
    channel.publish(make_item(), make_ctx(sb))
    sb.wechat.add_fault(Fault(path=DRAFT, times=1, body={"errcode": 40007, "errmsg": "invalid"}))
    assert channel.publish(make_item(), make_ctx(sb)).remote_id
    assert sb.wechat.count(UPLOAD) == 2


# -- through the delivery engine: the state and attempt count the core records (§5.3, §6) --------

ENGINE_ENV = {
    # No waiting between attempts; the time budget (max_seconds) keeps its default of 120 s, so
    # the quota's hour-long wait still exceeds it.
    "HUB_CHANNELS__WECHAT__RETRY__MAX_ATTEMPTS": "3",
    "HUB_CHANNELS__WECHAT__RETRY__INITIAL_WAIT": "0",
    "HUB_CHANNELS__WECHAT__RETRY__MAX_WAIT": "0",
    "HUB_CHANNELS__WECHAT__POLL_INITIAL_WAIT": "0.001",
    "HUB_CHANNELS__WECHAT__POLL_MAX_WAIT": "0.005",
    "HUB_CHANNELS__WECHAT__TIMEOUT": "5",
}


TITLE = "关于做好2018年秋季学期中小学开学工作的通知"


def quota(path: str) -> dict[str, Any]:
    return {"path": path, "times": 1, "body": QUOTA}


def busy(path: str, times: int | None = 1) -> dict[str, Any]:
    return {"path": path, "times": times, "body": BUSY}


def errcode(path: str, code: int, errmsg: str, times: int = 1) -> dict[str, Any]:
    return {"path": path, "times": times, "body": {"errcode": code, "errmsg": errmsg}}


# (faults as tables, final publish_status, delivery state, attempts, retryable, words the error
# holds, sandbox request counts, force_refresh flags of the token requests in order)
ENGINE_CASES = [
    # -1 busy: transient, the next attempt resumes where the last one stopped.
    pytest.param([busy(DRAFT)], None, "published", 2, False, (),
                 {DRAFT: 2, SUBMIT: 1}, [False], id="-1-once-on-draft"),
    pytest.param([busy(SUBMIT)], None, "published", 2, False, (),
                 {DRAFT: 1, SUBMIT: 2}, [False], id="-1-once-on-submit-reuses-the-draft"),
    pytest.param([busy(GET)], None, "published", 2, False, (),
                 {DRAFT: 1, SUBMIT: 1, GET: 3}, [False], id="-1-once-on-poll-only-polls"),
    pytest.param([busy(DRAFT, times=None)], None, "failed", 3, True,
                 ("errcode -1", "系统繁忙", "已尝试 3 次", "hub retry"),
                 {DRAFT: 3, SUBMIT: 0}, [False], id="-1-always-exhausts-max-attempts"),
    # 45009: the hour-long wait it asks for exceeds the channel's time budget: no tight retry.
    pytest.param([quota(DRAFT)], None, "failed", 1, True,
                 ("errcode 45009", "调用次数已达上限", "quota", "hub retry"),
                 {DRAFT: 1, SUBMIT: 0}, [False], id="45009-on-draft"),
    pytest.param([quota(SUBMIT)], None, "failed", 1, True,
                 ("errcode 45009", "调用次数已达上限", "quota"),
                 {DRAFT: 1, SUBMIT: 1, GET: 0}, [False], id="45009-on-submit"),
    # Token codes: refreshed once inside the same attempt. The platform still hands out the token
    # the fault rejected, so the channel asks again with force_refresh.
    *[pytest.param([errcode(DRAFT, code, "invalid credential")], None, "published", 1, False,
                   (), {DRAFT: 2, SUBMIT: 1}, [False, False, True], id=f"{code}-once-on-draft")
      for code in (40001, 40014, 42001)],
    pytest.param([errcode(SUBMIT, 40014, "invalid access_token")], None, "published", 1, False,
                 (), {DRAFT: 1, SUBMIT: 2}, [False, False, True], id="40014-once-on-submit"),
    # Rejected again after the refresh: transient; the next attempt's token is accepted.
    pytest.param([errcode(DRAFT, 40001, "invalid credential", times=2)], None, "published", 2,
                 False, (), {DRAFT: 3, SUBMIT: 1}, [False, False, True],
                 id="40001-twice-on-draft"),
    # Any other code is permanent: one attempt, never retried by itself.
    pytest.param([errcode(DRAFT, 45003, "title size out of limit")], None, "failed", 1, False,
                 ("errcode 45003", "title size out of limit", "标题超过长度限制"),
                 {DRAFT: 1, SUBMIT: 0}, [False], id="45003-on-draft"),
    pytest.param([errcode(SUBMIT, 53503, "draft check failed")], None, "failed", 1, False,
                 ("errcode 53503", "draft check failed"),
                 {DRAFT: 1, SUBMIT: 1, GET: 0}, [False], id="53503-on-submit"),
    # publish_status 2–4: the publication itself failed (terminal).
    *[pytest.param([], status, "failed", 1, False, (f"publish_status {status}", words),
                   {DRAFT: 1, SUBMIT: 1, GET: 2}, [False], id=f"publish_status-{status}")
      for status, words in ((2, "原创声明失败"), (3, "常规失败"), (4, "平台审核不通过"))],
    # WeChat accepted the submit but its answer was lost: never submitted again by itself.
    pytest.param([{"path": SUBMIT, "times": 1, "drop": True, "handle": True}], None,
                 "unconfirmed", 1, False, ("无法确认是否已提交", "hub retry --resend"),
                 {DRAFT: 1, SUBMIT: 1, GET: 0}, [False], id="lost-submit-answer"),
]


@pytest.mark.parametrize(
    ("faults", "publish_status", "status", "attempts", "retryable", "words", "calls", "tokens"),
    ENGINE_CASES,
)
def test_engine_records_state_and_attempts(
    sb, tmp_path, monkeypatch, faults, publish_status, status, attempts, retryable, words, calls,
    tokens,
):
    for fault in faults:
        sb.wechat.add_fault(fault)
    sb.wechat.next_publish_status = publish_status
    got = publish_through_the_engine(sb, tmp_path, monkeypatch, "wechat", ENGINE_ENV, TITLE)
    o, row, receipt = got.outcome, got.row, got.receipt

    # What the run reports, what the outbox row holds and what the receipt log says agree.
    assert (o.channel, o.status, o.attempts) == ("wechat", status, attempts)
    assert (row.status, row.attempts, row.retryable) == (status, attempts, retryable)
    assert (receipt["status"], receipt["attempts"]) == (status, attempts)
    assert receipt["idempotency_key"] == row.idempotency_key == f"{o.index_no}:1:wechat"
    assert got.failed is (status != "published")
    if status == "published":
        assert o.error is None and row.error is None and receipt["error"] is None
        assert o.remote_id and receipt["remote_id"] == row.remote_id == o.remote_id
        assert receipt["url"].startswith("https://mp.weixin.qq.com/s/")
        assert sb.wechat.submits == 1  # one article, however many attempts
    else:
        assert receipt["error"] == row.error == o.error
        assert receipt["remote_id"] is None
        for word in words:
            assert word in receipt["error"]
    # The sandbox saw exactly the calls the table names; the cover is uploaded once.
    assert {path: sb.wechat.count(path) for path in calls} == calls
    assert sb.wechat.count(UPLOAD) == 1
    assert [r.json["force_refresh"] for r in sb.wechat.requests if r.path == TOKEN] == tokens
    # The receipt's payload hash is that of the draft as sent.
    draft = [r for r in sb.wechat.requests if r.path == DRAFT][-1]
    assert receipt["payload_sha256"] == hashlib.sha256(draft.body).hexdigest()
    # Progress saved in the row: the draft once it exists, the publish_id once submit answered.
    state = json.loads(row.state)
    submitted = [r.json["media_id"] for r in sb.wechat.requests if r.path == SUBMIT]
    assert state.get("media_id") == (submitted[-1] if submitted else None)
    answered = status == "published" or publish_status is not None
    assert state.get("publish_id") == (next(iter(sb.wechat.publishes)) if answered else None)
    if status == "published":
        # The receipt keeps both identifiers submit answered with (§5.3), as strings.
        assert receipt["remote_data"] == {"publish_id": state["publish_id"],
                                          "msg_data_id": state["msg_data_id"]}
    else:
        assert "remote_data" not in receipt


# -- health --------------------------------------------------------------------------------------

def test_check_obtains_a_token_and_publishes_nothing(sb, channel, caplog):
    with caplog.at_level(logging.WARNING):
        assert channel.check(HttpClient()) == []
    assert "默认封面" in caplog.text
    assert counts(sb) == {"stable_token": 1, "add_material": 0, "add": 0, "submit": 0, "get": 0}


def test_check_reports_problems(sb, hub):
    bad = make_channel(sb, hub, secret=SecretStr("wrong"))
    (problem,) = bad.check(HttpClient())
    assert "access_token" in problem and "40125" in problem

    missing = make_channel(sb, hub, secret=None, appid=None, cover="missing.png")
    problems = missing.check(HttpClient())
    assert any("HUB_CHANNELS__WECHAT__SECRET" in p for p in problems)
    assert any("appid" in p for p in problems)
    assert any("missing.png" in p for p in problems)
    assert sb.wechat.count(TOKEN) == 1  # the bad secret only


# -- secrets -------------------------------------------------------------------------------------

def test_secrets_never_leak(sb, hub, caplog):
    channel = make_channel(sb, hub, timeout=0.3)
    texts: list[str] = []

    def record(call) -> None:
        value = outcome(call)
        if isinstance(value, BaseException):
            texts.extend([str(value), repr(value)])
            texts.extend(traceback.format_exception(value))
        else:
            texts.append(repr(value))

    faults = [
        Fault(path=TOKEN, times=1, body={"errcode": 40125, "errmsg": "invalid appsecret"}),
        Fault(path=DRAFT, times=1, drop=True),
        Fault(path=DRAFT, times=1, delay=1.0),
        Fault(path=SUBMIT, times=1, drop=True),
        Fault(path=SUBMIT, times=1, body=QUOTA),
        Fault(path=GET, times=1, body={"errcode": 40001, "errmsg": "invalid credential"}),
        Fault(path=GET, times=1, status=500),
    ]
    with caplog.at_level(logging.DEBUG):
        for fault in faults:
            sb.wechat.add_fault(fault)
            record(lambda: channel.publish(make_item(), make_ctx(sb)))
        record(lambda: channel.publish(make_item(), make_ctx(sb)))
        texts.append(json.dumps(channel.render(make_item()), ensure_ascii=False))
        texts.extend(channel.check(HttpClient()))
    # The sandbox logs what it received, tokens included: it is a fake. The hub's logs may not.
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("heze_hub.sandbox")]
    texts.extend(logged)

    tokens = {r.query["access_token"] for r in sb.wechat.requests if "access_token" in r.query}
    assert tokens, "the sandbox saw no access token"
    assert any("access_token=***" in m for m in logged)  # urllib3 logged the URLs, redacted
    for secret in {SECRET, *tokens}:
        for text in texts:
            assert secret not in text


# -- text limits -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("短标题", 32, "短标题"),
        ("一二三四五六七八九十，一二三四五六七八九十。一二三四五六七八九十", 25,
         "一二三四五六七八九十，一二三四五六七八九十…"),
        ("第一句话说完了。第二句话还没有说完就被截断了", 12, "第一句话说完了…"),
        ("关于2018年度菏泽市财政预算执行情况", 8, "关于2018年…"),
        ("关于2018年度菏泽市财政预算执行情况", 5, "关于…"),  # no number cut in two
        ("菏泽市人民政府关于印发菏泽市乡村振兴战略规划（2018—2022年）的通知", 32,
         "菏泽市人民政府关于印发菏泽市乡村振兴战略规划…"),  # no bracket left open
        ("e\u0301e\u0301e\u0301e\u0301", 4, "e\u0301…"),
    ],
)
def test_shorten(text, limit, expected):
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_truncate_html_keeps_tags_balanced():
    source = "<ul>" + "".join(
        f"<li>事项{i}：<em>申请人</em>提交材料&amp;证明，当场办结</li>" for i in range(400)
    ) + "</ul>"
    out = truncate_html(source, 2000, read_more_url="https://x.gov.cn/a?b=1&c=2")
    assert len(out) <= 2000
    assert out.count("<li>") == out.count("</li>") and out.count("<em>") == out.count("</em>")
    assert out.count("<ul>") == out.count("</ul>") == 1
    assert out.endswith('<p><a href="https://x.gov.cn/a?b=1&amp;c=2">阅读全文</a></p>')
    assert "&amp" not in out.replace("&amp;", "")  # no entity cut in half
    assert "…" in out


def test_truncate_html_prefers_a_sentence_end():
    source = "<p>" + "这一句是完整的。" * 5000 + "</p>"
    out = truncate_html(source, CONTENT_MAX, read_more_url="https://x/")
    assert len(out) <= CONTENT_MAX
    assert out.startswith("<p>这一句是完整的。") and "完整的…</p>" in out


def test_short_html_is_untouched():
    source = "<p>短。</p>"
    assert truncate_html(source, 100, read_more_url="https://x/") == source
