// Shard::compact: the live committed entries, sorted by key, copied into a
// new generation by the generation writer (generation_writer.h), which
// follows DURABILITY.md's order and leaves the shard exactly as it was until
// the manifest flip.
#include "generation_writer.h"
#include "huge_page_memory.h"
#include "shard.h"

#include <algorithm>
#include <array>
#include <thread>
#include <vector>

namespace shardscope {

namespace {

using EntryArray = std::vector<GenerationEntry, HugePageAllocator<GenerationEntry>>;

// Sorts by key. Keys are hashes in practice, so their first bits spread them
// evenly: one counting pass puts each entry in its bucket by its first 12
// bits, and each small bucket is then sorted on its own; several times faster
// than one comparison sort of a full table. Crafted keys that share their
// first bits only make a bucket larger, sorted like any other.
void sortByKey(EntryArray &entries)
{
    auto less = [](const GenerationEntry &a, const GenerationEntry &b) { return a.key < b.key; };
    constexpr int kBits = 12;
    constexpr size_t kBuckets = size_t(1) << kBits;
    if (entries.size() < kBuckets) {
        std::sort(entries.begin(), entries.end(), less);
        return;
    }
    auto bucket = [](const GenerationEntry &e) { return size_t(e.key.word(0) >> (64 - kBits)); };
    std::vector<uint32_t> next(kBuckets + 1, 0);
    for (const GenerationEntry &e : entries)
        ++next[bucket(e) + 1];
    for (size_t b = 1; b <= kBuckets; ++b)
        next[b] += next[b - 1];
    EntryArray sorted(entries.size());
    for (const GenerationEntry &e : entries)
        sorted[next[bucket(e)]++] = e;
    // next[b] is now where bucket b ends.
    for (size_t b = 0, from = 0; b < kBuckets; from = next[b++])
        std::sort(sorted.begin() + ptrdiff_t(from), sorted.begin() + ptrdiff_t(next[b]), less);
    entries.swap(sorted);
}

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

    // One array, sorted in place and handed to the writer as it is: on a
    // full shard it is a megabyte, and fresh memory is dear (huge_page_memory.h).
    EntryArray live;
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
        live.push_back({e.key, e.offset, e.len});
        liveBytes += e.len;
    }
    sortByKey(live);
    for (size_t i = 1; i < live.size(); ++i) {
        if (live[i].key == live[i - 1].key) {
            // Readers see only the first; copying one would drop the other's
            // bytes. Named by the first two slots holding the key.
            uint32_t slots[2] = {0, 0};
            for (uint32_t s = 0, found = 0; s < slotCount() && found < 2; ++s) {
                const Entry e = m_table.slot(s);
                if (!e.isTombstone() && e.key == live[i].key)
                    slots[found++] = s;
            }
            return fail(ErrorKind::Corrupt, m_table.file().path(),
                "slots " + std::to_string(slots[0]) + " and " + std::to_string(slots[1])
                    + " hold the same key; repair the shard before compacting",
                uint64_t(slots[1]) * kTableEntrySize);
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

    GenerationWrite write;
    write.gen = result.newGeneration;
    write.geometry = geometry;
    write.access = ShardFile::Access::ReadWrite;
    write.progress = progress;
    write.copyMemoryLimit = options.copyMemoryLimit.value_or(kDefaultCopyMemoryLimit);
    // The new table is sorted and free of duplicates: its index is built
    // from memory, while the copy waits for the disk.
    KeyIndex newIndex;
    std::thread indexer([&]() {
        newIndex.reserve(live.size());
        for (size_t i = 0; i < live.size(); ++i)
            newIndex.insert(live[i].key, uint32_t(i));
    });
    bool commitFailed = false;
    auto written = writeGeneration(*m_dir, m_pack, m_manifest, live, write, &commitFailed);
    indexer.join();
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
    m_index = std::move(newIndex);
    m_indexHasDuplicates = false;
    m_indexBuilt = true;
    return result;
}

} // namespace shardscope
