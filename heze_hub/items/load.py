"""The item file (DESIGN §2): Markdown with TOML front matter, or JSON; loaded and validated.

Every problem becomes an :class:`InputError` whose Chinese message names the file, the field and
the rule, so a department can fix its file without reading code. Nothing else escapes
:func:`load_item`, whatever the bytes: the parsers' own failures (recursion on deep nesting,
integers past Python's conversion limit, lone surrogates, NUL bytes in paths, odd file names)
are checked for before they can happen, or turned into the same kind of message.

Bounds (beyond those of the body, in :mod:`heze_hub.items.render`):

- a file is at most :data:`MAX_FILE_BYTES` (4 MiB);
- TOML arrays and tables and JSON arrays and objects nest at most :data:`MAX_NESTING` deep (an
  item needs 3: the file, ``attachments``, one attachment); deeper input is refused before a
  parser recurses into it;
- integers fit TOML's 64 bits (:data:`MAX_INT`), in JSON as in TOML; JSON has no NaN or
  Infinity and a key may appear once per object (TOML has the same rule);
- ``written_on`` lies between :data:`EARLIEST_DATE` and tomorrow in Asia/Shanghai (DESIGN §2:
  a document cannot be written in the future), and so does the day of ``decided_at`` (a
  decision cannot be taken in the future either); dates are written as dates, never as
  numbers (pydantic would read ``20180601`` as seconds since 1970);
- list fields and short texts have lengths that bound the work the normalizer does with them
  (:data:`MAX_REDACT`, :data:`MAX_TEXT`, …).
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from heze_hub.errors import InputError, describe_os_error
from heze_hub.items.model import Category, Disclosure, Kind
from heze_hub.items.render import SUMMARY_LIMIT, body_problem

MAX_FILE_BYTES = 4 * 1024 * 1024  # a disclosure item is text; attachments are separate files
INDEX_NO_RE = re.compile(r"^[0-9A-Za-z-]{1,40}/\d{4}-\d{5}$")

#: Arrays and tables (objects) nested in each other, the file itself counting as one.
MAX_NESTING = 10
#: TOML integers are 64-bit signed (TOML 1.0); JSON integers are held to the same range.
MAX_INT = 2**63 - 1
#: The earliest ``written_on``/``decided_at``: the years of document numbers (1949–2100).
EARLIEST_DATE = date(1949, 1, 1)
#: Entries of ``redact`` and characters per entry: each entry is searched for in every public
#: text, so their number multiplies the work on the body.
MAX_REDACT = 200
MAX_REDACT_CHARS = 100
#: Characters of a short text (a topic, a channel name, an attachment title).
MAX_TEXT = 200
#: Characters of ``summary`` before cleanup; the rule itself (100 after cleanup) is checked by
#: the normalizer, this only keeps a pasted body out of the cleanup code.
MAX_SUMMARY_CHARS = 10 * SUMMARY_LIMIT
#: Characters of an attachment path, and bytes of one of its parts (the file-system limit).
MAX_PATH_CHARS = 1024
MAX_NAME_BYTES = 255
#: Keys of the ``credit`` table (the standard has about 30).
MAX_CREDIT_KEYS = 100

_TZ = ZoneInfo("Asia/Shanghai")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:\d{2})?)?"
)

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


def tomorrow() -> date:
    """Tomorrow in Asia/Shanghai: the latest ``written_on`` an item may have (DESIGN §2)."""
    return datetime.now(_TZ).date() + timedelta(days=1)


class AttachmentRef(BaseModel):
    """An attachment as the item file names it."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=MAX_PATH_CHARS)
    title: str = Field(min_length=1, max_length=MAX_TEXT)

    @field_validator("path")
    @classmethod
    def _usable_path(cls, value: str) -> str:
        # The file system refuses these with ValueError or OSError; say what is wrong instead.
        bad = next((c for c in value if ord(c) < 0x20 or ord(c) == 0x7F), None)
        if bad is not None:
            raise ValueError(f"附件路径中有控制字符 {_codepoint(bad)}，请删除")
        if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in re.split(r"[/\\]", value)):
            raise ValueError(f"附件路径中的文件名或目录名过长（每段最多 {MAX_NAME_BYTES} 字节）")
        return value


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
    channels: list[str] | None = Field(None, min_length=1, max_length=50)
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=50)
    redact: list[str] = Field(default_factory=list, max_length=MAX_REDACT)
    credit: dict[str, Any] | None = Field(None, max_length=MAX_CREDIT_KEYS)
    body: str = ""

    @field_validator("topics", "redact", "channels")
    @classmethod
    def _no_blank_entries(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not v.strip() for v in value):
            raise ValueError("列表中不能有空字符串")
        return value

    @field_validator("topics", "channels")
    @classmethod
    def _short_entries(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(len(v) > MAX_TEXT for v in value):
            raise ValueError(f"列表中的每一项最多 {MAX_TEXT} 字")
        return value

    @field_validator("redact")
    @classmethod
    def _short_redactions(cls, value: list[str]) -> list[str]:
        if any(len(v) > MAX_REDACT_CHARS for v in value):
            raise ValueError(f"每一项最多 {MAX_REDACT_CHARS} 字（要删除的是姓名、号码等短文本）")
        return value

    @field_validator("summary")
    @classmethod
    def _summary_not_a_body(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_SUMMARY_CHARS:
            raise ValueError(f"内容概述最多 {SUMMARY_LIMIT} 字，现为 {len(value)} 字")
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
        if isinstance(value, str) and not _DATE_TEXT.fullmatch(value.strip()):
            fixed = _loose_date(value)
            raise ValueError(
                f"日期应写作 {fixed or 'YYYY-MM-DD，例如 2018-06-01'}（年-月-日，用连字符 -，"
                f"月和日写两位）：“{_show(value)}”"
            )
        if not isinstance(value, str | date):
            raise ValueError(_not_a_date(value, "2018-06-01"))
        return value

    @field_validator("written_on")
    @classmethod
    def _written_in_the_past(cls, value: date) -> date:
        if value < EARLIEST_DATE:
            raise ValueError(
                f"成文日期 {value.isoformat()} 早于 {EARLIEST_DATE.isoformat()}，请检查年份"
            )
        latest = tomorrow()
        if value > latest:
            raise ValueError(
                f"成文日期 {value.isoformat()} 晚于明天（{latest.isoformat()}）："
                "文件不能在将来成文，请检查年份（DESIGN §2）"
            )
        return value

    @field_validator("decided_at", mode="before")
    @classmethod
    def _datetime_as_written(cls, value: Any) -> Any:
        if isinstance(value, str) and not _DATETIME_TEXT.fullmatch(value.strip()):
            raise ValueError(
                f"日期时间应写作 2018-07-12T16:30:00+08:00 的形式：“{_show(value)}”"
            )
        if value is not None and not isinstance(value, str | date):
            raise ValueError(_not_a_date(value, "2018-07-12T16:30:00+08:00"))
        return value

    @field_validator("decided_at")
    @classmethod
    def _decided_in_the_past(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        latest = tomorrow()
        # Years first: moving year 1 or 9999 to another time zone overflows.
        day = value.date()
        if EARLIEST_DATE.year <= value.year <= latest.year:
            day = (value.astimezone(_TZ) if value.tzinfo else value).date()
        if day < EARLIEST_DATE:
            raise ValueError(
                f"决定时间 {day.isoformat()} 早于 {EARLIEST_DATE.isoformat()}，请检查年份"
            )
        if day > latest:
            raise ValueError(
                f"决定时间 {day.isoformat()} 晚于明天（{latest.isoformat()}）：决定不能在将来作出，"
                "请检查年份"
            )
        return value

    @field_validator("body")
    @classmethod
    def _body_within_bounds(cls, value: str) -> str:
        problem = body_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class LoadedItem(BaseModel):
    """An item file that passed validation, with where it came from."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    path: Path
    fields: ItemFile


def load_item(path: Path) -> LoadedItem:
    """Read and validate one item file; raise :class:`InputError` naming file and field.

    Nothing but :class:`InputError` is raised, whatever the file holds.
    """
    where = _show_path(path)
    if where != str(path):
        # Bytes that are not UTF-8 in the name (os.fsdecode's surrogates) or control characters:
        # such a name cannot be shown, stored or sent; renaming the file is the fix.
        raise InputError(
            f"{where}：路径中有无法显示的字符（非 UTF-8 编码或控制字符），请改名后重试",
            file=where,
        )
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
        resolved = path.resolve()
    except FileNotFoundError:
        raise InputError(f"{where}：文件不存在", file=where) from None
    except OSError as exc:
        reason = describe_os_error(exc, with_path=False)
        raise InputError(f"{where}：无法读取（{reason}）", file=where) from None
    except (ValueError, RuntimeError):  # a NUL in the name; a symbolic link loop (3.11)
        raise InputError(f"{where}：无法读取（文件名无效或符号链接循环）", file=where) from None
    if _SURROGATE.search(str(resolved)):  # the name is fine, a folder above it is not
        raise InputError(
            f"{where}：所在目录的路径中有非 UTF-8 编码的名称（{_show_path(resolved.parent)}），"
            "请移到名称正常的目录后重试",
            file=where,
        )
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
    return LoadedItem(path=resolved, fields=fields)


def _is_json(path: Path, text: str) -> bool:
    if path.suffix.lower() == ".json":
        return True
    if path.suffix.lower() in {".md", ".markdown", ".txt"}:
        return False
    return text.lstrip().startswith("{")


# --- showing input in messages ------------------------------------------------------------------
def _show(value: str, limit: int | None = 60) -> str:
    """``value`` as a message may quote it: control characters and lone surrogates written as
    ``\\uXXXX``, and at most ``limit`` characters."""
    shown = "".join(
        _codepoint(c) if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or _SURROGATE.match(c)) else c
        for c in (value if limit is None else value[: limit + 1])
    )
    return shown if limit is None or len(value) <= limit else shown[:limit] + "…"


def _show_path(path: Path) -> str:
    """A path as a message may quote it: bytes that are not UTF-8 as ``\\xNN``, control
    characters as ``\\uNNNN``; equal to ``str(path)`` for every ordinary path."""
    return _show(os.fsencode(path).decode("utf-8", "backslashreplace"), limit=None)


def _codepoint(c: str) -> str:
    return f"\\u{ord(c):04x}"


def _not_a_date(value: Any, example: str) -> str:
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


def _loose_date(text: str) -> str | None:
    """``2026/11/26``, ``2026.11.26``, ``2026年11月26日`` → ``2026-11-26``; None if not a date."""
    m = _LOOSE_DATE.match(text.strip())
    if not m:
        return None
    return f"{m.group('y')}-{int(m.group('m')):02d}-{int(m.group('d')):02d}"


# --- JSON ----------------------------------------------------------------------------------------
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
        return _Refused(f"数值超出范围：{_show(literal, 20)}")
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
    ("Invalid \\uXXXX escape", "\\u 后须是 4 位十六进制数"),
    ("Invalid \\escape", "无效的反斜杠转义（反斜杠本身须写作 \\\\）"),
    ("Extra data", "对象结束后还有多余的内容"),
)


def _parse_json(where: str, text: str) -> dict[str, Any]:
    _check_nesting(where, text, "JSON")
    try:
        data = json.loads(
            text, object_pairs_hook=_object, parse_int=_int, parse_float=_float,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as exc:
        reason = next((cn for en, cn in _JSON_REASONS if exc.msg.startswith(en)), "格式错误")
        key, value = _json_key_before(text, exc.pos)
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


_JSON_KEY = re.compile(r'"((?:[^"\\\n]|\\.){1,60})"\s*:')


def _json_key_before(text: str, pos: int) -> tuple[str | None, str]:
    """The last key written before ``pos`` (where a value is wrong, the field it belongs to)
    and the text of its value up to a little past ``pos``."""
    keys = list(_JSON_KEY.finditer(text, max(0, pos - 2000), pos))
    if not keys:
        return None, ""
    return _show(keys[-1].group(1)), text[keys[-1].end() : pos + 20].split("\n", 1)[0]


def _json_hint(key: str | None, value: str) -> str:
    """How to write a date, where the broken value belongs to a date field."""
    if not _is_date_field(key):
        return ""
    example = _loose_date(value) or ("2018-07-12T16:30:00+08:00" if key == "decided_at"
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
            key = _show(value.duplicate)
            name = f"{name}.{key}" if name else key
            problem = "同一字段写了两次；每个字段只能写一次（TOML 同样不允许重复），请删去其中一个"
        elif isinstance(value, _Refused):
            problem = value.rule
        elif isinstance(value, str) and _SURROGATE.search(value):
            problem = _surrogate_rule(value)
        if problem:
            raise InputError(_field_message(where, name, problem), file=where,
                             field=name or None)
        if isinstance(value, dict):
            for key, item in value.items():
                path = f"{name}.{_show(key)}" if name else _show(key)
                if _SURROGATE.search(key):
                    raise InputError(_field_message(where, path, _surrogate_rule(key)),
                                     file=where, field=path)
                stack.append((path, item))
        elif isinstance(value, list):
            stack.extend((f"{name}.{i}", item) for i, item in enumerate(value))


def _surrogate_rule(value: str) -> str:
    bad = _SURROGATE.search(value)
    assert bad is not None
    return (
        f"含有无效的 Unicode 转义 {_codepoint(bad.group())}（单独的代理项，不是字符）；"
        "请删除，或按 UTF-8 直接写出该字符"
    )


def _field_message(where: str, name: str, rule: str) -> str:
    label = FIELD_LABELS.get(name.split(".")[0]) if name else None
    shown = f"{name}（{label}）" if label else (name or "（整个文件）")
    return f"{where}：字段 {shown}：{rule}"


# --- nesting, before a parser recurses -----------------------------------------------------------
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


def _check_nesting(where: str, text: str, what: str) -> None:
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
        key, _ = _toml_key_of(text.split("\n"), line - 2)
    else:
        line = text.count("\n", 0, m.start()) + 1
        key, _ = _json_key_before(text, m.start())
    field = f"，字段 {key}" if key else ""
    raise InputError(
        f"{where}：{what} 嵌套过深（第 {line} 行{field}）：列表和表嵌套超过 {MAX_NESTING} 层，"
        "而信息文件的字段最多嵌套 3 层；请检查括号",
        file=where,
        field=key,
    )


# --- Markdown and TOML ---------------------------------------------------------------------------
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
    front = "".join(lines[1:end])
    _check_nesting(where, front, "TOML")
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
        raise InputError(_field_message(where, name, rule), file=where, field=name)
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
            stack.extend((f"{name}.{_show(k)}" if name else _show(k), v) for k, v in value.items())
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
_TOML_KEY_LINE = re.compile(r"""^\s*(?P<key>[A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*=\s*(?P<value>.*)$""")
_TOML_TABLE_LINE = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]")
_LOOSE_DATE = re.compile(
    r"^[\"'“”]?(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?P<rest>.*)$"
)


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
    key, value = _toml_key_of(lines, index)
    hint = _toml_hint(key, value)
    line = lines[min(index, len(lines) - 1)]
    if key and not _TOML_KEY_LINE.match(line) and line.strip()[:1] not in "\"'[{]#":
        hint = '；列表中的文本须加英文双引号，例如 "……"'  # a line inside a list
    field = f"，字段 {_show(key)}" if key else ""
    return InputError(
        f"{where}：前置元数据不是有效的 TOML（{at}{field}）：{reason}{hint}",
        file=where,
        field=key,
    )


def _toml_key_of(lines: list[str], index: int) -> tuple[str | None, str]:
    """The field whose value is on line ``index`` (written on that line, or a list or multi-line
    string opened on a line above and still open), with its table; and the value text when the
    field is written on that very line. ``(None, "")`` for any other line."""
    index = min(index, len(lines) - 1)
    km = _TOML_KEY_LINE.match(lines[index])
    value = km.group("value") if km else ""
    at = index
    if not km:
        for i in range(index - 1, -1, -1):
            above = _TOML_KEY_LINE.match(lines[i])
            if above:
                if _opens_value(above.group("value")):
                    km, at = above, i
                break
            if _TOML_TABLE_LINE.match(lines[i]):
                break
    if not km:
        return None, ""
    key = _show(km.group("key").strip("\"'"))
    table = next(
        (t.group("name").strip() for t in map(_TOML_TABLE_LINE.match, lines[at::-1]) if t), None
    )
    return (f"{_show(table.strip(chr(34)))}.{key}" if table else key), value


def _opens_value(value: str) -> bool:
    """True if a value starting on a line goes on past it (a list, a multi-line string)."""
    v = value.strip()
    if v.startswith(('"""', "'''")):
        return v.count(v[:3]) == 1
    return v.startswith("[") and v.count("[") > v.count("]")


def _is_date_field(key: str | None) -> bool:
    return key in ("written_on", "decided_at") or (key or "").endswith(_DATE_KEY_ENDINGS)


_DATE_KEY_ENDINGS = ("日期", "有效期自", "有效期至")
_NUMBER_KEYS = ("posting_days", "（万元）")
_LIST_KEYS = ("topics", "channels", "redact")


def _toml_hint(key: str | None, value: str) -> str:
    """How to write the value of ``key``, where the mistake can be guessed from the text."""
    value = value.strip()
    if key is None or not value:
        return ""
    if _is_date_field(key):
        fixed = _loose_date(value)
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


# --- validation messages -------------------------------------------------------------------------
_TYPE_RULES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（DESIGN §2 中没有此字段，请检查拼写）",
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
    "string_pattern_mismatch": "格式不符（索引号应为 机构代码/YYYY-NNNNN）",
    "recursion_loop": "嵌套过深",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(_show(str(p)) for p in loc) if loc else "（整个文件）"


def _first_field(exc: ValidationError) -> str | None:
    errors = exc.errors()
    return _field_name(errors[0]["loc"]) if errors else None


def _explain(where: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        name = _field_name(err["loc"])
        label = FIELD_LABELS.get(str(err["loc"][0])) if err["loc"] else None
        rule = _TYPE_RULES.get(err["type"])
        ctx = err.get("ctx", {})
        if err["type"] == "literal_error":
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
