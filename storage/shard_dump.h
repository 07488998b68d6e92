// The dump of a shard as the reference reads it back: manifest fields, sizes,
// counts, and every committed slot with the sha256 of its data. The JSON form
// has the schema of the reference fixtures' .expect.json files.
#pragma once

#include "shard.h"

#include <string>

namespace shardscope {

struct ShardCounts {
    uint32_t live = 0;
    uint32_t tombstones = 0;
};

[[nodiscard]] ShardCounts countSlots(const Shard &shard);
[[nodiscard]] std::string dumpJson(const Shard &shard);
[[nodiscard]] std::string dumpText(const Shard &shard);
[[nodiscard]] std::string infoText(const Shard &shard);

} // namespace shardscope
