// How one fuzz input becomes the files of a shard. The framing is
// self-describing and short, so that the fuzzer spends its mutations on the
// files rather than on a container format:
//
//   byte 0      flags:
//                 bit 0 set: MF exists (when clear, the MF bytes below are
//                   still consumed but the shard has no MF: a fresh shard)
//                 bit 1 set: the table file does not exist (bytes consumed)
//                 bit 2 set: the pack file does not exist (bytes consumed)
//                 bit 3 set: another generation's files lie beside them
//                   (for the checker: the table's bytes and an empty pack)
//                 bit 4 set: a compaction's leftover temporary table
//   byte 1      M, the length of MF in bytes (0..255)
//   bytes 2..3  T, the length of the table file in bytes, u16 little-endian
//   M bytes     MF
//   T bytes     the table of the generation MF names
//   the rest    the pack of that generation
//
// An input that ends early gives shorter parts (a missing header byte counts
// as zero), so every byte string is a valid input. tests/fuzz/make_seeds.py
// writes this framing from shard directories.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fuzzing {

struct ShardFiles {
    bool hasManifest = false;
    bool hasTable = true;
    bool hasPack = true;
    bool staleGeneration = false;
    bool temporaryFile = false;
    std::vector<uint8_t> manifest;
    std::vector<uint8_t> table;
    std::vector<uint8_t> pack;
};

inline ShardFiles splitInput(const uint8_t *data, size_t size)
{
    auto header = [&](size_t i) -> size_t { return i < size ? data[i] : 0; };
    ShardFiles files;
    files.hasManifest = (header(0) & 1) != 0;
    files.hasTable = (header(0) & 2) == 0;
    files.hasPack = (header(0) & 4) == 0;
    files.staleGeneration = (header(0) & 8) != 0;
    files.temporaryFile = (header(0) & 16) != 0;
    const size_t manifestLen = header(1);
    const size_t tableLen = header(2) | header(3) << 8;
    size_t at = std::min<size_t>(size, 4);
    auto take = [&](size_t n) {
        n = std::min(n, size - at);
        std::vector<uint8_t> part(data + at, data + at + n);
        at += n;
        return part;
    };
    files.manifest = take(manifestLen);
    files.table = take(tableLen);
    files.pack = take(size - at);
    return files;
}

} // namespace fuzzing
