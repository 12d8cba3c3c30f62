"""Exit statuses (DESIGN §9) and the Chinese names of delivery states."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit status of every ``hub`` command."""

    SUCCESS = 0
    #: Some delivery failed or a check found problems; everything is recorded.
    FAILED = 1
    #: Bad input or configuration; nothing was sent.
    BAD_INPUT = 2


STATE_LABELS = {
    "pending": "待发布",
    "publishing": "发布中",
    "published": "已发布",
    "failed": "失败",
    "unconfirmed": "待确认",
    "skipped": "不适用",
}
