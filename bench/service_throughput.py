"""Benchmark: items per second through ``hub serve``'s ``POST /api/items`` against ``hub publish``.

Every item goes to the static portal and the RSS/Atom feeds (the default channels), on the
embedded SQLite store, in a fresh folder each time:

1. the service: N items, one per request, from C client threads with keep-alive; the rate at
   which the service accepts them (202: validated, normalized, registered in the outbox, the
   submitter recorded, the decision logged) and the rate until every delivery is published
   (portal pages and feeds rebuilt, receipts signed);
2. ``hub publish`` of the same items one per process (as a department runs it from a script),
   on the first M of them;
3. ``hub publish`` of all N in one batch.

Run: ``python bench/service_throughput.py [--items 500] [--clients 8] [--single 50]``.
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

HUB = str(Path(sys.executable).parent / "hub")
CONFIG = """[hub]
state_dir = ".hub"
org_code = "371700"
public_url = "http://portal.example"

[channels.portal]
mode = "static"
output_dir = "public"

[channels.rss]
output_dir = "public"
"""
DEPT = "菏泽市测试局"


def item(i: int) -> dict[str, object]:
    return {"title": f"关于第{i}批基层医疗卫生机构补助资金的通知", "department": DEPT,
            "written_on": "2018-06-01", "kind": "notice", "category": "service",
            "topics": ["医疗卫生"], "doc_number": f"菏卫发〔2018〕{i + 1}号",
            "body": f"各县区卫生健康局：\n\n现将第{i}批补助资金下达给你们，请按规定使用。\n\n"
                    "1. 专款专用；\n2. 按季度报送使用情况。"}


def folder() -> Path:
    d = Path(tempfile.mkdtemp(prefix="hub-svc-bench-"))
    (d / "channels.toml").write_text(CONFIG, encoding="utf-8")
    return d


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}


def busy(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select count(*) from deliveries where status in "
                                "('pending', 'publishing')").fetchone()[0])


def bench_service(n: int, clients: int) -> tuple[float, float]:
    d = folder()
    token = subprocess.run([HUB, "users", "add", "dept", "--role", "department", "--department",
                            DEPT], cwd=d, env=env(), capture_output=True, text=True,
                           check=True).stdout.splitlines()[-1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([HUB, "serve", "--port", str(port)], cwd=d, env=env(),
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            requests.get(url + "/checkpoint", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    todo = list(range(n))
    lock = threading.Lock()
    failures: list[int] = []

    def client() -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            r = session.post(url + "/api/items", json=item(i), timeout=60)
            if r.status_code != 202:
                failures.append(r.status_code)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = time.perf_counter() - start
    while busy(d / ".hub" / "hub.db"):
        time.sleep(0.05)
    delivered = time.perf_counter() - start
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    shutil.rmtree(d)
    if failures:
        print(f"  ({len(failures)} requests failed: {sorted(set(failures))})")
    return n / accepted, n / delivered


def write_items(d: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        p = d / f"item-{i:05d}.json"
        p.write_text(json.dumps(item(i), ensure_ascii=False), encoding="utf-8")
        paths.append(p)
    return paths


def bench_cli_single(n: int) -> float:
    d = folder()
    paths = write_items(d, n)
    start = time.perf_counter()
    for p in paths:
        subprocess.run([HUB, "publish", p.name], cwd=d, env=env(), capture_output=True,
                       check=True)
    rate = n / (time.perf_counter() - start)
    shutil.rmtree(d)
    return rate


def bench_cli_batch(n: int) -> float:
    d = folder()
    paths = write_items(d, n)
    start = time.perf_counter()
    subprocess.run([HUB, "publish", *[p.name for p in paths]], cwd=d, env=env(),
                   capture_output=True, check=True)
    rate = n / (time.perf_counter() - start)
    shutil.rmtree(d)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--single", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
          f"CPython {platform.python_version()}")
    accepted, delivered = bench_service(args.items, args.clients)
    print(f"service, POST /api/items, {args.items} items, {args.clients} clients: "
          f"{accepted:.0f} items/s accepted (202), {delivered:.0f} items/s until all published")
    single = bench_cli_single(args.single)
    print(f"hub publish, one item per process, {args.single} items: {single:.1f} items/s")
    batch = bench_cli_batch(args.items)
    print(f"hub publish, one batch of {args.items} items: {batch:.0f} items/s")


if __name__ == "__main__":
    main()
