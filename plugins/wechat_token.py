"""The WeChat access token: cached per channel object, refreshed ahead of expiry, kept out of logs.

:class:`TokenCache` keeps the token ``stable_token`` handed out and decides when to ask again;
the request itself is made by :class:`heze_hub_plugins.wechat_api.WeChatApi`. The token rides in
the query string of every call, and urllib3 logs request URLs at DEBUG, so a log filter
(:func:`install_log_redaction`) masks it there.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float  # time.monotonic() after which it is fetched again


class TokenCache:
    """One access token, shared by the delivery threads of a channel object."""

    def __init__(self) -> None:
        self._token: _Token | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> str | None:
        """The cached token's value, if any (to remove it from a message)."""
        return self._token.value if self._token else None

    def get(self, fetch: Callable[[bool], tuple[str, float]], rejected: str | None = None) -> str:
        """A valid access token; ``rejected`` is one WeChat just refused (refresh it once).

        ``fetch(force_refresh)`` asks WeChat and answers a token and its lifetime in seconds.
        """
        with self._lock:
            token = self._token
            if token and token.value != rejected and time.monotonic() < token.refresh_at:
                return token.value
            value, expires_in = fetch(False)
            if value == rejected:
                # stable_token hands out the current token until it expires; WeChat says this one
                # is no longer valid, so ask for a new one.
                value, expires_in = fetch(True)
            # Refresh ahead of expiry: 5 minutes early, or a fifth of a short lifetime.
            margin = min(300.0, expires_in / 5)
            self._token = _Token(value, time.monotonic() + expires_in - margin)
            return value


_QUERY_TOKEN = re.compile(r"(access_token=)[^&\s\"']+")


class _RedactAccessToken(logging.Filter):
    """urllib3 logs request URLs at DEBUG; WeChat's carry the access token in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "access_token=" in message:
            record.msg, record.args = _QUERY_TOKEN.sub(r"\1***", message), None
        return True


def install_log_redaction() -> None:
    """Mask access tokens in urllib3's connection log; once per process, however many channels."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactAccessToken) for f in logger.filters):
        logger.addFilter(_RedactAccessToken())
