"""Fixtures of the bundle tests: the hub's key, the checkpoints an auditor kept, an exported
bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from heze_hub.receipts.bundle import export_bundle
from heze_hub.receipts.signing import SigningKey
from tests.receipts.bundles import LINES, ORIGIN, checkpoint


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate(ORIGIN)


@pytest.fixture
def kept(key) -> list[str]:
    """Checkpoints an auditor saved earlier, at 20 and 40 receipts."""
    return [checkpoint(key, LINES[:20]), checkpoint(key, LINES[:40])]


@pytest.fixture
def bundle(tmp_path, key) -> Path:
    d = tmp_path / "bundle"
    export_bundle(d, LINES, checkpoint(key, LINES), key.vkey())
    return d
