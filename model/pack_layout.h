// Where the bytes of a pack go: which slot owns each byte range, which bytes
// no live entry references any more, which were written but never committed,
// and which are claimed by more than one live entry. Built once from a shard
// (O(n log n) in the slots) so that a view can ask what lies at any pack
// offset in O(log n) without going back to the shard. Holds no reference to
// the shard: it stays valid after the shard is closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace shardscope {

class Shard;

class PackLayout
{
public:
    // Ordered by how much a person needs to see it: a picture that has to
    // merge several ranges into one pixel shows the greatest kind present.
    enum class Kind : uint8_t {
        Free, // past the furthest referenced byte: where the next appends go
        Dead, // below it but referenced by no entry: deleted or leaked data
        Live, // one committed live entry's data
        Uncommitted, // data of a slot past table_len that holds an entry
        Overlap, // claimed by two or more committed live entries
    };
    static constexpr int kKindCount = 5;

    // Overlapping ranges in damaged shards can be claimed by thousands of
    // slots; a range lists the lowest ones and counts the rest.
    static constexpr uint32_t kMaxListedSlots = 16;

    struct Range {
        uint64_t start = 0;
        uint64_t end = 0;
        Kind kind = Kind::Free;
        // How many slots the range belongs to; owners() lists at most
        // kMaxListedSlots of them, lowest first.
        uint32_t slotTotal = 0;
        uint32_t firstListed = 0; // index into the layout's slot list
        uint32_t listedCount = 0;

        [[nodiscard]] uint64_t length() const { return end - start; }
        [[nodiscard]] bool contains(uint64_t offset) const { return offset >= start && offset < end; }
    };

    // A slot whose [offset, offset+len) does not lie inside the pack.
    struct OutOfBounds {
        uint32_t slot = 0;
        uint32_t offset = 0;
        uint32_t len = 0;
        bool committed = true;
    };

    // The pack bytes of one entry that has some.
    struct Extent {
        uint32_t slot = 0;
        uint64_t start = 0;
        uint64_t end = 0;
        bool committed = true;
    };

    // One pixel column of a picture of the pack: the greatest kind among the
    // ranges it covers and the first range of that kind, which is what the
    // column stands for when someone points at it.
    struct Column {
        Kind kind = Kind::Free;
        size_t range = 0;
    };

    PackLayout() = default;

    [[nodiscard]] static PackLayout fromShard(const Shard &shard);

    [[nodiscard]] uint64_t packSize() const { return m_packSize; }
    // Sorted, disjoint, and together exactly [0, packSize()).
    [[nodiscard]] const std::vector<Range> &ranges() const { return m_ranges; }
    // The slots a range belongs to. Live: its slot. Overlap: the live slots
    // claiming it. Uncommitted: the uncommitted slots referencing it. Dead:
    // the committed tombstones that probably held it - a tombstone keeps no
    // offset, but writers append in slot order, so the data of a deleted
    // entry lies after that of the slot before it and before that of the slot
    // after it. Free: none.
    [[nodiscard]] std::span<const uint32_t> owners(const Range &range) const;
    // The slot a click on the range means: the lowest owner, or the one
    // tombstone a dead range can be traced to; nullopt otherwise.
    [[nodiscard]] std::optional<uint32_t> primarySlot(const Range &range) const;

    // Index of the range holding the byte at `offset`; nullopt past the pack.
    [[nodiscard]] std::optional<size_t> rangeAt(uint64_t offset) const;
    // The pack bytes of a slot (committed live or uncommitted, in bounds,
    // non-empty); nullopt for any other slot.
    [[nodiscard]] std::optional<Extent> extentOf(uint32_t slot) const;

    // Slot whose data does not fit in the pack, in slot order; they are in no
    // range.
    [[nodiscard]] const std::vector<OutOfBounds> &outOfBounds() const { return m_outOfBounds; }
    // Committed live entries of length 0: they own no byte and are in no range.
    [[nodiscard]] const std::vector<uint32_t> &emptyEntries() const { return m_emptyEntries; }

    [[nodiscard]] uint64_t bytesOf(Kind kind) const { return m_bytes[size_t(kind)]; }
    [[nodiscard]] uint32_t liveSlots() const { return m_liveSlots; }
    [[nodiscard]] uint32_t tombstoneSlots() const { return uint32_t(m_tombstones.size()); }
    [[nodiscard]] uint32_t uncommittedSlots() const { return m_uncommittedSlots; }

    // The pack cut into `count` columns of (nearly) equal byte spans for a
    // picture `count` pixels wide; O(count log n + n). Column i starts at
    // columnStart(i, count). Empty when the pack is empty or count < 1.
    [[nodiscard]] std::vector<Column> columns(int count) const;
    [[nodiscard]] uint64_t columnStart(int column, int count) const;
    // The column holding `offset` in a picture of `count` columns.
    [[nodiscard]] int columnOf(uint64_t offset, int count) const;

private:
    uint64_t m_packSize = 0;
    std::vector<Range> m_ranges;
    std::vector<uint32_t> m_listedSlots;
    struct StoredExtent {
        uint32_t slot;
        uint32_t offset;
        uint32_t len;
        bool committed;
    };
    std::vector<StoredExtent> m_extents; // by slot
    std::vector<OutOfBounds> m_outOfBounds;
    std::vector<uint32_t> m_emptyEntries;
    std::vector<uint32_t> m_tombstones; // committed, ascending
    uint64_t m_bytes[kKindCount] = {};
    uint32_t m_liveSlots = 0;
    uint32_t m_uncommittedSlots = 0;
};

} // namespace shardscope
