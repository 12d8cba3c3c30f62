"""Web sessions and forms' protection (DESIGN §13): the session cookie (``HttpOnly``,
``SameSite=Strict``, ``Secure`` behind HTTPS), CSRF tokens, the pages' templates and the answer
every page gives to someone who may not see it.

The templates escape with the static portal's own function (:func:`heze_hub.portal.pages.esc`),
so the portal and the service share one escaping rule.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from heze_hub.portal.pages import esc
from heze_hub.service import access
from heze_hub.service.accounts import ROLE_LABELS, SESSION_HOURS, Account, session_account
from heze_hub.service.context import Service, service_of
from heze_hub.service.submit import MAX_FILES

#: The largest text input (the Markdown body: an item file is at most 4 MiB).
MAX_FIELD_BYTES = 5 * 1024 * 1024
COOKIE = "hub_session"
LOGIN_COOKIE = "hub_login"  # the login form's CSRF token, before there is a session


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}`` goes through the portal's escaping (already-safe markup excepted)."""
    if isinstance(value, Markup):
        return value
    return Markup(esc(value))


_env = Environment(loader=PackageLoader("heze_hub.service", "templates"), autoescape=True,
                   finalize=_finalize, trim_blocks=True, lstrip_blocks=True)
templates = Jinja2Templates(env=_env)


@dataclass(frozen=True)
class Visitor:
    """A logged-in person on a page: their account and their session's CSRF token."""

    account: Account
    csrf: str

    def may(self, action: str) -> bool:
        """Whether the account may do ``action`` (for the navigation and the buttons)."""
        return access.allowed(self.account, action)


def render(request: Request, template: str, visitor: Visitor | None, status: int = 200, /,
           **context: Any) -> Response:
    """A page from its template, with the visitor for the navigation."""
    return templates.TemplateResponse(request, template, {
        "visitor": visitor, "role_labels": ROLE_LABELS, **context}, status_code=status)


async def visitor_of(request: Request) -> Visitor | None:
    """The logged-in visitor of a request, or None."""
    sid = request.cookies.get(COOKIE)
    if not sid:
        return None
    found = await run_in_threadpool(session_account, service_of(request).hub.store, sid)
    return Visitor(*found) if found else None


async def guard(request: Request, action: str, target: str | None = None
                ) -> tuple[Service, Visitor | None, Response | None]:
    """The visitor if they may do ``action``; else the answer: to the login page when not
    logged in, 403 for a role that may not. Refusals are logged; so is a bad CSRF token."""
    svc = service_of(request)
    visitor = await visitor_of(request)
    if visitor is None:
        await run_in_threadpool(svc.log, None, action, target, False, "未登录")
        return svc, None, RedirectResponse("/login", status_code=303)
    if not visitor.may(action):
        await run_in_threadpool(svc.log, visitor.account, action, target, False, "角色无权")
        return svc, visitor, render(request, "error.html", visitor, 403,
                                    message="您的角色无权访问此页面。")
    if request.method == "POST":
        form = await read_form(request)
        if not csrf_ok(str(form.get("csrf", "")), visitor.csrf):
            await run_in_threadpool(svc.log, visitor.account, action, target, False, "CSRF")
            return svc, visitor, render(request, "error.html", visitor, 403,
                                        message="表单已失效（CSRF 校验未通过），请返回重新提交。")
    return svc, visitor, None


async def read_form(request: Request) -> Any:
    """The request's form, parsed once with the service's bounds (files, fields, field size)."""
    return await request.form(max_files=MAX_FILES, max_fields=200, max_part_size=MAX_FIELD_BYTES)


def csrf_ok(given: str, expected: str) -> bool:
    """Constant-time comparison of a form's CSRF token."""
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def set_cookie(request: Request, response: Response, name: str, value: str,
               max_age: int = SESSION_HOURS * 3600) -> None:
    """A cookie the page's scripts cannot read and other sites never send."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


def new_login_token() -> str:
    """The login form's CSRF token."""
    return secrets.token_urlsafe(32)
