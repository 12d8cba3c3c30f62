"""Verifying a receipts bundle offline, against the checkpoints an auditor kept (DESIGN §7, §9).

:func:`verify_bundle` needs nothing but the bundle's files and, optionally, checkpoints the
auditor kept from earlier (and the key published elsewhere). Its report says in Chinese what is
wrong and where.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from heze_hub.receipts.bundle import CHECKPOINT_FILE, PUBKEY_FILE, RECEIPTS_FILE
from heze_hub.receipts.fastscan import scan_fast
from heze_hub.receipts.merkle import HashList, consistency_proof, verify_consistency
from heze_hub.receipts.report import (
    VerifyReport,
    capped,
    key_desc,
    line,
    lines,
    open_checkpoint,
    seqs,
)
from heze_hub.receipts.scan import Scan, seq_problems
from heze_hub.receipts.signing import Checkpoint, NoteError, VerifierKey, parse_vkey


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


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
                f"{PUBKEY_FILE} 中的公钥 {key_desc(bundled)}与您提供的公钥 {key_desc(key)}"
                "不同：包内公钥被替换，签名密钥不同"
            )
    elif bundled is not None:
        notes.append(
            f"签名用包内 {PUBKEY_FILE} 的公钥 {key_desc(bundled)}核对；请与公开发布的公钥比对"
        )
    report.vkey = key.line() if key else None

    # 2. Today's checkpoint.
    cp: Checkpoint | None = None
    note = _read_text(d / CHECKPOINT_FILE)
    if note is None:
        problems.append(f"缺少 {CHECKPOINT_FILE}（或不是 UTF-8 文本）")
    elif key is not None:
        cp, why = open_checkpoint(note, key, f"{CHECKPOINT_FILE} 检查点")
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
        old, why = open_checkpoint(old_note, key, what)
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
    scan = scan_fast(path, capture, keep_hashes=bool(kept) and cp is not None)
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
    problems.extend(capped(scan.bad_lines, lambda b: line(b[0]) + b[1], "格式问题"))
    problems.extend(seq_problems(scan, cp.size if cp is not None else scan.count))

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
                    f"（{lines(cp.size, scan.count - 1)}）不在签名检查点内"
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
                f"日志被回滚或截断，不见了 {seqs(cp.size, old.size - 1)}"
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


def _where_changed(scan: Scan, kept: list[tuple[str, Checkpoint]]) -> str:
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
        hint = f"；格式检查已指出{line(flagged[0])}" + ("等" if len(flagged) > 1 else "")
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
