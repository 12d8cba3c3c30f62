"""The delivery tests' hub: a configuration of scripted channels in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from heze_hub.config import load_config
from heze_hub.delivery.registry import load_plugins
from heze_hub.hub import Hub
from tests.delivery import scripted
from tests.delivery.scripted import MarkingChannel, ScriptedChannel, SettlingChannel


@pytest.fixture
def make_hub(tmp_path: Path) -> Iterator[Callable[[str], Hub]]:
    """Builds hubs from a ``channels.toml`` text (plugins "scripted", "settling", "marking")."""
    hubs: list[Hub] = []
    ScriptedChannel.script, ScriptedChannel.calls = [], []
    SettlingChannel.landed = None
    MarkingChannel.seen = []

    def make(channels_toml: str) -> Hub:
        cfg = tmp_path / "channels.toml"
        cfg.write_text('[hub]\norg_code = "TEST"\n' + channels_toml, encoding="utf-8")
        plugins = load_plugins(None, entry_point_group=None)
        plugins.channel_types.update(scripted=ScriptedChannel, settling=SettlingChannel,
                                     marking=MarkingChannel)
        plugins.sources.update(scripted=scripted.__name__, settling=scripted.__name__,
                               marking=scripted.__name__)
        hub = Hub(load_config(str(cfg)), plugins)
        hubs.append(hub)
        return hub

    yield make
    for h in hubs:
        h.close()
