"""Markdown item files: the TOML front matter between two ``+++`` lines, parsed with tomllib,
its errors in Chinese with the line in the whole file, the field and a hint how to write the
value."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from heze_hub.errors import InputError, describe_toml_error
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
            "在两行 +++ 之间写 TOML 字段（格式见 docs/item-reference.md）",
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


def _toml_error(where: str, front: str, exc: tomllib.TOMLDecodeError) -> InputError:
    """tomllib's error in Chinese: the line counted in the whole file, the field where the line
    tells it, and how to write the value where that can be guessed."""
    reason, line_no, col_no = describe_toml_error(exc)
    lines = front.split("\n")
    if line_no is not None and col_no is not None:
        index, col = line_no - 1, col_no
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
