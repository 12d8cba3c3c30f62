"""Numbers as a keyboard or an editor writes them: full-width, as character references, split.

A resident ID number or a mobile number reaches a reader as digits whatever form it was typed in:
``１３８０５３０１２３４`` (a Chinese input method's full-width digits), ``&#49;&#51;&#56;…``
(an editor's character references), ``138 0530 1234``, ``371702-19800512-3010`` or
``138**0530**1234`` (Markdown or HTML markup inside the number). :func:`number_runs` finds such
runs and reads the digits a reader will see, so that masking (:mod:`heze_hub.items.masking`) and
the last check before sending (:func:`heze_hub.items.masking.find_personal_data`) judge the
number, not its spelling.

A run is digits separated only by what does not show as a character between them: white space,
dashes, Markdown emphasis marks, HTML tags and zero-width characters. An ``X`` may end a run (the
check character of an ID number). A run never crosses other text, so ``2018 年 13 项`` stays
two numbers.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

# One digit in any form: ASCII or full-width, or a numeric or named character reference to one.
_DIGIT = r"(?:[0-9０-９]|&#(?:0*(?:4[89]|5[0-7])|[xX]0*(?:3[0-9]));)"
# The check character X in any form.
_CHECK_X = r"(?:[Xx\uff38\uff58]|&#(?:0*(?:88|120)|[xX]0*(?:58|78));)"
# What may stand between two digits without showing as a character in the published text.
# Emphasis takes one to three ``*``; four or more are a mask (``138****1234``), never a gap, so a
# masked number is never read together with the digits around it.
_GAP = (
    r"(?:[ \t\u00a0\u3000\u2002-\u200a\u202f\-\u2010-\u2015\u2212\uff0d_~`"
    r"\u200b-\u200d\u2060\ufeff\u00ad]|(?<!\*)\*{1,3}(?!\*)"
    r"|&(?:nbsp|#160|#x[aA]0|ensp|emsp|thinsp|zwsp|shy);"
    r"|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,60})?/?>)"
)
_RUN_RE = re.compile(
    rf"(?<![0-9A-Za-z０-９])(?:{_DIGIT})(?:{_GAP}{{0,12}}{_DIGIT}){{6,}}"
    rf"(?:{_GAP}{{0,12}}{_CHECK_X})?(?![0-9A-Za-z０-９])"
)
_PLAIN_RE = re.compile(r"[0-9]+[Xx]?")


@dataclass(frozen=True)
class NumberRun:
    """A number as a reader sees it, and where its spelling lies in the text."""

    #: Offsets of the whole run in the text.
    start: int
    end: int
    #: The digits a reader sees, ASCII, with a final ``X`` upper-cased.
    digits: str
    #: True when the run is plain ASCII digits (the form the plain patterns already handle).
    plain: bool


def reader_digits(spelling: str) -> str:
    """The digits (and a final X) a reader sees in ``spelling``: tags and separators dropped,
    character references decoded, full-width forms folded."""
    no_tags = re.sub(r"<[^<>]*>", "", spelling)
    text = unicodedata.normalize("NFKC", html.unescape(no_tags))
    return "".join(c for c in text if c.isdigit() and c.isascii()) + (
        "X" if text.rstrip()[-1:] in ("X", "x") else ""
    )


def number_runs(text: str) -> Iterator[NumberRun]:
    """Every run of at least seven digits in ``text``, in any of the forms above."""
    for m in _RUN_RE.finditer(text):
        spelling = m.group(0)
        yield NumberRun(
            start=m.start(),
            end=m.end(),
            digits=reader_digits(spelling),
            plain=_PLAIN_RE.fullmatch(spelling) is not None,
        )


def reader_text(text: str) -> str:
    """``text`` as a reader sees it: character references decoded, NFKC-folded (full-width
    digits and letters become ASCII). For checks over any output, not for publishing."""
    return unicodedata.normalize("NFKC", html.unescape(text))
