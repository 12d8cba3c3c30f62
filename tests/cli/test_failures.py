"""Failures at each step of a run, for real: the exit status and the message match what was sent.

Before the first send (key, store, output folder, configuration) a failure is exit 2 and
nothing is sent; after it (the network, the checkpoint, the disk) it is exit 1 with what was
sent and what to do, and ``hub retry`` finishes the run once the cause is gone. A full disk is a
real one (a small tmpfs) and a read-only copy of the state a real read-only mount; both need
root's ``mount`` and are skipped where it is not allowed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import WEBHOOK_PLUGIN, HubRun, Receiver, write_item


def _config(run: HubRun, receiver: Receiver, *, state: str = ".hub", public: str = "public",
            url: str | None = None) -> None:
    plugins = run.cwd / "plugins"
    plugins.mkdir(exist_ok=True)
    shutil.copy(WEBHOOK_PLUGIN, plugins / "webhook.py")
    (run.cwd / "channels.toml").write_text(
        f'[hub]\norg_code = "TEST"\nplugins_dir = "plugins"\nstate_dir = "{state}"\n'
        'public_url = "https://gov.example"\n'
        f'[channels.notify]\nplugin = "webhook"\nurl = "{url or receiver.url}"\n'
        "[channels.notify.retry]\nmax_attempts = 2\ninitial_wait = 0\nmax_wait = 0.05\n"
        f'[channels.portal]\nmode = "static"\noutput_dir = "{public}"\n',
        encoding="utf-8",
    )


def _mount(*args: str) -> None:
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"mount is not allowed here: {proc.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real file system of 16 MiB: it fills up."""
    where = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    where.mkdir()
    _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where))
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; the returned file is what to delete to free it."""
    ballast = disk / "ballast"
    with open(ballast, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return ballast


def test_unreadable_key_refuses_before_anything_is_sent(hub_run: HubRun, receiver) -> None:
    _config(hub_run, receiver)
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    key = hub_run.cwd / ".hub" / "keys" / "hub.key"
    key.parent.mkdir(parents=True, mode=0o700)
    key.write_bytes(b"not a key")
    key.chmod(0o600)
    proc = hub_run("publish", str(item), check=2)
    assert "签名私钥文件" in proc.stderr and "已损坏" in proc.stderr
    assert "未发送任何内容" in proc.stderr
    assert receiver.posts == [] and not (hub_run.cwd / "public").exists()


def test_an_output_folder_that_cannot_be_written_refuses_first(hub_run: HubRun, receiver) -> None:
    (hub_run.cwd / "public").write_text("a file where the portal's folder should be")
    _config(hub_run, receiver, public="public/site")
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    proc = hub_run("publish", str(item), check=2)
    assert "渠道 portal" in proc.stderr and "输出目录不可写" in proc.stderr
    assert "未发送任何内容" in proc.stderr and receiver.posts == []


def test_a_store_that_cannot_be_opened_refuses_first(hub_run: HubRun, receiver) -> None:
    _config(hub_run, receiver)
    (hub_run.cwd / ".hub").mkdir()
    (hub_run.cwd / ".hub" / "hub.db").write_bytes(b"this is not a database" * 100)
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    proc = hub_run("publish", str(item), check=2)
    assert "database_url" in proc.stderr and "无法打开数据库" in proc.stderr
    assert receiver.posts == []


def test_a_remote_that_is_down_is_exit_1_with_what_was_sent(hub_run: HubRun, receiver) -> None:
    _config(hub_run, receiver, url="http://127.0.0.1:9/hook")  # nothing listens on port 9
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    proc = hub_run("publish", str(item), check=1)
    assert "已发布 portal" in proc.stdout  # the static portal was written
    assert "notify" in proc.stdout and "网络错误" in proc.stdout
    _config(hub_run, receiver)
    retried = hub_run("retry", check=0)
    assert "已发布 notify" in retried.stdout and len(receiver.posts) == 1


def test_a_checkpoint_that_cannot_be_written_after_sending(hub_run: HubRun, receiver) -> None:
    _config(hub_run, receiver)
    first = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    hub_run("publish", str(first), check=0)
    # The checkpoint file's place is taken: signing fails only after the deliveries were sent.
    (hub_run.cwd / ".hub" / "checkpoint").unlink()
    (hub_run.cwd / ".hub" / "checkpoint").mkdir()
    second = write_item(hub_run.cwd / "b.md", "关于开展测试工作的通知二")
    proc = hub_run("publish", str(second), check=1)
    assert "已发布 notify" in proc.stdout and len(receiver.posts) == 2  # what was sent, said
    assert "未能签署新的检查点" in proc.stderr and "hub retry" in proc.stderr
    assert "未发送任何内容" not in proc.stderr
    (hub_run.cwd / ".hub" / "checkpoint").rmdir()
    hub_run("retry", check=0)
    assert len(receiver.posts) == 2
    # The retry signed what the failed run could not: all four receipts (notify and portal of
    # both items) are under the new checkpoint, and the bundle verifies.
    hub_run("receipts", "export", "bundle", check=0)
    assert (hub_run.cwd / "bundle" / "checkpoint").read_text().splitlines()[1] == "4"
    hub_run("verify", "bundle", check=0)


def test_a_full_disk_at_first_start_then_freed(hub_run: HubRun, receiver, small_disk) -> None:
    """The state on a full disk: a clean message, no empty key left behind; after space is
    freed the same hub (the same key) publishes."""
    _config(hub_run, receiver, state=str(small_disk / "state"))
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    ballast = _fill(small_disk)
    proc = hub_run("publish", str(item))
    assert proc.returncode == 2, proc.stderr
    assert "磁盘空间不足" in proc.stderr and "Logging error" not in proc.stderr
    assert receiver.posts == []
    key = small_disk / "state" / "keys" / "hub.key"
    assert not key.exists() or key.stat().st_size > 0  # never a 0-byte key
    ballast.unlink()
    hub_run("publish", str(item), check=0)
    assert len(receiver.posts) == 1
    signed_with = (small_disk / "state" / "hub.pub").read_text()
    hub_run("retry", check=0)
    assert (small_disk / "state" / "hub.pub").read_text() == signed_with


def test_an_auditor_reads_a_read_only_copy_of_the_state(hub_run: HubRun, receiver,
                                                        tmp_path: Path) -> None:
    _config(hub_run, receiver)
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")
    hub_run("publish", str(item), check=0)
    state = hub_run.cwd / ".hub"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in state.rglob("*"))
    _mount("--bind", str(state), str(state))
    try:
        _mount("-o", "remount,ro,bind", str(state))
        assert not os.access(state, os.W_OK)
        status = hub_run.json("status")
        assert status and status[0]["index_no"] == "TEST/2018-00001"
        receipts = hub_run.json("receipts")
        assert {r["channel"] for r in receipts} == {"notify", "portal"}
        hub_run("receipts", "export", str(tmp_path / "bundle"), check=0)
        hub_run("verify", str(tmp_path / "bundle"), check=0)
        audit = hub_run("audit", "--year", "2018")
        assert audit.returncode in (0, 1) and "内部错误" not in audit.stderr
        hub_run("report", "annual", "--year", "2018", check=0)
        refused = hub_run("publish", str(write_item(hub_run.cwd / "b.md", "关于二的通知")))
        assert refused.returncode == 2 and "未发送任何内容" in refused.stderr
        assert len(receiver.posts) == 1
    finally:
        subprocess.run(["umount", str(state)], check=False)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in state.rglob("*")) == before


def test_read_only_commands_create_no_state(hub_run: HubRun, receiver) -> None:
    _config(hub_run, receiver)
    assert hub_run.json("status") == []
    assert hub_run.json("receipts") == []
    hub_run("audit", check=0)
    assert not (hub_run.cwd / ".hub").exists()


def test_an_output_disk_that_fills_is_not_retried_until_freed(hub_run: HubRun, receiver,
                                                              small_disk: Path) -> None:
    """The portal's folder is on a full disk: that delivery fails at once (no retries with
    backoff against a full disk), the run says what was sent (exit 1), and after space is freed
    a plain ``hub retry`` publishes it."""
    _config(hub_run, receiver, public=str(small_disk / "public"))
    item = write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知", body="正文。" * 400)
    ballast = _fill(small_disk)
    proc = hub_run("publish", str(item), "--json", check=1)
    [result] = __import__("json").loads(proc.stdout)
    by_channel = {d["channel"]: d for d in result["deliveries"]}
    assert by_channel["notify"]["status"] == "published" and len(receiver.posts) == 1
    portal = by_channel["portal"]
    assert portal["status"] == "failed" and portal["attempts"] == 1
    assert "磁盘空间不足" in portal["error"] and "hub retry" in portal["error"]
    ballast.unlink()
    retried = hub_run("retry", check=0)
    assert "已发布 portal" in retried.stdout and len(receiver.posts) == 1
    assert (small_disk / "public" / "index.html").exists()


def test_a_read_only_copy_with_an_unmerged_log_is_refused(hub_run: HubRun, receiver,
                                                         tmp_path: Path) -> None:
    """A copy taken while the hub was writing holds its newest changes in the write-ahead log.
    Without the log's index SQLite can open it on a read-only disk only as ``immutable``, which
    ignores the log and would silently show the state without those changes: refused, with
    what to do."""
    import sqlite3

    _config(hub_run, receiver)
    hub_run("publish", str(write_item(hub_run.cwd / "a.md", "关于开展测试工作的通知")), check=0)
    state = hub_run.cwd / ".hub"
    live = sqlite3.connect(state / "hub.db")  # the hub, still writing: its log not merged
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute("UPDATE deliveries SET status = 'failed' WHERE channel = 'notify'")
    live.commit()
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("hub.db", "hub.db-wal"):  # copied without the WAL index, as a backup tool may
        shutil.copy(state / name, copy / name)
    live.close()
    (hub_run.cwd / "channels.toml").write_text(
        (hub_run.cwd / "channels.toml").read_text().replace('state_dir = ".hub"',
                                                            f'state_dir = "{copy}"'))
    _mount("--bind", str(copy), str(copy))
    try:
        _mount("-o", "remount,ro,bind", str(copy))
        proc = hub_run("status")
        assert proc.returncode == 2 and "预写日志" in proc.stderr, proc.stderr
    finally:
        subprocess.run(["umount", str(copy)], check=False)
