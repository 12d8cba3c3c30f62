"""Listing receipts (DESIGN §7, ``hub receipts``): filters over the append-only log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from heze_hub.receipts.canonical import canonical_json
from heze_hub.store.db import Store
from heze_hub.store.receipts import FINISHED, RECEIPT_FIELDS, ReceiptFilter, list_receipts
from heze_hub.store.writes import append_receipt

# (index_no, channel, status, finished_at)
LOG = [
    ("371700/2018-00001", "portal", "published", "2018-06-30T23:59:59+08:00"),
    ("371700/2018-00001", "weibo", "failed", "2018-07-01T00:00:00+08:00"),
    ("371700/2018-00002", "portal", "published", "2018-07-01T10:00:00+08:00"),
    ("371700/2018-00002", "wechat", "unconfirmed", "2018-07-02T08:00:00+08:00"),
    ("371700/2018-00001", "weibo", "published", "2018-07-03T09:00:00+08:00"),
    ("371700/2018-00003", "credit", "skipped", "2018-07-03T09:00:01+08:00"),
]


def make(index_no: str, channel: str, status: str, finished_at: str) -> dict[str, Any]:
    return {
        "index_no": index_no, "version": 1, "channel": channel, "status": status,
        "content_sha256": "c" * 64, "payload_sha256": None, "remote_id": None, "url": None,
        "attempts": 1, "started_at": finished_at, "finished_at": finished_at,
        "error": "渠道返回 403" if status == "failed" else None,
        "idempotency_key": f"{index_no}:1:{channel}", "note": None,
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    for row in LOG:
        s.write(lambda conn, row=row: append_receipt(conn, make(*row)))
    try:
        yield s
    finally:
        s.close()


def seqs(store: Store, **flt: Any) -> list[int]:
    return [r["seq"] for r in list_receipts(store, ReceiptFilter(**flt))]


def test_no_filter_lists_everything_in_seq_order(store: Store) -> None:
    got = list_receipts(store, ReceiptFilter())
    assert [r["seq"] for r in got] == [0, 1, 2, 3, 4, 5]
    assert got[1] == {**make(*LOG[1]), "seq": 1}
    assert [canonical_json(r) for r in got] == list(store.receipt_lines())


def test_filter_by_index_no(store: Store) -> None:
    assert seqs(store, index_no="371700/2018-00001") == [0, 1, 4]
    assert seqs(store, index_no="371700/2018-00009") == []


def test_filter_by_channel(store: Store) -> None:
    assert seqs(store, channel="weibo") == [1, 4]
    assert seqs(store, channel="rss") == []


def test_filter_by_status(store: Store) -> None:
    assert seqs(store, status="published") == [0, 2, 4]
    assert seqs(store, status="failed") == [1]
    assert seqs(store, status="unconfirmed") == [3]
    assert seqs(store, status="skipped") == [5]


def test_filter_since_includes_the_whole_day(store: Store) -> None:
    assert seqs(store, since=date(2018, 7, 1)) == [1, 2, 3, 4, 5]
    assert seqs(store, since=date(2018, 7, 3)) == [4, 5]
    assert seqs(store, since=date(2018, 6, 1)) == [0, 1, 2, 3, 4, 5]
    assert seqs(store, since=date(2018, 7, 4)) == []


def test_filters_combine(store: Store) -> None:
    assert seqs(store, index_no="371700/2018-00001", channel="weibo") == [1, 4]
    assert seqs(store, index_no="371700/2018-00001", channel="weibo", status="published") == [4]
    assert seqs(store, channel="portal", since=date(2018, 7, 1)) == [2]
    assert seqs(store, channel="portal", status="failed") == []


def test_empty_log(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert list_receipts(s, ReceiptFilter()) == []
    finally:
        s.close()


def test_receipt_fields_cover_design() -> None:
    required = {
        "seq", "index_no", "version", "channel", "status", "content_sha256", "payload_sha256",
        "remote_id", "url", "attempts", "started_at", "finished_at", "error",
    }
    assert required <= set(RECEIPT_FIELDS)
    assert set(FINISHED) == {"published", "failed", "unconfirmed", "skipped", "withdrawn"}
