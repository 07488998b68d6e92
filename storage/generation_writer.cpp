// The copy into a new generation, in the order DURABILITY.md asks for: write
// the new files under temporary names, sync them, verify them, rename them
// into place and sync the directory, and only then flip the manifest. Until
// the flip the shard is exactly as it was.
//
// The copy is built for speed on large packs: the new pack is assembled in
// memory one window at a time by scattered reads of the old pack front to
// back (one preadv per run of entries rather than a page fault per 4 KiB of
// a mapping and a copy per entry), and each window goes out in large writes.
#include "generation_writer.h"

#include "format.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

namespace shardscope {

namespace {

constexpr uint64_t kWindow = uint64_t(256) << 20; // new-pack bytes assembled at a time
constexpr size_t kMaxGap = size_t(64) << 10; // unused old-pack bytes read rather than skipped
constexpr size_t kMaxPartsPerRead = 4096; // entries (and gaps) per scattered read
// Measured: 256 KiB writes beat 1 MiB by a fifth and 8 MiB by half here.
constexpr size_t kWriteChunk = size_t(256) << 10; // new-pack bytes per write

struct Placed {
    const GenerationEntry *entry;
    uint64_t dst = 0; // offset in the new pack
};

// Removes the half-made generation on every path that does not reach the
// manifest save.
class PartialGeneration
{
public:
    PartialGeneration(const Directory &dir, std::vector<std::string> names) : m_dir(dir), m_names(std::move(names)) { }
    ~PartialGeneration()
    {
        if (m_kept)
            return;
        for (const auto &n : m_names)
            (void)m_dir.remove(n);
        (void)m_dir.sync();
    }
    PartialGeneration(const PartialGeneration &) = delete;
    PartialGeneration &operator=(const PartialGeneration &) = delete;
    void keep() { m_kept = true; }

private:
    const Directory &m_dir;
    std::vector<std::string> m_names;
    bool m_kept = false;
};

// Working memory for the copy: anonymous, 2 MiB aligned, backed by
// transparent huge pages where the kernel offers them, and populated up
// front. Touching fresh 4 KiB pages one by one costs a fault each, which on
// virtual machines with shadow paging is several microseconds per page:
// more than the copy itself.
class CopyBuffer
{
public:
    explicit CopyBuffer(size_t size) : m_size(size)
    {
        if (size == 0)
            return;
        constexpr size_t kHuge = size_t(2) << 20;
        m_mapped = size + kHuge;
        void *p = ::mmap(nullptr, m_mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            m_mapped = 0;
            return;
        }
        m_base = p;
        m_data = reinterpret_cast<uint8_t *>((reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~uintptr_t(kHuge - 1));
        // Both are hints: without them the copy is slower, not wrong.
        ::madvise(m_data, size, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
        ::madvise(m_data, size, MADV_POPULATE_WRITE);
#endif
    }
    ~CopyBuffer()
    {
        if (m_base)
            ::munmap(m_base, m_mapped);
    }
    CopyBuffer(const CopyBuffer &) = delete;
    CopyBuffer &operator=(const CopyBuffer &) = delete;
    [[nodiscard]] bool valid() const
    {
        return m_size == 0 || m_data;
    }
    [[nodiscard]] uint8_t *data() const
    {
        return m_data;
    }
    [[nodiscard]] size_t size() const
    {
        return m_size;
    }
    [[nodiscard]] std::span<uint8_t> span(uint64_t offset, uint64_t length) const
    {
        return {m_data + offset, size_t(length)};
    }

private:
    void *m_base = nullptr;
    size_t m_mapped = 0;
    uint8_t *m_data = nullptr;
    size_t m_size = 0;
};

Error cancelledError(const std::string &path)
{
    return Error {ErrorKind::Cancelled, path, std::nullopt, "cancelled; the shard is unchanged"};
}

} // namespace

Result<uint32_t> nextFreeGeneration(const Directory &dir, uint32_t current)
{
    for (uint64_t gen = uint64_t(current) + 1; gen <= UINT32_MAX; ++gen) {
        bool taken = false;
        for (const auto &name : {tableFileName(uint32_t(gen)), packFileName(uint32_t(gen))}) {
            for (const auto &n : {name, name + ".tmp"}) {
                auto st = dir.status(n);
                if (!st)
                    return std::unexpected(st.error());
                taken = taken || st->type != EntryType::Missing;
            }
        }
        if (!taken)
            return uint32_t(gen);
    }
    return fail(ErrorKind::Full, dir.filePath(kManifestFileName), "no generation number is left after this one");
}

Result<WrittenGeneration> writeGeneration(const Directory &dir, const Pack &source,
    const std::optional<ManifestCopies> &manifest, std::span<const GenerationEntry> entries,
    const GenerationWrite &write, bool *commitFailed)
{
    if (commitFailed)
        *commitFailed = false;
    const ShardGeometry &geometry = write.geometry;
    if (auto ok = geometry.validate(dir.path()); !ok)
        return std::unexpected(ok.error());
    if (entries.size() > geometry.tableSlots) {
        return fail(ErrorKind::Full, dir.path(),
            std::to_string(entries.size()) + " entries do not fit a table of " + std::to_string(geometry.tableSlots)
                + " slots");
    }
    std::vector<Placed> placed(entries.size());
    uint64_t total = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const GenerationEntry &e = entries[i];
        if (!source.file().bytes().contains(e.offset, e.len)) {
            return fail(ErrorKind::Corrupt, source.file().path(),
                "an entry's bytes [" + std::to_string(e.offset) + ", " + std::to_string(uint64_t(e.offset) + e.len)
                    + ") lie beyond the pack",
                e.offset);
        }
        placed[i] = {&e, total};
        total += e.len;
    }
    if (total > geometry.packSize) {
        return fail(ErrorKind::Full, dir.path(),
            std::to_string(total) + " bytes of entries do not fit a pack of " + std::to_string(geometry.packSize)
                + " bytes");
    }

    std::vector<uint8_t> newTable(entries.size() * kTableEntrySize);
    for (size_t i = 0; i < entries.size(); ++i)
        Entry {entries[i].key, uint32_t(placed[i].dst), entries[i].len}.encodeTo(newTable.data() + i * kTableEntrySize);

    CompactionProgress p {0, entries.size(), 0, total};
    auto cancelled = [&]() { return write.progress && !write.progress(p); };
    // Asked once before any file exists, so an early cancel touches nothing.
    if (cancelled())
        return std::unexpected(cancelledError(dir.path()));

    const std::string tableName = tableFileName(write.gen);
    const std::string packName = packFileName(write.gen);
    const std::string tableTmp = tableName + ".tmp";
    const std::string packTmp = packName + ".tmp";
    // A generation's files are never replaced: they may be all that is left
    // of data the user still wants.
    for (const auto &n : {tableName, packName}) {
        auto st = dir.status(n);
        if (!st)
            return std::unexpected(st.error());
        if (st->type != EntryType::Missing)
            return fail(ErrorKind::Invalid, dir.filePath(n), "already exists; a new generation never replaces files");
    }
    // Left over from an earlier attempt that stopped before its commit.
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

    const uint64_t windowSize = std::min(total, kWindow);
    CopyBuffer window {size_t(windowSize)};
    CopyBuffer gapBuffer {kMaxGap};
    CopyBuffer verifyBuffer {size_t(std::min<uint64_t>(kWriteChunk, std::max<uint64_t>(total, 1)))};
    if (!window.valid() || !gapBuffer.valid() || !verifyBuffer.valid())
        return fail(ErrorKind::Io, dir.path(), "cannot allocate " + std::to_string(windowSize) + " bytes for the copy");

    size_t first = 0;
    for (uint64_t windowStart = 0; windowStart < total; windowStart += windowSize) {
        const uint64_t windowEnd = std::min(total, windowStart + windowSize);
        // Entries overlapping this window, in old-pack order so the old pack
        // is read front to back.
        while (first < placed.size() && placed[first].dst + placed[first].entry->len <= windowStart)
            ++first;
        std::vector<const Placed *> inWindow;
        for (size_t i = first; i < placed.size() && placed[i].dst < windowEnd; ++i) {
            if (placed[i].entry->len > 0)
                inWindow.push_back(&placed[i]);
        }
        std::sort(inWindow.begin(), inWindow.end(),
            [](const Placed *a, const Placed *b) { return a->entry->offset < b->entry->offset; });

        // Runs of entries that lie back to back in the old pack (small gaps,
        // the bytes of deleted entries, are read into a scratch buffer) are
        // read with one preadv that drops each entry straight into its
        // place in the window.
        std::vector<std::span<uint8_t>> parts;
        uint64_t runStart = 0;
        uint64_t runEnd = 0;
        auto readRun = [&]() -> Result<void> {
            if (parts.empty())
                return {};
            auto r = source.file().readScattered(runStart, parts);
            parts.clear();
            return r;
        };
        for (const Placed *e : inWindow) {
            // The part of this entry that lands in the window.
            const uint64_t from = std::max(e->dst, windowStart);
            const uint64_t to = std::min(e->dst + e->entry->len, windowEnd);
            const uint64_t src = e->entry->offset + (from - e->dst);
            const uint64_t gap = src >= runEnd ? src - runEnd : UINT64_MAX;
            if (parts.empty() || gap > gapBuffer.size() || parts.size() + 2 > kMaxPartsPerRead) {
                if (auto r = readRun(); !r)
                    return std::unexpected(r.error());
                runStart = src;
            } else if (gap > 0) {
                parts.push_back(gapBuffer.span(0, gap));
            }
            parts.push_back(window.span(from - windowStart, to - from));
            runEnd = src + (to - from);
        }
        if (auto r = readRun(); !r)
            return std::unexpected(r.error());

        for (uint64_t off = windowStart; off < windowEnd; off += kWriteChunk) {
            const uint64_t len = std::min<uint64_t>(kWriteChunk, windowEnd - off);
            if (auto r = writeAll(packFd->get(), window.span(off - windowStart, len), off, packPath); !r)
                return std::unexpected(r.error());
            p.bytesDone = off + len;
            while (p.entriesDone < placed.size()
                && placed[p.entriesDone].dst + placed[p.entriesDone].entry->len <= p.bytesDone)
                ++p.entriesDone;
            if (cancelled())
                return std::unexpected(cancelledError(dir.path()));
        }
        // Start write-back of the window now: the disk works while the
        // window is verified and the table written, and the sync at the end
        // waits for less.
        ::sync_file_range(packFd->get(), off_t(windowStart), off_t(windowEnd - windowStart), SYNC_FILE_RANGE_WRITE);
        // Read the window back and compare before anything names the file
        // (RocksDB checks compaction output the same way).
        for (uint64_t off = windowStart; off < windowEnd; off += verifyBuffer.size()) {
            const uint64_t len = std::min<uint64_t>(verifyBuffer.size(), windowEnd - off);
            if (auto r = readAll(packFd->get(), verifyBuffer.span(0, len), off, packPath); !r)
                return std::unexpected(r.error());
            if (std::memcmp(verifyBuffer.data(), window.data() + (off - windowStart), size_t(len)) != 0)
                return fail(ErrorKind::Io, packPath, "bytes read back differ from the bytes written", off);
        }
    }
    p.entriesDone = placed.size();
    p.bytesDone = total;

    if (auto r = writeAll(tableFd->get(), newTable, 0, tablePath); !r)
        return std::unexpected(r.error());
    if (!newTable.empty()) {
        std::vector<uint8_t> tableBack(newTable.size());
        if (auto r = readAll(tableFd->get(), tableBack, 0, tablePath); !r)
            return std::unexpected(r.error());
        if (tableBack != newTable)
            return fail(ErrorKind::Io, tablePath, "table read back differs from the table written", 0);
    }
    if (auto r = syncData(packFd->get(), packPath); !r)
        return std::unexpected(r.error());
    if (auto r = syncData(tableFd->get(), tablePath); !r)
        return std::unexpected(r.error());
    if (cancelled())
        return std::unexpected(cancelledError(dir.path()));

    tableFd->reset();
    packFd->reset();
    if (auto r = dir.rename(tableTmp, tableName); !r)
        return std::unexpected(r.error());
    if (auto r = dir.rename(packTmp, packName); !r)
        return std::unexpected(r.error());
    if (auto r = dir.sync(); !r)
        return std::unexpected(r.error());

    auto newTableFile = Table::open(dir, write.gen, write.access);
    if (!newTableFile)
        return std::unexpected(newTableFile.error());
    auto newPackFile = Pack::open(dir, write.gen, write.access);
    if (!newPackFile)
        return std::unexpected(newPackFile.error());
    if (cancelled())
        return std::unexpected(cancelledError(dir.path()));

    // The commit point. Once the save has been tried, what MF holds is not
    // known for sure on failure, so the new files stay either way.
    partial.keep();
    auto saved = ManifestFile::save(dir, manifest, write.gen, uint32_t(entries.size()));
    if (!saved) {
        if (commitFailed)
            *commitFailed = true;
        return std::unexpected(saved.error());
    }
    return WrittenGeneration {*saved, std::move(*newTableFile), std::move(*newPackFile), total};
}

} // namespace shardscope
