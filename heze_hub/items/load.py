"""The item file (DESIGN §2): Markdown with TOML front matter, or JSON; loaded and validated.

Every problem becomes an :class:`InputError` whose Chinese message names the file, the field and
the rule, so a department can fix its file without reading code.
"""

from __future__ import annotations

import json
import re
import stat
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from heze_hub.errors import InputError
from heze_hub.items.model import Category, Disclosure, Kind

MAX_FILE_BYTES = 4 * 1024 * 1024  # a disclosure item is text; attachments are separate files
INDEX_NO_RE = re.compile(r"^[0-9A-Za-z-]{1,40}/\d{4}-\d{5}$")

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
}


class AttachmentRef(BaseModel):
    """An attachment as the item file names it."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1)
    title: str = Field(min_length=1)


class ItemFile(BaseModel):
    """The fields of an item file, exactly as DESIGN §2 lists them. Unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    department: str = Field(min_length=1, max_length=100)
    written_on: date
    kind: Kind
    category: Category
    disclosure: Disclosure = "proactive"
    doc_number: str | None = Field(None, min_length=1, max_length=100)
    topics: list[str] = Field(default_factory=list, max_length=20)
    summary: str | None = None
    index_no: str | None = Field(None, pattern=INDEX_NO_RE.pattern)
    interprets: str | None = Field(None, min_length=1, max_length=100)
    posting_days: int | None = Field(None, ge=1, le=3650)
    decided_at: datetime | None = None
    channels: list[str] | None = Field(None, min_length=1)
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=50)
    redact: list[str] = Field(default_factory=list)
    credit: dict[str, Any] | None = None
    body: str = ""

    @field_validator("topics", "redact", "channels")
    @classmethod
    def _no_blank_entries(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not v.strip() for v in value):
            raise ValueError("列表中不能有空字符串")
        return value

    @field_validator("title", "department", "doc_number", "summary", "interprets", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        # Only single-line fields: the body keeps its leading indentation (Markdown code blocks).
        return value.strip() if isinstance(value, str) else value

    @field_validator("written_on", mode="before")
    @classmethod
    def _date_not_datetime(cls, value: Any) -> Any:
        if isinstance(value, datetime) or (
            isinstance(value, str) and re.search(r"[T ]\d{1,2}:", value)
        ):
            raise ValueError("成文日期只写日期，例如 2018-06-01，不带时间")
        return value


class LoadedItem(BaseModel):
    """An item file that passed validation, with where it came from."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    path: Path
    fields: ItemFile


def load_item(path: Path) -> LoadedItem:
    """Read and validate one item file; raise :class:`InputError` naming file and field."""
    where = str(path)
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{where}：这是一个目录，不是信息文件", file=where)
        if not stat.S_ISREG(st.st_mode):
            # A pipe or a device could block or never end; an item is a plain file.
            raise InputError(f"{where}：不是普通文件", file=where)
        # Read at most one byte past the limit: a huge file is refused, never loaded whole.
        with path.open("rb") as fh:
            raw_bytes = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{where}：文件不存在", file=where) from None
    except OSError as exc:
        raise InputError(f"{where}：无法读取（{exc.strerror}）", file=where) from None
    if len(raw_bytes) > MAX_FILE_BYTES:
        raise InputError(
            f"{where}：文件过大（{max(st.st_size, len(raw_bytes)) // 1024} KiB），信息文件不得超过 "
            f"{MAX_FILE_BYTES // 1024 // 1024} MiB；大文件请作为附件（attachments）提供",
            file=where,
        )
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}：不是 UTF-8 编码（第 {exc.start} 字节处无法解码）；请以 UTF-8 保存后重试",
            file=where,
        ) from None
    if not text.strip():
        raise InputError(f"{where}：文件为空", file=where)

    data = _parse_json(where, text) if _is_json(path, text) else _parse_markdown(where, text)
    try:
        fields = ItemFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(_explain(where, exc), file=where, field=_first_field(exc)) from None
    return LoadedItem(path=path.resolve(), fields=fields)


def _is_json(path: Path, text: str) -> bool:
    if path.suffix.lower() == ".json":
        return True
    if path.suffix.lower() in {".md", ".markdown", ".txt"}:
        return False
    return text.lstrip().startswith("{")


def _parse_json(where: str, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where}：JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）", file=where
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{where}：JSON 顶层必须是对象（{{…}}）", file=where)
    return data


def _parse_markdown(where: str, text: str) -> dict[str, Any]:
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
    try:
        data = tomllib.loads("".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}：前置元数据不是有效的 TOML（{_toml_where(exc)}）",
                         file=where) from None
    if "body" in data:
        raise InputError(
            f"{where}：字段 body 只用于 JSON 文件；Markdown 文件的正文写在第二行 +++ 之后",
            file=where,
            field="body",
        )
    data["body"] = "".join(lines[end + 1 :])
    return data


def _toml_where(exc: tomllib.TOMLDecodeError) -> str:
    """tomllib's message, in Chinese, with the line counted in the whole file."""
    m = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", str(exc))
    if not m:
        return f"格式错误：{exc}"
    # The parser saw the front matter only; the opening +++ is line 1 of the file.
    reason = _TOML_REASONS.get(m.group(1), m.group(1))
    return f"第 {int(m.group(2)) + 1} 行第 {m.group(3)} 列：{reason}"


_TOML_REASONS = {
    "Invalid date or datetime": "日期或时间无效（应为 YYYY-MM-DD 形式的真实日期）",
    "Invalid value": "取值无效（文本须加双引号）",
    "Expected '=' after a key in a key/value pair": "键后应为 =",
    "Cannot overwrite a value": "字段重复",
    "Unclosed array": "列表缺少 ]",
    "Illegal character in string": "字符串中有非法字符",
    "Unterminated string": "字符串缺少结束引号",
    "Invalid statement": "语句无效",
}


_TYPE_RULES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（DESIGN §2 中没有此字段，请检查拼写）",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "date_from_datetime_inexact": "成文日期只写日期，不带时间",
    "bool_type": "应为 true 或 false",
    "list_type": '应为列表，例如 ["…"]',
    "dict_type": "应为表（TOML 表 / JSON 对象）",
    "model_type": "应为表（TOML 表 / JSON 对象）",
    "date_type": "应为日期，例如 2018-06-01",
    "date_parsing": "日期无效，应为 YYYY-MM-DD 形式的真实日期",
    "date_from_datetime_parsing": "日期无效，应为 YYYY-MM-DD 形式的真实日期",
    "datetime_type": "应为日期时间，例如 2018-07-12T16:30:00+08:00",
    "datetime_parsing": "日期时间无效，例如 2018-07-12T16:30:00+08:00",
    "datetime_from_date_parsing": "日期时间无效，例如 2018-07-12T16:30:00+08:00",
    "string_too_short": "不能为空",
    "too_short": "不能为空列表",
    "string_pattern_mismatch": "格式不符（索引号应为 机构代码/YYYY-NNNNN）",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) if loc else "（整个文件）"


def _first_field(exc: ValidationError) -> str | None:
    errors = exc.errors()
    return _field_name(errors[0]["loc"]) if errors else None


def _explain(where: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        name = _field_name(err["loc"])
        label = FIELD_LABELS.get(str(err["loc"][0])) if err["loc"] else None
        rule = _TYPE_RULES.get(err["type"])
        if err["type"] == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            rule = f"取值无效，应为 {expected}".replace("' or '", "'、'").replace("', '", "'、'")
        elif err["type"] in {"string_too_long", "too_long"}:
            rule = f"过长（最多 {err.get('ctx', {}).get('max_length')}）"
        elif err["type"] == "greater_than_equal":
            rule = f"超出范围（应不小于 {err.get('ctx', {}).get('ge')}）"
        elif err["type"] == "less_than_equal":
            rule = f"超出范围（应不大于 {err.get('ctx', {}).get('le')}）"
        elif err["type"] == "value_error":
            rule = str(err.get("ctx", {}).get("error", err["msg"]))
        elif rule is None:
            rule = err["msg"]
        shown = f"{name}（{label}）" if label else name
        parts.append(f"字段 {shown}：{rule}")
    return f"{where}：" + "；".join(parts)
