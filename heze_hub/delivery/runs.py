"""Delivery runs: ``hub publish`` and ``hub retry`` as the engine runs them, and recording a
delivery a person carried out.

A run records its batch in the outbox (or picks up what is unfinished there), hands every
delivery to a :class:`~heze_hub.delivery.engine.Deliverer`, and ends by signing a checkpoint and
letting each channel it used finish its run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from heze_hub.delivery.engine import Deliverer
from heze_hub.delivery.outbox import (
    Outcome,
    Registered,
    build_receipt,
    owner_gone,
    register_all,
)
from heze_hub.delivery.runtime import Runtime
from heze_hub.delivery.withdrawal import replaced_posts, unreplaced_corrections
from heze_hub.errors import ConfigError, HubError
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import PreparedItem, now
from heze_hub.store.db import describe_store_error
from heze_hub.store.schema import deliveries, submissions
from heze_hub.store.writes import FinishDelivery

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    """Everything a run did, for the terminal and the exit status."""

    items: list[Registered] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    #: Channels whose unfinished deliveries were left alone because the channel is disabled.
    held: list[str] = field(default_factory=list)

    #: Withdrawals of older posts that a published correction replaced (DESIGN §12).
    followed: list[Registered] = field(default_factory=list)

    #: What failed after deliveries were sent (signing the checkpoint, rebuilding a feed), in
    #: Chinese with what to do; the deliveries themselves are recorded.
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether anything this run touched is not published, or the run could not finish it
        (a checkpoint, a feed): exit status 1."""
        done = [o for reg in self.items for o in reg.done]
        return bool(self.problems) or any(
            o.status in ("failed", "unconfirmed") or (o.status == "pending" and o.error)
            for o in [*self.outcomes, *done]
        )


class RunInterrupted(HubError):
    """The run stopped after its first delivery could have been sent (the store or the disk
    failed under it). Exit status 1: something may have reached a channel, and everything
    registered is in the outbox for ``hub retry``."""


@dataclass(frozen=True)
class Submitter:
    """Who submitted a batch (DESIGN §13: every item version records it): an account of the
    service, or ``cli:`` and the OS user for ``hub publish``; ``via`` is cli, api or web."""

    name: str
    via: str


def publish(
    hub: Runtime,
    prepared: Iterable[PreparedItem],
    *,
    only: tuple[str, ...] = (),
    on_done: Callable[[Outcome], None] | None = None,
    on_start: Callable[[dict[str, int]], None] | None = None,
    submitter: Submitter | None = None,
) -> RunReport:
    """Record the whole batch in the outbox, then fan its deliveries out concurrently.

    Every item and delivery of the batch is recorded in one transaction before the first one is
    sent, so a process killed at any point leaves nothing that ``hub retry`` does not know of.
    ``on_start`` learns how many deliveries each channel is about to run (a progress bar's
    total), ``on_done`` each outcome as it comes.
    """
    report = RunReport(items=register(hub, prepared, only=only, submitter=submitter))
    deliver(hub, report, on_done=on_done, on_start=on_start)
    return report


def register(
    hub: Runtime,
    prepared: Iterable[PreparedItem],
    *,
    only: tuple[str, ...] = (),
    submitter: Submitter | None = None,
) -> list[Registered]:
    """Record a batch in the outbox in one transaction (nothing is sent yet); new versions are
    attributed to ``submitter``. The service answers with this before delivering."""
    batch = list(prepared)

    def op(conn: Connection) -> list[Registered]:
        regs = register_all(conn, hub, batch, only)
        fresh = [r.item for r in regs if r.new_version]
        if submitter is not None and fresh:
            stamp = now().isoformat()
            conn.execute(insert(submissions), [
                dict(index_no=i.index_no, version=i.version, submitted_by=submitter.name,
                     via=submitter.via, submitted_at=stamp) for i in fresh
            ])
        return regs

    try:
        return hub.store.write(op)
    except (OSError, SQLAlchemyError) as exc:
        raise ConfigError(f"无法登记本批发布：{describe_store_error(exc)}；数据库未改变") from None


def deliver(
    hub: Runtime, report: RunReport, *, on_done: Callable[[Outcome], None] | None = None,
    on_start: Callable[[dict[str, int]], None] | None = None,
) -> None:
    """Carry out the deliveries of ``report.items`` (registered by :func:`register`), sign the
    log and finish the channels used; outcomes and problems go into ``report``. ``on_start``
    learns how many deliveries each channel is about to run (a progress bar's total)."""
    futures: list[Future[Outcome]] = []
    used: set[str] = set()
    if on_start is not None:
        per_channel: dict[str, int] = {}
        for reg in report.items:
            for row in reg.to_run:
                per_channel[row["channel"]] = per_channel.get(row["channel"], 0) + 1
        on_start(per_channel)
    with _interrupted_after_sending(hub), Deliverer(hub, on_done=on_done) as deliverer:
        for reg in report.items:
            for row in reg.to_run:
                used.add(row["channel"])
                futures.append(deliverer.submit(row, reg.item))
        report.outcomes = [f.result() for f in futures]
    corrected = {
        o.index_no: o.version for o in report.outcomes
        if o.status == "published" and o.version > 1
        and not hub.channels[o.channel].edits_in_place and _has_correction(report, o)
    }
    _replace_corrected(hub, corrected, used, report, on_done)
    _finish_run(hub, used, report)


def _has_correction(report: RunReport, o: Outcome) -> bool:
    return any(reg.item.index_no == o.index_no and reg.item.version == o.version
               and reg.item.correction for reg in report.items)


def _replace_corrected(
    hub: Runtime, corrected: dict[str, int], used: set[str], report: RunReport,
    on_done: Callable[[Outcome], None] | None,
) -> None:
    """Withdraw the older posts a published 【更正】 post replaces (DESIGN §12), through the
    outbox like any delivery; their outcomes join the run's."""
    if not corrected:
        return
    regs = hub.store.write(lambda conn: replaced_posts(conn, hub, corrected))
    futures: list[Future[Outcome]] = []
    with _interrupted_after_sending(hub), Deliverer(hub, on_done=on_done) as deliverer:
        for reg in regs:
            for row in reg.to_run:
                used.add(row["channel"])
                futures.append(deliverer.submit(row, reg.item))
        report.outcomes.extend(f.result() for f in futures)
    report.followed.extend(regs)


def run_registered(
    hub: Runtime,
    regs: list[Registered],
    *,
    on_done: Callable[[Outcome], None] | None = None,
    report: RunReport | None = None,
) -> RunReport:
    """Carry out the deliveries ``regs`` recorded in the outbox (publications or withdrawals),
    then sign the log and let every channel used finish its run."""
    report = report or RunReport()
    report.items.extend(regs)
    futures: list[Future[Outcome]] = []
    used: set[str] = set()
    with _interrupted_after_sending(hub), Deliverer(hub, on_done=on_done) as deliverer:
        for reg in regs:
            for row in reg.to_run:
                used.add(row["channel"])
                futures.append(deliverer.submit(row, reg.item))
        report.outcomes.extend(f.result() for f in futures)
    _finish_run(hub, used, report, sign=any(reg.done for reg in regs))
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
    # What can refuse the run is checked before anything is sent, as in hub publish.
    hub.preflight(sorted({r["channel"] for r in todo}))
    futures: list[Future[Outcome]] = []
    used: set[str] = set()
    cache: dict[tuple[str, int], NormalizedItem] = {}
    with _interrupted_after_sending(hub), Deliverer(
        hub, resend=resend, on_done=on_done
    ) as deliverer:
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
    # A run killed between a 【更正】 post and the withdrawal of the older ones left that undone.
    _replace_corrected(hub, unreplaced_corrections(hub.store, hub), used, report, on_done)
    # A retry also finishes what an earlier run could not after sending (its checkpoint, a
    # feed or a catalogue): every enabled channel finishes, also one with nothing left to
    # deliver — feeds and catalogues are written once per run, so a run killed after their
    # deliveries but before its end left them behind (issue 14).
    enabled = {n for n, c in hub.channels.items() if c.settings.enabled}
    _finish_run(hub, used | enabled, report, sign=True)
    return report


@contextmanager
def _interrupted_after_sending(hub: Runtime) -> Iterator[None]:
    """Report a store or disk failure during the deliveries as what it is (exit 1)."""
    try:
        yield
    except (OSError, SQLAlchemyError) as exc:
        log.error("run interrupted: %s", hub.scrub(repr(exc)))
        raise RunInterrupted(
            f"发布中断：{describe_store_error(exc)}。部分内容可能已送达渠道；本批的每个投递都已登记，"
            "排除故障后运行 hub retry 继续（已确认的投递不会重复发送）"
        ) from None


def _finish_run(hub: Runtime, used: set[str], report: RunReport, *, sign: bool = False) -> None:
    """Sign the log and let each channel used finish its run; what fails is reported."""
    # Sign the log first, so the feed and the portal rebuilt below show the newest checkpoint.
    if used or sign:
        try:
            hub.write_checkpoint()
        except (HubError, OSError, SQLAlchemyError) as exc:
            reason = exc.args[0] if isinstance(exc, HubError) else describe_store_error(exc)
            log.error("signing the checkpoint failed: %s", hub.scrub(repr(exc)))
            report.problems.append(
                f"回执已记录，但未能签署新的检查点：{hub.scrub(str(reason))}；"
                "排除故障后运行 hub retry 补签"
            )
    for name in used:
        try:
            hub.channels[name].finish_run()
        except Exception as exc:
            log.error("finish_run of %s failed: %s", name, hub.scrub(str(exc)))
            lower = isinstance(exc, OSError | SQLAlchemyError)
            reason = describe_store_error(exc) if lower else str(exc)
            report.problems.append(
                f"渠道 {name} 收尾失败（如重建栏目页或订阅源）：{hub.scrub(reason)}；"
                "排除故障后运行 hub retry"
            )


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
