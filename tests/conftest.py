"""Shared fixtures: the real ``hub`` CLI as a subprocess, a recording HTTP receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support import HubRun, Receiver, init_config


@pytest.fixture
def hub_run(tmp_path: Path) -> HubRun:
    """The CLI in a fresh folder holding the ``channels.toml`` that ``hub init`` writes."""
    init_config(tmp_path)
    return HubRun(cwd=tmp_path)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if state.delay:
                time.sleep(state.delay)
            key = self.headers.get("Idempotency-Key", "")
            with state.lock:
                state.posts.append({"key": key, "headers": dict(self.headers),
                                    "json": json.loads(body)})
                failure = state.fail_next.pop(0) if state.fail_next else None
                if failure is None:
                    seen = key in state.created
                    if not seen:
                        n = len(state.created) + 1
                        state.created[key] = {"id": f"r{n}", "url": f"https://cms.example/{n}"}
                    answer, code = state.created[key], (200 if seen else 201)
            if failure is not None:
                code, headers = failure
                data = json.dumps({"error": "故障注入"}).encode()
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
            else:
                data = json.dumps(answer).encode()
                self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
