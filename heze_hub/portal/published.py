"""What a file-writing channel has published, and coalesced rebuilds of its files.

The portal's static site is rebuilt from the published items as a whole rather than appended to,
so it always shows what was actually published. :class:`PublishedSet` indexes those items — the
store's list plus this process's own publications, which the store lists only once the core has
recorded them — by their compact :class:`~heze_hub.portal.listing.Listing` (never the whole
item), so that looking an item up, finding a policy's interpretations and adding an item cost
the same in an archive of ten items or of fifty thousand. It also runs the channel's rebuild,
coalescing concurrent requests; the channel rebuilds once per run (issue 14).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

__all__ = ["Entry", "PublishedSet", "merge_latest", "newest_first"]


class Entry(Protocol):
    """What the set needs of an entry: a full item or its listing."""

    @property
    def index_no(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def published_at(self) -> datetime: ...
    @property
    def doc_number(self) -> str | None: ...
    @property
    def interprets(self) -> str | None: ...
    @property
    def draft_of(self) -> str | None: ...


def newest_first(entry: Entry) -> tuple[datetime, str]:
    """Sort key of catalogues (with ``reverse=True``): publication time, then index number."""
    return entry.published_at, entry.index_no


def merge_latest(*sources: Iterable[Any]) -> list[Any]:
    """The latest version of each item in ``sources``, newest publication first."""
    latest: dict[str, Any] = {}
    for source in sources:
        for item in source:
            old = latest.get(item.index_no)
            if old is None or item.version >= old.version:
                latest[item.index_no] = item
    return sorted(latest.values(), key=newest_first, reverse=True)


class _Index:
    """The latest entry of each item, with the keys cross links look items up by."""

    def __init__(self) -> None:
        self.latest: dict[str, Any] = {}
        self.by_ref: dict[str, set[str]] = {}  # index_no or doc number -> items having it
        self.by_interprets: dict[str, set[str]] = {}  # interprets -> interpretations
        self.by_draft: dict[str, set[str]] = {}  # draft_of -> decisions and comment summaries
        # repealed index_no -> items repealing it (DESIGN §12; whole items carry ``repeals``)
        self.by_repeals: dict[str, set[str]] = {}

    def put(self, entry: Any, *, replace_same: bool = True) -> None:
        """Add ``entry`` unless a newer version of its item (or, with ``replace_same`` off, the
        same version) is already in."""
        old = self.latest.get(entry.index_no)
        if old is not None:
            if entry.version < old.version or (entry.version == old.version and not replace_same):
                return
            self._unlink(old)
        self.latest[entry.index_no] = entry
        for key in {entry.index_no, entry.doc_number} - {None}:
            self.by_ref.setdefault(key, set()).add(entry.index_no)
        if entry.interprets:
            self.by_interprets.setdefault(entry.interprets, set()).add(entry.index_no)
        if entry.draft_of:
            self.by_draft.setdefault(entry.draft_of, set()).add(entry.index_no)
        for repealed in getattr(entry, "repeals", ()):
            self.by_repeals.setdefault(repealed, set()).add(entry.index_no)

    def drop(self, index_no: str) -> None:
        """Take an item out (withdrawn)."""
        old = self.latest.pop(index_no, None)
        if old is not None:
            self._unlink(old)

    def _unlink(self, old: Any) -> None:
        for key in {old.index_no, old.doc_number} - {None}:
            self.by_ref.get(key, set()).discard(old.index_no)
        if old.interprets:
            self.by_interprets.get(old.interprets, set()).discard(old.index_no)
        if old.draft_of:
            self.by_draft.get(old.draft_of, set()).discard(old.index_no)
        for repealed in getattr(old, "repeals", ()):
            self.by_repeals.get(repealed, set()).discard(old.index_no)

    def partners(self, item: Entry) -> list[Any]:
        """Every entry a cross link of ``item`` can involve, newest first: what ``interprets``
        names and what names ``item`` by index number or document number; its draft, the
        draft's other decisions and comment summaries, and (for a draft) those naming it; what it
        repeals and what repeals it."""
        found: set[str] = set()
        if item.interprets:
            found |= self.by_ref.get(item.interprets, set())
        for key in {item.index_no, item.doc_number} - {None}:
            found |= self.by_interprets.get(key, set())
        if item.draft_of:
            if item.draft_of in self.latest:
                found.add(item.draft_of)
            found |= self.by_draft.get(item.draft_of, set())
        found |= self.by_draft.get(item.index_no, set())
        found |= self.by_repeals.get(item.index_no, set())
        found |= {n for n in getattr(item, "repeals", ()) if n in self.latest}
        found.discard(item.index_no)
        return sorted((self.latest[n] for n in found), key=newest_first, reverse=True)


class PublishedSet:
    """What a channel has published: the store's list plus this process's publications.

    The store lists an item only once the core has recorded its delivery, i.e. after
    ``publish()`` returned, so entries published here are kept until it catches up. The store
    is read at most once for lookups (:meth:`get`, :meth:`partners`) and once per rebuild.

    ``rebuild(ticket)`` coalesces concurrent rebuilds: ``add()`` hands out increasing tickets,
    a rebuild includes every entry added before it started, and a thread whose ticket an earlier
    rebuild already covered returns at once.

    ``load_store(for_rebuild)`` streams the store's entries; a rebuild passes ``True`` so the
    loader can carry along what only a rebuild needs.
    """

    def __init__(
        self,
        load_store: Callable[[bool], Iterable[Any]],
        build: Callable[[list[Any], set[str]], None],
    ) -> None:
        self._load_store = load_store
        self._build = build
        self._lock = threading.Lock()  # guards the fields below
        self._build_lock = threading.Lock()  # one rebuild at a time
        self._local: dict[str, Any] = {}
        self._index: _Index | None = None
        self._stored: dict[str, int] = {}  # index_no -> version, as the store last listed it
        # Withdrawn by this process (index_no → version): out of every listing at once, before
        # the store records the withdrawal; a later version published again comes back.
        self._gone: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._added = 0
        self._built = 0

    def add(self, entry: Any) -> int:
        """Record ``entry`` as published by this process; return its rebuild ticket."""
        with self._lock:
            old = self._local.get(entry.index_no)
            if old is None or entry.version >= old.version:
                self._local[entry.index_no] = entry
            if self._index is not None:
                self._index.put(entry)
            self._dirty.add(entry.index_no)
            self._added += 1
            return self._added

    def withdraw(self, index_no: str, version: int) -> int:
        """Record that this process withdrew ``index_no`` up to ``version``; return a ticket."""
        with self._lock:
            self._gone[index_no] = max(version, self._gone.get(index_no, 0))
            local = self._local.get(index_no)
            if local is not None and local.version <= version:
                del self._local[index_no]
            if self._index is not None:
                self._index.drop(index_no)
            self._dirty.add(index_no)
            self._added += 1
            return self._added

    def _loaded(self) -> _Index:
        if self._index is None:
            index, stored = self._read(for_rebuild=False)
            with self._lock:
                if self._index is None:
                    for entry in self._local.values():
                        index.put(entry, replace_same=False)
                    self._index, self._stored = index, stored
        return self._index

    def _read(self, for_rebuild: bool) -> tuple[_Index, dict[str, int]]:
        index, stored = _Index(), {}
        for entry in self._load_store(for_rebuild):
            if entry.version <= self._gone.get(entry.index_no, 0):
                continue  # withdrawn here; the store has not recorded it yet
            index.put(entry)
            stored[entry.index_no] = entry.version
        return index, stored

    def get(self, index_no: str) -> Any | None:
        """The latest known entry of an item, or ``None``."""
        index = self._loaded()
        with self._lock:
            return index.latest.get(index_no)

    def partners(self, item: Entry) -> list[Any]:
        """Entries a cross link of ``item`` may involve (see :meth:`_Index.partners`)."""
        index = self._loaded()
        with self._lock:
            return index.partners(item)

    def rebuild(self, ticket: int | None = None) -> bool:
        """Rebuild unless a rebuild that started after ``ticket`` was issued already ran.

        ``ticket=None`` forces a rebuild. The build callback receives the merged entries,
        newest first, and the index numbers added since the last successful rebuild. Returns
        whether it rebuilt.
        """
        with self._build_lock:
            if ticket is not None and self._built >= ticket:
                return False
            with self._lock:
                target = self._added
                dirty = set(self._dirty)
            index, stored = self._read(for_rebuild=True)
            with self._lock:
                for entry in self._local.values():
                    index.put(entry, replace_same=False)
                self._index, self._stored = index, stored
                entries = sorted(index.latest.values(), key=newest_first, reverse=True)
            self._build(entries, dirty)
            with self._lock:
                self._dirty -= dirty
            self._built = max(self._built, target)
            return True

    def forget_stored(self) -> None:
        """Drop local entries the store now lists at the same or a newer version."""
        with self._lock:
            for index_no, entry in list(self._local.items()):
                if self._stored.get(index_no, 0) >= entry.version and index_no not in self._dirty:
                    del self._local[index_no]
