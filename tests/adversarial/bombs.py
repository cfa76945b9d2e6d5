"""Decompression bombs, made small: real images whose pixels are many and whose bytes are few.

``uniform_png`` writes a valid PNG row by row through zlib, so neither the test nor the bench
ever holds the decoded pixels; 9,400 × 9,400 RGB compresses to about 260 KiB. ``gif_claiming``
and ``webp_claiming`` are tiny images whose headers are patched to claim a huge canvas: the
server must refuse them from the header, before decoding anything.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def uniform_png(width: int, height: int) -> bytes:
    """A valid, fully decodable RGB PNG of one colour (filter byte 0, then black pixels)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (width * 3)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def gif_claiming(width: int, height: int) -> bytes:
    """A one-pixel GIF whose screen and image descriptor claim ``width`` × ``height``."""
    buffer = io.BytesIO()
    Image.new("P", (1, 1)).save(buffer, "GIF")
    data = bytearray(buffer.getvalue())
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen
    descriptor = data.index(b",", 13)  # the image descriptor: ',' left top width height
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A small lossless WebP whose VP8L header claims ``width`` × ``height`` (at most 16,384)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "WEBP", lossless=True)
    data = bytearray(buffer.getvalue())
    start = data.index(b"VP8L") + 8  # chunk header, then the 0x2f signature and 28 bits of size
    assert data[start] == 0x2F
    bits = int.from_bytes(data[start + 1 : start + 5], "little")
    bits = (bits & ~0xFFFFFFF) | (width - 1) | ((height - 1) << 14)
    data[start + 1 : start + 5] = bits.to_bytes(4, "little")
    return bytes(data)
