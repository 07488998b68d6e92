// What changed between two generations of one shard directory: the entries
// a compaction or a copy-on-write edit added, removed, moved or changed.
// Read-only: both generations' files are opened through the Directory and
// mapped PROT_READ; nothing is created, locked or written.
//
// Which slots are looked at. The manifest names a table_len for the current
// generation only; for it the committed slots [0, table_len) are compared
// (table_len capped at the capacity). Another generation has no table_len on
// disk any more (the manifest moved on), so for it every slot up to the
// table's capacity that is not blank (all 32 bytes zero) is compared: the
// slots its writer committed, plus any it wrote and never committed. Callers
// that know better (a test, a manifest copy still naming that generation)
// pass an explicit table_len instead.
//
// Only live entries count: tombstones are not entries. A key that occurs
// in more than one slot of a generation is taken from its first slot, as a
// lookup would; the later slots are counted in `shadowed`.
#pragma once

#include "directory.h"
#include "error.h"
#include "key.h"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace shardscope {

// Generations whose table and pack are both present as regular files,
// ascending. Other names in the directory (MF, child shards, temporaries,
// upper-case hex) are ignored.
[[nodiscard]] Result<std::vector<uint32_t>> listGenerations(const Directory &dir);

// The numbers are shown and filtered on: append only.
enum class DiffKind : uint8_t {
    Added, // the key is live only in the new generation
    Removed, // the key is live only in the old generation
    Moved, // same key and bytes, another slot or offset
    Changed, // same key, other bytes (or another length)
    Unchanged, // same key, bytes, slot and offset
    // A slot whose entry cannot be compared: its range lies outside its pack
    // or its key is zero. `problem` names the file and the byte.
    Damaged,
};
inline constexpr int kDiffKindCount = 6;
[[nodiscard]] const char *diffKindName(DiffKind kind);

struct DiffSlot {
    uint32_t slot = 0;
    uint32_t offset = 0;
    uint32_t len = 0;

    friend bool operator==(const DiffSlot &, const DiffSlot &) = default;
};

struct DiffEntry {
    DiffKind kind = DiffKind::Unchanged;
    Key key;
    std::optional<DiffSlot> oldSlot; // absent when Added (or Damaged only in the new generation)
    std::optional<DiffSlot> newSlot; // absent when Removed (or Damaged only in the old generation)
    std::optional<Error> problem; // set for Damaged only
};

struct GenerationDiff {
    uint32_t oldGeneration = 0;
    uint32_t newGeneration = 0;
    // How many slots of each table were looked at (table_len capped at the
    // capacity, or the capacity), and whether a table_len bounded them.
    uint32_t oldSlotsScanned = 0;
    uint32_t newSlotsScanned = 0;
    bool oldByTableLen = false;
    bool newByTableLen = false;
    // Sorted by key in the format's order; damaged zero-key slots come first.
    std::vector<DiffEntry> entries;
    std::array<uint32_t, kDiffKindCount> counts {};
    // Live slots whose key an earlier slot of the same generation already has.
    uint32_t shadowed = 0;

    [[nodiscard]] uint32_t count(DiffKind kind) const { return counts[size_t(kind)]; }
};

// Compares generation `oldGen` (the "old" side) with `newGen`. A table_len
// names the committed slots of a side; nullopt means every non-blank slot up
// to the capacity. Errors: the table or pack of a generation cannot be
// opened, or a table file is not a whole number of slots.
[[nodiscard]] Result<GenerationDiff> diffGenerations(const Directory &dir, uint32_t oldGen,
    std::optional<uint32_t> oldTableLen, uint32_t newGen, std::optional<uint32_t> newTableLen);

// The same with the rule above: the manifest's table_len for the current
// generation, all non-blank slots for any other (and for every generation
// when there is no MF).
[[nodiscard]] Result<GenerationDiff> diffGenerations(const Directory &dir, uint32_t oldGen, uint32_t newGen);

} // namespace shardscope
