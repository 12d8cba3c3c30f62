"""The auditor's receipts bundle: export it, verify it offline, prove one receipt (DESIGN §7, §9).

A bundle is a directory of three files:

- ``receipts.jsonl`` — one receipt per line in ``seq`` order, each line exactly the canonical
  JSON bytes the Merkle tree hashes, followed by ``\\n``; line ``i`` (from 0) holds ``seq`` ``i``;
- ``checkpoint`` — the latest signed checkpoint note (c2sp.org/tlog-checkpoint);
- ``hub.pub`` — the hub's verifier key (c2sp.org/signed-note).

:func:`verify_bundle` needs nothing but these files and, optionally, checkpoints the auditor kept
from earlier (and the key published elsewhere). Its report says in Chinese what is wrong and
where. Line numbers in messages count from 1, as an editor shows them, so line N should hold
seq N−1; each message gives both.
"""

from __future__ import annotations

import json
import os
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from heze_hub.errors import HubError
from heze_hub.files import atomic_write, atomic_writer
from heze_hub.receipts.canonical import canonical_json
from heze_hub.receipts.merkle import (
    EMPTY_ROOT,
    HashList,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    range_root,
    verify_consistency,
    verify_inclusion,
)
from heze_hub.receipts.signing import (
    BadSignatureError,
    Checkpoint,
    NoteError,
    UnknownKeyError,
    VerifierKey,
    parse_checkpoint,
    parse_vkey,
    verify_note,
)

RECEIPTS_FILE = "receipts.jsonl"
CHECKPOINT_FILE = "checkpoint"
PUBKEY_FILE = "hub.pub"

#: At most this many problems of one kind are listed one by one; the rest are counted.
MAX_LISTED = 20

T = TypeVar("T")


class BundleError(HubError):
    """A bundle cannot be written or used (e.g. its receipts do not match its checkpoint)."""


@dataclass
class VerifyReport:
    """What :func:`verify_bundle` or :func:`verify_receipt_proof` found."""

    #: Chinese descriptions of everything wrong; empty when the check passed.
    problems: list[str] = field(default_factory=list)
    #: Receipts in ``receipts.jsonl`` (for a receipt proof: the proof's tree size).
    size: int = 0
    #: Hex Merkle root of those receipts.
    root_hex: str = ""
    checkpoint_size: int | None = None
    checkpoint_root_hex: str | None = None
    origin: str | None = None
    #: Verifier key line the signatures were checked with.
    vkey: str | None = None
    #: Things the auditor should know that are not problems (what could not be checked).
    notes: list[str] = field(default_factory=list)
    #: RFC 9162 consistency proofs from each kept checkpoint to today's: {m, n, proof, ok}.
    consistency: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


def _line(i: int) -> str:
    return f"第 {i + 1} 行（应为 seq {i}）"


def _lines(a: int, b: int) -> str:
    return _line(a) if a == b else f"第 {a + 1}–{b + 1} 行（应为 seq {a}–{b}）"


def _rows(a: int, b: int) -> str:
    return f"第 {a + 1} 行" if a == b else f"第 {a + 1}–{b + 1} 行"


def _seqs(a: int, b: int) -> str:
    return f"seq {a}" if a == b else f"seq {a}–{b}（共 {b - a + 1} 条）"


def _seq_range(a: int, b: int) -> str:
    return f"seq {a}" if a == b else f"seq {a}–{b}"


def _key_desc(key: VerifierKey) -> str:
    return f"{key.name}（密钥 ID {key.key_id_hex}）"


def _capped(items: Sequence[T], fmt: Callable[[T], str], kind: str) -> list[str]:
    """Format at most MAX_LISTED of ``items`` and count the rest: a report stays readable even
    when a whole million-line file is shuffled."""
    shown = [fmt(x) for x in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        shown.append(f"……另有 {len(items) - MAX_LISTED} 处{kind}未列出")
    return shown


# -- export --------------------------------------------------------------------------------


def export_bundle(
    directory: str | os.PathLike[str],
    receipt_lines: Iterable[bytes],
    checkpoint_note: str,
    vkey: str,
) -> Checkpoint:
    """Write the bundle into ``directory`` and return the checkpoint it carries.

    ``receipt_lines`` are the receipts' canonical bytes in ``seq`` order, without newlines,
    exactly the checkpoint's tree size of them. The note must verify with ``vkey`` and the lines
    must hash to its root; otherwise :class:`BundleError` is raised and no file is left behind,
    so an exported bundle always verifies unless it is changed afterwards.
    """
    key = parse_vkey(vkey)
    try:
        cp = parse_checkpoint(verify_note(checkpoint_note, key))
    except NoteError as e:
        raise BundleError(f"检查点不能导出：{e}") from e
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    builder = TreeBuilder()
    with atomic_writer(out / RECEIPTS_FILE) as f:
        for line in receipt_lines:
            if b"\n" in line:
                raise BundleError(f"seq {builder.size} 的回执含有换行符，不是规范 JSON")
            builder.append(line)
            f.write(line)
            f.write(b"\n")
        if builder.size != cp.size or builder.root() != cp.root:
            raise BundleError(
                f"回执与检查点不一致：导出了 {builder.size} 条回执，根哈希 "
                f"{builder.root().hex()}；检查点记录 {cp.size} 条，根哈希 {cp.root.hex()}"
            )
    atomic_write(out / CHECKPOINT_FILE, checkpoint_note)
    atomic_write(out / PUBKEY_FILE, key.line() + "\n")
    return cp


# -- reading receipts ----------------------------------------------------------------------


@dataclass
class _Scan:
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


def _scan_receipts(path: Path, capture: set[int], keep_hashes: bool) -> _Scan:
    scan = _Scan(hashes=HashList() if keep_hashes else None)
    builder = TreeBuilder()
    if 0 in capture:
        scan.prefix_roots[0] = EMPTY_ROOT
    runs = scan.runs
    bad = scan.bad_lines
    hashes = scan.hashes
    loads = json.loads
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
            try:
                # Decoding strictly first is faster than json.loads(bytes), which decodes with
                # "surrogatepass", and it refuses what is not UTF-8.
                obj = loads(line.decode("utf-8"))
            except UnicodeDecodeError:
                bad.append((i, "不是合法的 UTF-8 文本（内容被改动）"))
                scan.unreadable.add(i)
                continue
            except (ValueError, RecursionError):
                bad.append((i, "不是合法的 JSON（内容被改动或截断）"))
                scan.unreadable.add(i)
                continue
            if not isinstance(obj, dict):
                bad.append((i, "不是 JSON 对象"))
                scan.unreadable.add(i)
                continue
            try:
                canonical = canonical_json(obj) == line
            except ValueError:
                canonical = False
            if not canonical:
                bad.append((i, "不是规范 JSON（键序、空白或转义与哈希时的字节不同），内容被改动"))
            seq = obj.get("seq")
            if type(seq) is not int:
                bad.append((i, "缺少整数字段 seq"))
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


def _seq_problems(scan: _Scan, expected: int) -> list[str]:
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
    problems += _capped(
        deleted,
        lambda g: f"缺少 {_seq_range(*g)}（"
        + ("之前" if g[0] == 0 else f"应在 seq {g[0] - 1} 之后")
        + "）：回执被删除",
        "缺失",
    )
    problems += [
        f"日志末尾缺少 {_seqs(lo, hi)}：回执被截断（或被删除）" for lo, hi in gaps if lo > max_seq
    ]

    # Seqs present more than once: inserted or duplicated receipts.
    dups: list[tuple[int, int, int, int]] = []  # first seq, last seq, first line of each copy
    cover_lo, cover_hi, cover_line = 0, -1, 0  # the seq range reaching furthest so far
    for lo, hi, line in ranges:
        if lo <= cover_hi:
            dups.append((lo, min(hi, cover_hi), cover_line + lo - cover_lo, line))
        if hi > cover_hi:
            cover_lo, cover_hi, cover_line = lo, hi, line
    problems += _capped(
        dups,
        lambda d: f"重复出现 {_seqs(d[0], d[1])}：{_rows(d[2], d[2] + d[1] - d[0])}与"
        f"{_rows(d[3], d[3] + d[1] - d[0])}的 seq 相同，回执被插入或复制",
        "重复",
    )

    # Seqs that the signed tree size does not cover.
    extra = [(max(lo, expected), hi, line - lo) for lo, hi, line in ranges if hi >= expected]
    if extra:
        listed = _capped(
            extra, lambda e: f"{_seqs(e[0], e[1])}（{_rows(e[0] + e[2], e[1] + e[2])}）", "多余"
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
        listed = _capped(
            misplaced,
            lambda r: f"{_lines(r[0], r[1])}的 seq 为 {r[0] + r[2]}"
            + (f"–{r[1] + r[2]}" if r[0] != r[1] else ""),
            "错位",
        )
        problems.append(head + "；".join(listed))
    return problems


# -- verification --------------------------------------------------------------------------


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _open_checkpoint(note: str, key: VerifierKey, what: str) -> tuple[Checkpoint | None, str]:
    """Verify a checkpoint note; return it, or None and the Chinese reason."""
    try:
        return parse_checkpoint(verify_note(note, key)), ""
    except UnknownKeyError as e:
        found = "、".join(f"{n}（密钥 ID {k}）" for n, k in e.signers)
        return None, (
            f"{what}不是用公钥 {_key_desc(key)}签的，签名来自 {found}：签名密钥不同"
        )
    except BadSignatureError:
        return None, f"{what}的签名无效：检查点内容（树大小或根哈希）或签名被改动"
    except NoteError as e:
        return None, f"{what}格式不正确：{e}"


def verify_bundle(
    directory: str | os.PathLike[str],
    known: Sequence[str] = (),
    *,
    vkey: str | None = None,
) -> VerifyReport:
    """Verify a receipts bundle offline and report what is wrong, and where.

    ``known`` are checkpoints (signed notes) the auditor kept from earlier; each must be a prefix
    of today's log. ``vkey`` is the hub's verifier key as published elsewhere; without it the
    bundle's own ``hub.pub`` is used, which only the kept checkpoints can vouch for.
    """
    d = Path(directory)
    report = VerifyReport()
    problems, notes = report.problems, report.notes

    # 1. The key.
    bundled: VerifierKey | None = None
    text = _read_text(d / PUBKEY_FILE)
    if text is None:
        problems.append(f"缺少 {PUBKEY_FILE}（或不是 UTF-8 文本）")
    else:
        try:
            bundled = parse_vkey(text)
        except NoteError as e:
            problems.append(f"{PUBKEY_FILE} {e}")
    key = bundled
    if vkey is not None:
        key = parse_vkey(vkey)
        if bundled is not None and bundled != key:
            problems.append(
                f"{PUBKEY_FILE} 中的公钥 {_key_desc(bundled)}与您提供的公钥 {_key_desc(key)}"
                "不同：包内公钥被替换，签名密钥不同"
            )
    elif bundled is not None:
        notes.append(
            f"签名用包内 {PUBKEY_FILE} 的公钥 {_key_desc(bundled)}核对；请与公开发布的公钥比对"
        )
    report.vkey = key.line() if key else None

    # 2. Today's checkpoint.
    cp: Checkpoint | None = None
    note = _read_text(d / CHECKPOINT_FILE)
    if note is None:
        problems.append(f"缺少 {CHECKPOINT_FILE}（或不是 UTF-8 文本）")
    elif key is not None:
        cp, why = _open_checkpoint(note, key, f"{CHECKPOINT_FILE} 检查点")
        if why:
            problems.append(why)
    if cp is not None:
        report.checkpoint_size, report.checkpoint_root_hex = cp.size, cp.root.hex()
        report.origin = cp.origin
        if key is not None and cp.origin != key.name:
            problems.append(f"检查点的来源 {cp.origin!r} 与公钥名称 {key.name!r} 不一致")

    # 3. The checkpoints the auditor kept.
    kept: list[tuple[str, Checkpoint]] = []
    for n, old_note in enumerate(known, 1):
        what = f"审计员保存的第 {n} 个检查点"
        if key is None:
            problems.append(f"{what}无法核对：没有可用的公钥")
            continue
        old, why = _open_checkpoint(old_note, key, what)
        if old is None:
            problems.append(why)
        elif cp is not None and old.origin != cp.origin:
            problems.append(f"{what}来自另一个日志（来源 {old.origin!r}，今天为 {cp.origin!r}）")
        else:
            kept.append((what, old))
    if not known:
        notes.append("未提供以前保存的检查点（--known）：无法发现整体回滚到旧状态")

    # 4. The receipts, in one pass.
    path = d / RECEIPTS_FILE
    if not path.is_file():
        problems.append(f"缺少 {RECEIPTS_FILE}")
        return report
    capture = {old.size for _, old in kept}
    if cp is not None:
        capture.add(cp.size)
    scan = _scan_receipts(path, capture, keep_hashes=bool(kept) and cp is not None)
    report.size, report.root_hex = scan.count, scan.root.hex()
    if scan.unterminated:
        problems.append(f"{RECEIPTS_FILE} 最后一行没有换行符：文件被截断或改动")
    if cp is not None and scan.count != cp.size:
        diff = cp.size - scan.count
        problems.append(
            f"{RECEIPTS_FILE} 有 {scan.count} 条回执，签名检查点记录的是 {cp.size} 条："
            + (
                f"少了 {diff} 条（被删除或截断）" if diff > 0
                else f"多了 {-diff} 条（被插入或追加）"
            )
        )
    problems.extend(_capped(scan.bad_lines, lambda b: _line(b[0]) + b[1], "格式问题"))
    problems.extend(_seq_problems(scan, cp.size if cp is not None else scan.count))

    # 5. The root, and where a change can be.
    if cp is not None:
        if scan.count == cp.size and scan.root != cp.root:
            problems.append(
                "根哈希与签名检查点不符：至少一条回执的字节与签名时不同（被改动、替换或重排）"
                + _where_changed(scan, kept)
            )
        elif scan.count > cp.size:
            if scan.prefix_roots.get(cp.size) == cp.root:
                problems.append(
                    f"前 {cp.size} 条回执与检查点一致；其后 {scan.count - cp.size} 条"
                    f"（{_lines(cp.size, scan.count - 1)}）不在签名检查点内"
                )
            else:
                problems.append(
                    f"前 {cp.size} 条回执的根哈希与签名检查点不符" + _where_changed(scan, kept)
                )

    # 6. Every kept checkpoint must be a prefix of today's log.
    for what, old in kept:
        if cp is not None and old.size > cp.size:
            problems.append(
                f"回滚：{what}记录了 {old.size} 条回执，今天的检查点只有 {cp.size} 条："
                f"日志被回滚或截断，不见了 {_seqs(cp.size, old.size - 1)}"
            )
            continue
        if cp is not None and old.size == cp.size and old.root != cp.root:
            problems.append(
                f"分叉：{what}与今天的检查点都记录 {old.size} 条回执，根哈希却不同："
                "同一把密钥签过两个互相矛盾的日志状态"
            )
            continue
        got = scan.prefix_roots.get(old.size)
        if got is None:
            problems.append(
                f"{what}（{old.size} 条）无法核对：{RECEIPTS_FILE} 只有 {scan.count} 条"
            )
        elif got != old.root:
            problems.append(
                f"前 {old.size} 条回执（seq 0–{old.size - 1}）与{what}不一致："
                "这些回执在它签名之后被改动、删除、插入或重排"
            )
        if cp is not None and scan.hashes is not None and scan.root == cp.root:
            _check_consistency(report, what, old, cp, scan.hashes)
    return report


def _where_changed(scan: _Scan, kept: list[tuple[str, Checkpoint]]) -> str:
    """Bound the changed receipts with the kept checkpoints and the non-canonical lines."""
    intact = max((o.size for _, o in kept if scan.prefix_roots.get(o.size) == o.root), default=0)
    broken = min(
        (o.size for _, o in kept if o.size in scan.prefix_roots
         and scan.prefix_roots[o.size] != o.root),
        default=None,
    )
    hint = ""
    flagged = sorted({i for i, _ in scan.bad_lines if i >= intact})
    if flagged:
        hint = f"；格式检查已指出{_line(flagged[0])}" + ("等" if len(flagged) > 1 else "")
    if intact == 0 and broken is None:
        return hint + "。提供更早保存的检查点（--known）可以缩小范围"
    hi = (broken if broken is not None else scan.count) - 1
    return (
        f"。按审计员保存的检查点，改动发生在 seq {intact}–{hi} 之间"
        + (f"（seq 0–{intact - 1} 未被改动）" if intact else "")
        + hint
    )


def _check_consistency(
    report: VerifyReport, what: str, old: Checkpoint, cp: Checkpoint, hashes: HashList
) -> None:
    """Produce today's RFC 9162 consistency proof from ``old`` and verify it against both roots.

    Called only when the receipts hash to today's signed root, so the proof is the log's own; it
    fails exactly when the kept checkpoint is not a prefix of today's signed tree. The proofs go
    in the report, for an auditor who wants to keep them or check them with another tool.
    """
    proof = consistency_proof(hashes, old.size)
    ok = verify_consistency(old.size, cp.size, old.root, cp.root, proof)
    report.consistency.append(
        {"m": old.size, "n": cp.size, "proof": [p.hex() for p in proof], "ok": ok}
    )
    if not ok:
        report.problems.append(
            f"{what}与今天的检查点之间不存在 RFC 9162 一致性证明：今天的日志不是它的延续"
        )


# -- proving one receipt -------------------------------------------------------------------


def make_receipt_proof(hashes: Sequence[bytes], seq: int, size: int) -> dict[str, Any]:
    """Inclusion proof of receipt ``seq`` in the tree of the first ``size`` leaf ``hashes``."""
    if not 0 <= seq < size <= len(hashes):
        raise BundleError(f"seq {seq} 不在树大小为 {size} 的日志中")
    head = hashes if size == len(hashes) else hashes[:size]
    return {
        "seq": seq,
        "leaf_hash": hashes[seq].hex(),
        "tree_size": size,
        "root": range_root(hashes, 0, size).hex(),
        "proof": [p.hex() for p in inclusion_proof(head, seq)],
    }


def inclusion_proof_for(directory: str | os.PathLike[str], seq: int) -> dict[str, Any]:
    """The inclusion proof of receipt ``seq`` against the bundle's checkpoint, as JSON data.

    ``{"seq", "leaf_hash", "tree_size", "root", "proof": [hex…]}`` — what a department keeps
    beside its receipt and checks with :func:`verify_receipt_proof`.
    """
    d = Path(directory)
    try:
        key = parse_vkey((d / PUBKEY_FILE).read_text("utf-8"))
        cp, why = _open_checkpoint((d / CHECKPOINT_FILE).read_text("utf-8"), key, "检查点")
        if cp is None:
            raise BundleError(why)
        hashes = HashList()
        with open(d / RECEIPTS_FILE, "rb") as f:
            for raw in f:
                hashes.append(leaf_hash(raw[:-1] if raw.endswith(b"\n") else raw))
    except (OSError, UnicodeDecodeError) as e:
        raise BundleError(f"回执包 {d} 不完整或无法读取：{e}") from e
    proof = make_receipt_proof(hashes, seq, cp.size)
    if proof["root"] != cp.root.hex():
        raise BundleError("回执与签名检查点不符，请先用 hub verify 检查这个回执包")
    return proof


def verify_receipt_proof(
    receipt_bytes: bytes,
    proof_json: str | bytes | Mapping[str, Any],
    checkpoint_note: str,
    vkey: str,
) -> VerifyReport:
    """Check that a receipt a department holds is in the log a signed checkpoint commits to.

    ``receipt_bytes`` is the receipt's canonical JSON (one trailing newline is tolerated);
    ``proof_json`` what :func:`inclusion_proof_for` produced for it.
    """
    report = VerifyReport(vkey=vkey.strip())
    problems = report.problems
    cp, why = _open_checkpoint(checkpoint_note, parse_vkey(vkey), "检查点")
    if cp is None:
        problems.append(why)
        return report
    report.checkpoint_size, report.checkpoint_root_hex, report.origin = (
        cp.size, cp.root.hex(), cp.origin,
    )
    try:
        data = proof_json if isinstance(proof_json, Mapping) else json.loads(proof_json)
        seq, size = data["seq"], data["tree_size"]
        claimed_leaf, root = bytes.fromhex(data["leaf_hash"]), bytes.fromhex(data["root"])
        path = [bytes.fromhex(p) for p in data["proof"]]
        if type(seq) is not int or type(size) is not int:
            raise TypeError
    except (ValueError, TypeError, KeyError):
        problems.append("包含证明格式不正确：应为含 seq、leaf_hash、tree_size、root、proof 的 JSON")
        return report
    report.size, report.root_hex = size, root.hex()
    if size != cp.size or root != cp.root:
        problems.append(
            f"包含证明针对的是 {size} 条回执、根哈希 {root.hex()[:16]}… 的日志，"
            f"与检查点（{cp.size} 条，{cp.root.hex()[:16]}…）不同：请取对应这个检查点的证明"
        )
    body = receipt_bytes[:-1] if receipt_bytes.endswith(b"\n") else receipt_bytes
    h = leaf_hash(body)
    if h != claimed_leaf:
        problems.append("回执的哈希与证明中的 leaf_hash 不同：您持有的回执与日志中的那条不一致")
    try:
        receipt = json.loads(body)
        own_seq = receipt.get("seq") if isinstance(receipt, dict) else None
    except ValueError:
        own_seq = None
        problems.append("回执不是合法的 JSON")
    if own_seq is not None and own_seq != seq:
        problems.append(f"回执的 seq 为 {own_seq}，证明却是 seq {seq} 的")
    if not verify_inclusion(h, seq, cp.size, path, cp.root):
        problems.append(
            f"包含证明不成立：这条回执不在检查点（{cp.size} 条）所代表的日志的 seq {seq} 位置"
        )
    return report
