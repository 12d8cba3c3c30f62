"""The item file's fields (DESIGN §2) as pydantic models, and the limits an item file is held
to: :class:`ItemFile` and its :class:`AttachmentRef`, each rule a Chinese message."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from heze_hub.items.labels import code_of
from heze_hub.items.messages import codepoint, loose_date, not_a_date, show
from heze_hub.items.model import Category, Disclosure, Kind
from heze_hub.items.render import SUMMARY_LIMIT, body_problem

INDEX_NO_RE = re.compile(r"^[0-9A-Za-z-]{1,40}/\d{4}-\d{5}$")

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
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:\d{2})?)?"
)


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
            raise ValueError(f"附件路径中有控制字符 {codepoint(bad)}，请删除")
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
    # DESIGN §5.6: the boards a notice is posted on, and decision drafts open for comment.
    boards: list[str] | None = Field(None, min_length=1, max_length=200)
    comment_until: date | None = None
    comment_address: str | None = Field(None, min_length=1, max_length=MAX_TEXT)
    draft_of: str | None = Field(None, pattern=INDEX_NO_RE.pattern)
    major: bool = False
    correction: str | None = Field(None, min_length=1, max_length=500)
    repeals: list[str] = Field(default_factory=list, max_length=50)
    valid_until: date | None = None
    body: str = ""

    @field_validator("repeals")
    @classmethod
    def _index_numbers(cls, value: list[str]) -> list[str]:
        for v in value:
            if not INDEX_NO_RE.match(v.strip()):
                raise ValueError(f"“{show(v)}”不是索引号（应写作 371700/2018-00001 的形式）")
        return [v.strip() for v in value]

    @field_validator("kind", "category", "disclosure", mode="before")
    @classmethod
    def _label_to_code(cls, value: Any, info: ValidationInfo) -> Any:
        # Tables show 通知, 服务公开, 主动公开: the clerk may write those as well as the codes.
        return code_of(str(info.field_name), value)

    @field_validator("topics", "redact", "channels", "boards")
    @classmethod
    def _no_blank_entries(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not v.strip() for v in value):
            raise ValueError("列表中不能有空字符串")
        return value

    @field_validator("topics", "channels", "boards")
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

    @field_validator("title", "department", "doc_number", "summary", "interprets",
                     "comment_address", "draft_of", "correction", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        # Only single-line fields: the body keeps its leading indentation (Markdown code blocks).
        return value.strip() if isinstance(value, str) else value

    @field_validator("written_on", "comment_until", "valid_until", mode="before")
    @classmethod
    def _date_not_datetime(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, datetime) or (
            isinstance(value, str) and re.search(r"[T ]\d{1,2}:", value)
        ):
            what = "征求意见截止日期" if info.field_name == "comment_until" else "成文日期"
            raise ValueError(f"{what}只写日期，例如 2018-06-01，不带时间")
        if isinstance(value, str) and not _DATE_TEXT.fullmatch(value.strip()):
            fixed = loose_date(value)
            raise ValueError(
                f"日期应写作 {fixed or 'YYYY-MM-DD，例如 2018-06-01'}（年-月-日，用连字符 -，"
                f"月和日写两位）：“{show(value)}”"
            )
        if not isinstance(value, str | date):
            raise ValueError(not_a_date(value, "2018-06-01"))
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
                "文件不能在将来成文，请检查年份"
            )
        return value

    @field_validator("decided_at", mode="before")
    @classmethod
    def _datetime_as_written(cls, value: Any) -> Any:
        if isinstance(value, str) and not _DATETIME_TEXT.fullmatch(value.strip()):
            raise ValueError(
                f"日期时间应写作 2018-07-12T16:30:00+08:00 的形式：“{show(value)}”"
            )
        if value is not None and not isinstance(value, str | date):
            raise ValueError(not_a_date(value, "2018-07-12T16:30:00+08:00"))
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
