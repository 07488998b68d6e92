// Staged edits of a shard or a store, committed as one change: the one write
// path the editor and the command line share. A change set with only appends
// is written in place past the committed end and committed by the manifest;
// one with any delete is written copy-on-write as a new generation that keeps
// the layout (DURABILITY.md, rule 1: the files the active manifest copy names
// are never modified except past the committed end). Either way the shard
// holds exactly the old set or exactly the new set after a crash.
#pragma once

#include "error.h"
#include "key.h"
#include "shard.h"
#include "store.h"

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace shardscope {

struct StagedAppend {
    Key key;
    std::vector<uint8_t> data;
};

struct ShardChanges {
    std::vector<StagedAppend> appends; // in staging order
    std::vector<Key> deletes; // keys of live committed entries
    [[nodiscard]] bool empty() const { return appends.empty() && deletes.empty(); }
};

enum class CommitMethod { InPlace, NewGeneration };

struct CommitResult {
    CommitMethod method = CommitMethod::InPlace;
    uint32_t oldGeneration = 0, newGeneration = 0;
    uint32_t appended = 0, deleted = 0;
    // A new generation was committed, but the replaced generation's files
    // could not all be removed (they are harmless beside it; a later commit
    // or compaction picks a generation number past them).
    std::optional<Error> retireError;
};

// No writes. Errors name the key: zero key, key already live, key appended
// twice, delete of a key that is not live (or deleted twice), and Full when
// the table or the pack cannot hold the appends (the message says how much is
// free). A key both deleted and appended in one change set is a replacement:
// its old slot becomes a tombstone and the new one is the live one.
[[nodiscard]] Result<void> validateChanges(const Shard &shard, const ShardChanges &changes);

// The one write path for edits. The shard must be writable and have no
// unflushed changes. Nothing changes when validation fails; any error before
// the manifest flip leaves the shard exactly as it was. After success the
// shard object shows the committed state (for a new generation, its files).
[[nodiscard]] Result<CommitResult> commitChanges(
    Shard &shard, const ShardChanges &changes, const CompactionProgressFn &progress = {});

// Store: puts and deletes by content id, grouped per shard (each shard is
// all-old or all-new; there is no atomicity across shards), creating child
// shards where the reference would. A content id both deleted and put is a
// replacement: its entry becomes a tombstone and the new bytes go where a
// put of it would.
struct StoreChanges {
    std::vector<std::pair<ContentId, std::vector<uint8_t>>> puts;
    std::vector<ContentId> deletes;
};

[[nodiscard]] Result<void> commitStoreChanges(Store &store, const StoreChanges &changes);

// Where a store change set would put each blob and take each removal from,
// planned exactly as commitStoreChanges plans it, without writing: the
// removals, then the puts, each in the order given. Fails as the commit would fail before it
// writes (a refused change, a full store, a read-only store).
struct StorePlacement {
    enum class Kind {
        Put, // an entry appended to an existing shard
        PutIntoNewShard, // a shard the commit makes: a new child, or a directory without MF
        AlreadyStored, // the blob is there already: nothing is written for it
        Delete, // the entry that becomes a tombstone
    };
    ContentId cid {};
    std::string relPath; // the shard ("" for the root)
    Kind kind = Kind::Put;
};
[[nodiscard]] Result<std::vector<StorePlacement>> placeStoreChanges(Store &store, const StoreChanges &changes);
// The same from sizes alone: where a put goes depends on its size, not its
// bytes, so a placement asked for ahead copies no data.
struct PlannedPut {
    ContentId cid {};
    uint64_t size = 0;
};
[[nodiscard]] Result<std::vector<StorePlacement>> placeStoreChanges(
    Store &store, std::span<const ContentId> deletes, std::span<const PlannedPut> puts);

} // namespace shardscope
