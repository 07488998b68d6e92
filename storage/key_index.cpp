#include "key_index.h"

#include <algorithm>
#include <bit>

namespace shardscope {

void KeyIndex::clear()
{
    // The buckets are kept: the index is usually rebuilt at about the same
    // size (after a compaction or a reload), and fresh memory costs more
    // than clearing what is there.
    std::fill(m_buckets.begin(), m_buckets.end(), Bucket {});
    m_size = 0;
}

void KeyIndex::reserve(size_t count)
{
    // Load factor at most one half keeps linear probe runs short.
    const size_t wanted = std::bit_ceil(std::max<size_t>(16, count * 2));
    if (wanted > m_buckets.size())
        rehash(wanted);
}

void KeyIndex::rehash(size_t bucketCount)
{
    if (m_size == 0) { // nothing to carry over: the memory is reused
        m_buckets.assign(bucketCount, Bucket {});
        m_mask = bucketCount - 1;
        return;
    }
    auto old = std::move(m_buckets);
    m_buckets.assign(bucketCount, Bucket {});
    m_mask = bucketCount - 1;
    m_size = 0;
    for (const Bucket &b : old) {
        if (b.slotPlusOne != 0)
            insert(b.key, b.slotPlusOne - 1);
    }
}

std::optional<uint32_t> KeyIndex::find(const Key &key) const
{
    if (m_size == 0)
        return std::nullopt;
    for (size_t i = home(key);; i = (i + 1) & m_mask) {
        const Bucket &b = m_buckets[i];
        if (b.slotPlusOne == 0)
            return std::nullopt;
        if (b.key == key)
            return b.slotPlusOne - 1;
    }
}

bool KeyIndex::insert(const Key &key, uint32_t slot)
{
    if ((m_size + 1) * 2 > m_buckets.size())
        rehash(std::max<size_t>(16, m_buckets.size() * 2));
    for (size_t i = home(key);; i = (i + 1) & m_mask) {
        Bucket &b = m_buckets[i];
        if (b.slotPlusOne == 0) {
            b.key = key;
            b.slotPlusOne = slot + 1;
            ++m_size;
            return true;
        }
        if (b.key == key)
            return false;
    }
}

void KeyIndex::erase(const Key &key)
{
    if (m_size == 0)
        return;
    size_t i = home(key);
    while (true) {
        if (m_buckets[i].slotPlusOne == 0)
            return;
        if (m_buckets[i].key == key)
            break;
        i = (i + 1) & m_mask;
    }
    // Backward-shift deletion: pull later members of the probe run into the
    // hole so that lookups never stop early at it.
    size_t hole = i;
    for (size_t j = (hole + 1) & m_mask; m_buckets[j].slotPlusOne != 0; j = (j + 1) & m_mask) {
        const size_t h = home(m_buckets[j].key);
        const bool movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
        if (movable) {
            m_buckets[hole] = m_buckets[j];
            hole = j;
        }
    }
    m_buckets[hole] = Bucket {};
    --m_size;
}

} // namespace shardscope
