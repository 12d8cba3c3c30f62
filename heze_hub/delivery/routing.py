"""Routing (DESIGN §6): which configured channels an item goes to."""

from __future__ import annotations

from heze_hub.delivery.channel import Channel
from heze_hub.errors import InputError
from heze_hub.items.model import NormalizedItem


def matches(channel: Channel, item: NormalizedItem) -> bool:
    """Whether the channel's routing keys select ``item``; an empty key means "any"."""
    s = channel.settings
    return (
        (not s.kinds or item.kind in s.kinds)
        and (not s.categories or item.category in s.categories)
        and (not s.topics or bool(set(s.topics) & set(item.topics)))
        and (not s.departments or item.department in s.departments)
    )


def route(
    channels: dict[str, Channel], item: NormalizedItem, only: tuple[str, ...] = ()
) -> list[str]:
    """Names of the channels ``item`` goes to, in configuration order.

    The item's explicit ``channels`` list overrides routing; ``only`` (``--channel``) narrows the
    result further. Naming a channel that is not configured or not enabled is an input error.
    """
    enabled = {name: ch for name, ch in channels.items() if ch.settings.enabled}
    if item.channels is not None:
        unknown = [c for c in item.channels if c not in enabled]
        if unknown:
            raise InputError(
                f"{item.source}：字段 channels：渠道 {'、'.join(unknown)} 未配置或未启用；"
                f"可用渠道：{'、'.join(enabled) or '（无）'}",
                file=item.source,
                field="channels",
            )
        names = [n for n in enabled if n in item.channels]
    else:
        names = [n for n, ch in enabled.items() if matches(ch, item)]
    if only:
        names = [n for n in names if n in only]
    return names
