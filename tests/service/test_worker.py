"""The background deliveries (DESIGN §13): submissions arriving together are delivered in one
run (one rebuild, one checkpoint), and a restarted service resumes its outbox."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from heze_hub.config import load_config
from heze_hub.delivery import runs
from heze_hub.hub import Hub
from heze_hub.service.accounts import Account
from heze_hub.service.submit import Upload, register, stage
from heze_hub.service.worker import DeliveryWorker
from tests.service.served import CONFIG, DEPT, item_json
from tests.support import REPO

ACCOUNT = Account("dept", "department", (DEPT,))


def _submit(hub: Hub, title: str) -> list[runs.Registered]:
    data = json.dumps(item_json(title), ensure_ascii=False).encode()
    return register(hub, stage(hub, [Upload("item.json", data, True)], ACCOUNT), ACCOUNT, "api")


def _counts(tmp: Path) -> tuple[int, int]:
    with sqlite3.connect(tmp / ".hub" / "hub.db") as db:
        published = db.execute("select count(*) from deliveries where status = 'published'"
                               ).fetchone()[0]
        checkpoints = db.execute("select count(*) from checkpoints").fetchone()[0]
    return published, checkpoints


def test_a_burst_of_submissions_is_one_run(tmp_path: Path) -> None:
    (tmp_path / "channels.toml").write_text(CONFIG, encoding="utf-8")
    hub = Hub(load_config(str(tmp_path / "channels.toml")))
    worker = DeliveryWorker(hub)
    worker.start(resume=False)
    try:
        for i in range(10):
            worker.publish(_submit(hub, f"关于第{i}次连续提交的通知"))
        assert worker.wait_idle(60)
    finally:
        worker.stop()
        hub.close()
    published, checkpoints = _counts(tmp_path)
    assert published == 20
    assert checkpoints <= 2  # not one per submission


def test_a_restarted_service_resumes_its_outbox(tmp_path: Path) -> None:
    (tmp_path / "channels.toml").write_text(CONFIG, encoding="utf-8")
    # A service that registered an item and stopped before delivering it.
    subprocess.run([sys.executable, "-c", (
        "from heze_hub.config import load_config; from heze_hub.hub import Hub; "
        "from tests.service.test_worker import _submit; "
        f"hub = Hub(load_config({str(tmp_path / 'channels.toml')!r})); "
        "_submit(hub, '关于停机前登记的通知'); hub.close()")],
        cwd=REPO, check=True, timeout=60)
    assert _counts(tmp_path)[0] == 0
    hub = Hub(load_config(str(tmp_path / "channels.toml")))
    worker = DeliveryWorker(hub)
    worker.start(resume=True)
    try:
        assert worker.wait_idle(60)
    finally:
        worker.stop()
        hub.close()
    assert _counts(tmp_path)[0] == 2
