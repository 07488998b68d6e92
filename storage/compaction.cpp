// Shard::compact: the live committed entries, sorted by key, copied into a
// new generation by the generation writer (generation_writer.h), which
// follows DURABILITY.md's order and leaves the shard exactly as it was until
// the manifest flip.
#include "generation_writer.h"
#include "shard.h"

#include <algorithm>
#include <vector>

namespace shardscope {

namespace {

struct LiveEntry {
    Entry entry; // as in the old table
    uint32_t slot = 0; // in the old table
};

} // namespace

Result<CompactionResult> Shard::compact(const CompactionOptions &options, const CompactionProgressFn &progress)
{
    if (auto ok = refuseIfFailed(); !ok)
        return std::unexpected(ok.error());
    if (m_dirty)
        return fail(ErrorKind::Invalid, m_path, "shard has unflushed changes; flush them before compacting");
    if (m_gen == UINT32_MAX)
        return fail(ErrorKind::Full, m_dir->filePath(kManifestFileName), "no generation number is left after this one");

    const ShardGeometry geometry {options.tableSlots.value_or(capacity()),
        options.packSize.value_or(uint32_t(std::min<uint64_t>(packSize(), UINT32_MAX)))};
    if (auto ok = geometry.validate(m_path); !ok)
        return std::unexpected(ok.error());

    CompactionResult result;
    result.oldGeneration = m_gen;
    // Files of gen+1 may be left by a repair that went back to this
    // generation; they are kept, and the next free number is used.
    auto newGen = nextFreeGeneration(*m_dir, m_gen);
    if (!newGen)
        return std::unexpected(newGen.error());
    result.newGeneration = *newGen;

    std::vector<LiveEntry> live;
    live.reserve(slotCount());
    uint64_t liveBytes = 0;
    for (uint32_t i = 0; i < slotCount(); ++i) {
        const Entry e = m_table.slot(i);
        if (e.isTombstone()) {
            ++result.tombstonesDropped;
            continue;
        }
        if (e.key.isZero()) {
            return fail(ErrorKind::Corrupt, m_table.file().path(),
                "slot " + std::to_string(i) + " is live with the all-zero key; repair the shard before compacting",
                uint64_t(i) * kTableEntrySize);
        }
        live.push_back({e, i});
        liveBytes += e.len;
    }
    // Sorted by key, then slot, so that the copy is deterministic.
    std::sort(live.begin(), live.end(), [](const LiveEntry &a, const LiveEntry &b) {
        return a.entry.key != b.entry.key ? a.entry.key < b.entry.key : a.slot < b.slot;
    });
    for (size_t i = 1; i < live.size(); ++i) {
        if (live[i].entry.key == live[i - 1].entry.key) {
            // Readers see only the first; copying one would drop the other's bytes.
            return fail(ErrorKind::Corrupt, m_table.file().path(),
                "slots " + std::to_string(live[i - 1].slot) + " and " + std::to_string(live[i].slot)
                    + " hold the same key; repair the shard before compacting",
                uint64_t(live[i].slot) * kTableEntrySize);
        }
    }
    if (live.size() > geometry.tableSlots) {
        return fail(ErrorKind::Full, m_path,
            std::to_string(live.size()) + " live entries do not fit a table of " + std::to_string(geometry.tableSlots)
                + " slots");
    }
    if (liveBytes > geometry.packSize) {
        return fail(ErrorKind::Full, m_path,
            std::to_string(liveBytes) + " bytes of live data do not fit a pack of " + std::to_string(geometry.packSize)
                + " bytes");
    }

    std::vector<GenerationEntry> entries(live.size());
    for (size_t i = 0; i < live.size(); ++i)
        entries[i] = {live[i].entry.key, live[i].entry.offset, live[i].entry.len};
    GenerationWrite write;
    write.gen = result.newGeneration;
    write.geometry = geometry;
    write.access = ShardFile::Access::ReadWrite;
    write.progress = progress;
    bool commitFailed = false;
    auto written = writeGeneration(*m_dir, m_pack, m_manifest, entries, write, &commitFailed);
    if (!written) {
        if (commitFailed)
            m_failure = written.error();
        return std::unexpected(written.error());
    }

    result.entries = uint32_t(live.size());
    result.bytesCopied = liveBytes;
    result.bytesReclaimed = m_nextOffset > liveBytes ? m_nextOffset - liveBytes : 0;

    m_manifest = written->manifest;
    m_table = std::move(written->table);
    m_pack = std::move(written->pack);
    m_gen = result.newGeneration;
    m_tableLen = uint32_t(live.size());
    m_nextOffset = liveBytes;
    m_pendingSlotsStart = m_tableLen;
    m_pendingPackStart = m_nextOffset;
    // The new table is sorted and free of duplicates: the index comes from memory.
    m_index.clear();
    m_index.reserve(live.size());
    for (size_t i = 0; i < live.size(); ++i)
        m_index.insert(live[i].entry.key, uint32_t(i));
    m_indexHasDuplicates = false;
    m_indexBuilt = true;
    return result;
}

} // namespace shardscope
