"""信用平台（双公示）: licence and penalty records to the credit platform (DESIGN §5.5).

Protocol: ``POST {api_base}/api/v1/credit/{license|penalty}`` with headers ``X-Api-Key`` and
``Idempotency-Key`` and the JSON body ``{"records": [...]}`` (standard field names of the second
edition, no ``type``). Where a provincial platform's template names a column differently, the
``[channels.NAME.columns]`` table maps the standard name to the template's (e.g.
``"行政相对人代码_1" = "统一社会信用代码"``); it renames the keys sent and the CSV headers of
``hub credit export``.
The platform answers ``200 {"accepted": [{"decision_number", "record_id"}], "rejected":
[{"decision_number", "reason"}]}``.

Batching. The core calls :meth:`CreditChannel.publish` once per item, from worker threads. Calls
for the same record type that arrive within ``batch_window`` seconds (at most ``batch_size`` of
them) share one request; each caller gets back its own record's answer, found by decision number.
The batch's ``Idempotency-Key`` is derived from its members' own keys (a batch of one uses the
member's key), so the same members always make the same request. A batch holds at most as many
records as the core runs deliveries of this channel at once (``concurrency``, default 8).

Retries. A delivery that may already have sent its record (a retry, or a resumed delivery after a
crash — remembered through ``ctx.mark_sending`` before the first send, ``ctx.may_have_sent``)
sends it alone under its own key. If the first request did land, the platform now has the
decision number under the batch's key and answers "重复报送"; for such a resend that means
"already on file from our earlier attempt", so the delivery is recorded as already published
(without a record id). On a first send "重复报送" is a real refusal (e.g. a corrected version of a
decision already filed) and fails the delivery.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator

from heze_hub.plugin import (
    RECORD_TYPES,
    Channel,
    ChannelSettings,
    Deferred,
    DeliveryContext,
    HttpClient,
    HubInfo,
    NormalizedItem,
    PermanentError,
    PublishResult,
    Response,
    TransientError,
    TransportError,
    Withdrawal,
    canonical_json,
    column_map_problems,
    hookimpl,
    is_bad_url,
    is_transient_status,
    map_columns,
    record_decision_number,
    retry_after_seconds,
    sha256_hex,
    wire_record,
)

log = logging.getLogger(__name__)

#: The platform's reason for a decision number it already has (it refuses to store it twice).
DUPLICATE_REASON = "重复报送"
# What releases before send marks saved instead: a delivery interrupted under such a release
# still counts as sent.
_LEGACY_SENT_STATE = "credit_sent"


class CreditSettings(ChannelSettings):
    """``[channels.credit]``; the key comes from ``HUB_CHANNELS__CREDIT__API_KEY``."""

    #: "api": the platform's API (DESIGN §5.5); "file": the provincial platform only takes file
    #: uploads, so records wait for ``hub credit export`` and ``hub credit mark-uploaded``.
    upload: Literal["api", "file"] = "api"
    api_base: str = ""
    api_key: SecretStr | None = None
    batch_size: int = Field(50, ge=1, le=1000)
    batch_window: float = Field(0.05, ge=0, le=10)
    #: Standard field name → the name the platform's template gives that column (DESIGN §5.5).
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _columns_are_usable(cls, value: dict[str, str]) -> dict[str, str]:
        value = {k: v.strip() for k, v in value.items()}
        problems = column_map_problems(value)
        if problems:
            raise ValueError("列名映射有误：" + "；".join(problems))
        return value


class CreditChannel(Channel):
    plugin_name = "credit"
    title = "信用平台（双公示）"
    settings_model = CreditSettings
    # The platform keeps an idempotency key's answer and refuses a decision number twice.
    resend_safe = True
    # The first send is marked: a resend then goes alone and takes 重复报送 as "already filed".
    marks_sends = True
    # The 双公示 record carries the full ID number by law (DESIGN §5.5); it is not published.
    public = False
    # A record is revoked on the platform (撤销); the platform keeps its own 公示 period, so
    # ``hub expire`` leaves it alone.
    can_withdraw = True
    ends_with_publicity = False

    settings: CreditSettings

    def __init__(self, name: str, settings: ChannelSettings, hub: HubInfo) -> None:
        super().__init__(name, settings, hub)
        self._batcher = _Batcher(self._send, self.settings.batch_size, self.settings.batch_window)

    # -- what it accepts -------------------------------------------------------------------
    def accepts(self, item: NormalizedItem) -> str | None:
        record = item.credit
        if not isinstance(record, dict) or record.get("type") not in RECORD_TYPES:
            return "没有双公示记录（credit），信用平台只接收行政许可、行政处罚记录"
        return None

    # -- render and publish ----------------------------------------------------------------
    def render(self, item: NormalizedItem) -> dict[str, Any]:
        """The request this item's record would be part of (alone, as on a retry)."""
        assert item.credit is not None
        return {
            "method": "POST",
            "url": self._url(item.credit["type"]),
            "json": {"records": [self.wire(item.credit)]},
        }

    def wire(self, record: dict[str, Any]) -> dict[str, Any]:
        """One record as this channel sends it: second-edition keys, renamed by ``columns``."""
        return map_columns(wire_record(record), self.settings.columns)

    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        assert item.credit is not None
        if self.settings.upload == "file":
            raise Deferred(
                "待人工上传：用 hub credit export 导出 CSV 上传省级平台，"
                "再用 hub credit mark-uploaded 登记结果"
            )
        rtype = item.credit["type"]
        record = self.wire(item.credit)
        ctx.payload_sha256 = sha256_hex(canonical_json(record))
        member = _Member(record, record_decision_number(item.credit), ctx.idempotency_key,
                         ctx.http)
        if ctx.attempt > 1 or ctx.may_have_sent or ctx.state.get(_LEGACY_SENT_STATE):
            self._send(rtype, [member])
            return _result(member.future, resend=True)
        ctx.mark_sending("报送双公示记录")
        self._batcher.submit(rtype, member)
        return _result(member.future, resend=False)

    # -- withdraw ----------------------------------------------------------------------------
    def withdraw(
        self, item: NormalizedItem, withdrawal: Withdrawal, ctx: DeliveryContext
    ) -> PublishResult:
        """``POST …/credit/{type}/revoke`` ``{"record_id", "reason"}``; 404 = already gone."""
        assert item.credit is not None
        if not withdrawal.remote_id:
            raise PermanentError("报送时信用平台未返回记录编号，无法自动撤销；请在平台上人工撤销")
        body = json.dumps({"record_id": withdrawal.remote_id, "reason": withdrawal.reason},
                          ensure_ascii=False).encode("utf-8")
        ctx.payload_sha256 = sha256_hex(body)
        api_key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        try:
            resp = ctx.http.post(
                self._url(item.credit["type"]) + "/revoke", body=body,
                timeout=self.settings.timeout,
                headers={"Content-Type": "application/json; charset=utf-8", "X-Api-Key": api_key,
                         "Idempotency-Key": ctx.idempotency_key},
            )
        except TransportError as exc:
            if is_bad_url(exc):
                bad = f"信用平台接口地址 api_base 无效：{self.settings.api_base}"
                raise PermanentError(bad) from None
            raise TransientError(f"信用平台网络错误：{type(exc).__name__}") from None
        done = PublishResult(remote_id=withdrawal.remote_id)
        if resp.status == 404:
            done.already_published = True
            done.note = "信用平台答复该记录不存在（已撤销），按已撤回记录"
            return done
        error = _http_error(resp)
        if error is not None:
            raise error()
        return done

    # -- the request -------------------------------------------------------------------------
    def _url(self, rtype: str) -> str:
        return f"{self.settings.api_base.rstrip('/')}/api/v1/credit/{rtype}"

    def _send(self, rtype: str, members: list[_Member]) -> None:
        """Send ``members`` in one request and resolve every member's future; never raises."""
        try:
            # Two members with one decision number cannot be told apart in the answer: the
            # first goes in the batch, the others follow alone (and learn it is 重复报送).
            first: dict[str, _Member] = {}
            later: list[_Member] = []
            for m in members:
                if m.decision_number in first:
                    later.append(m)
                else:
                    first[m.decision_number] = m
            self._request(rtype, list(first.values()))
            for m in later:
                self._request(rtype, [m])
        except Exception:  # a bug must not leave the other callers waiting forever
            log.exception("credit channel %s: batch request failed", self.name)
        finally:
            for m in members:
                if not m.future.done():
                    m.future.set_exception(PermanentError("信用平台：批量报送未得到结果"))

    def _request(self, rtype: str, members: list[_Member]) -> None:
        # Same members, same request: the body is in key order, whatever order they came in.
        members = sorted(members, key=lambda m: m.key)
        key = _batch_key([m.key for m in members])
        body = json.dumps({"records": [m.record for m in members]}, ensure_ascii=False)
        api_key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        try:
            resp = members[0].http.post(
                self._url(rtype),
                body=body.encode("utf-8"),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "X-Api-Key": api_key,
                    "Idempotency-Key": key,
                },
                timeout=self.settings.timeout,
            )
        except TransportError as exc:
            # Never str() a transport error: its message carries the URL.
            if is_bad_url(exc):
                bad = f"信用平台接口地址 api_base 无效：{self.settings.api_base}"
                _fail_all(members, lambda: PermanentError(bad))
            else:
                message = f"信用平台网络错误：{type(exc).__name__}"
                _fail_all(members, lambda: TransientError(message))
            return
        error = _http_error(resp)
        if error is not None:
            _fail_all(members, error)
            return
        try:
            answer = resp.json()
            accepted = {a["decision_number"]: str(a["record_id"]) for a in answer["accepted"]}
            rejected = {r["decision_number"]: str(r["reason"]) for r in answer["rejected"]}
        except (ValueError, KeyError, TypeError):
            _fail_all(members, lambda: TransientError("信用平台回应格式无法识别"))
            return
        for m in members:
            if m.decision_number in accepted:
                m.future.set_result(accepted[m.decision_number])
            elif m.decision_number in rejected:
                m.future.set_exception(_Rejected(rejected[m.decision_number]))
            else:
                m.future.set_exception(
                    TransientError(f"信用平台回应中没有决定文书号 {m.decision_number} 的结果"))

    # -- health ----------------------------------------------------------------------------
    def configuration_problems(self) -> list[str]:
        if self.settings.upload == "file":
            return []  # nothing is sent by the hub itself
        problems = super().configuration_problems()
        if not self.settings.api_base:
            problems.append("缺少 api_base（信用平台接口地址）")
        return problems

    def check(self, http: HttpClient) -> list[str]:
        """Configuration only: the platform has no health endpoint, and a probe would file data."""
        return self.configuration_problems()


class _Rejected(Exception):
    """The platform refused one record; carries its reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(eq=False)
class _Member:
    """One caller's record waiting in a batch."""

    record: dict[str, Any]
    decision_number: str
    key: str
    http: HttpClient
    future: Future[str] = field(default_factory=Future)


def _result(future: Future[str], *, resend: bool) -> PublishResult:
    try:
        return PublishResult(remote_id=future.result(), url=None)
    except _Rejected as exc:
        if resend and DUPLICATE_REASON in exc.reason:
            return PublishResult(already_published=True,
                                 note=f"重发时平台答复“{exc.reason}”：此前的报送已送达")
        raise PermanentError(f"信用平台拒收：{exc.reason}") from None


def _batch_key(keys: list[str]) -> str:
    """Idempotency-Key of a request: a lone member's own key, else a hash of the sorted keys."""
    if len(keys) == 1:
        return keys[0]
    digest = hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()
    return f"credit-batch-{digest}"


def _fail_all(members: list[_Member], make_error: Callable[[], Exception]) -> None:
    # One exception object per caller: each is raised in its own thread with its own traceback.
    for m in members:
        m.future.set_exception(make_error())


def _http_error(resp: Response) -> Callable[[], Exception] | None:
    """A factory of the error for a non-2xx answer, or ``None`` for a 2xx one."""
    status = resp.status
    if 200 <= status < 300:
        return None
    try:
        detail = str(resp.json().get("error") or "")
    except (ValueError, AttributeError):
        detail = ""
    detail = f"：{detail}" if detail else ""
    if is_transient_status(status):
        wait = retry_after_seconds(resp.headers.get("Retry-After"))
        return lambda: TransientError(f"信用平台暂不可用（HTTP {status}）{detail}",
                                      retry_after=wait)
    if status in (401, 403):
        return lambda: PermanentError(f"信用平台拒绝了 API 密钥（HTTP {status}）{detail}")
    return lambda: PermanentError(f"信用平台拒收请求（HTTP {status}）{detail}")


class _Batcher:
    """Gathers concurrent calls per record type into one request.

    The first caller of an empty batch leads it: it waits up to ``window`` seconds (less if the
    batch fills up), closes the batch and sends it. :meth:`submit` returns once the member is
    in a batch (for the leader: once the batch is sent); callers then wait on their own future.
    """

    def __init__(self, send: Callable[[str, list[_Member]], None], size: int,
                 window: float) -> None:
        self._send = send
        self._size = size
        self._window = window
        self._lock = threading.Lock()
        self._open: dict[str, _Batch] = {}

    def submit(self, rtype: str, member: _Member) -> None:
        with self._lock:
            batch = self._open.get(rtype)
            leader = batch is None
            if batch is None:
                batch = self._open[rtype] = _Batch()
            batch.members.append(member)
            if len(batch.members) >= self._size:
                del self._open[rtype]
                batch.full.set()
        if leader:
            batch.full.wait(self._window)
            with self._lock:
                if self._open.get(rtype) is batch:
                    del self._open[rtype]
            self._send(rtype, batch.members)


@dataclass(eq=False)
class _Batch:
    members: list[_Member] = field(default_factory=list)
    full: threading.Event = field(default_factory=threading.Event)


@hookimpl
def register_channels(register: Callable[[type[Channel]], None]) -> None:
    register(CreditChannel)
