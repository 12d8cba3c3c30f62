"""The store: group-commit writer, the receipt log's sequence, published items."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, event, func, insert, select

from heze_hub.items.model import NormalizedItem
from heze_hub.receipts.canonical import canonical_json
from heze_hub.store.db import Store
from heze_hub.store.schema import checkpoints, deliveries, items, receipts, versions
from heze_hub.store.writes import append_receipt, delivery_update

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'hub.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    try:
        yield s
    finally:
        s.close()


def receipt(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "index_no": f"371700/2018-{i:05d}",
        "version": 1,
        "channel": "portal",
        "status": "published",
        "content_sha256": "a" * 64,
        "payload_sha256": "b" * 64,
        "remote_id": None,
        "url": f"https://www.heze.gov.cn/xxgk/371700/2018-{i:05d}.html",
        "attempts": 1,
        "started_at": "2018-07-01T09:00:00+08:00",
        "finished_at": "2018-07-01T09:00:01+08:00",
        "error": None,
        "idempotency_key": f"371700/2018-{i:05d}:1:portal",
        "note": "菏泽市",
        **extra,
    }


def add_checkpoint_op(n: int) -> Callable[[Connection], int]:
    def op(conn: Connection) -> int:
        result = conn.execute(
            insert(checkpoints).values(size=n, note=f"note {n}", created_at="2018-07-01")
        )
        return int(result.inserted_primary_key[0])

    return op


def count(store: Store, table: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


class Blocker:
    """Holds the writer thread inside an op, so that what is queued meanwhile forms one batch."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.entered = threading.Event()
        self.release = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=64)

        def hold(conn: Connection) -> str:
            self.entered.set()
            assert self.release.wait(10)
            return "held"

        self.first = self.pool.submit(store.write, hold)
        assert self.entered.wait(10)

    def submit(self, op: Callable[[Connection], Any]) -> Any:
        return self.pool.submit(self.store.write, op)

    def wait_queued(self, n: int) -> None:
        deadline = time.monotonic() + 10
        while self.store._queue.qsize() < n:  # the writer is held, so the queue only grows
            assert time.monotonic() < deadline, "ops were not queued"
            time.sleep(0.001)

    def go(self) -> None:
        self.release.set()
        assert self.first.result(10) == "held"

    def close(self) -> None:
        self.release.set()
        self.pool.shutdown()


def commits(store: Store) -> list[int]:
    seen: list[int] = []
    event.listen(store.write_engine, "commit", lambda conn: seen.append(1))
    return seen


# --- the writer ---------------------------------------------------------------------------------
def test_write_returns_the_ops_result(store: Store) -> None:
    assert store.write(lambda conn: 42) == 42
    first = store.write(add_checkpoint_op(1))
    assert store.write(add_checkpoint_op(2)) == first + 1


def test_sqlite_is_durable_and_concurrent(store: Store) -> None:
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_many_threads_all_get_results_and_durable_rows(db_url: str) -> None:
    store = Store(db_url)
    seen = commits(store)
    n = 200
    with ThreadPoolExecutor(max_workers=32) as pool:
        ids = list(pool.map(lambda i: store.write(add_checkpoint_op(i)), range(n)))
    assert len(set(ids)) == n
    assert len(seen) <= n
    store.close()

    # A fresh store on the same file (a new process, as far as SQLite is concerned) sees all.
    again = Store(db_url)
    try:
        with again.read() as conn:
            sizes = sorted(conn.execute(select(checkpoints.c.size)).scalars())
        assert sizes == list(range(n))
    finally:
        again.close()


def test_queued_ops_share_one_commit(store: Store) -> None:
    blocker = Blocker(store)
    try:
        seen = commits(store)
        futures = [blocker.submit(add_checkpoint_op(i)) for i in range(20)]
        blocker.wait_queued(20)
        blocker.go()
        assert len({f.result(10) for f in futures}) == 20
    finally:
        blocker.close()
    assert count(store, checkpoints) == 20
    # One commit ends the held op's batch, one more serves all 20 ops queued meanwhile.
    assert len(seen) == 2


def test_failing_op_fails_only_its_own_future(store: Store) -> None:
    def bad(conn: Connection) -> None:
        conn.execute(insert(checkpoints).values(size=999, note="rolled back", created_at="-"))
        raise ValueError("这个操作失败")

    blocker = Blocker(store)
    try:
        before = blocker.submit(add_checkpoint_op(1))
        blocker.wait_queued(1)
        failing = blocker.submit(bad)
        blocker.wait_queued(2)
        after = blocker.submit(add_checkpoint_op(2))
        blocker.wait_queued(3)
        blocker.go()
        assert before.result(10) > 0 and after.result(10) > 0
        with pytest.raises(ValueError, match="这个操作失败"):
            failing.result(10)
    finally:
        blocker.close()
    with store.read() as conn:
        sizes = sorted(conn.execute(select(checkpoints.c.size)).scalars())
    assert sizes == [1, 2]  # the failing op's own insert is gone, its batch-mates are kept


def test_writer_survives_a_failing_op(store: Store) -> None:
    def bad(conn: Connection) -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        store.write(bad)
    assert store.write(lambda conn: "still writing") == "still writing"


def test_write_after_close_starts_a_new_writer(store: Store) -> None:
    store.write(add_checkpoint_op(1))
    store.close()
    store.write(add_checkpoint_op(2))
    assert count(store, checkpoints) == 2


# --- the receipt log ----------------------------------------------------------------------------
def test_append_receipt_assigns_seq_from_zero(store: Store) -> None:
    got = [store.write(lambda conn, i=i: append_receipt(conn, receipt(i))) for i in range(3)]
    assert [r["seq"] for r in got] == [0, 1, 2]
    assert store.receipt_count() == 3


def test_append_receipt_does_not_change_its_argument(store: Store) -> None:
    r = receipt(1)
    stored = store.write(lambda conn: append_receipt(conn, r))
    assert "seq" not in r and stored == {**r, "seq": 0}


def test_seq_has_no_gaps_under_concurrency(store: Store) -> None:
    n = 150
    with ThreadPoolExecutor(max_workers=32) as pool:
        got = list(pool.map(
            lambda i: store.write(lambda conn: append_receipt(conn, receipt(i))), range(n)
        ))
    assert sorted(r["seq"] for r in got) == list(range(n))
    with store.read() as conn:
        rows = conn.execute(select(receipts.c.seq, receipts.c.index_no)).all()
    assert sorted(seq for seq, _ in rows) == list(range(n))
    by_seq = {r["seq"]: r["index_no"] for r in got}
    assert all(by_seq[seq] == index_no for seq, index_no in rows)


def test_seq_has_no_gap_after_a_failed_op(store: Store) -> None:
    def append_then_fail(conn: Connection) -> None:
        append_receipt(conn, receipt(99))
        raise RuntimeError("交付记录更新失败")

    blocker = Blocker(store)
    try:
        a = blocker.submit(lambda conn: append_receipt(conn, receipt(1)))
        blocker.wait_queued(1)
        failing = blocker.submit(append_then_fail)
        blocker.wait_queued(2)
        b = blocker.submit(lambda conn: append_receipt(conn, receipt(2)))
        blocker.wait_queued(3)
        blocker.go()
        assert (a.result(10)["seq"], b.result(10)["seq"]) == (0, 1)
        with pytest.raises(RuntimeError):
            failing.result(10)
    finally:
        blocker.close()
    lines = [json.loads(x) for x in store.receipt_lines()]
    assert [(r["seq"], r["index_no"]) for r in lines] == [
        (0, "371700/2018-00001"), (1, "371700/2018-00002")
    ]


def test_stored_bytes_are_canonical_json(store: Store) -> None:
    stored = store.write(lambda conn: append_receipt(conn, receipt(7, error="渠道返回 503")))
    with store.read() as conn:
        data = bytes(conn.execute(select(receipts.c.data)).scalar_one())
    assert data == canonical_json(stored)
    assert json.loads(data) == stored
    assert "菏泽市".encode() in data and b"\\u" not in data  # non-ASCII unescaped
    assert b": " not in data and b", " not in data
    keys = list(json.loads(data))
    assert keys == sorted(keys)
    assert list(store.receipt_lines()) == [data]


def test_receipt_columns_match_the_bytes(store: Store) -> None:
    store.write(lambda conn: append_receipt(conn, receipt(3, status="failed", channel="weibo")))
    with store.read() as conn:
        row = conn.execute(select(receipts)).one()
    assert (row.index_no, row.channel, row.status) == ("371700/2018-00003", "weibo", "failed")
    assert row.finished_at == "2018-07-01T09:00:01+08:00"


def test_receipt_and_delivery_update_share_a_transaction(store: Store) -> None:
    def add_delivery(conn: Connection) -> int:
        result = conn.execute(insert(deliveries).values(
            index_no="371700/2018-00001", version=1, channel="portal",
            idempotency_key="371700/2018-00001:1:portal", status="publishing",
            updated_at="2018-07-01T09:00:00+08:00",
        ))
        return int(result.inserted_primary_key[0])

    delivery_id = store.write(add_delivery)

    def finish_but_fail(conn: Connection) -> None:
        delivery_update(conn, delivery_id, status="published", state={"publish_id": "p1"})
        append_receipt(conn, receipt(1))
        raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        store.write(finish_but_fail)
    with store.read() as conn:
        assert conn.execute(select(deliveries.c.status)).scalar_one() == "publishing"
    assert store.receipt_count() == 0

    def finish(conn: Connection) -> None:
        delivery_update(conn, delivery_id, status="published", state={"publish_id": "p1"})
        append_receipt(conn, receipt(1))

    store.write(finish)
    with store.read() as conn:
        status, state = conn.execute(select(deliveries.c.status, deliveries.c.state)).one()
    assert status == "published" and json.loads(state) == {"publish_id": "p1"}
    assert store.receipt_count() == 1


# --- checkpoints --------------------------------------------------------------------------------
def test_checkpoints(store: Store) -> None:
    assert store.latest_checkpoint() == ""
    store.add_checkpoint(1, "heze-hub/371700\n1\nAAA=\n", datetime(2018, 7, 1, tzinfo=TZ))
    store.add_checkpoint(2, "heze-hub/371700\n2\nBBB=\n", datetime(2018, 7, 2, tzinfo=TZ))
    assert store.latest_checkpoint() == "heze-hub/371700\n2\nBBB=\n"


# --- items and versions -------------------------------------------------------------------------
BASE = datetime(2018, 7, 1, 9, 0, tzinfo=TZ)


def make_item(serial: int, version: int, hours: float) -> NormalizedItem:
    return NormalizedItem(
        index_no=f"371700/2018-{serial:05d}", version=version,
        published_at=BASE + timedelta(hours=hours),
        content_sha256=f"{serial}{version}".ljust(64, "0"),
        title=f"测试信息{serial}（第{version}版）", department="菏泽市测试局",
        written_on=date(2018, 6, 1), kind="notice", category="service",
        summary="测试摘要。", body_html="<p>正文</p>", body_text="正文",
    )


def put_version(store: Store, it: NormalizedItem, deliveries_: dict[str, str]) -> None:
    def op(conn: Connection) -> None:
        existing = conn.execute(
            select(items.c.index_no).where(items.c.index_no == it.index_no)
        ).first()
        if existing is None:
            conn.execute(insert(items).values(
                index_no=it.index_no, identity=f"title:{it.index_no}", latest_version=it.version,
                created_at=it.published_at.isoformat(),
            ))
        else:
            conn.execute(
                items.update().where(items.c.index_no == it.index_no)
                .values(latest_version=it.version)
            )
        conn.execute(insert(versions).values(
            index_no=it.index_no, version=it.version, content_sha256=it.content_sha256,
            published_at=it.published_at.isoformat(), data=it.model_dump_json(),
        ))
        for channel, status in deliveries_.items():
            conn.execute(insert(deliveries).values(
                index_no=it.index_no, version=it.version, channel=channel,
                idempotency_key=f"{it.index_no}:{it.version}:{channel}", status=status,
                updated_at=it.published_at.isoformat(),
            ))

    store.write(op)


def test_load_version_round_trips(store: Store) -> None:
    it = make_item(1, 1, 0)
    put_version(store, it, {})
    assert store.load_version(it.index_no, 1) == it


def test_published_items_latest_published_version_newest_first(store: Store) -> None:
    put_version(store, make_item(1, 1, 0), {"rss": "published", "portal": "published"})
    put_version(store, make_item(1, 2, 5), {"rss": "published"})
    put_version(store, make_item(2, 1, 1), {"rss": "published"})
    put_version(store, make_item(2, 2, 6), {"rss": "failed"})  # v2 never made it to rss
    put_version(store, make_item(3, 1, 3), {"rss": "published"})
    put_version(store, make_item(4, 1, 4), {"rss": "pending", "portal": "published"})
    put_version(store, make_item(5, 1, 2), {"portal": "published"})
    put_version(store, make_item(6, 1, 7), {"rss": "unconfirmed"})

    got = [(i.index_no[-1], i.version) for i in store.published_items("rss")]
    assert got == [("1", 2), ("3", 1), ("2", 1)]  # by published_at of that version, newest first

    portal = [(i.index_no[-1], i.version) for i in store.published_items("portal")]
    assert portal == [("4", 1), ("5", 1), ("1", 1)]

    assert store.published_items("weibo") == []


def test_published_items_are_full_items(store: Store) -> None:
    it = make_item(1, 1, 0)
    put_version(store, it, {"rss": "published"})
    assert store.published_items("rss") == [it]


def test_all_latest_items(store: Store) -> None:
    put_version(store, make_item(1, 1, 0), {})
    put_version(store, make_item(1, 2, 5), {})
    put_version(store, make_item(2, 1, 1), {})
    got = [(i.index_no[-1], i.version) for i in store.all_latest_items()]
    assert got == [("2", 1), ("1", 2)]


# -- PostgreSQL (DESIGN §10: the store moves to PostgreSQL by a database URL) ------------------


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database on this machine's server, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text

    admin_url = "postgresql+psycopg://postgres@127.0.0.1/postgres"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT",
                              connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # no server on this machine
        pytest.skip(f"no PostgreSQL server on 127.0.0.1: {type(exc).__name__}")
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_two_hub_processes_share_a_postgresql_store(pg_url, hub_run, receiver) -> None:
    import json as _json
    import shutil

    from tests.support import WEBHOOK_PLUGIN, write_item

    (hub_run.cwd / "plugins").mkdir()
    shutil.copy(WEBHOOK_PLUGIN, hub_run.cwd / "plugins" / "webhook.py")
    (hub_run.cwd / "channels.toml").write_text(
        f'[hub]\norg_code = "PG"\nplugins_dir = "plugins"\ndatabase_url = "{pg_url}"\n'
        f'[channels.notify]\nplugin = "webhook"\nurl = "{receiver.url}"\n', encoding="utf-8")
    # The first run creates the schema and the keys; then two processes publish at once.
    hub_run("publish", str(write_item(hub_run.cwd / "first.md", "首条通知")), check=0)
    batches = []
    for b in ("a", "b"):
        folder = hub_run.cwd / b
        folder.mkdir()
        batches.append([str(write_item(folder / f"{i}.md", f"{b}批第{i}号通知"))
                        for i in range(25)])
    procs = [hub_run.popen("publish", *files) for files in batches]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    receipts = _json.loads(hub_run("receipts", "--json", check=0).stdout)
    assert [r["seq"] for r in receipts] == list(range(51))  # gapless, one writer at a time
    index_nos = [r["index_no"] for r in receipts]
    assert len(set(index_nos)) == 51  # every item its own 索引号
    assert sorted(receiver.keys_created()) == sorted(f"{ix}:1:notify" for ix in index_nos)
    bundle = hub_run.cwd / "bundle"
    hub_run("receipts", "export", str(bundle), check=0)
    hub_run("verify", str(bundle), check=0)


def test_reading_a_postgresql_database_the_hub_never_wrote(pg_url, hub_run) -> None:
    from sqlalchemy import create_engine, inspect

    (hub_run.cwd / "channels.toml").write_text(
        f'[hub]\norg_code = "PG"\ndatabase_url = "{pg_url}"\n', encoding="utf-8")
    assert hub_run.json("status") == [] and hub_run.json("receipts") == []
    engine = create_engine(pg_url)
    try:
        assert inspect(engine).get_table_names() == []  # reading created nothing
    finally:
        engine.dispose()
