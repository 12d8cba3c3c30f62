"""End to end through the real ``hub`` command as a subprocess."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import time

import feedparser

from tests.support import WEBHOOK_PLUGIN, HubRun, Receiver, write_item


def _webhook_config(run: HubRun, receiver: Receiver, extra: str = "") -> None:
    plugins = run.cwd / "plugins"
    plugins.mkdir(exist_ok=True)
    shutil.copy(WEBHOOK_PLUGIN, plugins / "webhook.py")
    (run.cwd / "channels.toml").write_text(
        '[hub]\norg_code = "TEST"\nplugins_dir = "plugins"\npublic_url = "https://gov.example"\n'
        f'[channels.notify]\nplugin = "webhook"\nurl = "{receiver.url}"\n{extra}'
        "[channels.notify.retry]\nmax_attempts = 3\ninitial_wait = 0\nmax_wait = 0.1\n",
        encoding="utf-8",
    )


def test_publish_to_an_operator_plugin_and_list_receipts(hub_run: HubRun, receiver) -> None:
    _webhook_config(hub_run, receiver)
    hub_run.env["HUB_CHANNELS__NOTIFY__TOKEN"] = "tok-123456"
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    [result] = hub_run.json("publish", str(item))
    assert result["index_no"] == "TEST/2018-00001" and result["new_version"]
    [d] = result["deliveries"]
    assert (d["channel"], d["status"], d["url"]) == ("notify", "published", "https://cms.example/1")
    [post] = receiver.posts
    assert post["key"] == "TEST/2018-00001:1:notify"
    assert post["headers"]["Authorization"] == "Bearer tok-123456"
    assert post["json"]["url"] == "https://gov.example/xxgk/TEST/2018-00001.html"

    receipts = hub_run.json("receipts")
    assert [(r["seq"], r["status"], r["channel"]) for r in receipts] == [(0, "published", "notify")]
    assert "tok-123456" not in json.dumps(receipts)
    assert hub_run.json("receipts", "--status", "failed") == []

    again = hub_run("publish", str(item), check=0)
    assert "内容未变化" in again.stdout and len(receiver.posts) == 1


def test_bad_input_exits_2_and_sends_nothing(hub_run: HubRun, receiver) -> None:
    _webhook_config(hub_run, receiver)
    good = write_item(hub_run.cwd / "good.md", "关于开展测试工作的通知")
    bad = write_item(hub_run.cwd / "bad.md", "关于开展测试工作的通知二", colour="红")
    gbk = hub_run.cwd / "gbk.md"
    gbk.write_bytes("+++\ntitle = \"测试\"\n+++\n".encode("gbk"))
    proc = hub_run("publish", str(good), str(bad), str(gbk), check=2)
    assert "bad.md" in proc.stderr and "colour" in proc.stderr and "未知字段" in proc.stderr
    assert "gbk.md" in proc.stderr and "UTF-8" in proc.stderr
    assert "未发送任何内容" in proc.stderr
    assert receiver.posts == []  # the good file of the batch was not sent either


def test_withheld_item_is_refused(hub_run: HubRun, receiver) -> None:
    _webhook_config(hub_run, receiver)
    item = write_item(hub_run.cwd / "w.md", "内部事项", disclosure="withheld")
    proc = hub_run("publish", str(item), check=2)
    assert "disclosure" in proc.stderr and "不予公开" in proc.stderr


def test_failed_delivery_exits_1_and_retry_resumes(hub_run: HubRun, receiver) -> None:
    _webhook_config(hub_run, receiver)
    receiver.fail_next = [(503, {"Retry-After": "0"})] * 3
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    proc = hub_run("publish", str(item), check=1)
    assert "失败" in proc.stdout and "HTTP 503" in proc.stdout
    [row] = hub_run.json("status")
    assert (row["status"], row["attempts"]) == ("failed", 3)
    [outcome] = hub_run.json("retry")
    assert outcome["status"] == "published"
    assert [r["status"] for r in hub_run.json("receipts")] == ["failed", "published"]


def test_missing_secret_in_an_enabled_channel_is_reported_before_sending(hub_run: HubRun,
                                                                         receiver) -> None:
    _webhook_config(hub_run, receiver)
    # A channel whose plugin declares a required secret and has none configured.
    text = (hub_run.cwd / "plugins" / "webhook.py").read_text(encoding="utf-8")
    (hub_run.cwd / "plugins" / "webhook.py").write_text(
        text.replace("token: SecretStr | None = None", "token: SecretStr | None = None\n"
                     "    required_token: SecretStr | None = None"), encoding="utf-8")
    proc = hub_run("channels", check=1)
    assert "HUB_CHANNELS__NOTIFY__REQUIRED_TOKEN" in proc.stdout
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    proc = hub_run("publish", str(item), check=2)
    assert "HUB_CHANNELS__NOTIFY__REQUIRED_TOKEN" in proc.stderr and receiver.posts == []


def test_secret_in_config_file_is_refused(hub_run: HubRun, receiver) -> None:
    _webhook_config(hub_run, receiver, extra='token = "in-the-file"\n')
    proc = hub_run("channels", check=2)
    assert "HUB_CHANNELS__NOTIFY__TOKEN" in proc.stderr and "in-the-file" not in proc.stderr


def test_sigkill_mid_batch_then_retry_publishes_everything_exactly_once(
    hub_run: HubRun, receiver
) -> None:
    _webhook_config(hub_run, receiver)
    # The static portal and the feeds too: every (item, channel) must end published once.
    with (hub_run.cwd / "channels.toml").open("a", encoding="utf-8") as fh:
        fh.write('[channels.portal]\nmode = "static"\n[channels.rss]\nmax_entries = 500\n')
    receiver.delay = 0.05  # about 1.3 s for the batch: time enough to kill it midway
    items = hub_run.cwd / "items"
    items.mkdir()
    for i in range(200):
        write_item(items / f"{i:03}.md", f"关于第{i}批测试事项的通知")
    files = sorted(str(p) for p in items.iterdir())
    proc = hub_run.popen("publish", *files)
    db = hub_run.cwd / ".hub" / "hub.db"
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=5) as conn:
                    # The webhook is the slow channel (the portal and the feeds finish their
                    # 400 deliveries within moments): midway means midway through it.
                    done = conn.execute(
                        "select count(*) from receipts where channel = 'notify'"
                    ).fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= 40:
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the batch finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 40 <= done < 200

    hub_run("retry", check=0, timeout=120)
    receipts = hub_run.json("receipts")
    published = [(r["index_no"], r["channel"]) for r in receipts if r["status"] == "published"]
    assert len(published) == len(set(published)) == 3 * 200
    assert {r["status"] for r in receipts} == {"published"}
    notified = sorted(f"{i}:1:notify" for i, c in published if c == "notify")
    assert sorted(receiver.keys_created()) == notified
    # What was in flight (or sent but not yet recorded) when the process died was sent again on
    # retry; the receiver refused the duplicates by key, so each was created once (above).
    assert len(receiver.posts) < 2 * len(notified)
    statuses = {row["status"] for row in hub_run.json("status")}
    assert statuses == {"published"}
    # Every item has its portal page and its one feed entry.
    pages = [p for p in (hub_run.cwd / "public" / "xxgk" / "TEST").glob("2018-*.html")]
    assert len(pages) == 200
    feed = feedparser.parse((hub_run.cwd / "public" / "feed.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == len({e.id for e in feed.entries}) == 200


def test_retry_leaves_a_disabled_channel_alone(hub_run: HubRun, receiver) -> None:
    _webhook_config(hub_run, receiver)
    receiver.fail_next = [(503, {"Retry-After": "0"})] * 3
    hub_run("publish", str(write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")), check=1)
    config = hub_run.cwd / "channels.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'plugin = "webhook"', 'plugin = "webhook"\nenabled = false'), encoding="utf-8")
    proc = hub_run("retry", check=0)
    assert "notify 已停用" in proc.stderr
    assert len(receiver.posts) == 3  # nothing sent after it was switched off


def test_a_lost_content_key_is_refused_once_items_exist(hub_run: HubRun, receiver) -> None:
    _webhook_config(hub_run, receiver)
    hub_run("publish", str(write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")), check=0)
    (hub_run.cwd / ".hub" / "keys" / "content.key").unlink()
    proc = hub_run("publish", str(write_item(hub_run.cwd / "b.md", "第二份通知")), check=2)
    assert "content.key" in proc.stderr and "恢复" in proc.stderr
    assert len(receiver.posts) == 1


def test_status_shows_the_deadline_of_a_credit_record_not_yet_filed(hub_run: HubRun) -> None:
    from tests.support import EXAMPLES

    (hub_run.cwd / "channels.toml").write_text(
        '[hub]\norg_code = "TEST"\n[channels.credit]\nupload = "file"\n', encoding="utf-8")
    hub_run("publish", str(EXAMPLES / "05-penalty-environment.json"), check=0)
    [row] = hub_run.json("status")
    assert row["status"] == "pending"
    # Decided 2018-08-06: seven working days later is 2018-08-15, long past.
    assert row["deadline"]["due"] == "2018-08-15" and row["deadline"]["state"] == "overdue"
    assert "2018-08-15" in hub_run("status", check=0).stdout
