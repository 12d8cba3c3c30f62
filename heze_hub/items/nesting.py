"""Nesting, checked before a parser recurses: TOML and JSON arrays and tables deeper than
:data:`MAX_NESTING` are refused with the line and the field, never left to RecursionError."""

from __future__ import annotations

import re

from heze_hub.errors import InputError
from heze_hub.items.locate import json_key_before, toml_key_of

#: Arrays and tables (objects) nested in each other, the file itself counting as one.
MAX_NESTING = 10

# Each string pattern matches from its opening quote to the closing one *or the end*: a pattern
# that could fail after scanning far would be tried again at every later quote (quadratic time).
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\[\s\S]?[^"\\]*)*"?|[\[\]{}]')
_TOML_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]?|"(?!""))*(?:"{3,5}|\Z)'
    r"|'''(?:[^']|'(?!''))*(?:'{3,5}|\Z)"
    r'|"[^"\\\n]*(?:\\[^\n]?[^"\\\n]*)*"?'
    r"|'[^'\n]*'?"
    r"|#[^\n]*"
    r"|[\[\]{}]"
)


def check_nesting(where: str, text: str, what: str) -> None:
    """Refuse arrays/tables nested deeper than :data:`MAX_NESTING` before parsing: the parsers
    recurse once per level and fail with RecursionError somewhere past a few hundred."""
    tokens = _TOML_TOKENS if what == "TOML" else _JSON_TOKENS
    depth = 1 if what == "TOML" else 0  # TOML's top level is a table without brackets
    for m in tokens.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_NESTING:
                break
        elif c in "]}":
            depth -= 1
    else:
        return
    if what == "TOML":  # the front matter starts on line 2 of the file
        line = text.count("\n", 0, m.start()) + 2
        key, _ = toml_key_of(text.split("\n"), line - 2)
    else:
        line = text.count("\n", 0, m.start()) + 1
        key, _ = json_key_before(text, m.start())
    field = f"，字段 {key}" if key else ""
    raise InputError(
        f"{where}：{what} 嵌套过深（第 {line} 行{field}）：列表和表嵌套超过 {MAX_NESTING} 层，"
        "而信息文件的字段最多嵌套 3 层；请检查括号",
        file=where,
        field=key,
    )
