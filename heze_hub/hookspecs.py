"""Hook specifications: the whole contract between the core and a channel plugin."""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from .channel import Channel

hookspec = pluggy.HookspecMarker("heze_hub")

# ---------------------------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------------------------


@hookspec
def register_channels(register: Callable[[type[Channel]], None]) -> None:
    """Register channel types.

    A plugin calls ``register(MyChannel)`` once per :class:`~heze_hub.channel.Channel` subclass it
    provides. The class's ``plugin_name`` is what ``[channels.NAME] plugin = "…"`` refers to.

    :param register: callback taking a ``Channel`` subclass.
    :returns: nothing; all results are delivered through ``register``.
    """
