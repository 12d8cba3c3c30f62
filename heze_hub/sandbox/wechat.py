"""Fake WeChat official-account API (DESIGN §5.3): token, cover upload, draft, publish, status.

Like the real platform, every error is HTTP 200 with ``{"errcode", "errmsg"}`` and the content
type is ``application/json; encoding=utf-8`` (not ``charset=``, so a client that reads ``.text``
instead of decoding UTF-8 itself sees mojibake, as it would in production).

Error codes, all real WeChat codes:

=======  ===================================================================================
-1       system error (only through faults)
40001    unknown or superseded access_token ("invalid credential")
40002    grant_type is not ``client_credential``
40004    add_material ``type`` is not image/voice/video/thumb
40005    the uploaded thumb/image is not an image of an accepted format (thumb: JPEG only)
40007    unknown ``thumb_media_id`` (draft/add) or draft ``media_id`` (freepublish/submit)
40009    image larger than 10 MB; 40012: thumb larger than 64 KB
40013    wrong appid; 40125: wrong secret; 41002/41004: appid/secret missing
40033    the raw body holds ``\\u``-escapes (``\\u83cf``) of non-ASCII text ("invalid charset")
41001    access_token missing
41005    the multipart field ``media`` is missing
42001    access_token expired
43002    the endpoint requires POST
44003    no articles, or an article without title or content ("empty news data")
45002    content of 20,000 characters or more, or over 1 MB ("content size out of limit")
45003    title over 32 characters; 45004: digest over 128; 45110: author over 16
45005    content_source_url over 1 KB ("url size out of limit")
45008    more than 8 articles in one draft
45166    content holds ``<script`` ("invalid content")
47001    the body is not a JSON object, or freepublish/get's ``publish_id`` is not a JSON
         string ("data format error")
47003    unknown ``publish_id`` in freepublish/get ("argument invalid")
=======  ===================================================================================

``freepublish/submit`` answers ``publish_id`` and ``msg_data_id`` as JSON numbers, as the
platform does in practice; ``freepublish/get`` takes ``publish_id`` only as a JSON string, its
documented type, so a client that sends back the number it was given is refused.

Lengths are counted in characters (code points), as the current documentation states them.
Faults produce -1, 45009 (quota) and the rest of the transient world.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import secrets
import time
from typing import Any

from .base import RecordedRequest, Response, Service
from .withdrawals import install

DEFAULT_APPID = "wx-sandbox-appid"
DEFAULT_SECRET = "sandbox-wechat-secret"

# A \u escape that is not itself escaped (preceded by an even number of backslashes).
_UNICODE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u([0-9a-fA-F]{4})")
_IMAGE_MAGIC = {
    b"\xff\xd8\xff": "jpeg",
    b"\x89PNG\r\n\x1a\n": "png",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
    b"BM": "bmp",
}


def _image_format(data: bytes) -> str | None:
    return next((fmt for magic, fmt in _IMAGE_MAGIC.items() if data.startswith(magic)), None)


class WeChatService(Service):
    """The official-account platform of one account (``appid``/``secret``).

    Settings (plain attributes, change them any time): ``appid``, ``secret``, ``token_ttl``
    (seconds a token lives), ``polls_until_published`` (how many freepublish/get calls answer
    ``publish_status: 1`` before the final status), ``next_publish_status`` (final status of the
    next submitted publication only — 0 published, 2–4 failed, 5–6 deleted/banned — then back to
    0).

    State: ``tokens``, ``materials``, ``drafts`` (media_id → the draft JSON), ``publishes``
    (publish_id → status record); counters ``token_requests``, ``uploads``, ``submits``,
    ``polls`` (``len(drafts)`` counts drafts).
    """

    name = "wechat"
    json_content_type = "application/json; encoding=utf-8"

    def __init__(self, appid: str = DEFAULT_APPID, secret: str = DEFAULT_SECRET,
                 token_ttl: float = 7200, polls_until_published: int = 1) -> None:
        super().__init__()
        self.appid = appid
        self.secret = secret
        self.token_ttl = token_ttl
        self.polls_until_published = polls_until_published
        self.next_publish_status: int | None = None
        self.reset_state()
        self.routes = {
            "/cgi-bin/stable_token": {"POST": self._stable_token},
            "/cgi-bin/token": {"GET": self._classic_token},
            "/cgi-bin/get_api_domain_ip": {"GET": self._api_domain_ip},
            "/cgi-bin/material/add_material": {"POST": self._add_material},
            "/cgi-bin/draft/add": {"POST": self._draft_add},
            "/cgi-bin/freepublish/submit": {"POST": self._submit},
            "/cgi-bin/freepublish/get": {"POST": self._get},
        }
        install(self)

    def reset_state(self) -> None:
        self.tokens: dict[str, float] = {}  # token → expiry (monotonic clock)
        self.current_token: str | None = None
        self.materials: dict[str, dict[str, Any]] = {}
        self.drafts: dict[str, dict[str, Any]] = {}
        self.publishes: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, dict[str, Any]] = {}
        self.token_requests = 0
        self.uploads = 0
        self.submits = 0
        self.polls = 0
        self._ids = itertools.count(2247483650)

    def state(self) -> dict[str, Any]:
        return {
            "counters": {"token_requests": self.token_requests, "uploads": self.uploads,
                         "drafts": len(self.drafts), "submits": self.submits,
                         "polls": self.polls},
            "materials": {k: {n: v for n, v in m.items() if n != "data"}
                          for k, m in self.materials.items()},
            "drafts": self.drafts,
            "publishes": self.publishes,
            "deleted": self.deleted,
        }

    # -- helpers -----------------------------------------------------------------------------
    def error(self, errcode: int, errmsg: str) -> Response:
        rid = secrets.token_hex(4)
        return self.json(200, {"errcode": errcode, "errmsg": f"{errmsg} rid: {rid}"})

    def fault_body(self, status: int, request: RecordedRequest) -> Any:
        return {"errcode": -1, "errmsg": "system error"}

    def not_found(self, request: RecordedRequest) -> Response:
        return self.json(404, {"errcode": 404, "errmsg": f"not found: {request.path}"})

    def method_not_allowed(self, request: RecordedRequest, allowed: list[str]) -> Response:
        return self.error(43002, "require POST method")

    def invalidate_tokens(self) -> None:
        """Make every issued token unknown to the platform (next use: 40001)."""
        with self.lock:
            self.tokens.clear()
            self.current_token = None

    def expire_tokens(self) -> None:
        """Make every issued token expire now (next use: 42001)."""
        with self.lock:
            now = time.monotonic()
            for token in self.tokens:
                self.tokens[token] = now

    def _token_error(self, request: RecordedRequest) -> Response | None:
        token = request.query.get("access_token")
        if not token:
            return self.error(41001, "access_token missing")
        with self.lock:
            expiry = self.tokens.get(token)
        if expiry is None:
            return self.error(40001, "invalid credential, access_token is invalid or not latest")
        if time.monotonic() >= expiry:
            return self.error(42001, "access_token expired")
        return None

    def _json_object(self, request: RecordedRequest) -> dict[str, Any] | None:
        return request.json if isinstance(request.json, dict) else None

    # -- 1. token ----------------------------------------------------------------------------
    def _issue(self, appid: Any, secret: Any, grant_type: Any, force: bool) -> Response:
        with self.lock:
            self.token_requests += 1
        if grant_type != "client_credential":
            return self.error(40002, "invalid grant_type")
        if not appid:
            return self.error(41002, "appid missing")
        if not secret:
            return self.error(41004, "appsecret missing")
        if appid != self.appid:
            return self.error(40013, "invalid appid")
        if secret != self.secret:
            return self.error(40125, "invalid appsecret")
        with self.lock:
            now = time.monotonic()
            expiry = self.tokens.get(self.current_token or "")
            # The platform renews a token in the last 5 minutes of its 2 hours (1/24 of its life).
            if force or expiry is None or expiry - now <= self.token_ttl / 24:
                if force:
                    self.tokens.clear()  # force_refresh makes the previous token invalid
                self.current_token = secrets.token_urlsafe(48)
                expiry = now + self.token_ttl
                self.tokens[self.current_token] = expiry
            token = self.current_token
        return self.json(200, {"access_token": token,
                               "expires_in": max(1, math.ceil(round(expiry - now, 3)))})

    def _stable_token(self, request: RecordedRequest) -> Response:
        body = self._json_object(request)
        if body is None:
            with self.lock:
                self.token_requests += 1
            return self.error(47001, "data format error")
        return self._issue(body.get("appid"), body.get("secret"), body.get("grant_type"),
                           body.get("force_refresh") is True)

    def _classic_token(self, request: RecordedRequest) -> Response:
        q = request.query
        return self._issue(q.get("appid"), q.get("secret"), q.get("grant_type"), force=False)

    def _api_domain_ip(self, request: RecordedRequest) -> Response:
        return self._token_error(request) or self.json(200, {"ip_list": ["127.0.0.1"]})

    # -- 2. cover ----------------------------------------------------------------------------
    def _add_material(self, request: RecordedRequest) -> Response:
        if problem := self._token_error(request):
            return problem
        kind = request.query.get("type")
        if kind not in ("image", "voice", "video", "thumb"):
            return self.error(40004, "invalid media type")
        media = request.files.get("media")
        if media is None or not media.data:
            return self.error(41005, "media data missing")
        fmt = _image_format(media.data)
        if kind == "thumb":
            if fmt != "jpeg":
                return self.error(40005, "invalid file type")
            if len(media.data) > 64 * 1024:
                return self.error(40012, "invalid thumb size")
        elif kind == "image":
            if fmt is None:
                return self.error(40005, "invalid file type")
            if len(media.data) > 10 * 1024 * 1024:
                return self.error(40009, "invalid image size")
        media_id = secrets.token_urlsafe(32)
        url = f"{self.url}/mmbiz/{media_id}"
        with self.lock:
            self.uploads += 1
            self.materials[media_id] = {"type": kind, "filename": media.filename,
                                        "format": fmt, "size": len(media.data), "url": url,
                                        "data": media.data}
        return self.json(200, {"media_id": media_id, "url": url, "item": []})

    def handle(self, request: RecordedRequest) -> Response:
        if request.path.startswith("/mmbiz/") and request.method in ("GET", "HEAD"):
            with self.lock:  # the uploaded image, as the material's ``url`` promises
                material = self.materials.get(request.path.removeprefix("/mmbiz/"))
            if material is not None:
                fmt = material["format"]
                return Response(200, raw=material["data"],
                                content_type=f"image/{fmt}" if fmt else "application/octet-stream")
        return super().handle(request)

    # -- 3. draft ----------------------------------------------------------------------------
    def _draft_add(self, request: RecordedRequest) -> Response:
        if problem := self._token_error(request):
            return problem
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            return self.error(40033, "invalid charset. please check your request, "
                                     "if include \\uxxxx will create fail!")
        if any(int(m.group(1), 16) >= 0x80 for m in _UNICODE_ESCAPE.finditer(text)):
            return self.error(40033, "invalid charset. please check your request, "
                                     "if include \\uxxxx will create fail!")
        try:
            body = json.loads(text)
        except ValueError:
            return self.error(47001, "data format error")
        if not isinstance(body, dict):
            return self.error(47001, "data format error")
        articles = body.get("articles")
        if not isinstance(articles, list) or not articles:
            return self.error(44003, "empty news data")
        if len(articles) > 8:
            return self.error(45008, "article size out of limit")
        for article in articles:
            if problem := self._article_problem(article):
                return problem
        media_id = secrets.token_urlsafe(32)
        with self.lock:
            self.drafts[media_id] = {"articles": articles, "created": time.time()}
        return self.json(200, {"media_id": media_id})

    def _article_problem(self, article: Any) -> Response | None:
        if not isinstance(article, dict):
            return self.error(47001, "data format error")
        title, content = article.get("title"), article.get("content")
        if not isinstance(title, str) or not title or not isinstance(content, str) or not content:
            return self.error(44003, "empty news data")
        if len(title) > 32:
            return self.error(45003, "title size out of limit")
        if len(str(article.get("author") or "")) > 16:
            return self.error(45110, "author size out of limit")
        if len(str(article.get("digest") or "")) > 128:
            return self.error(45004, "description size out of limit")
        if len(content) >= 20000 or len(content.encode("utf-8")) >= 1024 * 1024:
            return self.error(45002, "content size out of limit")
        if "<script" in content.lower():
            return self.error(45166, "invalid content")
        if len(str(article.get("content_source_url") or "").encode("utf-8")) > 1024:
            return self.error(45005, "url size out of limit")
        thumb = article.get("thumb_media_id")
        with self.lock:
            known = isinstance(thumb, str) and thumb in self.materials
        if not known:
            return self.error(40007, "invalid media_id")
        return None

    # -- 4. publish --------------------------------------------------------------------------
    def _submit(self, request: RecordedRequest) -> Response:
        if problem := self._token_error(request):
            return problem
        body = self._json_object(request)
        if body is None:
            return self.error(47001, "data format error")
        media_id = body.get("media_id")
        with self.lock:
            if not isinstance(media_id, str) or media_id not in self.drafts:
                return self.error(40007, "invalid media_id")
            self.submits += 1
            publish_id = next(self._ids)
            outcome = self.next_publish_status or 0
            self.next_publish_status = None
            self.publishes[str(publish_id)] = {
                "media_id": media_id, "final_status": outcome, "polls": 0,
                "article_id": secrets.token_urlsafe(24),
            }
            msg_data_id = next(self._ids)
        return self.json(200, {"errcode": 0, "errmsg": "ok", "publish_id": publish_id,
                               "msg_data_id": msg_data_id})

    # -- 5. status ---------------------------------------------------------------------------
    def _get(self, request: RecordedRequest) -> Response:
        if problem := self._token_error(request):
            return problem
        body = self._json_object(request)
        if body is None:
            return self.error(47001, "data format error")
        publish_id = body.get("publish_id")
        if not isinstance(publish_id, str):
            return self.error(47001, "data format error hint: publish_id must be a string")
        with self.lock:
            self.polls += 1
            record = self.publishes.get(publish_id)
            if record is None:
                return self.error(47003, "argument invalid! publish_id")
            record["polls"] += 1
            publishing = record["polls"] <= self.polls_until_published
            status = 1 if publishing else record["final_status"]
            count = len(self.drafts[record["media_id"]]["articles"])
        answer: dict[str, Any] = {"publish_id": publish_id, "publish_status": status}
        if status in (0, 5, 6):
            answer["article_id"] = record["article_id"]
        if status == 0:
            answer["article_detail"] = {"count": count, "item": [
                {"idx": i, "article_url": f"https://mp.weixin.qq.com/s/{record['article_id']}"
                                          + (f"?idx={i}" if i > 1 else "")}
                for i in range(1, count + 1)
            ]}
        answer["fail_idx"] = list(range(1, count + 1)) if status in (2, 3, 4) else []
        return self.json(200, answer)
