"""One receipt's inclusion proof from a bundle, and its offline check (DESIGN §7, §9)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from heze_hub.receipts.bundle import CHECKPOINT_FILE, PUBKEY_FILE, RECEIPTS_FILE, BundleError
from heze_hub.receipts.merkle import (
    HashList,
    inclusion_proof,
    leaf_hash,
    range_root,
    verify_inclusion,
)
from heze_hub.receipts.report import VerifyReport, open_checkpoint
from heze_hub.receipts.signing import parse_vkey


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
        cp, why = open_checkpoint((d / CHECKPOINT_FILE).read_text("utf-8"), key, "检查点")
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
    cp, why = open_checkpoint(checkpoint_note, parse_vkey(vkey), "检查点")
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
