// The figures of a shard the status bar shows, computed once when a shard is
// opened so the view does not rescan the table on every repaint.
#pragma once

#include <QString>

#include <cstdint>

namespace shardscope {

class Shard;

struct ShardSummary {
    bool valid = false;
    uint32_t generation = 0;
    uint64_t nonce = 0;
    uint32_t tableLen = 0; // as the manifest says; may exceed the capacity in damaged shards
    uint32_t capacity = 0;
    uint32_t live = 0;
    uint32_t tombstones = 0;
    uint64_t packUsed = 0;
    uint64_t packSize = 0;

    // Scans the committed slots once.
    [[nodiscard]] static ShardSummary fromShard(const Shard &shard);

    [[nodiscard]] bool isValid() const { return valid; }
    // Share of the pack below the next append offset, 0..100.
    [[nodiscard]] double packFillPercent() const;
    // One line for the status bar; empty for an invalid summary.
    [[nodiscard]] QString text() const;
};

} // namespace shardscope
