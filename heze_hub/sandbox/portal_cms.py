"""Fake portal CMS (DESIGN §5.1, mode ``http``): ``POST /api/articles``.

Headers ``Authorization: Bearer {token}`` and ``Idempotency-Key``; a JSON body with exactly the
fields of ``ARTICLE_FIELDS``. Answers:

- 401 ``{"error"}``: missing or wrong bearer token (with ``WWW-Authenticate: Bearer``);
- 400 ``{"error"}``: no ``Idempotency-Key``, or a body that is not a UTF-8 JSON object;
- 200 with the first answer's body: the key was seen before (nothing is created again);
- 422 ``{"error"}``: a field missing or unknown, or a value of the wrong shape — strings where
  text is expected, ``version`` a positive integer, ``written_on`` ``YYYY-MM-DD``,
  ``published_at`` an ISO 8601 date-time with its UTC offset, ``category`` and ``kind`` from the
  item vocabulary, ``content_sha256`` 64 hex digits, ``topics`` a list of strings,
  ``attachments`` a list of objects, ``doc_number``/``interprets`` a string or null;
- 201 ``{"id", "url"}``: the article is created.

It also shows what it holds: ``GET /api/articles/{id}`` (the stored JSON, same token),
``GET /cms/{id}.html`` (the article as a page, the ``url`` it answered), and, when ``static_dir``
is set, every other ``GET`` serves that directory — point it at the static portal's
``output_dir`` and the hub's ``public_url`` at this service, and every link the hub builds works.
"""

from __future__ import annotations

import html
import itertools
import mimetypes
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .base import RecordedRequest, Response, Service
from .recording import field_set_problems
from .withdrawals import delete_article, install

DEFAULT_TOKEN = "sandbox-portal-token"
ARTICLE_FIELDS = (
    "index_no", "version", "title", "department", "doc_number", "written_on", "published_at",
    "category", "topics", "kind", "summary", "body_html", "content_sha256", "interprets",
    "attachments",
)
CATEGORIES = ("decision", "execution", "management", "service", "result")
KINDS = (
    "notice", "announcement", "policy", "interpretation", "report", "recall", "license",
    "penalty", "proposal_reply", "statistics", "draft", "comment_summary", "other",
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def article_problems(body: dict[str, Any]) -> list[str]:
    """What is wrong with an article body (empty = acceptable)."""
    problems = field_set_problems(body, ARTICLE_FIELDS)

    def check(name: str, ok: bool, expected: str) -> None:
        if name in body and not ok:
            problems.append(f"{name}: expected {expected}, got {body[name]!r:.80}")

    for name in ("index_no", "title", "department", "body_html"):
        check(name, isinstance(body.get(name), str) and bool(body.get(name).strip()),
              "a non-empty string")
    check("summary", isinstance(body.get("summary"), str), "a string")
    for name in ("doc_number", "interprets"):
        check(name, body.get(name) is None or isinstance(body.get(name), str), "a string or null")
    version = body.get("version")
    check("version", isinstance(version, int) and not isinstance(version, bool) and version >= 1,
          "a positive integer")
    check("written_on", _is_date(body.get("written_on")), "a date YYYY-MM-DD")
    check("published_at", _is_aware_datetime(body.get("published_at")),
          "an ISO 8601 date-time with its UTC offset")
    check("category", body.get("category") in CATEGORIES, "one of " + ", ".join(CATEGORIES))
    check("kind", body.get("kind") in KINDS, "one of " + ", ".join(KINDS))
    check("content_sha256", isinstance(body.get("content_sha256"), str)
          and bool(_SHA256.match(body.get("content_sha256"))), "64 lowercase hex digits")
    topics = body.get("topics")
    check("topics", isinstance(topics, list) and all(isinstance(t, str) for t in topics),
          "a list of strings")
    attachments = body.get("attachments")
    check("attachments", isinstance(attachments, list)
          and all(isinstance(a, dict) for a in attachments), "a list of objects")
    return problems


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_aware_datetime(value: Any) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        return datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        return False


class PortalCMSService(Service):
    """The portal's content management system.

    Settings: ``token``, ``static_dir``. State: ``articles`` (id → stored article), ``by_key``
    (idempotency key → the answer), counter ``created``.
    """

    name = "portal"

    def __init__(self, token: str = DEFAULT_TOKEN, static_dir: str | Path | None = None) -> None:
        super().__init__()
        self.token = token
        self.static_dir = Path(static_dir) if static_dir else None
        self.reset_state()
        self.routes = {"/api/articles": {"POST": self._create}}
        install(self)

    def reset_state(self) -> None:
        self.articles: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}
        self.created = 0
        self._ids = itertools.count(1001)

    def state(self) -> dict[str, Any]:
        return {"created": self.created, "articles": self.articles, "deleted": self.deleted}

    def _auth_problem(self, request: RecordedRequest) -> Response | None:
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            return self.json(401, {"error": "missing or invalid bearer token"},
                             WWW_Authenticate='Bearer realm="portal-cms"')
        return None

    def _create(self, request: RecordedRequest) -> Response:
        if problem := self._auth_problem(request):
            return problem
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return self.json(400, {"error": "missing Idempotency-Key header"})
        with self.lock:
            seen = self.by_key.get(key)
        if seen is not None:
            return self.json(200, seen)
        body = request.json
        if not isinstance(body, dict):
            return self.json(400, {"error": "the body must be a UTF-8 JSON object"})
        if problems := article_problems(body):
            return self.json(422, {"error": "; ".join(problems)})
        with self.lock:
            seen = self.by_key.get(key)  # a concurrent request with the same key won the race
            if seen is not None:
                return self.json(200, seen)
            article_id = str(next(self._ids))
            answer = {"id": article_id, "url": f"{self.url}/cms/{article_id}.html"}
            self.articles[article_id] = dict(body, id=article_id, url=answer["url"],
                                             idempotency_key=key)
            self.by_key[key] = answer
            self.created += 1
        return self.json(201, answer)

    def handle(self, request: RecordedRequest) -> Response:
        path = request.path
        if request.method == "DELETE" and path.startswith("/api/articles/"):
            return delete_article(self, request)
        if request.method in ("GET", "HEAD"):
            if path.startswith("/api/articles/"):
                if problem := self._auth_problem(request):
                    return problem
                with self.lock:
                    article = self.articles.get(path.removeprefix("/api/articles/"))
                return self.json(200, article) if article else self.not_found(request)
            if m := re.fullmatch(r"/cms/([^/]+)\.html", path):
                with self.lock:
                    article = self.articles.get(m.group(1))
                if article:
                    return _page(article)
            elif path not in self.routes:
                return self._static(request)
        return super().handle(request)

    def _static(self, request: RecordedRequest) -> Response:
        if self.static_dir is None:
            return self.not_found(request)
        root = self.static_dir.resolve()
        target = (root / request.path.lstrip("/")).resolve()
        if not target.is_relative_to(root):
            return self.not_found(request)
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return self.not_found(request)
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/json",
                                                                "application/xml"):
            content_type += "; charset=utf-8"
        return Response(200, raw=target.read_bytes(), content_type=content_type)


def _page(article: dict[str, Any]) -> Response:
    title = html.escape(str(article.get("title", "")))
    meta = "".join(
        f"<tr><th>{label}</th><td>{html.escape(str(article.get(key) or ''))}</td></tr>"
        for label, key in (("索引号", "index_no"), ("发布机构", "department"),
                           ("成文日期", "written_on"), ("文号", "doc_number"),
                           ("发布日期", "published_at"))
    )
    page = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}'
            f"</title></head><body><table>{meta}</table><h1>{title}</h1>"
            f"{article.get('body_html', '')}</body></html>")
    return Response(200, raw=page.encode("utf-8"), content_type="text/html; charset=utf-8")
