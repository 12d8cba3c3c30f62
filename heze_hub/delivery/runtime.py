"""What the outbox and the engine need of the hub that runs them, and nothing more.

:class:`heze_hub.hub.Hub` assembles configuration, plugins, store and keys for one process and
satisfies this protocol; delivery depends on the protocol, so it never imports the assembly above
it, and a service or a worker can hand the engine whatever holds these few things.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from heze_hub.delivery.channel import Channel
from heze_hub.store.db import Store


class Runtime(Protocol):
    """The configured channels, the store and the few hub services a delivery run uses."""

    #: Configured channels by name.
    channels: dict[str, Channel]
    #: The outbox, deliveries and the receipt log.
    store: Store

    @property
    def org_code(self) -> str:
        """The 索引号 prefix of this hub (``[hub] org_code``)."""
        ...

    def scrub(self, text: str) -> str:
        """``text`` with every configured secret replaced, for messages and receipts."""
        ...

    def preflight(self, names: Iterable[str]) -> None:
        """Raise ``ConfigError`` if anything that could refuse a run using the channels ``names``
        is not right — their configuration, the state directory, the signing key, the store —
        so that a run is refused before its first send, never after."""
        ...

    def write_checkpoint(self) -> tuple[int, str]:
        """Sign a checkpoint of the receipt log as it is now; return its size and note."""
        ...
