"""The built-in WeChat cover, uploaded when no ``cover`` is configured.

WeChat takes a thumb only as a JPEG, so a small one is encoded here (see
:func:`default_cover_jpeg`).
"""

from __future__ import annotations

import functools
import struct

# WeChat takes a thumb only as a JPEG (≤ 64 KB). The built-in cover is drawn in 8×8 blocks of
# one colour each, so a baseline JPEG needs no DCT: every block is its DC coefficient alone.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)  # ITU T.81 table K.3 (luminance DC)
_DC_VALUES = tuple(range(12))


@functools.cache
def default_cover_jpeg(width: int = 900, height: int = 383) -> bytes:
    """A plain cover (2.35:1, the ratio WeChat shows): deep red with a gold band, as a JPEG."""
    red, gold = (178, 34, 34), (230, 180, 60)
    band = {height * 7 // 80, height * 7 // 80 + 1}  # two block rows, about 70% down
    dc_codes: dict[int, tuple[int, int]] = {}
    code = k = 0
    for length, count in enumerate(_DC_BITS, start=1):
        for _ in range(count):
            dc_codes[_DC_VALUES[k]] = (code, length)
            code, k = code + 1, k + 1
        code <<= 1

    scan = bytearray()
    acc = nbits = 0

    def put(value: int, length: int) -> None:
        nonlocal acc, nbits
        acc, nbits = (acc << length) | value, nbits + length
        while nbits >= 8:
            nbits -= 8
            byte = (acc >> nbits) & 0xFF
            scan.extend((byte, 0) if byte == 0xFF else (byte,))  # byte stuffing
        acc &= (1 << nbits) - 1

    previous = [0, 0, 0]
    for block_row in range((height + 7) // 8):
        r, g, b = gold if block_row in band else red
        ycbcr = (0.299 * r + 0.587 * g + 0.114 * b,
                 128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
                 128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
        # A uniform block's DC coefficient is 8·(v − 128); the quantizer 8 leaves v − 128.
        levels = [round(v) - 128 for v in ycbcr]
        for _ in range((width + 7) // 8):
            for c in range(3):
                diff, previous[c] = levels[c] - previous[c], levels[c]
                size = abs(diff).bit_length()
                put(*dc_codes[size])
                if size:
                    put(diff if diff > 0 else diff + (1 << size) - 1, size)
                put(0, 1)  # end of block: the one AC symbol, coded "0"
    if nbits:
        put((1 << (8 - nbits)) - 1, 8 - nbits)

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", marker, len(payload) + 2) + payload

    tables = (bytes([0x00, *_DC_BITS, *_DC_VALUES])  # DC table 0
              + bytes([0x10, 1, *[0] * 15, 0x00]))  # AC table 0: end-of-block only
    frame = struct.pack(">BHHB", 8, height, width, 3) + bytes([1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])
    return (b"\xff\xd8"
            + segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + segment(0xFFDB, bytes([0, *[8] * 64]))
            + segment(0xFFC0, frame)
            + segment(0xFFC4, tables)
            + segment(0xFFDA, bytes([3, 1, 0, 2, 0, 3, 0, 0, 63, 0]))
            + bytes(scan) + b"\xff\xd9")
