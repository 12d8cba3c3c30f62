"""One publication through the real delivery engine against the sandbox, for the channel tables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from heze_hub.config import load_config
from heze_hub.delivery import runs as delivery
from heze_hub.delivery.outbox import Outcome
from heze_hub.hub import Hub
from heze_hub.sandbox import Sandbox
from heze_hub.store.receipts import ReceiptFilter, list_receipts
from heze_hub.store.schema import deliveries
from tests.channels.support import PUBLIC_URL
from tests.support import write_item


@dataclass(frozen=True)
class Engine:
    """What one publication through the engine left: the run's outcome, the stored delivery row
    and its one receipt."""

    outcome: Outcome
    row: Any
    receipt: dict[str, Any]
    failed: bool


def publish_through_the_engine(
    sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, channel: str,
    env: dict[str, str], title: str,
) -> Engine:
    """An in-process hub configured for the sandbox publishes one item to ``channel`` only."""
    for name in list(os.environ):
        if name.upper().startswith("HUB_"):
            monkeypatch.delenv(name)
    for name, value in {**sb.env(), **env}.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "channels.toml"
    config.write_text(
        sb.config_toml(public_url=PUBLIC_URL, output_dir=tmp_path / "public",
                       state_dir=tmp_path / "state"),
        encoding="utf-8",
    )
    source = write_item(tmp_path / "item.md", title)
    hub = Hub(load_config(str(config)))
    try:
        report = delivery.publish(hub, hub.prepare([source]), only=(channel,))
        (receipt,) = list_receipts(hub.store, ReceiptFilter(channel=channel))
        with hub.store.read() as conn:
            (row,) = conn.execute(select(deliveries)).all()
    finally:
        hub.close()
    (result,) = report.outcomes
    return Engine(result, row, receipt, report.failed)
