"""Typed errors. Channels raise these; the core decides what is retried and what a user sees."""

from __future__ import annotations

import errno


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
