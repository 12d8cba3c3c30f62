"""Benchmark: ``hub publish`` against the ceiling, bare urllib3 at the same concurrency.

In one run, against the same endpoints (4 ports served by another process, each answering 201
after 20 ms, asyncio so that they cost next to no CPU):

1. bare urllib3: one ``PoolManager``, ``4 × concurrency`` threads each POSTing the JSON of an
   item (the same size as the hub's webhook payload) to its channel's endpoint, nothing
   recorded: requests per second — the ceiling of one Python process on this machine;
2. ``hub publish`` of the same number of items to 4 webhook channels with ``concurrency``
   workers each, every receipt durably written: deliveries per second over the whole command
   (start-up, loading and normalizing the files included), and over its delivery phase — from
   the first delivery's start to the last one's finish as the outbox records them, which is
   what the urllib3 loop is comparable to.

Several rounds, alternating the two, print each figure and the ratio hub / urllib3.
``--profile FILE`` also writes a yappi profile (CPU, all threads) of one in-process
publication, to see where the rest goes.

Run: ``python bench/http_ceiling.py [--items 1000] [--concurrency 8] [--rounds 3]``. It prints
figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from publish_throughput import free_ports, run_hub, serve, setup, write_items

CHANNELS = 4


def bare_urllib3(ports: list[int], items: int, concurrency: int) -> tuple[float, float]:
    """Requests per second of ``items`` POSTs per endpoint with ``concurrency`` threads each,
    and the process's CPU seconds per request."""
    import urllib3

    # About the size of the webhook's payload: an item's public fields.
    item = {"title": "关于第1号测试事项的通知", "body_html": "<p>" + "正文" * 60 + "</p>",
            "index_no": "BENCH/2024-00001", "version": 1, "summary": "测试" * 20}
    body = json.dumps(item, ensure_ascii=False).encode()
    pool = urllib3.PoolManager(maxsize=CHANNELS * concurrency)
    barrier = threading.Barrier(CHANNELS * concurrency + 1)
    todo = {p: list(range(items)) for p in ports}
    lock = threading.Lock()

    def worker(port: int) -> None:
        url = f"http://127.0.0.1:{port}/hook"
        headers = {"Content-Type": "application/json; charset=utf-8"}
        barrier.wait()
        while True:
            with lock:
                if not todo[port]:
                    return
                todo[port].pop()
            resp = pool.request("POST", url, body=body, headers=headers, retries=False)
            json.loads(resp.data)

    threads = [threading.Thread(target=worker, args=(p,)) for p in ports
               for _ in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    start, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    pool.clear()
    return CHANNELS * items / wall, cpu / (CHANNELS * items)


def hub_round(workdir: Path, paths: list[str], n: int) -> tuple[float, float, float]:
    """Deliveries per second of one ``hub publish`` (whole command, delivery phase), and the
    delivery phase in seconds. A fresh state each round, so every item is new."""
    for name in (".hub", "public"):
        target = workdir / name
        if target.exists():
            shutil.rmtree(target)
    wall, proc = run_hub(workdir, "publish", "--json", *paths)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    published = sum(d["status"] == "published" for r in json.loads(proc.stdout)
                    for d in r["deliveries"])
    if published != CHANNELS * n:
        raise SystemExit(f"only {published} of {CHANNELS * n} deliveries published")
    with sqlite3.connect(workdir / ".hub" / "hub.db") as db:
        first, last = db.execute(
            "SELECT min(started_at), max(finished_at) FROM deliveries").fetchone()
    phase = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    return published / wall, published / phase, phase


def in_process(workdir: Path, paths: list[str], out: str | None = None) -> float:
    """CPU seconds per delivery of the delivery phase of one publication run in this process
    (start-up, loading and normalizing excluded), every thread counted; with ``out``, a yappi
    profile of it is written there."""
    from heze_hub.config import load_config
    from heze_hub.delivery import runs
    from heze_hub.hub import Hub

    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for name in (".hub", "public"):
            shutil.rmtree(workdir / name, ignore_errors=True)
        hub = Hub(load_config(None))
        prepared = hub.prepare([Path(p) for p in paths])
        hub.preflight(list(hub.channels))
        if out:
            import yappi

            yappi.set_clock_type("cpu")
            yappi.start()
        cpu = time.process_time()
        report = runs.publish(hub, prepared)
        cpu = time.process_time() - cpu
        if out:
            yappi.stop()
        hub.close()
    finally:
        os.chdir(cwd)
    if out:
        stats = yappi.get_func_stats()
        stats.sort("tsub")
        with open(out, "w", encoding="utf-8") as f:
            stats.print_all(out=f, columns={0: ("name", 90), 1: ("ncall", 10), 2: ("tsub", 9),
                                            3: ("ttot", 9)})
        print(f"    profile (yappi, CPU, all threads, sorted by own time) written to {out}")
    return cpu / len(report.outcomes)


def profile(workdir: Path, paths: list[str], out: str) -> None:
    """A yappi CPU profile of every thread of one publication, run in this process."""
    in_process(workdir, paths, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}")
    ports = free_ports(CHANNELS)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(ports, 0.020, ready), daemon=True)
    server.start()
    ready.wait(10)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            setup(workdir, ports, args.concurrency)
            paths = write_items(workdir / "items", args.items)
            threads = CHANNELS * args.concurrency
            print(f"{args.items} items x {CHANNELS} channels, 20 ms endpoints, "
                  f"{args.concurrency} workers per channel ({threads} threads):")
            figures = []
            for r in range(args.rounds):
                ceiling, bare_cpu = bare_urllib3(ports, args.items, args.concurrency)
                whole, phase, seconds = hub_round(workdir, paths, args.items)
                hub_cpu = in_process(workdir, paths)
                figures.append((whole / ceiling, phase / ceiling, bare_cpu / hub_cpu))
                print(f"  round {r + 1}: urllib3 {ceiling:5.0f} req/s | hub publish {whole:5.0f} "
                      f"deliveries/s whole command ({whole / ceiling:4.0%}), {phase:5.0f}/s "
                      f"delivery phase ({phase / ceiling:4.0%}, {seconds:.2f} s) | CPU per "
                      f"request: urllib3 {bare_cpu * 1e6:4.0f} us, hub {hub_cpu * 1e6:4.0f} us "
                      f"({bare_cpu / hub_cpu:4.0%})")

            def median(k: int) -> float:
                return sorted(f[k] for f in figures)[len(figures) // 2]

            print(f"  medians, hub / urllib3: whole command {median(0):.0%}, delivery phase "
                  f"{median(1):.0%}, CPU per delivery {median(2):.0%} (goal: >= 70 %)")
            if args.profile:
                profile(workdir, paths, args.profile)
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
