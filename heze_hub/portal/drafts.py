"""Decision drafts on the portal (DESIGN §5.6): the comment period and how to comment on a
draft's page, and the links draft ↔ decision ↔ comment summary.

A decision and a comment summary name their draft with ``draft_of``; the draft's page lists both,
and each of them links back to the draft (and a summary to the decisions made on it).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

from heze_hub.items.model import NormalizedItem
from heze_hub.items.normalize import to_shanghai


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def draft_of(item: NormalizedItem, known: Iterable[NormalizedItem]) -> NormalizedItem | None:
    """The draft a decision or a comment summary names."""
    if not item.draft_of:
        return None
    return next((k for k in known if k.index_no == item.draft_of), None)


def followers(draft: NormalizedItem, known: Iterable[NormalizedItem]) -> list[NormalizedItem]:
    """Decisions and comment summaries naming ``draft``, oldest first."""
    found = [k for k in known if k.draft_of == draft.index_no and k.index_no != draft.index_no]
    return sorted(found, key=lambda k: (k.published_at, k.index_no))


def partners(item: NormalizedItem, known: list[NormalizedItem]) -> set[str]:
    """Index numbers whose pages link to ``item`` through a draft and so change with it."""
    draft = item if item.kind == "draft" else draft_of(item, known)
    if draft is None:
        return set()
    return {draft.index_no, *(f.index_no for f in followers(draft, known))} - {item.index_no}


def comment_address_html(address: str) -> str:
    """A mail address as a ``mailto:`` link, a web address as a link, anything else as text."""
    text = _esc(address)
    if "@" in address and " " not in address and "/" not in address:
        return f'<a href="mailto:{text}">{text}</a>'
    if address.startswith(("https://", "http://")):
        return f'<a href="{text}" rel="nofollow">{text}</a>'
    return text


def sections(
    item: NormalizedItem, known: list[NormalizedItem], link: Callable[[NormalizedItem], str]
) -> list[str]:
    """HTML sections of an item's page about its draft relations (empty for other items).

    ``link(item)`` is the page's own relative link to another item's page.
    """
    parts: list[str] = []
    if item.kind == "draft" and item.comment_until:
        start = to_shanghai(item.published_at).date()
        days = (item.comment_until - start).days
        parts.append(
            '<section class="comment"><h2>征求意见</h2>'
            f"<p>征求意见期：{start.isoformat()} 至 {item.comment_until.isoformat()}"
            f"（{days}天）</p>"
            f"<p>意见反馈方式：{comment_address_html(item.comment_address or '')}</p>"
            "<p>欢迎社会各界在征求意见期内提出意见建议，请注明姓名和联系方式以便沟通。</p>"
            "</section>"
        )
        follow = followers(item, known)
        decisions = [f for f in follow if f.kind != "comment_summary"]
        summaries = [f for f in follow if f.kind == "comment_summary"]
        if decisions:
            rows = "".join(f"<li>{link(f)}</li>" for f in decisions)
            parts.append(f'<section class="decision"><h2>最终决策</h2><ul>{rows}</ul></section>')
        if summaries:
            rows = "".join(f"<li>{link(f)}</li>" for f in summaries)
            parts.append(
                f'<section class="comment-summary"><h2>意见收集和采纳情况</h2><ul>{rows}</ul>'
                "</section>"
            )
    elif item.draft_of:
        draft = draft_of(item, known)
        target = link(draft) if draft else f"{_esc(item.draft_of)}（尚未在本网站发布）"
        parts.append(
            f'<section class="draft"><h2>征求意见稿</h2><p>{target}</p></section>'
        )
        if draft is not None:
            others = [f for f in followers(draft, known) if f.index_no != item.index_no]
            if others:
                rows = "".join(f"<li>{link(f)}</li>" for f in others)
                parts.append(
                    f'<section class="draft-related"><h2>相关信息</h2><ul>{rows}</ul></section>'
                )
    return parts
