"""The fakes' withdrawal endpoints (DESIGN §5, §12), installed on each fake by its constructor.

- portal CMS: ``DELETE /api/articles/{id}`` (bearer token) → 204; 404 ``{"error"}`` when the
  article is not (or no longer) there;
- WeChat: ``POST /cgi-bin/freepublish/delete`` ``{"article_id", "index"}`` → errcode 0; an
  article id it does not know or already deleted → errcode 53600 (invalid article id);
- Weibo: ``POST /2/statuses/destroy.json`` (``access_token``, ``id``) → the deleted status;
  error 20101 ("Target weibo does not exist!") when it is not there;
- credit: ``POST /api/v1/credit/{type}/revoke`` ``{"record_id", "reason"}`` (``X-Api-Key``) →
  ``{"revoked": true}``; 404 for a record it does not hold (or revoked already).

What was taken back stays visible in each fake's state (``deleted``, ``destroyed``,
``revoked``), and every endpoint is recorded and faulted like the others, so tests can inject
the same failures into withdrawals as into publications.
"""

from __future__ import annotations

from typing import Any

from .base import RecordedRequest, Response, Service

__all__ = ["ARTICLE_GONE", "WEIBO_GONE", "delete_article", "install"]

ARTICLE_GONE = 53600
WEIBO_GONE = 20101


def install(service: Service) -> None:
    """Add the withdrawal endpoint of ``service`` (by its ``name``) to its routes."""
    if service.name == "wechat":
        service.routes["/cgi-bin/freepublish/delete"] = {"POST": lambda r: _wechat(service, r)}
    elif service.name == "weibo":
        service.routes["/2/statuses/destroy.json"] = {"POST": lambda r: _weibo(service, r)}
    elif service.name == "credit":
        for kind in ("license", "penalty"):
            service.routes[f"/api/v1/credit/{kind}/revoke"] = {
                "POST": lambda r: _credit(service, r)}
    # The portal CMS's DELETE has a variable path: its handle() calls delete_article.


def delete_article(service: Any, request: RecordedRequest) -> Response:
    """Portal CMS: ``DELETE /api/articles/{id}``."""
    if problem := service._auth_problem(request):
        return problem
    article_id = request.path.removeprefix("/api/articles/")
    with service.lock:
        article = service.articles.pop(article_id, None)
        if article is not None:
            service.deleted[article_id] = article
    if article is None:
        return service.json(404, {"error": f"article {article_id} not found"})
    return Response(204, raw=b"", content_type="application/json")


def _wechat(service: Any, request: RecordedRequest) -> Response:
    if problem := service._token_error(request):
        return problem
    body = service._json_object(request)
    if body is None:
        return service.error(47001, "data format error")
    article_id = body.get("article_id")
    with service.lock:
        record = next((p for p in service.publishes.values()
                       if p.get("article_id") == article_id and not p.get("deleted")), None)
        if record is not None:
            record["deleted"] = True
            record["final_status"] = 5  # freepublish/get now says: deleted after success
            service.deleted[article_id] = {"index": body.get("index", 0)}
    if record is None:
        return service.error(ARTICLE_GONE, "invalid article id")
    return service.json(200, {"errcode": 0, "errmsg": "ok"})


def _weibo(service: Any, request: RecordedRequest) -> Response:
    if problem := service._token_problem(request):
        return problem
    idstr = request.form.get("id", "")
    with service.lock:
        status = service.statuses.pop(idstr, None)
        if status is not None:
            service.destroyed[idstr] = status
    if status is None:
        return service.error(request, WEIBO_GONE, "Target weibo does not exist!")
    return service.json(200, status)


def _credit(service: Any, request: RecordedRequest) -> Response:
    if request.headers.get("X-Api-Key") != service.api_key:
        return service.json(401, {"error": "X-Api-Key 无效或缺失"})
    body = request.json
    if not isinstance(body, dict) or not isinstance(body.get("record_id"), str):
        return service.json(400, {"error": '请求体应为 JSON 对象 {"record_id", "reason"}'})
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return service.json(400, {"error": "缺少撤销原因 reason"})
    with service.lock:
        number = next((n for n, r in service.records.items()
                       if r["record_id"] == body["record_id"]), None)
        if number is not None:
            service.revoked[number] = dict(service.records.pop(number), reason=reason)
    if number is None:
        return service.json(404, {"error": f"记录 {body['record_id']} 不存在或已撤销"})
    return service.json(200, {"revoked": True})
