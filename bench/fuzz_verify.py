"""Run the ``hub verify`` fuzz property (tests/receipts/test_verify_fuzz.py) much longer than CI.

    python bench/fuzz_verify.py [--examples 20000]

Prints how many examples ran, the time, and pytest's verdict (a failure prints hypothesis's
smallest falsifying example).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000)
    args = parser.parse_args()
    env = {**os.environ, "HUB_FUZZ_EXAMPLES": str(args.examples)}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/receipts/test_verify_fuzz.py::test_a_damaged_bundle_gives_findings_not_a_crash"],
        cwd=ROOT, env=env,
    )
    seconds = time.perf_counter() - start
    print(f"{args.examples} examples in {seconds:.1f} s on {platform.machine()} "
          f"({os.cpu_count()} CPUs), Python {platform.python_version()}: "
          f"{'no failure' if proc.returncode == 0 else 'FAILED'}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
