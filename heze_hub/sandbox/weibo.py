"""Fake Weibo open API (DESIGN §5.4): ``POST /2/statuses/share.json``.

Errors are JSON ``{"error", "error_code", "request"}`` with HTTP 400, as Weibo sends them:

=====  ======================================================================================
10016  ``status`` or ``rip`` missing or empty
10017  ``rip`` is not an IP address (the real public IP of the caller, required since the API's
       current documentation)
20012  text longer than 140 (counted as below)
20018  no URL on the app's safe domains in the text ("contain illegal website")
20019  the same text was posted before ("Repeat content!")
21301  no access token at all
21327  wrong access token ("expired_token")
=====  ======================================================================================

Faults produce the rest (10022–10024 and 20016 rate limits, 20017, 20111, 21315, 21332…).

Length rule, the one Weibo's own web client applies: count bytes with every non-ASCII character
as 2 and every ASCII character as 1; every ``http(s)://`` URL counts as 20 bytes whatever its
length (Weibo shortens it to a t.cn link), or ``len - 120`` bytes when it is longer than 140
bytes; the length is ``ceil(bytes / 2)``. So a Chinese character is 1, two ASCII characters are 1,
and a URL is 10; at most 140 is accepted.

The token may come as the form field ``access_token``, the query parameter, or the header
``Authorization: OAuth2 <token>``. The form may be urlencoded or multipart (with ``pic``).
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import re
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any

from .base import RecordedRequest, Response, Service
from .withdrawals import install

DEFAULT_TOKEN = "sandbox-weibo-token"
DEFAULT_SAFE_DOMAINS = ("127.0.0.1", "localhost", "example.gov.cn")
SHARE_PATH = "/2/statuses/share.json"
# Status ids are above 2**53 and odd, so a client that parses ``id`` as a float loses it.
_FIRST_ID = 2**53 + 1
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_CST = timezone(timedelta(hours=8))
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

USER = {
    "id": 5646543210,
    "idstr": "5646543210",
    "screen_name": "菏泽发布",
    "name": "菏泽发布",
    "province": "37",
    "city": "17",
    "location": "山东 菏泽",
    "description": "菏泽市人民政府新闻办公室官方微博（沙盒）",
    "url": "",
    "profile_image_url": "",
    "domain": "",
    "gender": "m",
    "followers_count": 0,
    "friends_count": 0,
    "statuses_count": 0,
    "favourites_count": 0,
    "created_at": "Mon Jan 05 09:00:00 +0800 2015",
    "following": False,
    "allow_all_act_msg": False,
    "geo_enabled": False,
    "verified": True,
    "verified_type": 1,
    "verified_reason": "菏泽市人民政府新闻办公室官方微博",
}
#: The ``rip`` the sandbox configuration gives the hub (any IP address is accepted).
SANDBOX_RIP = "127.0.0.1"


def weibo_length(text: str) -> int:
    """Length of ``text`` as Weibo counts it (see the module docstring)."""
    url_bytes = 0
    for url in _URL.findall(text):
        n = len(url.encode("utf-8"))  # a URL is ASCII after percent-encoding
        url_bytes += 20 if n <= 140 else n - 120
        text = text.replace(url, "", 1)
    other = sum(1 if ord(ch) < 128 else 2 for ch in text)
    return math.ceil((url_bytes + other) / 2)


def weibo_time(moment: datetime) -> str:
    """``Wed Oct 10 10:00:00 +0800 2018``, in China time, whatever the locale."""
    t = moment.astimezone(_CST)
    return (f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day:02d} "
            f"{t:%H:%M:%S} +0800 {t.year}")


class WeiboService(Service):
    """One government Weibo account behind one app.

    Settings: ``access_token``, ``safe_domains`` (hosts a status URL may point to; subdomains
    count). State: ``statuses`` (idstr → the status JSON), in posting order.
    """

    name = "weibo"
    json_content_type = "application/json;charset=UTF-8"

    def __init__(self, access_token: str = DEFAULT_TOKEN,
                 safe_domains: tuple[str, ...] = DEFAULT_SAFE_DOMAINS) -> None:
        super().__init__()
        self.access_token = access_token
        self.safe_domains: list[str] = list(safe_domains)
        self.reset_state()
        self.routes = {
            SHARE_PATH: {"POST": self._share},
            "/2/account/get_uid.json": {"GET": self._get_uid},
        }
        install(self)

    def reset_state(self) -> None:
        self.statuses: dict[str, dict[str, Any]] = {}
        self.destroyed: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(_FIRST_ID, 2)

    def state(self) -> dict[str, Any]:
        return {"statuses": list(self.statuses.values()), "safe_domains": self.safe_domains,
                "destroyed": list(self.destroyed.values())}

    def allow_domain(self, host_or_url: str) -> None:
        """Add a safe domain (a host, or the host of a URL such as the hub's ``public_url``)."""
        host = urllib.parse.urlsplit(host_or_url).hostname if "://" in host_or_url else host_or_url
        if host and host not in self.safe_domains:
            with self.lock:
                self.safe_domains.append(host)

    # -- answers -----------------------------------------------------------------------------
    def error(self, request: RecordedRequest, code: int, message: str,
              status: int = 400) -> Response:
        return self.json(status, {"error": message, "error_code": code, "request": request.path})

    def fault_body(self, status: int, request: RecordedRequest) -> Any:
        return {"error": "system error!", "error_code": 10001, "request": request.path}

    def not_found(self, request: RecordedRequest) -> Response:
        return self.error(request, 10014, "Request api not found!", 404)

    def method_not_allowed(self, request: RecordedRequest, allowed: list[str]) -> Response:
        return self.error(request, 10021, "HTTP method is not suported for this request!", 405)

    def _token_problem(self, request: RecordedRequest) -> Response | None:
        token = request.form.get("access_token") or request.query.get("access_token")
        auth = request.headers.get("Authorization", "")
        if not token and auth.lower().startswith("oauth2 "):
            token = auth[7:].strip()
        if not token:
            return self.error(request, 21301, "auth faild!")
        if token != self.access_token:
            return self.error(request, 21327, "expired_token")
        return None

    # -- endpoints ---------------------------------------------------------------------------
    def _share(self, request: RecordedRequest) -> Response:
        if problem := self._token_problem(request):
            return problem
        text = request.form.get("status", "")
        if not text.strip():
            return self.error(request, 10016,
                              "miss required parameter (status) , see doc for more info.")
        rip = request.form.get("rip") or request.query.get("rip") or ""
        if not rip.strip():
            return self.error(request, 10016,
                              "miss required parameter (rip) , see doc for more info.")
        try:
            ipaddress.ip_address(rip.strip())
        except ValueError:
            return self.error(request, 10017,
                              f"parameter (rip)'s value invalid,expect (ip address) , "
                              f"but get ({rip}) , see doc for more info.")
        if weibo_length(text) > 140:
            return self.error(request, 20012,
                              "Text too long, please input text less than 140 characters!")
        with self.lock:
            safe = list(self.safe_domains)
        if not any(self._is_safe(url, safe) for url in _URL.findall(text)):
            return self.error(request, 20018, "contain illegal website!")
        with self.lock:
            if any(s["text"] == text for s in self.statuses.values()):
                return self.error(request, 20019, "Repeat content!")
            sid = next(self._ids)
            status = {
                "created_at": weibo_time(datetime.now(_CST)),
                "id": sid,
                "idstr": str(sid),
                "mid": str(sid),
                "text": text,
                "source_allowclick": 0,
                "source_type": 1,
                "source": '<a href="https://open.weibo.com" rel="nofollow">政务公开平台</a>',
                "favorited": False,
                "truncated": False,
                "in_reply_to_status_id": "",
                "in_reply_to_user_id": "",
                "in_reply_to_screen_name": "",
                "pic_urls": [],
                "geo": None,
                "reposts_count": 0,
                "comments_count": 0,
                "attitudes_count": 0,
                "visible": {"type": 0, "list_id": 0},
                "user": dict(USER, statuses_count=len(self.statuses) + 1),
            }
            self.statuses[status["idstr"]] = status
        return self.json(200, status)

    def _get_uid(self, request: RecordedRequest) -> Response:
        return self._token_problem(request) or self.json(200, {"uid": USER["id"]})

    @staticmethod
    def _is_safe(url: str, safe: list[str]) -> bool:
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        return any(host == d.lower() or host.endswith("." + d.lower()) for d in safe)
