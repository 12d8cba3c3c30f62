"""Withdrawal deliveries (DESIGN §12): taking a publication back, through the same outbox.

A withdrawal is a delivery row like a publication's, with the idempotency key
``{index_no}:{version}:{channel}:withdraw``; while it runs it is ``pending``/``publishing`` like
any delivery (the claim states of the outbox), and it ends ``withdrawn``, ``failed`` or
``skipped`` (the channel cannot withdraw: a person must). What it takes back and why is kept in
the ``withdrawals`` table beside it. The engine (:mod:`heze_hub.delivery.engine`) runs it with
the channel's :meth:`~heze_hub.delivery.channel.Channel.withdraw`, the same claims, retries,
crash points and receipts as a publication; since every built-in ``withdraw()`` counts "already
gone" as withdrawn, an interrupted withdrawal is simply sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from heze_hub.delivery.channel import Channel, Withdrawal
from heze_hub.delivery.outbox import Outcome, Registered, build_receipt, owner_gone
from heze_hub.delivery.runtime import Runtime
from heze_hub.errors import InputError
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import now
from heze_hub.store.db import Store, chunks
from heze_hub.store.schema import deliveries, items, versions, withdrawals
from heze_hub.store.writes import append_receipts

__all__ = [
    "CAUSES",
    "WITHDRAW_SUFFIX",
    "is_withdrawal",
    "load_withdrawal",
    "published_channels",
    "register_withdrawals",
    "withdraw_key",
]

WITHDRAW_SUFFIX = ":withdraw"
#: Why a publication is taken back, as the receipts' notes and ``hub status`` say it.
CAUSES = {"withdraw": "撤回", "expire": "公示期满撤下", "correction": "更正后撤下旧帖"}


def withdraw_key(index_no: str, version: int, channel: str) -> str:
    """The idempotency key of the withdrawal of one published version from one channel."""
    return f"{index_no}:{version}:{channel}{WITHDRAW_SUFFIX}"


def is_withdrawal(row: dict[str, Any]) -> bool:
    """Whether a delivery row (or receipt) is a withdrawal, not a publication."""
    return str(row.get("idempotency_key") or "").endswith(WITHDRAW_SUFFIX)


def load_withdrawal(store: Store, key: str) -> Withdrawal:
    """What the withdrawal delivery ``key`` takes back, and why."""
    with store.read() as conn:
        row = conn.execute(select(withdrawals).where(withdrawals.c.idempotency_key == key)).one()
    return Withdrawal(
        reason=row.reason, cause=row.cause,
        requested_at=datetime.fromisoformat(row.requested_at),
        remote_id=row.remote_id, url=row.url, state=json.loads(row.state or "{}"),
    )


def published_channels(store: Store, index_nos: list[str]) -> set[str]:
    """Channels on which any of ``index_nos`` has a published version (for the preflight)."""
    d = deliveries
    with store.read() as conn:
        return {
            name
            for part in chunks(index_nos)
            for name in conn.execute(
                select(d.c.channel).distinct()
                .where(d.c.index_no.in_(part), d.c.status == "published")
            ).scalars()
        }


def register_withdrawals(
    conn: Connection,
    hub: Runtime,
    index_nos: list[str],
    *,
    reason: str,
    cause: str = "withdraw",
    only: tuple[str, ...] = (),
    keep: Callable[[str, Channel | None], bool] = lambda _name, _channel: True,
    versions_of: Callable[[str, str, list[int]], list[int]] | None = None,
    strict: bool = True,
) -> list[Registered]:
    """Record the withdrawal deliveries of ``index_nos`` (inside the caller's write transaction).

    For every channel that carried a version of the item: the latest published version where
    the channel edits in place (and an older one that left a remote object of its own), every
    published version where posts stand alone (WeChat, Weibo) — unless already withdrawn.
    ``keep(name, channel)`` narrows the channels (``hub expire`` leaves the credit platform
    alone), ``versions_of(index_no, channel, published)`` overrides the versions (a correction
    withdraws only the older posts). With ``strict`` an
    unknown or never-published index number is bad input (nothing is recorded).
    """
    stamp = now().isoformat()
    d = deliveries
    known = set()
    for part in chunks(index_nos):
        known |= set(conn.execute(select(items.c.index_no).where(items.c.index_no.in_(part)))
                     .scalars())
    missing = [ix for ix in index_nos if ix not in known]
    if missing and strict:
        raise InputError(f"索引号 {'、'.join(missing)} 不存在（从未通过本平台发布）",
                         field="index_no")
    rows = [
        dict(r._mapping)
        for part in chunks(sorted(known))
        for r in conn.execute(select(d).where(d.c.index_no.in_(part)).order_by(d.c.id))
    ]
    by_key = {r["idempotency_key"]: r for r in rows}
    published: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in rows:
        if r["status"] == "published" and not is_withdrawal(r):
            published.setdefault(r["index_no"], {}).setdefault(r["channel"], []).append(r)
    regs: dict[tuple[str, int], Registered] = {}
    cache: dict[tuple[str, int], NormalizedItem] = {}
    new_rows: list[tuple[Registered, dict[str, Any], dict[str, Any] | None]] = []
    for ix in index_nos:
        if ix not in known:
            continue
        channels = {
            name: pubs for name, pubs in published.get(ix, {}).items()
            if (not only or name in only) and keep(name, hub.channels.get(name))
        }
        if not channels and strict:
            where = f"渠道 {'、'.join(only)} 上" if only else "任何渠道上"
            raise InputError(f"索引号 {ix} 在{where}没有已发布的版本，无可撤回", field="index_no")
        for name, pubs in sorted(channels.items()):
            channel = hub.channels.get(name)
            numbers = sorted({p["version"] for p in pubs})
            if versions_of is not None:
                chosen = versions_of(ix, name, numbers)
            elif channel is None or channel.edits_in_place:
                # The latest version, and an older one only where it left a remote object of its
                # own (a CMS that filed each version as an article of its own).
                last = max(pubs, key=lambda p: p["version"])
                own = (last["remote_id"] or "",)
                chosen = sorted({p["version"] for p in pubs
                                 if p is last or (p["remote_id"] or "",) != own})
            else:
                chosen = numbers
            for version in chosen:
                key = withdraw_key(ix, version, name)
                if (ix, version) not in cache:
                    cache[(ix, version)] = _load(conn, ix, version)
                item = cache[(ix, version)]
                reg = regs.setdefault((ix, version), Registered(item=item, new_version=False))
                row = by_key.get(key)
                if row is not None:
                    _pick_up(reg, row, report_done=strict)
                    continue
                pub = next(p for p in pubs if p["version"] == version)
                new_rows.append((reg, *_new_row(hub, reg.item, name, key, pub, reason, cause,
                                                stamp)))
    _insert(conn, new_rows)
    return list(regs.values())


def _load(conn: Connection, index_no: str, version: int) -> NormalizedItem:
    data = conn.execute(select(versions.c.data).where(
        versions.c.index_no == index_no, versions.c.version == version)).scalar_one()
    return NormalizedItem.model_validate_json(data)


def _pick_up(reg: Registered, row: dict[str, Any], *, report_done: bool) -> None:
    """A withdrawal already in the outbox: run it if unfinished, else report how it ended
    (unless ``report_done`` is False: a run of its own, like ``hub expire``, is quiet about
    what an earlier run did)."""
    if row["status"] == "pending" or (
        row["status"] == "publishing" and owner_gone(row["owner"], row["updated_at"])
    ):
        reg.to_run.append(row)
        return
    if not report_done:
        return
    item = reg.item
    reg.done.append(Outcome(item.index_no, item.version, row["channel"], row["status"],
                            row["attempts"], row["url"], row["remote_id"], row["error"],
                            note="此前已登记的撤回" if row["status"] != "failed" else
                            "此前的撤回失败，可用 hub retry 重试"))


def _new_row(
    hub: Runtime, item: NormalizedItem, name: str, key: str, pub: dict[str, Any],
    reason: str, cause: str, stamp: str,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The delivery row of a new withdrawal and, unless it is skipped, what it takes back."""
    values = dict(
        index_no=item.index_no, version=item.version, channel=name, idempotency_key=key,
        status="pending", attempts=0, retryable=False, state="{}", owner=None,
        remote_id=pub["remote_id"], url=pub["url"], error=None, payload_sha256=None,
        started_at=None, finished_at=None, updated_at=stamp,
    )
    channel = hub.channels.get(name)
    if channel is None or not channel.can_withdraw:
        why = "渠道已不在配置中" if channel is None else f"渠道 {name} 不支持自动撤回"
        values.update(status="skipped", started_at=stamp, finished_at=stamp,
                      error=f"{why}，需人工撤下（{CAUSES.get(cause, cause)}：{reason}）")
    target = dict(
        idempotency_key=key, index_no=item.index_no, version=item.version, channel=name,
        cause=cause, reason=reason, requested_at=stamp, remote_id=pub["remote_id"],
        url=pub["url"], state=_channel_state(pub.get("state")),
    )
    return values, target


def _channel_state(raw: str | None) -> str:
    """The publication's saved state without the core's own record."""
    data = json.loads(raw or "{}")
    data.pop("_hub", None)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _insert(
    conn: Connection,
    new_rows: list[tuple[Registered, dict[str, Any], dict[str, Any] | None]],
) -> None:
    if not new_rows:
        return
    conn.execute(insert(deliveries), [values for _, values, _ in new_rows])
    conn.execute(insert(withdrawals), [t for _, _, t in new_rows if t is not None])
    ids = {
        key: id_
        for part in chunks([v["idempotency_key"] for _, v, _ in new_rows])
        for id_, key in conn.execute(
            select(deliveries.c.id, deliveries.c.idempotency_key)
            .where(deliveries.c.idempotency_key.in_(part))
        )
    }
    skipped = []
    for reg, values, _ in new_rows:
        values["id"] = ids[values["idempotency_key"]]
        if values["status"] == "skipped":
            skipped.append(build_receipt(values, reg.item, status="skipped",
                                         error=values["error"]))
            reg.done.append(Outcome(reg.item.index_no, reg.item.version, values["channel"],
                                    "skipped", error=values["error"]))
        else:
            reg.to_run.append(values)
    if skipped:
        append_receipts(conn, skipped)


#: The reason recorded when a correction's 【更正】 post replaces older posts.
REPLACED_REASON = "已发布更正后的新版本（【更正】），旧帖撤下"


def replaced_posts(
    conn: Connection, hub: Runtime, corrected: dict[str, int]
) -> list[Registered]:
    """Record the withdrawals of the posts a correction replaces (DESIGN §12).

    ``corrected`` maps an index number to a version with a ``correction``. On every channel
    that cannot edit its posts and has published that version, each older published version of
    the item is withdrawn (cause ``correction``); already recorded withdrawals are picked up.
    """
    if not corrected:
        return []

    def older(index_no: str, _name: str, published: list[int]) -> list[int]:
        version = corrected[index_no]
        return [v for v in published if v < version] if version in published else []

    return register_withdrawals(
        conn, hub, sorted(corrected), reason=REPLACED_REASON, cause="correction",
        keep=lambda _name, channel: channel is not None and not channel.edits_in_place,
        versions_of=older, strict=False,
    )


def unreplaced_corrections(store: Store, hub: Runtime) -> dict[str, int]:
    """Corrections published on a channel that cannot edit posts whose older posts still stand
    without a recorded withdrawal: what a run killed after the 【更正】 post left undone."""
    names = [n for n, c in hub.channels.items() if not c.edits_in_place]
    if not names:
        return {}
    d = deliveries
    with store.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(d.c.index_no, d.c.version, d.c.channel, d.c.status, d.c.idempotency_key)
            .where(d.c.channel.in_(names))
        )]
    published: dict[tuple[str, str], set[int]] = {}
    withdrawn: set[tuple[str, str, int]] = set()
    for r in rows:
        if is_withdrawal(r):
            withdrawn.add((r["index_no"], r["channel"], r["version"]))
        elif r["status"] == "published":
            published.setdefault((r["index_no"], r["channel"]), set()).add(r["version"])
    found: dict[str, int] = {}
    for (ix, name), numbers in published.items():
        latest = max(numbers)
        if any(v < latest and (ix, name, v) not in withdrawn for v in numbers):
            item = store.load_version(ix, latest)
            if item.correction:
                found[ix] = latest
    return found
