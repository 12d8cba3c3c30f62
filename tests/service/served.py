"""A real ``hub serve`` in a subprocess on a free local port, with one user of every kind."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.support import HubRun, hub_executable

DEPT = "菏泽市测试局"
OTHER_DEPT = "菏泽市其他局"
PASSWORD = "correct-horse-1"
CONFIG = """
[hub]
state_dir = ".hub"
org_code = "371700"
public_url = "http://portal.example"

[channels.portal]
mode = "static"
output_dir = "public"

[channels.rss]
output_dir = "public"
"""
#: name → (role, departments); "gone" is disabled once its token is known.
USERS = {
    "dept": ("department", [DEPT]),
    "dept2": ("department", [OTHER_DEPT]),
    "op": ("operator", []),
    "aud": ("auditor", []),
    "gone": ("department", [DEPT]),
}


def form_token(page: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """The running service, its folder and the users' API tokens."""

    folder: Path
    run: HubRun
    url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[str] | None = None

    def api(self, method: str, path: str, user: str | None = None, **kw: Any
            ) -> requests.Response:
        headers = kw.pop("headers", {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(user, user)}"
        return requests.request(method, self.url + path, headers=headers, timeout=60, **kw)

    def login(self, user: str, password: str = PASSWORD) -> requests.Session:
        """A browser-like session logged in as ``user`` (its CSRF token in ``session.csrf``)."""
        session = requests.Session()
        page = session.get(self.url + "/login", timeout=30)
        answer = session.post(self.url + "/login", data={
            "name": user, "password": password, "csrf": form_token(page.text)},
            allow_redirects=False, timeout=30)
        assert answer.status_code == 303, (user, answer.status_code, answer.text)
        home = session.get(self.url + "/mine" if user != "aud" else self.url + "/receipts",
                           timeout=30)
        session.csrf = form_token(home.text)  # type: ignore[attr-defined]
        return session

    def wait_delivered(self, index_no: str, user: str = "op", timeout: float = 60) -> dict:
        """The item's status once no delivery is pending or running."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.api("GET", f"/api/items/{index_no}", user).json()
            if all(d["status"] not in ("pending", "publishing") for d in body["deliveries"]):
                return body
            assert time.monotonic() < deadline, body
            time.sleep(0.1)

    def quiet(self, timeout: float = 60) -> None:
        """Wait until no delivery of the hub is pending or running."""
        deadline = time.monotonic() + timeout
        while True:
            with sqlite3.connect(self.folder / ".hub" / "hub.db") as db:
                busy = db.execute("select count(*) from deliveries where status in "
                                  "('pending', 'publishing')").fetchone()[0]
                # The run signs its receipts after the last delivery: wait for that too.
                unsigned = db.execute("select (select count(*) from receipts) - "
                                      "coalesce((select max(size) from checkpoints), 0)"
                                      ).fetchone()[0]
            if not busy and not unsigned:
                time.sleep(0.1)  # the feed and portal rebuild after the checkpoint
                return
            assert time.monotonic() < deadline
            time.sleep(0.1)

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        self.proc = subprocess.Popen(
            [hub_executable(), "serve", "--port", str(port)], cwd=self.folder, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + "/checkpoint", timeout=2)
                return
            except requests.ConnectionError:
                assert self.proc.poll() is None, self.proc.stderr.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline
                time.sleep(0.1)

    def stop(self) -> str:
        """Stop the service (as Ctrl+C does); its stderr."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        try:
            _, errors = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, errors = self.proc.communicate()
        assert "Traceback" not in errors, errors
        return errors


def make_service(folder: Path) -> Served:
    """A hub folder with the users above, and the service running on it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "channels.toml").write_text(CONFIG, encoding="utf-8")
    run = HubRun(cwd=folder)
    served = Served(folder=folder, run=run)
    for name, (role, depts) in USERS.items():
        args = ["users", "add", name, "--role", role, "--password-stdin"]
        for d in depts:
            args += ["--department", d]
        proc = subprocess.run([hub_executable(), *args], cwd=folder, input=PASSWORD + "\n",
                              capture_output=True, text=True, timeout=60,
                              env={k: v for k, v in os.environ.items()
                                   if not k.startswith("HUB_")})
        assert proc.returncode == 0, proc.stderr
        served.tokens[name] = proc.stdout.splitlines()[-1]
    run("users", "disable", "gone", check=0)
    served.start()
    return served


def item_json(title: str, department: str = DEPT, **fields: Any) -> dict[str, Any]:
    """An item in the §2 JSON form."""
    return {"title": title, "department": department, "written_on": "2018-06-01",
            "kind": "notice", "category": "service", "topics": ["教育"],
            "body": "为做好相关工作，现将有关事项通知如下。", **fields}
