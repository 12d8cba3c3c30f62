"""The receipt log's Merkle tree, exactly as RFC 9162 §2.1 defines it (the RFC 6962 tree).

- leaf hash ``SHA-256(0x00 ‖ bytes)``, node hash ``SHA-256(0x01 ‖ left ‖ right)``, the empty
  tree's hash ``SHA-256("")``;
- a tree of ``n > 1`` leaves splits at ``k``, the largest power of two smaller than ``n``;
- inclusion proofs (``PATH``) and consistency proofs (``PROOF``/``SUBPROOF``) are generated as
  §2.1.3.1 / §2.1.4.1 define them and verified with the algorithms of §2.1.3.2 / §2.1.4.2, so
  any RFC 9162 or transparency-dev verifier accepts them and ours accepts theirs.

Every root here is computed with a stack of perfect-subtree roots (a "compact range"): O(n)
hashing, O(log n) memory, no recursion, fast enough to verify a million receipts. Proof
generation descends the tree iteratively over index ranges of a leaf-hash sequence, so it is
O(n) hashing as well and never copies slices of the list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

HASH_SIZE = 32
#: The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 ‖ data)``: the hash of one leaf (one receipt's canonical bytes)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``: the hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeBuilder:
    """Streaming root computation: append leaves one by one, ask for the root at any time.

    It keeps only the roots of the perfect subtrees the leaves so far decompose into (one per set
    bit of the size), so appending is amortized one node hash and the memory is O(log n).
    """

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self.size = 0

    @classmethod
    def resume(cls, size: int, frontier: list[bytes]) -> TreeBuilder:
        """A builder that continues a tree of ``size`` leaves from its saved :attr:`frontier`."""
        if len(frontier) != size.bit_count():
            raise ValueError("frontier does not match the tree size")
        builder = cls()
        builder._stack = list(frontier)
        builder.size = size
        return builder

    @property
    def frontier(self) -> list[bytes]:
        """The roots of the perfect subtrees so far: all it takes to continue the tree later."""
        return list(self._stack)

    def append(self, data: bytes) -> bytes:
        """Append one leaf given by its data; return its leaf hash."""
        h = leaf_hash(data)
        self.append_hash(h)
        return h

    def append_hash(self, h: bytes) -> None:
        """Append one leaf given by its leaf hash."""
        n = self.size
        stack = self._stack
        # Each trailing 1 bit of the old size is a perfect subtree of the same height as the new
        # one, so they merge, exactly like a binary carry.
        while n & 1:
            h = node_hash(stack.pop(), h)
            n >>= 1
        stack.append(h)
        self.size += 1

    def append_subtree(self, h: bytes, height: int) -> None:
        """Append ``2**height`` leaves at once by the root ``h`` of their perfect subtree.

        The subtree must start at a multiple of its size (the current size must be one), which
        is what makes it a node of the whole tree: how chunks hashed apart are joined.
        """
        n = self.size
        if n % (1 << height):
            raise ValueError("a subtree must start at a multiple of its size")
        stack = self._stack
        n >>= height
        while n & 1:
            h = node_hash(stack.pop(), h)
            n >>= 1
        stack.append(h)
        self.size += 1 << height

    def root(self) -> bytes:
        """The RFC 9162 Merkle tree hash of the leaves appended so far."""
        stack = self._stack
        if not stack:
            return EMPTY_ROOT
        # The right-most (smallest) subtrees join first: for n = 6 the root is
        # node(node(0..3), node(4, 5)), never node(node(node(0..3), 4), 5).
        r = stack[-1]
        for h in reversed(stack[:-1]):
            r = node_hash(h, r)
        return r


def root(leaves: Iterable[bytes], *, hashed: bool = False) -> bytes:
    """Merkle tree hash of ``leaves``: leaf data by default, leaf hashes with ``hashed=True``.

    The choice is explicit because 32 bytes of leaf data and a leaf hash look alike.
    """
    builder = TreeBuilder()
    if hashed:
        for h in leaves:
            builder.append_hash(h)
    else:
        for data in leaves:
            builder.append(data)
    return builder.root()


def range_root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """Merkle tree hash of the leaves ``hashes[lo:hi]`` (leaf hashes), without copying them."""
    builder = TreeBuilder()
    for i in range(lo, hi):
        builder.append_hash(hashes[i])
    return builder.root()


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 ``PATH(index, D[n])`` over the leaf hashes ``hashes`` (n = len).

    Returns the audit path from the leaf up to (not including) the root.
    """
    n = len(hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} outside a tree of size {n}")
    # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])  or  PATH(m - k, D[k:n]) : MTH(D[0:k]):
    # walking down from the root collects the siblings top first; the path lists them leaf first.
    siblings: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            siblings.append(range_root(hashes, mid, hi))
            hi = mid
        else:
            siblings.append(range_root(hashes, lo, mid))
            lo = mid
    siblings.reverse()
    return siblings


def consistency_proof(hashes: Sequence[bytes], m: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 ``PROOF(m, D[n])``: proves the first ``m`` leaves are a prefix of all n.

    ``m == 0`` and ``m == n`` give the empty proof, as in the RFC.
    """
    n = len(hashes)
    if not 0 <= m <= n:
        raise ValueError(f"old size {m} outside 0..{n}")
    if m in (0, n):
        return []
    # SUBPROOF(m, D[n], b), unrolled: each level appends one sibling subtree hash after the
    # sub-proof of the level below, so collect top-down and reverse at the end.
    rev: list[bytes] = []
    lo, hi, complete = 0, n, True
    while True:
        size, mm = hi - lo, m - lo
        if mm == size:
            if not complete:
                rev.append(range_root(hashes, lo, hi))
            break
        mid = lo + _split(size)
        if mm <= mid - lo:
            rev.append(range_root(hashes, mid, hi))
            hi = mid
        else:
            rev.append(range_root(hashes, lo, mid))
            lo, complete = mid, False
    rev.reverse()
    return rev


def _is_hash(h: object) -> bool:
    return isinstance(h, (bytes, bytearray)) and len(h) == HASH_SIZE


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes | None:
    """RFC 9162 §2.1.3.2 steps 1–5 without the final comparison: the root the proof implies.

    Returns ``None`` when the proof cannot be valid for (index, size) at all.
    """
    if not (isinstance(index, int) and isinstance(size, int)) or not 0 <= index < size:
        return None
    if not _is_hash(leaf_hash) or not all(_is_hash(p) for p in proof):
        return None
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` shows the leaf ``leaf_hash`` at ``index`` in the tree ``(size, root)``."""
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    return computed is not None and computed == root


def verify_consistency(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` shows the tree ``(m, root_m)`` is a prefix of the tree ``(n, root_n)``.

    RFC 9162 §2.1.4.2 for ``0 < m < n``. The RFC leaves the trivial cases implicit; they follow
    the reference verifiers (certificate-transparency, transparency-dev): ``m == n`` needs an
    empty proof and equal roots; ``m == 0`` needs an empty proof (every tree extends the empty
    one); ``m > n`` is never consistent.
    """
    if not (isinstance(m, int) and isinstance(n, int)) or not 0 <= m <= n:
        return False
    if not all(_is_hash(p) for p in proof):
        return False
    if m == n:
        return not proof and root_m == root_n
    if m == 0:
        return not proof
    if not proof or not _is_hash(root_m) or not _is_hash(root_n):
        return False
    path = list(proof)
    # Step 2: when the old tree is a perfect subtree its root is not sent; it starts the path.
    if m & (m - 1) == 0:
        path.insert(0, root_m)
    fn, sn = m - 1, n - 1
    # Step 4: skip the levels where the old tree's last node is a right child of a full subtree.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root_m and sr == root_n and sn == 0


class HashList(Sequence[bytes]):
    """Append-only list of 32-byte leaf hashes in one ``bytearray``.

    A million leaf hashes take 32 MB here instead of about 75 MB as a ``list`` of ``bytes``;
    it is what :func:`inclusion_proof` and :func:`consistency_proof` read.
    """

    __slots__ = ("_buf",)

    def __init__(self, hashes: Iterable[bytes] = ()) -> None:
        self._buf = bytearray()
        for h in hashes:
            self.append(h)

    def append(self, h: bytes) -> None:
        if len(h) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        self._buf += h

    def extend_raw(self, hashes: bytes) -> None:
        """Append leaf hashes given as one run of 32-byte hashes."""
        if len(hashes) % HASH_SIZE:
            raise ValueError("leaf hashes are 32 bytes each")
        self._buf += hashes

    def __len__(self) -> int:
        return len(self._buf) // HASH_SIZE

    @overload
    def __getitem__(self, i: int) -> bytes: ...
    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...
    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return bytes(self._buf[i * HASH_SIZE : (i + 1) * HASH_SIZE])

    def __iter__(self) -> Iterator[bytes]:
        buf = self._buf
        for off in range(0, len(buf), HASH_SIZE):
            yield bytes(buf[off : off + HASH_SIZE])
