#include "shard_changes.h"

#include <algorithm>
#include <unordered_set>

namespace shardscope {

namespace {

Error keyError(ErrorKind kind, const Shard &shard, const Key &key, const std::string &what)
{
    return Error {kind, shard.path(), std::nullopt, "key " + key.toHex() + ": " + what};
}

} // namespace

Result<void> validateChanges(const Shard &shard, const ShardChanges &changes)
{
    std::unordered_set<Key, KeyHash> deleted;
    deleted.reserve(changes.deletes.size());
    for (const Key &key : changes.deletes) {
        if (key.isZero())
            return std::unexpected(keyError(ErrorKind::Invalid, shard, key, "the all-zero key is not a valid key"));
        if (!deleted.insert(key).second)
            return std::unexpected(keyError(ErrorKind::Invalid, shard, key, "deleted twice in one change set"));
        if (!shard.exists(key))
            return std::unexpected(
                keyError(ErrorKind::NotFound, shard, key, "no live entry holds it; nothing to delete"));
    }

    std::unordered_set<Key, KeyHash> appended;
    appended.reserve(changes.appends.size());
    uint64_t bytes = 0;
    for (const StagedAppend &a : changes.appends) {
        if (a.key.isZero())
            return std::unexpected(keyError(ErrorKind::Invalid, shard, a.key, "the all-zero key is not a valid key"));
        if (!appended.insert(a.key).second)
            return std::unexpected(keyError(ErrorKind::Invalid, shard, a.key, "appended twice in one change set"));
        if (!deleted.contains(a.key) && shard.exists(a.key))
            return std::unexpected(keyError(ErrorKind::Invalid, shard, a.key, "a live entry already holds it"));
        bytes += a.data.size();
    }

    const uint64_t capacity = shard.capacity();
    const uint64_t used = shard.tableLen();
    const uint64_t freeSlots = capacity > used ? capacity - used : 0;
    // Offsets and lengths are u32 and 0xFFFFFFFF marks a tombstone, so a pack
    // takes entries only below that, however large its file is.
    const uint64_t limit = std::min<uint64_t>(shard.packSize(), kTombstoneOffset);
    const uint64_t freeBytes = limit > shard.nextOffset() ? limit - shard.nextOffset() : 0;
    if (changes.appends.size() > freeSlots || bytes > freeBytes) {
        const bool table = changes.appends.size() > freeSlots;
        return fail(ErrorKind::Full, shard.path(),
            std::string(table ? "table" : "pack") + " is too small for the changes: "
                + std::to_string(changes.appends.size()) + " appends of " + std::to_string(bytes) + " bytes, but "
                + std::to_string(freeSlots) + " table slots and " + std::to_string(freeBytes) + " pack bytes are free");
    }
    return {};
}

Result<CommitResult> commitChanges(Shard &shard, const ShardChanges &changes, const CompactionProgressFn &)
{
    if (auto ok = validateChanges(shard, changes); !ok)
        return std::unexpected(ok.error());
    return fail(ErrorKind::Invalid, shard.path(), "committing changes is not implemented yet");
}

Result<void> commitStoreChanges(Store &store, const StoreChanges &)
{
    return fail(ErrorKind::Invalid, store.path(), "committing store changes is not implemented yet");
}

} // namespace shardscope
