"""Markdown body → sanitized HTML and plain text, and the summary rules (DESIGN §1, §3).

The body is rendered once per item version; every channel receives the same HTML and text.
markdown-it-py renders CommonMark with tables and strikethrough, with raw HTML *off* (an author's
``<script>`` shows up as text), and nh3 (ammonia) then enforces an allow-list anyway, so a bug or
a future option in the renderer cannot open a hole.

The work one body may ask for is bounded, and a body past a bound is refused rather than
rendered slowly, cut or silently shortened (:func:`body_problem`; the loader checks it, and
:func:`render_markdown` checks it again on what it renders):

- :data:`MAX_BODY_CHARS` characters (200,000: about ten long policy documents; a few seconds of
  rendering in the worst case, where a 20,000-column table took 40 s and made a 20 MB feed entry);
- :data:`MAX_TABLE_COLUMNS` columns per table and :data:`MAX_TABLE_CELLS` cells in all tables of
  the body (each cell costs the parser tens of microseconds, and a short row is padded to the
  header's width, so a few kilobytes of ``|`` can ask for millions of cells); larger tables
  belong in an attachment (a spreadsheet);
- :data:`MAX_BODY_DEPTH` block quotes and lists nested in each other. markdown-it stops parsing
  at 20 nested blocks and *drops* the rest of the body without a word; the bound is below that
  (a list costs the parser two levels), so nothing an author wrote can vanish.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from heze_hub.errors import InputError

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "MAX_BODY_CHARS",
    "MAX_BODY_DEPTH",
    "MAX_TABLE_CELLS",
    "MAX_TABLE_COLUMNS",
    "SUMMARY_LIMIT",
    "RenderedBody",
    "body_problem",
    "derive_summary",
    "render_markdown",
    "sanitize_html",
    "summary_problem",
]

SUMMARY_LIMIT = 100

#: Characters a Markdown body may have (see the module docstring for all four bounds).
MAX_BODY_CHARS = 200_000
#: Columns one table may have.
MAX_TABLE_COLUMNS = 100
#: Cells (header cells included) all tables of one body may have together.
MAX_TABLE_CELLS = 20_000
#: Block quotes and lists nested in each other.
MAX_BODY_DEPTH = 8
_CONTAINERS = frozenset({"blockquote_open", "bullet_list_open", "ordered_list_open"})
_CONTAINER_ENDS = frozenset({"blockquote_close", "bullet_list_close", "ordered_list_close"})

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
        "table", "thead", "tbody", "tr", "th", "td", "strong", "em", "del",
        "blockquote", "code", "pre", "a", "img", "hr",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt"},
    "ol": {"start"},
}
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_IMAGE_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class RenderedBody:
    """The body rendered once: sanitized HTML for pages and feeds, plain text for everything else
    (search index, summaries, Weibo, WeChat digests)."""

    html: str
    text: str


@functools.cache
def _md() -> MarkdownIt:
    # Built once: setting up the rule chains costs more than parsing a typical body. parse() and
    # render() keep their state in per-call objects, so one instance serves every thread.
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # markdown-it-py writes strikethrough as <s>; <del> is the element the allow-list names.
    md.add_render_rule("s_open", lambda *_: "<del>")
    md.add_render_rule("s_close", lambda *_: "</del>")
    return md


@functools.cache
def _block_md() -> MarkdownIt:
    # The same dialect without inline parsing: tables and nesting are block structure, and the
    # block pass alone costs about half of a full render.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).disable(
        "inline"
    )


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    # Absolute URLs only: relative links would point nowhere once the item is on WeChat or in
    # a feed, and anything but these schemes (javascript:, data:, vbscript:, file:) is refused.
    if tag == "a" and attr == "href":
        return value if value.strip().lower().startswith(_LINK_SCHEMES) else None
    if tag == "img" and attr == "src":
        return value if value.strip().lower().startswith(_IMAGE_SCHEMES) else None
    if tag == "ol" and attr == "start":
        return value if value.isdigit() else None
    return value


def sanitize_html(html: str) -> str:
    """Reduce HTML to the allow-list: no scripts, frames, styles, event handlers, or URLs other
    than http/https (and mailto for links); links get ``rel="noopener noreferrer"``."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# --- plain text ----------------------------------------------------------------------------------
def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content or "")  # the alt text
    return "".join(parts)


def _plain_text(tokens: list[Token]) -> str:
    """Blocks separated by a blank line; list items one per line (ordered ones numbered);
    table rows one per line with cells separated by a tab."""
    blocks: list[str] = []
    list_stack: list[list[int] | None] = []  # [next number] for ordered lists, None for bullets
    row: list[str] | None = None
    rows: list[str] = []
    items: list[str] = []
    item_prefix = ""

    for tok in tokens:
        t = tok.type
        if t == "bullet_list_open":
            list_stack.append(None)
        elif t == "ordered_list_open":
            list_stack.append([int(tok.attrGet("start") or 1)])
        elif t in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
            if not list_stack and items:
                blocks.append("\n".join(items))
                items = []
        elif t == "list_item_open":
            counter = list_stack[-1] if list_stack else None
            indent = "  " * (len(list_stack) - 1)
            if counter is not None:
                item_prefix = f"{indent}{counter[0]}. "
                counter[0] += 1
            else:
                item_prefix = indent
        elif t == "table_open":
            rows = []
        elif t == "tr_open":
            row = []
        elif t == "tr_close":
            if row is not None:
                rows.append("\t".join(row))
            row = None
        elif t == "table_close":
            blocks.append("\n".join(rows))
        elif t == "inline":
            content = _inline_text(tok).strip()
            if row is not None:
                row.append(content.replace("\n", " "))
            elif list_stack:
                items.append(item_prefix + content)
                item_prefix = "  " * len(list_stack)
            elif content:
                blocks.append(content)
        elif t in ("fence", "code_block"):
            code = tok.content.rstrip("\n")
            if list_stack:
                items.append(code)
            elif code:
                blocks.append(code)
    return "\n\n".join(b for b in blocks if b.strip())


# --- bounds --------------------------------------------------------------------------------------
def body_problem(md: str) -> str | None:
    """Why the Markdown body ``md`` is past the bounds of the module docstring, in Chinese and
    naming the bound, or ``None`` when it is within them. Costs one block-level parse."""
    if len(md) > MAX_BODY_CHARS:
        return (
            f"正文过长：{len(md)} 字，最多 {MAX_BODY_CHARS} 字；"
            "更长的内容请作为附件（attachments）提供"
        )
    return _tokens_problem(_block_md().parse(md))


def _tokens_problem(tokens: list[Token]) -> str | None:
    depth = cells = 0
    table_line = columns = None
    for tok in tokens:
        t = tok.type
        if t in _CONTAINERS:
            depth += 1
            if depth > MAX_BODY_DEPTH:
                return (
                    f"正文第 {_line(tok)} 行：引用（>）和列表嵌套超过 {MAX_BODY_DEPTH} 层；"
                    "请减少嵌套层数"
                )
        elif t in _CONTAINER_ENDS:
            depth -= 1
        elif t == "table_open":
            table_line, columns = _line(tok), 0
        elif t == "th_open":
            columns = (columns or 0) + 1
            if columns > MAX_TABLE_COLUMNS:
                return (
                    f"正文第 {table_line} 行的表格超过 {MAX_TABLE_COLUMNS} 列；"
                    "更宽的表格请作为附件（如电子表格）提供"
                )
        if t in ("th_open", "td_open"):
            cells += 1
            if cells > MAX_TABLE_CELLS:
                return (
                    f"正文中的表格共超过 {MAX_TABLE_CELLS} 个单元格（至第 {table_line} 行的表格；"
                    "缺列的行按表头列数补齐计算）；更大的表格请作为附件（如电子表格）提供"
                )
    return None


def _line(tok: Token) -> int:
    return tok.map[0] + 1 if tok.map else 1


def render_markdown(md: str) -> RenderedBody:
    """Render a Markdown body (CommonMark + tables + strikethrough, raw HTML shown as text) to
    sanitized HTML and to plain text. Mask personal data *before* calling this.

    :raises InputError: (field ``body``) if the body is past the bounds of the module docstring.
    """
    md = md or ""
    # Masking and redaction may lengthen a body that passed the loader's check a little
    # (``×××`` for a one-character name), hence the slack on this second check.
    problem = (
        f"正文过长：{len(md)} 字，最多 {MAX_BODY_CHARS} 字"
        if len(md) > 2 * MAX_BODY_CHARS
        else None
    )
    parser = _md()
    tokens = [] if problem else parser.parse(md)
    problem = problem or _tokens_problem(tokens)
    if problem:
        raise InputError(f"字段 body（正文）：{problem}", field="body")
    html = sanitize_html(parser.renderer.render(tokens, parser.options, {}))
    return RenderedBody(html=html, text=_plain_text(tokens))


# --- summaries -----------------------------------------------------------------------------------
_SENTENCE_END = "。！？!?；;"
_SENTENCE_RE = re.compile(rf"[^{_SENTENCE_END}]*(?:[{_SENTENCE_END}]+[”’」』）)]*|$)")
_SALUTATION_ENDINGS = (
    "部门", "单位", "政府", "委员会", "管委会", "代表", "委员", "同志", "局", "办", "各位",
)


def _squash(s: str) -> str:
    """Text without punctuation, symbols and whitespace: what "the same words" compares."""
    return "".join(c for c in s if unicodedata.category(c)[0] not in "PSZC")


def _is_salutation(par: str) -> bool:
    if not par.endswith(("：", ":")) or "如下" in par or "。" in par:
        return False
    head = par.rstrip("：:").strip()
    return head.startswith("各") or head.endswith(_SALUTATION_ENDINGS)


def _is_prose(par: str) -> bool:
    return "\t" not in par and any(c in par for c in "。！？；，：,…")


def _cut(s: str, limit: int) -> str:
    """Cut ``s`` to at most ``limit`` characters including a final "…", at a clause boundary
    where one is reasonably close."""
    room = limit - 1
    head = s[:room]
    cut = max(head.rfind(c) for c in "，、：；,;")
    if cut >= room // 2:
        head = head[:cut]
    return head.rstrip("，、：；,; ") + "…"


def derive_summary(text: str, title: str, limit: int = SUMMARY_LIMIT) -> str:
    """A summary from the plain-text body: its first sentence(s), at most ``limit`` characters,
    ending at a sentence boundary where possible (``…`` when a sentence had to be cut).

    Addressee lines (``各县区人民政府，…，市政府各部门：``), headings and tables are skipped,
    and a candidate that merely repeats the title is never returned. Returns ``""`` when the
    body gives nothing usable; the caller then asks the author for a summary.
    """
    paragraphs = [re.sub(r"\s*\n\s*", "", p).strip() for p in re.split(r"\n\s*\n", text or "")]
    paragraphs = [p for p in paragraphs if p]
    start = None
    for i, par in enumerate(paragraphs):
        if _is_salutation(par) or not _is_prose(par):
            continue
        if _squash(par) and _squash(par) != _squash(title):
            start = i
            break
    if start is None:
        return ""

    # Whole sentences of the first prose paragraph; a following paragraph only when the first
    # closed a sentence and the next fits in whole, so a summary never stops mid-paragraph.
    summary = ""
    for sentence in (s for s in _SENTENCE_RE.findall(paragraphs[start]) if s):
        if len(summary) + len(sentence) > limit:
            if not summary:
                summary = _cut(sentence, limit)
            return _finish(summary, title)
        summary += sentence
    for par in paragraphs[start + 1 :]:
        if (
            not summary.endswith(tuple("。！？!?…"))
            or not _is_prose(par)
            or _is_salutation(par)
            or len(summary) + len(par) > limit
        ):
            break
        summary += par
    return _finish(summary, title)


def _finish(summary: str, title: str) -> str:
    summary = summary.strip()
    # A colon at the end announces a table or a list that the summary does not carry.
    if summary.endswith(("：", ":")):
        summary = summary[:-1] + "。"
    return "" if summary_problem(summary, title) else summary


def summary_problem(summary: str, title: str) -> str | None:
    """The DESIGN §1 rule for 内容概述: at most 100 characters and not merely the title.

    "Merely the title" means: the same characters once punctuation and whitespace are ignored,
    a fragment of the title, or the title with fewer than 10 other characters around it
    (``公布`` + title). Returns a Chinese message, or None when the summary is acceptable.
    """
    if summary is None or not summary.strip():
        return "内容概述不能为空"
    n = len(summary)
    if n > SUMMARY_LIMIT:
        return f"内容概述最多 {SUMMARY_LIMIT} 字，现为 {n} 字"
    s, t = _squash(summary), _squash(title)
    if not s:
        return "内容概述不能只有标点符号"
    if not t:
        return None
    if s == t:
        return "内容概述不能只重复标题"
    if s in t:
        return "内容概述不能只是标题的一部分，请概述正文内容"
    if t in s and len(s) - len(t) < 10:
        return "内容概述不能只重复标题，请概述正文内容"
    return None
