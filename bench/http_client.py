"""Benchmark: CPU per request of the channels' HTTP client against requests.

One small JSON POST to a keep-alive endpoint in another process that answers at once, repeated
on one thread; the figure is the thread's CPU time per call (best of three rounds), which is what
bounds deliveries per second in one process. requests comes with the ``test`` extra.

Run: ``python bench/http_client.py [--calls 2000]``. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from publish_throughput import free_ports, serve

from heze_hub.http import HttpClient

BODY = ('{"title": "关于测试的通知", "body": "' + "正文" * 200 + '"}').encode()
HEADERS = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": "IDX:1:c0"}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    [port] = free_ports(1)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=([port], 0.0, ready), daemon=True)
    server.start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}/hook"
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    try:
        http = HttpClient()
        hub = cpu_per_call(
            lambda: http.post(url, body=BODY, headers=HEADERS, timeout=10).json(), args.calls)
        print(f"heze_hub.http.HttpClient (urllib3) : {hub:6.0f} us CPU per call")
        try:
            import requests
        except ImportError:
            print("requests is not installed (pip install '.[test]'): no comparison")
            return
        session = requests.Session()
        session.trust_env = False  # the cheapest way to use it: no environment lookups
        req = cpu_per_call(
            lambda: session.post(url, data=BODY, headers=HEADERS, timeout=10).json(), args.calls)
        print(f"requests {requests.__version__:<8} Session.post   : {req:6.0f} us CPU per call"
              f"  ({req / hub:.1f}x)")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
