"""The hub's Ed25519 key, C2SP signed notes, and C2SP tlog-checkpoint bodies (DESIGN §7).

Formats, so that any signed-note / checkpoint tool (Go ``golang.org/x/mod/sumdb/note``,
transparency-dev, sigsum) reads what the hub writes:

- checkpoint body (c2sp.org/tlog-checkpoint)::

      heze-hub/HZ001            origin
      1234                      tree size, decimal, no leading zeros
      3q2+7w...=                base64 of the 32-byte root hash
                                (optional extension lines)

- signed note (c2sp.org/signed-note): the body (every line ends in "\\n"), one blank line, then
  ``— <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature)>`` lines. The signature is
  over the body including its final newline;
- key id = first 4 bytes of ``SHA-256(name ‖ "\\n" ‖ 0x01 ‖ 32-byte public key)``;
- verifier key (``hub.pub``): ``<name>+<key id, 8 hex digits>+<base64(0x01 ‖ public key)>``.

The key file is :mod:`heze_hub.receipts.keyfile`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from heze_hub.errors import HubError

#: Signature type byte of Ed25519 in c2sp.org/signed-note.
ALG_ED25519 = 0x01
#: Notes carrying more signatures than this are refused (the spec asks for at least 16).
MAX_SIGNATURES = 100

_EM_DASH = "\u2014"
_SIG_PREFIX = _EM_DASH + " "
_HEX8 = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


# -- errors --------------------------------------------------------------------------------


class NoteError(HubError):
    """A signed note, a verifier key or a checkpoint could not be accepted."""


class MalformedNoteError(NoteError):
    """The text is not a well-formed signed note, verifier key or checkpoint."""


class NoteVerificationError(NoteError):
    """The note is well formed but carries no valid signature of the expected key."""


class UnknownKeyError(NoteVerificationError):
    """No signature line is by the expected key (name and key id): another key signed it."""

    def __init__(self, message: str, *, signers: list[tuple[str, str]]) -> None:
        super().__init__(message)
        #: (key name, key id hex) of every signature line found.
        self.signers = signers


class BadSignatureError(NoteVerificationError):
    """A signature line names the expected key but does not verify: the text was changed."""


# -- keys ----------------------------------------------------------------------------------


def _check_key_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise ValueError(f"密钥名称不合规：{name!r}（不能为空，不能含空白或“+”）")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte signed-note key id of an Ed25519 public key under ``name``."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key
    ).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A parsed verifier key line (what ``hub.pub`` holds)."""

    name: str
    key_id: bytes
    public_key: bytes

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    def line(self) -> str:
        """The verifier key in its one-line text form, without a newline."""
        material = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class SigningKey:
    """The hub's Ed25519 signing key under a key name (the checkpoint origin)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_key_name(name)
        self.name = name
        self._private = private_key
        self.public_key = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        #: 4-byte key id, as it appears in front of every signature.
        self.key_id = key_id(name, self.public_key)

    @classmethod
    def generate(cls, name: str) -> SigningKey:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> SigningKey:
        """The key whose RFC 8032 private seed is the 32 bytes ``seed``."""
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    def verifier(self) -> VerifierKey:
        return VerifierKey(self.name, self.key_id, self.public_key)

    def vkey(self) -> str:
        """The verifier key line for ``hub.pub``: ``name+keyid+base64(0x01 ‖ public key)``."""
        return self.verifier().line()

    def sign_note(self, text: str) -> str:
        """Sign ``text`` (which must end in a newline) and return the full signed note."""
        _check_note_text(text)
        signature = self._private.sign(text.encode("utf-8"))
        blob = base64.b64encode(self.key_id + signature).decode("ascii")
        return f"{text}\n{_SIG_PREFIX}{self.name} {blob}\n"

    def private_pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(name={self.name!r}, key_id={self.key_id_hex})"


def parse_vkey(line: str) -> VerifierKey:
    """Parse a verifier key line ``name+keyid+base64(0x01 ‖ key)``; checks the key id."""
    text = line.strip()
    parts = text.split("+", 2)  # the name has no "+"; the base64 may
    if len(parts) != 3:
        raise MalformedNoteError(f"公钥格式不正确：应为“名称+密钥ID+公钥”，实为 {text!r}")
    name, id_hex, material = parts
    try:
        _check_key_name(name)
    except ValueError as e:
        raise MalformedNoteError(f"公钥格式不正确：{e}") from None
    if not _HEX8.fullmatch(id_hex):
        raise MalformedNoteError(f"公钥格式不正确：密钥 ID {id_hex!r} 应为 8 位小写十六进制")
    raw = _b64decode(material)
    if raw is None or len(raw) != 33:
        raise MalformedNoteError(
            "公钥格式不正确：公钥部分应为 33 字节（类型 0x01 + 32 字节公钥）的 base64"
        )
    if raw[0] != ALG_ED25519:
        raise MalformedNoteError(f"公钥类型 0x{raw[0]:02x} 不受支持，只支持 Ed25519 (0x01)")
    public = raw[1:]
    expected = key_id(name, public)
    if expected.hex() != id_hex:
        raise MalformedNoteError(
            f"公钥格式不正确：密钥 ID {id_hex} 与公钥不符（应为 {expected.hex()}）"
        )
    return VerifierKey(name, expected, public)


def _b64decode(s: str) -> bytes | None:
    """Strict standard base64 (RFC 4648 §4): None unless ``s`` is its canonical encoding."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == s else None


# -- notes ---------------------------------------------------------------------------------


def _check_note_text(text: str) -> None:
    if not text or not text.endswith("\n"):
        raise ValueError("签名内容必须非空并以换行结尾")
    if any(c < " " and c != "\n" for c in text):
        raise ValueError("签名内容不能含换行以外的控制字符")


def split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """Split a signed note into its text and its signatures ``(name, key id, signature)``.

    Raises :class:`MalformedNoteError`; checks the form only, not the signatures.
    """
    if not isinstance(note, str):
        raise MalformedNoteError("签名文本必须是 UTF-8 文本")
    if any(c < " " and c != "\n" for c in note):
        raise MalformedNoteError("签名文本含有换行以外的控制字符")
    if not note.endswith("\n"):
        raise MalformedNoteError("签名文本不完整：没有以换行结尾")
    # The text is separated from the signatures by the last blank line.
    cut = note.rfind("\n\n")
    if cut < 0:
        raise MalformedNoteError("签名文本没有签名部分（缺少正文后的空行）")
    text, block = note[: cut + 1], note[cut + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise MalformedNoteError("签名文本没有签名行")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"签名行超过 {MAX_SIGNATURES} 条")
    sigs = []
    for n, line in enumerate(lines, 1):
        if not line.startswith(_SIG_PREFIX):
            raise MalformedNoteError(f"第 {n} 条签名行应以“— ”开头：{line[:40]!r}")
        name, sep, blob = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or not name or " " in blob or "+" in name:
            raise MalformedNoteError(f"第 {n} 条签名行格式不正确：{line[:60]!r}")
        raw = _b64decode(blob)
        if raw is None or len(raw) < 5:
            raise MalformedNoteError(f"第 {n} 条签名行的签名不是合法的 base64")
        sigs.append((name, raw[:4], raw[4:]))
    return text, sigs


def verify_note(note: str, vkey: str | VerifierKey) -> str:
    """Check that ``note`` is signed by ``vkey`` and return its text (the signed body).

    Signatures by other keys are ignored, as the spec requires (witness cosignatures may
    accompany the hub's). Raises :class:`MalformedNoteError`, :class:`UnknownKeyError` (no
    signature of this key: signed by another key) or :class:`BadSignatureError` (this key's
    signature does not match the text: the text or the signature was changed).
    """
    key = parse_vkey(vkey) if isinstance(vkey, str) else vkey
    text, sigs = split_note(note)
    message = text.encode("utf-8")
    matched = False
    for name, kid, signature in sigs:
        if name != key.name or kid != key.key_id:
            continue
        matched = True
        if len(signature) != 64 or not key.verify(message, signature):
            raise BadSignatureError(
                f"签名无效：密钥 {key.name}（ID {key.key_id_hex}）的签名与内容不符，"
                "内容或签名已被改动"
            )
    if not matched:
        signers = [(name, kid.hex()) for name, kid, _ in sigs]
        found = "、".join(f"{n}（ID {k}）" for n, k in signers)
        raise UnknownKeyError(
            f"没有公钥 {key.name}（ID {key.key_id_hex}）的签名；签名来自 {found}，"
            "是另一把密钥签的",
            signers=signers,
        )
    return text


# -- checkpoints ---------------------------------------------------------------------------


class Checkpoint(NamedTuple):
    """The three mandatory lines of a tlog checkpoint."""

    origin: str
    size: int
    root: bytes


def checkpoint_body(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...] = ()
) -> str:
    """The checkpoint note text: origin, decimal tree size, base64 root hash, one per line."""
    if not origin or "\n" in origin or any(c < " " for c in origin):
        raise ValueError(f"检查点来源行不合规：{origin!r}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"树大小必须是非负整数：{size!r}")
    if len(root) != 32:
        raise ValueError("根哈希必须是 32 字节")
    for ext in extensions:
        if not ext or any(c < " " for c in ext):
            raise ValueError(f"扩展行不合规：{ext!r}")
    lines = [origin, str(size), base64.b64encode(root).decode("ascii"), *extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse a checkpoint note text (the verified body) into ``(origin, size, root)``.

    Extension lines are accepted and ignored, as the spec allows.
    """
    if not body.endswith("\n"):
        raise MalformedNoteError("检查点不完整：没有以换行结尾")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedNoteError("检查点至少要有三行：来源、树大小、根哈希")
    if any(not line for line in lines):
        raise MalformedNoteError("检查点不能含空行")
    origin, size_text, root_text = lines[:3]
    if not _DECIMAL.fullmatch(size_text):
        raise MalformedNoteError(f"检查点的树大小 {size_text!r} 不是规范的十进制数")
    root = _b64decode(root_text)
    if root is None or len(root) != 32:
        raise MalformedNoteError(f"检查点的根哈希 {root_text!r} 不是 32 字节的 base64")
    return Checkpoint(origin, int(size_text), root)


def sign_checkpoint(key: SigningKey, size: int, root: bytes) -> str:
    """The signed checkpoint note of the tree ``(size, root)``, with origin = the key's name."""
    return key.sign_note(checkpoint_body(key.name, size, root))
