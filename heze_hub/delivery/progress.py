"""A delivery's saved progress: the channel's own state and the core's send mark (DESIGN §6).

Both live in the delivery row's ``state`` JSON, so they are written by the same durable path.
The channel's keys are its own (WeChat's ``media_id`` and ``publish_id``, say); the core keeps
its record under :data:`CORE_KEY`, which the channel never sees:

- ``{"_hub": {"sending": null}}`` — written when a delivery of a channel that marks its sends
  (:attr:`~heze_hub.delivery.channel.Channel.marks_sends`) is claimed from ``pending``: from then
  on every call that could create something on the remote is marked before it goes out;
- ``{"_hub": {"sending": "提交发布"}}`` — the channel marked such a call
  (:meth:`~heze_hub.delivery.channel.DeliveryContext.mark_sending`) and has not recorded its
  outcome (``save_state``) since: the remote may have it.

So a row whose record says "nothing outstanding" provably never reached the remote since its last
recorded step, and a row without the record (claimed before marks existed, or by a channel that
does not mark) proves nothing.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["CORE_KEY", "Progress"]

CORE_KEY = "_hub"


class Progress:
    """The ``state`` of one delivery row, split into the channel's part and the core's record."""

    def __init__(self, raw: str | None) -> None:
        data = json.loads(raw or "{}")
        core = data.pop(CORE_KEY, None)
        #: The channel's own state; ``DeliveryContext.state`` is this very dict.
        self.channel: dict[str, Any] = data
        self.core: dict[str, Any] | None = dict(core) if isinstance(core, dict) else None

    @property
    def sending(self) -> str | None:
        """What a marked call was creating, if its outcome is not recorded; else ``None``."""
        return self.core.get("sending") if self.core else None

    @property
    def never_sent(self) -> bool:
        """Whether the record proves that no creating call is outstanding (see the module doc)."""
        return self.core is not None and not self.core.get("sending")

    def track(self) -> dict[str, Any]:
        """Start the record (nothing outstanding) and return the state to store."""
        self.core = {"sending": None}
        return self.stored()

    def save(self, update: dict[str, Any]) -> dict[str, Any]:
        """Merge the channel's ``update``; the call marked last has its outcome recorded now."""
        self.channel.update(update)
        if self.core is not None:
            self.core["sending"] = None
        return self.stored()

    def mark(self, what: str) -> dict[str, Any]:
        """Record that a call creating ``what`` goes out next; return the state to store."""
        self.core = {**(self.core or {}), "sending": what or "?"}
        return self.stored()

    def stored(self) -> dict[str, Any]:
        """The whole state, as the delivery row keeps it."""
        if self.core is None:
            return dict(self.channel)
        return {**self.channel, CORE_KEY: dict(self.core)}
