"""Weibo channel against the sandbox over real HTTP (DESIGN §5.4)."""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from datetime import date, datetime
from typing import Any

import pluggy
import pytest
from pydantic import SecretStr

from heze_hub.delivery import hookspecs
from heze_hub.delivery.channel import DeliveryContext, HubInfo, PublishResult
from heze_hub.delivery.http import HttpClient
from heze_hub.errors import PermanentError, TransientError
from heze_hub.items.model import NormalizedItem
from heze_hub.sandbox import Fault, Sandbox
from heze_hub_plugins import weibo as weibo_plugin
from heze_hub_plugins.weibo import STATUS_MAX, WeiboChannel, WeiboSettings, weibo_length
from tests.channels.engine import publish_through_the_engine
from tests.channels.support import PUBLIC_URL, TZ, outcome

INDEX_NO = "11371700MB28581232/2018-00002"
TOKEN = "sandbox-weibo-token"
RIP = "203.0.113.5"
SHARE = "/2/statuses/share.json"
ITEM_URL = f"{PUBLIC_URL}/xxgk/{INDEX_NO}.html"


def make_item(**changes: Any) -> NormalizedItem:
    fields: dict[str, Any] = {
        "index_no": INDEX_NO,
        "version": 1,
        "published_at": datetime(2018, 6, 5, 10, 0, tzinfo=TZ),
        "content_sha256": "1" * 64,
        "title": "关于2018年菏泽市财政专项扶贫资金项目计划安排的公告",
        "department": "菏泽市扶贫开发领导小组办公室",
        "written_on": date(2018, 6, 1),
        "kind": "announcement",
        "category": "result",
        "topics": ("精准扶贫", "财政预决算"),
        "posting_days": 10,
        "summary": "公布2018年市级财政专项扶贫资金项目计划安排，接受社会监督。",
        "body_html": "<p>公告内容。</p>",
        "body_text": "公告内容。",
    }
    fields.update(changes)
    return NormalizedItem(**fields)


def make_ctx() -> DeliveryContext:
    state: dict[str, Any] = {}
    return DeliveryContext(
        idempotency_key=f"{INDEX_NO}:1:weibo", attempt=1, state=state,
        save_state=state.update, http=HttpClient(),
    )


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    """The module's sandbox with a fresh Weibo account that accepts links to the portal."""
    sandbox.weibo.reset()
    sandbox.weibo.allow_domain(PUBLIC_URL)
    return sandbox


def make_channel(sb: Sandbox, hub: HubInfo, **settings: Any) -> WeiboChannel:
    values: dict[str, Any] = {
        "api_base": sb.url("weibo"), "access_token": SecretStr(TOKEN), "timeout": 2.0,
        "rip": RIP,
    }
    values.update(settings)
    return WeiboChannel("weibo", WeiboSettings(**values), hub)


@pytest.fixture
def channel(sb: Sandbox, hub: HubInfo) -> WeiboChannel:
    return make_channel(sb, hub)


# -- the happy path ------------------------------------------------------------------------------

def test_posts_title_and_link_and_keeps_idstr(sb, channel):
    ctx = make_ctx()
    result = channel.publish(make_item(), ctx)

    (request,) = sb.weibo.requests
    assert request.path == SHARE and request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form == {"access_token": TOKEN, "status": f"{make_item().title} {ITEM_URL}",
                            "rip": RIP}
    (status,) = sb.weibo.statuses.values()
    assert status["id"] > 2**53  # a float would lose it; the receipt keeps the string
    assert result.remote_id == status["idstr"] and isinstance(result.remote_id, str)
    assert result.url == f"https://m.weibo.cn/status/{status['idstr']}"
    assert result.already_published is False
    assert ctx.payload_sha256 == hashlib.sha256(request.form["status"].encode()).hexdigest()
    assert channel.render(make_item()) == {"status": request.form["status"]}


def test_long_title_is_shortened_to_140(sb, channel):
    title = "关于" + "菏泽市农村饮水安全工程运行管护与水质检测，" * 12 + "的通知"
    channel.publish(make_item(title=title), make_ctx())
    (request,) = sb.weibo.requests
    status = request.form["status"]
    assert weibo_length(status) <= STATUS_MAX
    assert status.endswith(f"… {ITEM_URL}")
    assert weibo_length(status) >= STATUS_MAX - 2  # the room is used, not wasted


def test_shortened_title_leaves_no_bracket_open(hub):
    channel = WeiboChannel("weibo", WeiboSettings(), hub)
    # A bracket opened late is dropped with what it holds...
    title = "菏泽市" + "农村饮水安全工程运行管护" * 8 + "办法（试行，二〇一八年修订版）的通知"
    status = channel.status_text(make_item(title=title))
    assert status == f"菏泽市{'农村饮水安全工程运行管护' * 8}办法… {ITEM_URL}"
    # ...one opened early stays: cutting before it would leave too little.
    title = "关于印发《菏泽市" + "农村饮水安全工程运行管护" * 10 + "办法》的通知"
    status = channel.status_text(make_item(title=title))
    assert status.startswith("关于印发《菏泽市农村") and status.endswith(f"… {ITEM_URL}")
    assert STATUS_MAX - 1 <= weibo_length(status) <= STATUS_MAX


@pytest.mark.parametrize(
    ("text", "length"),
    [("菏泽", 2), ("ab", 1), ("abc", 2), ("菏泽a", 3), ("…", 1), ("é", 1), ("😀", 2), ("", 0)],
)
def test_weibo_length(text, length):
    assert weibo_length(text) == length


def test_duplicate_post_is_already_published(sb, channel):
    first = channel.publish(make_item(), make_ctx())
    again = channel.publish(make_item(), make_ctx())  # the sandbox answers 20019 itself
    assert first.remote_id and again.already_published and "20019" in again.note
    assert sb.weibo.count(SHARE) == 2 and len(sb.weibo.statuses) == 1


def test_registers_through_the_hook():
    manager = pluggy.PluginManager("heze_hub")
    manager.add_hookspecs(hookspecs)
    manager.register(weibo_plugin)
    manager.check_pending()
    registered: list[type] = []
    manager.hook.register_channels(register=registered.append)
    assert registered == [WeiboChannel]
    assert WeiboChannel.plugin_name == "weibo" and WeiboChannel.resend_safe is True
    assert WeiboSettings().secret_fields() == ["access_token"]


# -- every error code of §5.4 ---------------------------------------------------------------------

def weibo_error(code: int, message: str) -> dict[str, Any]:
    return {"error": message, "error_code": code, "request": SHARE}


CASES = [
    # rate limits: transient, with Weibo's Retry-After or the configured wait
    *[(code, 400, {}, TransientError, 600.0) for code in (10022, 10023, 10024)],
    (20016, 400, {"Retry-After": "120"}, TransientError, 120.0),
    (10023, 403, {"Retry-After": "7"}, TransientError, 7.0),
    # duplicate content: published already, not a failure
    *[(code, 400, {}, PublishResult, None) for code in (20017, 20019, 20111)],
    # token expired: permanent, the operator must renew it
    *[(code, 401 if code == 21332 else 400, {}, PermanentError, None)
      for code in (21315, 21327, 21332)],
    # content rejected: permanent, with the platform's message
    *[(code, 400, {}, PermanentError, None) for code in (20012, 20018, 20021)],
    # system busy / service error: transient whatever the HTTP status
    *[(code, 400, {}, TransientError, None) for code in (10001, 10002, 10009)],
    (10001, 500, {}, TransientError, None),
    (10001, 503, {"Retry-After": "3"}, TransientError, 3.0),
    # anything else: by the HTTP status
    (10014, 403, {}, PermanentError, None),
]


@pytest.mark.parametrize(("code", "status", "headers", "expected", "retry_after"), CASES)
def test_error_codes(sb, channel, code, status, headers, expected, retry_after):
    message = f"platform message {code}"
    sb.weibo.add_fault(
        Fault(path=SHARE, times=1, status=status, headers=headers, body=weibo_error(code, message))
    )
    got = outcome(lambda: channel.publish(make_item(), make_ctx()))

    assert sb.weibo.count(SHARE) == 1
    if expected is PublishResult:
        assert isinstance(got, PublishResult) and got.already_published
        assert got.remote_id is None and str(code) in got.note
        return
    assert type(got) is expected
    assert str(code) in str(got) and message in str(got)
    if expected is TransientError:
        assert got.retry_after == retry_after
    if code in (21315, 21327, 21332):
        assert "令牌过期，请运维人员更新 access_token" in str(got)
        assert "HUB_CHANNELS__WEIBO__ACCESS_TOKEN" in str(got)


def test_wrong_token_and_unsafe_domain_come_from_the_platform(sb, hub):
    bad = make_channel(sb, hub, access_token=SecretStr("not-the-token"))
    error = outcome(lambda: bad.publish(make_item(), make_ctx()))
    assert isinstance(error, PermanentError) and "21327" in str(error)

    elsewhere = WeiboChannel(
        "weibo", WeiboSettings(api_base=sb.url("weibo"), access_token=SecretStr(TOKEN), rip=RIP),
        HubInfo(public_url="https://portal.example.org", state_dir=hub.state_dir,
                config_dir=hub.config_dir, org_code=hub.org_code),
    )
    error = outcome(lambda: elsewhere.publish(make_item(), make_ctx()))
    assert isinstance(error, PermanentError) and "20018" in str(error)
    assert "illegal website" in str(error)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(path=SHARE, times=1, status=429, body={"error": "too many"}), TransientError),
        (Fault(path=SHARE, times=1, status=502, body="bad gateway"), TransientError),
        (Fault(path=SHARE, times=1, status=404, body={"oops": 1}), PermanentError),
        (Fault(path=SHARE, times=1, status=200, body={"no": "id"}), TransientError),
        (Fault(path=SHARE, times=1, drop=True), TransientError),
        (Fault(path=SHARE, times=1, drop=True, handle=True), TransientError),
    ],
)
def test_http_and_transport_failures(sb, channel, fault, expected):
    sb.weibo.add_fault(fault)
    assert type(outcome(lambda: channel.publish(make_item(), make_ctx()))) is expected
    assert sb.weibo.count(SHARE) == 1


def test_resend_after_a_lost_answer_is_harmless(sb, channel):
    # Weibo posted it but the answer was lost; the resend meets 20019 and counts as published.
    assert WeiboChannel.resend_safe is True
    sb.weibo.add_fault(Fault(path=SHARE, times=1, drop=True, handle=True))
    assert isinstance(outcome(lambda: channel.publish(make_item(), make_ctx())), TransientError)
    result = channel.publish(make_item(), make_ctx())
    assert result.already_published
    assert len(sb.weibo.statuses) == 1


def test_timeout_and_unreachable_are_transient(sb, hub):
    slow = make_channel(sb, hub, timeout=0.2)
    sb.weibo.add_fault(Fault(path=SHARE, times=1, delay=1.0))
    error = outcome(lambda: slow.publish(make_item(), make_ctx()))
    assert isinstance(error, TransientError) and "超时" in str(error)

    with Sandbox() as gone:
        url = gone.url("weibo")
    dead = make_channel(sb, hub, api_base=url)
    assert isinstance(outcome(lambda: dead.publish(make_item(), make_ctx())), TransientError)


# -- through the delivery engine: the state and attempt count the core records (§5.4, §6) --------

ENGINE_ENV = {
    # No waiting between attempts. The time budget (max_seconds) keeps its default of 120 s.
    "HUB_CHANNELS__WEIBO__RETRY__MAX_ATTEMPTS": "3",
    "HUB_CHANNELS__WEIBO__RETRY__INITIAL_WAIT": "0",
    "HUB_CHANNELS__WEIBO__RETRY__MAX_WAIT": "0",
    "HUB_CHANNELS__WEIBO__RATE_LIMIT_WAIT": "0",
    "HUB_CHANNELS__WEIBO__TIMEOUT": "5",
}
TOKEN_MESSAGE = "令牌过期，请运维人员更新 access_token（HUB_CHANNELS__WEIBO__ACCESS_TOKEN）"


TITLE = "关于2018年菏泽市财政专项扶贫资金项目计划安排的公告"


def error_fault(code: int, http_status: int = 400, times: int = 1) -> dict[str, Any]:
    """Weibo's real error shape: HTTP 4xx (or 5xx) with ``{"error", "error_code", "request"}``."""
    return {"path": SHARE, "times": times, "status": http_status,
            "body": weibo_error(code, f"platform message {code}")}


# (fault, extra environment, delivery state, attempts, retryable, words the error holds,
# whether the status was really posted, share.json requests)
ENGINE_CASES = [
    # Rate limits: transient; with the configured wait at 0 the second attempt posts it.
    *[pytest.param(error_fault(code), {}, "published", 2, False, (), True, 2,
                   id=f"{code}-once") for code in (10022, 10023, 10024, 20016)],
    pytest.param(error_fault(10023, 403), {}, "published", 2, False, (), True, 2,
                 id="10023-once-http-403"),
    # With the default wait (600 s) a rate limit exceeds the time budget: failed, retryable.
    pytest.param(error_fault(10022), {"HUB_CHANNELS__WEIBO__RATE_LIMIT_WAIT": "600"}, "failed",
                 1, True, ("error_code 10022", "调用频率超限", "hub retry"), False, 1,
                 id="10022-wait-beyond-the-budget"),
    # Duplicate content: the post already exists; published, not a retry and not a failure.
    *[pytest.param(error_fault(code), {}, "published", 1, False, (), False, 1,
                   id=f"{code}-duplicate") for code in (20017, 20019, 20111)],
    # Token expired: permanent until an operator renews the token.
    *[pytest.param(error_fault(code, 401 if code == 21332 else 400), {}, "failed", 1, False,
                   (TOKEN_MESSAGE, f"error_code {code}"), False, 1, id=f"{code}-token")
      for code in (21315, 21327, 21332)],
    # Content rejected: permanent, with the platform's message.
    *[pytest.param(error_fault(code), {}, "failed", 1, False,
                   ("微博拒绝了内容", f"error_code {code}", f"platform message {code}"), False, 1,
                   id=f"{code}-rejected") for code in (20012, 20018, 20021)],
    # System busy (10001/10002/10009) is transient even with HTTP 400: the next attempt posts.
    *[pytest.param(error_fault(code), {}, "published", 2, False, (), True, 2,
                   id=f"{code}-busy-once") for code in (10001, 10002, 10009)],
    # A 5xx is transient whatever its error_code.
    pytest.param(error_fault(10001, 503, times=2), {}, "published", 3, False, (), True, 3,
                 id="http-503-twice"),
    pytest.param(error_fault(10001, 503, times=None), {}, "failed", 3, True,
                 ("HTTP 503", "已尝试 3 次", "hub retry"), False, 3, id="http-503-always"),
]


@pytest.mark.parametrize(
    ("fault", "env", "status", "attempts", "retryable", "words", "posted", "shares"),
    ENGINE_CASES,
)
def test_engine_records_state_and_attempts(
    sb, tmp_path, monkeypatch, fault, env, status, attempts, retryable, words, posted, shares,
):
    sb.weibo.add_fault(fault)
    got = publish_through_the_engine(
        sb, tmp_path, monkeypatch, "weibo", {**ENGINE_ENV, **env}, TITLE
    )
    o, row, receipt = got.outcome, got.row, got.receipt

    # What the run reports, what the outbox row holds and what the receipt log says agree.
    assert (o.channel, o.status, o.attempts) == ("weibo", status, attempts)
    assert (row.status, row.attempts, row.retryable) == (status, attempts, retryable)
    assert (receipt["status"], receipt["attempts"]) == (status, attempts)
    assert receipt["idempotency_key"] == row.idempotency_key == f"{o.index_no}:1:weibo"
    assert got.failed is (status != "published")
    assert sb.weibo.count(SHARE) == shares
    # The receipt's payload hash is that of the status text as sent.
    sent = sb.weibo.requests[-1].form["status"]
    assert receipt["payload_sha256"] == row.payload_sha256
    assert receipt["payload_sha256"] == hashlib.sha256(sent.encode()).hexdigest()
    # Statuses with this text (a delayed request of an earlier test may still land in the shared
    # sandbox after its reset, with another item's text).
    mine = [s for s in sb.weibo.statuses.values() if s["text"] == sent]
    assert len(mine) == (1 if posted else 0)
    if posted:
        (posted_status,) = mine
        assert o.remote_id == row.remote_id == receipt["remote_id"] == posted_status["idstr"]
        assert receipt["url"] == f"https://m.weibo.cn/status/{posted_status['idstr']}"
        assert o.error is None and receipt["error"] is None
    elif status == "published":
        # Already published: no id is known, the receipt says why it counts as published.
        code = fault["body"]["error_code"]
        assert o.remote_id is None and receipt["remote_id"] is None and receipt["url"] is None
        assert o.error is None and receipt["error"] is None
        assert str(code) in receipt["note"] and "视为已发布" in receipt["note"]
        assert o.note == receipt["note"]
    else:
        assert receipt["error"] == row.error == o.error
        assert receipt["remote_id"] is None
        for word in words:
            assert word in receipt["error"]
        assert TOKEN not in receipt["error"]


# -- rip: the caller's real public IP, required by the platform (§5.4) ------------------------

@pytest.mark.parametrize(("written", "kept"), [
    ("203.0.113.5", "203.0.113.5"), (" 198.51.100.7 ", "198.51.100.7"),
    ("2001:DB8:0:0::5", "2001:db8::5"),
])
def test_rip_is_kept_as_a_canonical_ip_address(written, kept):
    assert WeiboSettings(rip=written).rip == kept


@pytest.mark.parametrize("bad", ["", "203.0.113", "203.0.113.256", "localhost", "1.2.3.4/24"])
def test_rip_that_is_not_an_ip_address_is_a_configuration_error(bad):
    with pytest.raises(ValueError) as exc:
        WeiboSettings(rip=bad)
    assert "rip 应为本机的公网 IP 地址" in str(exc.value)


def test_without_rip_the_channel_is_incomplete_and_sends_nothing(sb, hub):
    channel = make_channel(sb, hub, rip=None)
    (problem,) = channel.configuration_problems()
    assert "缺少 rip" in problem and "HUB_CHANNELS__WEIBO__RIP" in problem
    assert any("缺少 rip" in p for p in channel.check(HttpClient()))
    error = outcome(lambda: channel.publish(make_item(), make_ctx()))
    assert isinstance(error, PermanentError) and "缺少 rip" in str(error)
    assert sb.weibo.requests == []
    assert make_channel(sb, hub).configuration_problems() == []


def test_the_platform_refuses_a_post_without_rip(sb, channel):
    # What happens to a client that does not send rip: the fake answers as Weibo does.
    response = channel._post(HttpClient(), {"access_token": TOKEN, "status": f"新闻 {ITEM_URL}"})
    assert response.status == 400 and json.loads(response.data)["error_code"] == 10016
    assert sb.weibo.statuses == {}


# -- health ------------------------------------------------------------------------------------

UID = "/2/account/get_uid.json"


def test_check_verifies_the_token_without_posting(sb, channel, hub):
    assert channel.check(HttpClient()) == []
    (request,) = sb.weibo.requests
    assert (request.method, request.path) == ("GET", UID)
    assert request.headers["Authorization"] == f"OAuth2 {TOKEN}" and not request.query

    expired = make_channel(sb, hub, access_token=SecretStr("expired-token"))
    (problem,) = expired.check(HttpClient())
    assert "21327" in problem and "HUB_CHANNELS__WEIBO__ACCESS_TOKEN" in problem

    missing = make_channel(sb, hub, access_token=None, api_base="api.weibo.com")
    problems = missing.check(HttpClient())
    assert any("HUB_CHANNELS__WEIBO__ACCESS_TOKEN" in p for p in problems)
    assert any("api_base" in p for p in problems)
    assert sb.weibo.count(SHARE) == 0 and sb.weibo.count(UID) == 2


def test_check_without_get_uid_is_not_a_problem(sb, channel):
    sb.weibo.add_fault(Fault(path=UID, status=404, body=weibo_error(10014, "api not found")))
    assert channel.check(HttpClient()) == []
    sb.weibo.clear_faults()
    sb.weibo.add_fault(Fault(path=UID, drop=True))
    (problem,) = channel.check(HttpClient())
    assert "无法连接" in problem


# -- secrets -----------------------------------------------------------------------------------

def test_token_never_leaks(sb, hub, caplog):
    channel = make_channel(sb, hub, timeout=0.3)
    texts: list[str] = []
    faults = [
        Fault(path=SHARE, times=1, status=400, body=weibo_error(21327, f"expired {TOKEN}")),
        Fault(path=SHARE, times=1, status=400, body=weibo_error(10023, "limit")),
        Fault(path=SHARE, times=1, status=500, body={"error": "boom"}),
        Fault(path=SHARE, times=1, drop=True),
        Fault(path=SHARE, times=1, delay=1.0),
        None,
        None,  # 20019
    ]
    with caplog.at_level(logging.DEBUG):
        for fault in faults:
            if fault is not None:
                sb.weibo.add_fault(fault)
            got = outcome(lambda: channel.publish(make_item(), make_ctx()))
            texts.append(repr(got))
            if isinstance(got, BaseException):
                texts.extend([str(got), *traceback.format_exception(got)])
        texts.append(json.dumps(channel.render(make_item()), ensure_ascii=False))
        texts.extend(channel.check(HttpClient()))
    texts.extend(
        r.getMessage() for r in caplog.records if not r.name.startswith("heze_hub.sandbox")
    )
    assert any("***" in t for t in texts)  # the platform's echo of the token was scrubbed
    assert all(TOKEN not in t for t in texts)
