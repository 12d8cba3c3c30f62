"""One pass over ``receipts.jsonl``, and what its seq values say was deleted, inserted,
duplicated or reordered."""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from heze_hub.receipts.canonical import canonical_json
from heze_hub.receipts.merkle import EMPTY_ROOT, HashList, TreeBuilder
from heze_hub.receipts.report import capped, lines, rows, seq_range, seqs


@dataclass
class Scan:
    """One pass over receipts.jsonl."""

    count: int = 0
    root: bytes = EMPTY_ROOT
    prefix_roots: dict[int, bytes] = field(default_factory=dict)
    hashes: HashList | None = None
    # Lines whose bytes cannot be what the hub wrote: (line index, what is wrong).
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    # Lines whose seq could not be read at all.
    unreadable: set[int] = field(default_factory=set)
    # Runs of consecutive lines whose seq − line index is constant: [first, last, offset].
    runs: list[list[int]] = field(default_factory=list)
    unterminated: bool = False


NOT_UTF8 = "不是合法的 UTF-8 文本（内容被改动）"
NOT_JSON = "不是合法的 JSON（内容被改动或截断）"
NOT_OBJECT = "不是 JSON 对象"
NOT_CANONICAL = "不是规范 JSON（键序、空白或转义与哈希时的字节不同），内容被改动"
NO_SEQ = "缺少整数字段 seq"


def check_line(line: bytes) -> tuple[list[str], int | None]:
    """What is wrong with one line's bytes, and its seq (``None``: unreadable).

    The reference check: the line must be UTF-8, a JSON object, exactly its canonical JSON
    (DESIGN §7), with an integer ``seq``. :mod:`heze_hub.receipts.fastscan` answers the same
    faster and falls back to this for any line it cannot vouch for.
    """
    try:
        # Decoding strictly first is faster than json.loads(bytes), which decodes with
        # "surrogatepass", and it refuses what is not UTF-8.
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return [NOT_UTF8], None
    except (ValueError, RecursionError):
        return [NOT_JSON], None
    if not isinstance(obj, dict):
        return [NOT_OBJECT], None
    try:
        canonical = canonical_json(obj) == line
    except ValueError:
        canonical = False
    problems = [] if canonical else [NOT_CANONICAL]
    seq = obj.get("seq")
    if type(seq) is not int:
        return [*problems, NO_SEQ], None
    return problems, seq


def scan_receipts(path: Path, capture: set[int], keep_hashes: bool) -> Scan:
    """The reference scan: one line at a time, in this process."""
    scan = Scan(hashes=HashList() if keep_hashes else None)
    builder = TreeBuilder()
    if 0 in capture:
        scan.prefix_roots[0] = EMPTY_ROOT
    runs = scan.runs
    bad = scan.bad_lines
    hashes = scan.hashes
    with open(path, "rb") as f:
        for i, raw in enumerate(f):
            if raw.endswith(b"\n"):
                line = raw[:-1]
            else:
                line = raw
                scan.unterminated = True
            h = builder.append(line)
            if hashes is not None:
                hashes.append(h)
            if builder.size in capture:
                scan.prefix_roots[builder.size] = builder.root()
            problems, seq = check_line(line)
            if problems:
                bad.extend((i, p) for p in problems)
            if seq is None:
                scan.unreadable.add(i)
                continue
            off = seq - i
            if runs and runs[-1][2] == off and runs[-1][1] == i - 1:
                runs[-1][1] = i
            else:
                runs.append([i, i, off])
    scan.count = builder.size
    scan.root = builder.root()
    return scan


def seq_problems(scan: Scan, expected: int) -> list[str]:
    """Name deletions, insertions, duplicates and reorders from the runs of seq values."""
    runs = scan.runs
    if scan.count == expected and len(runs) == 1 and runs[0][2] == 0 and not scan.unreadable:
        return []
    if not runs and not expected:
        return []
    problems: list[str] = []
    # Seq ranges present, by seq: (first seq, last seq, first line).
    ranges = sorted((a + off, b + off, a) for a, b, off in runs)

    # Missing seqs in 0..expected-1: deleted receipts, or a truncated tail.
    missing: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi, _ in ranges:
        if lo > nxt:
            missing.append((nxt, min(lo, expected) - 1))
        nxt = max(nxt, hi + 1)
        if nxt >= expected:
            break
    if nxt < expected:
        missing.append((nxt, expected - 1))
    # A line whose seq could not be read may hold a "missing" seq: it is reported as damaged.
    unreadable = sorted(scan.unreadable)
    gaps: list[tuple[int, int]] = []
    for lo, hi in missing:
        a = bisect_left(unreadable, lo)
        b = bisect_right(unreadable, hi)
        for u in unreadable[a:b]:
            if u > lo:
                gaps.append((lo, u - 1))
            lo = u + 1
        if lo <= hi:
            gaps.append((lo, hi))
    max_seq = ranges[-1][1] if ranges else -1
    deleted = [g for g in gaps if g[0] <= max_seq]
    problems += capped(
        deleted,
        lambda g: f"缺少 {seq_range(*g)}（"
        + ("之前" if g[0] == 0 else f"应在 seq {g[0] - 1} 之后")
        + "）：回执被删除",
        "缺失",
    )
    problems += [
        f"日志末尾缺少 {seqs(lo, hi)}：回执被截断（或被删除）" for lo, hi in gaps if lo > max_seq
    ]

    # Seqs present more than once: inserted or duplicated receipts.
    dups: list[tuple[int, int, int, int]] = []  # first seq, last seq, first line of each copy
    cover_lo, cover_hi, cover_line = 0, -1, 0  # the seq range reaching furthest so far
    for lo, hi, line in ranges:
        if lo <= cover_hi:
            dups.append((lo, min(hi, cover_hi), cover_line + lo - cover_lo, line))
        if hi > cover_hi:
            cover_lo, cover_hi, cover_line = lo, hi, line
    problems += capped(
        dups,
        lambda d: f"重复出现 {seqs(d[0], d[1])}：{rows(d[2], d[2] + d[1] - d[0])}与"
        f"{rows(d[3], d[3] + d[1] - d[0])}的 seq 相同，回执被插入或复制",
        "重复",
    )

    # Seqs that the signed tree size does not cover.
    extra = [(max(lo, expected), hi, line - lo) for lo, hi, line in ranges if hi >= expected]
    if extra:
        listed = capped(
            extra, lambda e: f"{seqs(e[0], e[1])}（{rows(e[0] + e[2], e[1] + e[2])}）", "多余"
        )
        problems.append(f"出现检查点未包含的 {'、'.join(listed)}：回执被插入或追加")
    if ranges and ranges[0][0] < 0:
        problems.append("出现负数 seq：回执被伪造")

    # Lines not holding the seq of their position: the consequence of the above, or a reorder.
    misplaced = [r for r in runs if r[2] != 0]
    if misplaced:
        if gaps or dups or extra:
            head = "seq 与行号不符（由上述删除或插入引起）："
        else:
            head = "回执顺序被调换："
        listed = capped(
            misplaced,
            lambda r: f"{lines(r[0], r[1])}的 seq 为 {r[0] + r[2]}"
            + (f"–{r[1] + r[2]}" if r[0] != r[1] else ""),
            "错位",
        )
        problems.append(head + "；".join(listed))
    return problems
