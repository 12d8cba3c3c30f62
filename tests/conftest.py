"""Shared fixtures: the real ``hub`` CLI as a subprocess, item files, a recording HTTP receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "items"
REPO = Path(__file__).resolve().parents[1]
WEBHOOK_PLUGIN = REPO / "examples" / "plugins" / "webhook.py"


def hub_executable() -> str:
    """The ``hub`` console script installed next to the running interpreter."""
    candidate = Path(sys.executable).parent / "hub"
    return str(candidate) if candidate.exists() else "hub"


@dataclass
class HubRun:
    """Runs ``hub`` as a subprocess in one working directory."""

    cwd: Path
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, check: int | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(self.env)
        proc = subprocess.run(
            [hub_executable(), *args], cwd=self.cwd, env=env, capture_output=True,
            text=True, timeout=timeout,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        if check is not None:
            assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
        return proc

    def json(self, *args: str, check: int | None = 0) -> Any:
        proc = self(*args, "--json", check=check)
        return json.loads(proc.stdout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(self.env)
        return subprocess.Popen([hub_executable(), *args], cwd=self.cwd, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def hub_run(tmp_path: Path) -> HubRun:
    return HubRun(cwd=tmp_path)


def write_item(path: Path, title: str, *, body: str = "正文。", **fields: Any) -> Path:
    """Write a Markdown item file with TOML front matter."""
    base: dict[str, Any] = {
        "department": "菏泽市测试局", "written_on": "2018-06-01", "kind": "notice",
        "category": "service", "topics": ["教育"],
    }
    base.update(fields)
    lines = ["+++", f"title = {json.dumps(title, ensure_ascii=False)}"]
    for key, value in base.items():
        if key in {"written_on"}:
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    lines += ["+++", body, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass
class Receiver:
    """A JSON receiver on 127.0.0.1 that deduplicates by Idempotency-Key, like a real CMS."""

    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    delay: float = 0.0
    fail_next: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys_created(self) -> list[str]:
        with self.lock:
            return list(self.created)


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
