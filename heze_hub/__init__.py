"""heze_hub: one disclosure item, checked and normalized once, published to every channel."""

import logging

import pluggy

from .channel import Channel, ChannelSettings, DeliveryContext, HubInfo, PublishResult
from .errors import PermanentError, TransientError
from .model import NormalizedItem

__version__ = "0.1.0"

# Until a command sets up the state directory's log file, log records go nowhere — never to a
# user's terminal (Python's last-resort handler would print tracebacks there).
logging.getLogger("heze_hub").addHandler(logging.NullHandler())

#: Decorator for hook implementations: ``@heze_hub.hookimpl``.
hookimpl = pluggy.HookimplMarker("heze_hub")

__all__ = [
    "Channel",
    "ChannelSettings",
    "DeliveryContext",
    "HubInfo",
    "NormalizedItem",
    "PermanentError",
    "PublishResult",
    "TransientError",
    "__version__",
    "hookimpl",
]
