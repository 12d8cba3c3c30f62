"""The portal's static 信息公开 site, written into one folder (DESIGN §5.1).

What it holds:

- per item, the page and JSON of :mod:`heze_hub.portal.pages`, and the attachments, copied
  beside the page and checked against the SHA-256 taken when the item was normalized;
- the 信息公开目录: ``index.html``, ``xxgk/index.html`` and a list page per category, topic
  and department (pages of topics and departments no item has any more are removed);
- ``search-index.json`` and ``search.html``, so the site can be searched without a server;
- ``checkpoint``: the latest signed checkpoint of the receipt log, also shown in the footers.

Every file is written atomically (:mod:`heze_hub.files`), and a catalogue file only when it
changed. The portal channel decides when to write what; rebuilds are coalesced by
:class:`heze_hub.portal.published.PublishedSet`.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from heze_hub.errors import PermanentError
from heze_hub.files import atomic_write, atomic_write_chunks, atomic_writer, file_sha256
from heze_hub.items.model import CATEGORY_LABELS, Attachment, NormalizedItem
from heze_hub.portal import pages
from heze_hub.portal.listing import LIST_PAGE_DEPTH_PATH, row_html
from heze_hub.portal.pages import (
    GROUPS,
    attachment_dir,
    attachment_names,
    esc,
    group_page_path,
    href,
    page,
    template_text,
)

# -- an item's files -------------------------------------------------------------------------


def copy_attachments(item: NormalizedItem, root: Path) -> None:
    """Copy attachments beside the page, checking each against its normalized SHA-256."""
    folder = root / attachment_dir(item.index_no)
    names = attachment_names(item)
    for name, attachment in names:
        _copy_checked(attachment, folder / name)
    # Files of an earlier version that this version no longer has.
    if folder.is_dir():
        keep = {name for name, _ in names}
        for stale in folder.iterdir():
            if stale.is_file() and stale.name not in keep and not stale.name.startswith("."):
                stale.unlink(missing_ok=True)


def item_json(item: NormalizedItem, url: str) -> bytes:
    """The JSON file beside an item's page: its public fields and its address."""
    # public_dict() never holds ``credit`` (unmasked); credit_public is the masked record.
    data = {**item.public_dict(), "url": url}
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _copy_checked(attachment: Attachment, dest: Path) -> None:
    """Copy one attachment atomically, verifying its SHA-256; skip if already in place."""
    if (
        dest.is_file()
        and dest.stat().st_size == attachment.size
        and file_sha256(dest) == attachment.sha256
    ):
        return
    src = Path(attachment.source)
    digest = hashlib.sha256()
    with atomic_writer(dest) as out:
        try:
            with src.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
        except FileNotFoundError:
            raise PermanentError(f"附件《{attachment.title}》的源文件不存在：{src}") from None
        if digest.hexdigest() != attachment.sha256:
            raise PermanentError(
                f"附件《{attachment.title}》（{src}）在规范化之后被改动过：SHA-256 不符"
            )


# -- the catalogue and the search index ---------------------------------------------------


class Site:
    """The catalogue side of the static site, rebuilt as a whole from the published items.

    An entry is a :class:`~heze_hub.portal.listing.Listing` (or a whole item, which has the same
    fields); the search index is written from entries the caller streams, so that neither the
    items nor the whole index are ever held at once.
    """

    def __init__(
        self,
        root: Path,
        item_url: Callable[[str], str],
        checkpoint: str,
        rows: dict[tuple[str, str, int, str], str] | None = None,
    ) -> None:
        self.root = root
        self.item_url = item_url
        self.checkpoint = checkpoint
        # Rows rendered by the previous rebuild; a rebuild re-renders only new versions.
        self.rows = rows or {}
        self.rows_used: dict[tuple[str, str, int, str], str] = {}

    def write(self, path: str, text: str | bytes) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        atomic_write(self.root / path, data, only_if_changed=True)

    def write_catalogue(self, items: list[Any], search_entries: Iterable[str]) -> None:
        """目录 pages by category, topic and department, the index pages, search and checkpoint.

        ``items``: the entries, newest first; ``search_entries``: their search-index entries
        (JSON text), in the same order.
        """
        self.write("assets/site.css", template_text("site.css"))
        groups = self.groups(items)
        for kind, members in groups.items():
            written = set()
            for key, group_items in members.items():
                path = group_page_path(kind, key)
                written.add(posixpath.basename(path))
                label = CATEGORY_LABELS.get(key, key) if kind == "category" else key
                self.write(path, self.list_page(path, f"{GROUPS[kind]}：{label}", group_items))
            self._remove_stale(self.root / "xxgk" / kind, written)
        self.write("index.html", self.home("index.html", items))
        self.write("xxgk/index.html", self.overview("xxgk/index.html", items, groups))
        search = page("search.html", "政府信息检索", template_text("search_body.html"))
        self.write("search.html", search)
        index = self.root / "search-index.json"
        atomic_write_chunks(
            index, search_index_chunks(len(items), search_entries), only_if_changed=True
        )
        # The same index as a script: a page opened as a file (file://) may load a script
        # beside it but not fetch() a JSON file, so search works without a server too. Copied
        # from the file just written, so the index is never held whole.
        atomic_write_chunks(
            self.root / "search-index.js", search_index_script(index), only_if_changed=True
        )
        if self.checkpoint:
            self.write("checkpoint", self.checkpoint)

    @staticmethod
    def groups(items: list[Any]) -> dict[str, dict[str, list[Any]]]:
        out: dict[str, dict[str, list[Any]]] = {k: {} for k in GROUPS}
        for key in CATEGORY_LABELS:
            out["category"][key] = []
        for item in items:  # already newest first
            out["category"].setdefault(item.category, []).append(item)
            for topic in item.topics:
                out["topic"].setdefault(topic, []).append(item)
            out["department"].setdefault(item.department, []).append(item)
        return out

    @staticmethod
    def _remove_stale(folder: Path, keep: set[str]) -> None:
        """Catalogue pages of a topic or department no published item has any more."""
        if folder.is_dir():
            for old in folder.glob("*.html"):
                if old.name not in keep:
                    old.unlink(missing_ok=True)

    def footer(self, path: str) -> str:
        """The latest signed checkpoint, so anyone who saw it can later catch a rollback."""
        if not self.checkpoint:
            return "<p>本网站信息由政务公开发布平台自动生成。</p>"
        return (
            "<p>发布回执日志检查点（C2SP tlog-checkpoint 签名文本，用于核验发布回执；"
            f'另见 <a href="{href(path, "checkpoint")}">checkpoint</a> 文件）：</p>'
            f"<pre>{esc(self.checkpoint)}</pre>"
        )

    def table(self, path: str, items: list[Any]) -> str:
        if not items:
            return "<p>暂无信息。</p>"
        rows = "".join(self.row(path, i) for i in items)
        return (
            '<table class="list"><thead><tr><th>索引号</th><th>标题</th><th>发布机构</th>'
            f"<th>文号</th><th>成文日期</th><th>发布日期</th></tr></thead><tbody>{rows}</tbody>"
            "</table>"
        )

    def row(self, path: str, i: Any) -> str:
        stored = getattr(i, "row", None)
        if stored is not None and path.count("/") == LIST_PAGE_DEPTH_PATH.count("/"):
            return str(stored)  # rendered for a list page when the listing was made
        key = (path.count("/") * "../", i.index_no, i.version, i.content_sha256)
        row = self.rows.get(key) or self.rows_used.get(key)
        if row is None:
            row = row_html(path, i)
        self.rows_used[key] = row
        return row

    def list_page(self, path: str, title: str, items: list[Any]) -> str:
        content = (
            f'<nav class="crumbs"><a href="{href(path, "index.html")}">首页</a> › '
            f'<a href="{href(path, "xxgk/index.html")}">信息公开目录</a></nav>'
            f"<h1>{esc(title)}</h1><p>共 {len(items)} 条</p>{self.table(path, items)}"
        )
        return page(path, title, content, self.footer(path))

    def home(self, path: str, items: list[Any]) -> str:
        """首页: whose site it is, a search box, the latest items, the ways in (catalogue,
        feeds); the 信息公开目录 is its own page."""
        brand = pages.BRAND
        feeds = (
            "".join(f'<li><a href="{href(path, name)}">{label} 订阅源</a>（{name}）</li>'
                    for name, label, _ in pages.FEEDS) if brand.feeds else ""
        )
        content = "\n".join([
            f"<h1>{esc(brand.site_name)}</h1>",
            f'<form class="search" action="{href(path, "search.html")}" method="get">'
            '<label for="home-q">检索政府信息</label> '
            '<input id="home-q" name="q" type="search" placeholder="标题、文号、索引号或关键词">'
            ' <button type="submit">检索</button></form>',
            '<ul class="ways">'
            f'<li><a href="{href(path, "xxgk/index.html")}">信息公开目录</a>'
            f"（按公开类别、主题、发布机构浏览，共 {len(items)} 条）</li>{feeds}</ul>",
            "<h2>最新公开</h2>",
            self.table(path, items[:20]),
        ])
        return page(path, brand.site_name, content, self.footer(path))

    def overview(self, path: str, items: list[Any], groups: dict[str, Any]) -> str:
        def group_list(kind: str, ordered: list[str]) -> str:
            entries = "".join(
                f'<li><a href="{href(path, group_page_path(kind, key))}">'
                f"{esc(CATEGORY_LABELS.get(key, key) if kind == 'category' else key)}</a>"
                f"（{len(groups[kind][key])}）</li>"
                for key in ordered
            )
            return f'<h2>按{GROUPS[kind]}</h2><ul class="groups">{entries}</ul>'

        def by_size(kind: str) -> list[str]:
            return sorted(groups[kind], key=lambda k: (-len(groups[kind][k]), k))

        content = "\n".join([
            f'<nav class="crumbs"><a href="{href(path, "index.html")}">首页</a>'
            " › 信息公开目录</nav>",
            "<h1>信息公开目录</h1>",
            f"<p>已主动公开政府信息 {len(items)} 条。"
            f'<a href="{href(path, "search.html")}">检索</a> · '
            f'<a href="{href(path, "search-index.json")}">检索索引（JSON）</a></p>',
            group_list("category", list(CATEGORY_LABELS)),
            group_list("topic", by_size("topic")),
            group_list("department", by_size("department")),
            "<h2>最新公开</h2>",
            self.table(path, items[:30]),
        ])
        return page(path, "信息公开目录", content, self.footer(path))



def search_index_chunks(count: int, entries: Iterable[str]) -> Iterator[bytes]:
    """``search-index.json`` piece by piece: what the search page (or anyone) needs to find an
    item without a server. Byte for byte ``json.dumps({"count": …, "items": […]})`` + newline
    (compact, non-ASCII unescaped), without ever holding every entry."""
    yield f'{{"count":{count},"items":['.encode()
    for n, entry in enumerate(entries):
        yield (entry if n == 0 else "," + entry).encode("utf-8")
    yield b"]}\n"


def search_index_script(index: Path) -> Iterator[bytes]:
    """``search-index.js`` from ``search-index.json``: ``window.HUB_SEARCH_INDEX = …;``."""
    yield b"window.HUB_SEARCH_INDEX = "
    with index.open("rb") as f:
        held = b""
        for block in iter(lambda: f.read(1 << 20), b""):
            if held:
                yield held
            held = block
    # The JSON ends in a newline, which the script does not have before its semicolon.
    yield held.rstrip()
    yield b";\n"
