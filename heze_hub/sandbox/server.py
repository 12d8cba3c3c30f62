"""The sandbox's HTTP layer: a threaded HTTP/1.1 server per fake service and its keep-alive
request handler, which reads each body (``Content-Length`` or chunked) and hands the parsed request
to its :class:`~heze_hub.sandbox.base.Service`.

Standard library only, like the rest of the sandbox.
"""

from __future__ import annotations

import contextlib
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .recording import parse_request

if TYPE_CHECKING:
    from .base import Service


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type, service: Service) -> None:
        self.service = service
        super().__init__(address, handler)


class _BadRequest(Exception):
    pass


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "heze-hub-sandbox/1.0"
    timeout = 300  # an idle keep-alive connection ends after this many seconds
    # Buffered writes (flushed after each request) and TCP_NODELAY: headers and body leave
    # together instead of meeting the client's delayed ACK (40 ms per keep-alive request).
    wbufsize = -1
    server: Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.service.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.service.track(self.connection, False)

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True
            self.send_error(400, str(exc))
            return
        request = parse_request(
            self.command, self.path, list(self.headers.items()), body,
            f"{self.client_address[0]}:{self.client_address[1]}",
        )
        self.server.service.serve(self, request)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise _BadRequest("invalid Content-Length") from None
        if n < 0:
            raise _BadRequest("invalid Content-Length")
        data = self.rfile.read(n)
        if len(data) != n:
            raise _BadRequest("body shorter than Content-Length")
        return data

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest("invalid chunk size") from None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(3)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        self.server.service.log.debug(format, *args)


def drop(handler: RequestHandler) -> None:
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)
