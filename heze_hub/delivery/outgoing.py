"""The last line of defence: what each public channel is about to send, checked for personal data.

Normalization masks every public field in every written form (:mod:`heze_hub.items.masking`).
This check does not trust that: before anything of a batch is sent, it renders each item for
each public channel it is routed to — the very payload :meth:`Channel.render` shows for
``--dry-run`` — and looks through every string in it for a valid ID number (check character
right) or a mobile number, in any form a reader would see. One found stops the batch (DESIGN §3).
The credit platform's record carries the full number by law and is not public
(``Channel.public = False``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from heze_hub.delivery.channel import Channel
from heze_hub.delivery.routing import route
from heze_hub.items.masking import find_personal_data
from heze_hub.items.model import NormalizedItem

log = logging.getLogger(__name__)


def strings_of(payload: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a rendered payload (dicts, lists, bytes), with its path (``a.b[2]``)."""
    if isinstance(payload, str):
        yield path, payload
    elif isinstance(payload, bytes | bytearray):
        yield path, bytes(payload).decode("utf-8", "replace")
    elif isinstance(payload, dict):
        for key, value in payload.items():
            yield from strings_of(value, f"{path}.{key}" if path else str(key))
    elif isinstance(payload, list | tuple):
        for i, value in enumerate(payload):
            yield from strings_of(value, f"{path}[{i}]")


def personal_data_problems(
    channels: dict[str, Channel], batch: Iterable[NormalizedItem], only: tuple[str, ...] = ()
) -> list[str]:
    """One message per file, channel and field that would send an ID or mobile number
    (``batch``: the items as channels will get them, before an index number is assigned)."""
    problems = []
    for item in batch:
        for name in route(channels, item, only):
            channel = channels[name]
            if not channel.public or channel.accepts(item):
                continue
            try:
                payload = channel.render(item)
            except Exception as exc:  # a plugin's bug: the check fails closed, never open
                log.error("render of %s failed: %r", name, exc)
                problems.append(
                    f"{item.source}：渠道 {name} 无法生成将发送的内容"
                    f"（{type(exc).__name__}），无法检查其中的个人信息"
                )
                continue
            for field, text in strings_of(payload):
                found = find_personal_data(text)
                if found:
                    problems.append(
                        f"{item.source}：渠道 {name} 的字段 {field or '（正文）'}："
                        f"仍含有个人信息（{'、'.join(dict.fromkeys(found))}），"
                        "请删除或改写后重新提交"
                    )
    return problems
