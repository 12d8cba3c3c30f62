"""Write operations that run inside the writer's transaction: appending receipts with their
gapless ``seq``, finishing deliveries together with their receipts, updating one delivery row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from heze_hub.receipts.canonical import canonical_json
from heze_hub.store.schema import deliveries, receipts

#: Where a write transaction keeps its next receipt ``seq`` (in ``Connection.info``).
NEXT_SEQ = "heze_hub_next_receipt_seq"


def append_receipt(conn: Connection, receipt: dict[str, Any]) -> dict[str, Any]:
    """Append one receipt inside the caller's write transaction; ``seq`` is assigned here."""
    return append_receipts(conn, [receipt])[0]


def append_receipts(conn: Connection, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append receipts in order inside the caller's write transaction, assigning ``seq``."""
    seq = conn.info.get(NEXT_SEQ)
    if seq is None:
        seq = int(
            conn.execute(select(func.coalesce(func.max(receipts.c.seq), -1) + 1)).scalar_one()
        )
    done = [{**r, "seq": seq + i} for i, r in enumerate(new)]
    conn.info[NEXT_SEQ] = seq + len(done)
    conn.execute(insert(receipts), [
        {"seq": r["seq"], "index_no": r["index_no"], "channel": r["channel"],
         "status": r["status"], "finished_at": r["finished_at"], "data": canonical_json(r)}
        for r in done
    ])
    return done


#: Delivery states a delivery can still leave; the others are final and have their receipt.
UNFINISHED = ("pending", "publishing", "unconfirmed")


@dataclass(frozen=True)
class FinishDelivery:
    """Write op: mark a delivery finished and append its receipt, in one transaction.

    Returns ``None`` when done, or the delivery's status when another process finished it first
    (then no second receipt is appended).
    """

    delivery_id: int
    values: dict[str, Any]
    receipt: dict[str, Any]
    #: The claim this finish must still hold (``None``: an unclaimed delivery, finished by hand).
    owner: str | None = None

    def __call__(self, conn: Connection) -> str | None:
        return finish_deliveries(conn, [self])[0]


def finish_deliveries(conn: Connection, ops: list[FinishDelivery]) -> list[str | None]:
    """Apply many :class:`FinishDelivery` ops with three statements."""
    ids = [op.delivery_id for op in ops]
    q = select(deliveries.c.id, deliveries.c.status, deliveries.c.owner).where(
        deliveries.c.id.in_(ids)
    )
    current = {row[0]: (row[1], row[2]) for row in conn.execute(q)}
    todo: list[FinishDelivery] = []
    results: list[str | None] = []
    for op in ops:
        status, owner = current.get(op.delivery_id, (None, None))
        # Only the holder of the claim finishes a delivery: a process that lost it (another
        # took over an expired claim) must not add a second receipt.
        if status in UNFINISHED and owner == op.owner:
            todo.append(op)
            current[op.delivery_id] = (op.values["status"], None)
            results.append(None)
        else:
            results.append(status)
    if todo:
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for op in todo:
            by_keys.setdefault(tuple(sorted(op.values)), []).append(
                {"_id": op.delivery_id, **op.values}
            )
        for rows in by_keys.values():
            conn.execute(
                update(deliveries).where(deliveries.c.id == bindparam("_id")), rows
            )
        append_receipts(conn, [op.receipt for op in todo])
    return results


def delivery_update(conn: Connection, delivery_id: int, **values: Any) -> None:
    """Update one delivery row."""
    if "state" in values and not isinstance(values["state"], str):
        values["state"] = json.dumps(values["state"], ensure_ascii=False, sort_keys=True)
    conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))

