"""heze_hub: one disclosure item, checked and normalized once, published to every channel.

The packages are the layers, lowest first: ``receipts`` (the verifiable log, offline),
``items`` (the item file and its normalization), ``store`` (the SQLAlchemy store), ``rules``
(working days, deadlines, the gate, audit, annual report), ``portal`` (the static site),
``delivery`` (plugins, channels, HTTP, outbox, engine), then :mod:`heze_hub.hub` (assembling one
process) and ``cli``. Plugins import :mod:`heze_hub.plugin` only.
"""

from __future__ import annotations

import logging
from typing import Any

__version__ = "0.1.0"

# Until a command sets up the state directory's log file, log records go nowhere — never to a
# user's terminal (Python's last-resort handler would print tracebacks there).
logging.getLogger("heze_hub").addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    # ``from heze_hub import Channel, hookimpl`` keeps working for plugins written before
    # heze_hub.plugin existed; imported lazily so that importing any package of the hub does not
    # load the whole delivery stack.
    from heze_hub import plugin

    if name in plugin.__all__:
        return getattr(plugin, name)
    raise AttributeError(f"module 'heze_hub' has no attribute {name!r}")
