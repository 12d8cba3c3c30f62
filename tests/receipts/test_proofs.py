"""One receipt, one proof: every receipt proves against the checkpoint; a wrong receipt, proof,
checkpoint or key does not, and a tampered bundle gives no proof."""

from __future__ import annotations

import json
import shutil

import pytest

from heze_hub.receipts.bundle import BundleError
from heze_hub.receipts.merkle import root
from heze_hub.receipts.proofs import inclusion_proof_for, verify_receipt_proof
from heze_hub.receipts.signing import SigningKey
from tests.receipts.bundles import LINES, ORIGIN, N, alter_byte, checkpoint, rewrite, text


def test_every_receipt_proves_against_the_checkpoint(bundle, key):
    note = checkpoint(key, LINES)
    for seq in range(N):
        proof = inclusion_proof_for(bundle, seq)
        assert proof["seq"] == seq and proof["tree_size"] == N
        assert proof["root"] == root(LINES).hex()
        report = verify_receipt_proof(LINES[seq] + b"\n", json.dumps(proof), note, key.vkey())
        assert report.ok, (seq, report.problems)


def test_receipt_proof_failures(bundle, key, tmp_path):
    note = checkpoint(key, LINES)
    proof = inclusion_proof_for(bundle, 12)
    altered = LINES[12].replace(b'"attempts":1', b'"attempts":2')
    t = text(verify_receipt_proof(altered, proof, note, key.vkey()))
    assert "leaf_hash 不同" in t and "包含证明不成立" in t
    # Someone else's receipt with this proof.
    t = text(verify_receipt_proof(LINES[13], proof, note, key.vkey()))
    assert "seq 为 13" in t
    # A proof for another checkpoint.
    t = text(verify_receipt_proof(LINES[12], proof, checkpoint(key, LINES[:40]), key.vkey()))
    assert "与检查点（40 条" in t
    # A checkpoint not signed by the hub.
    t = text(verify_receipt_proof(LINES[12], proof, note, SigningKey.generate(ORIGIN).vkey()))
    assert "签名密钥不同" in t
    # A mangled proof.
    t = text(verify_receipt_proof(LINES[12], {"seq": 12}, note, key.vkey()))
    assert "格式不正确" in t
    bad = proof | {"proof": list(reversed(proof["proof"]))}
    assert "包含证明不成立" in text(verify_receipt_proof(LINES[12], bad, note, key.vkey()))


def test_no_proof_from_a_tampered_bundle(bundle, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    rewrite(copy, alter_byte)
    with pytest.raises(BundleError):
        inclusion_proof_for(copy, 3)
    with pytest.raises(BundleError):
        inclusion_proof_for(bundle, N)
