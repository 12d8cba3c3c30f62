"""Receipts (DESIGN §7): one per finished delivery, canonical JSON bytes in an append-only log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from heze_hub.store.db import Store
from heze_hub.store.schema import receipts

#: Delivery states that end a delivery and so leave a receipt.
FINISHED = ("published", "failed", "unconfirmed", "skipped", "withdrawn")
#: Statuses a receipt may have: a finished delivery's, or a bulletin-board notice a person
#: confirmed as posted (``hub board confirm``).
RECEIPT_STATUSES = (*FINISHED, "posted")

RECEIPT_FIELDS = (
    "seq",
    "index_no",
    "version",
    "channel",
    "status",
    "content_sha256",
    "payload_sha256",
    "remote_id",
    "url",
    "attempts",
    "started_at",
    "finished_at",
    "error",
    "idempotency_key",
    "note",
    "remote_data",  # only in receipts whose channel reported more identifiers (WeChat)
)


@dataclass(frozen=True)
class ReceiptFilter:
    """Filters of ``hub receipts``."""

    index_no: str | None = None
    channel: str | None = None
    status: str | None = None
    since: date | None = None


def list_receipts(store: Store, flt: ReceiptFilter) -> list[dict[str, Any]]:
    """Receipts matching ``flt`` in ``seq`` order, decoded from their stored bytes."""
    q = select(receipts.c.data).order_by(receipts.c.seq)
    if flt.index_no:
        q = q.where(receipts.c.index_no == flt.index_no)
    if flt.channel:
        q = q.where(receipts.c.channel == flt.channel)
    if flt.status:
        q = q.where(receipts.c.status == flt.status)
    if flt.since:
        # finished_at is ISO 8601 in Beijing time, so string order is time order.
        q = q.where(receipts.c.finished_at >= flt.since.isoformat())
    with store.read() as conn:
        return [json.loads(bytes(row[0])) for row in conn.execute(q)]
