"""The reading pages (DESIGN §13): 回执 search, one receipt whose inclusion proof checks offline,
审计 and 年度报表, 我的信息 limited to the department's own items."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests.service.served import OTHER_DEPT, Served, item_json
from tests.support import HubRun


def _pres(page: str) -> list[str]:
    return [html.unescape(p) for p in re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.S)]


def test_one_receipt_with_a_proof_that_checks_offline(served: Served, tmp_path: Path) -> None:
    ix = served.api("POST", "/api/items", "dept", json=item_json("关于回执证明的通知")
                    ).json()["items"][0]["index_no"]
    served.wait_delivered(ix)
    served.quiet()
    aud = served.login("aud")
    listing = aud.get(served.url + "/receipts", params={"index_no": ix}).text
    seqs = re.findall(r'<a href="/receipts/(\d+)">', listing)
    assert len(seqs) == 2 and "共 2 条" in listing
    page = aud.get(served.url + f"/receipts/{seqs[0]}").text
    canonical, proof, checkpoint = _pres(page)[:3]
    vkey = html.unescape(re.search(r"验证公钥：<code>([^<]+)</code>", page).group(1))
    (tmp_path / "receipt.json").write_bytes(canonical.encode("utf-8"))
    (tmp_path / "proof.json").write_text(proof, "utf-8")
    (tmp_path / "checkpoint").write_text(checkpoint, "utf-8")
    run = HubRun(cwd=tmp_path)
    out = run("receipts", "check", "receipt.json", "proof.json", "checkpoint", "--key", vkey,
              check=0)
    assert "核对通过" in out.stdout
    assert aud.get(served.url + "/receipts/999999").status_code == 404


def test_audit_and_annual_report_pages(served: Served) -> None:
    aud = served.login("aud")
    audit = aud.get(served.url + "/audit", params={"year": "2018"})
    assert audit.status_code == 200 and "审计：2018 年" in audit.text and "<table>" in audit.text
    report = aud.get(served.url + "/report", params={"year": "2018"})
    assert report.status_code == 200 and "主动公开政府信息情况" in report.text
    assert report.text.count("<tr>") > 5


def test_my_items_are_only_my_departments(served: Served) -> None:
    ix = served.api("POST", "/api/items", "dept2", json=item_json("关于他局自己的通知",
                                                                 OTHER_DEPT)
                    ).json()["items"][0]["index_no"]
    served.wait_delivered(ix, "op")
    assert "关于他局自己的通知" not in served.login("dept").get(served.url + "/mine").text
    assert "关于他局自己的通知" in served.login("dept2").get(served.url + "/mine").text
    op_page = served.login("op").get(served.url + "/mine").text
    assert "关于他局自己的通知" in op_page
