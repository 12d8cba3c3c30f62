"""Delivery runs: ``hub publish`` and ``hub retry`` as the engine runs them, and recording a
delivery a person carried out.

A run records its batch in the outbox (or picks up what is unfinished there), hands every
delivery to a :class:`~heze_hub.delivery.engine.Deliverer`, and ends by signing a checkpoint and
letting each channel it used finish its run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from heze_hub.delivery.engine import Deliverer
from heze_hub.delivery.outbox import (
    Outcome,
    Registered,
    build_receipt,
    owner_gone,
    register_all,
)
from heze_hub.delivery.runtime import Runtime
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import PreparedItem, now
from heze_hub.store.schema import deliveries
from heze_hub.store.writes import FinishDelivery

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
