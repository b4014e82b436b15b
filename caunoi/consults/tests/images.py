"""Images that are small as files and huge as pixels, written row by row so that making one
costs the test (or the benchmark) almost no memory."""

from __future__ import annotations

import random
import struct
import zlib

_COLOUR_TYPES = {"L": (0, 1), "RGB": (2, 3), "RGBA": (6, 4)}


def flat_png(width: int, height: int, *, mode: str = "RGBA", seed: int = 10) -> bytes:
    """A PNG of one skin-like colour with a little noise on every 97th row: 7740 × 7740 RGBA
    (60 million pixels, 240 MB once decoded) makes a file of about 250 kB."""
    colour_type, bands = _COLOUR_TYPES[mode]
    rng = random.Random(seed)
    plain = bytes([200, 170, 150, 255][:bands]) * width
    packer = zlib.compressobj(9)
    parts = []
    for y in range(height):
        row = bytearray(plain)
        if y % 97 == 0:
            for _ in range(8):
                row[rng.randrange(len(row))] = rng.randrange(256)
        parts.append(packer.compress(b"\x00" + bytes(row)))  # filter type 0 for each row
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
