"""The auditor's receipts bundle: its files, and exporting it (DESIGN §7, §9).

A bundle is a directory of three files:

- ``receipts.jsonl`` — one receipt per line in ``seq`` order, each line exactly the canonical
  JSON bytes the Merkle tree hashes, followed by ``\\n``; line ``i`` (from 0) holds ``seq`` ``i``;
- ``checkpoint`` — the latest signed checkpoint note (c2sp.org/tlog-checkpoint);
- ``hub.pub`` — the hub's verifier key (c2sp.org/signed-note).

Verifying a bundle offline is :mod:`heze_hub.receipts.verify`; proving one receipt of it is
:mod:`heze_hub.receipts.proofs`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from heze_hub.errors import HubError
from heze_hub.files import atomic_write, atomic_writer
from heze_hub.receipts.merkle import TreeBuilder
from heze_hub.receipts.signing import (
    Checkpoint,
    NoteError,
    parse_checkpoint,
    parse_vkey,
    verify_note,
)

RECEIPTS_FILE = "receipts.jsonl"
CHECKPOINT_FILE = "checkpoint"
PUBKEY_FILE = "hub.pub"


class BundleError(HubError):
    """A bundle cannot be written or used (e.g. its receipts do not match its checkpoint)."""


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
