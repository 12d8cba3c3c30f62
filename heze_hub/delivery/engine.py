"""Delivery (DESIGN §6): the outbox, concurrent fan-out, retries, resumption, receipts.

Every delivery is a row recorded before it starts. A worker claims it (``publishing``, with this
process as owner), calls the channel inside a fresh tenacity controller, and in one transaction
marks it finished and appends its receipt. A process killed at any point leaves rows that
``hub retry`` (or the next ``hub publish`` of the item) settles: pending ones are sent, interrupted
ones are settled by asking the channel, resent where the channel refuses duplicates itself or
where its send mark proves nothing creating was outstanding (:mod:`~heze_hub.delivery.progress`),
and otherwise recorded as ``unconfirmed`` rather than sent twice.

The named moments of :mod:`~heze_hub.delivery.crash` are marked here (and in the HTTP client), so
that a test can kill the process at each of them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import update
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
)

from heze_hub.delivery import crash
from heze_hub.delivery.attempt import call_channel, retry_wait
from heze_hub.delivery.channel import Channel, DeliveryContext, PublishResult, Withdrawal
from heze_hub.delivery.http import HttpClient, TransportError
from heze_hub.delivery.outbox import OWNER, Outcome, build_receipt
from heze_hub.delivery.progress import Progress
from heze_hub.delivery.runtime import Runtime
from heze_hub.delivery.withdrawal import CAUSES, is_withdrawal, load_withdrawal
from heze_hub.errors import (
    BlockedError,
    Deferred,
    PermanentError,
    TransientError,
    Unconfirmed,
)
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import now
from heze_hub.store.schema import deliveries
from heze_hub.store.writes import FinishDelivery, delivery_update

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Running deliveries
# ---------------------------------------------------------------------------------------------


class Deliverer:
    """Runs deliveries on one bounded thread pool per channel, so no channel blocks another."""

    def __init__(
        self,
        hub: Runtime,
        *,
        resend: bool = False,
        on_done: Callable[[Outcome], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.hub = hub
        self.resend = resend
        self.on_done = on_done
        self.sleep = sleep
        self._pools: dict[str, ThreadPoolExecutor] = {}
        # Connections kept per host: enough for every worker, should all channels share a host.
        workers = sum(c.settings.concurrency for c in hub.channels.values())
        self.http = HttpClient(maxsize=max(1, min(workers, 512)))

    def __enter__(self) -> Deliverer:
        return self

    def __exit__(self, *exc: object) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True)
        for name in self._pools:
            crash.reached("after-deliveries", name)
        self.http.close()

    def submit(self, row: dict[str, Any], item: NormalizedItem) -> Future[Outcome]:
        """Queue one delivery on its channel's pool; the future resolves once it is recorded."""
        name = row["channel"]
        pool = self._pools.get(name)
        if pool is None:
            channel = self.hub.channels[name]
            pool = ThreadPoolExecutor(channel.settings.concurrency, thread_name_prefix=f"ch-{name}")
            self._pools[name] = pool
        done: Future[Outcome] = Future()
        pool.submit(self._run, row, item, done)
        return done

    def _run(self, row: dict[str, Any], item: NormalizedItem, done: Future[Outcome]) -> None:
        crashed = Outcome(item.index_no, item.version, row["channel"], "pending",
                          error="内部错误，投递保持待发状态，可用 hub retry 重试")

        def report(outcome: Outcome) -> None:
            if self.on_done:
                self.on_done(outcome)
            done.set_result(outcome)

        def recorded(fut: Future[Outcome]) -> None:
            if fut.exception() is not None:
                log.error("recording delivery %s failed: %s", row["idempotency_key"],
                          fut.exception())
                report(crashed)
            else:
                report(fut.result())

        try:
            with crash.delivering(row["channel"], row["idempotency_key"]):
                result = self._deliver(row, item)
        except Exception:  # the engine itself must never lose a delivery silently
            log.exception("delivery %s crashed in the engine", row["idempotency_key"])
            report(crashed)
            return
        if isinstance(result, Future):
            # The worker moves on to the next delivery while the writer makes this one durable;
            # the caller hears of it only once it is.
            result.add_done_callback(recorded)
        else:
            report(result)

    def _deliver(
        self, row: dict[str, Any], item: NormalizedItem
    ) -> Outcome | Future[Outcome]:
        hub, name = self.hub, row["channel"]
        channel = hub.channels[name]
        # A row claimed when the batch was registered (resend-safe channels) was pending then.
        previous = "pending" if row.get("claimed") else row["status"]
        progress = Progress(row.get("state"))
        crash.reached("before-claim")
        claimed = self._claim(row, channel, progress)
        if claimed is None:
            return Outcome(item.index_no, item.version, name, "publishing", note="另一进程正在投递")
        crash.reached("after-claim")
        row = claimed
        ctx = self._context(row, progress)
        resumed = None
        if is_withdrawal(row):
            # Every withdraw() counts "already gone" as withdrawn: an interrupted withdrawal is
            # simply sent again, never left unconfirmed.
            target = load_withdrawal(hub.store, row["idempotency_key"])
            why = f"{CAUSES.get(target.cause, target.cause)}原因：{target.reason}"
            if previous in ("publishing", "unconfirmed"):
                why += "；中断后重新撤回"
            return self._attempts(row, item, channel, ctx, note=why, withdrawal=target)
        if previous in ("publishing", "unconfirmed"):
            try:
                settled = channel.settle(item, ctx)
            except PermanentError as exc:
                return self._finish(row, item, "failed", 0, ctx, error=str(exc))
            except (TransientError, TransportError):
                settled = None
            if settled is not None:
                return self._finish(
                    row, item, "published", 0, ctx, result=settled, note="中断后向渠道核实：已发布"
                )
            if channel.marks_sends and previous == "publishing" and progress.never_sent:
                # Killed before any creating call left (or after its outcome was saved):
                # publish() resumes from the saved state and cannot repeat anything.
                resumed = "中断前没有未确认的发布请求，已继续投递"
            elif not (channel.resend_safe or self.resend):
                if previous == "unconfirmed":
                    return self._release(row, item, "unconfirmed")
                sent = f"（中断前已发出：{progress.sending}）" if progress.sending else ""
                return self._finish(
                    row,
                    item,
                    "unconfirmed",
                    0,
                    ctx,
                    error=f"发布过程中断{sent}，渠道无法确认是否已发布；"
                    "核实后可用 hub retry --resend 重新发送",
                )
        return self._attempts(row, item, channel, ctx, note=resumed)

    def _claim(
        self, row: dict[str, Any], channel: Channel, progress: Progress
    ) -> dict[str, Any] | None:
        """Take the delivery for this process (``publishing``): the row as claimed, or ``None``
        if another process has it."""
        stamp = now().isoformat()
        claimed = {**row, "started_at": row.get("started_at") or stamp}
        if row.get("claimed"):
            return claimed  # claimed for this process when the batch was registered
        values: dict[str, Any] = dict(status="publishing", owner=OWNER, updated_at=stamp,
                                      started_at=claimed["started_at"])
        if row["status"] == "pending" and channel.marks_sends:
            # Every earlier attempt of a pending delivery ended with its outcome recorded, so
            # nothing is outstanding: from here on, the channel marks each creating call.
            values["state"] = json.dumps(progress.track(), ensure_ascii=False, sort_keys=True)
        taken = self.hub.store.write(
            lambda conn: conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == row["id"],
                    deliveries.c.status == row["status"],
                    _same_owner(row.get("owner")),
                )
                .values(**values)
            ).rowcount
        )
        return claimed if taken else None

    def _context(self, row: dict[str, Any], progress: Progress) -> DeliveryContext:
        """The delivery's context, whose saves and marks are durable before they return."""
        hub, name, key = self.hub, row["channel"], row["idempotency_key"]

        def store(state: dict[str, Any], step: str, detail: str) -> None:
            crash.reached(f"before-{step}", name, key=key, detail=detail)
            hub.store.write(
                lambda conn: delivery_update(
                    conn, row["id"], state=state, updated_at=now().isoformat()
                )
            )
            crash.reached(f"after-{step}", name, key=key, detail=detail)

        def save_state(update_: dict[str, Any]) -> None:
            store(progress.save(update_), "save", ",".join(sorted(update_)))
            ctx.may_have_sent = False

        ctx = DeliveryContext(
            idempotency_key=row["idempotency_key"],
            attempt=0,
            state=progress.channel,
            save_state=save_state,
            http=self.http,
            may_have_sent=progress.sending is not None,
            record_mark=lambda what: store(progress.mark(what), "mark", what),
        )
        return ctx

    def _attempts(
        self, row: dict[str, Any], item: NormalizedItem, channel: Channel, ctx: DeliveryContext,
        *, note: str | None = None, withdrawal: Withdrawal | None = None,
    ) -> Outcome | Future[Outcome]:
        policy = channel.settings.retry
        attempts = 1
        ctx.attempt = 1
        started = time.monotonic()
        try:
            try:
                # Most deliveries succeed at once: the first attempt runs without tenacity's
                # machinery, a tenth of a delivery's CPU on a fast endpoint (issue 14).
                result = call_channel(channel, item, ctx, self.hub.scrub, withdrawal)
            except TransientError as failed:
                # The rest is tenacity's, exactly as if it had run the first attempt too: that
                # attempt is replayed as its first, and its time counts against max_seconds.
                first = [failed]
                retrying = Retrying(
                    stop=stop_after_attempt(policy.max_attempts)
                    | stop_before_delay(policy.max_seconds - (time.monotonic() - started)),
                    wait=retry_wait(policy),
                    retry=retry_if_exception_type(TransientError),
                    reraise=True,
                    sleep=self.sleep,
                )
                for attempt in retrying:
                    with attempt:
                        attempts = attempt.retry_state.attempt_number
                        ctx.attempt = attempts
                        if first:
                            raise first.pop()  # noqa: B904 - the first attempt, replayed
                        result = call_channel(channel, item, ctx, self.hub.scrub, withdrawal)
        except TransientError as exc:
            return self._finish(
                row,
                item,
                "failed",
                attempts,
                ctx,
                retryable=True,
                error=f"{exc}（已尝试 {attempts} 次，可稍后 hub retry）",
            )
        except PermanentError as exc:
            blocked = isinstance(exc, BlockedError)
            return self._finish(row, item, "failed", attempts, ctx, error=str(exc),
                                retryable=blocked)
        except Unconfirmed as exc:
            return self._finish(row, item, "unconfirmed", attempts, ctx, error=str(exc))
        except Deferred as exc:
            return self._defer(row, item, str(exc))
        if note and result.note:
            note = f"{note}；{result.note}"
        done = "withdrawn" if withdrawal is not None else "published"
        return self._finish(row, item, done, attempts, ctx, result=result, note=note)

    def _defer(self, row: dict[str, Any], item: NormalizedItem, message: str) -> Outcome:
        """Leave the delivery pending for a manual step; nothing was sent, so no receipt."""
        self.hub.store.write(lambda conn: delivery_update(
            conn, row["id"], status="pending", owner=None, error=message,
            updated_at=now().isoformat()))
        return Outcome(item.index_no, item.version, row["channel"], "pending", note=message)

    def _finish(
        self,
        row: dict[str, Any],
        item: NormalizedItem,
        status: str,
        attempts: int,
        ctx: DeliveryContext,
        *,
        result: PublishResult | None = None,
        error: str | None = None,
        retryable: bool = False,
        note: str | None = None,
    ) -> Future[Outcome]:
        hub = self.hub
        error = hub.scrub(error) if error else None
        total = int(row.get("attempts") or 0) + attempts
        stamp = now().isoformat()
        note = note or (result.note if result else None)
        withdrawing = is_withdrawal(row)
        if result and result.already_published:
            note = note or (
                "渠道表示该内容已不存在，按已撤回记录" if withdrawing
                else "渠道表示该内容已发布过（重复内容），按已发布记录"
            )
        # A withdrawal's receipt names what it took back: the publication's id and address.
        remote_id = result.remote_id if result else None
        url = result.url if result else None
        if withdrawing:
            remote_id, url = remote_id or row.get("remote_id"), url or row.get("url")
        values = dict(
            status=status,
            attempts=total,
            retryable=retryable,
            remote_id=remote_id,
            url=url,
            error=error,
            payload_sha256=ctx.payload_sha256,
            finished_at=stamp,
            updated_at=stamp,
            owner=None,
        )

        receipt = build_receipt({**row, **values}, item, status=status, error=error, note=note,
                                remote_data=result.remote_data if result else None)
        if status == "failed":
            log.warning("delivery %s failed: %s", row["idempotency_key"], error)
        outcome = Outcome(
            item.index_no,
            item.version,
            row["channel"],
            status,
            total,
            values["url"],
            values["remote_id"],
            error,
            note,
        )
        crash.reached("before-finish", row["channel"], key=row["idempotency_key"], detail=status)
        written = hub.store.submit(FinishDelivery(row["id"], values, receipt, OWNER))
        recorded: Future[Outcome] = Future()

        def chain(fut: Future[str | None]) -> None:
            if fut.exception() is not None:
                recorded.set_exception(fut.exception())  # type: ignore[arg-type]
            elif fut.result() is not None:
                recorded.set_result(Outcome(item.index_no, item.version, row["channel"],
                                          str(fut.result()), note="已由另一进程完成"))
            else:
                # On the writer's thread: the delivery is named, not taken from the thread.
                crash.reached("after-finish", row["channel"], key=row["idempotency_key"],
                              detail=status)
                recorded.set_result(outcome)

        written.add_done_callback(chain)
        return recorded

    def _release(self, row: dict[str, Any], item: NormalizedItem, status: str) -> Outcome:
        """Put a claimed delivery back in ``status`` without a new receipt (nothing changed)."""
        self.hub.store.write(
            lambda conn: delivery_update(
                conn, row["id"], status=status, owner=None, updated_at=now().isoformat()
            )
        )
        return Outcome(
            item.index_no,
            item.version,
            row["channel"],
            status,
            int(row.get("attempts") or 0),
            error=row.get("error"),
            note="仍无法确认；核实后可用 hub retry --resend 重新发送",
        )


def _same_owner(owner: str | None) -> Any:
    return deliveries.c.owner.is_(None) if owner is None else deliveries.c.owner == owner
