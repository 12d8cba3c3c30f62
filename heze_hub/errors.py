"""Typed errors. Channels raise these; the core decides what is retried and what a user sees."""

from __future__ import annotations

import errno
import re
import tomllib
from typing import Any


class HubError(Exception):
    """Base of every error the hub reports to a user as a message instead of a traceback."""


class InputError(HubError):
    """Bad input: an item file, a field, a rule. Exit status 2; nothing is sent.

    The message is Chinese and names the file, the field and the rule.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.field = field


class ConfigError(HubError):
    """Bad or incomplete configuration. Exit status 2; nothing is sent."""


class DeliveryError(HubError):
    """Base of errors raised by a channel while publishing."""


class TransientError(DeliveryError):
    """Worth retrying: connection errors, timeouts, 408/425/429/5xx, a platform's "busy" codes.

    ``retry_after`` (seconds) is the remote's own wish, e.g. from a ``Retry-After`` header or a
    quota code; the retry policy honours it within its bounds.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Not worth retrying without a change by a person: 4xx, rejected content, bad credentials."""


class BlockedError(PermanentError):
    """A local condition a person must fix first — a full disk, a read-only file system, a
    refused permission: retrying at once cannot help, so it is not retried within the run; the
    delivery fails as retryable, and ``hub retry`` finishes it once the cause is gone."""


class Deferred(DeliveryError):
    """The channel hands this delivery to a person (e.g. a file upload to a provincial platform).

    The delivery stays ``pending`` with this message and no receipt, until the outcome is
    recorded (``hub credit mark-uploaded``); nothing remote happened.
    """


class Unconfirmed(DeliveryError):
    """The request may or may not have taken effect (its answer was lost) and the remote cannot
    refuse a duplicate: the delivery becomes ``unconfirmed`` and is never resent automatically,
    only by ``hub retry --resend`` after a person has checked."""


class BatchInputError(InputError):
    """Several files of a batch are invalid; every message is kept so all can be fixed at once."""

    def __init__(
        self, messages: list[str], details: list[tuple[str | None, str | None, str]] | None = None
    ) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages
        #: (file, field, message) of each problem where known, for structured answers (the
        #: service's 422); the same messages as ``messages``.
        self.details = details if details is not None else [(None, None, m) for m in messages]


_OS_ERRORS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "文件系统为只读",
    errno.EACCES: "没有权限",
    errno.EPERM: "操作不被允许",
    errno.ENOENT: "文件或目录不存在",
    errno.EISDIR: "这是一个目录",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EIO: "读写时发生输入输出错误",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ELOOP: "符号链接循环",
    errno.ENXIO: "设备不存在",
    errno.ENODEV: "设备不存在",
}


def describe_os_error(exc: OSError, *, with_path: bool = True) -> str:
    """A file system error in a user's words (the system's own text may be English):
    ``磁盘空间不足（/var/hub/hub.key）``; without the path where the message names it already."""
    what = _OS_ERRORS.get(exc.errno or 0) or f"系统错误 {exc.errno}"
    where = exc.filename if with_path else None
    return f"{what}（{where}）" if where else what


def _lasting(exc: OSError) -> bool:
    """A full disk, a read-only file system, a refused permission: retrying will not help until
    a person acts, so such errors are never retried as if they were transient."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def write_failure(what: str, exc: BaseException) -> DeliveryError:
    """The error a channel raises when writing its files (or reading the store for them) failed:
    :class:`BlockedError` for a full disk, a read-only file system or a refused permission (a
    person must act first), :class:`TransientError` for anything else (a busy store, a passing
    I/O error), each saying ``what`` failed and why in a user's words."""
    if isinstance(exc, OSError):
        if _lasting(exc):
            return BlockedError(f"{what}：{describe_os_error(exc)}；排除后运行 hub retry")
        return TransientError(f"{what}：{describe_os_error(exc)}")
    return TransientError(f"{what}：{type(exc).__name__}: {exc}"[:300])


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


def describe_toml_error(exc: tomllib.TOMLDecodeError) -> tuple[str, int | None, int | None]:
    """tomllib's English error as a Chinese reason, with its line and column when it gives them
    (item files and ``channels.toml`` share it: nobody reads the parser's words)."""
    m = _TOML_AT.match(str(exc))
    message = m.group("msg") if m else str(exc)
    reason = next((cn for en, cn in _TOML_REASONS if message.startswith(en)), "格式错误")
    if m and m.group("line"):
        return reason, int(m.group("line")), int(m.group("col"))
    return reason, None, None


#: pydantic's error types in a configuration (``channels.toml``, the environment), in Chinese.
_SETTING_RULES = {
    "missing": "缺少必填设置",
    "extra_forbidden": "未知设置（请检查拼写）",
    "string_type": "应为文本（加英文双引号）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_parsing": "应为数值",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": '应为列表，例如 ["…"]',
    "dict_type": "应为表",
    "model_type": "应为表",
    "string_too_short": "不能为空",
    "url_parsing": "不是有效的网址",
    "url_scheme": "网址应以 http:// 或 https:// 开头",
}


def describe_setting_error(error: Any) -> str:
    """One of pydantic's validation errors of a setting as a Chinese rule (the key is named by
    the caller); pydantic's own text is English and never shown."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("' or '", "'、'").replace("', '", "'、'")
        return f"取值无效，应为 {expected}"
    if kind in {"string_too_long", "too_long"}:
        return f"过长（最多 {ctx.get('max_length')}）"
    if kind == "string_pattern_mismatch":
        return "格式不符（只能含字母、数字和 -）"
    if kind in {"greater_than_equal", "greater_than"}:
        return f"超出范围（应不小于 {ctx.get('ge', ctx.get('gt'))}）"
    if kind in {"less_than_equal", "less_than"}:
        return f"超出范围（应不大于 {ctx.get('le', ctx.get('lt'))}）"
    if kind == "value_error":
        return str(ctx.get("error", "取值无效"))
    return _SETTING_RULES.get(kind, f"取值无效（{kind}）")
