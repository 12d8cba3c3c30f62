"""WeChat's article from a normalized item: the limits of a draft and the HTML it takes.

The title, author and digest are cut to WeChat's limits at a sentence or word boundary; the
portal's sanitized body gets a note on its attachments and is shortened, if it must be, to a
well-formed prefix with a "阅读全文" link (:func:`truncate_html`).
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from heze_hub.plugin import (
    ELLIPSIS,
    SENTENCE_ENDS,
    TRAILING_PUNCT,
    NormalizedItem,
    last_boundary,
    post_title,
    safe_cut,
    shorten,
)

# Limits of one draft article (§5.3): title ≤ 32, author ≤ 16, digest ≤ 128 characters, content
# fewer than 20,000 characters.
TITLE_MAX = 32
AUTHOR_MAX = 16
DIGEST_MAX = 128
CONTENT_MAX = 19_999


def draft_article(
    item: NormalizedItem, *, url: str, author: str | None, thumb_media_id: str,
) -> dict[str, Any]:
    """One article of a ``draft/add`` body; ``author`` falls back to the item's department."""
    return {
        "title": shorten(post_title(item), TITLE_MAX),
        "author": shorten(author or item.department, AUTHOR_MAX),
        "digest": shorten(item.summary, DIGEST_MAX),
        "content": article_content(item, url),
        "content_source_url": url,
        "thumb_media_id": thumb_media_id,
        "need_open_comment": 0,
        "only_fans_can_comment": 0,
    }


def article_content(item: NormalizedItem, url: str) -> str:
    """The article HTML: the sanitized body, an attachments note, shortened to WeChat's limit."""
    content = item.body_html
    if post_title(item) != item.title:  # a 【更正】 post says what it corrects
        note = html.escape(item.correction or "")
        content = f"<p><strong>更正说明</strong>：{note}</p>" + content
    if item.attachments:
        names = "、".join(f"《{a.title}》" for a in item.attachments)
        content += (
            f"<p>附件：{html.escape(names)}，请点击“阅读原文”到政府门户网站查看下载。</p>"
        )
    return truncate_html(content, CONTENT_MAX, read_more_url=url)


_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
     "blockquote", "pre", "section", "hr"}
)


class _Tokens(HTMLParser):
    """Splits HTML into (kind, tag, source) tokens; entities stay whole, comments are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        kind = "void" if tag in _VOID_TAGS else "start"
        self.tokens.append((kind, tag, self.get_starttag_text() or f"<{tag}>"))

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        self.tokens.append(("void", tag, self.get_starttag_text() or f"<{tag}/>"))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag, f"</{tag}>"))

    def handle_data(self, data: str) -> None:
        self.tokens.append(("text", "", data))

    def handle_entityref(self, name: str) -> None:
        self.tokens.append(("entity", "", f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.tokens.append(("entity", "", f"&#{name};"))


def _closing(stack: list[str]) -> str:
    return "".join(f"</{tag}>" for tag in reversed(stack))


def truncate_html(source: str, limit: int, *, read_more_url: str) -> str:
    """``source`` if it has at most ``limit`` characters, else a shortened, well-formed prefix.

    The cut falls at the last sentence end that fits, else at the end of the last paragraph or
    block (if that keeps at least half the room), else between two characters of the text; tags
    left open are closed, and a "…" and a "阅读全文" link to ``read_more_url`` follow.
    """
    if len(source) <= limit:
        return source
    link = f'<p><a href="{html.escape(read_more_url)}">阅读全文</a></p>'
    budget = limit - len(link) - len(f"<p>{ELLIPSIS}</p>")
    parser = _Tokens()
    parser.feed(source)
    parser.close()

    out: list[str] = []
    size = 0
    stack: list[str] = []
    last_block: tuple[int, int, list[str]] | None = None  # (tokens, size, stack) after a block
    cut_in_text = False
    for kind, tag, raw in parser.tokens:
        after = stack
        if kind == "start":
            after = [*stack, tag]
        elif kind == "end":
            if tag not in stack:
                continue  # a stray end tag
            after = stack[: len(stack) - 1 - stack[::-1].index(tag)]
        if size + len(raw) + len(_closing(after)) <= budget:
            out.append(raw)
            size += len(raw)
            stack = after
            if (kind == "end" and tag in _BLOCK_TAGS) or (kind == "void" and tag == "hr"):
                last_block = (len(out), size, list(stack))
            continue
        if kind == "text":
            room = budget - size - len(_closing(stack)) - len(ELLIPSIS)
            end = last_boundary(raw, room, SENTENCE_ENDS) if room > 0 else None
            if end is None and last_block is not None and last_block[1] >= budget // 2:
                del out[last_block[0]:]
                stack = last_block[2]
            elif room > 0:
                kept = raw[: end or safe_cut(raw, room)].rstrip(TRAILING_PUNCT)
                out.append(kept + ELLIPSIS)
                cut_in_text = True
        break
    tail = link if cut_in_text else f"<p>{ELLIPSIS}</p>{link}"
    return "".join(out) + _closing(stack) + tail
