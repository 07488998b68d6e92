// In-memory lookup index: key -> first committed live slot. An open-addressing
// hash table, so exists and get cost one or two probes whatever the table
// size (the reference's bloom filters answer "maybe" for almost every key and
// end up scanning the whole table).
#pragma once

#include "huge_page_memory.h"
#include "key.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace shardscope {

class KeyIndex
{
public:
    void clear();
    void reserve(size_t count);
    [[nodiscard]] std::optional<uint32_t> find(const Key &key) const;
    // Keeps the slot already there when the key is present; returns false then.
    bool insert(const Key &key, uint32_t slot);
    void erase(const Key &key);
    [[nodiscard]] size_t size() const { return m_size; }

private:
    struct Bucket {
        Key key;
        uint32_t slotPlusOne = 0; // 0 marks an empty bucket
    };
    void rehash(size_t bucketCount);
    [[nodiscard]] size_t home(const Key &key) const { return KeyHash {}(key)&m_mask; }

    // A full table's index is a few MiB: huge pages (huge_page_memory.h).
    std::vector<Bucket, HugePageAllocator<Bucket>> m_buckets;
    size_t m_mask = 0;
    size_t m_size = 0;
};

} // namespace shardscope
