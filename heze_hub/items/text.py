"""Text cleanup for titles and summaries, canonical document numbers (DESIGN §3), and shortening
text to a channel's length limit.

Source documents reach the hub through copy-and-paste from Word and PDF exports, which leaves
stray spaces between Chinese characters, half-width punctuation inside Chinese sentences and
broken document numbers such as ``国办发 2018 23 号`` (the seed itself is full of them). Everything
here is a pure function of its input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = [
    "CLAUSE_ENDS",
    "DOC_NUMBER_YEARS",
    "ELLIPSIS",
    "INDEX_NO_RE",
    "SENTENCE_ENDS",
    "TRAILING_PUNCT",
    "canonical_doc_number",
    "canonical_reference",
    "clean_text",
    "first_unclosed",
    "is_cjk",
    "last_boundary",
    "outside_urls",
    "safe_cut",
    "shorten",
]

#: Years a document number may carry: the People's Republic's documents only.
DOC_NUMBER_YEARS = range(1949, 2101)

#: ``PREFIX/YYYY-NNNNN``: the catalogue number of DESIGN §1.
INDEX_NO_RE = re.compile(r"^[0-9A-Za-z_-]+/\d{4}-\d{5}$")

_CJK = (
    r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"  # Han
)
_CJK_CHAR = f"[{_CJK}]"
# Full-width punctuation that closes or separates: no space before it.
_FW_CLOSE = "，。、；：？！）〕】》」』”’…—"
# Full-width punctuation that opens: no space after it.
_FW_OPEN = "（〔【《「『“‘"
_FW_PUNCT = _FW_CLOSE + _FW_OPEN

# A URL ends where Chinese text or full-width punctuation begins (``www.heze.gov.cn联系电话…``):
# nothing of the sentence after it is taken for part of the link.
_URL_END = "\\s<>\"'（）【】，。；：！？、“”\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_URL_RE = re.compile(rf"(?:(?:https?|ftp)://|www\.)[^{_URL_END}]+")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_DOC_OPEN = "[［【〔(（{｛"
_DOC_CLOSE = "]］】〕)）}｝"


def outside_urls(
    text: str, change: Callable[[str], str], in_urls: Callable[[str], str] | None = None
) -> str:
    """``text`` with ``change`` applied to each stretch between URLs; URLs stay exactly as they
    are (rewriting characters inside a link breaks it), or go through ``in_urls`` if given."""
    parts: list[str] = []
    pos = 0
    for m in _URL_RE.finditer(text):
        parts.append(change(text[pos : m.start()]))
        parts.append(in_urls(m.group(0)) if in_urls else m.group(0))
        pos = m.end()
    parts.append(change(text[pos:]))
    return "".join(parts)


def is_cjk(ch: str) -> bool:
    """True for a Han character (the "CJK" of the cleanup rules)."""
    return bool(re.match(_CJK_CHAR, ch))


def _is_cjkish(ch: str) -> bool:
    """A Han character or full-width Chinese punctuation: the context of a Chinese sentence."""
    return is_cjk(ch) or ch in _FW_PUNCT


def _halfwidth_alnum(s: str) -> str:
    """Full-width digits and Latin letters (０-９, Ａ-Ｚ, ａ-ｚ) to ASCII; nothing else."""
    out = []
    for ch in s:
        o = ord(ch)
        if 0xFF10 <= o <= 0xFF19 or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A:
            out.append(chr(o - 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def _strip_controls(s: str) -> str:
    s = s.translate(_ZERO_WIDTH)
    # Control (Cc) and format (Cf) characters: tabs and newlines become spaces first so that
    # words on either side are not glued together by accident.
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if ch.isspace():
            out.append(" ")
        elif cat in ("Cc", "Cf", "Co", "Cs"):
            continue
        else:
            out.append(ch)
    return "".join(out)


# --- document numbers inside free text (titles): only unambiguous forms -------------------------
_EMBEDDED_BRACKET_DOC = re.compile(
    rf"(?<={_CJK_CHAR})\s*[{re.escape(_DOC_OPEN)}]\s*((?:19|20)\d{{2}})\s*"
    rf"[{re.escape(_DOC_CLOSE)}]\s*第?\s*0*(\d{{1,5}})\s*号"
)
_EMBEDDED_SPACED_DOC = re.compile(
    rf"(?<={_CJK_CHAR})\s+((?:19|20)\d{{2}})\s+0*(\d{{1,5}})\s*号"
)


def _fix_embedded_doc_numbers(s: str) -> str:
    def repl(m: re.Match[str]) -> str:
        year = int(m.group(1))
        if year not in DOC_NUMBER_YEARS or int(m.group(2)) == 0:
            return m.group(0)
        return f"〔{year}〕{int(m.group(2))}号"

    s = _EMBEDDED_BRACKET_DOC.sub(repl, s)
    return _EMBEDDED_SPACED_DOC.sub(repl, s)


# --- punctuation ---------------------------------------------------------------------------------
_ASCII_TO_FW = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_PAREN_RE = re.compile(r"\(([^()]*)\)")


def _prev_nonspace(s: str, i: int) -> str:
    j = i - 1
    while j >= 0 and s[j] == " ":
        j -= 1
    return s[j] if j >= 0 else ""


def _next_nonspace(s: str, i: int) -> str:
    j = i + 1
    while j < len(s) and s[j] == " ":
        j += 1
    return s[j] if j < len(s) else ""


def _fullwidth_punct(s: str) -> str:
    # Parentheses: a pair becomes full-width when it encloses Chinese text or follows it.
    def paren(m: re.Match[str]) -> str:
        inner = m.group(1)
        before = _prev_nonspace(s_current[0], m.start())
        if any(is_cjk(c) for c in inner) or (before and _is_cjkish(before)):
            return f"（{inner}）"
        return m.group(0)

    s_current = [s]
    while True:
        new = _PAREN_RE.sub(paren, s_current[0])
        if new == s_current[0]:
            break
        s_current[0] = new
    s = s_current[0]

    out = list(s)
    for i, ch in enumerate(s):
        if ch not in _ASCII_TO_FW:
            continue
        prev, nxt = _prev_nonspace(s, i), _next_nonspace(s, i)
        # Only when Chinese text touches it: "16:30", "1,2" and "a:b" stay ASCII.
        if (prev and _is_cjkish(prev)) or (nxt and _is_cjkish(nxt)):
            out[i] = _ASCII_TO_FW[ch]
    return "".join(out)


_SPACE_BETWEEN = re.compile(
    rf"(?<=[{_CJK}{re.escape(_FW_PUNCT)}]) +(?=[{_CJK}{re.escape(_FW_PUNCT)}0-9])"
    rf"|(?<=[0-9]) +(?=[{_CJK}{re.escape(_FW_PUNCT)}])"
    rf"|(?<=[{re.escape(_FW_OPEN)}]) +"
    rf"| +(?=[{re.escape(_FW_CLOSE)}])"
)
_DOUBLED = re.compile(r"([，、；：。？！,;])\1+")
_COMMA_BEFORE_STOP = re.compile(r"[，、；：]+(?=[。？！])|(?<=[。？！])[，、；：]+")


def _clean_segment(s: str) -> str:
    s = _fix_embedded_doc_numbers(s)
    s = _fullwidth_punct(s)
    s = _SPACE_BETWEEN.sub("", s)
    s = _DOUBLED.sub(r"\1", s)
    s = _COMMA_BEFORE_STOP.sub("", s)
    return s


def clean_text(s: str) -> str:
    """Clean a title or summary: one line, no control or zero-width characters, Chinese spacing
    and punctuation.

    - control, format and zero-width characters removed; every kind of whitespace (including
      U+3000 and no-break spaces) collapsed to one space and trimmed;
    - full-width digits and Latin letters to ASCII;
    - stray spaces between Chinese characters, and between Chinese and digits, removed
      (``2018 年`` → ``2018年``); spaces next to Latin words are kept (``PPP 项目``);
    - ``, ; : ? !`` and ``( )`` inside Chinese text to their full-width forms;
    - doubled punctuation (``，，`` ``。。`` ``，。``) reduced;
    - document numbers in brackets (``国办发[2018]23号``) to ``国办发〔2018〕23号``;
    - URLs are left exactly as they are.
    """
    if not s:
        return ""
    s = unicodedata.normalize("NFC", s)
    s = _strip_controls(s)
    s = re.sub(r" +", " ", s).strip()
    s = _halfwidth_alnum(s)
    return re.sub(r" +", " ", outside_urls(s, _clean_segment)).strip()


# --- canonical document numbers ------------------------------------------------------------------
_DOC_NUMBER_RE = re.compile(
    rf"^(?P<prefix>{_CJK_CHAR}(?:[{_CJK}·]*{_CJK_CHAR})?)"
    rf"(?:(?P<open>[{re.escape(_DOC_OPEN)}])(?P<byear>\d{{4}})(?P<close>[{re.escape(_DOC_CLOSE)}])"
    rf"|(?P<year>\d{{4}}))"
    r"第?(?P<num>\d{1,6})号?$"
)


def canonical_doc_number(s: str) -> str:
    """Return the canonical form ``机关代字〔年份〕序号号`` of a document number (文号).

    Accepts the broken forms found in the wild: ``国办发 2018 23 号``, ``国办发[2018]23号``,
    ``国办发（2018）23号``, ``国办发【2018】23号``, ``国办发〔 2018 〕23号``, full-width digits,
    and the year and serial run together (``国办发 201797 号`` = 2017, No. 97, as in the seed).
    Leading zeros of the serial are dropped. Raises ``ValueError`` with a Chinese message when
    the text cannot be read as a document number or the year is outside 1949–2100.
    """
    original = s
    if s is None or not str(s).strip():
        raise ValueError("文号为空，应为 机关代字〔年份〕序号号，例如 国办发〔2018〕23号")
    t = unicodedata.normalize("NFC", str(s))
    t = _halfwidth_alnum(_strip_controls(t))
    t = re.sub(r"\s+", "", t)
    m = _DOC_NUMBER_RE.match(t)
    if not m:
        raise ValueError(
            f"无法识别的文号格式：{original}，应为 机关代字〔年份〕序号号，例如 国办发〔2018〕23号"
        )
    year_text = m.group("byear") or m.group("year")
    year, num = int(year_text), int(m.group("num"))
    if year not in DOC_NUMBER_YEARS:
        raise ValueError(f"文号年份 {year} 不在 1949–2100 之间：{original}")
    if num == 0:
        raise ValueError(f"文号序号不能为 0：{original}")
    return f"{m.group('prefix')}〔{year}〕{num}号"


def canonical_reference(s: str) -> str:
    """Normalize the ``interprets`` field: an index_no (``PREFIX/YYYY-NNNNN``) is returned as it
    is (trimmed); anything else must be a document number and is returned in canonical form.

    Raises ``ValueError`` (Chinese message) when it is neither.
    """
    t = re.sub(r"\s+", "", _halfwidth_alnum(str(s or "")))
    if INDEX_NO_RE.match(t):
        return t
    try:
        return canonical_doc_number(s)
    except ValueError:
        raise ValueError(
            f"无法识别的被解读文件：{s}，应为 索引号（如 MB2858123/2018-00015）"
            "或文号（如 菏政发〔2018〕15号）"
        ) from None


# --- shortening to a platform's limit ------------------------------------------------------------
#: Where a shortened text may end, best first: a sentence, else a clause.
SENTENCE_ENDS = "。！？；!?;"
CLAUSE_ENDS = "，、：,: \u3000"
#: Stripped from the end of a shortened text before the ellipsis: closing marks, and openers
#: that would stand alone.
TRAILING_PUNCT = SENTENCE_ENDS + CLAUSE_ENDS + "（《“‘([\"'—-"
ELLIPSIS = "…"

_BRACKETS = {"（": "）", "(": ")", "《": "》", "“": "”", "‘": "’", "【": "】", "〔": "〕",
             "「": "」", "『": "』", "[": "]"}
_JOINERS = "\u200d\ufe0e\ufe0f"  # zero-width joiner, variation selectors


def safe_cut(text: str, end: int) -> int:
    """``end`` moved back so that ``text[:end]`` splits no character sequence (combining mark,
    joiner, variation selector) and no Latin word or number, unless that word is all there is."""
    while 0 < end < len(text) and (
        unicodedata.combining(text[end]) or text[end] in _JOINERS or text[end - 1] == "\u200d"
    ):
        end -= 1
    start = end
    while 0 < start < len(text) and _is_word(text[start - 1]) and _is_word(text[start]):
        start -= 1
    return start or end


def _is_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def last_boundary(text: str, end: int, marks: str, floor: int = 0) -> int | None:
    """The position just after the last of ``marks`` in ``text[:end]``, if it is past ``floor``."""
    for i in range(end, floor, -1):
        if text[i - 1] in marks:
            return i
    return None


def first_unclosed(text: str) -> int | None:
    """Position of the outermost bracket or quote that ``text`` opens and does not close."""
    stack: list[int] = []
    for i, char in enumerate(text):
        if char in _BRACKETS:
            stack.append(i)
        elif stack and char == _BRACKETS[text[stack[-1]]]:
            stack.pop()
    return stack[0] if stack else None


def shorten(
    text: str,
    limit: int,
    ellipsis: str = ELLIPSIS,
    *,
    width: Callable[[str], int] | None = None,
) -> str:
    """``text`` if it fits in ``limit``, else a prefix ending with ``ellipsis`` that fits.

    Length is counted in characters, or with ``width(char)`` per character when a platform
    counts otherwise (Weibo). The cut prefers the end of a sentence, then of a clause, and
    leaves no bracket or quote open, as long as that keeps at least 60% of the room; it never
    splits a character sequence nor a Latin word or number (see :func:`safe_cut`).
    """
    size = len if width is None else (lambda s: sum(map(width, s)))
    if size(text) <= limit:
        return text
    room = max(limit - size(ellipsis), 0)
    end = room
    if width is not None:
        end = used = 0
        while end < len(text) and used + width(text[end]) <= room:
            used += width(text[end])
            end += 1
    floor = end * 6 // 10
    end = (last_boundary(text, end, SENTENCE_ENDS, floor)
           or last_boundary(text, end, CLAUSE_ENDS, floor)
           or safe_cut(text, end))
    opened = first_unclosed(text[:end])
    if opened is not None and opened >= floor:
        end = opened
    return text[:end].rstrip(TRAILING_PUNCT) + ellipsis
