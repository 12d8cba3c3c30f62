"""``hub withdraw`` and ``hub expire`` (DESIGN §9, §12) through the real CLI: bad input, a
failing channel left for ``hub retry``, a channel that cannot withdraw, repeal and validity
marks, and what ``hub status``, ``hub audit`` and ``hub report annual`` say afterwards."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from heze_hub.sandbox import Fault, Sandbox
from tests.support import EXAMPLES, WEBHOOK_PLUGIN, HubRun, Receiver, write_item

PUBLIC_URL = "https://www.heze.gov.cn"
PENALTY = EXAMPLES / "05-penalty-environment.json"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def configure(run: HubRun, sb: Sandbox) -> None:
    text = sb.config_toml(public_url=PUBLIC_URL, output_dir="public")
    (run.cwd / "channels.toml").write_text(text, encoding="utf-8")
    run.env.update(sb.env())
    # Quick retries: a failing fake answers at once.
    for name in ("WEIBO", "WECHAT", "PORTAL", "CREDIT"):
        run.env[f"HUB_CHANNELS__{name}__RETRY__MAX_ATTEMPTS"] = "2"
        run.env[f"HUB_CHANNELS__{name}__RETRY__INITIAL_WAIT"] = "0"
        run.env[f"HUB_CHANNELS__{name}__RETRY__MAX_WAIT"] = "0"


def sent(sb: Sandbox) -> int:
    return sum(s.count() for s in sb.services.values())


def test_bad_input_exits_2_and_sends_nothing(hub_run: HubRun, sb: Sandbox) -> None:
    configure(hub_run, sb)
    [result] = hub_run.json("publish", str(PENALTY))
    ix = result["index_no"]
    before = sent(sb)
    for args, words in [
        ((ix,), "必须说明原因"),
        ((ix, "--reason", "  "), "必须说明原因"),
        (("371700/2018-99999", "--reason", "误发"), "不存在"),
        ((ix, "--reason", "误发", "--channel", "nowhere"), "未配置"),
    ]:
        proc = hub_run("withdraw", *args, check=2)
        assert words in proc.stderr and "未发送任何内容" in proc.stderr, proc.stderr
    # Known but never published anywhere: every delivery failed.
    sb.weibo.add_fault(Fault(path="/2/statuses/share.json", status=400,
                             body={"error": "x", "error_code": 20012, "request": "/"}))
    other = write_item(hub_run.cwd / "n.md", "关于开展测试工作的通知", channels=["weibo"])
    [failed] = hub_run.json("publish", str(other), check=1)
    proc = hub_run("withdraw", failed["index_no"], "--reason", "误发", check=2)
    assert "没有已发布的版本" in proc.stderr
    assert sent(sb) == before + 1  # only the failed publication itself
    assert hub_run.json("receipts", "--status", "withdrawn") == []


def test_one_failing_channel_leaves_the_others_withdrawn_and_retry_finishes(
    hub_run: HubRun, sb: Sandbox
) -> None:
    configure(hub_run, sb)
    [result] = hub_run.json("publish", str(PENALTY))
    ix = result["index_no"]
    sb.weibo.add_fault(Fault(path="/2/statuses/destroy.json", status=503))
    out = hub_run.json("withdraw", ix, "--reason", "信息有误，撤回", check=1)
    by = {o["channel"]: o for o in out}
    assert by["weibo"]["status"] == "failed" and "hub retry" in by["weibo"]["error"]
    assert {o["status"] for c, o in by.items() if c != "weibo"} == {"withdrawn"}
    assert sb.weibo.statuses  # still there
    status = hub_run("status", ix, check=0).stdout
    assert "撤回未完成" in status and "weibo" in status

    sb.weibo.clear_faults()
    retried = hub_run.json("retry")
    assert [(o["channel"], o["status"]) for o in retried] == [("weibo", "withdrawn")]
    assert not sb.weibo.statuses and sb.weibo.destroyed
    keys = [r["idempotency_key"] for r in hub_run.json("receipts", "--status", "withdrawn")]
    assert sorted(keys) == sorted(f"{ix}:1:{c}:withdraw" for c in by)
    hub_run("receipts", "export", "bundle", check=0)
    assert "核验通过" in hub_run("verify", "bundle", check=0).stdout


def test_a_channel_that_cannot_withdraw_asks_for_a_manual_step(
    hub_run: HubRun, receiver: Receiver
) -> None:
    plugins = hub_run.cwd / "plugins"
    plugins.mkdir()
    shutil.copy(WEBHOOK_PLUGIN, plugins / "webhook.py")
    (hub_run.cwd / "channels.toml").write_text(
        '[hub]\norg_code = "TEST"\nplugins_dir = "plugins"\npublic_url = "https://gov.example"\n'
        f'[channels.notify]\nplugin = "webhook"\nurl = "{receiver.url}"\n', encoding="utf-8")
    hub_run.env["HUB_CHANNELS__NOTIFY__TOKEN"] = "tok-123456"
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    [result] = hub_run.json("publish", str(item))
    proc = hub_run("withdraw", result["index_no"], "--reason", "误发", check=0)
    assert "需人工处理" in proc.stderr and "不支持自动撤回" in proc.stderr
    assert len(receiver.posts) == 1  # nothing sent for the withdrawal
    [skipped] = hub_run.json("receipts", "--status", "skipped")
    assert skipped["idempotency_key"].endswith(":withdraw") and "误发" in skipped["error"]
    assert "需人工处理" in hub_run("status", result["index_no"], check=0).stdout


def policy(path: Path, title: str, **fields: object) -> Path:
    return write_item(path, title, kind="policy", category="decision", channels=[
        "portal_static", "rss"], **fields)


def test_repeal_and_validity_marks_on_the_portal_and_in_the_feed(
    hub_run: HubRun, sb: Sandbox
) -> None:
    configure(hub_run, sb)
    old = policy(hub_run.cwd / "old.md", "菏泽市城市管理办法", doc_number="菏政办发〔2018〕3号")
    lapsed = policy(hub_run.cwd / "lapsed.md", "菏泽市临时交通管理办法",
                    doc_number="菏政办发〔2018〕4号", valid_until="2019-06-30")
    a, b = hub_run.json("publish", str(old), str(lapsed))
    old_page = hub_run.cwd / "public" / "xxgk" / f"{a['index_no']}.html"
    assert "已废止" not in old_page.read_text(encoding="utf-8")

    bad = policy(hub_run.cwd / "bad.md", "新办法", repeals=["371700/2018-99999"])
    assert "repeals" in hub_run("publish", str(bad), check=2).stderr

    new = policy(hub_run.cwd / "new.md", "菏泽市城市管理办法（2019年修订）",
                 doc_number="菏政办发〔2019〕1号", written_on="2019-01-10",
                 repeals=[a["index_no"]])
    [c] = hub_run.json("publish", str(new))
    text = old_page.read_text(encoding="utf-8")
    assert "已废止" in text and f"{c['index_no'].rsplit('/', 1)[1]}.html" in text
    feed = feedparser.parse((hub_run.cwd / "public" / "feed.xml").read_bytes())
    titles = {e.id.rsplit(":", 1)[1]: e.title for e in feed.entries}
    assert titles[a["index_no"]].startswith("【已废止】")
    assert titles[b["index_no"]].startswith("【已失效】")
    lapsed_page = hub_run.cwd / "public" / "xxgk" / f"{b['index_no']}.html"
    assert "已失效" in lapsed_page.read_text(encoding="utf-8")

    # hub expire records the 已失效 mark once, then has nothing to do.
    first = hub_run("expire", check=0).stdout
    assert "已标注失效" in first and b["index_no"] in first
    assert "没有到期需要撤下" in hub_run("expire", check=0).stdout


def test_correction_only_on_a_new_version(hub_run: HubRun, sb: Sandbox) -> None:
    configure(hub_run, sb)
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知", correction="更正日期")
    proc = hub_run("publish", str(item), check=2)
    assert "correction" in proc.stderr and "第 2 版" in proc.stderr
    assert sent(sb) == 0


def test_status_audit_and_annual_report_count_withdrawn_items(
    hub_run: HubRun, sb: Sandbox
) -> None:
    configure(hub_run, sb)
    data = json.loads(PENALTY.read_text(encoding="utf-8"))
    data["credit"]["公示截止期"] = "2099-12-31"
    kept = hub_run.cwd / "kept.json"
    kept.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    data["title"] = data["title"].replace("27号", "28号")
    data["doc_number"] = data["credit"]["行政处罚决定书文号"] = "菏环罚字〔2018〕28号"
    revoked = hub_run.cwd / "revoked.json"
    revoked.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    k, r = hub_run.json("publish", str(kept), str(revoked))
    hub_run("withdraw", r["index_no"], "--reason", "经行政复议撤销", check=0)

    audit = hub_run("audit", "--year", "2018", check=None).stdout
    assert "已撤回的信息（1 条" in audit and "经行政复议撤销" in audit
    cells = hub_run.json("report", "annual", "--year", "2018")
    values = {(c["row"], c["column"]): c["value"] for c in cells}
    assert values[("行政处罚", "本年处理决定数量")] == 2  # disclosed, then one withdrawn
    year = json.loads(hub_run("receipts", "--json").stdout)[-1]["finished_at"][:4]
    now = {(c["row"], c["column"]): c["value"]
           for c in hub_run.json("report", "annual", "--year", year)}
    assert now[("已撤回信息", "本年撤回条数")] == 1
    assert now[("已撤回信息", "本年公示期满撤下条数")] == 0
    assert k["index_no"] in hub_run("status", check=0).stdout


def test_a_database_from_before_withdrawals_keeps_working(hub_run: HubRun, sb: Sandbox) -> None:
    configure(hub_run, sb)
    [result] = hub_run.json("publish", str(PENALTY), "--channel", "portal_static")
    db = hub_run.cwd / ".hub-sandbox" / "hub.db"
    with sqlite3.connect(db) as conn:  # as an older hub left it
        conn.execute("DROP TABLE withdrawals")
        conn.execute("DROP TABLE marks")
    # Reading commands open the database read-only and create nothing.
    assert "已发布" in hub_run("status", check=0).stdout
    hub_run("audit", "--year", "2018", check=None)
    assert hub_run.json("report", "annual", "--year", "2018")
    # The first write creates the new tables; the withdrawal works.
    hub_run("withdraw", result["index_no"], "--reason", "误发", check=0)
    assert [r["status"] for r in hub_run.json("receipts", "--status", "withdrawn")] == [
        "withdrawn"]
