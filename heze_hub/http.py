"""Small HTTP rules every channel that talks to a remote API shares.

- :func:`retry_after_seconds` reads a ``Retry-After`` header (RFC 9110 §10.2.3);
- :func:`is_transient_status` says whether an error status is worth another attempt.

What a channel makes of an answer (its messages, its platform's error codes) stays in the channel.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

__all__ = ["TRANSIENT_STATUSES", "is_transient_status", "retry_after_seconds"]

#: Error statuses below 500 that mean "not now" rather than "never": Request Timeout, Too Early,
#: Too Many Requests.
TRANSIENT_STATUSES = frozenset({408, 425, 429})

# delay-seconds is 1*DIGIT; a sign (a negative wait means none) and a fraction are tolerated,
# an exponent, "inf" or "nan" are not.
_SECONDS = re.compile(r"[+-]?\d+(?:\.\d+)?")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header value asks to wait, or ``None``.

    The value is delta-seconds (``"120"``) or an HTTP-date (``"Wed, 21 Oct 2015 07:28:00 GMT"``),
    counted from ``now`` (default: the current time). A date in the past or a negative number
    gives ``0.0``: the result is never negative. ``None`` when the header is absent, empty or
    unparseable.
    """
    if not value:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_transient_status(status: int) -> bool:
    """A 5xx or one of :data:`TRANSIENT_STATUSES`: the request may succeed if sent again."""
    return status in TRANSIENT_STATUSES or status >= 500
