"""Benchmark: the embedded default (static portal + RSS/Atom feeds, SQLite) at archive scale.

1. Batches: ``hub publish`` of a small and a large batch (default 1,000 and 10,000 items), each
   into a fresh hub: items per second and the process's peak RSS. Linear means the same rate
   and the same memory for both (the small batch is the baseline of the same run).
2. Archive: an archive built up to ``--archive`` items (default 50,000) in batches of
   ``--batch``, with the peak RSS of each batch (memory flat in the archive's size), then one new
   item published into it: wall time of ``hub publish`` beside the CLI start-up measured right
   before (``hub channels``), several runs.

Items are realistic in size (a body of about 1 KB, 40 departments, 30 topics, every tenth an
interpretation of an earlier policy). Everything runs through the real CLI as a subprocess.

Run: ``python bench/static_portal.py [--small 1000] [--large 10000] [--archive 50000]
[--batch 10000] [--single-runs 3] [--keep DIR]``. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HUB = str(Path(sys.executable).parent / "hub")

# Runs a command and prints its exit status, peak RSS (KiB) and CPU seconds: the hub's own, not
# this script's. CPU time is what a busy shared machine distorts least.
_PEAK = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(rc, u.ru_maxrss, u.ru_utime + u.ru_stime)\n"
)

CONFIG = """[hub]
state_dir = ".hub"
org_code = "371700"
public_url = "https://www.heze.gov.cn"

[channels.portal]
mode = "static"
output_dir = "public"

[channels.rss]
output_dir = "public"
max_entries = 200
"""

_TOPICS = ["教育", "医疗卫生", "乡村振兴", "环境保护", "交通运输", "财政预决算", "社会保障",
           "住房保障", "安全生产", "食品药品", "市场监管", "文化旅游", "农业农村", "水利",
           "城乡建设", "就业创业", "民政", "应急管理", "科技", "商务", "自然资源", "人事",
           "统计", "审计", "税务", "公共资源交易", "政务服务", "法治政府", "营商环境", "其他"]
_KINDS = [("notice", "service"), ("policy", "decision"), ("report", "result"),
          ("announcement", "execution"), ("statistics", "result")]
_PARAGRAPH = (
    "为进一步做好相关工作，根据有关法律法规和上级部署，结合本市实际，现将有关事项通知如下。"
    "各县区、各部门要提高认识，加强组织领导，明确责任分工，确保各项措施落到实处。"
    "执行中遇到的问题，请及时向主管部门反映。"
)


def write_items(folder: Path, start: int, n: int) -> list[str]:
    """``n`` item files numbered from ``start``; every tenth interprets the policy before it."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    base = date(2024, 1, 1)
    for i in range(start, start + n):
        kind, category = _KINDS[i % len(_KINDS)]
        written = base + timedelta(days=i % 700)
        extra = ""
        if i % 10 == 9:
            kind, category = "interpretation", "decision"
            extra = f'interprets = "菏政发〔2024〕{i - 8}号"\n'
        doc = f'doc_number = "菏政发〔2024〕{i}号"\n' if kind == "policy" else ""
        topics = f'["{_TOPICS[i % 30]}", "{_TOPICS[(i * 7) % 30]}"]'
        body = "\n\n".join(f"{k + 1}. 第{i}号事项{_PARAGRAPH}" for k in range(4))
        p = folder / f"{i:06}.md"
        p.write_text(
            "+++\n"
            f'title = "关于第{i}号事项有关工作的{ {"policy": "意见"}.get(kind, "通知")}"\n'
            f'department = "菏泽市第{i % 40}局"\nwritten_on = {written.isoformat()}\n'
            f'kind = "{kind}"\ncategory = "{category}"\ntopics = {topics}\n{doc}{extra}'
            f'summary = "第{i}号事项的内容概述。"\n'
            "+++\n"
            f"{body}\n",
            encoding="utf-8",
        )
        paths.append(str(p))
    return paths


def run(workdir: Path, *args: str) -> tuple[float, int, int, float]:
    """Wall time, exit status, peak RSS (KiB) and CPU seconds of one hub command."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _PEAK, HUB, *args], cwd=workdir,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    rc, peak, cpu = proc.stdout.split()
    return wall, int(rc), int(peak), float(cpu)


def fresh(parent: Path, name: str) -> Path:
    workdir = parent / name
    workdir.mkdir()
    (workdir / "channels.toml").write_text(CONFIG, encoding="utf-8")
    return workdir


def publish(workdir: Path, paths: list[str]) -> tuple[float, int, float]:
    wall, rc, peak, cpu = run(workdir, "publish", "--json", *paths)
    if rc != 0:
        raise SystemExit(f"hub publish failed (exit {rc}) in {workdir}")
    return wall, peak, cpu


def bench_batches(parent: Path, sizes: list[int]) -> None:
    print("[1] batches into a fresh hub (static portal + RSS/Atom, SQLite):")
    rates = []
    for n in sizes:
        workdir = fresh(parent, f"batch{n}")
        paths = write_items(workdir / "items", 0, n)
        wall, peak, cpu = publish(workdir, paths)
        pages = len(list((workdir / "public" / "xxgk" / "371700").glob("*.html")))
        rates.append((n / wall, n / cpu))
        print(f"    {n:>6} items: {wall:7.2f} s, {n / wall:6.0f} items/s; CPU {cpu:6.1f} s, "
              f"{n / cpu:4.0f} items per CPU-second; peak RSS {peak / 1024:4.0f} MiB "
              f"({pages} item pages)")
        shutil.rmtree(workdir)
    print(f"    rate at {sizes[-1]} / rate at {sizes[0]}: wall {rates[-1][0] / rates[0][0]:.2f}, "
          f"CPU {rates[-1][1] / rates[0][1]:.2f} (1.00 = linear; goal: >= 300 items/s at "
          "10,000)")


def bench_archive(parent: Path, archive: int, batch: int, runs: int) -> None:
    print(f"[2] archive of {archive} items, built in batches of {batch}:")
    workdir = fresh(parent, "archive")
    done = 0
    while done < archive:
        n = min(batch, archive - done)
        paths = write_items(workdir / "items", done, n)
        wall, peak, cpu = publish(workdir, paths)
        done += n
        print(f"    archive {done:>6}: batch of {n} in {wall:6.1f} s ({n / wall:4.0f} items/s; "
              f"{n / cpu:4.0f} per CPU-second), peak RSS {peak / 1024:4.0f} MiB")
        shutil.rmtree(workdir / "items")
    print(f"    one new item into the archive of {archive} ({runs} runs):")
    ratios = []
    for k in range(runs):
        [path] = write_items(workdir / "new", archive + k, 1)
        startup, _, _, startup_cpu = run(workdir, "channels")
        wall, peak, cpu = publish(workdir, [path])
        ratios.append(wall - startup)
        print(f"      hub publish {wall:5.2f} s ({cpu:4.2f} s CPU); start-up (hub channels) "
              f"{startup:4.2f} s ({startup_cpu:4.2f} s CPU); beyond start-up {wall - startup:4.2f}"
              f" s ({cpu - startup_cpu:4.2f} s CPU); peak RSS {peak / 1024:4.0f} MiB")
    ratios.sort()
    print(f"    beyond start-up, median of {runs}: {ratios[len(ratios) // 2]:.2f} s (goal: < 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--archive", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--single-runs", type=int, default=3)
    parser.add_argument("--skip-batches", action="store_true")
    parser.add_argument("--skip-archive", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_batches:
            bench_batches(Path(tmp), [args.small, args.large])
        if not args.skip_archive:
            bench_archive(Path(tmp), args.archive, args.batch, args.single_runs)


if __name__ == "__main__":
    main()
