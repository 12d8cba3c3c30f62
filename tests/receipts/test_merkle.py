"""RFC 9162 / RFC 6962 Merkle tree: the reference test vectors, every small proof, bad proofs.

Vectors: google/certificate-transparency cpp/merkletree/merkle_tree_test.cc and
transparency-dev/merkle proof/verify_test.go (same 8 leaves, roots, paths and proofs; the
latter adds the 6→7 consistency proof). The reference trees in those files number leaves from 1;
here indexes are 0-based, as RFC 9162 writes them.
"""

from __future__ import annotations

import hashlib

import pytest

from heze_hub.receipts.merkle import (
    EMPTY_ROOT,
    HashList,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_root,
    root,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
LEAF_HASHES = [leaf_hash(x) for x in LEAVES]

# Tree heads of the first n leaves, n = 0..8.
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]


def h(s: str) -> bytes:
    return bytes.fromhex(s)


# (index, tree size, path), from the 1-based kSHA256Paths / inclusionProofs.
INCLUSION = [
    (0, 1, []),
    (0, 8, [
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ]),
    (5, 8, [
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ]),
    (2, 3, [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    ]),
    (1, 5, [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    ]),
]

# (old size, new size, proof), kSHA256Proofs / consistencyProofs.
CONSISTENCY = [
    (1, 1, []),
    (1, 8, [
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ]),
    (6, 8, [
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ]),
    (2, 5, [
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    ]),
    (6, 7, [
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ]),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


# -- a plain recursive reference, straight from the RFC's definitions ------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


# -- hashes and roots ------------------------------------------------------------------------


def test_leaf_and_node_hash_domain_separation():
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    a, b = b"a" * 32, b"b" * 32
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert ROOTS[0] == EMPTY_ROOT


@pytest.mark.parametrize("n", range(9))
def test_root_vectors(n):
    assert root(LEAVES[:n]) == ROOTS[n]
    assert root(LEAF_HASHES[:n], hashed=True) == ROOTS[n]
    assert range_root(LEAF_HASHES, 0, n) == ROOTS[n]


def test_builder_incremental_roots():
    builder = TreeBuilder()
    assert builder.root() == ROOTS[0]
    for n, leaf in enumerate(LEAVES, 1):
        assert builder.append(leaf) == LEAF_HASHES[n - 1]
        assert builder.size == n
        assert builder.root() == ROOTS[n]


def test_root_matches_reference_up_to_300_leaves():
    data = [bytes([i % 256, i // 256]) for i in range(300)]
    builder = TreeBuilder()
    for n, x in enumerate(data, 1):
        builder.append(x)
        if n < 70 or n % 37 == 0 or n in (128, 256, 257, 300):
            assert builder.root() == ref_mth(data[:n]), n


def test_large_tree_has_no_recursion_and_matches_split_definition():
    # 2^17 + 3 leaves: far past any recursion limit for a list-recursive implementation.
    n = (1 << 17) + 3
    hashes = HashList(leaf_hash(i.to_bytes(4, "big")) for i in range(n))
    k = 1 << 17
    expected = node_hash(range_root(hashes, 0, k), range_root(hashes, k, n))
    assert root(hashes, hashed=True) == expected


# -- inclusion -------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_vectors(index, size, path):
    assert inclusion_proof(LEAF_HASHES[:size], index) == path
    assert verify_inclusion(LEAF_HASHES[index], index, size, path, ROOTS[size])
    assert root_from_inclusion_proof(LEAF_HASHES[index], index, size, path) == ROOTS[size]


def test_every_inclusion_proof_up_to_8_verifies():
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(LEAF_HASHES[:size], index)
            assert proof == ref_path(index, LEAVES[:size])
            assert verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size])
            for other in range(size):
                if other != index:
                    assert not verify_inclusion(LEAF_HASHES[other], index, size, proof, ROOTS[size])


def test_inclusion_proofs_match_reference_up_to_40():
    data = [bytes([i]) for i in range(40)]
    hashes = [leaf_hash(x) for x in data]
    for size in range(1, 41):
        r = ref_mth(data[:size])
        for index in range(size):
            proof = inclusion_proof(hashes[:size], index)
            assert proof == ref_path(index, data[:size])
            assert verify_inclusion(hashes[index], index, size, proof, r)


def _inclusion_probes(index, size, proof, r, lh):
    """transparency-dev's corruptInclusionProof: every one of these must fail."""
    probes = [
        (index - 1, size, r, lh, proof),
        (index + 1, size, r, lh, proof),
        (index ^ 2, size, r, lh, proof),
        (index, size * 2, r, lh, proof),
        (index, size // 2, r, lh, proof),
        (index, size, r, b"WrongLeaf", proof),
        (index, size, EMPTY_ROOT, lh, proof),
        (index, size, SOME_HASH, lh, proof),
        (index, size, r, lh, [*proof, b""]),
        (index, size, r, lh, [*proof, r]),
        (index, size, r, lh, [b"", *proof]),
        (index, size, r, lh, [r, *proof]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, r, lh, wrong))
    if proof:
        probes.append((index, size, r, lh, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, r, lh, [proof[0], SOME_HASH, *proof[1:]]))
    return probes


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_corrupted_inclusion_proofs_fail(index, size, path):
    for i, s, r, lh, p in _inclusion_probes(index, size, path, ROOTS[size], LEAF_HASHES[index]):
        assert not verify_inclusion(lh, i, s, p, r), (i, s, p)


def test_inclusion_edge_cases():
    for index, size in [(0, 0), (0, 1), (1, 0), (2, 1)]:
        assert not verify_inclusion(SOME_HASH, index, size, [], b"")
        assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
        assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    single = leaf_hash(b"data")
    assert verify_inclusion(single, 0, 1, [], single)
    assert not verify_inclusion(single, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], single)
    assert not verify_inclusion(single, -1, 1, [], single)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 8)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)


# -- consistency -----------------------------------------------------------------------------


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY)
def test_consistency_vectors(m, n, proof):
    assert consistency_proof(LEAF_HASHES[:n], m) == proof
    assert verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)


def test_every_consistency_proof_up_to_8_verifies():
    for n in range(0, 9):
        for m in range(0, n + 1):
            proof = consistency_proof(LEAF_HASHES[:n], m)
            if 0 < m < n:
                assert proof == ref_subproof(m, LEAVES[:n], True)
            else:
                assert proof == []
            assert verify_consistency(m, n, ROOTS[m], ROOTS[n], proof), (m, n)
            # A different old root is never consistent (m > 0: the old tree is determined).
            if m > 0:
                for other in range(1, 9):
                    if ROOTS[other] != ROOTS[m]:
                        assert not verify_consistency(m, n, ROOTS[other], ROOTS[n], proof)


def test_consistency_proofs_match_reference_up_to_40():
    data = [bytes([i]) for i in range(40)]
    hashes = [leaf_hash(x) for x in data]
    for n in range(1, 41):
        rn = ref_mth(data[:n])
        for m in range(1, n):
            proof = consistency_proof(hashes[:n], m)
            assert proof == ref_subproof(m, data[:n], True)
            assert verify_consistency(m, n, ref_mth(data[:m]), rn, proof)


def _consistency_probes(m, n, r1, r2, proof):
    """transparency-dev's corruptConsistencyProof: every one of these must fail."""
    probes = [
        (m - 1, n, r1, r2, proof),
        (m + 1, n, r1, r2, proof),
        (m ^ 2, n, r1, r2, proof),
        (m, n * 2, r1, r2, proof),
        (m, n // 2, r1, r2, proof),
        (m, n, b"WrongRoot", r2, proof),
        (m, n, r1, b"WrongRoot", proof),
        (m, n, r2, r1, proof),
        (m, n, r1, r2, []),
        (m, n, r1, r2, [*proof, b""]),
        (m, n, r1, r2, [*proof, r1]),
        (m, n, r1, r2, [*proof, r2]),
        (m, n, r1, r2, [b"", *proof]),
        (m, n, r1, r2, [r1, *proof]),
        (m, n, r1, r2, [r2, *proof]),
        (m, n, r1, r2, [proof[0], *proof]),
        (m, n, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((m, n, r1, r2, wrong))
    return probes


@pytest.mark.parametrize(("m", "n", "proof"), [c for c in CONSISTENCY if c[2]])
def test_corrupted_consistency_proofs_fail(m, n, proof):
    for p in _consistency_probes(m, n, ROOTS[m], ROOTS[n], proof):
        assert not verify_consistency(*p), p[:2]


def test_consistency_edge_cases():
    r1, r2 = b"don't care 1", b"don't care 2"
    # Sizes that are always consistent.
    assert verify_consistency(0, 0, r1, r1, [])
    assert verify_consistency(0, 1, r1, r2, [])
    assert verify_consistency(1, 1, r2, r2, [])
    # Equal sizes need equal roots.
    assert not verify_consistency(0, 0, r1, r2, [])
    assert not verify_consistency(1, 1, r1, r2, [])
    # Time travel to the past.
    assert not verify_consistency(1, 0, r1, r2, [])
    assert not verify_consistency(2, 1, r1, r2, [])
    # Empty proof for a real extension.
    assert not verify_consistency(1, 2, r1, r2, [])
    # Roots match but the proof is not empty.
    for m, n in [(0, 0), (0, 1), (1, 1)]:
        assert not verify_consistency(m, n, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    with pytest.raises(ValueError):
        consistency_proof(LEAF_HASHES, 9)


# -- the compact leaf-hash list --------------------------------------------------------------


def test_hash_list():
    hl = HashList(LEAF_HASHES)
    assert len(hl) == 8
    assert list(hl) == LEAF_HASHES
    assert hl[-1] == LEAF_HASHES[-1]
    assert hl[2:4] == LEAF_HASHES[2:4]
    with pytest.raises(IndexError):
        hl[8]
    with pytest.raises(ValueError):
        hl.append(b"short")
    assert inclusion_proof(hl, 5) == INCLUSION[2][2]
    assert consistency_proof(hl, 6) == CONSISTENCY[2][2]


def test_builder_resumes_from_its_frontier() -> None:
    leaves = [bytes([i]) * (i + 1) for i in range(37)]
    for cut in range(len(leaves) + 1):
        first = TreeBuilder()
        for leaf in leaves[:cut]:
            first.append(leaf)
        resumed = TreeBuilder.resume(first.size, first.frontier)
        for leaf in leaves[cut:]:
            resumed.append(leaf)
        assert resumed.root() == root(leaves)
