"""Benchmark: delivery throughput and fan-out latency of ``hub publish``.

1. 1,000 items to 4 channels whose endpoints (in another process) each answer after 20 ms:
   deliveries per second and the ratio of wall time to the ideal (the time the slowest channel
   needs if its configured concurrency were used perfectly), every receipt durably written
   (SQLite WAL, synchronous=FULL).
2. One item to 5 channels whose endpoints answer after 200 ms: wall time of the publication
   against 200 ms, plus the process start-up measured right before; several runs, each with a
   new item.

Run: ``python bench/publish_throughput.py [--items 1000] [--concurrency 8] [--fanout-runs 5]``.
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HUB = str(Path(sys.executable).parent / "hub")


def serve(ports: list[int], delay: float, ready: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    """Endpoints that answer 201 after ``delay`` seconds, one per port, in this process.

    asyncio with minimal HTTP/1.1 parsing and keep-alive: the endpoint should cost next to no CPU,
    so that the figures measure the hub and not the fake it talks to.
    """
    body = b'{"id": "x", "url": "https://cms.example/x"}'
    response = (
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                await asyncio.sleep(delay)
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, "127.0.0.1", p, backlog=512) for p in ports]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def setup(workdir: Path, ports: list[int], concurrency: int) -> None:
    (workdir / "plugins").mkdir()
    shutil.copy(REPO / "examples" / "plugins" / "webhook.py", workdir / "plugins" / "webhook.py")
    tables = "".join(
        f'[channels.c{i}]\nplugin = "webhook"\nurl = "http://127.0.0.1:{p}/hook"\n'
        f"concurrency = {concurrency}\n"
        for i, p in enumerate(ports)
    )
    (workdir / "channels.toml").write_text(
        '[hub]\norg_code = "BENCH"\nplugins_dir = "plugins"\n' + tables, encoding="utf-8"
    )


def write_items(folder: Path, n: int) -> list[str]:
    folder.mkdir()
    # Written today, as items a department publishes are: no deadline reminders to compute.
    today = date.today().isoformat()
    paths = []
    for i in range(n):
        p = folder / f"{i:05}.md"
        p.write_text(
            "+++\n"
            f'title = "关于第{i}号测试事项的通知"\n'
            f'department = "菏泽市测试局"\nwritten_on = {today}\nkind = "notice"\n'
            'category = "service"\ntopics = ["教育"]\n'
            "+++\n"
            f"这是第{i}号测试事项的正文，用于测量发布吞吐量。\n",
            encoding="utf-8",
        )
        paths.append(str(p))
    return paths


def run_hub(workdir: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run([HUB, *args], cwd=workdir, capture_output=True, text=True)
    return time.perf_counter() - start, proc


@contextmanager
def hub_against_endpoints(channels: int, delay: float, concurrency: int) -> Iterator[Path]:
    """A working directory configured for ``channels`` endpoints answering after ``delay`` s,
    served by another process for as long as the block runs."""
    ports = free_ports(channels)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(ports, delay, ready), daemon=True)
    server.start()
    ready.wait(10)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            setup(workdir, ports, concurrency)
            yield workdir
    finally:
        server.terminate()


def bench_throughput(items: int, concurrency: int) -> None:
    with hub_against_endpoints(4, 0.020, concurrency) as workdir:
        paths = write_items(workdir / "items", items)
        wall, proc = run_hub(workdir, "publish", "--json", *paths)
        if proc.returncode != 0:
            print(proc.stderr[-2000:])
            raise SystemExit("publish failed")
        results = json.loads(proc.stdout)
        published = sum(d["status"] == "published" for r in results for d in r["deliveries"])
        startup, _ = run_hub(workdir, "channels")
    ideal = items * 0.020 / concurrency
    print(f"[1] {items} items x 4 channels (20 ms endpoints, concurrency {concurrency}):")
    print(f"    deliveries published : {published}")
    print(f"    wall time            : {wall:.2f} s (CLI start-up alone ~{startup:.2f} s)")
    print(f"    deliveries / second  : {published / wall:.0f}")
    print(f"    ideal wall time      : {ideal:.2f} s  -> ratio {wall / ideal:.2f}x")


def bench_fanout(repeats: int) -> None:
    """One new item per run; start-up is timed right before each publication, since it alone
    varies by more than a tenth between runs on a shared machine."""
    with hub_against_endpoints(5, 0.200, 4) as workdir:
        paths = write_items(workdir / "items", repeats)
        runs = []
        for path in paths:
            startup, _ = run_hub(workdir, "channels")
            wall, proc = run_hub(workdir, "publish", path)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr)
            runs.append((wall, startup))
    print(f"[2] 1 item x 5 channels (200 ms endpoints), {repeats} runs:")
    for wall, startup in runs:
        print(f"    wall time {wall * 1000:.0f} ms; start-up (hub channels) "
              f"{startup * 1000:.0f} ms; wall / (200 ms + start-up) = {wall / (0.2 + startup):.2f}")
    ratios = sorted(wall / (0.2 + startup) for wall, startup in runs)
    print(f"    wall / (200 ms + start-up), median of {repeats}: {ratios[len(ratios) // 2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--fanout-runs", type=int, default=5)
    # 8 is the hub's default per-channel concurrency; more threads only add GIL contention on
    # a 2-core machine (measured: 16 and 32 per channel were slower).
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    bench_throughput(args.items, args.concurrency)
    bench_fanout(args.fanout_runs)


if __name__ == "__main__":
    main()
