"""What a verification of receipts reports, and how it words where a problem is.

Line numbers in messages count from 1, as an editor shows them, so line N should hold
seq N−1; each message gives both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from heze_hub.receipts.signing import (
    BadSignatureError,
    Checkpoint,
    NoteError,
    UnknownKeyError,
    VerifierKey,
    parse_checkpoint,
    verify_note,
)

#: At most this many problems of one kind are listed one by one; the rest are counted.
MAX_LISTED = 20

T = TypeVar("T")


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


def line(i: int) -> str:
    return f"第 {i + 1} 行（应为 seq {i}）"


def lines(a: int, b: int) -> str:
    return line(a) if a == b else f"第 {a + 1}–{b + 1} 行（应为 seq {a}–{b}）"


def rows(a: int, b: int) -> str:
    return f"第 {a + 1} 行" if a == b else f"第 {a + 1}–{b + 1} 行"


def seqs(a: int, b: int) -> str:
    return f"seq {a}" if a == b else f"seq {a}–{b}（共 {b - a + 1} 条）"


def seq_range(a: int, b: int) -> str:
    return f"seq {a}" if a == b else f"seq {a}–{b}"


def key_desc(key: VerifierKey) -> str:
    return f"{key.name}（密钥 ID {key.key_id_hex}）"


def capped(items: Sequence[T], fmt: Callable[[T], str], kind: str) -> list[str]:
    """Format at most MAX_LISTED of ``items`` and count the rest: a report stays readable even
    when a whole million-line file is shuffled."""
    shown = [fmt(x) for x in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        shown.append(f"……另有 {len(items) - MAX_LISTED} 处{kind}未列出")
    return shown


def open_checkpoint(note: str, key: VerifierKey, what: str) -> tuple[Checkpoint | None, str]:
    """Verify a checkpoint note; return it, or None and the Chinese reason."""
    try:
        return parse_checkpoint(verify_note(note, key)), ""
    except UnknownKeyError as e:
        found = "、".join(f"{n}（密钥 ID {k}）" for n, k in e.signers)
        return None, (
            f"{what}不是用公钥 {key_desc(key)}签的，签名来自 {found}：签名密钥不同"
        )
    except BadSignatureError:
        return None, f"{what}的签名无效：检查点内容（树大小或根哈希）或签名被改动"
    except NoteError as e:
        return None, f"{what}格式不正确：{e}"
