"""Numbers as a keyboard or an editor writes them: full-width, as character references, split.

A resident ID number or a mobile number reaches a reader as digits whatever form it was typed in:
``１３８０５３０１２３４`` (a Chinese input method's full-width digits), ``&#49;&#51;&#56;…``
(an editor's character references), ``138 0530 1234``, ``371702-19800512-3010`` or
``138**0530**1234`` (Markdown or HTML markup inside the number). :func:`number_runs` finds such
runs and reads the digits a reader will see, so that masking (:mod:`heze_hub.items.masking`) and
the last check before sending (:func:`heze_hub.items.masking.find_personal_data`) judge the
number, not its spelling.

A run is digits separated only by what a reader skips between them: white space and a line
break, dashes and dots, Markdown emphasis marks, HTML tags and zero-width characters. An ``X`` may
end a run (the check character of an ID number). A run never crosses other text, so
``2018 年 13 项`` stays two numbers; two numbers written side by side with a space are one run of
several groups, which masking reads group by group.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

# One digit in any form: any Unicode decimal digit (ASCII, full-width, Arabic-Indic, math bold…),
# superscript, subscript or circled, or a numeric character reference to an ASCII digit (its
# ``;`` may be missing, e.g. taken for punctuation by cleanup: browsers decode ``&#51`` too).
_DIGIT = (
    r"(?:[\d\u00b2\u00b3\u00b9\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u24ea]"
    r"|&#(?:0*(?:4[89]|5[0-7])|[xX]0*(?:3[0-9]))(?![0-9]);?)"
)
# The check character X in any form.
_CHECK_X = r"(?:[Xx\uff38\uff58]|&#(?:0*(?:88|120)|[xX]0*(?:58|78))(?![0-9]);?)"
# What may stand between two digits without showing as a character in the published text, or
# as a separator a reader skips: white space and a line break (an editor wraps lines), dashes,
# dots, Markdown emphasis marks, HTML tags and zero-width characters. Emphasis takes one to
# three ``*``; four or more are a mask (``138****1234``), never a gap, so a masked number is never
# read together with the digits around it.
_GAP = (
    r"(?:[ \t\r\n\u00a0\u3000\u2002-\u200a\u202f\-\u2010-\u2015\u2212\uff0d_~`.\uff0e"
    r"\u200b-\u200d\u2060\ufeff\u00ad]|(?<!\*)\*{1,3}(?!\*)"
    r"|&(?:nbsp|#160|#x[aA]0|ensp|emsp|thinsp|zwsp|shy);"
    r"|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,60})?/?>)"
)
_EDGE = r"\dA-Za-z\uff21-\uff3a\uff41-\uff5a"
_RUN_RE = re.compile(
    rf"(?<![{_EDGE}])(?:{_DIGIT})(?:{_GAP}{{0,12}}{_DIGIT}){{6,}}"
    rf"(?:{_GAP}{{0,12}}{_CHECK_X})?(?![{_EDGE}])"
)
_TOKEN_RE = re.compile(f"{_DIGIT}|{_CHECK_X}")
_PLAIN_RE = re.compile(r"[0-9]+[Xx]?")


@dataclass(frozen=True)
class DigitGroup:
    """Digits written together, with nothing between them."""

    start: int
    end: int
    digits: str


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
    #: The run's groups of digits written together, in order (two numbers written side by side
    #: with a space form one run of several groups).
    groups: tuple[DigitGroup, ...]


def reader_digits(spelling: str) -> str:
    """The digits (and a final X) a reader sees in ``spelling``: tags and separators dropped,
    character references decoded, every digit form folded to ASCII."""
    no_tags = re.sub(r"<[^<>]*>", "", spelling)
    text = unicodedata.normalize("NFKC", html.unescape(no_tags))
    digits = "".join(str(d) for d in (unicodedata.digit(c, None) for c in text) if d is not None)
    return digits + ("X" if text.rstrip()[-1:] in ("X", "x") else "")


def number_runs(text: str) -> Iterator[NumberRun]:
    """Every run of at least seven digits in ``text``, in any of the forms above."""
    for m in _RUN_RE.finditer(text):
        spelling = m.group(0)
        groups: list[DigitGroup] = []
        for t in _TOKEN_RE.finditer(text, m.start(), m.end()):
            if groups and groups[-1].end == t.start():
                last = groups[-1]
                groups[-1] = DigitGroup(last.start, t.end(), last.digits + reader_digits(t[0]))
            else:
                groups.append(DigitGroup(t.start(), t.end(), reader_digits(t[0])))
        yield NumberRun(
            start=m.start(),
            end=m.end(),
            digits=reader_digits(spelling),
            plain=_PLAIN_RE.fullmatch(spelling) is not None,
            groups=tuple(groups),
        )


def reader_text(text: str) -> str:
    """``text`` as a reader sees it: character references decoded, NFKC-folded (full-width
    digits and letters become ASCII). For checks over any output, not for publishing."""
    return unicodedata.normalize("NFKC", html.unescape(text))
