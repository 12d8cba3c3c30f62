"""The sandbox's HTTP framework: one threaded HTTP/1.1 server per fake service, with a record of
every request it received and fault injection that tests and operators control.

Standard library only. A fake plays an independent remote party, so nothing here imports the
hub's own code.

Every service also answers a small control API under ``/_sandbox/`` (never recorded, never
faulted), so an operator running ``hub sandbox`` in another process can steer it:

- ``GET /_sandbox/requests`` — the recorded requests as JSON; ``DELETE`` forgets them;
- ``GET /_sandbox/faults`` — the faults with their counters; ``POST`` a JSON list of faults to
  replace them; ``DELETE`` removes them all;
- ``GET /_sandbox/state`` — what the fake has stored (articles, drafts, records, posts);
- ``POST /_sandbox/reset`` — forget requests, faults and stored state.
"""

from __future__ import annotations

import contextlib
import json as _json
import logging
import socket
import threading
import traceback
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from .faults import Fault
from .recording import JSON_TYPE, Headers, RecordedRequest, Response, UploadedFile
from .server import RequestHandler, Server, drop

__all__ = [
    "JSON_TYPE", "Fault", "Headers", "RecordedRequest", "Response", "Service", "UploadedFile",
]


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------
Handler = Callable[[RecordedRequest], Response]


class Service:
    """Base of every fake service: recording, faults, the control API and the HTTP server.

    A subclass declares ``name``, fills ``routes`` (``{path: {method: handler}}``) in
    ``__init__``, keeps its own state under ``self.lock`` and clears it in :meth:`reset_state`.
    """

    name: ClassVar[str] = "service"
    #: Content type of the service's JSON answers (WeChat's is not the usual one).
    json_content_type: ClassVar[str] = JSON_TYPE

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.routes: dict[str, dict[str, Handler]] = {}
        self._requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self.log = logging.getLogger(f"heze_hub.sandbox.{self.name}")

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving in a background thread; return the base URL."""
        if self._server is not None:
            raise RuntimeError(f"{self.name} sandbox is already running")
        self._stopping.clear()
        self._server = Server((host, port), RequestHandler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and close every open connection (idle keep-alive ones included)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self.lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8701``."""
        if self._server is None:
            raise RuntimeError(f"{self.name} sandbox is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.name} sandbox is not running")
        return int(self._server.server_address[1])

    # -- recording -------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, oldest first (faulted and dropped ones included)."""
        with self.lock:
            return list(self._requests)

    def count(self, path: str | None = None, method: str | None = None) -> int:
        """How many requests hit ``path`` (any path if None), faulted ones included."""
        method = method.upper() if method else None
        with self.lock:
            return sum(
                1 for r in self._requests
                if (path is None or r.path == path) and (method is None or r.method == method)
            )

    # -- faults ----------------------------------------------------------------------------
    def add_fault(self, fault: Fault | Mapping[str, Any]) -> Fault:
        """Add a fault after the existing ones; return it (its counters update live)."""
        if not isinstance(fault, Fault):
            fault = Fault.from_dict(fault)
        with self.lock:
            self._faults.append(fault)
        return fault

    def set_faults(self, faults: list[Fault | Mapping[str, Any]]) -> None:
        """Replace every fault."""
        built = [f if isinstance(f, Fault) else Fault.from_dict(f) for f in faults]
        with self.lock:
            self._faults = built

    @property
    def faults(self) -> list[Fault]:
        with self.lock:
            return list(self._faults)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults = []

    def reset(self) -> None:
        """Forget recorded requests, faults and everything the fake stored; keep its settings."""
        with self.lock:
            self._requests = []
            self._faults = []
            self.reset_state()

    def reset_state(self) -> None:
        """Subclasses clear their stored state here (called under ``self.lock``)."""

    def state(self) -> dict[str, Any]:
        """JSON-ready view of the stored state, for ``GET /_sandbox/state``."""
        return {}

    # -- answers a subclass may override ---------------------------------------------------
    def fault_body(self, status: int, request: RecordedRequest) -> Any:
        """The usual error body of this service for ``status``, used when a fault gives none."""
        return {"error": _reason(status)}

    def not_found(self, request: RecordedRequest) -> Response:
        return self.json(404, {"error": f"not found: {request.path}"})

    def method_not_allowed(self, request: RecordedRequest, allowed: list[str]) -> Response:
        return self.json(
            405, {"error": f"method {request.method} not allowed"}, Allow=", ".join(allowed)
        )

    def json(self, status: int, body: Any, **headers: str) -> Response:
        """A JSON answer in this service's content type; ``Retry_After=`` → ``Retry-After``."""
        return Response(
            status,
            body,
            {k.replace("_", "-"): v for k, v in headers.items()},
            self.json_content_type,
        )

    def handle(self, request: RecordedRequest) -> Response:
        """Route a request to its handler (the normal, unfaulted behaviour)."""
        methods = self.routes.get(request.path)
        if methods is None:
            return self.not_found(request)
        handler = methods.get(request.method) or (
            methods.get("GET") if request.method == "HEAD" else None
        )
        if handler is None:
            return self.method_not_allowed(request, sorted(methods))
        return handler(request)

    # -- the request pipeline --------------------------------------------------------------
    def serve(self, handler: RequestHandler, request: RecordedRequest) -> None:
        if request.path == "/_sandbox" or request.path.startswith("/_sandbox/"):
            self._send(handler, request, self._control(request))
            return
        with self.lock:
            self._requests.append(request)
            firing = self._fire(request)
        self.log.info("%s %s", request.method, request.path)
        delay = sum(f.delay for f in firing)
        if delay and self._stopping.wait(delay):
            drop(handler)  # shutting down
            return
        answering = next((f for f in firing if f.answers), None)
        request.faulted = bool(firing)
        response: Response | None = None
        if answering is None or answering.handle:
            response = self._handle_safely(request)
        if answering is not None:
            if answering.drop:
                self.log.info("%s %s: fault: connection dropped", request.method, request.path)
                drop(handler)
                return
            status = answering.status if answering.status is not None else 200
            body = answering.body
            if body is None:
                body = self.fault_body(status, request)
            response = self.json(status, body)
            response.headers.update(answering.headers)
        else:
            assert response is not None
            for f in firing:  # delay-only faults may still add headers
                response.headers.update(f.headers)
        self._send(handler, request, response)

    def _fire(self, request: RecordedRequest) -> list[Fault]:
        firing = []
        for fault in self._faults:
            if not fault.matches(request.method, request.path):
                continue
            fault.matched += 1
            if fault.matched <= fault.after:
                continue
            if fault.times is not None and fault.fired >= fault.times:
                continue
            fault.fired += 1
            firing.append(fault)
        return firing

    def _handle_safely(self, request: RecordedRequest) -> Response:
        try:
            return self.handle(request)
        except Exception as exc:  # a bug in a fake must answer, not hang the client
            self.log.error("sandbox %s crashed on %s %s:\n%s", self.name, request.method,
                           request.path, traceback.format_exc())
            return self.json(500, {"error": f"sandbox internal error: {exc!r}"})

    def _send(self, handler: RequestHandler, request: RecordedRequest, response: Response) -> None:
        data = response.payload()
        request.status = response.status
        handler.send_response(response.status)
        handler.send_header("Content-Type", response.content_type)
        handler.send_header("Content-Length", str(len(data)))
        for key, value in response.headers.items():
            # A fault's headers may not change the framing or the content type.
            if key.lower() not in ("content-length", "content-type", "connection"):
                handler.send_header(key, value)
        handler.end_headers()
        if request.method != "HEAD" and data:
            handler.wfile.write(data)

    # -- the control API -------------------------------------------------------------------
    def _control(self, request: RecordedRequest) -> Response:
        sub = request.path.removeprefix("/_sandbox").strip("/")
        method = request.method
        if sub == "requests" and method == "GET":
            return Response(200, [r.to_dict() for r in self.requests])
        if sub == "requests" and method == "DELETE":
            with self.lock:
                self._requests = []
            return Response(200, {"ok": True})
        if sub == "faults" and method == "GET":
            return Response(200, [f.to_dict(counters=True) for f in self.faults])
        if sub == "faults" and method in ("POST", "PUT"):
            try:
                data = _json.loads(request.body.decode("utf-8"))
                if isinstance(data, Mapping):
                    data = [data]
                if not isinstance(data, list):
                    raise ValueError("expected a JSON list of faults")
                faults = [Fault.from_dict(item) for item in data]
            except (ValueError, TypeError, UnicodeDecodeError) as exc:
                return Response(400, {"error": f"bad faults: {exc}"})
            self.set_faults(faults)
            return Response(200, [f.to_dict(counters=True) for f in faults])
        if sub == "faults" and method == "DELETE":
            self.clear_faults()
            return Response(200, {"ok": True})
        if sub == "state" and method == "GET":
            with self.lock:
                return Response(200, self.state())
        if sub == "reset" and method == "POST":
            self.reset()
            return Response(200, {"ok": True})
        if sub == "health" and method == "GET":
            return Response(200, {"service": self.name, "ok": True})
        return Response(404, {"error": f"unknown sandbox control: {method} {request.path}"})

    def track(self, conn: socket.socket, add: bool) -> None:
        with self.lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
