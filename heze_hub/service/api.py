"""The HTTP API of DESIGN §13: JSON, ``Authorization: Bearer TOKEN``; every decision logged.

401 without a token or with an unknown one (or a disabled user's); 403 for a role or a
department that may not; 422 with the CLI's messages; a refused request changes nothing.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from heze_hub.delivery import lifecycle
from heze_hub.delivery.withdrawal import published_channels
from heze_hub.errors import ConfigError, HubError, InputError
from heze_hub.service import access, submit
from heze_hub.service.accounts import Account
from heze_hub.service.context import Service, service_of, token_account
from heze_hub.store.receipts import FINISHED, ReceiptFilter, list_receipts

JSON_TYPES = ("application/json", "text/json")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"file": None, "field": None, "message": message}]},
                        status_code=status)


async def _authorize(request: Request, action: str, target: str | None
                     ) -> tuple[Service, Account | None, Response | None]:
    """The account of the request if it may do ``action``; else the refusal to send."""
    svc = service_of(request)
    account = await token_account(request)
    if account is None:
        await run_in_threadpool(svc.log, None, action, target, False, "未认证")
        return svc, None, JSONResponse(
            {"errors": [{"file": None, "field": None,
                         "message": "未认证：请在 Authorization 头中提供有效的 Bearer 令牌"}]},
            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    if not access.allowed(account, action):
        await run_in_threadpool(svc.log, account, action, target, False, "角色无权")
        return svc, account, _error(
            403, f"用户 {account.name}（角色 {account.role}）无权执行此操作（{action}）")
    return svc, account, None


async def post_items(request: Request) -> Response:
    """``POST /api/items``: one item as JSON, or multipart item files and attachments."""
    svc, account, refusal = await _authorize(request, "submit", None)
    if refusal:
        return refusal
    assert account is not None
    try:
        uploads = await read_uploads(request)
    except submit.Invalid as exc:
        await run_in_threadpool(svc.log, account, "submit", None, True, "422")
        return JSONResponse({"errors": exc.errors}, status_code=422)
    status, body, _ = await run_in_threadpool(submit_uploads, svc, account, uploads, "api")
    return JSONResponse(body, status_code=status)


def submit_uploads(svc: Service, account: Account, uploads: list[submit.Upload],
                   via: str) -> tuple[int, dict[str, Any], str | None]:
    """Stage, check and register a submission; (status, JSON body, target) — logged."""
    names = ",".join(u.name for u in uploads if u.is_item)
    try:
        staged = submit.stage(svc.hub, uploads, account)
    except submit.Invalid as exc:
        svc.log(account, "submit", names, True, "422 校验未通过")
        return 422, {"errors": exc.errors}, None
    except submit.Refused as exc:
        svc.log(account, "submit", names, False, str(exc))
        return 403, {"errors": [{"file": None, "field": "department", "message": str(exc)}]}, None
    except ConfigError as exc:
        svc.log(account, "submit", names, True, "503")
        return 503, {"errors": [{"file": None, "field": None, "message": str(exc)}]}, None
    try:
        regs = submit.register(svc.hub, staged, account, via)
    except submit.Invalid as exc:
        svc.log(account, "submit", names, True, "422 校验未通过")
        return 422, {"errors": exc.errors}, None
    except HubError as exc:
        svc.log(account, "submit", names, True, "503")
        return 503, {"errors": [{"file": None, "field": None, "message": str(exc)}]}, None
    body = submit.answer(regs)  # the states as registered, before the worker moves them on
    svc.worker.publish(regs)
    target = ",".join(f"{r.item.index_no} v{r.item.version}" for r in regs)
    svc.log(account, "submit", target, True, "202")
    return 202, body, target


async def read_uploads(request: Request) -> list[submit.Upload]:
    """The files of a submission: a JSON body is one item called ``item.json``; multipart
    parts named ``item`` are item files, every other file part an attachment."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in JSON_TYPES:
        body = await request.body()
        return [submit.Upload("item.json", body, True)]
    if ctype == "multipart/form-data":
        uploads = []
        async with request.form(max_files=submit.MAX_FILES, max_fields=200) as form:
            for key, value in form.multi_items():
                if isinstance(value, str):
                    continue
                data = await value.read()
                uploads.append(submit.Upload(value.filename or "", data, key == "item"))
        return uploads
    raise submit.invalid("Content-Type 应为 application/json 或 multipart/form-data")


def item_status(svc: Service, index_no: str) -> dict[str, Any] | None:
    """``GET /api/items/{index_no}``'s body: the latest version and its deliveries."""
    rows = svc.hub.store.deliveries_with_items(index_no)
    if not rows:
        return None
    latest = max(r["version"] for r in rows)
    mine = [r for r in rows if r["version"] == latest]
    item = json.loads(mine[0]["data"])
    return {
        "index_no": index_no, "title": item["title"], "department": item["department"],
        "version": latest,
        "deliveries": [{"channel": r["channel"], "status": r["status"], "url": r["url"],
                        "error": r["error"]} for r in mine],
    }


async def item_route(request: Request) -> Response:
    """``GET /api/items/{index_no}`` and ``POST …/retry`` | ``…/withdraw`` (the index number
    keeps its ``/`` in the path)."""
    rest = request.path_params["rest"]
    if request.method == "POST":
        for action in ("retry", "withdraw"):
            if rest.endswith("/" + action):
                return await _act(request, action, rest.removesuffix("/" + action))
        return _error(404, "没有这个接口")
    svc, account, refusal = await _authorize(request, "status", rest)
    if refusal:
        return refusal
    assert account is not None
    body = await run_in_threadpool(item_status, svc, rest)
    if body is None:
        await run_in_threadpool(svc.log, account, "status", rest, True, "404")
        return _error(404, f"索引号 {rest} 没有投递记录")
    if not account.may_act_for(body["department"]):
        await run_in_threadpool(svc.log, account, "status", rest, False, "他部门的信息")
        owner = body["department"]
        return _error(403, f"索引号 {rest} 属于“{owner}”，用户 {account.name} 无权查看")
    await run_in_threadpool(svc.log, account, "status", rest, True)
    return JSONResponse(body)


async def _act(request: Request, action: str, index_no: str) -> Response:
    svc, account, refusal = await _authorize(request, action, index_no)
    if refusal:
        return refusal
    body = await run_in_threadpool(item_status, svc, index_no)
    if body is None:
        await run_in_threadpool(svc.log, account, action, index_no, True, "404")
        return _error(404, f"索引号 {index_no} 没有投递记录")
    if action == "withdraw":
        return await withdraw(request, svc, account, index_no)
    svc.worker.retry((index_no,))
    await run_in_threadpool(svc.log, account, action, index_no, True, "202")
    return JSONResponse({"index_no": index_no, "queued": True}, status_code=202)


async def withdraw(request: Request, svc: Service, account: Account | None,
                   index_no: str) -> Response:
    """``POST /api/items/{index_no}/withdraw`` ``{"reason"}``: 202, the withdrawal runs in the
    background as ``hub withdraw`` does; 422 without a reason or for an item never published."""
    try:
        body = await request.json()
        reason = lifecycle.check_reason(body.get("reason") if isinstance(body, dict) else None)
    except ValueError:
        reason = None
        problem = "请求体应为 JSON：{\"reason\": \"撤回原因\"}"
    except InputError as exc:
        reason = None
        problem = str(exc).replace("--reason", "reason")
    if reason is None:
        await run_in_threadpool(svc.log, account, "withdraw", index_no, True, "422")
        return JSONResponse({"errors": [{"file": None, "field": "reason", "message": problem}]},
                            status_code=422)
    carried = await run_in_threadpool(published_channels, svc.hub.store, [index_no])
    if not carried:
        await run_in_threadpool(svc.log, account, "withdraw", index_no, True, "422")
        return _error(422, f"索引号 {index_no} 尚未在任何渠道发布，无需撤回")
    svc.worker.withdraw((index_no,), reason)
    await run_in_threadpool(svc.log, account, "withdraw", index_no, True, f"202 {reason}")
    return JSONResponse({"index_no": index_no, "queued": True}, status_code=202)


async def get_receipts(request: Request) -> Response:
    """``GET /api/receipts?index_no=&channel=&status=&since=``."""
    q = request.query_params
    svc, account, refusal = await _authorize(request, "receipts", str(q) or None)
    if refusal:
        return refusal
    status = q.get("status") or None
    if status and status not in FINISHED:
        await run_in_threadpool(svc.log, account, "receipts", str(q), True, "422")
        return JSONResponse({"errors": [{"file": None, "field": "status",
                                         "message": f"status：应为 {'、'.join(FINISHED)} 之一"}]},
                            status_code=422)
    try:
        since = date.fromisoformat(q["since"]) if q.get("since") else None
    except ValueError:
        await run_in_threadpool(svc.log, account, "receipts", str(q), True, "422")
        return JSONResponse({"errors": [{"file": None, "field": "since",
                                         "message": "since：应为日期 YYYY-MM-DD"}]},
                            status_code=422)
    flt = ReceiptFilter(q.get("index_no") or None, q.get("channel") or None, status, since)
    rows = await run_in_threadpool(list_receipts, svc.hub.store, flt)
    await run_in_threadpool(svc.log, account, "receipts", str(q) or None, True)
    return JSONResponse(rows)


async def get_bundle(request: Request) -> Response:
    """``GET /api/bundle``: the audit bundle as a zip."""
    svc, account, refusal = await _authorize(request, "bundle", None)
    if refusal:
        return refusal
    data = await run_in_threadpool(svc.bundle_zip)
    await run_in_threadpool(svc.log, account, "bundle", None, True)
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="hub-bundle.zip"'})


async def get_channels(request: Request) -> Response:
    """``GET /api/channels``: the configured channels and their configuration problems."""
    svc, account, refusal = await _authorize(request, "channels", None)
    if refusal:
        return refusal
    rows = [{"channel": n, "plugin": c.plugin_name, "enabled": c.settings.enabled,
             "problems": [svc.hub.scrub(p) for p in c.configuration_problems()]
             if c.settings.enabled else []}
            for n, c in svc.hub.channels.items()]
    await run_in_threadpool(svc.log, account, "channels", None, True)
    return JSONResponse(rows)


async def get_checkpoint(request: Request) -> Response:
    """``GET /checkpoint``: the latest signed checkpoint; public."""
    note = await run_in_threadpool(service_of(request).hub.store.latest_checkpoint)
    if not note:
        return PlainTextResponse("尚无签名检查点\n", status_code=404)
    return PlainTextResponse(note)


ROUTES = [
    Route("/api/items", post_items, methods=["POST"]),
    Route("/api/items/{rest:path}", item_route, methods=["GET", "POST"]),
    Route("/api/receipts", get_receipts, methods=["GET"]),
    Route("/api/bundle", get_bundle, methods=["GET"]),
    Route("/api/channels", get_channels, methods=["GET"]),
    Route("/checkpoint", get_checkpoint, methods=["GET"]),
]
