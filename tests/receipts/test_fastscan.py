"""The fast scan checks exactly what the reference scan checks: the fast line check against the
reference on generated JSON and on damaged receipt lines, and the chunked, parallel scan against
the one-line-at-a-time scan on damaged logs (with kept checkpoints cutting the tree)."""

from __future__ import annotations

import contextlib
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heze_hub.receipts import fastscan
from heze_hub.receipts.canonical import canonical_json
from heze_hub.receipts.fastscan import check_line_fast, check_lines, scan_fast
from heze_hub.receipts.scan import Scan, check_line, scan_receipts
from tests.receipts.bundles import LINES


def agree(line: bytes) -> None:
    """The fast check, alone and in the scan's loop, answers as the reference does."""
    expected = check_line(line)
    assert check_line_fast(line) == expected, line
    bad: list = []
    unreadable: list = []
    runs: list = []
    check_lines([line], 7, bad, unreadable, runs)
    problems, seq = expected
    assert [p for _, p in bad] == problems and all(i == 7 for i, _ in bad)
    assert unreadable == ([7] if seq is None else [])
    assert runs == ([] if seq is None else [[7, 7, seq - 7]])


SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(),
    st.text(alphabet=st.characters(max_codepoint=0x7F)),
    st.sampled_from(["\x00", "\x1f", "\x7f", "\u2028", "\\", '"', "\ud800", "é", "菏泽", "\n\t"]),
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner,
                                                                          max_size=3),
    max_leaves=8,
)
objects = st.dictionaries(st.text(max_size=8), values, max_size=6)


def encodings(obj: object) -> list[bytes]:
    """The value written canonically and in the ways a tamperer or another writer might."""
    out = []
    for kwargs in (
        dict(ensure_ascii=False, sort_keys=True, separators=(",", ":")),
        dict(ensure_ascii=True, sort_keys=True, separators=(",", ":")),
        dict(ensure_ascii=False, sort_keys=False, separators=(",", ":")),
        dict(ensure_ascii=False, sort_keys=True),
    ):
        with contextlib.suppress(ValueError, TypeError):
            out.append(json.dumps(obj, **kwargs).encode("utf-8", "surrogatepass"))
    return out


@SETTINGS
@given(obj=objects, seq=st.one_of(st.integers(-5, 10**20), st.booleans(), st.text(max_size=3)))
def test_fast_check_agrees_on_generated_json(obj: dict, seq: object) -> None:
    obj = {**obj, "seq": seq}
    for line in encodings(obj):
        agree(line)


@SETTINGS
@given(n=st.integers(0, len(LINES) - 1), where=st.integers(0, 1000),
       data=st.one_of(st.binary(max_size=8), st.sampled_from(
           [b" ", b"\\u00e9", b"\\n", b"1e5", b"1.0", b'"', b"\xff", b"\xed\xa0\x80", b"}",
            b"-0", b"00", b"true", b"null", b",", b"\\/", b"\xc3\xa9"])),
       how=st.sampled_from(["replace", "insert", "delete"]))
def test_fast_check_agrees_on_damaged_receipts(n: int, where: int, data: bytes, how: str) -> None:
    line = LINES[n]
    at = where % (len(line) + 1)
    if how == "replace":
        line = line[:at] + data + line[at + len(data):]
    elif how == "insert":
        line = line[:at] + data + line[at:]
    else:
        line = line[:at] + line[at + len(data):]
    agree(line)


@pytest.mark.parametrize("line", LINES[:5])
def test_fast_check_vouches_for_real_receipts(line: bytes) -> None:
    problems, seq = check_line_fast(line)
    assert problems == [] and seq == json.loads(line)["seq"]


def same(a: Scan, b: Scan) -> None:
    assert (a.count, a.root, a.prefix_roots, a.bad_lines, a.unreadable, a.runs,
            a.unterminated) == (b.count, b.root, b.prefix_roots, b.bad_lines, b.unreadable,
                                b.runs, b.unterminated)
    assert (None if a.hashes is None else list(a.hashes)) == (
        None if b.hashes is None else list(b.hashes))


def damaged_logs() -> list[bytes]:
    """The tamper cases of DESIGN §7 and worse, on a log long enough for many chunks."""
    lines = [canonical_json({**json.loads(LINES[i % len(LINES)]), "seq": i}) for i in range(300)]
    rng = random.Random(14)
    cases = [b"", b"\n", b"\n".join(lines) + b"\n", b"\n".join(lines)]  # intact, unterminated
    for _ in range(30):
        ls = list(lines)
        what = rng.choice(["alter", "delete", "insert", "swap", "truncate", "garbage", "blank"])
        i = rng.randrange(len(ls))
        if what == "alter":
            ls[i] = ls[i].replace(b"portal", b"portaI", 1).replace(b'"version":1', b'"version":2')
        elif what == "delete":
            del ls[i: i + rng.randint(1, 40)]
        elif what == "insert":
            ls.insert(i, ls[rng.randrange(len(ls))])
        elif what == "swap":
            j = rng.randrange(len(ls))
            ls[i], ls[j] = ls[j], ls[i]
        elif what == "truncate":
            ls = ls[:i]
        elif what == "garbage":
            ls[i] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 30)))
        else:
            ls.insert(i, b"")
        cases.append(b"\n".join(ls) + b"\n" * rng.randint(0, 2))
    return cases


@pytest.mark.parametrize("workers", [1, 2])
def test_chunked_scan_is_the_reference_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # Tiny chunks, and processes even for a small log: every join is exercised.
    monkeypatch.setattr(fastscan, "CHUNK", 997)
    monkeypatch.setattr(fastscan, "PARALLEL_FROM", 0)
    path = tmp_path / "receipts.jsonl"
    for n, log in enumerate(damaged_logs()):
        path.write_bytes(log)
        for capture, keep in (({300}, False), ({0, 1, 7, 64, 100, 255, 300}, True), (set(), True)):
            fast = scan_fast(path, capture, keep, workers=workers)
            same(fast, scan_receipts(path, capture, keep))
        assert n < 2 or fast.count  # the damaged logs are not empty
