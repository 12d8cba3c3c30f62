"""What a listing needs of a published item, kept instead of the item itself.

The catalogue pages, the overview and the cross links between a policy and its interpretations
need a dozen short fields of each published item, and the search index one prepared entry. A
:class:`Listing` holds exactly those fields, so that a catalogue of tens of thousands of items is
rebuilt without ever holding every item's parsed JSON (issue 14).

The store keeps each version's listing in its ``listings`` table (:meth:`Store.published_listings`
fills it from the version's JSON the first time it is read, and again whenever
:data:`LISTING_FORMAT` changes), together with the catalogue row and the search-index entry as
they are written, so a rebuild reads them back instead of parsing and rendering every item.
Everything here renders byte for byte what :mod:`heze_hub.portal.site` renders from the item.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from heze_hub.items.model import CATEGORY_LABELS, KIND_LABELS, NormalizedItem
from heze_hub.items.normalize import to_shanghai
from heze_hub.portal.pages import esc, fmt_date, item_link, item_page_path
from heze_hub.store.db import Store

#: Changes whenever what is stored per listing would render differently: the labels it carries
#: and :data:`_RENDERING` (raise it when the row or the search entry changes). Stored listings of
#: another format are recomputed from the version's JSON.
_RENDERING = 2
LISTING_FORMAT = hashlib.sha256(
    json.dumps([_RENDERING, KIND_LABELS, CATEGORY_LABELS], ensure_ascii=False).encode()
).hexdigest()[:16]

#: Catalogue list pages live at ``xxgk/{kind}/{key}.html``: rows stored for them are rendered for
#: a page at that depth (links go through the site root, so the depth is all that matters).
LIST_PAGE_DEPTH_PATH = "xxgk/category/_.html"


@dataclass(slots=True, eq=False)
class Listing:
    """The fields of one published item version that listings and cross links use."""

    index_no: str
    version: int
    published_at: datetime
    title: str
    department: str
    doc_number: str | None
    written_on: date
    kind: str
    category: str
    topics: tuple[str, ...]
    interprets: str | None
    content_sha256: str
    draft_of: str | None = None
    #: The catalogue row as on a list page (:data:`LIST_PAGE_DEPTH_PATH`), when already known.
    row: str | None = None
    #: The search-index entry without its ``url`` (:func:`search_parts`), when carried along.
    search: tuple[str, str] | None = None

    @classmethod
    def of(cls, item: NormalizedItem) -> Listing:
        """The listing of a full item."""
        return cls(
            item.index_no, item.version, item.published_at, item.title, item.department,
            item.doc_number, item.written_on, item.kind, item.category, tuple(item.topics),
            item.interprets, item.content_sha256, item.draft_of,
        )


def row_html(path: str, i: Listing | NormalizedItem) -> str:
    """One catalogue row on the page at site path ``path``."""
    # data-label names the cell where a narrow screen shows rows as cards (site.css).
    return (
        f'<tr><td class="nw" data-label="索引号">{esc(i.index_no)}</td>'
        f'<td data-label="标题">{item_link(path, i)}</td>'  # type: ignore[arg-type]
        f'<td data-label="发布机构">{esc(i.department)}</td>'
        f'<td data-label="文号">{esc(i.doc_number or "")}</td>'
        f'<td class="nw" data-label="成文日期">{esc(fmt_date(i.written_on))}</td>'
        f'<td class="nw" data-label="发布日期">{esc(fmt_date(i.published_at))}</td></tr>'
    )


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def search_parts(i: NormalizedItem) -> tuple[str, str]:
    """The item's search-index entry in two JSON pieces, before and after its ``url``.

    The URL depends on ``[hub] public_url``, which may change, so it is put in when the index
    is written (:func:`search_entry`).
    """
    body = re.sub(r"\s+", " ", i.body_text).strip()
    text = " ".join(
        [i.title, i.index_no, i.doc_number or "", i.department, " ".join(i.topics),
         KIND_LABELS.get(i.kind, ""), CATEGORY_LABELS.get(i.category, ""), i.summary,
         body[:1000]]
    )
    head = {
        "index_no": i.index_no,
        "title": i.title,
        "department": i.department,
        "doc_number": i.doc_number,
        "topics": list(i.topics),
        "kind": i.kind,
        "kind_label": KIND_LABELS.get(i.kind, i.kind),
        "category": i.category,
        "category_label": CATEGORY_LABELS.get(i.category, i.category),
        "written_on": i.written_on.isoformat(),
        "published_at": to_shanghai(i.published_at).isoformat(),
        "version": i.version,
    }
    tail = {
        "path": item_page_path(i.index_no),
        "summary": i.summary,
        "snippet": body[:120],
        "text": text.lower(),
    }
    return _dumps(head), _dumps(tail)


def search_entry(parts: tuple[str, str], url: str) -> str:
    """The entry as ``json.dumps`` writes the whole dict: head, ``url``, tail."""
    head, tail = parts
    return f'{head[:-1]},"url":{json.dumps(url, ensure_ascii=False)},{tail[1:]}'


# -- the store's listings table ------------------------------------------------------------


def listing_columns(data: str) -> dict[str, Any]:
    """The ``listings`` row of a version, from its stored JSON (parsed once, then dropped)."""
    item = NormalizedItem.model_validate_json(data)
    head, tail = search_parts(item)
    return {
        "published_at": item.published_at.isoformat(),
        "title": item.title,
        "department": item.department,
        "doc_number": item.doc_number,
        "written_on": item.written_on.isoformat(),
        "kind": item.kind,
        "category": item.category,
        "topics": json.dumps(list(item.topics), ensure_ascii=False),
        "interprets": item.interprets,
        "content_sha256": item.content_sha256,
        "draft_of": item.draft_of,
        "row": row_html(LIST_PAGE_DEPTH_PATH, item),
        "search_head": head,
        "search_tail": tail,
    }


def store_listings(store: Store, channel: str, with_search: bool) -> Iterator[Listing]:
    """The listing of the latest published version of each item on ``channel``, streamed."""
    for r in store.published_listings(channel, LISTING_FORMAT, listing_columns, with_search):
        topics = r["topics"]
        yield Listing(
            r["index_no"], r["version"], datetime.fromisoformat(r["published_at"]),
            r["title"], r["department"], r["doc_number"], date.fromisoformat(r["written_on"]),
            r["kind"], r["category"], tuple(json.loads(topics)) if topics != "[]" else (),
            r["interprets"], r["content_sha256"], r["draft_of"], r["row"],
            (r["search_head"], r["search_tail"]) if with_search else None,
        )


class SearchSpool:
    """Search-index entries read with the listings, kept in a temporary file until written:
    an archive's entries together are far larger than its listings."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._at: dict[tuple[str, int], tuple[int, int, int]] = {}
        self._end = 0

    def put(self, index_no: str, version: int, parts: tuple[str, str]) -> None:
        head, tail = (p.encode("utf-8") for p in parts)
        self._file.write(head + tail)
        self._at[(index_no, version)] = (self._end, len(head), len(tail))
        self._end += len(head) + len(tail)

    def get(self, index_no: str, version: int) -> tuple[str, str]:
        start, n_head, n_tail = self._at[(index_no, version)]
        self._file.flush()
        data = os.pread(self._file.fileno(), n_head + n_tail, start)
        return data[:n_head].decode("utf-8"), data[n_head:].decode("utf-8")

    def close(self) -> None:
        self._file.close()
