"""Fixtures of the channel tests: one sandbox per test module, the hub as a channel sees it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heze_hub.delivery.channel import HubInfo
from heze_hub.sandbox import Sandbox
from tests.channels.support import PUBLIC_URL


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """The test module's sandbox; each module's ``sb`` fixture resets the service it uses."""
    with Sandbox() as running:
        yield running


@pytest.fixture
def hub(tmp_path: Path) -> HubInfo:
    return HubInfo(
        public_url=PUBLIC_URL, state_dir=tmp_path / "state", config_dir=tmp_path,
        org_code="11371700MB28581232",
    )
