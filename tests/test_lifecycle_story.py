"""The life of a published item, per channel, end to end (DESIGN §12): publish → correct →
withdraw → expire through the real ``hub`` command against the sandbox fakes, the receipts
exported and verified by ``hub verify`` at the end.

Two penalties travel through each story: ``W`` (公示 until 2099) is corrected and then withdrawn
with a reason; ``E`` (no 公示截止期: the rules' three years from its 2018 decision ended in 2021)
is corrected and then taken down by ``hub expire``. The credit platform has no correction call
(DESIGN §5.5: a decision number is filed once), so its story skips the correction, and
``hub expire`` leaves its record alone (the platform keeps its own 公示 period).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from heze_hub.sandbox import Sandbox
from tests.support import EXAMPLES, HubRun

PUBLIC_URL = "https://www.heze.gov.cn"
CHANNELS = ["portal", "portal_static", "rss", "wechat", "weibo", "credit"]
REASON = "经行政复议，原处罚决定被撤销"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def configure(run: HubRun, sb: Sandbox) -> None:
    text = sb.config_toml(public_url=PUBLIC_URL, output_dir="public")
    (run.cwd / "channels.toml").write_text(text, encoding="utf-8")
    run.env.update(sb.env())


def penalty(path: Path, number: int, *, until: str | None, **changes: Any) -> Path:
    """Example 05 as penalty No. ``number`` (its own 文号), 公示 until ``until`` (None: unset)."""
    data = json.loads((EXAMPLES / "05-penalty-environment.json").read_text(encoding="utf-8"))
    doc = f"菏环罚字〔2018〕{number}号"
    data["title"] = f"菏泽市环境保护局行政处罚决定书（{doc}）"
    data["doc_number"] = data["credit"]["行政处罚决定书文号"] = doc
    if until:
        data["credit"]["公示截止期"] = until
    data.update(changes)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def feed_guids(run: HubRun) -> set[str]:
    feed = feedparser.parse((run.cwd / "public" / "feed.xml").read_bytes())
    return {e.id for e in feed.entries}


def page(run: HubRun, index_no: str) -> str:
    return (run.cwd / "public" / "xxgk" / f"{index_no}.html").read_text(encoding="utf-8")


def receipts(run: HubRun, index_no: str) -> list[dict[str, Any]]:
    return run.json("receipts", "--index-no", index_no)


@pytest.mark.parametrize("channel", CHANNELS)
def test_publish_correct_withdraw_expire(channel: str, hub_run: HubRun, sb: Sandbox) -> None:
    configure(hub_run, sb)
    cwd = hub_run.cwd
    w_file = penalty(cwd / "w.json", 41, until="2099-12-31")
    e_file = penalty(cwd / "e.json", 42, until=None)

    # 1. publish
    result = hub_run.json("publish", str(w_file), str(e_file), "--channel", channel)
    w_ix, e_ix = (r["index_no"] for r in result)
    assert [[d["status"] for d in r["deliveries"]] for r in result] == [["published"]] * 2
    first = {r["index_no"]: r["deliveries"][0] for r in result}

    # 2. correct (a new version with a correction note)
    if channel != "credit":
        for path, ix, number, until in ((w_file, w_ix, 41, "2099-12-31"), (e_file, e_ix, 42, None)):
            penalty(path, number, until=until, index_no=ix, correction="更正罚款金额的大写写法",
                    body="菏泽某化工有限公司未按规定运行大气污染防治设施，决定处以罚款人民币贰拾万元。")
        result = hub_run.json("publish", str(w_file), str(e_file), "--channel", channel)
        assert [(r["version"], [d["status"] for d in r["deliveries"]]) for r in result] == [
            (2, ["published"])] * 2
        replaced = [d for r in result for d in r["replaced"]]
        assert_corrected(channel, hub_run, sb, w_ix, first[w_ix], replaced)

    # 3. withdraw W with a reason
    proc = hub_run("withdraw", w_ix, "--reason", REASON, check=0)
    assert "已撤回" in proc.stdout
    assert_withdrawn(channel, hub_run, sb, w_ix)
    withdrawn = [r for r in receipts(hub_run, w_ix) if r["status"] == "withdrawn"]
    assert withdrawn and all(r["idempotency_key"].endswith(":withdraw") for r in withdrawn)
    # The latest version withdrawn for REASON (the CMS filed each version as an article of its
    # own: both go); an older post, for the correction that replaced it.
    expected = {"credit": {1}, "portal": {1, 2}}.get(channel, {2})
    assert {r["version"] for r in withdrawn if REASON in r["note"]} == expected
    assert all(REASON in r["note"] or "更正" in r["note"] for r in withdrawn)
    # Again: nothing sent twice, the earlier withdrawal is reported.
    before = sum(s.count() for s in sb.services.values())
    again = hub_run.json("withdraw", w_ix, "--reason", REASON)
    assert {o["status"] for o in again} == {"withdrawn"}
    assert sum(s.count() for s in sb.services.values()) == before

    # 4. expire: E's 公示 ended in 2021
    proc = hub_run("expire", check=0)
    if channel == "credit":
        assert "没有到期需要撤下" in proc.stdout
        assert "菏环罚字〔2018〕42号" in sb.credit.records
    else:
        assert "已撤回" in proc.stdout and "2021-08-06" in proc.stdout, proc.stdout
        assert_withdrawn(channel, hub_run, sb, e_ix)
        expired = [r for r in receipts(hub_run, e_ix) if r["status"] == "withdrawn"]
        assert {r["version"] for r in expired if "公示期" in r["note"]} == (
            {1, 2} if channel == "portal" else {2})
        assert all("公示期" in r["note"] or "更正" in r["note"] for r in expired)
    assert "没有到期需要撤下" in hub_run("expire", check=0).stdout  # idempotent, safe for cron

    status = hub_run.json("status", w_ix)
    assert {d["status"] for d in status if d["idempotency_key"].endswith(":withdraw")} == {
        "withdrawn"}
    hub_run("receipts", "export", "bundle", check=0)
    assert "核验通过" in hub_run("verify", "bundle", check=0).stdout


def assert_corrected(channel: str, run: HubRun, sb: Sandbox, ix: str, first: dict[str, Any],
                     replaced: list[dict[str, Any]]) -> None:
    if channel == "portal_static":
        assert "更正说明" in page(run, ix) and "第 2 版" in page(run, ix)
    elif channel == "rss":
        feed = feedparser.parse((run.cwd / "public" / "feed.xml").read_bytes())
        [entry] = [e for e in feed.entries if e.id.endswith(ix)]
        assert "更正说明" in entry.content[0].value
    elif channel == "portal":
        assert any(a["version"] == 2 and a["index_no"] == ix for a in sb.portal.articles.values())
    elif channel == "wechat":
        titles = [a["title"] for d in sb.wechat.drafts.values() for a in d["articles"]]
        assert any(t.startswith("【更正】") for t in titles)
        assert first["remote_id"] in sb.wechat.deleted
    elif channel == "weibo":
        texts = [s["text"] for s in sb.weibo.statuses.values()]
        assert any(t.startswith("【更正】") for t in texts)
        assert first["remote_id"] in sb.weibo.destroyed
    if channel in ("wechat", "weibo"):
        assert {(d["version"], d["status"]) for d in replaced} == {(1, "withdrawn")}
    else:
        assert replaced == []


def assert_withdrawn(channel: str, run: HubRun, sb: Sandbox, ix: str) -> None:
    if channel == "portal_static":
        text = page(run, ix)
        assert "本信息已于" in text and "撤回" in text and "罚款" not in text
        index = (run.cwd / "public" / "search-index.json").read_text(encoding="utf-8")
        assert ix not in index
        assert ix not in (run.cwd / "public" / "xxgk" / "index.html").read_text(encoding="utf-8")
    elif channel == "rss":
        assert not any(g.endswith(ix) for g in feed_guids(run))
    elif channel == "portal":
        assert not any(a["index_no"] == ix for a in sb.portal.articles.values())
        assert any(a["index_no"] == ix for a in sb.portal.deleted.values())
    elif channel == "wechat":
        assert not any(p.get("deleted") is not True for p in sb.wechat.publishes.values()
                       if p["article_id"] in _wechat_articles(run, ix))
    elif channel == "weibo":
        assert not any(ix in s["text"] for s in sb.weibo.statuses.values())
        assert any(ix in s["text"] for s in sb.weibo.destroyed.values())
    elif channel == "credit":
        assert any(r["reason"] == REASON for r in sb.credit.revoked.values())


def _wechat_articles(run: HubRun, ix: str) -> set[str]:
    return {r["remote_id"] for r in run.json("receipts", "--index-no", ix, "--channel", "wechat")
            if r["remote_id"]}
