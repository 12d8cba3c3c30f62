"""Delivery (DESIGN §6): the outbox, concurrent fan-out, retries, resumption, receipts.

Every delivery is a row recorded before it starts. A worker claims it (``publishing``, with this
process as owner), calls the channel inside a fresh tenacity controller, and in one transaction
marks it finished and appends its receipt. A process killed at any point leaves rows that
``hub retry`` (or the next ``hub publish`` of the item) settles: pending ones are sent, interrupted
ones are settled by asking the channel, resent where the channel refuses duplicates itself, and
otherwise recorded as ``unconfirmed`` rather than sent twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from heze_hub.delivery.channel import Channel, DeliveryContext, PublishResult, RetryPolicy
from heze_hub.delivery.http import HttpClient, TransportError, is_bad_url
from heze_hub.delivery.outbox import (
    OWNER,
    Outcome,
    Registered,
    build_receipt,
    owner_gone,
    register_all,
)
from heze_hub.delivery.runtime import Runtime
from heze_hub.errors import Deferred, PermanentError, TransientError, Unconfirmed
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import PreparedItem, now
from heze_hub.store.db import (
    FinishDelivery,
    deliveries,
    delivery_update,
)

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    """Everything a run did, for the terminal and the exit status."""

    items: list[Registered] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    #: Channels whose unfinished deliveries were left alone because the channel is disabled.
    held: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether anything this run touched is not published: exit status 1."""
        done = [o for reg in self.items for o in reg.done]
        return any(
            o.status in ("failed", "unconfirmed") or (o.status == "pending" and o.error)
            for o in [*self.outcomes, *done]
        )


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
        previous = row["status"]
        stamp = now().isoformat()
        if row.get("claimed"):
            # Claimed for this process when the batch was registered (resend-safe channels).
            previous, claimed = "pending", 1
        else:
            claimed = hub.store.write(
                lambda conn: (
                    conn.execute(
                        update(deliveries)
                        .where(
                            deliveries.c.id == row["id"],
                            deliveries.c.status == previous,
                            _same_owner(row.get("owner")),
                        )
                        .values(
                            status="publishing",
                            owner=OWNER,
                            updated_at=stamp,
                            started_at=row.get("started_at") or stamp,
                        )
                    ).rowcount
                )
            )
        if not claimed:
            return Outcome(item.index_no, item.version, name, "publishing", note="另一进程正在投递")
        row = {**row, "started_at": row.get("started_at") or stamp}
        state: dict[str, Any] = json.loads(row.get("state") or "{}")

        def save_state(update_: dict[str, Any]) -> None:
            state.update(update_)
            hub.store.write(
                lambda conn: delivery_update(
                    conn, row["id"], state=state, updated_at=now().isoformat()
                )
            )

        ctx = DeliveryContext(
            idempotency_key=row["idempotency_key"],
            attempt=0,
            state=state,
            save_state=save_state,
            http=self.http,
        )
        interrupted = previous in ("publishing", "unconfirmed")
        if interrupted:
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
            if not (channel.resend_safe or self.resend):
                if previous == "unconfirmed":
                    return self._release(row, item, "unconfirmed")
                return self._finish(
                    row,
                    item,
                    "unconfirmed",
                    0,
                    ctx,
                    error="发布过程中断，渠道无法确认是否已发布；"
                    "核实后可用 hub retry --resend 重新发送",
                )
        return self._attempts(row, item, channel, ctx)

    def _attempts(
        self, row: dict[str, Any], item: NormalizedItem, channel: Channel, ctx: DeliveryContext
    ) -> Outcome | Future[Outcome]:
        policy = channel.settings.retry
        retrying = Retrying(
            stop=stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.max_seconds),
            wait=_wait(policy),
            retry=retry_if_exception_type(TransientError),
            reraise=True,
            sleep=self.sleep,
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    ctx.attempt = attempts
                    result = _call(channel, item, ctx, self.hub.scrub)
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
            return self._finish(row, item, "failed", attempts, ctx, error=str(exc))
        except Unconfirmed as exc:
            return self._finish(row, item, "unconfirmed", attempts, ctx, error=str(exc))
        except Deferred as exc:
            return self._defer(row, item, str(exc))
        return self._finish(row, item, "published", attempts, ctx, result=result)

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
        if result and result.already_published:
            note = note or "渠道表示该内容已发布过（重复内容），按已发布记录"
        values = dict(
            status=status,
            attempts=total,
            retryable=retryable,
            remote_id=result.remote_id if result else None,
            url=result.url if result else None,
            error=error,
            payload_sha256=ctx.payload_sha256,
            finished_at=stamp,
            updated_at=stamp,
            owner=None,
        )

        receipt = build_receipt({**row, **values}, item, status=status, error=error, note=note)
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
        written = hub.store.submit(FinishDelivery(row["id"], values, receipt, OWNER))
        recorded: Future[Outcome] = Future()

        def chain(fut: Future[str | None]) -> None:
            if fut.exception() is not None:
                recorded.set_exception(fut.exception())  # type: ignore[arg-type]
            elif fut.result() is not None:
                recorded.set_result(Outcome(item.index_no, item.version, row["channel"],
                                          str(fut.result()), note="已由另一进程完成"))
            else:
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


def _call(
    channel: Channel, item: NormalizedItem, ctx: DeliveryContext, scrub: Callable[[str], str]
) -> PublishResult:
    """One attempt; errors a channel did not classify are classified here."""
    try:
        return channel.publish(item, ctx)
    except (TransientError, PermanentError, Deferred, Unconfirmed):
        raise
    except TransportError as exc:
        # Never str() a transport error: its message carries the URL, and URLs carry tokens.
        if is_bad_url(exc):
            raise PermanentError(f"渠道地址无效：{type(exc).__name__}") from None
        raise TransientError(f"网络错误：{type(exc).__name__}") from None
    except Exception as exc:
        log.error("channel %s raised %s: %s", channel.name, type(exc).__name__, scrub(str(exc)))
        raise PermanentError(f"渠道插件内部错误：{type(exc).__name__}") from None


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_random_exponential(multiplier=policy.initial_wait or 0.01, max=policy.max_wait)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        base = backoff(state)
        retry_after = getattr(exc, "retry_after", None)
        # The remote's own Retry-After wins over our schedule; stop_before_delay then decides
        # whether waiting that long still fits the channel's time budget.
        return max(base, float(retry_after)) if retry_after else base

    return wait


def finish_manually(
    hub: Runtime,
    row: dict[str, Any],
    item: NormalizedItem,
    *,
    status: str,
    remote_id: str | None = None,
    error: str | None = None,
    note: str | None = None,
    payload_sha256: str | None = None,
) -> str | None:
    """Record the outcome of a delivery a person carried out (e.g. a file upload).

    Returns ``None`` when recorded, or the delivery's status if it was already finished.
    """
    stamp = now().isoformat()
    values = dict(
        status=status, attempts=int(row.get("attempts") or 0) + 1, retryable=False,
        remote_id=remote_id, url=None, error=error, payload_sha256=payload_sha256,
        finished_at=stamp, updated_at=stamp, owner=None,
    )
    row = {**row, "started_at": row.get("started_at") or stamp}
    receipt = build_receipt({**row, **values}, item, status=status, error=error, note=note)
    return hub.store.write(FinishDelivery(row["id"], values, receipt, row.get("owner")))


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


def publish(
    hub: Runtime,
    prepared: Iterable[PreparedItem],
    *,
    only: tuple[str, ...] = (),
    on_done: Callable[[Outcome], None] | None = None,
) -> RunReport:
    """Record the whole batch in the outbox, then fan its deliveries out concurrently.

    Every item and delivery of the batch is recorded in one transaction before the first one is
    sent, so a process killed at any point leaves nothing that ``hub retry`` does not know of.
    """
    batch = list(prepared)
    report = RunReport()
    report.items = hub.store.write(lambda conn: register_all(conn, hub, batch, only))
    futures: list[Future[Outcome]] = []
    used: set[str] = set()
    with Deliverer(hub, on_done=on_done) as deliverer:
        for reg in report.items:
            for row in reg.to_run:
                used.add(row["channel"])
                futures.append(deliverer.submit(row, reg.item))
        report.outcomes = [f.result() for f in futures]
    _finish_run(hub, used)
    return report


def retry(
    hub: Runtime,
    index_nos: tuple[str, ...] = (),
    *,
    resend: bool = False,
    include_failed: bool = False,
    on_done: Callable[[Outcome], None] | None = None,
) -> RunReport:
    """Resume what is unfinished: pending, interrupted, unconfirmed and transiently failed."""
    d = deliveries
    q = select(d).where(d.c.status.in_(("pending", "publishing", "unconfirmed", "failed")))
    if index_nos:
        q = q.where(d.c.index_no.in_(index_nos))
    with hub.store.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q.order_by(d.c.id))]
    report = RunReport()
    todo: list[dict[str, Any]] = []
    for row in rows:
        channel = hub.channels.get(row["channel"])
        if channel is None or not channel.settings.enabled:
            # Switched off (perhaps during an incident): nothing is sent; the row waits.
            report.held.append(row["channel"])
            continue
        if row["status"] == "publishing" and not owner_gone(row["owner"], row["updated_at"]):
            continue
        if row["status"] == "failed" and not (row["retryable"] or include_failed):
            continue
        todo.append(row)
    # Incomplete configuration is refused before anything is sent, as in hub publish.
    hub.check_channels(sorted({r["channel"] for r in todo}))
    futures: list[Future[Outcome]] = []
    used: set[str] = set()
    cache: dict[tuple[str, int], NormalizedItem] = {}
    with Deliverer(hub, resend=resend, on_done=on_done) as deliverer:
        for row in todo:
            if row["status"] == "failed":
                # Back to the outbox first, so a crash now loses nothing; conditional, so two
                # concurrent retries cannot both take it.
                reset = hub.store.write(lambda conn, r=row: conn.execute(
                    update(deliveries)
                    .where(deliveries.c.id == r["id"], deliveries.c.status == "failed")
                    .values(status="pending", owner=None, updated_at=now().isoformat())
                ).rowcount)
                if not reset:
                    continue
                row = {**row, "status": "pending", "owner": None}
            key = (row["index_no"], row["version"])
            if key not in cache:
                cache[key] = hub.store.load_version(*key)
            used.add(row["channel"])
            futures.append(deliverer.submit(row, cache[key]))
        report.outcomes = [f.result() for f in futures]
    _finish_run(hub, used)
    return report


def _finish_run(hub: Runtime, used: set[str]) -> None:
    # Sign the log first, so the feed and the portal rebuilt below show the newest checkpoint.
    if used:
        hub.write_checkpoint()
    for name in used:
        try:
            hub.channels[name].finish_run()
        except Exception as exc:
            log.error("finish_run of %s failed: %s", name, hub.scrub(str(exc)))
