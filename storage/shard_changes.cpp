#include "shard_changes.h"

#include "generation_writer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
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
    // Worded like a single append's refusal, naming the file that lacks room
    // and where its free space starts, plus what the other file has free.
    if (changes.appends.size() > freeSlots) {
        const auto &table = shard.table().file().path();
        return fail(ErrorKind::Full, table.empty() ? shard.path() : table,
            "shard is full: " + std::to_string(changes.appends.size()) + " entries to append, "
                + std::to_string(freeSlots) + " of " + std::to_string(capacity) + " table slots free ("
                + std::to_string(freeBytes) + " pack bytes free)",
            used * kTableEntrySize);
    }
    if (bytes > freeBytes) {
        const auto &pack = shard.pack().file().path();
        return fail(ErrorKind::Full, pack.empty() ? shard.path() : pack,
            "shard is full: " + std::to_string(bytes) + " bytes to append, " + std::to_string(freeBytes)
                + " bytes free in the pack (" + std::to_string(freeSlots) + " table slots free)",
            shard.nextOffset());
    }
    return {};
}

namespace {

Error cancelledError(const std::string &path)
{
    return Error {ErrorKind::Cancelled, path, std::nullopt, "commit cancelled; the shard is unchanged"};
}

// Reads [offset, offset+expected.size()) of fd back and compares.
Result<void> verifyWritten(
    int fd, uint64_t offset, std::span<const uint8_t> expected, const std::string &path, std::vector<uint8_t> &buffer)
{
    while (!expected.empty()) {
        const size_t n = std::min(expected.size(), buffer.size());
        const std::span<uint8_t> part(buffer.data(), n);
        if (auto r = readAll(fd, part, offset, path); !r)
            return r;
        if (std::memcmp(part.data(), expected.data(), n) != 0)
            return fail(ErrorKind::Io, path, "bytes read back differ from the bytes written", offset);
        expected = expected.subspan(n);
        offset += n;
    }
    return {};
}

} // namespace

Result<void> Shard::discardUncommitted()
{
    m_pendingSlots.clear();
    m_pendingPack.clear();
    m_tableLen = manifest().tableLen;
    m_dirty = false;
    m_indexBuilt = false;
    if (auto r = scanCommitted(); !r)
        return r;
    ensureIndex();
    return {};
}

Result<CommitResult> Shard::commitNewGeneration(const ShardChanges &changes, const CompactionProgressFn &progress)
{
    const Directory &dir = *m_dir;
    CommitResult result;
    result.method = CommitMethod::NewGeneration;
    result.oldGeneration = m_gen;
    result.appended = uint32_t(changes.appends.size());
    result.deleted = uint32_t(changes.deletes.size());
    auto gen = nextFreeGeneration(dir, m_gen);
    if (!gen)
        return std::unexpected(gen.error());
    result.newGeneration = *gen;

    // The new table: the committed slots as they are, the deleted ones
    // tombstoned, the appended ones after them. Slots past that stay blank,
    // so nothing uncommitted of the old table is carried over.
    const uint32_t oldLen = m_tableLen;
    const uint32_t newLen = oldLen + uint32_t(changes.appends.size());
    std::vector<uint8_t> table(size_t(newLen) * kTableEntrySize);
    if (oldLen > 0) {
        auto committed = m_table.file().bytes().read(0, uint64_t(oldLen) * kTableEntrySize);
        if (!committed)
            return std::unexpected(committed.error());
        std::memcpy(table.data(), committed->data(), committed->size());
    }
    for (const Key &key : changes.deletes) {
        const auto slot = find(key);
        if (!slot)
            return fail(ErrorKind::NotFound, m_path, "key " + key.toHex() + ": no live entry holds it");
        Entry::tombstone().encodeTo(table.data() + size_t(*slot) * kTableEntrySize);
    }
    // The pack: every byte up to the next offset as it is (deleted entries'
    // bytes stay until compaction), then the appended data.
    const uint64_t copyLen = m_nextOffset;
    std::vector<uint8_t> appended;
    for (size_t i = 0; i < changes.appends.size(); ++i) {
        const StagedAppend &a = changes.appends[i];
        const Entry e {a.key, uint32_t(copyLen + appended.size()), uint32_t(a.data.size())};
        e.encodeTo(table.data() + (size_t(oldLen) + i) * kTableEntrySize);
        appended.insert(appended.end(), a.data.begin(), a.data.end());
    }

    CompactionProgress p {0, newLen, 0, copyLen + appended.size()};
    auto cancelled = [&]() { return progress && !progress(p); };
    // Asked once before any file exists, so an early cancel touches nothing.
    if (cancelled())
        return std::unexpected(cancelledError(m_path));

    NewGenerationFiles files(dir, *gen);
    if (auto r = files.create(m_table.file().size(), m_pack.size()); !r)
        return std::unexpected(r.error());
    const std::string &tablePath = files.tablePath();
    const std::string &packPath = files.packPath();

    if (auto r = writeAll(files.tableFd(), table, 0, tablePath); !r)
        return std::unexpected(r.error());
    auto oldPack = dir.openForReading(packFileName(m_gen));
    if (!oldPack)
        return std::unexpected(oldPack.error());
    constexpr uint64_t kChunk = uint64_t(16) << 20;
    for (uint64_t off = 0; off < copyLen; off += kChunk) {
        const uint64_t len = std::min(kChunk, copyLen - off);
        if (auto r = copyRange(oldPack->get(), off, files.packFd(), off, len, packPath); !r)
            return std::unexpected(r.error());
        p.bytesDone = off + len;
        if (cancelled())
            return std::unexpected(cancelledError(m_path));
    }
    if (auto r = writeAll(files.packFd(), appended, copyLen, packPath); !r)
        return std::unexpected(r.error());
    p.bytesDone = p.bytesTotal;
    p.entriesDone = p.entriesTotal;

    // Read back and compared with the source before anything names them.
    std::vector<uint8_t> buffer(size_t(1) << 20);
    if (auto r = verifyWritten(files.tableFd(), 0, table, tablePath, buffer); !r)
        return std::unexpected(r.error());
    for (uint64_t off = 0; off < copyLen; off += buffer.size()) {
        auto source = m_pack.read(uint32_t(off), uint32_t(std::min<uint64_t>(buffer.size(), copyLen - off)));
        if (!source)
            return std::unexpected(source.error());
        if (auto r = verifyWritten(files.packFd(), off, *source, packPath, buffer); !r)
            return std::unexpected(r.error());
    }
    if (auto r = verifyWritten(files.packFd(), copyLen, appended, packPath, buffer); !r)
        return std::unexpected(r.error());

    // A failed sync may have dropped pages: it ends the commit (rule 7), and
    // the temporary files go.
    if (auto r = syncData(files.tableFd(), tablePath); !r)
        return std::unexpected(r.error());
    if (auto r = syncData(files.packFd(), packPath); !r)
        return std::unexpected(r.error());
    oldPack->reset();
    if (auto r = files.rename(); !r)
        return std::unexpected(r.error());
    auto newTable = Table::open(dir, *gen, ShardFile::Access::ReadWrite);
    if (!newTable)
        return std::unexpected(newTable.error());
    auto newPack = Pack::open(dir, *gen, ShardFile::Access::ReadWrite);
    if (!newPack)
        return std::unexpected(newPack.error());
    if (cancelled())
        return std::unexpected(cancelledError(m_path));

    // The commit point. If the save fails, what MF holds is not known for
    // sure: the new files stay, and this shard writes nothing more.
    files.keep();
    auto saved = ManifestFile::save(dir, m_manifest, *gen, newLen);
    if (!saved) {
        m_failure = saved.error();
        return std::unexpected(saved.error());
    }
    m_manifest = *saved;
    m_table = std::move(*newTable);
    m_pack = std::move(*newPack);
    m_gen = *gen;
    m_tableLen = newLen;
    m_indexBuilt = false;
    if (auto r = scanCommitted(); !r) {
        m_failure = r.error();
        return std::unexpected(r.error());
    }
    ensureIndex();

    // Only now is the replaced generation retired (rule 6).
    auto retire = [&]() -> Result<void> {
        if (auto r = dir.remove(tableFileName(result.oldGeneration)); !r)
            return r;
        if (auto r = dir.remove(packFileName(result.oldGeneration)); !r)
            return r;
        return dir.sync();
    };
    if (auto r = retire(); !r)
        result.retireError = r.error();
    return result;
}

Result<CommitResult> commitChanges(Shard &shard, const ShardChanges &changes, const CompactionProgressFn &progress)
{
    if (auto ok = shard.refuseIfFailed(); !ok)
        return std::unexpected(ok.error());
    if (!shard.m_dir)
        return fail(ErrorKind::Invalid, shard.path(), "shard has no directory to write to");
    if (shard.dirty()) {
        return fail(ErrorKind::Invalid, shard.path(),
            "shard has unflushed changes; flush or drop them before committing a change set");
    }
    if (auto ok = validateChanges(shard, changes); !ok)
        return std::unexpected(ok.error());

    CommitResult result;
    result.oldGeneration = result.newGeneration = shard.generation();
    if (changes.empty())
        return result;
    if (!changes.deletes.empty())
        return shard.commitNewGeneration(changes, progress);

    // Only appends: past the committed end of the current files, committed
    // by the manifest like any append (rule 1 allows exactly this).
    if (progress) {
        uint64_t bytes = 0;
        for (const auto &a : changes.appends)
            bytes += a.data.size();
        if (!progress(CompactionProgress {0, changes.appends.size(), 0, bytes}))
            return std::unexpected(cancelledError(shard.path()));
    }
    auto undo = [&](Error e) -> Result<CommitResult> {
        // The shard object goes back to the committed state; after a failed
        // write it also refuses to write again (rule 7).
        (void)shard.discardUncommitted();
        return std::unexpected(std::move(e));
    };
    for (const StagedAppend &a : changes.appends) {
        auto r = shard.append(a.key, a.data);
        if (!r)
            return undo(r.error());
        if (!*r)
            return undo(Error {ErrorKind::Invalid, shard.path(), std::nullopt,
                "key " + a.key.toHex() + ": a live entry already holds it"});
    }
    if (auto r = shard.flush(); !r)
        return undo(r.error());
    result.appended = uint32_t(changes.appends.size());
    return result;
}

namespace {

uint64_t packLimit(uint64_t packSize)
{
    return std::min<uint64_t>(packSize, kTombstoneOffset);
}

} // namespace

// A store change set planned against the shards as they are: what each shard
// gets, and where each blob goes. Making it writes nothing; apply() writes.
class StoreChangePlan
{
public:
    // What one shard of the store gets in a store change set.
    struct PlannedShard {
        Shard *shard = nullptr; // open, when the shard exists
        // Set when the shard is made by the commit: a new child directory
        // (`newDirectory`) or an existing one without shard files.
        std::optional<ShardGeometry> create;
        bool newDirectory = false;
        std::string parentRel;
        uint8_t byte = 0;
        uint64_t freeSlots = 0;
        uint64_t freeBytes = 0;
        std::unordered_set<Key, KeyHash> appendedKeys;
        std::unordered_set<Key, KeyHash> deletedKeys;
        ShardChanges changes;

        [[nodiscard]] ShardGeometry geometry() const { return create ? *create : childGeometry(*shard); }
        // A key deleted in the same change set is free for a put again: the put
        // replaces the blob (in this shard, a tombstone and a new slot).
        [[nodiscard]] bool holds(const Key &key) const
        {
            return appendedKeys.contains(key) || (shard && shard->exists(key) && !deletedKeys.contains(key));
        }
    };

    // A put as the plan takes it: where it goes depends on its size only;
    // without data (a placement asked for ahead) nothing is kept to write.
    struct Put {
        const ContentId &cid;
        uint64_t size;
        const std::vector<uint8_t> *data;
    };
    [[nodiscard]] static Result<StoreChangePlan> make(
        Store &store, std::span<const ContentId> deletes, std::span<const Put> puts);
    [[nodiscard]] Result<void> apply(Store &store);

    std::map<std::string, PlannedShard> shards;
    std::vector<StorePlacement> placements;
};

Result<StoreChangePlan> StoreChangePlan::make(
    Store &store, std::span<const ContentId> deletes, std::span<const Put> puts)
{
    if (store.m_access != Store::Access::ReadWrite)
        return fail(ErrorKind::Invalid, store.path(), "store is open read-only");

    // Planned for every blob against the shards as they are and the appends
    // planned before it, so that nothing is written when any part of the
    // change set is refused.
    StoreChangePlan made;
    std::map<std::string, PlannedShard> &plan = made.shards;
    auto emptyShard = [](PlannedShard &p, const ShardGeometry &g) {
        p.create = g;
        p.freeSlots = g.tableSlots;
        p.freeBytes = packLimit(g.packSize);
    };
    auto planned
        = [&](const std::string &rel, const std::string &parentRel, uint8_t byte,
              const std::optional<ShardGeometry> &parentGeometry, bool newDirectory) -> Result<PlannedShard *> {
        if (auto it = plan.find(rel); it != plan.end())
            return &it->second;
        PlannedShard p;
        p.parentRel = parentRel;
        p.byte = byte;
        p.newDirectory = newDirectory;
        if (newDirectory) {
            emptyShard(p, *parentGeometry);
        } else {
            std::optional<Shard *> found;
            if (parentGeometry) {
                auto s = store.existingShard(rel);
                if (!s)
                    return std::unexpected(s.error());
                found = *s;
            } else {
                auto s = store.shard(rel);
                if (!s)
                    return std::unexpected(s.error());
                found = *s;
            }
            if (!found) {
                emptyShard(p, *parentGeometry);
            } else {
                Shard &shard = **found;
                if (shard.dirty())
                    return fail(ErrorKind::Invalid, shard.path(), "shard has unflushed changes");
                p.shard = &shard;
                p.freeSlots = shard.capacity() > shard.tableLen() ? shard.capacity() - shard.tableLen() : 0;
                const uint64_t limit = packLimit(shard.packSize());
                p.freeBytes = limit > shard.nextOffset() ? limit - shard.nextOffset() : 0;
            }
        }
        return &plan.emplace(rel, std::move(p)).first->second;
    };

    std::set<ContentId> deleted;
    for (const ContentId &cid : deletes) {
        const std::string hex = toHex(cid);
        if (!deleted.insert(cid).second)
            return fail(ErrorKind::Invalid, store.path(), "content id " + hex + ": deleted twice in one change set");
        auto where = store.locate(cid);
        if (!where)
            return std::unexpected(where.error());
        if (!*where)
            return fail(ErrorKind::NotFound, store.path(), "content id " + hex + ": not stored; nothing to delete");
        auto p = planned((*where)->relPath, {}, 0, std::nullopt, false);
        if (!p)
            return std::unexpected(p.error());
        const Key key = keyAtDepth(cid, (*where)->depth);
        (*p)->changes.deletes.push_back(key);
        (*p)->deletedKeys.insert(key);
        made.placements.push_back({cid, (*where)->relPath, StorePlacement::Kind::Delete});
    }

    std::set<ContentId> put;
    for (const Put &p : puts) {
        const ContentId &cid = p.cid;
        const uint64_t size = p.size;
        const std::string hex = toHex(cid);
        if (!put.insert(cid).second)
            return fail(ErrorKind::Invalid, store.path(), "content id " + hex + ": put twice in one change set");
        std::string rel;
        std::string parentRel;
        uint8_t byte = 0;
        std::optional<ShardGeometry> parentGeometry;
        bool newDirectory = false;
        for (int depth = 0; depth <= Store::kMaxDepth; ++depth) {
            auto pr = planned(rel, parentRel, byte, parentGeometry, newDirectory);
            if (!pr)
                return std::unexpected(pr.error());
            PlannedShard &here = **pr;
            const std::string herePath = here.shard ? here.shard->path() : store.path() + "/" + rel;
            const Key key = keyAtDepth(cid, depth);
            // Already stored: nothing is written, as a put of it alone.
            if (here.holds(key)) {
                made.placements.push_back({cid, rel, StorePlacement::Kind::AlreadyStored});
                break;
            }
            const bool fits = here.freeSlots >= 1 && size <= here.freeBytes;
            bool descend = false;
            if (depth == Store::kMaxDepth) {
                if (!fits)
                    return fail(ErrorKind::Full, herePath,
                        "store is full: the deepest shard for content id " + hex + " has no room");
            } else {
                const uint8_t b = cid[size_t(depth)];
                const std::string childRel = childShardPath(rel, b);
                bool childThere = false;
                if (auto it = plan.find(childRel); it != plan.end()) {
                    childThere = true;
                    newDirectory = it->second.newDirectory;
                } else if (!here.newDirectory) {
                    // A directory the commit makes has no children yet.
                    auto exists = store.childExists(rel, b);
                    if (!exists)
                        return std::unexpected(exists.error());
                    childThere = *exists;
                    newDirectory = false;
                }
                if (childThere) {
                    descend = true;
                } else if (!fits) {
                    if (size > packLimit(here.geometry().packSize)) {
                        return fail(ErrorKind::Full, herePath,
                            "blob " + hex + " of " + std::to_string(size) + " bytes is larger than a shard's pack ("
                                + std::to_string(here.geometry().packSize) + " bytes)");
                    }
                    descend = true;
                    newDirectory = true;
                }
                if (descend) {
                    parentGeometry = here.geometry();
                    parentRel = rel;
                    byte = b;
                    rel = childRel;
                    continue;
                }
            }
            // validateChanges refuses it too, but only for a shard that
            // exists, and a placement asked for ahead keeps no appends: a
            // shard the commit would make must not be made for nothing.
            if (key.isZero()) {
                return fail(ErrorKind::Invalid, herePath,
                    "content id " + hex + ": its key in this shard is all zero, which no shard can hold");
            }
            if (p.data)
                here.changes.appends.push_back({key, *p.data});
            here.appendedKeys.insert(key);
            here.freeSlots -= 1;
            here.freeBytes -= size;
            made.placements.push_back(
                {cid, rel, here.shard ? StorePlacement::Kind::Put : StorePlacement::Kind::PutIntoNewShard});
            break;
        }
    }

    for (const auto &[rel, p] : plan) {
        if (p.shard) {
            if (auto ok = validateChanges(*p.shard, p.changes); !ok)
                return std::unexpected(ok.error());
        }
    }
    return made;
}

Result<void> StoreChangePlan::apply(Store &store)
{
    // Parents before children: the map orders "" < "ab" < "ab/cd".
    for (auto &[rel, p] : shards) {
        if (p.shard)
            continue;
        auto made = p.newDirectory ? store.createChildShard(p.parentRel, p.byte, *p.create)
                                   : store.writableShard(rel, *p.create);
        if (!made)
            return std::unexpected(made.error());
        p.shard = *made;
    }
    for (auto &[rel, p] : shards) {
        if (p.changes.empty())
            continue;
        if (auto r = commitChanges(*p.shard, p.changes); !r)
            return std::unexpected(r.error());
    }
    return {};
}

Result<std::vector<StorePlacement>> placeStoreChanges(
    Store &store, std::span<const ContentId> deletes, std::span<const PlannedPut> puts)
{
    std::vector<StoreChangePlan::Put> sized;
    sized.reserve(puts.size());
    for (const PlannedPut &p : puts)
        sized.push_back({p.cid, p.size, nullptr});
    auto plan = StoreChangePlan::make(store, deletes, sized);
    if (!plan)
        return std::unexpected(plan.error());
    return std::move(plan->placements);
}

Result<std::vector<StorePlacement>> placeStoreChanges(Store &store, const StoreChanges &changes)
{
    std::vector<PlannedPut> puts;
    puts.reserve(changes.puts.size());
    for (const auto &[cid, data] : changes.puts)
        puts.push_back({cid, data.size()});
    return placeStoreChanges(store, changes.deletes, puts);
}

Result<void> commitStoreChanges(Store &store, const StoreChanges &changes)
{
    std::vector<StoreChangePlan::Put> puts;
    puts.reserve(changes.puts.size());
    for (const auto &[cid, data] : changes.puts)
        puts.push_back({cid, data.size(), &data});
    auto plan = StoreChangePlan::make(store, changes.deletes, puts);
    if (!plan)
        return std::unexpected(plan.error());
    return plan->apply(store);
}

} // namespace shardscope
