"""The delivery engine: outbox, retries, classification, resumption and receipts."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

from heze_hub.delivery import outbox
from heze_hub.delivery import runs as delivery
from heze_hub.delivery.engine import Deliverer
from heze_hub.hub import Hub
from heze_hub.plugin import DeliveryContext, NormalizedItem, PublishResult
from heze_hub.store.receipts import ReceiptFilter, list_receipts
from heze_hub.store.schema import deliveries
from tests.delivery.scripted import (
    MarkingChannel,
    ScriptedChannel,
    SettlingChannel,
    interrupt,
    stored_state,
)
from tests.support import write_item

FAST = "[channels.{name}.retry]\nmax_attempts = {attempts}\ninitial_wait = 0\nmax_wait = 0\n"


def _publish(hub: Hub, tmp_path: Path, n: int = 1, **fields: Any) -> delivery.RunReport:
    paths = [write_item(tmp_path / f"i{i}.md", f"测试通知第{i}号", **fields) for i in range(n)]
    return delivery.publish(hub, hub.prepare(paths))


def test_transient_errors_are_retried_then_published(make_hub, tmp_path: Path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n" + FAST.format(name="a", attempts=4))
    ScriptedChannel.script = ["transient", "transient", "ok"]
    report = _publish(hub, tmp_path)
    [o] = report.outcomes
    assert (o.status, o.attempts) == ("published", 3)
    assert [a for _, a in ScriptedChannel.calls] == [1, 2, 3]
    [r] = list_receipts(hub.store, ReceiptFilter())
    assert r["status"] == "published" and r["attempts"] == 3
    assert r["payload_sha256"] == "ab" * 32 and r["remote_id"].startswith("id-TEST/2018-")


def test_retries_exhausted_is_failed_and_retryable(make_hub, tmp_path: Path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n" + FAST.format(name="a", attempts=2))
    ScriptedChannel.script = ["transient", "transient"]
    [o] = _publish(hub, tmp_path).outcomes
    assert (o.status, o.attempts) == ("failed", 2)
    assert "hub retry" in o.error
    with hub.store.read() as conn:
        row = conn.execute(deliveries.select()).one()
    assert row.retryable
    # hub retry picks it up again and the attempt count goes on from where it was.
    report = delivery.retry(hub)
    [o] = report.outcomes
    assert (o.status, o.attempts) == ("published", 3)
    statuses = [r["status"] for r in list_receipts(hub.store, ReceiptFilter())]
    assert statuses == ["failed", "published"]


def test_permanent_error_is_not_retried(make_hub, tmp_path: Path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n" + FAST.format(name="a", attempts=5))
    ScriptedChannel.script = ["permanent"]
    [o] = _publish(hub, tmp_path).outcomes
    assert (o.status, o.attempts) == ("failed", 1)
    assert o.error == "远端拒绝：标题含敏感词"
    assert delivery.retry(hub).outcomes == []  # permanent failures wait for a person
    [o] = delivery.retry(hub, include_failed=True).outcomes
    assert o.status == "published"


def test_unclassified_exception_is_permanent_and_hides_details(make_hub, tmp_path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n" + FAST.format(name="a", attempts=5))
    ScriptedChannel.script = ["crash"]
    [o] = _publish(hub, tmp_path).outcomes
    assert o.status == "failed" and o.attempts == 1
    assert "KeyError" in o.error and "secret-token-value" not in o.error


def test_transport_failures_are_classified_by_the_core(make_hub, tmp_path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}/secret-token-value"
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n" + FAST.format(name="a", attempts=2))
    # Nothing listens: transient, retried; the message never carries the URL.
    ScriptedChannel.script = [f"http:{refused}", "ok"]
    [o] = _publish(hub, tmp_path).outcomes
    assert (o.status, o.attempts) == ("published", 2)
    # A URL that cannot work is permanent at once.
    ScriptedChannel.script = ["http:ftp://cms.example/secret-token-value"]
    [o] = _publish(hub, tmp_path, department="菏泽市另一局").outcomes
    assert (o.status, o.attempts) == ("failed", 1)
    assert o.error.startswith("渠道地址无效") and "secret-token-value" not in o.error


def test_retry_after_is_honoured(make_hub, tmp_path: Path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n" + FAST.format(name="a", attempts=3))
    slept: list[float] = []
    ScriptedChannel.script = ["transient:7", "ok"]
    paths = [write_item(tmp_path / "a.md", "测试通知")]
    with Deliverer(hub, sleep=slept.append) as d:
        reg = outbox.register(hub, hub.prepare(paths)[0])
        [row] = reg.to_run
        outcome = d.submit(row, reg.item).result()
    assert outcome.status == "published"
    assert slept == [7.0]


def test_retry_after_beyond_the_time_budget_stops(make_hub, tmp_path: Path) -> None:
    hub = make_hub(
        "[channels.a]\nplugin = \"scripted\"\n[channels.a.retry]\nmax_attempts = 5\n"
        "max_seconds = 10\ninitial_wait = 0\nmax_wait = 0\n"
    )
    ScriptedChannel.script = ["transient:3600"]
    [o] = _publish(hub, tmp_path).outcomes
    assert (o.status, o.attempts) == ("failed", 1)


def test_the_first_attempt_counts_against_the_time_budget(make_hub, tmp_path: Path) -> None:
    # The first attempt runs outside tenacity; its half second must still count: 0.5 s spent
    # plus 0.6 s of Retry-After is beyond the 1 s budget, 0.6 s alone would not be.
    hub = make_hub(
        "[channels.a]\nplugin = \"scripted\"\n[channels.a.retry]\nmax_attempts = 5\n"
        "max_seconds = 1\ninitial_wait = 0\nmax_wait = 0\n"
    )
    slept: list[float] = []
    ScriptedChannel.script = ["slow-transient:0.6", "ok"]
    paths = [write_item(tmp_path / "a.md", "测试通知")]
    with Deliverer(hub, sleep=slept.append) as d:
        reg = outbox.register(hub, hub.prepare(paths)[0])
        [row] = reg.to_run
        outcome = d.submit(row, reg.item).result()
    assert (outcome.status, outcome.attempts) == ("failed", 1) and slept == []
    ScriptedChannel.script = ["transient:0.6", "ok"]  # the same wait, fast: within the budget
    with Deliverer(hub, sleep=slept.append) as d:
        reg = outbox.register(hub, hub.prepare([write_item(tmp_path / "b.md", "另一通知")])[0])
        [row] = reg.to_run
        outcome = d.submit(row, reg.item).result()
    assert (outcome.status, outcome.attempts) == ("published", 2) and slept == [0.6]


def test_same_file_twice_is_a_no_op_and_a_change_is_a_new_version(make_hub, tmp_path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n")
    path = write_item(tmp_path / "a.md", "测试通知")
    first = delivery.publish(hub, hub.prepare([path]))
    again = delivery.publish(hub, hub.prepare([path]))
    assert again.outcomes == [] and not again.items[0].new_version
    assert again.items[0].item.index_no == first.items[0].item.index_no
    write_item(path, "测试通知", body="正文已更正。")
    changed = delivery.publish(hub, hub.prepare([path]))
    assert changed.items[0].new_version and changed.items[0].item.version == 2
    assert changed.items[0].item.index_no == first.items[0].item.index_no
    keys = [k for k, _ in ScriptedChannel.calls]
    assert keys == [f"{first.items[0].item.index_no}:1:a", f"{first.items[0].item.index_no}:2:a"]


def test_index_numbers_are_serial_per_year(make_hub, tmp_path: Path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n")
    report = _publish(hub, tmp_path, n=3)
    assert sorted(r.item.index_no for r in report.items) == [
        "TEST/2018-00001", "TEST/2018-00002", "TEST/2018-00003"]


def test_skipped_channel_leaves_a_receipt(make_hub, tmp_path: Path) -> None:
    class Picky(ScriptedChannel):
        plugin_name = "picky"

        def accepts(self, item: NormalizedItem) -> str | None:
            return "只接收行政许可和行政处罚"

    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n")
    hub.channels["p"] = Picky("p", Picky.settings_model(), hub.info)
    report = _publish(hub, tmp_path)
    assert [o.channel for o in report.outcomes] == ["a"]
    assert [(o.channel, o.status) for o in report.items[0].done] == [("p", "skipped")]
    statuses = {r["channel"]: r["status"] for r in list_receipts(hub.store, ReceiptFilter())}
    assert statuses == {"a": "published", "p": "skipped"}


def test_slow_channel_does_not_delay_another(make_hub, tmp_path: Path) -> None:
    class Slow(ScriptedChannel):
        def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
            time.sleep(0.5)
            return PublishResult()

    class Fast(ScriptedChannel):
        def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
            return PublishResult()

    hub = make_hub("")
    for name, cls in (("slow", Slow), ("fast", Fast)):
        hub.channels[name] = cls(name, cls.settings_model(concurrency=1), hub.info)
    finished: list[tuple[str, float]] = []
    start = time.monotonic()
    paths = [write_item(tmp_path / f"{i}.md", f"测试通知{i}") for i in range(3)]
    delivery.publish(hub, hub.prepare(paths),
                     on_done=lambda o: finished.append((o.channel, time.monotonic() - start)))
    fast_done = max(t for c, t in finished if c == "fast")
    slow_done = max(t for c, t in finished if c == "slow")
    # The fast channel's three deliveries never wait behind the slow channel's queue.
    assert fast_done < slow_done


def test_interrupted_delivery_on_a_channel_that_cannot_tell_is_unconfirmed(make_hub,
                                                                           tmp_path) -> None:
    hub = make_hub("[channels.s]\nplugin = \"settling\"\n")
    interrupt(hub, tmp_path)
    [o] = delivery.retry(hub).outcomes
    assert o.status == "unconfirmed"
    assert ScriptedChannel.calls == []  # never blindly resent
    [o] = delivery.retry(hub).outcomes
    assert o.status == "unconfirmed"  # still unknown; no second receipt for nothing new
    assert len(list_receipts(hub.store, ReceiptFilter())) == 1
    [o] = delivery.retry(hub, resend=True).outcomes
    assert o.status == "published" and len(ScriptedChannel.calls) == 1


def test_interrupted_delivery_is_settled_by_asking_the_channel(make_hub, tmp_path) -> None:
    hub = make_hub("[channels.s]\nplugin = \"settling\"\n")
    interrupt(hub, tmp_path)
    SettlingChannel.landed = True
    [o] = delivery.retry(hub).outcomes
    assert (o.status, o.remote_id) == ("published", "settled")
    assert ScriptedChannel.calls == []


def test_interrupted_delivery_on_a_resend_safe_channel_is_resent(make_hub, tmp_path) -> None:
    class Safe(ScriptedChannel):
        plugin_name = "safe"
        resend_safe = True

    hub = make_hub("")
    hub.channels["safe"] = Safe("safe", Safe.settings_model(), hub.info)
    interrupt(hub, tmp_path)
    [o] = delivery.retry(hub).outcomes
    assert o.status == "published" and len(ScriptedChannel.calls) == 1


def test_delivery_claimed_by_a_live_process_is_left_alone(make_hub, tmp_path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n")
    outbox.register(hub, hub.prepare([write_item(tmp_path / "a.md", "测试通知")])[0])
    hub.store.write(lambda conn: conn.execute(
        deliveries.update().values(status="publishing", owner=outbox.OWNER)))
    assert delivery.retry(hub).outcomes == []


def test_receipts_are_durable_canonical_and_gapless(make_hub, tmp_path: Path) -> None:
    from heze_hub.receipts.canonical import canonical_json

    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n[channels.b]\nplugin = \"scripted\"\n")
    _publish(hub, tmp_path, n=20)
    lines = list(hub.store.receipt_lines())
    assert len(lines) == 40
    import json
    decoded = [json.loads(b) for b in lines]
    assert [r["seq"] for r in decoded] == list(range(40))
    assert all(canonical_json(r) == b for r, b in zip(decoded, lines, strict=True))
    assert hub.store.latest_checkpoint().splitlines()[1] == "40"


def test_same_item_twice_in_one_batch(make_hub, tmp_path: Path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n")
    first = write_item(tmp_path / "a.md", "测试通知")
    copy = tmp_path / "copy.md"
    copy.write_bytes(first.read_bytes())
    edited = write_item(tmp_path / "b.md", "测试通知", body="正文已更正。")
    report = delivery.publish(hub, hub.prepare([first, copy, edited]))
    assert [(r.item.index_no, r.item.version) for r in report.items] == [
        ("TEST/2018-00001", 1), ("TEST/2018-00001", 1), ("TEST/2018-00001", 2)]
    assert sorted(k for k, _ in ScriptedChannel.calls) == [
        "TEST/2018-00001:1:a", "TEST/2018-00001:2:a"]


def test_checkpoints_continue_the_tree_across_runs(make_hub, tmp_path: Path) -> None:
    import base64

    from heze_hub.receipts.merkle import root

    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n")
    for run in range(3):
        paths = [write_item(tmp_path / f"r{run}-{i}.md", f"第{run}批通知{i}") for i in range(3)]
        delivery.publish(hub, hub.prepare(paths))
        note = hub.store.latest_checkpoint()
        size, b64root = note.splitlines()[1:3]
        lines = list(hub.store.receipt_lines())
        # The frontier carried from run to run gives exactly the root of the whole log.
        assert int(size) == len(lines) == 3 * (run + 1)
        assert base64.b64decode(b64root) == root(lines)


def test_a_run_with_nothing_to_deliver_signs_what_a_killed_run_left_unsigned(make_hub,
                                                                            tmp_path) -> None:
    hub = make_hub("[channels.a]\nplugin = \"scripted\"\n")
    # Delivered and recorded, then killed before the run signed its checkpoint.
    reg = outbox.register(hub, hub.prepare([write_item(tmp_path / "a.md", "测试通知")])[0])
    with Deliverer(hub) as deliverer:
        [row] = reg.to_run
        assert deliverer.submit(row, reg.item).result().status == "published"
    assert hub.store.latest_signed()[0] == -1 and hub.store.receipt_count() == 1
    assert delivery.retry(hub).outcomes == []
    assert hub.store.latest_signed()[0] == 1


# -- send marks (DESIGN §6): an interrupted delivery that provably never left is sent ----------
MARKING = "[channels.m]\nplugin = \"marking\"\n"


def test_a_channel_that_marks_sees_its_state_without_the_core_record(make_hub, tmp_path) -> None:
    hub = make_hub(MARKING)
    ScriptedChannel.script = ["save"]
    [o] = _publish(hub, tmp_path).outcomes
    assert o.status == "published"
    # Claimed from pending: the record starts with nothing outstanding; the channel never sees it.
    assert MarkingChannel.seen == [({}, False)]
    # The mark was settled by the save that followed it.
    assert stored_state(hub) == {"article": o.remote_id, "_hub": {"sending": None}}


def test_interrupted_before_its_creating_call_it_is_sent_not_unconfirmed(make_hub,
                                                                         tmp_path) -> None:
    hub = make_hub(MARKING)
    interrupt(hub, tmp_path, {"draft": "d1", "_hub": {"sending": None}})
    [o] = delivery.retry(hub).outcomes
    assert o.status == "published" and "中断前没有未确认的发布请求" in (o.note or "")
    assert MarkingChannel.seen == [({"draft": "d1"}, False)]  # resumed from its saved state


def test_interrupted_after_a_mark_it_is_unconfirmed_and_says_what_was_sent(make_hub,
                                                                          tmp_path) -> None:
    hub = make_hub(MARKING)
    interrupt(hub, tmp_path, {"_hub": {"sending": "创建文章"}})
    [o] = delivery.retry(hub).outcomes
    assert o.status == "unconfirmed" and "中断前已发出：创建文章" in (o.error or "")
    assert ScriptedChannel.calls == []
    assert delivery.retry(hub).outcomes[0].status == "unconfirmed"  # still cannot tell
    [o] = delivery.retry(hub, resend=True).outcomes
    assert o.status == "published"
    assert MarkingChannel.seen == [({}, True)]  # the channel is told it may have sent before


def test_a_row_without_the_core_record_proves_nothing(make_hub, tmp_path) -> None:
    # Claimed by a release before send marks, or by a channel that does not mark.
    hub = make_hub(MARKING)
    interrupt(hub, tmp_path, {"draft": "d1"})
    [o] = delivery.retry(hub).outcomes
    assert o.status == "unconfirmed" and ScriptedChannel.calls == []


def test_an_unconfirmed_delivery_stays_so_even_without_an_outstanding_mark(make_hub,
                                                                           tmp_path) -> None:
    hub = make_hub(MARKING)
    interrupt(hub, tmp_path, {"_hub": {"sending": None}}, status="unconfirmed")
    [o] = delivery.retry(hub).outcomes
    assert o.status == "unconfirmed" and ScriptedChannel.calls == []


def test_a_failed_delivery_sent_again_starts_with_nothing_outstanding(make_hub, tmp_path) -> None:
    hub = make_hub(MARKING)
    ScriptedChannel.script = ["permanent"]
    [o] = _publish(hub, tmp_path).outcomes
    assert o.status == "failed"
    assert stored_state(hub) == {"_hub": {"sending": "创建文章"}}  # refused, never settled
    [o] = delivery.retry(hub, include_failed=True).outcomes
    assert o.status == "published"
    # Its outcome was recorded (failed), so the old mark is no longer outstanding.
    assert MarkingChannel.seen[-1] == ({}, False)


def test_a_resend_safe_channel_is_told_an_earlier_send_may_have_landed(make_hub,
                                                                       tmp_path) -> None:
    class SafeMarking(MarkingChannel):
        plugin_name = "safe_marking"
        resend_safe = True

    hub = make_hub("")
    hub.channels["s"] = SafeMarking("s", SafeMarking.settings_model(), hub.info)
    interrupt(hub, tmp_path, {"_hub": {"sending": "创建文章"}})
    [o] = delivery.retry(hub).outcomes
    assert o.status == "published" and MarkingChannel.seen == [({}, True)]
