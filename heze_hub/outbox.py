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
from typing import Any

from sqlalchemy import Connection, insert, select, update

from .errors import InputError
from .hub import Hub
from .model import NormalizedItem
from .normalize import PreparedItem, now
from .routing import route
from .store import append_receipt, deliveries, items, serials, versions

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


def register(hub: Hub, prepared: PreparedItem, only: tuple[str, ...] = ()) -> Registered:
    """Give the item its index number and version, and record its deliveries (the outbox)."""
    return hub.store.write(lambda conn: register_in(conn, hub, prepared, only))


def register_in(conn: Connection, hub: Hub, p: PreparedItem, only: tuple[str, ...]) -> Registered:
    """Register one prepared item inside the caller's write transaction (see :func:`register`)."""
    stamp = now()
    if p.explicit_index_no:
        row = conn.execute(select(items).where(items.c.index_no == p.explicit_index_no)).first()
        if row is None:
            raise InputError(
                f"{p.source}：字段 index_no：索引号 {p.explicit_index_no} 不存在；"
                "首次发布时不要填写索引号，由系统分配",
                file=str(p.source),
                field="index_no",
            )
    else:
        row = conn.execute(select(items).where(items.c.identity == p.identity)).first()

    if row is None:
        index_no = _next_index_no(conn, hub.config.hub.org_code, p.content["written_on"].year)
        conn.execute(
            insert(items).values(
                index_no=index_no,
                identity=p.identity,
                latest_version=1,
                created_at=stamp.isoformat(),
            )
        )
        version, new = 1, True
    else:
        index_no, version = row.index_no, row.latest_version
        latest_hash = conn.execute(
            select(versions.c.content_sha256).where(
                versions.c.index_no == index_no, versions.c.version == version
            )
        ).scalar_one()
        new = latest_hash != p.content_sha256
        if new:
            version += 1
            conn.execute(
                update(items).where(items.c.index_no == index_no).values(latest_version=version)
            )
    if new:
        item = p.build(index_no, version, stamp)
        conn.execute(
            insert(versions).values(
                index_no=index_no,
                version=version,
                content_sha256=p.content_sha256,
                published_at=stamp.isoformat(),
                data=item.model_dump_json(),
            )
        )
    else:
        data = conn.execute(
            select(versions.c.data).where(
                versions.c.index_no == index_no, versions.c.version == version
            )
        ).scalar_one()
        item = NormalizedItem.model_validate_json(data)

    reg = Registered(item=item, new_version=new)
    names = route(hub.channels, item, only)
    keys = {name: f"{index_no}:{version}:{name}" for name in names}
    existing = {}
    if not new:  # a brand-new version has no deliveries yet: skip the lookup
        existing = {
            r.channel: r
            for r in conn.execute(
                select(deliveries).where(deliveries.c.idempotency_key.in_(keys.values()))
            )
        }
    fresh: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for name in names:
        row = existing.get(name)
        if row is None:
            values = dict(
                index_no=index_no, version=version, channel=name, idempotency_key=keys[name],
                status="pending", attempts=0, retryable=False, state="{}", owner=None,
                remote_id=None, url=None, error=None, payload_sha256=None, started_at=None,
                finished_at=None, updated_at=stamp.isoformat(),
            )
            skip = hub.channels[name].accepts(item)
            if skip is None:
                fresh.append(values)
            else:
                values.update(status="skipped", error=skip, finished_at=stamp.isoformat(),
                              started_at=stamp.isoformat())
                skipped.append(values)
                reg.done.append(Outcome(index_no, version, name, "skipped", error=skip))
        elif row.status == "pending" or (row.status == "publishing" and owner_gone(row.owner)):
            reg.to_run.append(dict(row._mapping))
        else:
            reg.done.append(Outcome(index_no, version, name, row.status, row.attempts, row.url,
                                    row.remote_id, row.error))
    if fresh or skipped:
        # One multi-row INSERT … RETURNING for all of the item's new deliveries.
        ids = conn.execute(
            insert(deliveries).returning(deliveries.c.id, sort_by_parameter_order=True),
            fresh + skipped,
        )
        for values, new_id in zip(fresh + skipped, ids.scalars(), strict=True):
            values["id"] = new_id
        reg.to_run.extend(fresh)
    for values in skipped:
        append_receipt(conn, build_receipt(values, item, status="skipped", error=values["error"]))
    return reg


def _next_index_no(conn: Connection, prefix: str, year: int) -> str:
    last = conn.execute(
        select(serials.c.last).where(serials.c.prefix == prefix, serials.c.year == year)
    ).scalar()
    if last is None:
        serial = 1
        conn.execute(insert(serials).values(prefix=prefix, year=year, last=serial))
    else:
        serial = last + 1
        conn.execute(
            update(serials)
            .where(serials.c.prefix == prefix, serials.c.year == year)
            .values(last=serial)
        )
    return f"{prefix}/{year}-{serial:05d}"


def owner_gone(owner: str | None) -> bool:
    """Whether the process that claimed a delivery is gone (so the attempt was interrupted)."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if owner == OWNER:
        return False
    if host != socket.gethostname() or not pid_text.isdigit():
        # Another machine's worker: only its own lease expiry could tell; treat as gone only
        # when an operator retries explicitly (handled by the caller's mode).
        return True
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
) -> dict[str, Any]:
    return {
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


