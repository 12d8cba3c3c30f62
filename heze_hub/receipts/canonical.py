"""Canonical JSON: the one byte form that content hashes, receipts and the Merkle log agree on."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Return ``value`` as canonical JSON bytes.

    UTF-8, keys sorted, no insignificant whitespace, non-ASCII left unescaped (DESIGN §7).
    """
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
