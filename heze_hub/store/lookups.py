"""Look-ups for channels that combine items (DESIGN §5.6): one item's latest version, the items
of one kind, one item's deliveries on one channel. Handed to channels through ``HubInfo``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from heze_hub.items.model import NormalizedItem
from heze_hub.store.db import Store
from heze_hub.store.schema import deliveries, items, versions


def latest_item(store: Store, index_no: str) -> NormalizedItem | None:
    """The latest version of one item, or ``None`` if the hub does not know it."""
    q = select(versions.c.data).join(
        items, (items.c.index_no == versions.c.index_no)
        & (items.c.latest_version == versions.c.version),
    ).where(items.c.index_no == index_no)
    with store.read() as conn:
        data = conn.execute(q).scalar()
    return NormalizedItem.model_validate_json(data) if data is not None else None


def latest_of_kind(store: Store, kind: str) -> list[NormalizedItem]:
    """The latest version of every item of ``kind``, oldest first.

    The stored JSON is pre-filtered by its text (pydantic writes ``"kind":"…"`` without spaces)
    so that only the few items of a kind are parsed, not the whole store.
    """
    q = (
        select(versions.c.data)
        .join(items, (items.c.index_no == versions.c.index_no)
              & (items.c.latest_version == versions.c.version))
        .where(versions.c.data.contains(f'"kind":"{kind}"', autoescape=True))
        .order_by(versions.c.published_at)
    )
    with store.read() as conn:
        found = [NormalizedItem.model_validate_json(row[0]) for row in conn.execute(q)]
    return [i for i in found if i.kind == kind]


def channel_deliveries(store: Store, channel: str, index_no: str) -> list[dict[str, Any]]:
    """Every delivery of one item on one channel, newest version first: ``version``,
    ``status``, ``remote_id`` and ``url``."""
    d = deliveries
    q = (select(d.c.version, d.c.status, d.c.remote_id, d.c.url)
         .where(d.c.channel == channel, d.c.index_no == index_no)
         .order_by(d.c.version.desc()))
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
