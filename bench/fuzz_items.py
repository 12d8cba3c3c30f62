"""Longer fuzzing of the item loaders than the test suite runs (tests/items/test_fuzz.py).

The same strategies and the same property: a generated Markdown, JSON or raw file, taken through
load, normalize and the policy gate, is published or refused with an InputError naming the file,
never anything else. Hypothesis shrinks a failure to a small example, which is printed.

Run: ``python bench/fuzz_items.py [--examples 2000] [--kind markdown json raw] [--seed N]``.
It prints how many examples ran per kind (loaded / refused) and every failure; the exit status
is 1 if there was one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.items.test_fuzz import check_file, json_items, markdown_items, raw_files  # noqa: E402

KINDS = {
    "markdown": (markdown_items(), ".md"),
    "json": (json_items(), ".json"),
    "raw": (raw_files, ""),
}


def fuzz(kind: str, examples: int, folder: Path, rng_seed: int | None) -> tuple[Counter, str]:
    """Run ``examples`` examples of ``kind``; the outcome counts and a failure ('' if none)."""
    strategy, suffix = KINDS[kind]
    counts: Counter = Counter()
    path = folder / f"item{suffix}"

    @settings(
        max_examples=examples, deadline=None, database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=strategy if kind != "raw" else st.binary(max_size=2000))
    def run(data: bytes) -> None:
        counts[check_file(path, data)] += 1

    if rng_seed is not None:
        run = seed(rng_seed)(run)
    try:
        run()
    except Exception:  # the shrunk failure: print it and go on with the next kind
        return counts, traceback.format_exc()
    return counts, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples per kind")
    parser.add_argument("--kind", nargs="+", choices=sorted(KINDS), default=list(KINDS))
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    failed = False
    with tempfile.TemporaryDirectory(prefix="fuzz-items-") as tmp:
        for kind in args.kind:
            start = time.perf_counter()
            counts, failure = fuzz(kind, args.examples, Path(tmp), args.seed)
            seconds = time.perf_counter() - start
            total = sum(counts.values())
            print(
                f"{kind:8s} {total:6d} examples in {seconds:6.1f} s: "
                f"{counts['ok']} loaded, {counts['refused']} refused"
                + ("" if not failure else ", FAILED")
            )
            if failure:
                failed = True
                print(failure)
    print("no failure" if not failed else "failures above")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
