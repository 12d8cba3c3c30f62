"""The hub's store: items, versions, the delivery outbox, the receipt log and checkpoints.

SQLite by default (WAL, ``synchronous=FULL``), through SQLAlchemy Core so that PostgreSQL can
follow. Writes go through one writer thread that commits many small operations in one
transaction (group commit): every receipt is durable before its delivery is reported finished,
without paying one fsync per delivery.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event, func, insert, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from heze_hub.errors import describe_os_error
from heze_hub.items.model import NormalizedItem
from heze_hub.store import listings
from heze_hub.store.schema import checkpoints, deliveries, items, metadata, receipts, versions
from heze_hub.store.writes import NEXT_SEQ, FinishDelivery, finish_deliveries

T = TypeVar("T")
#: Seconds the writer waits to gather more finished deliveries into one commit.
LINGER = 0.003
_WRITE_LOCK = 0x68657A65  # "heze": the advisory lock id of the hub's writers on PostgreSQL


class Store:
    """Database access. Reads run on the caller's thread; writes on the writer thread."""

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self.url = url
        self.read_only = read_only
        self._queue: queue.Queue[tuple[Callable[[Connection], Any], Future[Any]] | None] = (
            queue.Queue()
        )
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()
        if read_only:
            # An auditor's read-only copy, or a command that only reads: nothing is created,
            # nothing written; a hub that has no database yet reads as an empty one.
            self.engine = self.write_engine = _read_only_engine(url)
            return
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Two engines: the writer begins IMMEDIATE transactions on SQLite (taking the write lock
        # up front instead of failing on upgrade), readers begin plain deferred ones.
        self.engine: Engine = _engine(url, write=False)
        self.write_engine: Engine = _engine(url, write=True)
        metadata.create_all(self.write_engine)

    # -- writing ---------------------------------------------------------------------------
    def write(self, op: Callable[[Connection], T]) -> T:
        """Run ``op`` in a write transaction and return its result once it is durable."""
        return self.submit(op).result()

    def submit(self, op: Callable[[Connection], T]) -> Future[T]:
        """Queue ``op`` for the writer; the future resolves once its transaction is durable."""
        if self.read_only:
            raise RuntimeError("a read-only store was asked to write")  # a bug, not input
        self._ensure_writer()
        fut: Future[T] = Future()
        self._queue.put((op, fut))
        return fut

    def check_writable(self) -> None:
        """Raise if the store cannot take a write now (a read-only file or database)."""
        if self.read_only:
            raise PermissionError("read-only store")
        # An IMMEDIATE transaction on SQLite takes the write lock without writing anything.
        with self.write_engine.begin():
            pass

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._write_loop, name="hub-writer", daemon=True
                )
                self._writer.start()

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            # Take whatever else is waiting: one commit (one fsync) serves them all. A batch of
            # only finished deliveries waits a moment for more: no worker waits on them (they
            # are reported once durable), and each commit's statements and fsync then serve
            # many deliveries instead of two or three (issue 14).
            linger = time.monotonic() + LINGER if isinstance(first[0], FinishDelivery) else 0.0
            while len(batch) < 512:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    wait = linger - time.monotonic()
                    if wait <= 0:
                        break
                    try:
                        nxt = self._queue.get(timeout=wait)
                    except queue.Empty:
                        break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
                if not isinstance(nxt[0], FinishDelivery):
                    linger = 0.0  # someone waits on this one: commit now
            self._run_batch(batch)

    def _run_batch(self, batch: list[tuple[Callable[[Connection], Any], Future[Any]]]) -> None:
        try:
            results = self._transaction([op for op, _ in batch])
        except Exception:
            # Something in the batch failed and the whole transaction rolled back; run each op in
            # a transaction of its own so that only the failing one fails.
            for op, fut in batch:
                try:
                    [value] = self._transaction([op])
                except Exception as exc:
                    fut.set_exception(exc)
                else:
                    fut.set_result(value)
            return
        for (_, fut), value in zip(batch, results, strict=True):
            fut.set_result(value)

    def _transaction(self, ops: list[Callable[[Connection], Any]]) -> list[Any]:
        results: list[Any] = []
        with self.write_engine.begin() as conn:
            i = 0
            while i < len(ops):
                if isinstance(ops[i], FinishDelivery):
                    # Finishing deliveries is the hot path: a run of them costs three
                    # statements in all, not three each.
                    j = i
                    while j < len(ops) and isinstance(ops[j], FinishDelivery):
                        j += 1
                    results.extend(finish_deliveries(conn, ops[i:j]))  # type: ignore[arg-type]
                    i = j
                else:
                    results.append(ops[i](conn))
                    i += 1
        return results

    def close(self) -> None:
        """Stop the writer thread and release connections."""
        with self._lock:
            if self._writer is not None and self._writer.is_alive():
                self._queue.put(None)
                self._writer.join()
            self._writer = None
        self.engine.dispose()
        self.write_engine.dispose()

    # -- reading ---------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection."""
        with self.engine.connect() as conn:
            yield conn

    def has_table(self, name: str) -> bool:
        """Whether the database has table ``name``: a read-only copy of a database written by
        an older hub may lack the tables added since (they are created on the next write)."""
        return inspect(self.engine).has_table(name)

    def load_version(self, index_no: str, version: int) -> NormalizedItem:
        """One stored version of an item."""
        with self.read() as conn:
            data = conn.execute(
                select(versions.c.data).where(
                    versions.c.index_no == index_no, versions.c.version == version
                )
            ).scalar_one()
        return NormalizedItem.model_validate_json(data)

    def deliveries_with_items(self, index_no: str | None = None) -> list[dict[str, Any]]:
        """Delivery rows (all, or one item's) with their version's item JSON as ``data``."""
        q = (
            select(deliveries, versions.c.data)
            .join(versions, (versions.c.index_no == deliveries.c.index_no)
                  & (versions.c.version == deliveries.c.version))
            .order_by(deliveries.c.id)
        )
        if index_no:
            q = q.where(deliveries.c.index_no == index_no)
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def known_identities(self, identities: list[str]) -> set[str]:
        """Those of ``identities`` that an item in the store already has."""
        with self.read() as conn:
            return {
                identity
                for part in chunks(identities)
                for identity in conn.execute(
                    select(items.c.identity).where(items.c.identity.in_(part))
                ).scalars()
            }

    def published_items(self, channel: str, limit: int | None = None) -> list[NormalizedItem]:
        """Latest published version of each item on ``channel``, newest first (the first
        ``limit`` of them if given); an item whose latest published version was withdrawn there
        (DESIGN §12) is not listed."""
        v = versions
        latest = listings.latest_published(channel)
        q = (
            select(v.c.data)
            .join(latest, (v.c.index_no == latest.c.index_no) & (v.c.version == latest.c.version))
            .order_by(v.c.published_at.desc(), v.c.index_no.desc())
            .limit(limit)
        )
        with self.read() as conn:
            return [NormalizedItem.model_validate_json(row[0]) for row in conn.execute(q)]

    def published_listings(
        self, channel: str, fmt: str, derive: Callable[[str], dict[str, Any]], with_search: bool
    ) -> Iterator[dict[str, Any]]:
        """Listing rows of what ``channel`` published, streamed (:mod:`heze_hub.store.listings`)."""
        return listings.published_listings(self, channel, fmt, derive, with_search)

    def all_latest_items(self) -> list[NormalizedItem]:
        """The latest version of every item the hub knows."""
        q = (
            select(versions.c.data)
            .join(
                items,
                (items.c.index_no == versions.c.index_no)
                & (items.c.latest_version == versions.c.version),
            )
            .order_by(versions.c.published_at)
        )
        with self.read() as conn:
            return [NormalizedItem.model_validate_json(row[0]) for row in conn.execute(q)]

    def receipt_lines(self, start: int = 0) -> Iterator[bytes]:
        """Every receipt's canonical bytes in ``seq`` order, from ``seq`` ``start`` on."""
        q = select(receipts.c.data).where(receipts.c.seq >= start).order_by(receipts.c.seq)
        with self.read() as conn:
            for row in conn.execute(q):
                yield bytes(row[0])

    def receipt_count(self) -> int:
        """How many receipts the log holds."""
        with self.read() as conn:
            return int(conn.execute(select(func.count()).select_from(receipts)).scalar_one())

    def latest_checkpoint(self) -> str:
        """The newest signed checkpoint note, or "" before the first one."""
        return self.latest_signed()[1]

    def latest_signed(self) -> tuple[int, str]:
        """Tree size and note of the newest signed checkpoint; ``(-1, "")`` before the first."""
        with self.read() as conn:
            row = conn.execute(
                select(checkpoints.c.size, checkpoints.c.note)
                .order_by(checkpoints.c.id.desc()).limit(1)
            ).first()
        return (row.size, row.note) if row else (-1, "")

    def add_checkpoint(
        self, size: int, note: str, created_at: datetime, frontier: list[bytes] | None = None
    ) -> None:
        """Remember a signed checkpoint (and the tree frontier it was computed from)."""
        saved = json.dumps([h.hex() for h in frontier]) if frontier is not None else None
        self.write(
            lambda conn: conn.execute(
                insert(checkpoints).values(size=size, note=note, created_at=created_at.isoformat(),
                                           frontier=saved)
            )
        )

    def latest_frontier(self) -> tuple[int, list[bytes]]:
        """Size and frontier of the newest checkpoint that saved one; ``(0, [])`` if none."""
        with self.read() as conn:
            row = conn.execute(
                select(checkpoints.c.size, checkpoints.c.frontier)
                .where(checkpoints.c.frontier.is_not(None))
                .order_by(checkpoints.c.id.desc()).limit(1)
            ).first()
        if row is None:
            return 0, []
        return row.size, [bytes.fromhex(h) for h in json.loads(row.frontier)]


def describe_store_error(exc: BaseException) -> str:
    """What went wrong with the store or the disk under it, in a user's words."""
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    text = str(getattr(exc, "orig", None) or exc)
    if "disk is full" in text or "No space left" in text:
        return "磁盘空间不足"
    if "unmerged WAL" in text:
        return ("只读副本中有尚未合并的预写日志（hub.db-wal）；请在 hub 空闲时重新复制状态目录，"
                "或在可写的副本上运行一次 hub status")
    if "readonly database" in text or "read-only" in text:
        return "数据库只读"
    if "not a database" in text:
        return "数据库文件已损坏或不是 SQLite 数据库"
    return f"数据库错误（{type(exc).__name__}）"


def chunks(values: list[str], size: int = 2000) -> list[list[str]]:
    """``values`` in slices small enough for one statement's bound parameters (SQLite caps them)."""
    return [values[i:i + size] for i in range(0, len(values), size)]


def _engine(url: str, *, write: bool) -> Engine:
    engine = create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    begin = "BEGIN IMMEDIATE" if write else "BEGIN"

    postgres = engine.dialect.name == "postgresql"

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.info.pop(NEXT_SEQ, None)  # the receipt counter is valid for one transaction only
        if sqlite:
            # pysqlite's own transaction handling breaks SAVEPOINT and upgrades read locks late;
            # SQLAlchemy's documented recipe is to switch it off and emit BEGIN ourselves.
            conn.exec_driver_sql(begin)
        elif postgres and write:
            # Several hub processes may share one database: writers take turns, so receipt
            # sequence numbers stay gapless and index numbers unique (SQLite's write lock does
            # the same there).
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK})")

    return engine


def _read_only_engine(url: str) -> Engine:
    """An engine that can only read ``url``; SQLite is opened ``mode=ro``, and ``immutable`` where
    the folder is read-only and SQLite cannot set up its WAL index there."""
    if not url.startswith("sqlite:///"):
        engine = create_engine(url)
        if inspect(engine).has_table(receipts.name):
            return engine
        engine.dispose()
        return _empty_engine()  # a database the hub has not written to yet
    path = Path(url.removeprefix("sqlite:///")).resolve()
    if not path.exists():
        return _empty_engine()
    for flags in ("mode=ro", "mode=ro&immutable=1"):
        if "immutable" in flags and _has_wal(path):
            # immutable ignores the write-ahead log: it would show the copy without its newest
            # receipts, and say nothing.
            raise OperationalError(
                "read-only copy with an unmerged WAL", None, Exception("unmerged WAL")
            )
        engine = create_engine(
            f"sqlite:///file:{urllib.parse.quote(str(path))}?{flags}&uri=true"
        )
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            return engine
        except OperationalError:
            engine.dispose()
    return engine  # the last one; its error is reported where it is first used


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def _empty_engine() -> Engine:
    """An empty hub in memory, for reading where no hub has written yet."""
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed receipt survives power loss, not only a crash of the process.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
