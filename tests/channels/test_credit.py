"""Credit platform (双公示) channel, against the sandbox over real HTTP (DESIGN §5.5)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pluggy
import pytest
from pydantic import SecretStr

from heze_hub.delivery import hookspecs
from heze_hub.delivery.channel import DeliveryContext, HubInfo, PublishResult
from heze_hub.delivery.http import HttpClient
from heze_hub.errors import PermanentError, TransientError
from heze_hub.items.credit_fields import public_record, wire_record
from heze_hub.items.credit_record import parse_credit_record
from heze_hub.items.model import NormalizedItem
from heze_hub.receipts.canonical import canonical_json
from heze_hub.sandbox import Fault, Sandbox
from heze_hub_plugins import credit as credit_plugin
from heze_hub_plugins.credit import CreditChannel, CreditSettings
from tests.channels.support import TZ
from tests.support import DATA, EXAMPLES

KEY = "sandbox-credit-key"
PENALTY_PATH = "/api/v1/credit/penalty"
LICENSE_PATH = "/api/v1/credit/license"
SAMPLES = json.loads(
    (DATA / "credit_records.json").read_text("utf-8"))


def record(kind: str = "penalty", n: int = 1, **changes: Any) -> dict[str, Any]:
    """A valid normalized record; ``n`` makes its decision number unique."""
    raw = {**SAMPLES[kind], **changes}
    if kind == "penalty":
        raw["行政处罚决定书文号"] = f"菏环罚字〔2018〕{n}号"
    else:
        raw["行政许可决定文书号"] = f"菏建许〔2018〕{n}号"
    raw = {k: v for k, v in raw.items() if v is not None}
    return parse_credit_record(raw, kind=kind, today=date(2018, 9, 1))


def make_item(rec: dict[str, Any], n: int = 1) -> NormalizedItem:
    kind = rec["type"]
    return NormalizedItem(
        index_no=f"11371700MB28581232/2018-{n:05d}",
        version=1,
        published_at=datetime(2018, 8, 7, 9, 0, tzinfo=TZ),
        content_sha256="0" * 64,
        title=f"行政{'处罚' if kind == 'penalty' else '许可'}决定 {n}",
        department="菏泽市环境保护局",
        written_on=date(2018, 8, 6),
        kind=kind,
        category="result",
        summary="决定内容概述。",
        body_html="<p>决定。</p>",
        body_text="决定。",
        credit=rec,
        credit_public=public_record(rec),
    )


def make_ctx(item: NormalizedItem, attempt: int = 1, state: dict[str, Any] | None = None,
             *, after: DeliveryContext | None = None) -> DeliveryContext:
    """A context as the core builds it; ``after``: the context of an earlier, interrupted run of
    the same delivery, whose state and send mark the core hands on."""
    state = {} if state is None else state
    if after is not None:
        state = dict(after.state)
    return DeliveryContext(
        idempotency_key=f"{item.index_no}:{item.version}:credit", attempt=attempt,
        state=state, save_state=state.update, http=HttpClient(),
        may_have_sent=after is not None and after.may_have_sent,
    )


HUB = HubInfo(public_url="https://www.heze.gov.cn", state_dir=Path("."), config_dir=Path("."),
              org_code="11371700MB28581232")


def make_channel(api_base: str, **settings: Any) -> CreditChannel:
    values: dict[str, Any] = {"api_base": api_base, "api_key": SecretStr(KEY),
                              **settings}
    return CreditChannel("credit", CreditSettings(**values), HUB)


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    sandbox.credit.reset()
    return sandbox


def batching(sb: Sandbox, n: int) -> CreditChannel:
    """A channel whose batch closes when ``n`` records are in it (so tests do not race a timer)."""
    return make_channel(sb.url("credit"), batch_size=n, batch_window=10.0)


def publish_all(channel: CreditChannel, items: list[NormalizedItem],
                ctxs: list[DeliveryContext] | None = None) -> list[PublishResult | Exception]:
    """Call publish() for every item at once from its own thread, as the core's workers do."""
    ctxs = ctxs or [make_ctx(item) for item in items]
    results: list[PublishResult | Exception] = [RuntimeError("not run")] * len(items)
    start = threading.Barrier(len(items))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = channel.publish(items[i], ctxs[i])
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(items))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def sent_records(sb: Sandbox, path: str = PENALTY_PATH) -> list[list[dict[str, Any]]]:
    return [r.json["records"] for r in sb.credit.requests if r.path == path]


# -- one accepted, one rejected ---------------------------------------------------------------
def test_batch_with_one_accepted_and_one_rejected_record(sb: Sandbox) -> None:
    channel = batching(sb, 2)
    filed, fresh = make_item(record(n=1), 1), make_item(record(n=2), 2)
    # The platform already has decision 1, filed earlier under another key.
    first = make_channel(sb.url("credit")).publish(filed, make_ctx(filed))
    assert first.remote_id

    again = make_item(record(n=1), 3)  # another item with the same decision number
    results = publish_all(channel, [fresh, again])

    assert sb.credit.count(PENALTY_PATH) == 2  # the earlier filing, then one batch
    accepted, rejected = results
    assert isinstance(accepted, PublishResult) and accepted.remote_id
    assert accepted.url is None
    assert isinstance(rejected, PermanentError)
    assert "重复报送" in str(rejected)
    assert len(sb.credit.records) == 2


def test_platform_validation_rejects_what_it_does_not_take(sb: Sandbox) -> None:
    # A record the hub would never build, to see the platform's own reason reach the receipt.
    rec = record()
    del rec["处罚机关"]
    item = make_item(rec)
    with pytest.raises(PermanentError, match=r"信用平台拒收：.*处罚机关"):
        make_channel(sb.url("credit")).publish(item, make_ctx(item))


# -- the request ------------------------------------------------------------------------------
def test_request_shape_headers_and_payload_hash(sb: Sandbox) -> None:
    rec = record(**{**SAMPLES["person"]})  # a natural person: the platform gets the full ID
    item = make_item(rec)
    ctx = make_ctx(item)
    result = make_channel(sb.url("credit")).publish(item, ctx)

    (req,) = sb.credit.requests
    assert req.method == "POST" and req.path == PENALTY_PATH
    assert req.headers["X-Api-Key"] == KEY
    assert req.headers["Idempotency-Key"] == ctx.idempotency_key  # a batch of one: its own key
    assert req.headers["Content-Type"].startswith("application/json")
    assert b"\\u" not in req.body  # UTF-8, not escaped
    (sent,) = req.json["records"]
    assert sent == wire_record(rec)
    assert "type" not in sent
    assert sent["证件号码"] == SAMPLES["person"]["证件号码"]
    assert sent["罚款金额（万元）"] == 20
    assert ctx.payload_sha256 == hashlib.sha256(canonical_json(sent)).hexdigest()
    assert result.remote_id == sb.credit.records[rec["行政处罚决定书文号"]]["record_id"]
    assert ctx.may_have_sent and ctx.state == {}  # the first send was marked


# -- second edition (DESIGN §5.5) ----------------------------------------------------------------
SECOND_EDITION = (*[f"行政相对人代码_{i}" for i in range(1, 7)], "法定代表人证件类型",
                  "法定代表人证件号码")


def test_sends_the_second_editions_columns_whatever_name_the_item_used(sb: Sandbox) -> None:
    old = record(n=1, 行政相对人代码_1=None, 统一社会信用代码="91371700MA3C4K2P7T")
    new = record(n=2, 法定代表人证件类型="身份证", 法定代表人证件号码="11010519491231002X",
                 行政相对人代码_3="MA3C4K2P7")
    assert "统一社会信用代码" in old and "行政相对人代码_1" in new
    channel = make_channel(sb.url("credit"))
    for n, rec in enumerate((old, new), 1):
        item = make_item(rec, n)
        assert channel.publish(item, make_ctx(item)).remote_id
    sent = [records[0] for records in sent_records(sb)]
    for record_sent in sent:
        assert "统一社会信用代码" not in record_sent
        assert all(column in record_sent for column in SECOND_EDITION)  # "" where not applicable
        assert record_sent["行政相对人代码_1"] == "91371700MA3C4K2P7T"
    assert [sent[0][c] for c in SECOND_EDITION[1:]] == [""] * 7
    assert (sent[1]["行政相对人代码_3"], sent[1]["法定代表人证件号码"]) == (
        "MA3C4K2P7", "11010519491231002X")  # the platform gets the full number, by law
    assert len(sb.credit.records) == 2


def test_column_map_renames_what_a_provincial_template_names_differently(sb: Sandbox) -> None:
    columns = {"行政相对人代码_1": "统一社会信用代码", "法定代表人证件号码": "法人证件号码"}
    sb.credit.columns = dict(columns)  # the provincial platform's template
    channel = make_channel(sb.url("credit"), columns=columns)
    rec = record()
    item = make_item(rec)
    ctx = make_ctx(item)
    assert channel.publish(item, ctx).remote_id
    ((sent,),) = sent_records(sb)
    assert sent["统一社会信用代码"] == "91371700MA3C4K2P7T" and "法人证件号码" in sent
    assert "行政相对人代码_1" not in sent and "法定代表人证件号码" not in sent
    assert list(sent) == [columns.get(k, k) for k in wire_record(rec)]  # order kept
    assert ctx.payload_sha256 == hashlib.sha256(canonical_json(sent)).hexdigest()
    assert channel.render(item)["json"] == {"records": [sent]}

    # Without the map the same platform refuses the standard name it does not know.
    plain = make_item(record(n=2), 2)
    with pytest.raises(PermanentError, match="未知字段：行政相对人代码_1"):
        make_channel(sb.url("credit")).publish(plain, make_ctx(plain))


@pytest.mark.parametrize(("columns", "fragment"), [
    ({"统一社会信用码": "X"}, "“统一社会信用码”不是双公示标准字段名"),
    ({"统一社会信用代码": "X"}, "旧名，请写行政相对人代码_1"),
    ({"行政相对人代码_1": " "}, "映射到的列名不能为空"),
    ({"行政相对人代码_1": "备注"}, "“行政相对人代码_1”和“备注”都映射为列名“备注”"),
    ({"行政相对人代码_1": "代码", "行政相对人代码_2": "代码"}, "都映射为列名“代码”"),
])
def test_a_column_map_that_cannot_work_is_refused(columns: dict[str, str], fragment: str) -> None:
    with pytest.raises(ValueError, match="列名映射有误") as info:
        CreditSettings(columns=columns)
    assert fragment in str(info.value)


def test_license_goes_to_the_license_path(sb: Sandbox) -> None:
    item = make_item(record("license"))
    result = make_channel(sb.url("credit")).publish(item, make_ctx(item))
    assert result.remote_id
    assert sb.credit.count(LICENSE_PATH) == 1 and sb.credit.count(PENALTY_PATH) == 0


# -- batching ---------------------------------------------------------------------------------
def test_concurrent_publishes_make_one_request(sb: Sandbox) -> None:
    channel = batching(sb, 10)
    items = [make_item(record(n=i), i) for i in range(1, 11)]
    ctxs = [make_ctx(item) for item in items]
    results = publish_all(channel, items, ctxs)

    assert sb.credit.count(PENALTY_PATH) == 1
    (batch,) = sent_records(sb)
    assert len(batch) == 10
    ids = [r.remote_id for r in results if isinstance(r, PublishResult)]
    assert len(set(ids)) == 10  # each caller got its own record's id
    for item, result in zip(items, results, strict=True):
        number = item.credit["行政处罚决定书文号"]
        assert result.remote_id == sb.credit.records[number]["record_id"]
    keys = sorted(c.idempotency_key for c in ctxs)
    expected = "credit-batch-" + hashlib.sha256("\n".join(keys).encode()).hexdigest()
    assert sb.credit.requests[0].headers["Idempotency-Key"] == expected


def test_the_window_gathers_calls_that_arrive_together(sb: Sandbox) -> None:
    channel = make_channel(sb.url("credit"), batch_window=1.0)  # batch_size stays 50
    items = [make_item(record(n=i), i) for i in range(1, 6)]
    results = publish_all(channel, items)
    assert all(isinstance(r, PublishResult) for r in results), results
    assert [len(b) for b in sent_records(sb)] == [5]


def test_batch_size_bounds_a_request(sb: Sandbox) -> None:
    channel = make_channel(sb.url("credit"), batch_size=4, batch_window=1.0)
    items = [make_item(record(n=i), i) for i in range(1, 10)]
    results = publish_all(channel, items)
    assert all(isinstance(r, PublishResult) for r in results), results
    sizes = sorted(len(b) for b in sent_records(sb))
    assert sizes == [1, 4, 4]


def test_record_types_are_batched_separately(sb: Sandbox) -> None:
    channel = batching(sb, 2)
    items = [make_item(record("penalty", n=i), i) for i in (1, 2)]
    items += [make_item(record("license", n=i), i + 2) for i in (1, 2)]
    results = publish_all(channel, items)
    assert all(isinstance(r, PublishResult) for r in results), results
    assert sb.credit.count(PENALTY_PATH) == 1 and sb.credit.count(LICENSE_PATH) == 1


def test_same_decision_number_twice_in_one_batch(sb: Sandbox) -> None:
    channel = batching(sb, 2)
    items = [make_item(record(n=1), 1), make_item(record(n=1), 2)]
    results = publish_all(channel, items)
    assert sorted(type(r).__name__ for r in results) == ["PermanentError", "PublishResult"]
    assert sb.credit.count(PENALTY_PATH) == 2  # the batch, then the duplicate alone


def test_a_failing_batch_never_leaves_callers_waiting(sb: Sandbox, monkeypatch) -> None:
    channel = batching(sb, 3)

    def broken(rtype: str, members: list[Any]) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(channel, "_request", broken)
    items = [make_item(record(n=i), i) for i in (1, 2, 3)]
    results = publish_all(channel, items)
    assert all(isinstance(r, PermanentError) for r in results), results
    assert sb.credit.count(PENALTY_PATH) == 0


# -- idempotency ------------------------------------------------------------------------------
def test_same_key_is_stored_once(sb: Sandbox) -> None:
    channel = make_channel(sb.url("credit"))
    item = make_item(record())
    first = channel.publish(item, make_ctx(item))
    second = channel.publish(item, make_ctx(item))  # e.g. a second hub run after a crash
    assert first.remote_id == second.remote_id
    assert sb.credit.count(PENALTY_PATH) == 2
    assert len(sb.credit.records) == 1


def test_same_batch_again_is_stored_once(sb: Sandbox) -> None:
    channel = batching(sb, 3)
    items = [make_item(record(n=i), i) for i in range(1, 4)]
    first = publish_all(channel, items)
    second = publish_all(channel, items)
    assert [r.remote_id for r in first] == [r.remote_id for r in second]  # type: ignore[union-attr]
    assert len(sb.credit.records) == 3
    assert sb.credit.batches == 1  # the replay was answered from the key, not filed


# -- failures and retries ------------------------------------------------------------------------
def test_503_with_retry_after_is_transient_and_a_retry_goes_alone(sb: Sandbox) -> None:
    sb.credit.add_fault(Fault(path=PENALTY_PATH, status=503, headers={"Retry-After": "1"},
                              times=1))
    channel = batching(sb, 2)
    items = [make_item(record(n=i), i) for i in (1, 2)]
    ctxs = [make_ctx(item) for item in items]
    results = publish_all(channel, items, ctxs)
    for r in results:
        assert isinstance(r, TransientError) and r.retry_after == 1.0
    assert results[0] is not results[1]

    ctx = make_ctx(items[0], attempt=2, after=ctxs[0])
    retried = channel.publish(items[0], ctx)
    assert retried.remote_id
    assert sb.credit.requests[-1].headers["Idempotency-Key"] == ctx.idempotency_key
    assert len(sb.credit.requests[-1].json["records"]) == 1


@pytest.mark.parametrize("status", [429, 500, 502])
def test_other_transient_statuses(sb: Sandbox, status: int) -> None:
    sb.credit.add_fault(Fault(path=PENALTY_PATH, status=status, times=1))
    item = make_item(record())
    with pytest.raises(TransientError, match=str(status)):
        make_channel(sb.url("credit")).publish(item, make_ctx(item))


def test_wrong_key_is_permanent(sb: Sandbox) -> None:
    item = make_item(record())
    channel = make_channel(sb.url("credit"), api_key=SecretStr("wrong"))
    with pytest.raises(PermanentError, match="401") as info:
        channel.publish(item, make_ctx(item))
    assert "wrong" not in str(info.value)


def test_other_4xx_is_permanent(sb: Sandbox) -> None:
    sb.credit.add_fault(Fault(path=PENALTY_PATH, status=400, body={"error": "格式错误"}, times=1))
    item = make_item(record())
    with pytest.raises(PermanentError, match=r"HTTP 400.*格式错误"):
        make_channel(sb.url("credit")).publish(item, make_ctx(item))


def test_connection_refused_is_transient() -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    item = make_item(record())
    with pytest.raises(TransientError, match="网络错误"):
        make_channel(url).publish(item, make_ctx(item))


@pytest.mark.parametrize("api_base", ["credit.example.gov.cn", "ftp://credit.example.gov.cn"])
def test_an_api_base_that_cannot_work_is_permanent(api_base: str) -> None:
    item = make_item(record())
    with pytest.raises(PermanentError, match="api_base 无效"):
        make_channel(api_base).publish(item, make_ctx(item))


def test_lost_answer_of_a_single_record_is_replayed_by_its_own_key(sb: Sandbox) -> None:
    # The platform filed the record, then the connection dropped before the answer.
    sb.credit.add_fault(Fault(path=PENALTY_PATH, drop=True, handle=True, times=1))
    channel = make_channel(sb.url("credit"))
    item = make_item(record())
    ctx = make_ctx(item)
    with pytest.raises(TransientError):
        channel.publish(item, ctx)
    result = channel.publish(item, make_ctx(item, attempt=2, after=ctx))
    assert result.remote_id == next(iter(sb.credit.records.values()))["record_id"]
    assert len(sb.credit.records) == 1


def test_lost_answer_of_a_batch_is_already_published_on_resend(sb: Sandbox) -> None:
    sb.credit.add_fault(Fault(path=PENALTY_PATH, drop=True, handle=True, times=1))
    channel = batching(sb, 2)
    items = [make_item(record(n=i), i) for i in (1, 2)]
    ctxs = [make_ctx(item) for item in items]
    assert all(isinstance(r, TransientError) for r in publish_all(channel, items, ctxs))
    assert len(sb.credit.records) == 2  # the batch landed

    # A resumed delivery (attempt counter restarted, send mark kept) resends alone under its own
    # key; the platform says 重复报送, which for a resend means the earlier batch landed.
    resumed = channel.publish(items[0], make_ctx(items[0], attempt=1, after=ctxs[0]))
    assert resumed.already_published and resumed.remote_id is None
    assert "重复报送" in (resumed.note or "")
    assert len(sb.credit.records) == 2
    # So does one interrupted under a release that saved {"credit_sent": true} instead of a mark.
    legacy = channel.publish(items[1], make_ctx(items[1], state={"credit_sent": True}))
    assert legacy.already_published and len(sb.credit.records) == 2


def test_duplicate_on_a_first_send_is_a_failure(sb: Sandbox) -> None:
    channel = make_channel(sb.url("credit"))
    channel.publish(make_item(record(), 1), make_ctx(make_item(record(), 1)))
    version2 = make_item(record(违法事实="更正后的违法事实。"), 2)
    with pytest.raises(PermanentError, match="重复报送"):
        channel.publish(version2, make_ctx(version2))


# -- accepts, render, health, registration ---------------------------------------------------
def test_accepts_only_items_with_a_credit_record() -> None:
    channel = make_channel("http://127.0.0.1:9")
    item = make_item(record())
    assert channel.accepts(item) is None
    plain = item.model_copy(update={"credit": None, "credit_public": None, "kind": "notice"})
    assert "没有双公示记录" in channel.accepts(plain)


def test_render_is_the_request_alone() -> None:
    channel = make_channel("http://credit.example/")
    rec = record()
    rendered = channel.render(make_item(rec))
    assert rendered["url"] == "http://credit.example/api/v1/credit/penalty"
    assert rendered["json"] == {"records": [wire_record(rec)]}


def test_check_reports_a_missing_key_and_base_without_publishing() -> None:
    http = HttpClient()
    channel = CreditChannel("credit", CreditSettings(), HUB)
    problems = channel.check(http)
    assert any("HUB_CHANNELS__CREDIT__API_KEY" in p for p in problems)
    assert any("api_base" in p for p in problems)
    assert make_channel("http://127.0.0.1:9").check(http) == []


def test_settings_defaults() -> None:
    settings = CreditSettings()
    assert settings.batch_size == 50 and settings.batch_window == 0.05
    assert CreditChannel.resend_safe


def test_registers_through_the_hook() -> None:
    pm = pluggy.PluginManager("heze_hub")
    pm.add_hookspecs(hookspecs)
    pm.register(credit_plugin)
    pm.check_pending()
    registered: list[type] = []
    pm.hook.register_channels(register=registered.append)
    assert registered == [CreditChannel]
    assert CreditChannel.plugin_name == "credit"
    assert CreditChannel.title == "信用平台（双公示）"


# -- through the hub: the real delivery engine's worker threads -----------------------------------
def _penalty_files(directory: Path, numbers: range) -> list[str]:
    example = json.loads((EXAMPLES / "05-penalty-environment.json").read_text("utf-8"))
    names = []
    for i in numbers:
        item = json.loads(json.dumps(example))
        item["doc_number"] = item["credit"]["行政处罚决定书文号"] = f"菏环罚字〔2018〕{i}号"
        item["title"] = f"菏泽市环境保护局行政处罚决定书（菏环罚字〔2018〕{i}号）"
        (directory / f"penalty-{i}.json").write_text(json.dumps(item, ensure_ascii=False), "utf-8")
        names.append(f"penalty-{i}.json")
    return names


def _credit_only_config(directory: Path, sb: Sandbox, batch_size: int) -> None:
    """Only the credit channel; a batch closes when ``batch_size`` deliveries have joined it."""
    others = "".join(f"[channels.{n}]\nenabled = false\n" for n in ("portal", "rss", "wechat",
                                                                     "weibo", "hotline"))
    (directory / "channels.toml").write_text(
        f'[hub]\norg_code = "11371700MB28581232"\npublic_url = "https://www.heze.gov.cn"\n'
        f'{others}[channels.credit]\napi_base = "{sb.url("credit")}"\n'
        f"batch_size = {batch_size}\nbatch_window = 10\n"
        "[channels.credit.retry]\ninitial_wait = 0.1\n", "utf-8")


def test_hub_publish_batches_deliveries_and_records_one_rejection(sb: Sandbox, hub_run,
                                                                  tmp_path: Path) -> None:
    _credit_only_config(tmp_path, sb, 5)
    hub_run.env["HUB_CHANNELS__CREDIT__API_KEY"] = sb.credit.api_key  # the only channel
    files = _penalty_files(tmp_path, range(1, 6))
    # Decision 5 is already on the platform, filed by someone else.
    filed = make_item(record(n=5), 99)
    make_channel(sb.url("credit")).publish(filed, make_ctx(filed))

    proc = hub_run("publish", *files, check=1)  # one delivery failed
    assert "重复报送" in proc.stdout + proc.stderr
    assert sb.credit.count(PENALTY_PATH) == 2  # the earlier filing, then one batch of five
    assert len(sent_records(sb)[1]) == 5

    receipts = {r["index_no"]: r for r in hub_run.json("receipts", check=0)}
    statuses = sorted(r["status"] for r in receipts.values())
    assert statuses == ["failed"] + ["published"] * 4
    (failed,) = [r for r in receipts.values() if r["status"] == "failed"]
    assert "重复报送" in failed["error"]
    stored = {v["record_id"] for v in sb.credit.records.values()}
    assert {r["remote_id"] for r in receipts.values() if r["remote_id"]} <= stored


def test_hub_publish_honours_retry_after_and_retries_alone(sb: Sandbox, hub_run,
                                                          tmp_path: Path) -> None:
    _credit_only_config(tmp_path, sb, 3)
    hub_run.env["HUB_CHANNELS__CREDIT__API_KEY"] = sb.credit.api_key  # the only channel
    files = _penalty_files(tmp_path, range(1, 4))
    sb.credit.add_fault(Fault(path=PENALTY_PATH, status=503, headers={"Retry-After": "1"},
                              times=1))

    hub_run("publish", *files, check=0)
    first, *retries = sb.credit.requests
    assert len(first.json["records"]) == 3 and first.headers["Idempotency-Key"].startswith(
        "credit-batch-")
    assert sorted(len(r.json["records"]) for r in retries) == [1, 1, 1]
    assert all(r.headers["Idempotency-Key"].endswith(":1:credit") for r in retries)
    assert min(r.time for r in retries) - first.time >= 1.0
    receipts = hub_run.json("receipts", check=0)
    assert [r["attempts"] for r in receipts] == [2, 2, 2]
    assert len(sb.credit.records) == 3
