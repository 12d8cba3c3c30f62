"""The ASGI application of ``hub serve`` (DESIGN §13): routes, security headers, body limits,
and the hub and delivery worker it runs with.

Starlette, not FastAPI: the item contract is already validated by the hub's own models with its
own Chinese messages, so FastAPI's request models and OpenAPI would duplicate it; Starlette is the
small routing/request layer FastAPI itself is built on, with Jinja2 for the pages.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heze_hub.hub import Hub
from heze_hub.service import api, web
from heze_hub.service.context import Service
from heze_hub.service.submit import MAX_UPLOAD_BYTES
from heze_hub.service.worker import DeliveryWorker

log = logging.getLogger(__name__)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class Guard:
    """Security headers on every answer, and no request body past the upload limit."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_UPLOAD_BYTES + 1024 * 1024) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _too_large(send)
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                raise _TooLarge
            return message

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *[(k, v) for k, v in message.get("headers", [])
                      if k.lower() not in dict(SECURITY_HEADERS)],
                    *SECURITY_HEADERS,
                ]
            await send(message)

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await with_headers(message)

        try:
            await self.app(scope, bounded, tracked)
        except _TooLarge:
            if not started:
                await _too_large(send)
        except Exception:
            # The details go to the state directory's log; the person gets a sentence.
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _plain(send, 500, "服务内部错误，详情已写入状态目录下的 hub.log。\n")


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    await _plain(send, 413, f"请求过大：一次上传最多 {MAX_UPLOAD_BYTES // 1024 // 1024} MiB\n")


async def _plain(send: Send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": text.encode("utf-8")})


def create_app(hub: Hub, *, resume: bool = True) -> Starlette:
    """The service around ``hub``; deliveries start with the application (its lifespan)."""
    worker = DeliveryWorker(hub)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker.start(resume=resume)
        try:
            yield
        finally:
            worker.stop()

    app = Starlette(
        routes=[*api.ROUTES, *web.ROUTES,
                Mount("/static", StaticFiles(packages=[("heze_hub.service", "static")]),
                      name="static")],
        middleware=[Middleware(Guard)],
        lifespan=lifespan,
    )
    app.state.service = Service(hub=hub, worker=worker)
    return app


def serve(hub: Hub, host: str, port: int) -> None:
    """Run the service until interrupted (``hub serve``). Behind a reverse proxy on this
    machine, its ``X-Forwarded-Proto: https`` makes the session cookie ``Secure``."""
    config = uvicorn.Config(create_app(hub), host=host, port=port, log_level="warning",
                            access_log=False, proxy_headers=True,
                            forwarded_allow_ips="127.0.0.1")
    server = uvicorn.Server(config)
    server.run()
