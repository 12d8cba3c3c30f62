"""Benchmark: what one request costs with the channels' HTTP client, against requests.

One small JSON POST to a keep-alive endpoint in another process that answers at once, repeated
on one thread, with each client:

- CPU time per call (best of three rounds): what bounds deliveries per second in one process,
  but it moves with the machine's load;
- with ``--instructions``: instructions per call counted by valgrind (callgrind), the same on
  every run: a run of 600 calls minus a run of 100, divided by 500.

requests comes with the ``test`` extra. Run: ``python bench/http_client.py [--instructions]``.
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from publish_throughput import free_ports, serve

BODY = ('{"title": "关于测试的通知", "body": "' + "正文" * 200 + '"}').encode()
HEADERS = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": "IDX:1:c0"}
CLIENTS = ("hub", "requests")


def make_call(client: str, url: str) -> Callable[[], object]:
    """One POST and its JSON answer, with ``client``."""
    if client == "hub":
        from heze_hub.delivery.http import HttpClient

        http = HttpClient()
        return lambda: http.post(url, body=BODY, headers=HEADERS, timeout=10).json()
    import requests

    session = requests.Session()
    session.trust_env = False  # the cheapest way to use it: no environment lookups
    return lambda: session.post(url, data=BODY, headers=HEADERS, timeout=10).json()


def cpu_per_call(call: Callable[[], object], calls: int) -> float:
    for _ in range(200):  # warm up: connections open, caches filled
        call()
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        for _ in range(calls):
            call()
        best = min(best, (time.thread_time() - start) / calls)
    return best * 1e6


def instructions_per_call(client: str, port: int) -> float:
    """valgrind's instruction count of 600 calls minus that of 100, per call."""
    counts = []
    for calls in (100, 600):
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             __file__, "--loop", client, str(calls), str(port)],
            capture_output=True, text=True, check=True,
        )
        counts.append(int(re.search(r"Collected : (\d+)", proc.stderr).group(1)))
    return (counts[1] - counts[0]) / 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--loop", nargs=3, help=argparse.SUPPRESS)  # CLIENT CALLS PORT
    args = parser.parse_args()
    if args.loop:  # the measured process of --instructions
        client, calls, port = args.loop
        call = make_call(client, f"http://127.0.0.1:{port}/hook")
        for _ in range(int(calls)):
            call()
        return
    [port] = free_ports(1)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=([port], 0.0, ready), daemon=True)
    server.start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}/hook"
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    try:
        for client in CLIENTS:
            try:
                call = make_call(client, url)
            except ImportError:
                print(f"{client}: not installed (pip install '.[test]')")
                continue
            line = f"{client:9s}: {cpu_per_call(call, args.calls):6.0f} us CPU per call"
            if args.instructions:
                if shutil.which("valgrind") is None:
                    raise SystemExit("--instructions needs valgrind")
                line += f", {instructions_per_call(client, port) / 1000:6.0f} k instructions"
            print(line)
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
