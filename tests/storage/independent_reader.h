// A second, deliberately naive reader of the shard format, written from
// FORMAT.md alone. It shares no code and no headers with the storage library
// (plain C++, stdio), so the writer's tests can check what reached the disk
// without asking the writer's own decoder.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace independent {

using KeyBytes = std::array<uint8_t, 24>;
using Cid = std::array<uint8_t, 32>;

struct ManifestCopy {
    uint64_t nonce = 0;
    uint32_t gen = 0;
    uint32_t tableLen = 0;
};

struct Slot {
    uint32_t index = 0;
    KeyBytes key {};
    uint32_t offset = 0;
    uint32_t len = 0;
    bool tombstone = false; // offset == 0xFFFFFFFF
    bool inPack = false; // [offset, offset+len) lies inside the pack
    std::vector<uint8_t> data; // the bytes, for live slots inside the pack
};

struct ShardImage {
    bool hasManifest = false;
    ManifestCopy copies[2];
    int active = 0; // 0 = copy A (byte 0), 1 = copy B (byte 32)
    uint64_t nonce = 0;
    uint32_t gen = 0;
    uint32_t tableLen = 0;
    uint64_t capacity = 0; // table file size / 32
    uint64_t packSize = 0;
    std::vector<Slot> entries; // the committed ones: [0, min(table_len, capacity))

    // The first committed live slot with this key, as a lookup answers.
    [[nodiscard]] const Slot *find(const KeyBytes &key) const;
};

// Reads the shard in `dir`; false and a message on any format error.
bool readShard(const std::string &dir, ShardImage &out, std::string &error);
// Reads one generation's table and pack with an explicit slot count (for
// looking at the files of a generation that is no longer current).
bool readGeneration(const std::string &dir, uint32_t gen, uint32_t count, ShardImage &out, std::string &error);

// Keys order word by word, each word a little-endian u64, word 0 first.
int compareKeys(const KeyBytes &a, const KeyBytes &b);
std::string hex(const uint8_t *bytes, size_t n);

// The store's get: look in each shard along the content ID's path, root
// first, until the key is found or the next child directory does not exist.
// nullopt in `out` when the blob is not stored.
bool storeGet(
    const std::string &root, const Cid &cid, std::optional<std::vector<uint8_t>> &out, int &depth, std::string &error);

} // namespace independent
