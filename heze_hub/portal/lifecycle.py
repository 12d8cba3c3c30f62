"""The portal's marks of an item's life (DESIGN §12): the 更正 note, 已废止 with a link to the
repealing item, 已失效, and the notice that replaces a withdrawn item's page at the same URL."""

from __future__ import annotations

from datetime import datetime

from heze_hub.items.lifecycle import standing
from heze_hub.items.model import NormalizedItem
from heze_hub.portal.pages import esc, fmt_date, href, item_link, item_page_path, page

__all__ = ["lifecycle_notes", "render_withdrawn_page"]


def lifecycle_notes(item: NormalizedItem, known: list[NormalizedItem]) -> list[str]:
    """HTML paragraphs shown under an item's title: its correction, repeal or expiry."""
    path = item_page_path(item.index_no)
    s = standing(item, known)
    parts = []
    if s.label == "已废止":
        links = "、".join(item_link(path, r) for r in s.repealed_by)
        parts.append(f'<p class="standing repealed"><strong>已废止</strong>：'
                     f"本文件已被{links}废止。</p>")
    elif s.label == "已失效":
        parts.append(f'<p class="standing expired"><strong>已失效</strong>：本文件有效期至 '
                     f"{esc(fmt_date(item.valid_until))}，已失效。</p>")
    elif item.valid_until is not None:
        parts.append(f'<p class="standing">有效期至 {esc(fmt_date(item.valid_until))}</p>')
    if s.correction:
        day = esc(fmt_date(s.corrected_on))
        parts.append(f'<p class="correction"><strong>更正说明</strong>（{day}）：'
                     f"{esc(s.correction)}</p>")
    return parts


def render_withdrawn_page(item: NormalizedItem, reason: str, when: datetime) -> str:
    """The notice at a withdrawn item's URL: what was withdrawn, when and why; no content."""
    path = item_page_path(item.index_no)
    content = "\n".join([
        f'<nav class="crumbs"><a href="{href(path, "index.html")}">首页</a> › '
        f'<a href="{href(path, "xxgk/index.html")}">信息公开目录</a></nav>',
        f"<h1>{esc(item.title)}</h1>",
        f'<p class="standing withdrawn"><strong>本信息已于{esc(fmt_date(when))}撤回。</strong></p>',
        f'<p class="withdraw-reason">撤回原因：{esc(reason)}</p>',
        f'<table class="meta"><tr><th>索引号</th><td>{esc(item.index_no)}</td></tr>'
        f"<tr><th>发布机构</th><td>{esc(item.department)}</td></tr>"
        f"<tr><th>文号</th><td>{esc(item.doc_number or '无')}</td></tr></table>",
    ])
    head = '<meta name="robots" content="noindex">'
    return page(path, f"已撤回：{item.title}", content, head=head)
