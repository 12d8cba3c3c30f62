"""How channels reach their remotes, and the HTTP rules they share.

- :class:`HttpClient` is the client every channel is handed (``ctx.http``);
- :data:`TransportError`, :func:`never_sent`, :func:`is_timeout` and :func:`is_bad_url` classify
  a request that got no answer;
- :func:`retry_after_seconds` reads a ``Retry-After`` header (RFC 9110 §10.2.3);
- :func:`is_transient_status` says whether an error status is worth another attempt.

What a channel makes of an answer (its messages, its platform's error codes) stays in the channel.
Every request passes the crash points ``before-send`` and ``after-send``
(:mod:`heze_hub.delivery.crash`), so the tests can kill the hub around any channel's call.
"""

from __future__ import annotations

import email.utils
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    NewConnectionError,
    URLSchemeUnknown,
)
from urllib3.exceptions import TimeoutError as _Timeout

from heze_hub.delivery import crash

__all__ = [
    "TRANSIENT_STATUSES",
    "HttpClient",
    "Response",
    "TransportError",
    "is_bad_url",
    "is_timeout",
    "is_transient_status",
    "never_sent",
    "retry_after_seconds",
]

USER_AGENT = "heze_hub/0.1"

#: An answer: ``.status``, ``.headers`` (case-insensitive), ``.data`` (bytes), ``.json()``.
Response = urllib3.BaseHTTPResponse

#: Every failure to get an answer: refused or reset connections, timeouts, TLS, proxies, bad URLs.
#: Its text names the URL, and URLs may carry tokens: report its type, never ``str(exc)``.
TransportError = HTTPError


class HttpClient:
    """The HTTP client of one run: urllib3 connection pools shared by every worker thread.

    Why urllib3 and not requests: a delivery is one small request to a known host, and requests'
    per-call machinery (merging session settings, cookies, hooks, environment) takes three times
    the instructions of this client per call (``bench/http_client.py --instructions``: 2.0 M
    against 0.66 M); one process of the hub is bound by that CPU.

    Requests are never retried or redirected here: the core retries with the channel's policy,
    and a redirected POST is an answer to report, not to follow. Proxies come from the
    environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``), read once.
    """

    def __init__(self, *, maxsize: int = 10, user_agent: str = USER_AGENT) -> None:
        # maxsize: connections kept per host; set it to the concurrency aimed at one host, or
        # connections beyond it are opened and thrown away on every request.
        self._pool_args: dict[str, Any] = {"maxsize": maxsize, "retries": False}
        self._headers = {"User-Agent": user_agent}
        self._proxies = urllib.request.getproxies_environment()
        # One connection pool per origin, kept here rather than looked up through a PoolManager
        # on every call (measured: a fifth of the client's CPU per request).
        self._pools: dict[tuple[str, str], urllib3.HTTPConnectionPool] = {}
        self._via: dict[str, urllib3.ProxyManager] = {}
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        url: str,
        *,
        timeout: float,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        fields: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request and read the whole answer.

        ``params`` become the query string; ``body`` is sent as is; ``fields`` are encoded as
        ``multipart/form-data`` (a value may be a ``(filename, data, content_type)`` tuple).
        Raises :data:`TransportError` when no answer came.
        """
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        sent = {**self._headers, **(headers or {})}
        if fields is not None:
            body, sent["Content-Type"] = urllib3.encode_multipart_formdata(fields)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise URLSchemeUnknown(parts.scheme)
        crash.reached("before-send", detail=parts.path)
        proxy = self._proxy_for(parts)
        if proxy is not None:
            response = proxy.urlopen(method, url, body=body, headers=sent, timeout=timeout,
                                     retries=False, redirect=False)
        else:
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            response = self._pool(parts, url).urlopen(
                method, target, body=body, headers=sent, timeout=timeout, retries=False,
                redirect=False, assert_same_host=False,
            )
        crash.reached("after-send", detail=parts.path)
        return response

    def get(self, url: str, **kwargs: Any) -> Response:
        """:meth:`request` with ``GET``."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        """:meth:`request` with ``POST``."""
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            for manager in self._via.values():
                manager.clear()
            self._pools.clear()
            self._via.clear()

    def _pool(self, parts: urllib.parse.SplitResult, url: str) -> urllib3.HTTPConnectionPool:
        key = (parts.scheme, parts.netloc)
        pool = self._pools.get(key)
        if pool is None:
            with self._lock:
                pool = self._pools.get(key)
                if pool is None:
                    pool = self._pools[key] = urllib3.connection_from_url(url, **self._pool_args)
        return pool

    def _proxy_for(self, parts: urllib.parse.SplitResult) -> urllib3.ProxyManager | None:
        if not self._proxies:
            return None
        proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
        if not proxy or urllib.request.proxy_bypass_environment(
            parts.hostname or "", self._proxies
        ):
            return None
        with self._lock:
            if proxy not in self._via:
                self._via[proxy] = urllib3.ProxyManager(proxy, **self._pool_args)
            return self._via[proxy]


def never_sent(exc: BaseException) -> bool:
    """Whether a transport failure happened before any byte of the request left."""
    # NewConnectionError (refused, unreachable, no such host) is a ConnectTimeoutError in urllib3.
    return isinstance(exc, ConnectTimeoutError)


def is_timeout(exc: BaseException) -> bool:
    """Whether a transport failure was a timeout (connecting or waiting for the answer)."""
    # urllib3 files a refused connection under its timeouts; it is not one.
    return isinstance(exc, _Timeout) and not isinstance(exc, NewConnectionError)


def is_bad_url(exc: BaseException) -> bool:
    """Whether a transport failure comes from the configured URL itself (no host, odd scheme)."""
    return isinstance(exc, LocationValueError)

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
