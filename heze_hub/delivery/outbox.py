"""The outbox (DESIGN §6): item versions and their deliveries, recorded before anything is sent.

Registration gives an item its 索引号 and version and records one delivery row per routed
channel; a row that a dead process left ``publishing`` is found here again, so nothing is lost
and nothing is sent twice behind the hub's back.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from heze_hub.delivery.routing import route
from heze_hub.delivery.runtime import Runtime
from heze_hub.errors import InputError
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import PreparedItem, now
from heze_hub.store.db import chunks
from heze_hub.store.schema import deliveries, items, serials, versions
from heze_hub.store.writes import append_receipts

#: Who claims a delivery: host, pid and start second of this process.
OWNER = f"{socket.gethostname()}:{os.getpid()}:{int(time.time())}"


@dataclass
class Outcome:
    """How one delivery ended in this run."""

    index_no: str
    version: int
    channel: str
    status: str
    attempts: int = 0
    url: str | None = None
    remote_id: str | None = None
    error: str | None = None
    note: str | None = None


@dataclass
class Registered:
    """An item version in the store, with the deliveries this run has to carry out."""

    item: NormalizedItem
    new_version: bool
    to_run: list[dict[str, Any]] = field(default_factory=list)
    done: list[Outcome] = field(default_factory=list)  # already finished before this run


def register(hub: Runtime, prepared: PreparedItem, only: tuple[str, ...] = ()) -> Registered:
    """Give the item its index number and version, and record its deliveries (the outbox)."""
    return hub.store.write(lambda conn: register_all(conn, hub, [prepared], only))[0]


def register_all(
    conn: Connection, hub: Runtime, batch: list[PreparedItem], only: tuple[str, ...] = ()
) -> list[Registered]:
    """Register a batch inside the caller's write transaction, with a few statements in all.

    Each item gets its 索引号 (new identity) or its next version (same identity, new content hash)
    or nothing new (same hash); every routed channel gets a delivery row. A batch of a thousand
    items costs a handful of queries, not thousands, because all of it happens before the first
    delivery may start.
    """
    stamp = now()
    known = known_items(conn, batch)
    serial: dict[tuple[str, int], int] = {}
    new_items: list[dict[str, Any]] = []
    bumped: dict[str, int] = {}
    new_versions: list[dict[str, Any]] = []
    regs: list[Registered] = []
    for p in batch:
        row = known_row(known, p)
        if row is None:
            year = p.content["written_on"].year
            index_no = _next_index_no(conn, serial, hub.org_code, year)
            new_items.append(dict(index_no=index_no, identity=p.identity, latest_version=1,
                                  created_at=stamp.isoformat()))
            version, new = 1, True
        else:
            index_no, version, latest_hash, latest_item = row
            new = latest_hash != p.content_sha256
            if new:
                version += 1
                bumped[index_no] = version
        if new:
            item = p.build(index_no, version, stamp)
        else:
            # The explicit channel list is not content (not hashed): a file that only changes
            # it is the same version, routed anew.
            item = latest_item.model_copy(update={"channels": p.content["channels"]})
        if new:
            new_versions.append(dict(index_no=index_no, version=version,
                                     content_sha256=p.content_sha256,
                                     published_at=stamp.isoformat(), data=item.model_dump_json()))
        # Later files of the same batch see this one (the same item twice, or edited twice).
        entry = (index_no, version, p.content_sha256, item)
        known[f"index_no:{index_no}"] = known[p.identity] = entry
        regs.append(Registered(item=item, new_version=new))

    if new_items:
        conn.execute(insert(items), new_items)
    if bumped:
        conn.execute(update(items).where(items.c.index_no == bindparam("_ix")),
                     [{"_ix": ix, "latest_version": v} for ix, v in bumped.items()])
    if new_versions:
        conn.execute(insert(versions), new_versions)
    for (prefix, year), last in serial.items():
        _save_serial(conn, prefix, year, last)
    _record_deliveries(conn, hub, regs, only, stamp.isoformat())
    return regs


def known_row(known: dict[str, Any], p: PreparedItem) -> Any:
    """The stored entry of ``known_items`` for ``p`` (None for a new item); an explicit
    ``index_no`` the store does not know is bad input."""
    row = known.get(f"index_no:{p.explicit_index_no}" if p.explicit_index_no else p.identity)
    if row is None and p.explicit_index_no:
        raise InputError(
            f"{p.source}：字段 index_no：索引号 {p.explicit_index_no} 不存在；"
            "首次发布时不要填写索引号，由系统分配",
            file=str(p.source), field="index_no",
        )
    return row


def known_items(conn: Connection, batch: list[PreparedItem]) -> dict[str, Any]:
    """``identity`` / ``index_no:X`` → (index_no, latest version, its hash, its item)."""
    identities = sorted({p.identity for p in batch if not p.explicit_index_no})
    explicit = sorted({p.explicit_index_no for p in batch if p.explicit_index_no})
    q = (
        select(items.c.index_no, items.c.identity, items.c.latest_version,
               versions.c.content_sha256, versions.c.data)
        .join(versions, (versions.c.index_no == items.c.index_no)
              & (versions.c.version == items.c.latest_version))
    )
    rows = [r for part in chunks(identities)
            for r in conn.execute(q.where(items.c.identity.in_(part)))]
    rows += [r for part in chunks(explicit)
             for r in conn.execute(q.where(items.c.index_no.in_(part)))]
    known: dict[str, Any] = {}
    for r in rows:
        entry = (r.index_no, r.latest_version, r.content_sha256,
                 NormalizedItem.model_validate_json(r.data))
        known[r.identity] = known[f"index_no:{r.index_no}"] = entry
    return known


def _record_deliveries(conn: Connection, hub: Runtime, regs: list[Registered],
                       only: tuple[str, ...], stamp: str) -> None:
    """Create the missing delivery rows of every registered item; collect what is to run."""
    routes = {id(reg): route(hub.channels, reg.item, only) for reg in regs}
    keys = [f"{reg.item.index_no}:{reg.item.version}:{name}"
            for reg in regs if not reg.new_version for name in routes[id(reg)]]
    # A brand-new version has no deliveries yet: only old ones are looked up.
    existing = {
        r.idempotency_key: r
        for part in chunks(keys)
        for r in conn.execute(select(deliveries).where(deliveries.c.idempotency_key.in_(part)))
    }
    fresh: list[tuple[Registered, dict[str, Any]]] = []
    skipped: list[tuple[Registered, dict[str, Any]]] = []
    seen: set[str] = set()
    for reg in regs:
        item = reg.item
        for name in routes[id(reg)]:
            key = f"{item.index_no}:{item.version}:{name}"
            row = existing.get(key)
            if key in seen:
                continue  # the same version twice in one batch: one delivery
            seen.add(key)
            if row is None:
                values = dict(
                    index_no=item.index_no, version=item.version, channel=name,
                    idempotency_key=key, status="pending", attempts=0, retryable=False,
                    state="{}", owner=None, remote_id=None, url=None, error=None,
                    payload_sha256=None, started_at=None, finished_at=None, updated_at=stamp,
                )
                channel = hub.channels[name]
                skip = channel.accepts(item)
                if skip is None:
                    if channel.resend_safe:
                        # Claimed for this process right away, at no extra cost: should it die
                        # before sending, resending is harmless on such a channel.
                        values.update(status="publishing", owner=OWNER, started_at=stamp,
                                      claimed=True)
                    fresh.append((reg, values))
                else:
                    values.update(status="skipped", error=skip, finished_at=stamp,
                                  started_at=stamp)
                    skipped.append((reg, values))
                    reg.done.append(Outcome(item.index_no, item.version, name, "skipped",
                                            error=skip))
            elif row.status == "pending" or (
                row.status == "publishing" and owner_gone(row.owner, row.updated_at)
            ):
                reg.to_run.append(dict(row._mapping))
            else:
                reg.done.append(Outcome(item.index_no, item.version, name, row.status,
                                        row.attempts, row.url, row.remote_id, row.error))
    rows = fresh + skipped
    if rows:
        # One executemany INSERT, then the ids read back by their unique keys: an INSERT …
        # RETURNING that must keep parameter order runs row by row on SQLite.
        conn.execute(
            insert(deliveries),
            [{k: v for k, v in values.items() if k != "claimed"} for _, values in rows],
        )
        new_ids = {
            key: id_
            for part in chunks([values["idempotency_key"] for _, values in rows])
            for id_, key in conn.execute(
                select(deliveries.c.id, deliveries.c.idempotency_key)
                .where(deliveries.c.idempotency_key.in_(part))
            )
        }
        for _, values in rows:
            values["id"] = new_ids[values["idempotency_key"]]
    for reg, values in fresh:
        reg.to_run.append(values)
    if skipped:
        append_receipts(conn, [
            build_receipt(values, reg.item, status="skipped", error=values["error"])
            for reg, values in skipped
        ])


def _next_index_no(
    conn: Connection, serial: dict[tuple[str, int], int], prefix: str, year: int
) -> str:
    """The next 索引号 of ``prefix`` in ``year``; counters are kept in ``serial`` until saved."""
    if (prefix, year) not in serial:
        last = conn.execute(
            select(serials.c.last).where(serials.c.prefix == prefix, serials.c.year == year)
        ).scalar()
        serial[(prefix, year)] = last or 0
    serial[(prefix, year)] += 1
    return f"{prefix}/{year}-{serial[(prefix, year)]:05d}"


def _save_serial(conn: Connection, prefix: str, year: int, last: int) -> None:
    where = (serials.c.prefix == prefix) & (serials.c.year == year)
    if conn.execute(update(serials).where(where).values(last=last)).rowcount == 0:
        conn.execute(insert(serials).values(prefix=prefix, year=year, last=last))


#: How long a delivery claimed by a process on another machine counts as still in hand.
FOREIGN_LEASE = timedelta(minutes=30)


def owner_gone(owner: str | None, updated_at: str | None = None) -> bool:
    """Whether the process that claimed a delivery is gone (so the attempt was interrupted).

    A process on this machine is asked directly; one on another machine (a shared database) is
    taken as gone only once its claim is older than :data:`FOREIGN_LEASE`.
    """
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if owner == OWNER:
        return False
    if host != socket.gethostname() or not pid_text.isdigit():
        if not updated_at:
            return False
        return now() - datetime.fromisoformat(updated_at) > FOREIGN_LEASE
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # Same pid alive: it is gone only if that pid now belongs to another process start.
    return not _same_process(owner)


def _same_process(owner: str) -> bool:
    # The owner string ends with the start second of the claiming process; a reused pid started
    # later than that claim cannot be the same process.
    try:
        pid = int(owner.split(":")[1])
        started = int(owner.split(":")[2])
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat", encoding="ascii") as fh:
            btime = next(int(line.split()[1]) for line in fh if line.startswith("btime"))
        proc_start = btime + ticks / os.sysconf("SC_CLK_TCK")
        return proc_start <= started + 1
    except (OSError, ValueError, IndexError, StopIteration):
        return True


def build_receipt(
    row: dict[str, Any],
    item: NormalizedItem,
    *,
    status: str,
    error: str | None,
    note: str | None = None,
    remote_data: dict[str, str] | None = None,
) -> dict[str, Any]:
    receipt = {
        "index_no": item.index_no,
        "version": item.version,
        "channel": row["channel"],
        "status": status,
        "content_sha256": item.content_sha256,
        "payload_sha256": row.get("payload_sha256"),
        "remote_id": row.get("remote_id"),
        "url": row.get("url"),
        "attempts": int(row.get("attempts") or 0),
        "started_at": row.get("started_at"),
        "finished_at": row.get("finished_at") or now().isoformat(),
        "error": error,
        "idempotency_key": row["idempotency_key"],
        "note": note,
    }
    if remote_data:
        # Only when a channel reported some: every other receipt keeps its established shape.
        receipt["remote_data"] = dict(remote_data)
    return receipt


