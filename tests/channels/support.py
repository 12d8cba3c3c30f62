"""Constants and helpers shared by the channel tests; their fixtures are in ``conftest.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from heze_hub.errors import PermanentError, TransientError, Unconfirmed

TZ = ZoneInfo("Asia/Shanghai")
PUBLIC_URL = "https://www.heze.gov.cn"


def outcome(call: Callable[[], Any]) -> Any:
    """The result of ``call()``, or the typed error it raised."""
    try:
        return call()
    except (TransientError, PermanentError, Unconfirmed) as exc:
        return exc
