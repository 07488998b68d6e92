// Shard::compact: the copy into a new generation, in the order DURABILITY.md
// asks for: write the new files under temporary names, sync them, verify them,
// rename them into place and sync the directory, and only then flip the
// manifest. Until the flip the shard is exactly as it was.
#include "shard.h"

#include <algorithm>
#include <vector>

namespace shardscope {

namespace {

constexpr size_t kCopyChunk = size_t(4) << 20;

struct LiveEntry {
    Entry entry;
    uint32_t slot = 0;
};

// Removes the half-made generation on every path that does not commit it.
class PartialGeneration
{
public:
    PartialGeneration(const Directory &dir, std::vector<std::string> names) : m_dir(dir), m_names(std::move(names)) { }
    ~PartialGeneration()
    {
        if (m_committed)
            return;
        for (const auto &n : m_names)
            (void)m_dir.remove(n);
        (void)m_dir.sync();
    }
    PartialGeneration(const PartialGeneration &) = delete;
    PartialGeneration &operator=(const PartialGeneration &) = delete;
    void commit() { m_committed = true; }

private:
    const Directory &m_dir;
    std::vector<std::string> m_names;
    bool m_committed = false;
};

} // namespace

Result<CompactionResult> Shard::compact(const CompactionOptions &options, const CompactionProgressFn &progress)
{
    if (!m_writable)
        return fail(ErrorKind::Invalid, m_path, "shard is open read-only");
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
    result.newGeneration = m_gen + 1;

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

    const std::string tableName = tableFileName(result.newGeneration);
    const std::string packName = packFileName(result.newGeneration);
    const std::string tableTmp = tableName + ".tmp";
    const std::string packTmp = packName + ".tmp";
    const Directory &dir = *m_dir;
    // Left over from an earlier attempt that stopped before its flip.
    for (const auto &n : {tableTmp, packTmp}) {
        if (auto r = dir.remove(n); !r)
            return std::unexpected(r.error());
    }
    PartialGeneration partial(dir, {tableTmp, packTmp, tableName, packName});

    auto tableFd = dir.createFile(tableTmp, uint64_t(geometry.tableSlots) * kTableEntrySize);
    if (!tableFd)
        return std::unexpected(tableFd.error());
    auto packFd = dir.createFile(packTmp, geometry.packSize);
    if (!packFd)
        return std::unexpected(packFd.error());
    const std::string tablePath = dir.filePath(tableTmp);
    const std::string packPath = dir.filePath(packTmp);

    CompactionProgress p {0, live.size(), 0, liveBytes};
    auto cancelled = [&]() { return progress && !progress(p); };
    if (cancelled())
        return fail(ErrorKind::Cancelled, m_path, "compaction cancelled; the shard is unchanged");

    std::vector<uint8_t> newTable(live.size() * kTableEntrySize);
    std::vector<uint8_t> buffer;
    buffer.reserve(std::min<uint64_t>(kCopyChunk, liveBytes));
    uint64_t bufferStart = 0;
    uint64_t cursor = 0;
    auto flushBuffer = [&]() -> Result<void> {
        if (auto r = writeAll(packFd->get(), buffer, bufferStart, packPath); !r)
            return r;
        bufferStart += buffer.size();
        buffer.clear();
        return {};
    };
    for (size_t i = 0; i < live.size(); ++i) {
        const Entry &src = live[i].entry;
        auto bytes = m_pack.read(src.offset, src.len);
        if (!bytes)
            return std::unexpected(bytes.error());
        Entry dst {src.key, uint32_t(cursor), src.len};
        dst.encodeTo(newTable.data() + i * kTableEntrySize);
        if (buffer.size() + bytes->size() > kCopyChunk) {
            if (auto r = flushBuffer(); !r)
                return std::unexpected(r.error());
        }
        if (bytes->size() > kCopyChunk) {
            if (auto r = writeAll(packFd->get(), *bytes, cursor, packPath); !r)
                return std::unexpected(r.error());
            bufferStart += bytes->size();
        } else {
            buffer.insert(buffer.end(), bytes->begin(), bytes->end());
        }
        cursor += src.len;
        p.entriesDone = i + 1;
        p.bytesDone = cursor;
        if ((i & 1023) == 1023 && cancelled())
            return fail(ErrorKind::Cancelled, m_path, "compaction cancelled; the shard is unchanged");
    }
    if (auto r = flushBuffer(); !r)
        return std::unexpected(r.error());
    if (auto r = writeAll(tableFd->get(), newTable, 0, tablePath); !r)
        return std::unexpected(r.error());
    if (auto r = syncFile(packFd->get(), packPath); !r)
        return std::unexpected(r.error());
    if (auto r = syncFile(tableFd->get(), tablePath); !r)
        return std::unexpected(r.error());

    // Read the new files back and compare with the source before anything
    // names them (RocksDB checks compaction output the same way).
    auto tableBack = MappedFile::map(tableFd->get(), tablePath);
    if (!tableBack)
        return std::unexpected(tableBack.error());
    auto packBack = MappedFile::map(packFd->get(), packPath);
    if (!packBack)
        return std::unexpected(packBack.error());
    auto writtenTable = tableBack->read(0, newTable.size());
    if (!writtenTable)
        return std::unexpected(writtenTable.error());
    if (!std::equal(newTable.begin(), newTable.end(), writtenTable->begin()))
        return fail(ErrorKind::Io, tablePath, "table read back differs from the table written", 0);
    for (size_t i = 0; i < live.size(); ++i) {
        const Entry written = Entry::decode(newTable.data() + i * kTableEntrySize);
        auto expected = m_pack.read(live[i].entry.offset, live[i].entry.len);
        auto actual = packBack->read(written.offset, written.len);
        if (!expected || !actual || !std::equal(expected->begin(), expected->end(), actual->begin()))
            return fail(ErrorKind::Io, packPath, "entry read back differs from the entry written", written.offset);
    }
    if (cancelled())
        return fail(ErrorKind::Cancelled, m_path, "compaction cancelled; the shard is unchanged");

    tableFd->reset();
    packFd->reset();
    if (auto r = dir.rename(tableTmp, tableName); !r)
        return std::unexpected(r.error());
    if (auto r = dir.rename(packTmp, packName); !r)
        return std::unexpected(r.error());
    if (auto r = dir.sync(); !r)
        return std::unexpected(r.error());

    auto newTableFile = Table::open(dir, result.newGeneration, ShardFile::Access::ReadWrite);
    if (!newTableFile)
        return std::unexpected(newTableFile.error());
    auto newPackFile = Pack::open(dir, result.newGeneration, ShardFile::Access::ReadWrite);
    if (!newPackFile)
        return std::unexpected(newPackFile.error());
    if (cancelled())
        return fail(ErrorKind::Cancelled, m_path, "compaction cancelled; the shard is unchanged");

    // The commit point.
    auto saved = ManifestFile::save(dir, m_manifest, result.newGeneration, uint32_t(live.size()));
    if (!saved)
        return std::unexpected(saved.error());
    partial.commit();

    result.entries = uint32_t(live.size());
    result.bytesCopied = liveBytes;
    result.bytesReclaimed = m_nextOffset > liveBytes ? m_nextOffset - liveBytes : 0;

    m_manifest = *saved;
    m_table = std::move(*newTableFile);
    m_pack = std::move(*newPackFile);
    m_gen = result.newGeneration;
    m_tableLen = uint32_t(live.size());
    m_nextOffset = liveBytes;
    m_indexBuilt = false;
    ensureIndex();
    return result;
}

} // namespace shardscope
