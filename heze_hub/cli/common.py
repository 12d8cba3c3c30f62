"""What every ``hub`` command shares: the two consoles and opening the hub for one command."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.markup import escape

from heze_hub.config import load_config
from heze_hub.delivery.registry import PluginWarning
from heze_hub.hub import Hub

out = Console(highlight=False, soft_wrap=True)
if not out.is_terminal:
    # In a pipe or a log file nothing limits the width; don't truncate index numbers and URLs.
    out.width = 200
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def open_hub(ctx: click.Context) -> Iterator[Hub]:
    """Load configuration, plugins and store for one command."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        hub = Hub(load_config(ctx.obj["config"]))
    for w in caught:
        err.print(f"[yellow]警告[/]：{escape(str(w.message))}")
    try:
        yield hub
    finally:
        hub.close()
