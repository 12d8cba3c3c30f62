"""Web security of the service (DESIGN §13): session cookie flags, CSRF tokens on every form,
login throttling."""

from __future__ import annotations

import sqlite3

import requests

from tests.service.served import DEPT, PASSWORD, Served, form_token


def _count(served: Served, table: str) -> int:
    with sqlite3.connect(served.folder / ".hub" / "hub.db") as db:
        return int(db.execute(f"select count(*) from {table}").fetchone()[0])


def test_session_cookie_is_httponly_strict_and_secure_behind_https(served: Served) -> None:
    s = requests.Session()
    page = s.get(served.url + "/login")
    r = s.post(served.url + "/login", data={"name": "dept", "password": PASSWORD,
                                            "csrf": form_token(page.text)},
               allow_redirects=False)
    assert r.status_code == 303
    cookie = next(c for c in r.raw.headers.getlist("set-cookie") if c.startswith("hub_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    # Behind a local reverse proxy that terminates HTTPS, the cookie is Secure.
    page = requests.get(served.url + "/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in page.headers["set-cookie"]  # the login form's token cookie too
    token = form_token(page.text)
    r = requests.post(served.url + "/login", data={"name": "dept", "password": PASSWORD,
                                                   "csrf": token}, cookies={"hub_login": token},
                      headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)
    cookie = next(c for c in r.raw.headers.getlist("set-cookie") if c.startswith("hub_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    # The session id is stored only hashed.
    sid = cookie.split(";")[0].split("=", 1)[1]
    assert sid.encode() not in (served.folder / ".hub" / "hub.db").read_bytes()


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(served: Served) -> None:
    s = served.login("dept")
    before = _count(served, "versions")
    item = {"title": "关于跨站提交的通知", "department": DEPT, "written_on": "2018-06-01",
            "kind": "notice", "category": "service", "body": "正文。", "action": "submit"}
    for token in ("", "forged-token", served.login("dept2").csrf):  # type: ignore[attr-defined]
        r = s.post(served.url + "/submit", data={**item, "csrf": token},
                   files={"none": ("", b"")}, allow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text
    op = served.login("op")
    r = op.post(served.url + "/retry", data={"index_no": "371700/2018-00001"},
                allow_redirects=False)
    assert r.status_code == 403
    # Logging out needs the token too: a forged form cannot end a session.
    s.post(served.url + "/logout", data={"csrf": "forged"}, allow_redirects=False)
    assert s.get(served.url + "/mine", allow_redirects=False).status_code == 200
    # The login form has its own token, bound to a cookie.
    r = requests.post(served.url + "/login", data={"name": "dept", "password": PASSWORD,
                                                   "csrf": "x"}, allow_redirects=False)
    assert r.status_code == 403
    assert _count(served, "versions") == before
    # With the token it works.
    r = s.post(served.url + "/submit", data={**item, "csrf": s.csrf},  # type: ignore[attr-defined]
               files={"none": ("", b"")}, allow_redirects=False)
    assert r.status_code == 202
    r = s.post(served.url + "/logout", data={"csrf": s.csrf},  # type: ignore[attr-defined]
               allow_redirects=False)
    assert r.status_code == 303
    assert s.get(served.url + "/mine", allow_redirects=False).status_code == 303


def test_login_is_throttled_after_repeated_failures(served: Served) -> None:
    served.run("users", "add", "target", "--role", "auditor", check=0)
    s = requests.Session()

    def attempt(password: str) -> int:
        page = s.get(served.url + "/login")
        return s.post(served.url + "/login", data={
            "name": "target", "password": password, "csrf": form_token(page.text)},
            allow_redirects=False).status_code

    assert [attempt(f"wrong-{i}") for i in range(5)] == [401] * 5
    assert attempt("wrong-again") == 429
    # Even the right password is held back while the name is locked (no account has one here,
    # so "dept" shows it on a real account: five failures, then its own password is refused).
    for i in range(5):
        page = s.get(served.url + "/login")
        s.post(served.url + "/login", data={"name": "dept", "password": f"bad{i}",
                                            "csrf": form_token(page.text)})
    page = s.get(served.url + "/login")
    r = s.post(served.url + "/login", data={"name": "dept", "password": PASSWORD,
                                            "csrf": form_token(page.text)},
               allow_redirects=False)
    assert r.status_code == 429 and "15 分钟" in r.text
    with sqlite3.connect(served.folder / ".hub" / "hub.db") as db:
        refused = db.execute("select count(*) from access_log where action = 'login' "
                             "and allowed = 0").fetchone()[0]
    assert refused >= 12
