#!/usr/bin/env python3
# Regenerates the two PNG files of this folder: demo/pattern.png (a sample
# image the demo shard stores) and icons/shardscope.png (the window icon).
# Written with zlib and struct only, so it runs anywhere python3 does; the
# output is committed, so the build itself never runs this.
import os
import struct
import zlib


def png(width, height, rows):
    """rows: height lists of width (r, g, b, a) tuples -> PNG bytes."""
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def pattern():
    # A checkerboard over a diagonal gradient: easy to recognise in a preview.
    rows = []
    for y in range(64):
        row = []
        for x in range(64):
            light = ((x // 8) + (y // 8)) % 2 == 0
            r, g, b = (40 + 3 * x, 90 + 2 * y, 200) if light else (230, 180 - 2 * y, 40 + 3 * x)
            row.append((r, g, b, 255))
        rows.append(row)
    return png(64, 64, rows)


def icon():
    # A rounded tile holding table rows, one highlighted: a shard's slot table.
    size, radius = 64, 12
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            cx = min(max(x, radius), size - 1 - radius)
            cy = min(max(y, radius), size - 1 - radius)
            if (x - cx) ** 2 + (y - cy) ** 2 > radius ** 2:
                row.append((0, 0, 0, 0))
                continue
            px = (36, 84, 160, 255)
            band = (y - 12) // 9
            if 12 <= y < 57 and (y - 12) % 9 < 6 and 12 <= x < 52:
                px = (245, 166, 35, 255) if band == 2 else (236, 242, 250, 255)
                if x < 18:
                    px = (160, 190, 230, 255)
            row.append(px)
        rows.append(row)
    return png(size, size, rows)


here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "demo", "pattern.png"), "wb") as f:
    f.write(pattern())
with open(os.path.join(here, "icons", "shardscope.png"), "wb") as f:
    f.write(icon())
