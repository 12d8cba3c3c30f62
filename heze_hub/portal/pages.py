"""Pages of the portal's static site: where each page lives, what it links to, its HTML.

- Layout. An item's page is ``xxgk/{index_no}.html`` (the address ``HubInfo.item_url`` gives),
  its JSON ``xxgk/{index_no}.json``, its attachments ``xxgk/{index_no}/``; the 信息公开目录 has
  one page per category (五公开), topic and department under ``xxgk/{kind}/``.
- Links. A policy and its interpretations link to each other (:func:`policy_of`,
  :func:`interpretations_of`); every link is relative and goes through the site root, so the
  folder works wherever it is served and a link depends only on the depth of its page.
- HTML. :func:`page` fills ``templates/base.html``; :func:`render_item_page` is the page a
  person reads, with the standard metadata header (索引号, 主题分类, 发布机构, 成文日期, 文号,
  发布日期, 体裁, 公开类别).

:mod:`heze_hub.portal.site` writes these pages, the catalogue and the search index.
"""

from __future__ import annotations

import hashlib
import html
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import PurePosixPath
from urllib.parse import quote

import nh3

from heze_hub.errors import PermanentError
from heze_hub.items.model import CATEGORY_LABELS, KIND_LABELS, Attachment, NormalizedItem
from heze_hub.items.normalize import to_shanghai
from heze_hub.portal import drafts

_INDEX_SEGMENT = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")


# -- layout ----------------------------------------------------------------------------------


def item_page_path(index_no: str) -> str:
    """Path of an item's page under the site root; it matches ``HubInfo.item_url``."""
    return f"xxgk/{index_no}.html"


def item_json_path(index_no: str) -> str:
    return f"xxgk/{index_no}.json"


def attachment_dir(index_no: str) -> str:
    return f"xxgk/{index_no}"


def checked_page_path(index_no: str) -> str:
    """The page path, refusing an index number that could escape the site folder."""
    segments = index_no.split("/")
    if not all(_INDEX_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments):
        raise PermanentError(f"索引号不能用作页面路径：{index_no!r}")
    return item_page_path(index_no)


def _slug(name: str) -> str:
    """An ASCII file name for a topic or department, stable across runs."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


GROUPS = {
    "category": "公开类别",
    "topic": "主题分类",
    "department": "发布机构",
}


def group_page_path(kind: str, key: str) -> str:
    """Catalogue page of one category (its key), topic or department (its name)."""
    return f"xxgk/{kind}/{key if kind == 'category' else _slug(key)}.html"


def attachment_names(item: NormalizedItem) -> list[tuple[str, Attachment]]:
    """Safe, unique file names for the attachments of ``item``."""
    used: set[str] = set()
    names = []
    for n, attachment in enumerate(item.attachments, start=1):
        name = PurePosixPath(attachment.name.replace("\\", "/")).name.strip()
        if not name or name.startswith("."):
            name = f"attachment-{n}{name}"
        if name in used:
            name = f"{n}-{name}"
        used.add(name)
        names.append((name, attachment))
    return names


# -- policy ⇄ interpretation ------------------------------------------------------------------


def policy_of(item: NormalizedItem, known: Iterable[NormalizedItem]) -> NormalizedItem | None:
    """The item an interpretation explains: ``interprets`` is an index_no or a doc number."""
    if not item.interprets:
        return None
    matches = [
        k for k in known
        if k.index_no != item.index_no
        and item.interprets in (k.index_no, k.doc_number)
    ]
    # An exact index number wins; among doc-number matches prefer a policy document.
    matches.sort(key=lambda k: (k.index_no != item.interprets, k.kind != "policy"))
    return matches[0] if matches else None


def interpretations_of(
    item: NormalizedItem, known: Iterable[NormalizedItem]
) -> list[NormalizedItem]:
    """Interpretations naming ``item`` by index number or document number, oldest first."""
    keys = {item.index_no, item.doc_number} - {None}
    found = [k for k in known if k.interprets in keys and k.index_no != item.index_no]
    return sorted(found, key=lambda k: (k.published_at, k.index_no))


# -- HTML ------------------------------------------------------------------------------------


_BASE = string.Template(
    resources.files("heze_hub.portal").joinpath("templates/base.html").read_text(encoding="utf-8")
)


def template_text(name: str) -> str:
    folder = resources.files("heze_hub.portal").joinpath("templates")
    return folder.joinpath(name).read_text(encoding="utf-8")


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def href(from_page: str, to_path: str) -> str:
    """Relative, percent-encoded link between two site paths, so the site works anywhere.

    Always via the site root (``../../xxgk/…``): a link then depends only on the depth of the
    page it is on, which lets catalogue rows be rendered once and reused.
    """
    return esc(quote("../" * from_page.count("/") + to_path, safe="/"))


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_shanghai(value).date()
    return value.isoformat()


def fmt_datetime(value: datetime) -> str:
    return to_shanghai(value).strftime("%Y-%m-%d %H:%M")


def fmt_size(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def posting_period(item: NormalizedItem) -> tuple[date, date] | None:
    """公示期 of an announcement: from its publication day, ``posting_days`` calendar days."""
    if item.kind != "announcement" or not item.posting_days:
        return None
    start = to_shanghai(item.published_at).date()
    return start, start + timedelta(days=item.posting_days - 1)


@dataclass(frozen=True)
class Brand:
    """Whose site it is: the organisation (``[hub] name``), its 政府网站标识码 (``[hub]
    site_code``), and whether the RSS/Atom feeds are written beside the pages."""

    name: str = ""
    site_code: str = ""
    feeds: bool = True

    @property
    def site_name(self) -> str:
        """The site's name in its header: 菏泽市人民政府 政府信息公开."""
        return f"{self.name} 政府信息公开" if self.name else "政府信息公开"


#: The brand of the pages this process writes; set once by the portal channel from the hub's
#: settings (one hub per process: every portal channel of it belongs to the same organisation).
BRAND = Brand()


def set_brand(brand: Brand) -> None:
    """Name the organisation on every page written from now on."""
    global BRAND
    BRAND = brand


#: The feeds the rss channel writes at the site root (its default output_dir is the portal's).
FEEDS = (("feed.xml", "RSS", "application/rss+xml"), ("atom.xml", "Atom", "application/atom+xml"))


def page(path: str, title: str, content: str, footer: str = "", head: str = "") -> str:
    """A whole page at site path ``path``, named for the organisation it belongs to."""
    brand = BRAND
    owner = [f"主办：{esc(brand.name)}"] if brand.name else []
    if brand.site_code:
        owner.append(f"政府网站标识码：{esc(brand.site_code)}")
    feed_links = feed_nav = ""
    if brand.feeds:
        feed_links = "\n".join(
            f'<link rel="alternate" type="{kind}" title="{esc(brand.site_name)}（{label}）" '
            f'href="{href(path, name)}">' for name, label, kind in FEEDS)
        feed_nav = "".join(f'<a href="{href(path, name)}">{label} 订阅</a>'
                           for name, label, _ in FEEDS)
    return _BASE.substitute(
        title=esc(f"{title} - {brand.site_name}" if title != brand.site_name else title),
        brand=esc(brand.site_name),
        css_href=href(path, "assets/site.css"),
        home_href=href(path, "index.html"),
        catalogue_href=href(path, "xxgk/index.html"),
        search_href=href(path, "search.html"),
        feed_links=feed_links,
        feed_nav=feed_nav,
        head=head,
        content=content,
        footer=footer or "<p>本网站信息由政务公开发布平台自动生成。</p>",
        owner=" · ".join(owner),
    )


def item_link(from_page: str, item: NormalizedItem) -> str:
    return f'<a href="{href(from_page, item_page_path(item.index_no))}">{esc(item.title)}</a>'


def render_item_page(item: NormalizedItem, known: list[NormalizedItem]) -> str:
    """The page a person reads: metadata header, body, attachments, related items."""
    from heze_hub.portal.lifecycle import lifecycle_notes  # it renders with this module

    path = item_page_path(item.index_no)
    topics = "、".join(
        f'<a href="{href(path, group_page_path("topic", t))}">{esc(t)}</a>' for t in item.topics
    ) or "—"
    department = (
        f'<a href="{href(path, group_page_path("department", item.department))}">'
        f"{esc(item.department)}</a>"
    )
    category_label = CATEGORY_LABELS.get(item.category, item.category)
    category = (
        f'<a href="{href(path, group_page_path("category", item.category))}">'
        f"{esc(category_label)}</a>"
    )
    parts = [
        f'<nav class="crumbs"><a href="{href(path, "index.html")}">首页</a> › '
        f'<a href="{href(path, "xxgk/index.html")}">信息公开目录</a> › {category}</nav>',
        '<table class="meta">',
        f'<tr><th>索引号</th><td class="nw">{esc(item.index_no)}</td>'
        f"<th>主题分类</th><td>{topics}</td></tr>",
        f"<tr><th>发布机构</th><td>{department}</td>"
        f'<th>成文日期</th><td class="nw">{esc(fmt_date(item.written_on))}</td></tr>',
        f"<tr><th>文号</th><td>{esc(item.doc_number or '无')}</td>"
        f'<th>发布日期</th><td class="nw">{esc(fmt_datetime(item.published_at))}</td></tr>',
        f"<tr><th>体裁</th><td>{esc(KIND_LABELS.get(item.kind, item.kind))}</td>"
        f"<th>公开类别</th><td>{category}</td></tr>",
        f'<tr><th>标题</th><td colspan="3">{esc(item.title)}</td></tr>',
        "</table>",
        f"<h1>{esc(item.title)}</h1>",
        *lifecycle_notes(item, known),
    ]
    if item.summary:
        parts.append(f'<p class="summary">内容概述：{esc(item.summary)}</p>')
    period = posting_period(item)
    if period:
        parts.append(
            f'<p class="posting">公示期：<span class="nw">{fmt_date(period[0])}</span> 至 '
            f'<span class="nw">{fmt_date(period[1])}</span>（{item.posting_days}天，'
            "自发布之日起计算）</p>"
        )
    parts.extend(drafts.sections(item, known, lambda other: item_link(path, other)))
    if item.interprets:
        policy = policy_of(item, known)
        target = (
            f"{item_link(path, policy)}"
            + (f"（{esc(policy.doc_number)}）" if policy.doc_number else "")
            if policy
            else f"{esc(item.interprets)}（尚未在本网站发布）"
        )
        parts.append(
            f'<section class="interprets"><h2>解读的政策文件</h2><p>{target}</p></section>'
        )
    # The core sanitized body_html already; cleaning again costs little on a public page.
    parts.append(f'<div class="body">{nh3.clean(item.body_html)}</div>')
    if item.credit_public:
        label = KIND_LABELS.get(str(item.credit_public.get("type")), "")
        rows = "".join(
            f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
            for k, v in item.credit_public.items()
            if k != "type" and v not in (None, "")
        )
        parts.append(
            f'<section class="credit"><h2>双公示信息{"（" + esc(label) + "）" if label else ""}'
            f"</h2><table>{rows}</table></section>"
        )
    if item.attachments:
        rows = "".join(
            f'<li><a href="{href(path, attachment_dir(item.index_no) + "/" + name)}">'
            f"{esc(a.title)}</a>（{esc(name)}，{esc(fmt_size(a.size))}）"
            f'<br><span class="hash">SHA-256：{esc(a.sha256)}</span></li>'
            for name, a in attachment_names(item)
        )
        parts.append(f'<section class="attachments"><h2>附件</h2><ul>{rows}</ul></section>')
    interpretations = interpretations_of(item, known)
    if interpretations:
        rows = "".join(f"<li>{item_link(path, i)}</li>" for i in interpretations)
        parts.append(f'<section class="interpretations"><h2>政策解读</h2><ul>{rows}</ul></section>')
    parts.append(
        f'<p class="version">第 {item.version} 版 · 内容 SHA-256：{esc(item.content_sha256)} · '
        f'<a href="{href(path, item_json_path(item.index_no))}">JSON</a></p>'
    )
    # The page metadata government websites carry for search engines and site audits.
    head = "\n".join(
        f'<meta name="{name}" content="{esc(value)}">'
        for name, value in (
            ("SiteName", BRAND.site_name),
            ("SiteIDCode", BRAND.site_code),
            ("ColumnName", "政府信息公开"),
            ("ArticleTitle", item.title),
            ("PubDate", fmt_datetime(item.published_at)),
            ("ContentSource", item.department),
            ("Keywords", ",".join(item.topics)),
            ("Description", item.summary),
        )
    )
    return page(path, item.title, "\n".join(parts), head=head)


