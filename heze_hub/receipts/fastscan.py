"""The scan of ``receipts.jsonl`` at disk speed: chunks on every core, a fast exact line check.

:func:`scan_fast` returns exactly the :class:`~heze_hub.receipts.scan.Scan` that the reference
:func:`~heze_hub.receipts.scan.scan_receipts` returns, and gives up no check (issue 14):

- Every line is checked. :func:`check_line_fast` vouches for a line only when orjson parses it
  into a flat object of strings, integers, booleans and nulls, the line holds no ``\\u`` escape,
  and orjson's sorted compact serialization is byte for byte the line. For such values orjson and
  ``json.dumps(ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` write the same bytes
  (same key order by code point, same escapes of ``"``, ``\\`` and ``\\n \\r \\t \\b \\f``,
  other control characters as ``\\u00XX``, which the line would then hold, non-ASCII raw), so the
  line is the canonical JSON of the value Python's parser gives too. Any other line — not UTF-8,
  not JSON, not canonical, nested, with a float or an escape — goes to the reference
  :func:`~heze_hub.receipts.scan.check_line`, which decides and words the problem.
- The Merkle tree is the same tree: each chunk hashes its leaves into perfect subtrees aligned
  to their size (nodes of the whole tree, never crossing a size whose root is wanted), and the
  parent joins them in order with :meth:`TreeBuilder.append_subtree`.
- Seq runs, bad lines and unreadable lines are found per chunk with their global line numbers
  and joined.

Chunks are a few MiB of whole lines; a first pass counts their lines so that each knows where it
starts. Memory is flat in the log's size (bar the leaf hashes consistency proofs need, which the
reference keeps as well).
"""

from __future__ import annotations

import hashlib
import os
from bisect import bisect_right
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import orjson

from heze_hub.receipts.merkle import EMPTY_ROOT, HashList, TreeBuilder
from heze_hub.receipts.scan import Scan, check_line

#: Bytes per chunk: big enough that a process's start-up and each chunk's results are small
#: beside its work, small enough that a chunk in memory is nothing beside the log.
CHUNK = 4 << 20
#: Below this size the log is scanned in this process: starting processes would cost more.
PARALLEL_FROM = 16 << 20

_SIMPLE = frozenset((str, int, type(None), bool))
_SORT = orjson.OPT_SORT_KEYS


def check_line_fast(line: bytes) -> tuple[list[str], int | None]:
    """:func:`~heze_hub.receipts.scan.check_line`, answered without it where it is safe."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return check_line(line)
    if (
        type(obj) is dict
        and b"\\u" not in line
        and _SIMPLE.issuperset(map(type, obj.values()))
        and orjson.dumps(obj, option=_SORT) == line
    ):
        seq = obj.get("seq")
        if type(seq) is int:
            return [], seq
    return check_line(line)


@dataclass
class _Part:
    """What one chunk found, with global line numbers."""

    first: int
    count: int = 0
    # Perfect subtrees in order: (height, root); joined by the parent.
    nodes: list[tuple[int, bytes]] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)
    runs: list[list[int]] = field(default_factory=list)
    unterminated: bool = False
    hashes: bytes = b""


def _lines(data: bytes) -> tuple[list[bytes], bool]:
    """The lines of a chunk of whole lines, and whether the last one has no newline."""
    lines = data.split(b"\n")
    if lines[-1]:
        return lines, True
    lines.pop()
    return lines, False


def _count(args: tuple[str, int, int]) -> int:
    path, start, end = args
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    return len(_lines(data)[0])


def _scan_chunk(args: tuple[str, int, int, int, list[int], bool]) -> _Part:
    """Scan the lines in bytes ``start``–``end`` of ``path``, the first being line ``first``;
    no subtree crosses a line index in ``cuts``."""
    path, start, end, first, cuts, keep = args
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    lines, part_unterminated = _lines(data)
    part = _Part(first, len(lines), unterminated=part_unterminated)
    sha = hashlib.sha256
    leaves = [sha(b"\x00" + line).digest() for line in lines]
    if keep:
        part.hashes = b"".join(leaves)
    bounds = [first, *cuts, first + len(lines)]
    for lo, hi in pairwise(bounds):
        part.nodes += _subtrees(lo, leaves[lo - first: hi - first])
    check_lines(lines, first, part.bad, part.unreadable, part.runs)
    return part


def check_lines(
    lines: list[bytes],
    first: int,
    bad: list[tuple[int, str]],
    unreadable: list[int],
    runs: list[list[int]],
) -> None:
    """:func:`check_line_fast` over consecutive lines (the first is line ``first``), inlined
    because this loop is the verifier's hot path: findings go to ``bad`` and ``unreadable``, the
    seq runs (as :class:`~heze_hub.receipts.scan.Scan` keeps them) to ``runs``."""
    loads, dumps, simple = orjson.loads, orjson.dumps, _SIMPLE.issuperset
    decode_error = orjson.JSONDecodeError
    run: list[int] = [first - 2, first - 2, 0]  # no run yet
    for i, line in enumerate(lines, first):
        try:
            obj = loads(line)
        except decode_error:
            obj = None
        if not (
            type(obj) is dict
            and b"\\u" not in line
            and simple(map(type, obj.values()))
            and dumps(obj, option=_SORT) == line
            and type(seq := obj.get("seq")) is int
        ):
            problems, checked = check_line(line)
            if problems:
                bad.extend((i, p) for p in problems)
            if checked is None:
                unreadable.append(i)
                continue
            seq = checked
        off = seq - i
        if run[2] == off and run[1] == i - 1:
            run[1] = i
        else:
            run = [i, i, off]
            runs.append(run)


def _subtrees(pos: int, level: list[bytes]) -> list[tuple[int, bytes]]:
    """The leaves ``level`` (the first at index ``pos``) as perfect subtrees aligned to their
    size, in order: (height, root). Joined in order, they give the tree of RFC 9162."""
    sha = hashlib.sha256
    left: list[tuple[int, bytes]] = []
    right: list[tuple[int, bytes]] = []
    height = 0
    while level:
        if pos & 1:  # starts at an odd index of its level: no partner inside the range
            left.append((height, level[0]))
            level = level[1:]
            pos += 1
        if len(level) & 1:  # the last has no partner inside the range
            right.append((height, level[-1]))
            level = level[:-1]
        if not level:
            break
        level = [sha(b"\x01" + a + b).digest() for a, b in zip(level[::2], level[1::2],
                                                                 strict=True)]
        pos >>= 1
        height += 1
    return left + right[::-1]


def _chunks(path: Path, size: int) -> list[tuple[int, int]]:
    """Byte ranges of about :data:`CHUNK` bytes, each ending just after a newline (or at EOF)."""
    ranges = []
    with open(path, "rb") as f:
        start = 0
        while start < size:
            end = min(start + CHUNK, size)
            if end < size:
                f.seek(end)
                tail = f.readline()
                end += len(tail)
            ranges.append((start, end))
            start = end
    return ranges


def scan_fast(
    path: Path, capture: set[int], keep_hashes: bool, workers: int | None = None
) -> Scan:
    """The :class:`Scan` of :func:`~heze_hub.receipts.scan.scan_receipts`, on every core."""
    size = path.stat().st_size
    workers = workers or os.cpu_count() or 1
    ranges = _chunks(path, size)
    name = str(path)
    if workers > 1 and size >= PARALLEL_FROM:
        with ProcessPoolExecutor(workers) as pool:
            counts = list(pool.map(_count, [(name, a, b) for a, b in ranges]))
            jobs = _jobs(name, ranges, counts, capture, keep_hashes)
            return _join(pool.map(_scan_chunk, jobs), capture, keep_hashes)
    counts = [_count((name, a, b)) for a, b in ranges]
    jobs = _jobs(name, ranges, counts, capture, keep_hashes)
    return _join(map(_scan_chunk, jobs), capture, keep_hashes)


def _jobs(
    name: str, ranges: list[tuple[int, int]], counts: list[int], capture: set[int], keep: bool
) -> list[tuple[str, int, int, int, list[int], bool]]:
    jobs, first = [], 0
    cuts = sorted(capture)
    for (a, b), n in zip(ranges, counts, strict=True):
        inside = cuts[bisect_right(cuts, first): bisect_right(cuts, first + n - 1)]
        jobs.append((name, a, b, first, inside, keep))
        first += n
    return jobs


def _join(parts: object, capture: set[int], keep: bool) -> Scan:
    scan = Scan(hashes=HashList() if keep else None)
    builder = TreeBuilder()
    if 0 in capture:
        scan.prefix_roots[0] = EMPTY_ROOT
    for part in parts:  # type: ignore[attr-defined]
        for height, root in part.nodes:
            builder.append_subtree(root, height)
            if builder.size in capture:
                scan.prefix_roots[builder.size] = builder.root()
        if scan.hashes is not None:
            scan.hashes.extend_raw(part.hashes)
        scan.bad_lines.extend(part.bad)
        scan.unreadable.update(part.unreadable)
        for run in part.runs:
            last = scan.runs[-1] if scan.runs else None
            if last and last[2] == run[2] and last[1] == run[0] - 1:
                last[1] = run[1]
            else:
                scan.runs.append(run)
        scan.unterminated = scan.unterminated or part.unterminated
    scan.count = builder.size
    scan.root = builder.root()
    return scan
