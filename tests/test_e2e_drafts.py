"""Decision drafts end to end (DESIGN §5.6): publish a draft for comment, then the decision and
the comment summary, through the real ``hub`` command; the static portal's pages and the audit.
Bad input (a short or past comment period, an unknown ``draft_of``) is exit 2, nothing sent."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support import HubRun, write_item

TZ = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(TZ).date()


@pytest.fixture
def run(tmp_path: Path) -> HubRun:
    (tmp_path / "channels.toml").write_text(
        '[hub]\nstate_dir = ".hub"\norg_code = "371700"\n'
        'public_url = "https://www.heze.gov.cn"\n\n'
        '[channels.portal]\nmode = "static"\noutput_dir = "public"\n', encoding="utf-8")
    return HubRun(tmp_path)


def draft(path: Path, **fields: Any) -> Path:
    base: dict[str, Any] = {
        "kind": "draft", "category": "decision", "department": "菏泽市城市管理局",
        "written_on": today().isoformat(), "topics": ["城市管理"],
        "comment_until": (today() + timedelta(days=30)).isoformat(),
        "comment_address": "tingche@heze.gov.cn",
    }
    base.update(fields)
    return write_item(path, "菏泽市城市停车管理办法（征求意见稿）",
                      body="第一条 为加强城市停车管理，制定本办法。", **base)


def page(run: HubRun, index_no: str) -> str:
    return (run.cwd / "public" / "xxgk" / f"{index_no}.html").read_text(encoding="utf-8")


def audit(run: HubRun) -> dict[str, list[dict[str, Any]]]:
    proc = run("audit", "--year", str(today().year), "--json")
    found: dict[str, list[dict[str, Any]]] = {}
    for f in json.loads(proc.stdout):
        found.setdefault(f["rule"], []).append(f)
    return found


def test_draft_decision_summary_linked_and_audited(run: HubRun, tmp_path: Path) -> None:
    [d] = run.json("publish", str(draft(tmp_path / "draft.md")))
    assert d["deliveries"][0]["status"] == "published"
    text = page(run, d["index_no"])
    until = today() + timedelta(days=30)
    assert f"征求意见期：{today().isoformat()} 至 {until.isoformat()}（30天）" in text
    assert 'href="mailto:tingche@heze.gov.cn"' in text
    findings = audit(run)
    assert [f["status"] for f in findings["comment-period"]] == ["met"]
    assert [f["status"] for f in findings["comment-summary"]] == ["unknown"]  # not due yet

    decision = write_item(tmp_path / "decision.md", "菏泽市城市停车管理办法",
                          kind="policy", category="decision", department="菏泽市城市管理局",
                          written_on=today().isoformat(), major=True, draft_of=d["index_no"],
                          body="第一条 为加强城市停车管理，制定本办法。")
    summary = write_item(tmp_path / "summary.md",
                         "《菏泽市城市停车管理办法（征求意见稿）》意见采纳情况",
                         kind="comment_summary", category="decision",
                         department="菏泽市城市管理局", written_on=today().isoformat(),
                         draft_of=d["index_no"],
                         body="共收到意见12条，采纳8条；未采纳的4条及理由如下。")
    result = {r["title"]: r["index_no"] for r in run.json("publish", str(decision), str(summary))}
    decision_no = result["菏泽市城市停车管理办法"]
    summary_no = result["《菏泽市城市停车管理办法（征求意见稿）》意见采纳情况"]

    # draft ↔ decision ↔ summary on the portal, both ways.
    draft_page = page(run, d["index_no"])
    assert "最终决策" in draft_page and "意见收集和采纳情况" in draft_page
    assert decision_no.split("/")[1] + ".html" in draft_page
    assert summary_no.split("/")[1] + ".html" in draft_page
    for other in (decision_no, summary_no):
        linked = page(run, other)
        assert "征求意见稿" in linked and d["index_no"].split("/")[1] + ".html" in linked
    assert summary_no.split("/")[1] + ".html" in page(run, decision_no)

    findings = audit(run)
    assert [f["status"] for f in findings["comment-summary"]] == ["met"]
    # Decided the same day the draft went out: its comment period had not ended.
    [major] = findings["major-draft"]
    assert major["status"] == "broken" and "尚未结束" in major["detail"]


@pytest.mark.parametrize(("fields", "needle"), [
    ({"comment_until": (date.today() + timedelta(days=29)).isoformat()}, "不得少于30天"),
    ({"comment_until": (date.today() - timedelta(days=1)).isoformat()}, "早于"),
    ({"comment_address": None}, "comment_address"),
])
def test_bad_draft_refused_nothing_sent(run: HubRun, tmp_path: Path, fields, needle) -> None:
    path = draft(tmp_path / "draft.md", **{k: v for k, v in fields.items() if v is not None})
    if fields.get("comment_address", "") is None:
        text = path.read_text(encoding="utf-8")
        path.write_text("\n".join(line for line in text.splitlines()
                                  if not line.startswith("comment_address")) + "\n",
                        encoding="utf-8")
    proc = run("publish", str(path), check=2)
    assert "draft.md" in proc.stderr and needle in proc.stderr, proc.stderr
    assert "comment_until" in proc.stderr or "comment_address" in proc.stderr
    assert not (tmp_path / "public").exists()


def test_unknown_draft_of_refused(run: HubRun, tmp_path: Path) -> None:
    path = write_item(tmp_path / "decision.md", "菏泽市城市停车管理办法", kind="policy",
                      category="decision", written_on=today().isoformat(),
                      draft_of="371700/2018-09999", major=True)
    proc = run("publish", str(path), check=2)
    assert "draft_of" in proc.stderr and "371700/2018-09999" in proc.stderr
    assert not (tmp_path / "public").exists()
    summary = write_item(tmp_path / "summary.md", "意见采纳情况", kind="comment_summary",
                         category="decision", written_on=today().isoformat())
    proc = run("publish", str(summary), check=2)
    assert "draft_of" in proc.stderr
