"""Exporting the auditor's bundle: the hashed bytes, and nothing written for a wrong checkpoint."""

from __future__ import annotations

import json

import pytest

from heze_hub.receipts.bundle import BundleError, export_bundle
from heze_hub.receipts.signing import SigningKey
from heze_hub.receipts.verify import verify_bundle
from tests.receipts.bundles import LINES, ORIGIN, checkpoint

# -- the intact bundle ---------------------------------------------------------------------


def test_export_writes_the_hashed_bytes(bundle, key):
    assert (bundle / "receipts.jsonl").read_bytes() == b"".join(x + b"\n" for x in LINES)
    assert (bundle / "hub.pub").read_text() == key.vkey() + "\n"
    assert (bundle / "checkpoint").read_text() == checkpoint(key, LINES)
    assert not list(bundle.glob("*.tmp"))
    first = json.loads(LINES[0])
    assert set(first) >= {
        "seq", "index_no", "version", "channel", "status", "content_sha256", "payload_sha256",
        "remote_id", "url", "attempts", "started_at", "finished_at", "error",
    }
    assert "信用平台" in LINES[4].decode()  # non-ASCII stays unescaped


def test_empty_log(tmp_path, key):
    export_bundle(tmp_path, [], checkpoint(key, []), key.vkey())
    assert (tmp_path / "receipts.jsonl").read_bytes() == b""
    report = verify_bundle(tmp_path)
    assert report.ok, report.problems
    assert report.size == 0


def test_export_refuses_receipts_that_do_not_match_the_checkpoint(tmp_path, key):
    with pytest.raises(BundleError, match="不一致"):
        export_bundle(tmp_path, LINES[:49], checkpoint(key, LINES), key.vkey())
    with pytest.raises(BundleError):
        export_bundle(tmp_path, LINES, checkpoint(key, LINES), SigningKey.generate(ORIGIN).vkey())
    assert not (tmp_path / "receipts.jsonl").exists()
    assert not list(tmp_path.glob("*.tmp"))
