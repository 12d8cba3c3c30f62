"""The web pages, part one (DESIGN §13): 登录 and 提交 with its preview per channel.

Server-rendered, no script: every action is a form posted with its CSRF token.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from heze_hub.errors import ConfigError
from heze_hub.portal.pages import template_text
from heze_hub.service import forms, pages, submit
from heze_hub.service.accounts import check_password, end_session, start_session
from heze_hub.service.api import submit_uploads
from heze_hub.service.context import service_of
from heze_hub.service.previews import channel_previews
from heze_hub.service.session import (
    COOKIE,
    LOGIN_COOKIE,
    Visitor,
    csrf_ok,
    guard,
    new_login_token,
    read_form,
    render,
    set_cookie,
    visitor_of,
)


async def home(request: Request) -> Response:
    """``/``: each role's first page."""
    visitor = await visitor_of(request)
    if visitor is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/submit" if visitor.may("submit") else "/receipts", status_code=303)


async def login_page(request: Request, message: str = "", status: int = 200,
                     name: str = "") -> Response:
    """``GET /login``: the form, with a fresh CSRF token in a cookie and the form."""
    token = new_login_token()
    response = render(request, "login.html", None, status, csrf=token, message=message,
                      name=name)
    set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


async def login(request: Request) -> Response:
    """``POST /login``: throttled per name and per address; one answer for every failure."""
    svc = service_of(request)
    form = await read_form(request)
    name = str(form.get("name", "")).strip()[:100]
    password = str(form.get("password", ""))[:1000]
    if not csrf_ok(str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")):
        await run_in_threadpool(svc.log, name or None, "login", name, False, "CSRF")
        return await login_page(request, "登录表单已失效，请重新登录。", 403, name)
    client = request.client.host if request.client else "?"
    keys = (f"user:{name}", f"ip:{client}")
    if svc.throttle.blocked(*keys):
        await run_in_threadpool(svc.log, name or None, "login", name, False, "频繁失败，已限制")
        return await login_page(request, "登录失败次数过多，请 15 分钟后再试。", 429, name)
    account = await run_in_threadpool(check_password, svc.hub.store, name, password)
    if account is None:
        svc.throttle.failed(*keys)
        await run_in_threadpool(svc.log, name or None, "login", name, False, "用户名或密码错误")
        return await login_page(request, "用户名或密码错误，或账户已停用。", 401, name)
    svc.throttle.succeeded(name)
    sid, _csrf = await run_in_threadpool(start_session, svc.hub.store, account)
    await run_in_threadpool(svc.log, account, "login", name, True)
    response = RedirectResponse("/", status_code=303)
    set_cookie(request, response, COOKIE, sid)
    response.delete_cookie(LOGIN_COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def logout(request: Request) -> Response:
    """``POST /logout`` (with the CSRF token): the session ends on the server too."""
    visitor = await visitor_of(request)
    form = await read_form(request)
    svc = service_of(request)
    if visitor is not None:
        if not csrf_ok(str(form.get("csrf", "")), visitor.csrf):
            await run_in_threadpool(svc.log, visitor.account, "logout", None, False, "CSRF")
            return render(request, "error.html", visitor, 403,
                          message="表单已失效（CSRF 校验未通过），请返回重新提交。")
        await run_in_threadpool(end_session, svc.hub.store, request.cookies[COOKIE])
        await run_in_threadpool(svc.log, visitor.account, "logout", None, True)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def submit_page(request: Request) -> Response:
    """``GET /submit`` and ``POST /submit`` (action ``preview`` or ``submit``)."""
    action = "submit"
    if request.method == "POST":
        form = await read_form(request)
        action = "preview" if form.get("action") == "preview" else "submit"
    svc, visitor, refusal = await guard(request, action)
    if refusal:
        return refusal
    assert visitor is not None
    if request.method == "GET":
        values = {"department": visitor.account.departments[0]
                  if visitor.account.departments else ""}
        return _form(request, visitor, values)
    form = await read_form(request)
    values = {k: str(v) for k, v in form.multi_items() if isinstance(v, str)}
    uploads, refs = [], []
    for i in range(forms.ATTACHMENT_ROWS):
        up = form.get(f"attachment_{i}")
        if isinstance(up, UploadFile) and up.filename:
            name = up.filename.replace("\\", "/").rsplit("/", 1)[-1]
            uploads.append(submit.Upload(name, await up.read(), False))
            refs.append((name, values.get(f"attachment_title_{i}", "").strip() or name))
    item = forms.item_from_form(values, refs)
    data = json.dumps(item, ensure_ascii=False).encode("utf-8")
    uploads.insert(0, submit.Upload("item.json", data, True))
    if action == "preview":
        return await _preview(request, visitor, values, uploads)
    status, body, _ = await run_in_threadpool(submit_uploads, svc, visitor.account, uploads, "web")
    if status != 202:
        return _form(request, visitor, values, body["errors"], status=status)
    return render(request, "submitted.html", visitor, 202, items=body["items"])


async def _preview(request: Request, visitor: Visitor, values: dict[str, str],
                   uploads: list[submit.Upload]) -> Response:
    svc = service_of(request)

    def work() -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
        try:
            staged = submit.stage(svc.hub, uploads, visitor.account)
        except submit.Invalid as exc:
            return 422, exc.errors, {}
        except submit.Refused as exc:
            return 403, [{"file": None, "field": "department", "message": str(exc)}], {}
        except ConfigError as exc:
            return 503, [{"file": None, "field": None, "message": str(exc)}], {}
        try:
            return 200, [], channel_previews(svc.hub, staged.prepared[0])
        finally:
            staged.discard()

    status, errors, previews = await run_in_threadpool(work)
    await run_in_threadpool(svc.log, visitor.account, "preview", values.get("title"),
                            status != 403, str(status))
    return _form(request, visitor, values, errors, previews, status=status)


def _form(request: Request, visitor: Visitor, values: dict[str, str],
          errors: list[dict[str, Any]] | None = None, previews: dict[str, Any] | None = None,
          status: int = 200) -> Response:
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for e in errors or []:
        message = str(e["message"])
        if e.get("file") and message.startswith(f"{e['file']}："):
            message = message[len(e["file"]) + 1:]
        key = str(e.get("field") or "").split(".")[0].split("[")[0]
        (by_field.setdefault(key, []) if key else general).append(message)
    known = {f.name for f in forms.fields()} | {"attachments"}
    for key in [k for k in by_field if k not in known]:
        general += by_field.pop(key)
    return render(request, "submit.html", visitor, status, fields=forms.fields(), values=values,
                  errors=by_field, general=general, previews=previews,
                  rows=range(forms.ATTACHMENT_ROWS))


async def portal_css(request: Request) -> Response:
    """The static portal's stylesheet, so the preview of a portal page looks as it will."""
    return Response(template_text("site.css"), media_type="text/css")


ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/assets/site.css", portal_css, methods=["GET"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/submit", submit_page, methods=["GET", "POST"]),
    *pages.ROUTES,
]
