#include "pack_layout.h"

#include "shard.h"

#include <algorithm>
#include <memory_resource>
#include <set>

namespace shardscope {

namespace {

// Column arithmetic multiplies a 64-bit pack size by a pixel count.
__extension__ typedef unsigned __int128 Wide;

// A sweep event packed into one integer so that a million entries sort as
// plain numbers: position (33 bits: offset + len < 2^33), then ends before
// starts at the same position (ranges are half-open, so an entry that begins
// where another ends does not overlap it), then the slot (below 2^27: a
// table file holds at most 2^32 / 32 slots).
constexpr int kSlotBits = 27;
constexpr uint64_t kSlotMask = (uint64_t(1) << kSlotBits) - 1;

constexpr uint64_t packEvent(uint64_t pos, bool start, uint32_t slot)
{
    return pos << (kSlotBits + 1) | uint64_t(start) << kSlotBits | slot;
}
constexpr uint64_t eventPos(uint64_t ev)
{
    return ev >> (kSlotBits + 1);
}
constexpr bool eventIsStart(uint64_t ev)
{
    return (ev >> kSlotBits) & 1;
}
constexpr uint32_t eventSlot(uint64_t ev)
{
    return uint32_t(ev & kSlotMask);
}
static_assert(uint64_t(0xFFFFFFFFu) / 32 <= kSlotMask);

// The slots owning the bytes under the sweep, lowest first. Nearly always
// zero, one or two slots: a sorted vector then beats any tree. Damaged
// shards can stack thousands of entries on the same bytes, so past a few
// dozen it moves into a tree, whose nodes come from a pool.
class OwnerSet
{
public:
    explicit OwnerSet(std::pmr::memory_resource *pool) : m_tree(pool) { }

    void insert(uint32_t slot)
    {
        if (m_inTree) {
            m_tree.insert(slot);
            return;
        }
        m_small.insert(std::lower_bound(m_small.begin(), m_small.end(), slot), slot);
        if (m_small.size() > kSmall) {
            m_tree.insert(m_small.begin(), m_small.end());
            m_small.clear();
            m_inTree = true;
        }
    }
    void erase(uint32_t slot)
    {
        if (m_inTree) {
            m_tree.erase(slot);
            if (m_tree.empty())
                m_inTree = false;
            return;
        }
        auto it = std::lower_bound(m_small.begin(), m_small.end(), slot);
        if (it != m_small.end() && *it == slot)
            m_small.erase(it);
    }
    [[nodiscard]] size_t size() const { return m_inTree ? m_tree.size() : m_small.size(); }
    [[nodiscard]] bool empty() const { return size() == 0; }
    // The lowest `n` slots, n <= size().
    template<typename F> void forLowest(size_t n, F &&f) const
    {
        if (m_inTree) {
            auto it = m_tree.begin();
            for (size_t i = 0; i < n; ++i, ++it)
                f(i, *it);
        } else {
            for (size_t i = 0; i < n; ++i)
                f(i, m_small[i]);
        }
    }

private:
    static constexpr size_t kSmall = 48;
    std::vector<uint32_t> m_small;
    std::pmr::set<uint32_t> m_tree;
    bool m_inTree = false;
};

} // namespace

PackLayout PackLayout::fromShard(const Shard &shard)
{
    PackLayout layout;
    layout.m_packSize = shard.packSize();
    const uint64_t packSize = layout.m_packSize;
    const uint32_t committed = shard.slotCount();
    const uint32_t capacity = shard.capacity();

    auto consider = [&](uint32_t slot, bool isCommitted) {
        const Entry e = shard.entry(slot);
        if (e.isTombstone()) {
            if (isCommitted)
                layout.m_tombstones.push_back(slot);
            return;
        }
        if (!isCommitted && e.isBlank())
            return;
        if (isCommitted)
            ++layout.m_liveSlots;
        else
            ++layout.m_uncommittedSlots;
        if (e.end() > packSize) {
            layout.m_outOfBounds.push_back({slot, e.offset, e.len, isCommitted});
            return;
        }
        if (e.len == 0) {
            if (isCommitted)
                layout.m_emptyEntries.push_back(slot);
            return;
        }
        layout.m_extents.push_back({slot, e.offset, e.len, isCommitted});
    };
    // Reserved address space costs nothing until it is written, and on some
    // machines first writes to fresh pages are what a big layout spends its
    // time on: growing by copying would write everything twice.
    layout.m_extents.reserve(size_t(committed) + (capacity - std::min(capacity, shard.tableLen())));
    for (uint32_t slot = 0; slot < committed; ++slot)
        consider(slot, true);
    // Past table_len only what a writer put there counts; with table_len
    // beyond the capacity (a reference defect) no slot is uncommitted.
    for (uint32_t slot = shard.tableLen(); slot < capacity; ++slot)
        consider(slot, false);

    std::vector<uint64_t> events;
    events.reserve(2 * layout.m_extents.size());
    for (const StoredExtent &x : layout.m_extents) {
        events.push_back(packEvent(x.offset, true, x.slot));
        events.push_back(packEvent(uint64_t(x.offset) + x.len, false, x.slot));
    }
    std::sort(events.begin(), events.end());
    layout.m_ranges.reserve(2 * layout.m_extents.size() + 2);
    // Slots past table_len are uncommitted, and they all follow the committed ones.
    const uint32_t firstUncommitted = committed;

    std::pmr::unsynchronized_pool_resource pool;
    using Owners = OwnerSet;
    Owners live(&pool);
    Owners uncommitted(&pool);

    auto addRange = [&](Kind kind, uint64_t start, uint64_t end, const Owners *owners) {
        const auto total = owners ? uint32_t(owners->size()) : 0u;
        const uint32_t listed = std::min(total, kMaxListedSlots);
        // A range only ends where its owners change: an uncommitted entry
        // starting inside a live one splits the sweep, not the range.
        if (!layout.m_ranges.empty()) {
            Range &last = layout.m_ranges.back();
            bool same = last.kind == kind && last.end == start && last.slotTotal == total;
            if (same && owners) {
                owners->forLowest(listed, [&](size_t i, uint32_t slot) {
                    same = same && layout.m_listedSlots[last.firstListed + i] == slot;
                });
            }
            if (same) {
                last.end = end;
                return;
            }
        }
        Range r;
        r.start = start;
        r.end = end;
        r.kind = kind;
        r.slotTotal = total;
        r.firstListed = uint32_t(layout.m_listedSlots.size());
        r.listedCount = listed;
        if (owners)
            owners->forLowest(listed, [&](size_t, uint32_t slot) { layout.m_listedSlots.push_back(slot); });
        layout.m_ranges.push_back(r);
    };

    auto addDead = [&](uint64_t start, uint64_t end, std::optional<uint32_t> before, uint32_t after) {
        // Tombstones strictly between the slot whose data ends where the gap
        // begins and the slot whose data begins where it ends.
        const auto &tomb = layout.m_tombstones;
        auto first = before ? std::upper_bound(tomb.begin(), tomb.end(), *before) : tomb.begin();
        auto last = std::lower_bound(tomb.begin(), tomb.end(), after);
        Range r;
        r.start = start;
        r.end = end;
        r.kind = Kind::Dead;
        r.firstListed = uint32_t(layout.m_listedSlots.size());
        if (first < last) {
            r.slotTotal = uint32_t(last - first);
            r.listedCount = std::min(r.slotTotal, kMaxListedSlots);
            layout.m_listedSlots.insert(layout.m_listedSlots.end(), first, first + r.listedCount);
        }
        layout.m_ranges.push_back(r);
    };

    // The gap being walked through, if the sweep is in one.
    std::optional<uint64_t> gapStart
        = events.empty() || eventPos(events.front()) == 0 ? std::nullopt : std::optional<uint64_t>(0);
    std::optional<uint32_t> gapBefore;

    size_t i = 0;
    while (i < events.size()) {
        const uint64_t pos = eventPos(events[i]);
        std::optional<uint32_t> endedHere;
        std::optional<uint32_t> startedHere;
        for (; i < events.size() && eventPos(events[i]) == pos; ++i) {
            const uint32_t slot = eventSlot(events[i]);
            auto &owners = slot < firstUncommitted ? live : uncommitted;
            if (eventIsStart(events[i])) {
                owners.insert(slot);
                startedHere = startedHere ? std::min(*startedHere, slot) : slot;
            } else {
                owners.erase(slot);
                endedHere = endedHere ? std::max(*endedHere, slot) : slot;
            }
        }
        if (gapStart && startedHere) {
            if (*gapStart < pos)
                addDead(*gapStart, pos, gapBefore, *startedHere);
            gapStart.reset();
        }
        if (i == events.size())
            break; // every entry has ended: the rest is free
        const uint64_t next = eventPos(events[i]);
        if (live.size() >= 2)
            addRange(Kind::Overlap, pos, next, &live);
        else if (live.size() == 1)
            addRange(Kind::Live, pos, next, &live);
        else if (!uncommitted.empty())
            addRange(Kind::Uncommitted, pos, next, &uncommitted);
        else {
            gapStart = pos;
            gapBefore = endedHere;
        }
    }

    const uint64_t used = events.empty() ? 0 : eventPos(events.back());
    if (used < packSize)
        addRange(Kind::Free, used, packSize, nullptr);

    for (const Range &r : layout.m_ranges)
        layout.m_bytes[size_t(r.kind)] += r.length();
    return layout;
}

std::span<const uint32_t> PackLayout::owners(const Range &range) const
{
    return std::span<const uint32_t>(m_listedSlots).subspan(range.firstListed, range.listedCount);
}

std::optional<uint32_t> PackLayout::primarySlot(const Range &range) const
{
    switch (range.kind) {
    case Kind::Free:
        return std::nullopt;
    case Kind::Dead:
        // Several candidates would be a guess among guesses.
        if (range.slotTotal != 1)
            return std::nullopt;
        break;
    case Kind::Live:
    case Kind::Uncommitted:
    case Kind::Overlap:
        break;
    }
    if (range.listedCount == 0)
        return std::nullopt;
    return m_listedSlots[range.firstListed];
}

std::optional<size_t> PackLayout::rangeAt(uint64_t offset) const
{
    if (offset >= m_packSize || m_ranges.empty())
        return std::nullopt;
    auto it = std::upper_bound(
        m_ranges.begin(), m_ranges.end(), offset, [](uint64_t o, const Range &r) { return o < r.start; });
    if (it == m_ranges.begin())
        return std::nullopt;
    --it;
    if (!it->contains(offset))
        return std::nullopt;
    return size_t(it - m_ranges.begin());
}

std::optional<PackLayout::Extent> PackLayout::extentOf(uint32_t slot) const
{
    auto it = std::lower_bound(
        m_extents.begin(), m_extents.end(), slot, [](const StoredExtent &e, uint32_t s) { return e.slot < s; });
    if (it == m_extents.end() || it->slot != slot)
        return std::nullopt;
    return Extent {it->slot, it->offset, uint64_t(it->offset) + it->len, it->committed};
}

uint64_t PackLayout::columnStart(int column, int count) const
{
    if (count < 1 || column <= 0)
        return 0;
    if (column >= count)
        return m_packSize;
    return uint64_t(Wide(column) * m_packSize / unsigned(count));
}

int PackLayout::columnOf(uint64_t offset, int count) const
{
    if (count < 1 || m_packSize == 0)
        return 0;
    // The last column i with floor(i * size / count) <= offset, that is
    // i * size < (offset + 1) * count.
    const Wide limit = (Wide(offset) + 1) * unsigned(count);
    const Wide i = (limit + m_packSize - 1) / m_packSize - 1;
    return int(std::min<Wide>(i, Wide(count - 1)));
}

std::vector<PackLayout::Column> PackLayout::columns(int count) const
{
    std::vector<Column> out;
    if (count < 1 || m_packSize == 0 || m_ranges.empty())
        return out;
    out.resize(size_t(count));
    for (int c = 0; c < count; ++c) {
        const uint64_t start = columnStart(c, count);
        // A pack smaller than the picture gives some columns no byte of
        // their own; they show the byte they start on.
        const uint64_t end = std::max(columnStart(c + 1, count), std::min(start + 1, m_packSize));
        size_t r = rangeAt(std::min(start, m_packSize - 1)).value_or(0);
        Column best {m_ranges[r].kind, r};
        for (++r; r < m_ranges.size() && m_ranges[r].start < end; ++r) {
            if (m_ranges[r].kind > best.kind)
                best = {m_ranges[r].kind, r};
        }
        out[size_t(c)] = best;
    }
    return out;
}

} // namespace shardscope
