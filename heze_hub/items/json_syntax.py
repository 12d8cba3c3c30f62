"""JSON item files: parsed with the checks :mod:`json` leaves out (a key written twice,
integers past 64 bits, NaN and Infinity, lone surrogates), each problem reported with its field,
and syntax errors in Chinese with a hint how to write a date."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from heze_hub.errors import InputError
from heze_hub.items.item_file import MAX_INT
from heze_hub.items.locate import json_key_before
from heze_hub.items.messages import (
    SURROGATE,
    codepoint,
    field_message,
    is_date_field,
    loose_date,
    show,
)
from heze_hub.items.nesting import check_nesting


@dataclass(frozen=True)
class _Refused:
    """A JSON value refused while parsing; reported with its field once the parse is done."""

    rule: str


class _Object(dict[str, Any]):
    """A JSON object; ``duplicate`` names a key written twice in it."""

    duplicate: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    for key, value in pairs:
        if key in obj and obj.duplicate is None:
            obj.duplicate = key
        obj[key] = value
    return obj


def _int(literal: str) -> int | _Refused:
    # Checked on the digits, before int() (which refuses more than 4,300 digits with ValueError).
    if len(literal.lstrip("-")) > 19 or not -MAX_INT - 1 <= int(literal) <= MAX_INT:
        digits = len(literal.lstrip("-"))
        return _Refused(f"整数超出范围（{digits} 位；最多 {len(str(MAX_INT))} 位的 64 位整数）")
    return int(literal)


def _float(literal: str) -> float | _Refused:
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        return _Refused(f"数值超出范围：{show(literal, 20)}")
    return value


def _constant(name: str) -> _Refused:
    return _Refused(f"JSON 中没有 {name}，应为数字")


_JSON_REASONS = (
    ("Expecting value", '此处缺少值（或有多余的逗号）；文本和日期须加双引号，例如 "2018-06-01"'),
    ("Expecting ',' delimiter",
     '缺少逗号，或值的写法有误（文本和日期须加双引号，例如 "2018-06-01"）'),
    ("Expecting ':' delimiter", "字段名后缺少冒号 :"),
    ("Expecting property name enclosed in double quotes",
     "字段名须加英文双引号（或最后一项后有多余的逗号）"),
    ("Unterminated string", "字符串缺少结束的双引号"),
    ("Invalid control character", "字符串中有控制字符（换行须写作 \\n，制表符写作 \\t）"),
    # Python's own message names the escape as a pattern; its start is what identifies it.
    ("Invalid \\u", "\\u 后须是 4 位十六进制数（如 \\u4e2d）"),
    ("Invalid \\escape", "无效的反斜杠转义（反斜杠本身须写作 \\\\）"),
    ("Extra data", "对象结束后还有多余的内容"),
)


def parse_json(where: str, text: str) -> dict[str, Any]:
    """The fields of a JSON item: its top-level object, every value checked."""
    check_nesting(where, text, "JSON")
    try:
        data = json.loads(
            text, object_pairs_hook=_object, parse_int=_int, parse_float=_float,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as exc:
        reason = next((cn for en, cn in _JSON_REASONS if exc.msg.startswith(en)), "格式错误")
        key, value = json_key_before(text, exc.pos)
        field = f"，字段 {key}" if key else ""
        raise InputError(
            f"{where}：JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列{field}）："
            f"{reason}{_json_hint(key, value)}",
            file=where, field=key,
        ) from None
    except (RecursionError, ValueError):  # not expected past the checks above; never a traceback
        raise InputError(f"{where}：JSON 无法解析（嵌套过深或数值过大）", file=where) from None
    if not isinstance(data, dict):
        raise InputError(f"{where}：JSON 顶层必须是对象（{{…}}）", file=where)
    _check_values(where, data)
    return data


def _json_hint(key: str | None, value: str) -> str:
    """How to write a date, where the broken value belongs to a date field."""
    if not is_date_field(key):
        return ""
    example = loose_date(value) or ("2018-07-12T16:30:00+08:00" if key == "decided_at"
                                     else "2026-11-26")
    return f'；应写作 "{example}"（JSON 中日期是加英文双引号的文本，年-月-日）'


def _check_values(where: str, data: dict[str, Any]) -> None:
    """What the JSON parser let through but an item cannot hold: a key written twice, a lone
    surrogate (``"\\ud800"``), a refused number; reported with the path of the field."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        name, value = stack.pop()
        problem = None
        if isinstance(value, _Object) and value.duplicate is not None:
            key = show(value.duplicate)
            name = f"{name}.{key}" if name else key
            problem = "同一字段写了两次；每个字段只能写一次（TOML 同样不允许重复），请删去其中一个"
        elif isinstance(value, _Refused):
            problem = value.rule
        elif isinstance(value, str) and SURROGATE.search(value):
            problem = _surrogate_rule(value)
        if problem:
            raise InputError(field_message(where, name, problem), file=where,
                             field=name or None)
        if isinstance(value, dict):
            for key, item in value.items():
                path = f"{name}.{show(key)}" if name else show(key)
                if SURROGATE.search(key):
                    raise InputError(field_message(where, path, _surrogate_rule(key)),
                                     file=where, field=path)
                stack.append((path, item))
        elif isinstance(value, list):
            stack.extend((f"{name}.{i}", item) for i, item in enumerate(value))


def _surrogate_rule(value: str) -> str:
    bad = SURROGATE.search(value)
    assert bad is not None
    return (
        f"含有无效的 Unicode 转义 {codepoint(bad.group())}（单独的代理项，不是字符）；"
        "请删除，或按 UTF-8 直接写出该字符"
    )
