"""The outbox: index numbers, ownership of claimed deliveries, receipt fields."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

from heze_hub.delivery.outbox import OWNER, _next_index_no, _save_serial, build_receipt, owner_gone
from heze_hub.items.model import NormalizedItem
from heze_hub.store.db import Store

TZ = ZoneInfo("Asia/Shanghai")


def test_index_numbers_count_per_prefix_and_year(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")

    def allocate(wanted: list[tuple[str, int]]) -> list[str]:
        def op(conn):
            serial: dict[tuple[str, int], int] = {}
            got = [_next_index_no(conn, serial, p, y) for p, y in wanted]
            for (p, y), last in serial.items():
                _save_serial(conn, p, y, last)
            return got
        return store.write(op)

    try:
        first = allocate([("A", 2018), ("A", 2018), ("A", 2019), ("B", 2018)])
        second = allocate([("A", 2018), ("B", 2018)])  # a later transaction goes on counting
    finally:
        store.close()
    assert first == ["A/2018-00001", "A/2018-00002", "A/2019-00001", "B/2018-00001"]
    assert second == ["A/2018-00003", "B/2018-00002"]


def test_this_process_is_not_gone() -> None:
    assert not owner_gone(OWNER)


def test_a_dead_process_is_gone() -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(proc.stdout)
    assert owner_gone(f"{socket.gethostname()}:{pid}:1")


def test_a_reused_pid_is_gone() -> None:
    # Our own pid, but claimed by a process that started long before this one: a pid reused.
    assert owner_gone(f"{socket.gethostname()}:{os.getpid()}:1")


def test_no_owner_is_gone() -> None:
    assert owner_gone(None)


def test_receipt_has_every_field_of_design_section_7() -> None:
    item = NormalizedItem(
        index_no="X/2018-00001", version=2, published_at=datetime(2018, 6, 5, tzinfo=TZ),
        content_sha256="c" * 64, title="测试", department="测试局", written_on=date(2018, 6, 1),
        kind="notice", category="service", summary="测试摘要。", body_html="<p>x</p>",
        body_text="x",
    )
    row = {"channel": "portal", "idempotency_key": "X/2018-00001:2:portal", "attempts": 3,
           "payload_sha256": "p" * 64, "remote_id": "42", "url": "https://x/1",
           "started_at": "2018-06-05T10:00:00+08:00", "finished_at": "2018-06-05T10:00:01+08:00"}
    r = build_receipt(row, item, status="published", error=None)
    for key in ("index_no", "version", "channel", "status", "content_sha256", "payload_sha256",
                "remote_id", "url", "attempts", "started_at", "finished_at", "error"):
        assert key in r
    assert (r["version"], r["attempts"], r["content_sha256"]) == (2, 3, "c" * 64)


def test_a_claim_from_another_machine_holds_until_its_lease_expires() -> None:
    from datetime import timedelta

    from heze_hub.delivery.outbox import FOREIGN_LEASE
    from heze_hub.items.normalize import now

    fresh = now().isoformat()
    stale = (now() - FOREIGN_LEASE - timedelta(minutes=1)).isoformat()
    assert not owner_gone("other-host:123:1", fresh)
    assert owner_gone("other-host:123:1", stale)
