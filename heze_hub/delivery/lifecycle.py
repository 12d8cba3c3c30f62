"""The life of a published item as runs (DESIGN §12): ``hub withdraw``, the older posts a
correction replaces, and ``hub expire``.

Each records its withdrawal deliveries in the outbox first (:mod:`~heze_hub.delivery.withdrawal`)
and then runs them like a publication run (:func:`~heze_hub.delivery.runs.run_registered`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert, select

from heze_hub.delivery.outbox import Outcome, Registered
from heze_hub.delivery.runs import RunReport, run_registered
from heze_hub.delivery.runtime import Runtime
from heze_hub.delivery.withdrawal import (
    WITHDRAW_SUFFIX,
    published_channels,
    register_withdrawals,
)
from heze_hub.errors import InputError
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import PreparedItem, now
from heze_hub.rules.publicity import publicity_end
from heze_hub.store.db import Store, chunks
from heze_hub.store.schema import deliveries, items, marks

__all__ = ["ExpireReport", "check_reason", "expire", "item_problems", "withdraw"]

#: The longest reason a withdrawal may give (it goes into every receipt and notice page).
MAX_REASON = 500


def check_reason(reason: str | None) -> str:
    """The reason of a withdrawal, or bad input if there is none."""
    text = (reason or "").strip()
    if not text:
        raise InputError("--reason：撤回必须说明原因，例如 --reason \"复议撤销原处罚决定\"",
                         field="reason")
    if len(text) > MAX_REASON:
        raise InputError(f"--reason：撤回原因最多 {MAX_REASON} 字，现为 {len(text)} 字",
                         field="reason")
    return text


def withdraw(
    hub: Runtime,
    index_nos: list[str],
    *,
    reason: str,
    only: tuple[str, ...] = (),
    on_done: Callable[[Outcome], None] | None = None,
) -> RunReport:
    """Withdraw every published version of ``index_nos`` from the channels that carried it.

    Bad input (no reason, an unknown or never-published index number, a channel that never
    carried it) raises :class:`InputError` before anything is recorded or sent.
    """
    reason = check_reason(reason)
    unknown = [c for c in only if c not in hub.channels]
    if unknown:
        raise InputError(f"--channel：渠道 {'、'.join(unknown)} 未配置；"
                         f"已配置：{'、'.join(hub.channels)}", field="channel")
    index_nos = list(dict.fromkeys(index_nos))
    names = published_channels(hub.store, index_nos)
    hub.preflight(sorted(n for n in names if n in hub.channels and (not only or n in only)
                         and hub.channels[n].can_withdraw))
    regs = hub.store.write(lambda conn: register_withdrawals(
        conn, hub, index_nos, reason=reason, cause="withdraw", only=only))
    return run_registered(hub, regs, on_done=on_done)


def item_problems(
    store: Store, batch: list[PreparedItem]
) -> list[tuple[str, str, str]]:
    """What the store says is wrong with the lifecycle fields of a batch (DESIGN §12), as (file,
    field, Chinese message naming both): a ``correction`` on an item never published before (a
    correction is a version ≥ 2), a ``repeals`` naming an unknown index number."""
    named = sorted({ix for p in batch for ix in p.content["repeals"]}
                   | {p.explicit_index_no for p in batch if p.explicit_index_no})
    identities = sorted({p.identity for p in batch})
    with store.read() as conn:
        known = {ix for part in chunks(named) for ix in conn.execute(
            select(items.c.index_no).where(items.c.index_no.in_(part))).scalars()}
        seen = {i for part in chunks(identities) for i in conn.execute(
            select(items.c.identity).where(items.c.identity.in_(part))).scalars()}
    problems = []
    earlier: set[str] = set()  # an item twice in one batch: the second is a new version
    for p in batch:
        if p.content["correction"] and not (
            p.identity in seen or p.identity in earlier or p.explicit_index_no in known
        ):
            problems.append((str(p.source), "correction",
                             f"{p.source}：字段 correction：更正说明只能用于已发布信息的新版本"
                             "（第 2 版起）；该信息尚未发布过"))
        earlier.add(p.identity)
        unknown = [ix for ix in p.content["repeals"] if ix not in known]
        if unknown:
            problems.append((str(p.source), "repeals",
                             f"{p.source}：字段 repeals：索引号 {'、'.join(unknown)} 不存在，"
                             "只能废止本平台已发布的信息"))
    return problems


@dataclass
class ExpireReport(RunReport):
    """A ``hub expire`` run: the withdrawals it made, and the items newly marked 已失效."""

    #: Penalties whose 公示 ended, with the day it ended (and whether by the rules' default).
    ended: list[tuple[NormalizedItem, date, bool]] = field(default_factory=list)
    marked: list[NormalizedItem] = field(default_factory=list)


def expire(
    hub: Runtime, *, today: date | None = None, on_done: Callable[[Outcome], None] | None = None,
) -> ExpireReport:
    """Withdraw what reached the end of its 公示 (DESIGN §12) and mark expired policies.

    Penalties past their 公示截止期 (or the rules' default, :mod:`heze_hub.rules.publicity`)
    are withdrawn from every channel that ends with the 公示 — not the credit platform, which
    keeps its own record; items past ``valid_until`` are re-rendered as 已失效. Idempotent:
    what was withdrawn or marked before is not touched again.
    """
    today = today or now().date()
    report = ExpireReport()
    latest = hub.store.all_latest_items()
    ended = []
    for item in latest:
        end = publicity_end(item)
        if end is not None and end[0] < today:
            ended.append((item, *end))
    stale = _still_public(hub, [i.index_no for i, _, _ in ended])
    report.ended = [e for e in ended if e[0].index_no in stale]
    if report.ended:
        names = {n for ix in stale for n in stale[ix]}
        hub.preflight(sorted(n for n in names if hub.channels[n].can_withdraw))
        regs: list[Registered] = []
        for item, end, default in report.ended:
            why = "（未填写公示截止期，按规则默认3年）" if default else ""
            reason = f"行政处罚公示期已于 {end.isoformat()} 届满{why}"
            regs += hub.store.write(lambda conn, ix=item.index_no, r=reason: register_withdrawals(
                conn, hub, [ix], reason=r, cause="expire", strict=False,
                keep=lambda name, channel: name in stale[ix] and channel is not None))
        run_registered(hub, regs, on_done=on_done, report=report)
    report.marked = _mark_expired(hub, latest, today)
    return report


def _still_public(hub: Runtime, index_nos: list[str]) -> dict[str, set[str]]:
    """Of ``index_nos``, the channels (ending with the 公示) each is still published on."""
    d = deliveries
    with hub.store.read() as conn:
        rows = [r for part in chunks(index_nos) for r in conn.execute(
            select(d.c.index_no, d.c.version, d.c.channel, d.c.status, d.c.idempotency_key)
            .where(d.c.index_no.in_(part)))]
    published: dict[tuple[str, str], int] = {}
    gone: dict[tuple[str, str], int] = {}
    for r in rows:
        channel = hub.channels.get(r.channel)
        if channel is None or not channel.ends_with_publicity:
            continue
        key = (r.index_no, r.channel)
        if r.idempotency_key.endswith(WITHDRAW_SUFFIX):
            # Any recorded withdrawal of the latest version counts: hub retry finishes it.
            gone[key] = max(gone.get(key, 0), r.version)
        elif r.status == "published":
            published[key] = max(published.get(key, 0), r.version)
    left: dict[str, set[str]] = {}
    for (ix, name), version in published.items():
        if gone.get((ix, name), 0) < version:
            left.setdefault(ix, set()).add(name)
    return left


def _mark_expired(hub: Runtime, latest: list[NormalizedItem], today: date) -> list[NormalizedItem]:
    """Re-render items whose ``valid_until`` passed since the last run (已失效), once."""
    due = [i for i in latest if i.valid_until is not None and i.valid_until < today]
    if not due:
        return []
    with hub.store.read() as conn:
        done = {(r.index_no, r.version) for part in chunks([i.index_no for i in due])
                for r in conn.execute(select(marks.c.index_no, marks.c.version).where(
                    marks.c.index_no.in_(part), marks.c.mark == "expired"))}
    fresh = [i for i in due if (i.index_no, i.version) not in done]
    if not fresh:
        return []
    for name, channel in hub.channels.items():
        if channel.settings.enabled:
            shown = {i.index_no for i in hub.store.published_items(name)}
            mine = [i for i in fresh if i.index_no in shown]
            if mine:
                channel.refresh(mine)
    stamp = now().isoformat()
    hub.store.write(lambda conn: conn.execute(insert(marks), [
        {"index_no": i.index_no, "version": i.version, "mark": "expired", "marked_at": stamp}
        for i in fresh]))
    return fresh
