"""Fake 12345 政务服务热线 knowledge base (DESIGN §5.6): ``/api/kb/articles``.

Headers ``Authorization: Bearer {token}``; ``POST`` also ``Idempotency-Key``. A JSON body with
exactly the fields of ``ENTRY_FIELDS``. Answers:

- 401 ``{"error"}``: missing or wrong bearer token;
- 400 ``{"error"}``: ``POST`` without ``Idempotency-Key``, or a body that is not a JSON object;
- 422 ``{"error"}``: a field missing or unknown, or of the wrong shape (``interpretation`` an
  object with ``index_no``, ``title``, ``url``, ``body_text``, or null; ``keywords`` a list of
  strings; ``effective`` a boolean);
- ``POST /api/kb/articles`` → 201 ``{"id"}``; 200 with the same body for a key seen before;
- ``PUT /api/kb/articles/{id}`` → 200 ``{"id"}`` (the entry replaced), 404 if there is none;
- ``DELETE /api/kb/articles/{id}`` → 204, 404 if there is none;
- ``GET /api/kb/articles/{id}`` → the stored entry.

The fake counts ``created``, ``updated`` and ``deleted``, so a test can tell one entry updated
from two entries created.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from .base import RecordedRequest, Response, Service
from .recording import field_set_problems

DEFAULT_TOKEN = "sandbox-hotline-token"
ARTICLES = "/api/kb/articles"
ENTRY_FIELDS = (
    "external_id", "title", "department", "doc_number", "effective", "summary", "body_text",
    "url", "interpretation", "keywords",
)
INTERPRETATION_FIELDS = ("index_no", "title", "url", "body_text")
_ENTRY_PATH = re.compile(r"/api/kb/articles/([^/]+)")


def entry_problems(body: dict[str, Any]) -> list[str]:
    """What is wrong with a knowledge-base entry (empty = acceptable)."""
    problems = field_set_problems(body, ENTRY_FIELDS)
    for name in ("external_id", "title", "department", "body_text", "url"):
        if name in body and not (isinstance(body[name], str) and body[name].strip()):
            problems.append(f"{name}: expected a non-empty string")
    for name in ("summary",):
        if name in body and not isinstance(body[name], str):
            problems.append(f"{name}: expected a string")
    if "doc_number" in body and not (body["doc_number"] is None
                                     or isinstance(body["doc_number"], str)):
        problems.append("doc_number: expected a string or null")
    if "effective" in body and not isinstance(body["effective"], bool):
        problems.append("effective: expected true or false")
    keywords = body.get("keywords")
    if "keywords" in body and not (isinstance(keywords, list)
                                   and all(isinstance(k, str) for k in keywords)):
        problems.append("keywords: expected a list of strings")
    interp = body.get("interpretation")
    if interp is not None:
        if not isinstance(interp, dict) or sorted(interp) != sorted(INTERPRETATION_FIELDS):
            problems.append("interpretation: expected null or an object with "
                            + ", ".join(INTERPRETATION_FIELDS))
        elif not all(isinstance(interp[k], str) and interp[k].strip()
                     for k in INTERPRETATION_FIELDS):
            problems.append("interpretation: every field must be a non-empty string")
    return problems


class HotlineService(Service):
    """The hotline's knowledge base.

    Settings: ``token``. State: ``articles`` (id → stored entry), ``by_key`` (idempotency key →
    the answer), counters ``created``, ``updated``, ``deleted``.
    """

    name = "hotline"

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.reset_state()
        self.routes = {ARTICLES: {"POST": self._create}}

    def reset_state(self) -> None:
        self.articles: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}
        self.created = self.updated = self.deleted = 0
        self._ids = itertools.count(501)

    def state(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted,
                "articles": self.articles}

    def _auth_problem(self, request: RecordedRequest) -> Response | None:
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            return self.json(401, {"error": "missing or invalid bearer token"},
                             WWW_Authenticate='Bearer realm="12345-kb"')
        return None

    def _body(self, request: RecordedRequest) -> dict[str, Any] | Response:
        body = request.json
        if not isinstance(body, dict):
            return self.json(400, {"error": "the body must be a UTF-8 JSON object"})
        if problems := entry_problems(body):
            return self.json(422, {"error": "; ".join(problems)})
        return body

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
        body = self._body(request)
        if isinstance(body, Response):
            return body
        with self.lock:
            seen = self.by_key.get(key)
            if seen is not None:
                return self.json(200, seen)
            entry_id = str(next(self._ids))
            self.articles[entry_id] = dict(body, id=entry_id)
            self.by_key[key] = {"id": entry_id}
            self.created += 1
        return self.json(201, {"id": entry_id})

    def _entry(self, request: RecordedRequest, entry_id: str) -> Response:
        if problem := self._auth_problem(request):
            return problem
        if request.method in ("GET", "HEAD"):
            with self.lock:
                found = self.articles.get(entry_id)
            return self.json(200, found) if found else self.not_found(request)
        if request.method == "DELETE":
            with self.lock:
                gone = self.articles.pop(entry_id, None)
                if gone is not None:
                    self.deleted += 1
            return Response(204, raw=b"") if gone else self.not_found(request)
        if request.method == "PUT":
            body = self._body(request)
            if isinstance(body, Response):
                return body
            with self.lock:
                if entry_id not in self.articles:
                    return self.not_found(request)
                self.articles[entry_id] = dict(body, id=entry_id)
                self.updated += 1
            return self.json(200, {"id": entry_id})
        return self.method_not_allowed(request, ["DELETE", "GET", "PUT"])

    def handle(self, request: RecordedRequest) -> Response:
        m = _ENTRY_PATH.fullmatch(request.path)
        if m:
            return self._entry(request, m.group(1))
        return super().handle(request)
