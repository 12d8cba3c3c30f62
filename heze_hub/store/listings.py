"""The ``listings`` table: what catalogues need of each published version, read as a stream.

A catalogue of tens of thousands of items must not parse every item's JSON on every rebuild
(issue 14). The caller (the portal) says how to derive a listing row from a version's JSON and
which format it expects; rows missing or of another format are derived here while streaming and
saved, so the next rebuild reads them as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    tuple_,
)

from heze_hub.store.schema import deliveries, listings, versions

if TYPE_CHECKING:
    from heze_hub.store.db import Store

log = logging.getLogger(__name__)

#: Listing rows saved per write while streaming: the writer commits them as the stream goes on,
#: so what is held in memory does not grow with the archive.
FILL_CHUNK = 500

_BASE = ("index_no", "version", "published_at", "title", "department", "doc_number",
         "written_on", "kind", "category", "topics", "interprets", "content_sha256", "draft_of",
         "row")
_SEARCH = ("search_head", "search_tail")


def latest_published(channel: str) -> Any:
    """Subquery: the latest version of each item published on ``channel``, unless that version
    was withdrawn there since (DESIGN §12)."""
    d = deliveries
    latest = (
        select(d.c.index_no, func.max(d.c.version).label("version"))
        .where(d.c.channel == channel, d.c.status == "published")
        .group_by(d.c.index_no)
        .subquery()
    )
    gone = (
        select(d.c.index_no, func.max(d.c.version).label("version"))
        .where(d.c.channel == channel, d.c.status == "withdrawn")
        .group_by(d.c.index_no)
        .subquery()
    )
    return (
        select(latest.c.index_no, latest.c.version)
        .outerjoin(gone, gone.c.index_no == latest.c.index_no)
        .where(gone.c.version.is_(None) | (gone.c.version < latest.c.version))
        .subquery()
    )


def published_listings(
    store: Store,
    channel: str,
    fmt: str,
    derive: Callable[[str], dict[str, Any]],
    with_search: bool,
) -> Iterator[dict[str, Any]]:
    """Listing rows (dicts of the ``listings`` columns) of the latest published version of each
    item on ``channel``, in no particular order; rows of another format are derived anew."""
    v, li = versions, listings
    latest = latest_published(channel)
    names = _BASE + (_SEARCH if with_search else ())
    published = (
        select()
        .select_from(v)
        .join(latest, and_(v.c.index_no == latest.c.index_no, v.c.version == latest.c.version))
    )
    stale = or_(li.c.fmt.is_(None), li.c.fmt != fmt)
    q = published.add_columns(
        v.c.index_no, v.c.version, *(li.c[n] for n in names[2:]),
        case((stale, v.c.data), else_=None).label("data"),
    ).outerjoin(li, and_(li.c.index_no == v.c.index_no, li.c.version == v.c.version))
    pending: list[dict[str, Any]] = []
    saved: list[Future[Any]] = []
    with store.read() as conn:
        if not inspect(conn).has_table(listings.name):
            # A read-only look at a database an older hub made: derive every row, save none.
            q = published.add_columns(v.c.index_no, v.c.version, v.c.data)
        for r in conn.execute(q):
            if r.data is None:
                yield {n: r[i] for i, n in enumerate(names)}
                continue
            row = {"index_no": r.index_no, "version": r.version, "fmt": fmt, **derive(r.data)}
            pending.append(row)
            yield row
            if len(pending) >= FILL_CHUNK:
                saved.append(_save(store, pending))
                pending = []
    if pending:
        saved.append(_save(store, pending))
    for fut in saved:
        try:
            fut.result()
        except Exception as exc:  # a cache: the next rebuild derives them again
            log.warning("saving listing rows failed: %r", exc)


def _save(store: Store, rows: list[dict[str, Any]]) -> Future[Any]:
    """Replace the listing rows of these versions (on the writer thread, not waited for)."""
    done: Future[Any] = Future()
    if store.read_only or not rows:
        done.set_result(None)
        return done

    def op(conn: Connection) -> None:
        keys = [(r["index_no"], r["version"]) for r in rows]
        conn.execute(delete(listings).where(
            tuple_(listings.c.index_no, listings.c.version).in_(keys)))
        conn.execute(insert(listings), rows)

    return store.submit(op)
