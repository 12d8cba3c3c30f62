"""Check characters of the identifiers a 双公示 record carries (DESIGN §5.5).

- 统一社会信用代码 (USCC), GB 32100-2015: 18 characters from ``USCC_ALPHABET``; positions 3–8
  (the administrative-division code) are digits; the 18th is a check character. Positions 9–17
  are the 主体标识码, the organisation code of GB 11714, whose own check character (position 17)
  is checked too.
- 组织机构代码, GB 11714-1997: 8 characters (digits and capital letters) and a check character
  (digit or ``X``). A character's value is the digit, or 10 for ``A`` up to 35 for ``Z``; the
  weights are 3, 7, 9, 10, 5, 8, 4, 2; the check is 11 − (Σ mod 11), with 10 written ``X`` and 11
  written ``0``. Verified against the valid USCCs ``91110000600037341L`` (organisation code
  ``60003734-1``) and ``91350200776049653A`` (``77604965-3``).
- 公民身份号码, GB 11643-1999: 17 digits and a check character (digit or ``X``); positions 7–14
  are the birth date.

The ``*_is_valid`` functions are strict about form: upper-case letters, no spaces. Callers that
accept user input (``credit_record``) strip and upper-case first, so that a typed ``x`` is not an
error but the stored value is always canonical.
"""

from __future__ import annotations

from datetime import date

#: The 31 characters a USCC may contain; a character's value is its index (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
# Weight of position i (1-based) is 3^(i-1) mod 31.
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_ID_CHECK = "10X98765432"
# Weight of position i (1-based) is 2^(18-i) mod 11.
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_DIGITS = frozenset("0123456789")


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a USCC.

    :raises ValueError: if ``first17`` is not 17 characters of ``USCC_ALPHABET``.
    """
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise ValueError(f"统一社会信用代码前17位应为17个合法字符：{first17!r}")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, in Chinese, or ``None`` if it is valid."""
    if len(code) != 18:
        return f"应为18位，实际{len(code)}位"
    bad = [c for c in code if c not in _USCC_VALUE]
    if bad:
        return f"含有不允许的字符“{bad[0]}”（只能是数字和除 I、O、S、V、Z 以外的大写字母）"
    if any(c not in _DIGITS for c in code[2:8]):
        return "第3至8位（登记管理机关行政区划码）应为数字"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"校验位错误：应为 {expected}"
    # The own check passes for a code whose generator got the embedded organisation code wrong.
    org = org_code_check_char(code[8:16])
    if code[16] != org:
        return (f"第17位（内含组织机构代码的校验码，GB 11714）错误：第9至16位"
                f"“{code[8:16]}”的校验码应为 {org}")
    return None


def org_code_check_char(body8: str) -> str:
    """Return the GB 11714 check character (``0``–``9`` or ``X``) of an organisation code body.

    :raises ValueError: if ``body8`` is not 8 digits or capital letters.
    """
    if len(body8) != 8 or any(c not in _ORG_BODY for c in body8):
        raise ValueError(f"组织机构代码本体应为8位数字或大写字母：{body8!r}")
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def org_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 9-character organisation code, in Chinese, or ``None``."""
    if len(code) != 9:
        return f"应为9位（8位本体代码和1位校验码），实际{len(code)}位"
    bad = [c for c in code[:8] if c not in _ORG_BODY]
    if bad:
        return f"前8位含有不允许的字符“{bad[0]}”（只能是数字和大写字母）"
    expected = org_code_check_char(code[:8])
    if code[8] != expected:
        return f"校验码错误：应为 {expected}（GB 11714）"
    return None


def uscc_is_valid(code: str) -> bool:
    """True if ``code`` is a well-formed USCC with the right check character."""
    return isinstance(code, str) and uscc_problem(code) is None


def id_check_char(first17: str) -> str:
    """Return the GB 11643 check character (``0``–``9`` or ``X``) for the first 17 digits.

    :raises ValueError: if ``first17`` is not 17 ASCII digits.
    """
    if len(first17) != 17 or any(c not in _DIGITS for c in first17):
        raise ValueError(f"身份号码前17位应为17位数字：{first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_birth_date(num: str) -> date | None:
    """The birth date at positions 7–14 of an 18-character ID number, or ``None`` if not a date."""
    digits = num[6:14]
    if len(digits) != 8 or any(c not in _DIGITS for c in digits):
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def id_number_problem(num: str, *, today: date | None = None) -> str | None:
    """Why ``num`` is not a valid 18-digit ID number, in Chinese, or ``None`` if it is valid.

    The birth date must be a real calendar date between 1800-01-01 and ``today``.
    """
    if len(num) != 18:
        return f"应为18位，实际{len(num)}位"
    if any(c not in _DIGITS for c in num[:17]):
        return "前17位应为数字"
    if num[17] not in _DIGITS and num[17] != "X":
        return "第18位应为数字或大写 X"
    born = id_birth_date(num)
    if born is None or born.year < 1800 or born > (today or date.today()):
        return f"第7至14位出生日期“{num[6:14]}”不是有效日期"
    expected = id_check_char(num[:17])
    if num[17] != expected:
        return f"校验位错误：应为 {expected}"
    return None


def id_number_is_valid(num: str) -> bool:
    """True if ``num`` is an 18-character ID number with a real birth date and right check."""
    return isinstance(num, str) and id_number_problem(num) is None
