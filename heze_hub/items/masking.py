"""Personal data in public renderings: masking, redaction, proposal replies (DESIGN §3, §4).

Decisions (documented here because tests and auditors rely on them):

- Only *valid* identity numbers are masked: an 18-digit number must carry a real birth date at
  positions 7–14, a plausible province code, and the GB 11643 check character. Licence numbers,
  registration numbers and other 18-digit codes are public information and are often built the
  same way (region code + date + serial, e.g. 许可编号 ``371701201805210101``, whose check digit
  would be 2, not 1); masking them would damage the disclosure. For the same reason an ID-shaped
  number (province code + real date) that fails the check is left alone entirely, not treated as
  a bank account even when it happens to pass the Luhn test.
- 15-digit legacy ID numbers (before 1999) are masked when their date YYMMDD (read as 19YY) is
  real and the province code is plausible; they have no check digit.
- Bank accounts: 16–19 digits, optionally grouped by single spaces, passing the Luhn check.
  The grouping is kept and every digit but the first 4 and last 4 becomes ``*``.
- Mobile numbers: ``1[3-9]`` + 9 digits, not part of a longer digit run, optionally with a
  ``+86``/``0086``/``86`` prefix and written 3-4-4 with spaces or dashes. The prefix is kept, the
  number becomes ``138****5678``. Landlines (``0530-5311234``) are public supervision and
  consultation numbers and stay.
- Every form a keyboard or an editor produces is masked the same way: full-width digits, HTML
  character references, digits split by spaces, dashes or inline markup
  (:mod:`heze_hub.items.number_runs`). Such a run is replaced whole by the masked number in
  plain digits (``１３８ ０５３０ １２３４`` → ``138****1234``): markup inside a number is lost,
  the number never survives.
- URLs are never changed: masking digits inside a link breaks it (portal article ids, Weibo ids
  and the like look like phone or account numbers), and disclosed items do not carry personal
  data in URLs. Put such a string into the item's ``redact`` list if it ever happens.
- ``redact`` replaces each given string with ``×××`` (three characters whatever the length, so
  the length of a name is not disclosed either), longest first, so a longer name is never left
  half-replaced by a shorter one that it contains. Whitespace inside the occurrence is tolerated
  (``张 某 某``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from heze_hub.items.identifiers import id_birth_date, id_check_char, id_number_is_valid
from heze_hub.items.number_runs import DigitGroup, NumberRun, number_runs
from heze_hub.items.text import outside_urls

__all__ = [
    "REDACTION",
    "find_personal_data",
    "id_check_char",
    "is_valid_id_number",
    "luhn_ok",
    "mask_personal_data",
    "redact",
    "redact_proposal_reply",
]

#: What a redacted string is replaced with.
REDACTION = "×××"

# GB/T 2260 province-level codes (first two digits of an ID number); 83 = Taiwan residence permit.
_PROVINCES = frozenset(
    (*(str(n) for n in range(11, 16)), "21", "22", "23", *(str(n) for n in range(31, 38)),
     *(str(n) for n in range(41, 47)), *(str(n) for n in range(50, 55)),
     *(str(n) for n in range(61, 66)), "71", "81", "82", "83")
)

_ID18_RE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_ID15_RE = re.compile(r"(?<![0-9A-Za-z])[0-9]{15}(?![0-9A-Za-z])")
_BANK_RE = re.compile(
    r"(?<![0-9])(?:[0-9]{16,19}|[0-9]{4}(?: [0-9]{4}){3}(?: [0-9]{1,3})?|[0-9]{6} [0-9]{10,13})"
    r"(?![0-9])"
)
_MOBILE_RE = re.compile(
    r"(?<![0-9])(?P<prefix>(?:\+86|0086|86)[- ]?)?"
    r"(?P<num>1[3-9][0-9](?:[0-9]{8}|[- ][0-9]{4}[- ][0-9]{4}))(?![0-9])"
)


def _plausible_birth(born: date | None) -> bool:
    return born is not None and date(1900, 1, 1) <= born <= date.today()


def _real_date(y: int, m: int, d: int) -> bool:
    try:
        return _plausible_birth(date(y, m, d))
    except ValueError:
        return False


def _id_shaped(n: str) -> bool:
    """Province code and a real birth date where an 18-digit ID number has them."""
    return n[:2] in _PROVINCES and _plausible_birth(id_birth_date(n))


def is_valid_id_number(n: str) -> bool:
    """A resident ID number that is masked: valid by GB 11643 (:mod:`heze_hub.items.identifiers`:
    form, real birth date, check character), in either letter case, with a plausible province
    code and a birth date from 1900 on."""
    n = n.upper()
    return id_number_is_valid(n) and _id_shaped(n)


def _valid_id15(n: str) -> bool:
    return n[:2] in _PROVINCES and _real_date(1900 + int(n[6:8]), int(n[8:10]), int(n[10:12]))


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by bank card numbers."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask_digits(s: str, keep_first: int, keep_last: int) -> str:
    """Replace digits with ``*`` except the first/last few; separators are kept."""
    positions = [i for i, c in enumerate(s) if c.isalnum()]
    hide = set(positions[keep_first : len(positions) - keep_last])
    return "".join("*" if i in hide else c for i, c in enumerate(s))


def _mask_segment(s: str) -> str:
    protected: list[tuple[int, int]] = []  # ID-shaped codes that failed the check: public

    def id18(m: re.Match[str]) -> str:
        n = m.group(0)
        if is_valid_id_number(n):
            return n[:6] + "*" * 8 + n[14:].upper()
        return n

    s = _ID18_RE.sub(id18, s)
    for m in _ID18_RE.finditer(s):
        if _id_shaped(m.group(0)):
            protected.append(m.span())

    def id15(m: re.Match[str]) -> str:
        n = m.group(0)
        return n[:6] + "*" * 6 + n[12:] if _valid_id15(n) else n

    s = _ID15_RE.sub(id15, s)

    def bank(m: re.Match[str]) -> str:
        if any(a <= m.start() < b or a < m.end() <= b for a, b in protected):
            return m.group(0)
        digits = m.group(0).replace(" ", "")
        return _mask_digits(m.group(0), 4, 4) if luhn_ok(digits) else m.group(0)

    s = _BANK_RE.sub(bank, s)

    def mobile(m: re.Match[str]) -> str:
        num = re.sub(r"[- ]", "", m.group("num"))
        return (m.group("prefix") or "") + num[:3] + "****" + num[7:]

    return _mask_written_forms(_MOBILE_RE.sub(mobile, s))


def _personal_number(digits: str) -> tuple[str, str] | None:
    """What a number a reader sees is (``id``, ``id15``, ``mobile``, ``bank``) and its masked
    form, or None when it is no personal data."""
    n = len(digits)
    if n == 18 and is_valid_id_number(digits):
        return "id", digits[:6] + "*" * 8 + digits[14:]
    if n == 15 and digits.isdigit() and _valid_id15(digits):
        return "id15", digits[:6] + "*" * 6 + digits[12:]
    if _MOBILE_DIGITS.fullmatch(digits):
        return "mobile", digits[:-8] + "****" + digits[-4:]
    if 16 <= n <= 19 and digits.isdigit() and not _id_shaped(digits) and luhn_ok(digits):
        return "bank", _mask_digits(digits, 4, 4)
    return None


_MOBILE_DIGITS = re.compile(r"(?:86)?1[3-9][0-9]{9}")


def _thousands(groups: Sequence[DigitGroup]) -> bool:
    """``13 805 301 234``: an amount grouped by thousands, never a phone or an ID number."""
    return (len(groups) > 1 and len(groups[0].digits) <= 3
            and all(len(g.digits) == 3 for g in groups[1:]))


def _personal_numbers(run: NumberRun) -> list[tuple[int, int, str, str]]:
    """``(start, end, kind, masked)`` of each personal number in a run: the whole run, or else
    each stretch of its groups that is one (``１３８… １３９…``: two numbers side by side)."""
    whole = None if _thousands(run.groups) else _personal_number(run.digits)
    if whole is not None:
        return [(run.start, run.end, *whole)]
    found = []
    i, groups = 0, run.groups
    while i < len(groups):
        digits, hit = "", None
        for j in range(i, len(groups)):
            digits += groups[j].digits
            if len(digits) > 19:
                break
            number = None if _thousands(groups[i : j + 1]) else _personal_number(digits)
            if number is not None:
                hit = (groups[i].start, groups[j].end, *number), j
                break
        if hit is None:
            i += 1
        else:
            found.append(hit[0])
            i = hit[1] + 1
    return found


def _mask_written_forms(s: str) -> str:
    """Mask numbers the plain patterns cannot see: any digit form, character references, split."""
    parts: list[str] = []
    pos = 0
    for run in number_runs(s):
        if run.plain:
            continue  # the plain patterns above have decided about it
        for start, end, _kind, masked in _personal_numbers(run):
            parts += [s[pos:start], masked]
            pos = end
    return "".join(parts) + s[pos:] if parts else s


def find_personal_data(text: str) -> list[str]:
    """Valid ID numbers and mobile numbers a reader would see in ``text``, in any written form,
    each given masked (never echo the number itself). Inside URLs, which masking leaves alone
    (see the module docstring), only ID numbers are looked for: an article or account id there
    may look like a mobile number, but a valid ID number is personal data wherever it stands.

    This is the last check on what a public channel is about to send (DESIGN §3).
    """
    found: list[str] = []

    def scan(kinds: tuple[str, ...]) -> Callable[[str], str]:
        def look(segment: str) -> str:
            for run in number_runs(segment):
                found.extend(m for _s, _e, k, m in _personal_numbers(run) if k in kinds)
            return segment

        return look

    outside_urls(text, scan(("id", "mobile")), scan(("id",)))
    return found


def mask_personal_data(text: str) -> str:
    """Mask ID numbers, mobile numbers and bank account numbers in ``text`` (any text: Markdown
    source, plain text, a title). URLs are left unchanged. See the module docstring for the
    exact rules.

    >>> mask_personal_data("身份证号371702198005123010，电话13805301234")
    '身份证号371702********3010，电话138****1234'
    """
    if not text:
        return text
    return outside_urls(text, _mask_segment)


def redact(text: str, strings: Iterable[str]) -> str:
    """Replace every occurrence of each given string with ``×××``, longest first.

    Empty and whitespace-only strings are ignored. Whitespace between the characters of an
    occurrence is tolerated, so ``张 某 某`` is removed as well as ``张某某``.
    """
    wanted = sorted({s.strip() for s in strings if s and s.strip()}, key=len, reverse=True)
    if not text or not wanted:
        return text
    pattern = "|".join(
        r"[ \t\u3000]*".join(re.escape(c) for c in re.sub(r"\s+", "", w)) for w in wanted
    )
    return re.sub(pattern, REDACTION, text)


# --- proposal replies ------------------------------------------------------------------------
# "张某某代表：", "张某某、李某委员：", "尊敬的张某某代表：", "**李四委员**：" — the name goes, the
# role stays. "各位代表：" has no name and is left alone.
_SALUTATION_RE = re.compile(
    r"^(?P<lead>\s*(?:[*_]{1,2})?\s*)(?P<polite>尊敬的)?"
    r"(?P<names>[\u4e00-\u9fff·•]{1,8}(?:\s*[、，,和及与]\s*[\u4e00-\u9fff·•]{1,8})*?)"
    r"(?P<etc>等)?(?P<role>(?:人大)?代表|(?:政协)?委员|同志)(?P<plural>们)?"
    r"(?P<tail>\s*(?:[*_]{1,2})?\s*[：:]\s*(?:[*_]{1,2})?)\s*(?P<br>\\|  )?$"
)
_NOT_NAMES = frozenset({"各位", "各位人大", "各位政协", "全体", "市人大", "市政协", "人大", "政协"})
_CONTACT_LABELS = (
    "联系单位及电话", "联系单位", "联系人", "联系电话", "联系方式", "联系地址", "通讯地址",
    "电子邮箱", "电子邮件", "邮箱", "邮编", "邮政编码", "电话", "手机", "传真", "地址",
)
_CONTACT_RE = re.compile(
    r"^\s*(?:[-*+>]\s+|\d+[.)]\s+)?(?:[*_]{1,2})?\s*(?:" + "|".join(_CONTACT_LABELS) + r")"
    r"\s*(?:[*_]{1,2})?\s*[：:]"
)
_DISTRIBUTION_RE = re.compile(
    r"^\s*(?:[-*+>]\s+)?(?:[*_]{1,2})?\s*抄\s*[送报]\s*(?:[*_]{1,2})?\s*[：:]"
)


def _salutation(line: str) -> str | None:
    """The salutation line without the names, or None when the line is no named salutation."""
    m = _SALUTATION_RE.match(line)
    if not m or re.sub(r"\s", "", m.group("names")) in _NOT_NAMES:
        return None
    return "".join(
        m.group(g) or "" for g in ("lead", "polite", "role", "plural", "tail", "br")
    )


def redact_proposal_reply(markdown: str) -> str:
    """Public text of a 建议/提案 reply: the full text except the deputies'/members' names,
    their contact details and the distribution list (seed, 建议提案办理结果公开).

    Works on Markdown source lines:
    - a salutation line ``张某某代表：`` / ``李四委员：`` / ``张某某、李某代表：`` keeps only the
      role (``代表：``);
    - lines starting with a contact label (联系人, 联系电话, 联系单位及电话, 电话, 手机, 邮箱,
      地址, …) are removed;
    - the ``抄送：`` (and ``抄报：``) paragraph is removed, including its continuation lines up
      to the next blank line.

    Names that appear elsewhere in the text are removed by :func:`redact` with the item's
    ``redact`` list; this function does not guess at names inside sentences.
    """
    lines = markdown.splitlines()
    out: list[str] = []
    in_distribution = False
    for line in lines:
        if in_distribution:
            if line.strip():
                continue
            in_distribution = False
        if _DISTRIBUTION_RE.match(line):
            in_distribution = True
            continue
        if _CONTACT_RE.match(line):
            continue
        fixed = _salutation(line)
        out.append(fixed if fixed is not None else line)
    text = "\n".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text + "\n" if markdown.endswith("\n") else text
