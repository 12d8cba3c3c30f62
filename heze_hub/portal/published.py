"""What a file-writing channel has published, and coalesced rebuilds of its files.

The portal's static site and the RSS/Atom feeds are rebuilt from the published items as a whole
rather than appended to, so they always show what was actually published. :class:`PublishedSet`
holds those items (the store's list plus this process's own publications, which the store lists
only once the core has recorded them) and runs the channel's rebuild, coalescing concurrent
requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from heze_hub.items.model import NormalizedItem

__all__ = ["PublishedSet", "merge_latest"]


def merge_latest(*sources: Iterable[NormalizedItem]) -> list[NormalizedItem]:
    """The latest version of each item in ``sources``, newest publication first."""
    latest: dict[str, NormalizedItem] = {}
    for source in sources:
        for item in source:
            old = latest.get(item.index_no)
            if old is None or item.version >= old.version:
                latest[item.index_no] = item
    return sorted(latest.values(), key=lambda i: (i.published_at, i.index_no), reverse=True)


class PublishedSet:
    """What a channel has published: the store's list plus this process's publications.

    The store lists an item only once the core has recorded its delivery, i.e. after
    ``publish()`` returned, so items published here are kept in memory until it catches up.

    ``rebuild(ticket)`` coalesces concurrent rebuilds: ``add()`` hands out increasing tickets,
    a rebuild includes every item added before it started, and a thread whose ticket an earlier
    rebuild already covered returns at once. A thousand concurrent publications therefore cause
    a handful of rebuilds, not a thousand.
    """

    def __init__(
        self,
        load_store: Callable[[], list[NormalizedItem]],
        build: Callable[[list[NormalizedItem], set[str]], None],
    ) -> None:
        self._load_store = load_store
        self._build = build
        self._lock = threading.Lock()  # guards the fields below
        self._build_lock = threading.Lock()  # one rebuild at a time
        self._local: dict[str, NormalizedItem] = {}
        # Withdrawn by this process (index_no → version): out of every listing at once, before
        # the store records the withdrawal; a later version published again comes back.
        self._gone: dict[str, int] = {}
        self._store: list[NormalizedItem] | None = None
        self._dirty: set[str] = set()
        self._added = 0
        self._built = 0

    def add(self, item: NormalizedItem) -> int:
        """Record ``item`` as published by this process; return its rebuild ticket."""
        with self._lock:
            old = self._local.get(item.index_no)
            if old is None or item.version >= old.version:
                self._local[item.index_no] = item
            self._dirty.add(item.index_no)
            self._added += 1
            return self._added

    def withdraw(self, index_no: str, version: int) -> int:
        """Record that this process withdrew ``index_no`` up to ``version``; return a ticket."""
        with self._lock:
            self._gone[index_no] = max(version, self._gone.get(index_no, 0))
            self._dirty.add(index_no)
            self._added += 1
            return self._added

    def _merged(self, store: list[NormalizedItem]) -> list[NormalizedItem]:
        items = merge_latest(store, self._local.values())
        if not self._gone:
            return items
        return [i for i in items if i.version > self._gone.get(i.index_no, 0)]

    def known(self) -> list[NormalizedItem]:
        """Every published item as far as this process knows now (store read at most once)."""
        if self._store is None:
            store = self._load_store()
            with self._lock:
                if self._store is None:
                    self._store = store
        with self._lock:
            return self._merged(self._store or [])

    def rebuild(self, ticket: int | None = None) -> bool:
        """Rebuild unless a rebuild that started after ``ticket`` was issued already ran.

        ``ticket=None`` forces a rebuild. The build callback receives the merged items and the
        index numbers added since the last successful rebuild. Returns whether it rebuilt.
        """
        with self._build_lock:
            if ticket is not None and self._built >= ticket:
                return False
            with self._lock:
                target = self._added
                dirty = set(self._dirty)
            store = self._load_store()
            with self._lock:
                self._store = store
                items = self._merged(store)
            self._build(items, dirty)
            with self._lock:
                self._dirty -= dirty
            self._built = max(self._built, target)
            return True

    def forget_stored(self) -> None:
        """Drop local items the store now lists at the same or a newer version."""
        with self._lock:
            stored = {i.index_no: i.version for i in self._store or []}
            for index_no, item in list(self._local.items()):
                if stored.get(index_no, 0) >= item.version and index_no not in self._dirty:
                    del self._local[index_no]
