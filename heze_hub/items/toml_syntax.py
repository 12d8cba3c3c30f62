"""Markdown item files: the TOML front matter between two ``+++`` lines, parsed with tomllib,
its errors in Chinese with the line in the whole file, the field and a hint how to write the
value."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from heze_hub.errors import InputError
from heze_hub.items.item_file import MAX_INT
from heze_hub.items.locate import TOML_KEY_LINE, toml_key_of
from heze_hub.items.messages import field_message, is_date_field, loose_date, show
from heze_hub.items.nesting import check_nesting


def parse_markdown(where: str, text: str) -> dict[str, Any]:
    """The fields of a Markdown item: its front matter, and the text after it as ``body``."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "+++":
        raise InputError(
            f"{where}：缺少前置元数据；Markdown 信息文件须以一行 +++ 开头，"
            "在两行 +++ 之间写 TOML 字段（见 DESIGN §2）",
            file=where,
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        raise InputError(f"{where}：前置元数据没有结束行 +++", file=where) from None
    front = "".join(lines[1:end])
    check_nesting(where, front, "TOML")
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(where, front, exc) from None
    except ValueError:
        # int() refuses more than 4,300 digits before tomllib can say where they are.
        m = re.search(r"[0-9_]{4300,}", front)
        line = front.count("\n", 0, m.start()) + 2 if m else None
        at = f"（第 {line} 行）" if line else ""
        raise InputError(
            f"{where}：前置元数据不是有效的 TOML{at}：整数位数过多", file=where
        ) from None
    except RecursionError:  # not expected past the nesting check
        raise InputError(f"{where}：前置元数据不是有效的 TOML：嵌套过深", file=where) from None
    if "body" in data:
        raise InputError(
            f"{where}：字段 body 只用于 JSON 文件；Markdown 文件的正文写在第二行 +++ 之后",
            file=where,
            field="body",
        )
    problem = _toml_value_problem(data)
    if problem:
        name, rule = problem
        raise InputError(field_message(where, name, rule), file=where, field=name)
    data["body"] = "".join(lines[end + 1 :])
    return data


def _toml_value_problem(data: dict[str, Any]) -> tuple[str, str] | None:
    """An integer past TOML's 64 bits (tomllib does not enforce the limit), with its field."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            return name, f"整数超出范围（最多 {len(str(MAX_INT))} 位的 64 位整数）"
        if isinstance(value, dict):
            stack.extend((f"{name}.{show(k)}" if name else show(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{name}.{i}", v) for i, v in enumerate(value))
    return None


# tomllib's messages (Python 3.11–3.13), in Chinese. Matched at the start of the message.
_TOML_REASONS = (
    ("Invalid date or datetime", "日期或时间无效（应为真实存在的日期，写作 YYYY-MM-DD）"),
    ("Invalid value", "取值无效"),
    ("Expected newline or end of document after a statement", "值后面有多余的内容"),
    ("Expected '=' after a key in a key/value pair", "字段名后应为 ="),
    ("Invalid initial character for a key part",
     "字段名无效（字段名只能由字母、数字、_ 和 - 组成）"),
    ("Invalid statement", "语句无效（每行应为 字段名 = 值）"),
    ("Cannot overwrite a value", "字段重复（每个字段只能写一次）"),
    ("Cannot declare", "表重复（每个表只能声明一次）"),
    ("Cannot mutate immutable namespace", "不能向已写完的表添加字段"),
    ("Cannot redefine namespace", "不能重新定义已有的表"),
    ("Duplicate inline table key", "字段重复（每个字段只能写一次）"),
    ("Unclosed array", "列表缺少结束的 ]（或两项之间缺少逗号）"),
    ("Unclosed inline table", "表缺少结束的 }（或两项之间缺少逗号）"),
    ("Expected ']]' at the end of an array declaration", "表数组声明缺少 ]]"),
    ("Expected ']' at the end of a table declaration", "表声明缺少 ]"),
    ("Unterminated string", "字符串缺少结束的引号"),
    ("Illegal character", "字符串中有不允许的控制字符"),
    ("Unescaped '\\' in a string", "字符串中的反斜杠须写作 \\\\"),
    ("Invalid hex value", "\\u 或 \\U 后须是十六进制数"),
    ("Escaped character is not a Unicode scalar value", "转义的不是有效的 Unicode 字符"),
    ("Expected", "缺少结束符号"),
    ("Found invalid character", "有不允许的字符"),
)
_TOML_AT = re.compile(r"^(?P<msg>.*?)\s*\(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of "
                      r"document)\)$", re.S)


def _toml_error(where: str, front: str, exc: tomllib.TOMLDecodeError) -> InputError:
    """tomllib's error in Chinese: the line counted in the whole file, the field where the line
    tells it, and how to write the value where that can be guessed."""
    m = _TOML_AT.match(str(exc))
    message = m.group("msg") if m else str(exc)
    reason = next((cn for en, cn in _TOML_REASONS if message.startswith(en)), "格式错误")
    lines = front.split("\n")
    if m and m.group("line"):
        index, col = int(m.group("line")) - 1, int(m.group("col"))
    else:
        index, col = len(lines) - 1, len(lines[-1]) + 1
    # The parser saw the front matter only; the opening +++ is line 1 of the file.
    at = f"第 {index + 2} 行第 {col} 列"
    key, value = toml_key_of(lines, index)
    hint = _toml_hint(key, value)
    line = lines[min(index, len(lines) - 1)]
    if key and not TOML_KEY_LINE.match(line) and line.strip()[:1] not in "\"'[{]#":
        hint = '；列表中的文本须加英文双引号，例如 "……"'  # a line inside a list
    field = f"，字段 {show(key)}" if key else ""
    return InputError(
        f"{where}：前置元数据不是有效的 TOML（{at}{field}）：{reason}{hint}",
        file=where,
        field=key,
    )


_NUMBER_KEYS = ("posting_days", "（万元）")
_LIST_KEYS = ("topics", "channels", "redact", "boards")


def _toml_hint(key: str | None, value: str) -> str:
    """How to write the value of ``key``, where the mistake can be guessed from the text."""
    value = value.strip()
    if key is None or not value:
        return ""
    if is_date_field(key):
        fixed = loose_date(value)
        if fixed is None and key == "decided_at":
            return "；日期时间写作 2018-07-12T16:30:00+08:00 的形式（不加引号）"
        if fixed is None:
            return "；日期写作 2026-11-26 的形式（年-月-日，用连字符 -，不加引号）"
        if not value.startswith(fixed):
            return f"；日期写作 {fixed}（年-月-日，用连字符 -，月和日写两位，不加引号）"
        return ""
    if value[0] in "“”‘’":
        return '；文本须用英文双引号 "…"，不能用中文引号'
    if key.endswith(_NUMBER_KEYS):
        return "；应为数字，例如 10" if not value[0].isdigit() else ""
    if key in _LIST_KEYS and value[0] != "[":
        return f'；应为列表，例如 {key} = ["…"]'

    if value[0] not in "\"'[{":
        return f'；文本须加英文双引号，例如 {key} = "……"'
    return ""
