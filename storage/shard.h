// A shard: one directory holding MF and the table and pack of the current
// generation. Opened read-only it never creates, truncates, locks or changes a
// file, and maps everything PROT_READ. Opened for writing it takes the shard's
// write lock (shard_lock.h) and holds it for its life, and mirrors the
// reference writer (append, delete, flush, compaction) without its defects.
// A Shard is not thread-safe.
#pragma once

#include "directory.h"
#include "entry.h"
#include "error.h"
#include "format.h"
#include "key_index.h"
#include "manifest.h"
#include "shard_file.h"
#include "shard_lock.h"

#include <functional>
#include <optional>
#include <span>
#include <string>

namespace shardscope {

struct ShardGeometry {
    uint32_t tableSlots = kDefaultTableSlots;
    uint32_t packSize = kDefaultPackSize;

    // Invalid error when the sizes cannot make a table and pack.
    [[nodiscard]] Result<void> validate(const std::string &path) const;
};

// Live bytes up to this are assembled in memory for a copy into a new
// generation and written with large writes; a larger pack is gathered from
// the old pack's mapping a piece at a time instead, with memory bounded by
// the page cache (generation_writer.cpp).
inline constexpr uint64_t kDefaultCopyMemoryLimit = uint64_t(256) << 20;

struct CompactionOptions {
    // Sizes of the new generation; the current ones when unset.
    std::optional<uint32_t> tableSlots;
    std::optional<uint32_t> packSize;
    // Most live bytes the copy assembles in memory (kDefaultCopyMemoryLimit
    // when unset); 0 always gathers from the mapping.
    std::optional<uint64_t> copyMemoryLimit;
};

struct CompactionProgress {
    uint64_t entriesDone = 0;
    uint64_t entriesTotal = 0;
    uint64_t bytesDone = 0;
    uint64_t bytesTotal = 0;
};

// Return false to cancel; honoured up to the manifest flip.
using CompactionProgressFn = std::function<bool(const CompactionProgress &)>;

struct CompactionResult {
    uint32_t oldGeneration = 0;
    uint32_t newGeneration = 0;
    uint32_t entries = 0;
    uint32_t tombstonesDropped = 0;
    uint64_t bytesCopied = 0;
    uint64_t bytesReclaimed = 0; // pack bytes of the old generation no longer referenced
};

struct ShardChanges;
struct CommitResult;

class Shard
{
public:
    [[nodiscard]] static Result<Shard> openReadOnly(const std::string &path);
    // An existing shard (its current table and pack present) for writing.
    [[nodiscard]] static Result<Shard> openForWriting(const std::string &path);
    // Like the reference Hydrate: the directory must exist; the current
    // generation's table and pack are created at the given sizes if missing.
    [[nodiscard]] static Result<Shard> hydrate(const std::string &path, ShardGeometry geometry = {});
    // The same over a directory already open (a store's child shard, reached
    // without following links).
    enum class Access { ReadOnly, ReadWrite };
    [[nodiscard]] static Result<Shard> open(Directory dir, Access access, const ShardGeometry *create = nullptr);
    // Over bytes that did not come from a directory (tests, fuzzing); read-only.
    [[nodiscard]] static Result<Shard> fromBytes(
        std::vector<uint8_t> manifest, std::vector<uint8_t> table, std::vector<uint8_t> pack);

    Shard(Shard &&) noexcept;
    Shard &operator=(Shard &&) noexcept;
    ~Shard();

    [[nodiscard]] const std::string &path() const { return m_path; }
    [[nodiscard]] bool writable() const { return m_writable; }

    // The manifest as loaded (nullopt when there is no MF) and its active copy.
    [[nodiscard]] const std::optional<ManifestCopies> &manifestCopies() const { return m_manifest; }
    [[nodiscard]] Manifest manifest() const;
    [[nodiscard]] uint32_t generation() const { return m_gen; }
    // Slots in use: the committed table_len as stored (it may exceed the
    // capacity in damaged shards), plus appends not yet flushed.
    [[nodiscard]] uint32_t tableLen() const { return m_tableLen; }
    // The slots readers look at: min(tableLen, capacity).
    [[nodiscard]] uint32_t slotCount() const;
    [[nodiscard]] uint32_t capacity() const { return m_table.capacity(); }
    [[nodiscard]] uint64_t packSize() const { return m_pack.size(); }
    // Where the next append lands: the end of the last live entry.
    [[nodiscard]] uint64_t nextOffset() const { return m_nextOffset; }
    [[nodiscard]] bool dirty() const { return m_dirty; }

    // The files as they are on disk; a writable shard may hold appends not yet
    // written to them (see entry() and data(), which see those too).
    [[nodiscard]] const Table &table() const { return m_table; }
    [[nodiscard]] const Pack &pack() const { return m_pack; }

    // Precondition: slot < capacity().
    [[nodiscard]] Entry entry(uint32_t slot) const
    {
        if (slot >= m_pendingSlotsStart && slot - m_pendingSlotsStart < m_pendingSlots.size())
            return m_pendingSlots[slot - m_pendingSlotsStart];
        return m_table.slot(slot);
    }
    // The entry's bytes; a Corrupt error naming the pack and offset when the
    // range is outside it, an Invalid one for a tombstone.
    [[nodiscard]] Result<std::span<const uint8_t>> data(const Entry &entry) const;

    // First live slot among slotCount() with this key.
    [[nodiscard]] std::optional<uint32_t> find(const Key &key) const;
    [[nodiscard]] bool exists(const Key &key) const { return find(key).has_value(); }
    // The bytes stay valid until the shard next changes, is closed or moved.
    [[nodiscard]] Result<std::optional<std::span<const uint8_t>>> get(const Key &key) const;

    [[nodiscard]] bool hasSpace(uint64_t dataLen) const;
    // false when a live slot already holds the key; a Full error when table or
    // pack has no room; nothing at all changes on any failure.
    [[nodiscard]] Result<bool> append(const Key &key, std::span<const uint8_t> data);
    // Tombstones the first live slot with the key; false when there is none.
    [[nodiscard]] Result<bool> remove(const Key &key);
    // Syncs pack and table, then commits by saving the inactive manifest copy.
    [[nodiscard]] Result<void> flush();

    // Copies the live committed entries, sorted by key, into generation gen+1
    // and commits it. The shard must have no unflushed changes. The old
    // generation's files stay until removeGeneration().
    [[nodiscard]] Result<CompactionResult> compact(
        const CompactionOptions &options = {}, const CompactionProgressFn &progress = {});
    // Removes the table and pack of a generation that is not current.
    [[nodiscard]] Result<void> removeGeneration(uint32_t gen);

private:
    // The copy-on-write commit of a change set with deletes (shard_changes.cpp).
    friend Result<CommitResult> commitChanges(Shard &, const ShardChanges &, const CompactionProgressFn &);
    [[nodiscard]] Result<CommitResult> commitNewGeneration(
        const ShardChanges &changes, const CompactionProgressFn &progress);
    // Drops appends not yet flushed from memory, back to the committed state
    // (what they wrote lies past the committed end). Not for deletes, which
    // write their tombstone in place.
    [[nodiscard]] Result<void> discardUncommitted();

    Shard(std::optional<Directory> dir, std::string path, Table table, Pack pack);
    [[nodiscard]] static Result<Shard> open(const std::string &path, Access access, const ShardGeometry *create);
    [[nodiscard]] Result<void> scanCommitted();
    void ensureIndex() const;
    // Writes buffered appends to the pack and table (not yet synced).
    [[nodiscard]] Result<void> writePending();
    [[nodiscard]] Result<void> refuseIfFailed() const;

    // Held by writable shards only; declared first so that it is released
    // last, after every file of the shard is closed.
    std::optional<ShardLock> m_lock;
    std::optional<Directory> m_dir;
    std::string m_path;
    Table m_table;
    Pack m_pack;
    std::optional<ManifestCopies> m_manifest;
    uint32_t m_gen = 0;
    uint32_t m_tableLen = 0;
    uint64_t m_nextOffset = 0;
    bool m_writable = false;
    bool m_dirty = false;
    // Set when a write failed: what is on disk past the commit point is then
    // unknown, so nothing more is written or committed (DURABILITY.md, rule 7).
    std::optional<Error> m_failure;

    // Appends are gathered here and written in batches, one pwrite for many
    // entries; they are uncommitted until flush() either way.
    uint32_t m_pendingSlotsStart = 0;
    std::vector<Entry> m_pendingSlots;
    uint64_t m_pendingPackStart = 0;
    std::vector<uint8_t> m_pendingPack;

    mutable KeyIndex m_index;
    mutable bool m_indexBuilt = false;
    mutable bool m_indexHasDuplicates = false;
};

} // namespace shardscope
