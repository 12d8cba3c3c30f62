"""The HTTP API of DESIGN §13 through a real ``hub serve`` on a local port."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

from tests.service.served import DEPT, Served, item_json
from tests.support import HubRun, init_config, write_item


def test_json_item_is_accepted_with_index_number_and_states(served: Served) -> None:
    r = served.api("POST", "/api/items", "dept", json=item_json("关于接口提交的通知"))
    assert r.status_code == 202, r.text
    [item] = r.json()["items"]
    assert item["version"] == 1 and item["index_no"].startswith("371700/2018-")
    assert {d["channel"] for d in item["deliveries"]} == {"portal", "rss"}
    assert {d["status"] for d in item["deliveries"]} <= {"pending", "publishing"}
    body = served.wait_delivered(item["index_no"], "dept")
    assert body["title"] == "关于接口提交的通知" and body["department"] == DEPT
    assert [d["status"] for d in body["deliveries"]] == ["published", "published"]
    page = served.folder / "public" / "xxgk" / f"{item['index_no']}.html"
    assert "关于接口提交的通知" in page.read_text(encoding="utf-8")
    # The same item again: nothing new, its current version, "unchanged".
    again = served.api("POST", "/api/items", "dept", json=item_json("关于接口提交的通知"))
    assert again.status_code == 202
    assert again.json()["items"][0] == {**again.json()["items"][0], "unchanged": True,
                                        "index_no": item["index_no"], "version": 1}


def test_multipart_item_with_attachment(served: Served) -> None:
    item = item_json("关于附件上传的通知",
                     attachments=[{"path": "files/表格.csv", "title": "报名表"}])
    files = [("item", ("附件通知.json", json.dumps(item, ensure_ascii=False).encode())),
             ("attachment", ("files/表格.csv", "姓名,学校\n".encode()))]
    r = served.api("POST", "/api/items", "dept", files=files)
    assert r.status_code == 202, r.text
    ix = r.json()["items"][0]["index_no"]
    served.wait_delivered(ix)
    data = json.loads((served.folder / "public" / "xxgk" / f"{ix}.json").read_text("utf-8"))
    assert [a["title"] for a in data["attachments"]] == ["报名表"]


def test_invalid_items_get_the_cli_messages_and_nothing_is_registered(
        served: Served, tmp_path: Path) -> None:
    before = _count(served, "versions")
    bad = item_json("关于错误字段的通知", kind="bogus")
    r = served.api("POST", "/api/items", "dept", json=bad)
    assert r.status_code == 422
    [err] = r.json()["errors"]
    assert err["file"] == "item.json" and err["field"] == "kind"
    assert "字段 kind" in err["message"]
    # The same file through hub publish says the same thing about the field.
    (tmp_path / "item.json").write_text(json.dumps(bad, ensure_ascii=False), "utf-8")
    init_config(tmp_path)
    cli = HubRun(cwd=tmp_path)("publish", "item.json", check=2)
    assert err["message"] in cli.stderr.replace("\n", "")
    # Two files, both wrong: both reported, neither registered.
    files = [("item", ("a.json", json.dumps(item_json("甲", colour="red")).encode())),
             ("item", ("b.md", b"+++\ntitle = 1\n+++\n"))]
    r = served.api("POST", "/api/items", "dept", files=files)
    assert r.status_code == 422
    assert [e["file"] for e in r.json()["errors"]] == ["a.json", "b.md"]
    assert all(str(served.folder) not in e["message"] for e in r.json()["errors"])
    r = served.api("POST", "/api/items", "dept", data="不是 JSON", headers={
        "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["errors"][0]["file"] == "item.json"
    assert _count(served, "versions") == before


def test_status_receipts_and_bundle_that_verifies(served: Served, tmp_path: Path) -> None:
    r = served.api("POST", "/api/items", "dept", json=item_json("关于回执核验的通知"))
    ix = r.json()["items"][0]["index_no"]
    served.wait_delivered(ix)
    receipts = served.api("GET", "/api/receipts", "aud", params={"index_no": ix}).json()
    assert [(x["channel"], x["status"]) for x in receipts] == [
        ("portal", "published"), ("rss", "published")] or sorted(
        (x["channel"], x["status"]) for x in receipts) == [
        ("portal", "published"), ("rss", "published")]
    assert served.api("GET", "/api/receipts", "aud", params={"status": "x"}).status_code == 422
    assert served.api("GET", "/api/receipts", "aud", params={"since": "昨天"}).status_code == 422
    bundle = served.api("GET", "/api/bundle", "aud")
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as zf:
        zf.extractall(tmp_path / "bundle")
    lines = (tmp_path / "bundle" / "receipts.jsonl").read_bytes().splitlines()
    assert any(json.loads(line)["index_no"] == ix for line in lines)
    HubRun(cwd=tmp_path)("verify", "bundle", check=0)
    cp = served.api("GET", "/checkpoint")
    assert cp.status_code == 200 and cp.text.startswith("heze-hub/371700\n")


def test_service_and_cli_submissions_are_alike_and_attributed(
        served: Served, tmp_path: Path) -> None:
    write_item(tmp_path / "cli.md", "关于命令行提交的通知")
    served.run("publish", str(tmp_path / "cli.md"), check=0)
    r = served.api("POST", "/api/items", "dept", json=item_json("关于服务提交的通知"))
    ix = r.json()["items"][0]["index_no"]
    served.wait_delivered(ix)
    with sqlite3.connect(served.folder / ".hub" / "hub.db") as db:
        rows = dict(db.execute("select v.data, s.via from versions v join submissions s "
                               "using (index_no, version)").fetchall())
        who = dict(db.execute("select via, submitted_by from submissions").fetchall())
        receipts = [json.loads(d) for (d,) in db.execute("select data from receipts")]
    assert who["api"] == "dept" and who["cli"].startswith("cli:")
    by_via = {via: json.loads(data) for data, via in rows.items()}
    assert set(by_via["cli"]) == set(by_via["api"])  # the same normalized item fields
    keys = {tuple(sorted(r)) for r in receipts}
    assert len(keys) == 1  # every receipt has the same fields, whichever way it came


def test_server_option_publishes_reads_and_exports(served: Served, tmp_path: Path) -> None:
    run = HubRun(cwd=tmp_path, env={"HUB_TOKEN": served.tokens["dept"]})
    write_item(tmp_path / "remote.md", "关于远程提交的通知")
    out = run("--server", served.url, "publish", "remote.md", "--json", check=0)
    ix = json.loads(out.stdout)[0]["index_no"]
    served.wait_delivered(ix)
    status = json.loads(run("--server", served.url, "status", ix, "--json", check=0).stdout)
    assert {d["status"] for d in status["deliveries"]} == {"published"}
    write_item(tmp_path / "bad.md", "关于错误的通知", kind="bogus")
    bad = run("--server", served.url, "publish", "bad.md", check=2)
    assert "字段 kind" in bad.stderr and "未发送任何内容" in bad.stderr
    # A department may not read receipts; an auditor may, and exports a bundle that verifies.
    refused = run("--server", served.url, "receipts", check=2)
    assert "403" in refused.stderr
    aud = HubRun(cwd=tmp_path, env={"HUB_TOKEN": served.tokens["aud"]})
    rows = json.loads(aud("--server", served.url, "receipts", "--index-no", ix, "--json",
                          check=0).stdout)
    assert {r["index_no"] for r in rows} == {ix}
    aud("--server", served.url, "receipts", "export", "exported", check=0)
    aud("verify", "exported", check=0)
    op = HubRun(cwd=tmp_path, env={"HUB_TOKEN": served.tokens["op"]})
    assert "已交给服务重试" in op("--server", served.url, "retry", ix, check=0).stdout
    nobody = HubRun(cwd=tmp_path, env={"HUB_TOKEN": "hub_wrong"})
    assert "401" in nobody("--server", served.url, "status", ix, check=2).stderr
    assert "HUB_TOKEN" in HubRun(cwd=tmp_path)("--server", served.url, "status", ix,
                                               check=2).stderr


def _count(served: Served, table: str) -> int:
    with sqlite3.connect(served.folder / ".hub" / "hub.db") as db:
        return int(db.execute(f"select count(*) from {table}").fetchone()[0])


def test_withdrawal_through_the_api_and_the_server_option(served: Served,
                                                          tmp_path: Path) -> None:
    ix = served.api("POST", "/api/items", "dept", json=item_json("关于将被撤回的通知")
                    ).json()["items"][0]["index_no"]
    served.wait_delivered(ix)
    served.quiet()
    no_reason = served.api("POST", f"/api/items/{ix}/withdraw", "op", json={})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    assert served.api("POST", f"/api/items/{ix}/withdraw", "dept",
                      json={"reason": "依法撤销"}).status_code == 403
    r = served.api("POST", f"/api/items/{ix}/withdraw", "op", json={"reason": "依法撤销"})
    assert r.status_code == 202, r.text
    served.quiet()
    receipts = served.api("GET", "/api/receipts", "aud", params={"index_no": ix}).json()
    assert {x["status"] for x in receipts} >= {"published", "withdrawn"}
    # The same from a shell elsewhere.
    other = served.api("POST", "/api/items", "dept", json=item_json("关于远程撤回的通知")
                       ).json()["items"][0]["index_no"]
    served.wait_delivered(other)
    served.quiet()
    op = HubRun(cwd=tmp_path, env={"HUB_TOKEN": served.tokens["op"]})
    out = op("--server", served.url, "withdraw", other, "--reason", "内容有误", check=0)
    assert "已交给服务撤回" in out.stdout
    served.quiet()
    receipts = served.api("GET", "/api/receipts", "aud", params={"index_no": other}).json()
    assert "withdrawn" in {x["status"] for x in receipts}
