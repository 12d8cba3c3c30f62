"""Messages about item files: input quoted so that it can be shown, the Chinese names of the
fields, and pydantic's validation errors explained in Chinese.

Input is quoted with control characters, lone surrogates and undecodable bytes escaped, so that
a message can always be printed and never carries a terminal's escape sequences.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

SURROGATE = re.compile("[\ud800-\udfff]")
_LOOSE_DATE = re.compile(
    r"^[\"'“”]?(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?P<rest>.*)$"
)


# --- showing input in messages ------------------------------------------------------------------
def show(value: str, limit: int | None = 60) -> str:
    """``value`` as a message may quote it: control characters and lone surrogates written as
    escapes such as ``\\u0007``, and at most ``limit`` characters."""
    shown = "".join(
        codepoint(c) if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or SURROGATE.match(c)) else c
        for c in (value if limit is None else value[: limit + 1])
    )
    return shown if limit is None or len(value) <= limit else shown[:limit] + "…"


def show_path(path: Path) -> str:
    """A path as a message may quote it: bytes that are not UTF-8 as ``\\xNN``, control
    characters as ``\\u`` escapes; equal to ``str(path)`` for every ordinary path."""
    return show(os.fsencode(path).decode("utf-8", "backslashreplace"), limit=None)


def codepoint(c: str) -> str:
    """``c`` written as a four-digit ``\\u`` escape: ``\\u0007`` for BEL."""
    return f"\\u{ord(c):04x}"


def not_a_date(value: Any, example: str) -> str:
    """The rule for a date field that holds another kind of value."""
    return f"应写作日期（例如 {example}），不能是{_kind_of(value)}"


def _kind_of(value: Any) -> str:
    """What a TOML/JSON value is, in Chinese, for messages."""
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "数字（日期不能写成数字）"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "表"
    return "时刻" if hasattr(value, "hour") else type(value).__name__


def loose_date(text: str) -> str | None:
    """``2026/11/26``, ``2026.11.26``, ``2026年11月26日`` → ``2026-11-26``; None if not a date."""
    m = _LOOSE_DATE.match(text.strip())
    if not m:
        return None
    return f"{m.group('y')}-{int(m.group('m')):02d}-{int(m.group('d')):02d}"


def is_date_field(key: str | None) -> bool:
    """True for a field whose value is a date (of the item, or of its credit record)."""
    return key in ("written_on", "decided_at", "comment_until") or (key or "").endswith(
        _DATE_KEY_ENDINGS
    )


_DATE_KEY_ENDINGS = ("日期", "有效期自", "有效期至")


# --- naming fields, explaining validation errors ------------------------------------------------
#: The Chinese name of each field, shown after it in messages.
FIELD_LABELS = {
    "title": "标题",
    "department": "发布机构",
    "doc_number": "文号",
    "written_on": "成文日期",
    "kind": "体裁",
    "category": "五公开类别",
    "topics": "主题分类",
    "disclosure": "公开属性",
    "posting_days": "公示期",
    "summary": "内容概述",
    "index_no": "索引号",
    "interprets": "解读对象",
    "decided_at": "决定时间",
    "channels": "发布渠道",
    "attachments": "附件",
    "redact": "删除字段",
    "credit": "双公示记录",
    "body": "正文",
    "boards": "公开栏",
    "comment_until": "征求意见截止日期",
    "comment_address": "意见反馈方式",
    "draft_of": "决策草案",
    "major": "重大行政决策",
}


def field_message(where: str, name: str, rule: str) -> str:
    """The message for one broken field, named with its Chinese label."""
    label = FIELD_LABELS.get(name.split(".")[0]) if name else None
    shown = f"{name}（{label}）" if label else (name or "（整个文件）")
    return f"{where}：字段 {shown}：{rule}"


_TYPE_RULES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（请检查拼写；全部字段见 docs/item-reference.md）",
    "string_type": "应为文本",
    "string_unicode": "应为文本（含有无效字符）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_parsing_size": "整数超出范围",
    "int_from_float": "应为整数",
    "finite_number": "应为有限的数值",
    "float_type": "应为数值",
    "float_parsing": "应为数值",
    "date_from_datetime_inexact": "成文日期只写日期，不带时间",
    "bool_type": "应为 true 或 false",
    "list_type": '应为列表，例如 ["…"]',
    "dict_type": "应为表（TOML 表 / JSON 对象）",
    "model_type": "应为表（TOML 表 / JSON 对象）",
    "model_attributes_type": "应为表（TOML 表 / JSON 对象）",
    "date_type": "应为日期，例如 2018-06-01",
    "date_parsing": "日期无效，应为 YYYY-MM-DD 形式的真实日期",
    "date_from_datetime_parsing": "日期无效，应为 YYYY-MM-DD 形式的真实日期",
    "datetime_type": "应为日期时间，例如 2018-07-12T16:30:00+08:00",
    "datetime_parsing": "日期时间无效，例如 2018-07-12T16:30:00+08:00",
    "datetime_from_date_parsing": "日期时间无效，例如 2018-07-12T16:30:00+08:00",
    "datetime_object_invalid": "日期时间无效，例如 2018-07-12T16:30:00+08:00",
    "string_too_short": "不能为空",
    "too_short": "不能为空列表",
    "string_pattern_mismatch":
        "格式不符（索引号写作 机构代码/年份-五位序号，如 371700/2018-00001）",
    "recursion_loop": "嵌套过深",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(show(str(p)) for p in loc) if loc else "（整个文件）"


def first_field(exc: ValidationError) -> str | None:
    """The field of the first validation error, as :func:`explain` names it."""
    errors = exc.errors()
    return _field_name(errors[0]["loc"]) if errors else None


def explain(where: str, exc: ValidationError) -> str:
    """Every validation error in Chinese: the field, its label and the rule, in one message."""
    parts = []
    for err in exc.errors():
        name = _field_name(err["loc"])
        label = FIELD_LABELS.get(str(err["loc"][0])) if err["loc"] else None
        rule = _TYPE_RULES.get(err["type"])
        ctx = err.get("ctx", {})
        if err["type"] == "literal_error" and len(err["loc"]) == 1 and str(err["loc"][0]) in {
                "kind", "category", "disclosure"}:
            from heze_hub.items.labels import choices_text

            rule = f"取值无效，应为以下之一（代码或中文均可）：{choices_text(str(err['loc'][0]))}"
        elif err["type"] == "literal_error":
            expected = ctx.get("expected", "")
            rule = f"取值无效，应为 {expected}".replace("' or '", "'、'").replace("', '", "'、'")
        elif err["type"] in {"string_too_long", "too_long"}:
            rule = f"过长（最多 {ctx.get('max_length')}）"
        elif err["type"] == "greater_than_equal":
            rule = f"超出范围（应不小于 {ctx.get('ge')}）"
        elif err["type"] == "less_than_equal":
            rule = f"超出范围（应不大于 {ctx.get('le')}）"
        elif err["type"] == "value_error":
            rule = str(ctx.get("error", "取值无效"))
        elif rule is None:
            # pydantic's own text is English; the type names the rule precisely enough.
            rule = f"取值无效（{err['type']}）"
        shown = f"{name}（{label}）" if label else name
        parts.append(f"字段 {shown}：{rule}")
    return f"{where}：" + "；".join(parts)
