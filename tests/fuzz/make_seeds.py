#!/usr/bin/env python3
"""Writes the fuzz seed corpus: the reference fixtures in tests/data turned
into fuzz_input.h's framing, plus small crafted shards, one per kind of
damage the checker names. Run it again after changing the framing:

    tests/fuzz/make_seeds.py tests/fuzz/corpus

Packs are cut after the last byte any slot (committed or not) points at, so
that seeds stay a few kilobytes; fuzz inputs are small for speed.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
TOMB = 0xFFFFFFFF


def frame(manifest, table, pack, has_manifest=True):
    assert len(manifest) < 256 and len(table) < 65536
    return bytes([1 if has_manifest else 0, len(manifest)]) + struct.pack("<H", len(table)) + manifest + table + pack


def copy(nonce, gen, table_len, reserved=b"\0" * 16):
    return struct.pack("<QII", nonce, gen, table_len) + reserved


def manifest(nonce, gen, table_len):
    """The MF a writer leaves after saving `nonce` (A even, B odd)."""
    a, b = copy(0, 0, 0), copy(0, 0, 0)
    if nonce & 1:
        b = copy(nonce, gen, table_len)
        if nonce > 1:
            a = copy(nonce - 1, gen, table_len)
    else:
        a = copy(nonce, gen, table_len)
    return a + b


def slot(key, offset, length):
    if isinstance(key, int):
        key = struct.pack("<QQQ", key, key * 7 + 1, key * 13 + 2) if key else b"\0" * 24
    return key + struct.pack("<II", offset, length)


def shard_dir_seed(path):
    with open(os.path.join(path, "MF"), "rb") as f:
        mf = f.read()
    a, b = struct.unpack_from("<QII", mf, 0), struct.unpack_from("<QII", mf, 32)
    gen = (b if b[0] > a[0] else a)[1]
    with open(os.path.join(path, "%08x.slot" % gen), "rb") as f:
        table = f.read()
    with open(os.path.join(path, "%08x.pack" % gen), "rb") as f:
        pack = f.read()
    end = 0
    for i in range(len(table) // 32):
        off, ln = struct.unpack_from("<II", table, i * 32 + 24)
        if off != TOMB and off + ln <= len(pack):
            end = max(end, off + ln)
    return frame(mf[:64], table, pack[:end])


def crafted():
    data = bytes(range(256)) * 4
    seeds = {}
    # A sound shard of 8 slots: 4 committed, 1 uncommitted.
    t = slot(1, 0, 10) + slot(2, 10, 20) + slot(3, 30, 0) + slot(4, 30, 5) + slot(5, 35, 7) + b"\0" * 96
    seeds["sound-4-committed-1-uncommitted"] = frame(manifest(1, 0, 4), t, data[:42])
    seeds["fresh-no-manifest"] = frame(b"", b"\0" * 64, b"\0" * 16, has_manifest=False)
    seeds["manifest-truncated"] = frame(manifest(1, 0, 1)[:40], slot(1, 0, 4), data[:4])
    seeds["manifest-empty-file"] = frame(b"", slot(1, 0, 4), data[:4])
    seeds["manifest-reserved-nonzero"] = frame(
        copy(2, 0, 1, b"\1" + b"\0" * 15) + copy(1, 0, 1), slot(1, 0, 4) + b"\0" * 32, data[:4])
    seeds["manifest-copy-misplaced"] = frame(copy(3, 0, 1) + copy(0, 0, 0), slot(1, 0, 4), data[:4])
    seeds["manifest-nonce-tie"] = frame(copy(5, 0, 1) + copy(5, 0, 2), slot(1, 0, 4) + slot(2, 4, 4), data[:8])
    seeds["manifest-longer-than-64"] = frame(manifest(2, 0, 1) + b"\xff" * 16, slot(1, 0, 4), data[:4])
    seeds["table-size-invalid"] = frame(manifest(1, 0, 1), slot(1, 0, 4) + b"\0" * 7, data[:4])
    seeds["table-empty"] = frame(manifest(1, 0, 0), b"", data[:4])
    seeds["table-len-exceeds-capacity"] = frame(manifest(1, 0, 3), slot(1, 0, 4) + slot(2, 4, 4), data[:8])
    seeds["table-len-huge"] = frame(manifest(1, 0, 0xFFFFFFFF), slot(1, 0, 4), data[:4])
    seeds["entry-out-of-bounds"] = frame(manifest(1, 0, 2), slot(1, 0, 4) + slot(2, 4, 100), data[:8])
    seeds["entry-offset-overflow"] = frame(manifest(1, 0, 2), slot(1, 0, 4) + slot(2, 0xFFFFFFF0, 0x20), data[:8])
    seeds["entry-len-max"] = frame(manifest(1, 0, 1), slot(1, 1, 0xFFFFFFFF), data[:8])
    seeds["entries-overlap"] = frame(
        manifest(1, 0, 3), slot(1, 0, 10) + slot(2, 5, 10) + slot(3, 15, 1), data[:16])
    seeds["entries-same-range"] = frame(manifest(1, 0, 2), slot(1, 3, 4) + slot(2, 3, 4), data[:8])
    seeds["zero-key"] = frame(manifest(1, 0, 2), slot(0, 0, 4) + slot(2, 4, 4), data[:8])
    seeds["duplicate-key"] = frame(manifest(1, 0, 3), slot(7, 0, 4) + slot(7, 4, 4) + slot(8, 8, 1), data[:9])
    seeds["tombstone-clean"] = frame(manifest(1, 0, 2), slot(0, TOMB, 0) + slot(2, 4, 4), data[:8])
    seeds["tombstone-dirty"] = frame(manifest(1, 0, 2), slot(9, TOMB, 5) + slot(2, 4, 4), data[:8])
    # The reference writer's wrap-around after a tombstone: a later append at
    # offset 0 overwrites a live entry.
    seeds["tombstone-wraparound"] = frame(
        manifest(3, 0, 3), slot(1, 0, 8) + slot(0, TOMB, 0) + slot(3, 0xFFFFFFFF & (TOMB + 1), 6), data[:8])
    seeds["uncommitted-intact"] = frame(manifest(1, 0, 1), slot(1, 0, 4) + slot(2, 4, 4) + slot(3, 8, 4), data[:12])
    seeds["uncommitted-out-of-bounds"] = frame(manifest(1, 0, 1), slot(1, 0, 4) + slot(2, 4, 400), data[:8])
    seeds["uncommitted-same-key"] = frame(manifest(1, 0, 1), slot(1, 0, 4) + slot(1, 4, 4), data[:8])
    seeds["pack-tail-garbage"] = frame(manifest(1, 0, 1), slot(1, 0, 4) + b"\0" * 32, data[:4] + b"\xaa" * 20)
    seeds["pack-empty"] = frame(manifest(1, 0, 1), slot(1, 0, 0), b"")
    seeds["other-generation"] = frame(manifest(6, 7, 1), slot(1, 0, 4), data[:4])
    return seeds


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    os.makedirs(out, exist_ok=True)
    seeds = crafted()
    for name in ["basic", "compacted", "empty", "tombstones"]:
        seeds["fixture-" + name] = shard_dir_seed(os.path.join(DATA, name))
    store = os.path.join(DATA, "store")
    seeds["fixture-store-root"] = shard_dir_seed(store)
    # A few of the store's child shards.
    children = sorted(c for c in os.listdir(store) if os.path.isdir(os.path.join(store, c)))
    for child in children[:3]:
        seeds["fixture-store-" + child] = shard_dir_seed(os.path.join(store, child))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), out))


if __name__ == "__main__":
    main()
