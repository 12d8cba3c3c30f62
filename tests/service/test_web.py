"""The 提交 page and the escaping of every page (DESIGN §13): messages beside their fields, the
preview per channel, and an item with script in every field rendered inert everywhere."""

from __future__ import annotations

import re

from tests.service.served import DEPT, Served, item_json

FORM = {"title": "关于网页提交的通知", "department": DEPT, "written_on": "2018-06-01",
        "kind": "notice", "category": "service", "topics": "教育\n招生",
        "body": "为做好招生工作，现将有关事项通知如下。"}
NO_FILE = {"attachment_0": ("", b"")}


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{field}">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def test_messages_stand_next_to_their_field_and_values_are_kept(served: Served) -> None:
    s = served.login("dept")
    data = {**FORM, "kind": "", "written_on": "2999-01-01", "csrf": s.csrf, "action": "preview"}
    r = s.post(served.url + "/submit", data=data, files=NO_FILE)
    assert r.status_code == 422
    assert "kind" in _field_error(r.text, "kind") or "written_on" in _field_error(
        r.text, "written_on")
    assert 'aria-invalid="true"' in r.text
    assert 'value="关于网页提交的通知"' in r.text  # what was typed stays in the form
    data["kind"] = "notice"
    r = s.post(served.url + "/submit", data=data, files=NO_FILE)
    assert r.status_code == 422
    assert "written_on" in _field_error(r.text, "written_on")
    assert "aria-describedby=\"err-written_on\"" in r.text


def test_preview_shows_each_channel_and_registers_nothing(served: Served) -> None:
    s = served.login("dept")
    data = {**FORM, "csrf": s.csrf, "action": "preview"}
    r = s.post(served.url + "/submit", data=data, files=NO_FILE)
    assert r.status_code == 200, r.text
    assert 'id="preview-portal"' in r.text and 'id="preview-rss"' in r.text
    assert "<iframe" in r.text and "sandbox" in r.text and "srcdoc=" in r.text
    mine = s.get(served.url + "/mine").text
    assert "关于网页提交的通知" not in mine
    data["action"] = "submit"
    r = s.post(served.url + "/submit", data=data,
               files={"attachment_0": ("报名表.csv", "姓名\n".encode())})
    assert r.status_code == 202
    ix = re.search(r'class="index-no">([^<]+)<', r.text).group(1)
    served.wait_delivered(ix)
    mine = s.get(served.url + "/mine").text
    assert "关于网页提交的通知" in mine and ix in mine and "已发布" in mine


SCRIPT = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'


def test_script_in_every_field_is_inert_on_every_page(served: Served) -> None:
    fields = {k: f"{SCRIPT}{k}" for k in ("doc_number", "interprets", "summary")}
    item = item_json(f"关于{SCRIPT}的通知", topics=[f"教育{SCRIPT}"], redact=[SCRIPT[:20]],
                     body=f"正文{SCRIPT}。\n\n[链接](javascript:alert(1))", **fields)
    item["summary"] = "概述" + SCRIPT[:40]
    r = served.api("POST", "/api/items", "dept", json=item)
    if r.status_code == 422:  # the hub may refuse some of it; what it accepts must be inert
        item = item_json(f"关于{SCRIPT}的通知", body=f"正文{SCRIPT}。")
        r = served.api("POST", "/api/items", "dept", json=item)
    assert r.status_code == 202, r.text
    ix = r.json()["items"][0]["index_no"]
    served.wait_delivered(ix)
    seq = served.api("GET", "/api/receipts", "aud", params={"index_no": ix}).json()[0]["seq"]
    op = served.login("op")
    pages = [op.get(served.url + p).text for p in (
        "/mine", "/receipts", f"/receipts/{seq}", f"/receipts?index_no={ix}",
        "/audit?year=2018", "/report?year=2018")]
    dept = served.login("dept")
    preview = dept.post(served.url + "/submit", data={
        **FORM, "title": f"关于{SCRIPT}的预览", "body": f"正文{SCRIPT}。", "summary": SCRIPT,
        "csrf": dept.csrf, "action": "preview"}, files=NO_FILE).text
    portal = (served.folder / "public" / "xxgk" / f"{ix}.html").read_text("utf-8")
    for page in [*pages, preview, portal]:
        assert "<script>" not in page and "<img src=x" not in page
        assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in pages[0]  # shown as text, not dropped
