"""Hook specifications: the whole contract between the core and a channel plugin."""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from heze_hub.delivery.channel import Channel

hookspec = pluggy.HookspecMarker("heze_hub")

#: Decorator for hook implementations: ``@hookimpl`` (exported by :mod:`heze_hub.plugin`).
hookimpl = pluggy.HookimplMarker("heze_hub")

# ---------------------------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------------------------


@hookspec
def register_channels(register: Callable[[type[Channel]], None]) -> None:
    """Register channel types.

    A plugin calls ``register(MyChannel)`` once per :class:`~heze_hub.delivery.channel.Channel`
    subclass it provides. The class's ``plugin_name`` is what ``[channels.NAME] plugin = "…"``
    refers to.

    :param register: callback taking a ``Channel`` subclass.
    :returns: nothing; all results are delivered through ``register``.
    """
