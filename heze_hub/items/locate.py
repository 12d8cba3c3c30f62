"""Which field a place in an item file's text belongs to, for messages about text that a parser
refused or that nests too deep: the last JSON key before a position, the TOML key (with its
table) whose value is on a line."""

from __future__ import annotations

import re

from heze_hub.items.messages import show

_JSON_KEY = re.compile(r'"((?:[^"\\\n]|\\.){1,60})"\s*:')
TOML_KEY_LINE = re.compile(r"""^\s*(?P<key>[A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*=\s*(?P<value>.*)$""")
_TOML_TABLE_LINE = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]")


def json_key_before(text: str, pos: int) -> tuple[str | None, str]:
    """The last key written before ``pos`` (where a value is wrong, the field it belongs to)
    and the text of its value up to a little past ``pos``."""
    keys = list(_JSON_KEY.finditer(text, max(0, pos - 2000), pos))
    if not keys:
        return None, ""
    return show(keys[-1].group(1)), text[keys[-1].end() : pos + 20].split("\n", 1)[0]


def toml_key_of(lines: list[str], index: int) -> tuple[str | None, str]:
    """The field whose value is on line ``index`` (written on that line, or a list or multi-line
    string opened on a line above and still open), with its table; and the value text when the
    field is written on that very line. ``(None, "")`` for any other line."""
    index = min(index, len(lines) - 1)
    km = TOML_KEY_LINE.match(lines[index])
    value = km.group("value") if km else ""
    at = index
    if not km:
        for i in range(index - 1, -1, -1):
            above = TOML_KEY_LINE.match(lines[i])
            if above:
                if _opens_value(above.group("value")):
                    km, at = above, i
                break
            if _TOML_TABLE_LINE.match(lines[i]):
                break
    if not km:
        return None, ""
    key = show(km.group("key").strip("\"'"))
    table = next(
        (t.group("name").strip() for t in map(_TOML_TABLE_LINE.match, lines[at::-1]) if t), None
    )
    return (f"{show(table.strip(chr(34)))}.{key}" if table else key), value


def _opens_value(value: str) -> bool:
    """True if a value starting on a line goes on past it (a list, a multi-line string)."""
    v = value.strip()
    if v.startswith(('"""', "'''")):
        return v.count(v[:3]) == 1
    return v.startswith("[") and v.count("[") > v.count("]")
