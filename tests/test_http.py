"""Shared HTTP rules: Retry-After parsing and transient statuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from heze_hub.http import is_transient_status, retry_after_seconds

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),  # not RFC 9110, but sent by some gateways
        ("-5", 0.0),  # never negative
        ("+5", 5.0),
        ("Thu, 01 Jan 2026 00:01:00 GMT", 60.0),
        ("Wed, 31 Dec 2025 00:00:00 GMT", 0.0),  # in the past: no wait, never negative
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Thursday, 01-Jan-26 00:00:30 GMT", 30.0),  # obsolete RFC 850 form
    ],
)
def test_retry_after_seconds(value, expected):
    assert retry_after_seconds(value, NOW) == expected


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "1e3", "--5", "inf", "nan", "Thu, 99 Foo 2026"]
)
def test_retry_after_absent_or_unparseable(value):
    assert retry_after_seconds(value, NOW) is None


def test_retry_after_date_counts_from_the_current_time():
    later = datetime.now(UTC).timestamp() + 3600
    value = datetime.fromtimestamp(later, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 3590 <= retry_after_seconds(value) <= 3600


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_transient_statuses(status):
    assert is_transient_status(status)


@pytest.mark.parametrize("status", [200, 301, 400, 401, 403, 404, 409, 413, 422, 451])
def test_permanent_statuses(status):
    assert not is_transient_status(status)
