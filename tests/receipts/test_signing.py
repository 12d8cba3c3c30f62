"""The hub key, C2SP signed notes and tlog checkpoints.

The known answer is the example of golang.org/x/mod/sumdb/note (the reference implementation of
c2sp.org/signed-note): Ed25519 is deterministic, so our note must equal Go's byte for byte.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from heze_hub.receipts.signing import (
    BadSignatureError,
    Checkpoint,
    MalformedNoteError,
    SigningKey,
    UnknownKeyError,
    checkpoint_body,
    key_id,
    parse_checkpoint,
    parse_vkey,
    sign_checkpoint,
    verify_note,
)

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = GO_TEXT + "\n— PeterNeumann " + GO_SIG + "\n"


def go_key() -> SigningKey:
    raw = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert raw[0] == 1
    return SigningKey.from_seed("PeterNeumann", raw[1:])


# -- the known answer ------------------------------------------------------------------------


def test_go_known_answer():
    key = go_key()
    assert key.vkey() == GO_VKEY
    assert key.key_id_hex == "c74f20a3"
    assert key.sign_note(GO_TEXT) == GO_NOTE
    assert verify_note(GO_NOTE, GO_VKEY) == GO_TEXT


def test_key_id_definition():
    key = go_key()
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + key.public_key).digest()[:4]
    assert key_id("PeterNeumann", key.public_key) == expected == key.key_id
    # The name is part of the id: the same key under another name is another verifier key.
    assert SigningKey.from_seed("heze-hub/HZZF", b"\x07" * 32).key_id != SigningKey.from_seed(
        "heze-hub/HZWX", b"\x07" * 32
    ).key_id


def test_parse_vkey_round_trip_and_errors():
    vk = parse_vkey(GO_VKEY + "\n")
    assert (vk.name, vk.key_id_hex, vk.line()) == ("PeterNeumann", "c74f20a3", GO_VKEY)
    name, kid, material = GO_VKEY.split("+", 2)
    bad = [
        "PeterNeumann+c74f20a3",  # missing part
        f"Peter Neumann+{kid}+{material}",  # space in name
        f"{name}+c74f20a4+{material}",  # id does not match the key
        f"{name}+C74F20A3+{material}",  # ids are lower-case hex
        f"{name}+{kid}+" + base64.b64encode(b"\x02" + b"\x00" * 32).decode(),  # not Ed25519
        f"{name}+{kid}+" + base64.b64encode(b"\x01" + b"\x00" * 31).decode(),  # short key
        f"{name}+{kid}+{material[:-1]}",  # broken base64
    ]
    for line in bad:
        with pytest.raises(MalformedNoteError):
            parse_vkey(line)


def test_key_names_are_checked():
    for name in ["", "has space", "has+plus"]:
        with pytest.raises(ValueError):
            SigningKey.generate(name)


# -- notes -----------------------------------------------------------------------------------


def test_tampered_text_is_a_bad_signature():
    with pytest.raises(BadSignatureError):
        verify_note(GO_NOTE.replace("cryptography", "cryptographY"), GO_VKEY)
    sig_line = GO_NOTE.rsplit("\n", 2)[1]
    blob = base64.b64decode(sig_line.split(" ")[2])
    forged = blob[:4] + bytes([blob[4] ^ 1]) + blob[5:]
    note = GO_TEXT + "\n— PeterNeumann " + base64.b64encode(forged).decode() + "\n"
    with pytest.raises(BadSignatureError):
        verify_note(note, GO_VKEY)


def test_another_key_is_unknown_even_under_the_same_name():
    other = SigningKey.generate("PeterNeumann")
    note = other.sign_note(GO_TEXT)
    with pytest.raises(UnknownKeyError) as exc:
        verify_note(note, GO_VKEY)
    assert exc.value.signers == [("PeterNeumann", other.key_id_hex)]
    assert other.key_id_hex in str(exc.value)


def test_unknown_cosignatures_are_ignored():
    witness = SigningKey.generate("witness.example/w1")
    cosigned = GO_NOTE + witness.sign_note(GO_TEXT).split("\n\n", 1)[1]
    assert verify_note(cosigned, GO_VKEY) == GO_TEXT
    assert verify_note(cosigned, witness.vkey()) == GO_TEXT


@pytest.mark.parametrize(
    "note",
    [
        GO_TEXT,  # no signatures
        GO_NOTE[:-1],  # no final newline
        GO_NOTE.replace("\n\n", "\n"),  # no blank line
        GO_NOTE.replace("— ", "-- "),  # not an em dash
        GO_NOTE.replace("problem,", "problem,\t"),  # control character
        GO_NOTE.replace("JnAM=", "JnAM"),  # broken base64
        GO_TEXT + "\n— PeterNeumann\n",  # no signature
        GO_TEXT + "\n\n",  # empty signature block
    ],
)
def test_malformed_notes(note):
    with pytest.raises(MalformedNoteError):
        verify_note(note, GO_VKEY)


def test_sign_note_needs_a_newline_terminated_text():
    key = go_key()
    for text in ["", "no newline", "tab\there\n"]:
        with pytest.raises(ValueError):
            key.sign_note(text)


# -- checkpoints -----------------------------------------------------------------------------


def test_checkpoint_body_format():
    root = hashlib.sha256(b"x").digest()
    body = checkpoint_body("heze-hub/HZZF", 1234, root)
    assert body == f"heze-hub/HZZF\n1234\n{base64.b64encode(root).decode()}\n"
    assert parse_checkpoint(body) == Checkpoint("heze-hub/HZZF", 1234, root)
    assert checkpoint_body("o", 0, root).split("\n")[1] == "0"
    with_ext = checkpoint_body("o", 5, root, ("ext line",))
    assert with_ext.endswith("ext line\n")
    assert parse_checkpoint(with_ext) == ("o", 5, root)


def test_c2sp_example_checkpoint_parses():
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    origin, size, root = parse_checkpoint(body)
    assert (origin, size, len(root)) == ("example.com/behind-the-sofa", 20852163, 32)


@pytest.mark.parametrize(
    "body",
    [
        "o\n12\n",  # two lines
        "o\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # leading zero
        "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  # unpadded
        "o\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n",  # short root
        "o\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",  # no final newline
        "o\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\nx\n",  # empty line
        "\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # empty origin
    ],
)
def test_malformed_checkpoints(body):
    with pytest.raises(MalformedNoteError):
        parse_checkpoint(body)


def test_checkpoint_body_rejects_bad_values():
    root = bytes(32)
    for args in [("", 1, root), ("a\nb", 1, root), ("o", -1, root), ("o", 1, b"short")]:
        with pytest.raises(ValueError):
            checkpoint_body(*args)


def test_signed_checkpoint_round_trip():
    key = SigningKey.generate("heze-hub/HZZF")
    root = hashlib.sha256(b"r").digest()
    note = sign_checkpoint(key, 7, root)
    assert note.startswith("heze-hub/HZZF\n7\n")
    assert note.split("\n")[4].startswith("— heze-hub/HZZF ")
    assert parse_checkpoint(verify_note(note, key.vkey())) == ("heze-hub/HZZF", 7, root)
