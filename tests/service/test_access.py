"""The authorization matrix (DESIGN §13): every route × every role, no login, a disabled user and
an unknown token → the expected status; a refused request changes nothing but the access log."""

from __future__ import annotations

import sqlite3
from itertools import count
from typing import Any

import pytest

from tests.service.served import DEPT, OTHER_DEPT, Served, item_json

WHO = ("anonymous", "unknown", "gone", "dept", "dept2", "op", "aud")
_n = count()

#: route → expected status per WHO (the same order).
API = {
    ("POST", "/api/items"): (401, 401, 401, 202, 403, 202, 403),
    ("GET", "/api/items/{ix}"): (401, 401, 401, 200, 403, 200, 403),
    ("POST", "/api/items/{ix}/retry"): (401, 401, 401, 403, 403, 202, 403),
    ("POST", "/api/items/{ix}/withdraw"): (401, 401, 401, 403, 403, None, 403),
    ("GET", "/api/receipts"): (401, 401, 401, 403, 403, 200, 200),
    ("GET", "/api/bundle"): (401, 401, 401, 403, 403, 200, 200),
    ("GET", "/api/channels"): (401, 401, 401, 403, 403, 200, 403),
    ("GET", "/checkpoint"): (200, 200, 200, 200, 200, 200, 200),
}
TABLES = ("items", "versions", "deliveries", "receipts", "submissions", "checkpoints", "users",
          "api_tokens")


@pytest.fixture(scope="module")
def known(served: Served) -> str:
    r = served.api("POST", "/api/items", "op", json=item_json("关于授权矩阵的通知"))
    ix = r.json()["items"][0]["index_no"]
    served.wait_delivered(ix)
    return ix


def _snapshot(served: Served) -> dict[str, Any]:
    with sqlite3.connect(served.folder / ".hub" / "hub.db") as db:
        return {t: db.execute(f"select * from {t}").fetchall() for t in TABLES}


def _call(served: Served, who: str, method: str, path: str) -> int:
    user = {"anonymous": None, "unknown": "hub_" + "x" * 43}.get(who, who)
    kw: dict[str, Any] = {}
    if path == "/api/items":
        kw["json"] = item_json(f"关于矩阵第{next(_n)}次提交的通知")
    elif path.endswith("/withdraw"):
        kw["json"] = {"reason": "测试"}
    return served.api(method, path, user, **kw).status_code


@pytest.mark.parametrize(("method", "path"), list(API))
def test_every_api_route_for_every_role(served: Served, known: str, method: str,
                                        path: str) -> None:
    for who, expected in zip(WHO, API[(method, path)], strict=True):
        served.quiet()
        before = _snapshot(served)
        status = _call(served, who, method, path.format(ix=known))
        if expected is None:  # withdrawal: whatever the hub supports, never a refusal
            assert status not in (401, 403), (who, status)
            continue
        assert status == expected, (who, method, path, status)
        if status in (401, 403):
            assert _snapshot(served) == before, (who, method, path)


def test_a_department_may_not_post_for_another(served: Served) -> None:
    served.quiet()
    before = _snapshot(served)
    r = served.api("POST", "/api/items", "dept2", json=item_json("关于冒名发布的通知", DEPT))
    assert r.status_code == 403
    assert DEPT in r.json()["errors"][0]["message"]
    assert _snapshot(served) == before
    # Its own department is fine.
    ok = served.api("POST", "/api/items", "dept2", json=item_json("关于本局发布的通知",
                                                                  OTHER_DEPT))
    assert ok.status_code == 202


def test_a_department_may_not_version_another_departments_item(served: Served,
                                                                known: str) -> None:
    served.quiet()
    before = _snapshot(served)
    r = served.api("POST", "/api/items", "dept2",
                   json=item_json("关于授权矩阵的通知（改）", OTHER_DEPT, index_no=known))
    assert r.status_code == 403 and known in r.json()["errors"][0]["message"]
    assert _snapshot(served) == before


def test_every_decision_is_in_the_access_log(served: Served, known: str) -> None:
    served.api("GET", f"/api/items/{known}", "aud")
    served.api("GET", f"/api/items/{known}", "dept")
    with sqlite3.connect(served.folder / ".hub" / "hub.db") as db:
        rows = db.execute("select user, action, target, allowed, at from access_log "
                          "order by id desc limit 2").fetchall()
    assert rows[0][:4] == ("dept", "status", known, 1)
    assert rows[1][:4] == ("aud", "status", known, 0)
    assert all(r[4] for r in rows)


#: Web pages: not logged in → the login page (303); a role that may not → 403.
WEB_WHO = ("anonymous", "dept", "dept2", "op", "aud")
WEB = {
    ("GET", "/submit"): (303, 200, 200, 200, 403),
    ("POST", "/submit"): (303, 202, 403, 202, 403),
    ("GET", "/mine"): (303, 200, 200, 200, 403),
    ("POST", "/retry"): (303, 403, 403, 303, 403),
    ("GET", "/receipts"): (303, 403, 403, 200, 200),
    ("GET", "/receipts/0"): (303, 403, 403, 200, 200),
    ("GET", "/bundle"): (303, 403, 403, 200, 200),
    ("GET", "/audit"): (303, 403, 403, 200, 200),
    ("GET", "/report?year=2018"): (303, 403, 403, 200, 200),
    ("GET", "/login"): (200, 200, 200, 200, 200),
}


@pytest.fixture(scope="module")
def sessions(served: Served) -> dict[str, Any]:
    import requests

    return {"anonymous": requests.Session(),
            **{u: served.login(u) for u in WEB_WHO if u != "anonymous"}}


@pytest.mark.parametrize(("method", "path"), list(WEB))
def test_every_page_for_every_role(served: Served, known: str, sessions: dict[str, Any],
                                   method: str, path: str) -> None:
    for who, expected in zip(WEB_WHO, WEB[(method, path)], strict=True):
        served.quiet()
        before = _snapshot(served)
        session = sessions[who]
        data: dict[str, str] = {"csrf": getattr(session, "csrf", "")}
        if path == "/submit":
            data.update(title=f"关于网页矩阵第{next(_n)}次提交的通知", department=DEPT,
                        written_on="2018-06-01", kind="notice", category="service",
                        body="正文。", action="submit")
        elif path == "/retry":
            data["index_no"] = known
        if method == "POST":
            r = session.post(served.url + path, data=data, files={"none": ("", b"")},
                             allow_redirects=False, timeout=60)
        else:
            r = session.get(served.url + path, allow_redirects=False, timeout=60)
        assert r.status_code == expected, (who, method, path, r.status_code)
        if expected == 303 and who == "anonymous":
            assert r.headers["location"] == "/login"
        if r.status_code in (303, 403) and not (who == "op" and path == "/retry"):
            assert _snapshot(served) == before, (who, method, path)


def test_a_disabled_users_session_and_token_stop_at_once(served: Served) -> None:
    served.run("users", "add", "brief", "--role", "auditor", check=0)
    token = served.run("users", "token", "brief", check=0).stdout.splitlines()[-1]
    assert served.api("GET", "/api/receipts", token).status_code == 200
    served.run("users", "disable", "brief", check=0)
    assert served.api("GET", "/api/receipts", token).status_code == 401
