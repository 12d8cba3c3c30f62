"""rss: RSS 2.0 and Atom feeds of the latest published items (DESIGN §5.2).

The feeds are rebuilt from the store once per run (``finish_run``), never appended to, so they
always show what was actually published: the latest version of the latest ``max_entries`` items.
Only those are ever read: a run costs the same in an archive of ten items or fifty thousand.
An entry keeps its guid across versions: ``urn:heze-hub:item:{index_no}``
(``isPermaLink="false"``). The index number never changes, while the portal's public address
may (a new domain must not make every reader see every item again); the entry's link carries
the portal URL.

Both feeds also carry the latest signed checkpoint of the receipt log in a ``hub:checkpoint``
element (namespace :data:`HUB_NS`), so anyone who reads the feed holds a newer signed state to
catch a rollback with (DESIGN §7).

feedgen pitfalls handled here (DESIGN §11): entries are added in order with
``order="append"``; every date is timezone-aware; ``rel="self"`` is added before
``rel="alternate"``; Atom entries get one link; XML-illegal characters are stripped before lxml
sees them; files are written to a temporary file and renamed.

Escaping for the reader. lxml escapes for XML, but many readers take the text of an element as
HTML and render it, so a title or summary holding ``<img src=x onerror=…>`` would become live
markup in a reader that does not clean HTML. Every field is therefore written for the context a
reader will use it in:

- the entry title and the summary are HTML: RSS ``<title>`` and ``<description>`` carry
  HTML-escaped text (RSS readers render both as HTML), and Atom ``<title>`` and ``<summary>``
  carry the same with ``type="html"``, so a reader that honours the type and one that renders
  any text as HTML show the same characters and run nothing;
- fields that have no HTML form — categories, the author (``dc:creator``, Atom ``<name>``), the
  feed's own title and description from the settings — get ``<``, ``>`` and ``&`` as their
  full-width forms ``＜ ＞ ＆``, which read the same as text or as HTML (and are the usual
  forms in Chinese text anyway);
- the body (``content:encoded``, Atom ``<content type="html">``) is the sanitized HTML of
  DESIGN §3.
"""

from __future__ import annotations

import html
import re
import threading
from bisect import bisect_left, insort
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree
from pydantic import Field

from heze_hub.plugin import (
    CATEGORY_LABELS,
    KIND_LABELS,
    Channel,
    ChannelSettings,
    DeliveryContext,
    HubInfo,
    NormalizedItem,
    PublishResult,
    Withdrawal,
    atomic_write,
    canonical_json,
    hookimpl,
    plain_notes,
    resolve_path,
    sha256_hex,
    to_shanghai,
    writable_dir_problem,
    write_failure,
)

#: Namespace of the hub's own feed elements. ``hub:checkpoint`` holds the signed note text
#: (C2SP tlog-checkpoint in a C2SP signed note) exactly as ``hub receipts export`` writes it.
HUB_NS = "urn:heze-hub:feed:1"

RSS_FILE = "feed.xml"
ATOM_FILE = "atom.xml"

# XML 1.0 forbids C0 controls other than tab, LF and CR, lone surrogates and U+FFFE/U+FFFF;
# lxml raises on them, so they are removed from every string before it reaches feedgen.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """``value`` as a string lxml accepts."""
    return _XML_ILLEGAL.sub("", "" if value is None else str(value))


def html_text(value: object) -> str:
    """Text for an element readers render as HTML: XML-legal and HTML-escaped."""
    return html.escape(xml_text(value), quote=True)


_MARKUP_TO_FULLWIDTH = {ord("<"): "＜", ord(">"): "＞", ord("&"): "＆"}


def name_text(value: object) -> str:
    """Text for a field with no HTML form (a category, an author): the characters that start
    markup or an entity become their full-width forms, inert as text and as HTML."""
    return xml_text(value).translate(_MARKUP_TO_FULLWIDTH)


def entry_guid(index_no: str) -> str:
    """The guid and Atom id of an item: the same for every version."""
    return f"urn:heze-hub:item:{index_no}"


class RssSettings(ChannelSettings):
    """``[channels.rss]``."""

    output_dir: str = "public"
    max_entries: int = Field(200, ge=1, le=10_000)
    title: str = "政府信息公开"
    description: str = "最新主动公开的政府信息"


class RssChannel(Channel):
    """RSS 2.0 (``feed.xml``) and Atom (``atom.xml``) feeds in ``output_dir``."""

    plugin_name = "rss"
    title = "RSS/Atom 订阅"
    settings_model = RssSettings
    # Rewriting a feed from the store is harmless.
    resend_safe = True
    # Withdrawing rewrites the feeds without the item.
    can_withdraw = True

    settings: RssSettings

    def __init__(self, name: str, settings: ChannelSettings, hub: HubInfo) -> None:
        super().__init__(name, settings, hub)
        self._lock = threading.Lock()  # guards the fields below
        self._newest: _Newest | None = None  # the entries the feeds will show, as known now
        # Items this process published that are among them, and every version it published.
        self._local: dict[str, NormalizedItem] = {}
        self._versions: dict[str, int] = {}
        # Withdrawn by this process (index_no → version), left out before the store records it.
        self._gone: dict[str, int] = {}

    @property
    def output_dir(self) -> Path:
        return resolve_path(self.settings.output_dir, self.hub.config_dir)

    def feed_url(self, file_name: str) -> str:
        return f"{self.hub.public_url.rstrip('/')}/{file_name}"

    # -- render --------------------------------------------------------------------------------
    def render(self, item: NormalizedItem, known: list[NormalizedItem] | None = None) -> Any:
        """The feed entry of ``item``, as the feeds will carry it; among the ``known``
        published items it may be marked 已废止 (with a link to the repealing item) or 已失效,
        and a correction shows its note with the date (DESIGN §12)."""
        published = to_shanghai(item.published_at)
        label, notes = plain_notes(item, known or [], self.hub.item_url)
        lead = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
        return {
            "guid": entry_guid(item.index_no),
            "title": html_text(f"【{label}】{item.title}" if label else item.title),
            "link": self.hub.item_url(item.index_no),
            "published": published.isoformat(),
            "updated": published.isoformat(),
            "author": name_text(item.department),
            "categories": [name_text(c) for c in self._categories(item)],
            "summary": html_text(item.summary),
            "content_html": xml_text(lead + item.body_html),
            "version": item.version,
        }

    # -- publish -------------------------------------------------------------------------------
    def publish(self, item: NormalizedItem, ctx: DeliveryContext) -> PublishResult:
        """Count ``item`` in the feeds; they are rewritten once, when the run finishes."""
        entry = self.render(item)
        ctx.payload_sha256 = sha256_hex(canonical_json(entry))
        try:
            listed = self._add(item)
        except Exception as exc:  # the store: worth another attempt
            raise write_failure("订阅源重建失败", exc) from exc
        n = self.settings.max_entries
        note = None if listed else f"该信息不在最新 {n} 条之内，未列入订阅源"
        return PublishResult(remote_id=entry["guid"], url=self.feed_url(RSS_FILE), note=note)

    def _add(self, item: NormalizedItem) -> bool:
        """Record ``item`` as published here; whether the feeds now list it."""
        with self._lock:
            if self._newest is None:
                newest = _Newest(self.settings.max_entries)
                for stored in self.hub.latest(self.name, self.settings.max_entries):
                    newest.put(stored.index_no, stored.version, stored.published_at)
                self._newest = newest
            self._versions[item.index_no] = max(item.version, self._versions.get(item.index_no, 0))
            if self._newest.put(item.index_no, item.version, item.published_at):
                self._local[item.index_no] = item
            # Items pushed out of the newest no longer need their whole item kept.
            for index_no in self._newest.dropped():
                self._local.pop(index_no, None)
            return item.index_no in self._newest

    def withdraw(
        self, item: NormalizedItem, withdrawal: Withdrawal, ctx: DeliveryContext
    ) -> PublishResult:
        """Leave ``item`` out of both feeds, rewritten when the run finishes (idempotent)."""
        with self._lock:
            self._gone[item.index_no] = max(item.version, self._gone.get(item.index_no, 0))
            self._local.pop(item.index_no, None)
            self._newest = None  # re-read from the store: a place in the newest came free
        return PublishResult(remote_id=entry_guid(item.index_no), url=self.feed_url(RSS_FILE))

    def refresh(self, items: list[NormalizedItem]) -> None:
        """Rewrite the feeds: these items' marks (已失效) changed."""
        if items:
            self._write_feeds()

    def finish_run(self) -> None:
        """Rewrite the feeds from the store: the final state, with the latest checkpoint."""
        try:
            self._write_feeds()
        except OSError as exc:
            raise write_failure(f"订阅源重建失败（{self.output_dir}）", exc) from exc

    # -- health --------------------------------------------------------------------------------
    def configuration_problems(self) -> list[str]:
        """The output folder must be writable: checked before a run's first send."""
        problem = writable_dir_problem(self.output_dir)
        return [*super().configuration_problems(), *([problem] if problem else [])]

    def check(self, http: Any) -> list[str]:
        """As :meth:`configuration_problems`: there is no remote to ask."""
        return self.configuration_problems()

    # -- the feeds -----------------------------------------------------------------------------
    def _write_feeds(self) -> None:
        n = self.settings.max_entries
        with self._lock:
            local, versions = list(self._local.values()), dict(self._versions)
            gone = dict(self._gone)
        # The store's newest, less versions this process has since replaced or withdrawn, plus
        # its own.
        stored = [i for i in self.hub.latest(self.name, n)
                  if i.version >= versions.get(i.index_no, 0)
                  and i.version > gone.get(i.index_no, 0)]
        latest = _merge_latest(stored, local)[:n]  # newest first
        root = self.output_dir
        if not latest and not root.exists():
            return
        checkpoint = self.hub.latest_checkpoint() or ""
        rss = self._feed(latest, RSS_FILE, checkpoint).rss_str(pretty=True)
        atom = self._feed(latest, ATOM_FILE, checkpoint).atom_str(pretty=True)
        atomic_write(root / RSS_FILE, rss, only_if_changed=True)
        atomic_write(root / ATOM_FILE, atom, only_if_changed=True)

    def _feed(self, items: list[NormalizedItem], file_name: str, checkpoint: str) -> FeedGenerator:
        fg = FeedGenerator()
        fg.register_extension("hub", CheckpointExtension, HtmlTitleExtension)
        fg.load_extension("dc", atom=False, rss=True)
        site = f"{self.hub.public_url.rstrip('/')}/"
        fg.id(site)
        # The default title names the organisation ([hub] name), as the portal's pages do.
        title = self.settings.title
        if title == RssSettings.model_fields["title"].default and self.hub.org_name:
            title = f"{self.hub.org_name} {title}"
        fg.title(name_text(title))
        fg.description(name_text(self.settings.description) or name_text(title))
        # The RSS <channel><link> is the href of the last link() call: self first (§11).
        media = "application/rss+xml" if file_name == RSS_FILE else "application/atom+xml"
        fg.link(href=self.feed_url(file_name), rel="self", type=media)
        fg.link(href=site, rel="alternate")
        fg.language("zh-CN")
        fg.generator("heze_hub")
        # A fixed build date (the newest entry's) keeps an unchanged feed byte-identical.
        newest = max((to_shanghai(i.published_at) for i in items), default=_EPOCH)
        fg.updated(newest)
        fg.lastBuildDate(newest)
        fg.hub.checkpoint(xml_text(checkpoint))
        for item in items:  # newest first; append keeps that order (add_entry prepends)
            self._entry(fg.add_entry(order="append"), item, items)
        return fg

    def _entry(self, fe: Any, item: NormalizedItem, known: list[NormalizedItem]) -> None:
        # The feed's own entries are what a mark can name: a repealing item is the newer one.
        entry = self.render(item, known)
        fe.guid(entry["guid"], permalink=False)  # also the Atom id
        fe.title(entry["title"])  # HTML-escaped; Atom: type="html" (HtmlTitleExtension)
        fe.link(href=entry["link"])  # one link only: feedgen 1.0 drops rel on Atom entry links
        when = to_shanghai(item.published_at)
        fe.published(when)
        fe.updated(when)
        fe.author(name=entry["author"])
        fe.dc.dc_creator(entry["author"])
        for term in entry["categories"]:
            fe.category(term=term)
        fe.content(entry["content_html"], type="html")
        if entry["summary"]:
            fe.summary(entry["summary"], type="html")  # HTML-escaped text

    @staticmethod
    def _categories(item: NormalizedItem) -> list[str]:
        labels = [*item.topics, KIND_LABELS.get(item.kind, item.kind)]
        labels.append(CATEGORY_LABELS.get(item.category, item.category))
        return list(dict.fromkeys(labels))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _merge_latest(*sources: list[NormalizedItem]) -> list[NormalizedItem]:
    """The latest version of each item in ``sources``, newest publication first."""
    latest: dict[str, NormalizedItem] = {}
    for source in sources:
        for item in source:
            old = latest.get(item.index_no)
            if old is None or item.version >= old.version:
                latest[item.index_no] = item
    return sorted(latest.values(), key=lambda i: (i.published_at, i.index_no), reverse=True)


class _Newest:
    """The ``size`` newest items by publication time (latest version each): keys only."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._order: list[tuple[datetime, str]] = []  # oldest first
        self._keys: dict[str, tuple[int, tuple[datetime, str]]] = {}
        self._dropped: list[str] = []

    def __contains__(self, index_no: str) -> bool:
        return index_no in self._keys

    def put(self, index_no: str, version: int, published_at: datetime) -> bool:
        """Count a version; whether it is now the one counted for its item."""
        old = self._keys.get(index_no)
        if old is not None:
            if version < old[0]:
                return False
            del self._order[bisect_left(self._order, old[1])]
        key = (published_at, index_no)
        self._keys[index_no] = (version, key)
        insort(self._order, key)
        while len(self._order) > self.size:
            _, gone = self._order.pop(0)
            del self._keys[gone]
            self._dropped.append(gone)
        return index_no in self._keys

    def dropped(self) -> list[str]:
        """Items pushed out since the last call."""
        out, self._dropped = self._dropped, []
        return out


class CheckpointExtension(BaseExtension):
    """``<hub:checkpoint>``: the latest signed checkpoint note of the receipt log."""

    def __init__(self) -> None:
        self._checkpoint = ""

    def checkpoint(self, text: str | None = None) -> str:
        if text is not None:
            self._checkpoint = text
        return self._checkpoint

    def extend_ns(self) -> dict[str, str]:
        return {"hub": HUB_NS}

    def _add(self, parent: Any) -> None:
        if self._checkpoint:
            # Text only, no attributes: feedparser then hands readers the note as a string.
            element = etree.SubElement(parent, f"{{{HUB_NS}}}checkpoint")
            element.text = self._checkpoint

    def extend_rss(self, feed: Any) -> Any:
        self._add(feed[0])  # <rss><channel>
        return feed

    def extend_atom(self, feed: Any) -> Any:
        self._add(feed)
        return feed


class HtmlTitleExtension(BaseExtension):
    """Marks an Atom entry's ``<title>`` as ``type="html"``: feedgen cannot, and the title is
    written HTML-escaped for RSS readers, which render it as HTML."""

    def extend_atom(self, entry: Any) -> Any:
        for child in entry:
            if etree.QName(child).localname == "title":
                child.set("type", "html")
        return entry

    def extend_rss(self, item: Any) -> Any:
        return item


@hookimpl
def register_channels(register: Callable[[type[Channel]], None]) -> None:
    register(RssChannel)
