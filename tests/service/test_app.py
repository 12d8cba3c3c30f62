"""The service's guard (DESIGN §13): security headers on every answer, bounded uploads, and
``hub serve`` refusing to start on a configuration that could not deliver."""

from __future__ import annotations

import json
from pathlib import Path

from tests.service.served import Served, item_json
from tests.support import HubRun


def test_every_answer_carries_the_security_headers(served: Served) -> None:
    for r in (served.api("GET", "/login"), served.api("GET", "/checkpoint"),
              served.api("GET", "/api/receipts"), served.api("GET", "/static/service.css"),
              served.api("GET", "/nowhere")):
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
    page = served.api("GET", "/login").text
    assert "<script" not in page and " style=" not in page  # nothing inline for the CSP to allow


def test_uploads_are_bounded_in_size_and_count(served: Served) -> None:
    big = served.api("POST", "/api/items", "dept", data=b"x" * (66 * 1024 * 1024),
                     headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and "请求过大" in big.text
    files = [("item", ("a.json", json.dumps(item_json("关于文件过多的通知")).encode()))]
    files += [("attachment", (f"f{i}.txt", b"x")) for i in range(60)]
    many = served.api("POST", "/api/items", "dept", files=files)
    assert many.status_code in (400, 422)
    assert served.api("GET", "/api/items/371700/2099-00001", "op").status_code == 404


def test_serve_refuses_to_start_when_a_channel_is_incomplete(tmp_path: Path) -> None:
    (tmp_path / "channels.toml").write_text(
        '[hub]\nstate_dir = ".hub"\n\n[channels.weibo]\nenabled = true\n', "utf-8")
    proc = HubRun(cwd=tmp_path)("serve", "--port", "1", check=2)
    assert "weibo" in proc.stderr
