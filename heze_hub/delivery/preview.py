"""What a run would do, without doing it (``hub publish --dry-run``).

The preview reads the store the way :func:`heze_hub.delivery.outbox.register_all` does, so it
tells the same story as the run: an unchanged item is sent nowhere, a changed one becomes the
next version of its 索引号, a new one gets the next free 索引号; and each channel renders the
item with that 索引号 and version, so the paths and links it shows are those of the real pages.
Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from heze_hub.delivery.outbox import _next_index_no, known_items, known_row
from heze_hub.delivery.routing import route
from heze_hub.delivery.runtime import Runtime
from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import PreparedItem, now

#: ``new``: a new item; ``version``: a new version of a known item; ``unchanged``: nothing new.
Action = Literal["new", "version", "unchanged"]


@dataclass
class ChannelPreview:
    """One channel's part: whether it would send, and what."""

    channel: str
    sends: bool
    reason: str | None = None  # why it would not (unchanged, or the channel skips the item)
    payload: Any = None


@dataclass
class ItemPreview:
    """One file of the batch: what the run would make of it, per channel."""

    source: str
    action: Action
    item: NormalizedItem
    channels: list[ChannelPreview] = field(default_factory=list)


def preview(hub: Runtime, batch: list[PreparedItem], only: tuple[str, ...] = ()
            ) -> list[ItemPreview]:
    """What ``hub publish`` of ``batch`` would do now, read from the store, nothing written."""
    stamp = now()
    result: list[ItemPreview] = []
    with hub.store.read() as conn:
        known = known_items(conn, batch)
        serial: dict[tuple[str, int], int] = {}
        for p in batch:
            row = known_row(known, p)
            action: Action
            if row is None:
                index_no = _next_index_no(conn, serial, hub.org_code, p.content["written_on"].year)
                item, action = p.build(index_no, 1, stamp), "new"
            else:
                index_no, version, latest_hash, latest_item = row
                if latest_hash == p.content_sha256:
                    item, action = latest_item, "unchanged"
                else:
                    item, action = p.build(index_no, version + 1, stamp), "version"
            entry = (item.index_no, item.version, p.content_sha256, item)
            known[f"index_no:{item.index_no}"] = known[p.identity] = entry
            result.append(ItemPreview(str(p.source), action, item,
                                      _channels(hub, item, action, only)))
    return result


def _channels(hub: Runtime, item: NormalizedItem, action: Action, only: tuple[str, ...]
              ) -> list[ChannelPreview]:
    shown = []
    for name in route(hub.channels, item, only):
        channel = hub.channels[name]
        if action == "unchanged":
            shown.append(ChannelPreview(name, False, "内容未变化，不发送"))
            continue
        skip = channel.accepts(item)
        if skip:
            shown.append(ChannelPreview(name, False, f"不适用：{skip}"))
        else:
            shown.append(ChannelPreview(name, True, payload=channel.render(item)))
    return shown
