// The copy into a new generation, shared by compaction and the repairs, in
// the order DURABILITY.md asks for: write the new files under temporary
// names, sync them, verify them, rename them into place and sync the
// directory, and only then flip the manifest. Until the flip the shard is
// exactly as it was.
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
#include <atomic>
#include <cstring>
#include <optional>
#include <span>
#include <thread>
#include <vector>

namespace shardscope {

namespace {

constexpr uint64_t kWindow = uint64_t(256) << 20; // new-pack bytes assembled at a time
constexpr size_t kMaxGap = size_t(64) << 10; // unused old-pack bytes read rather than skipped
constexpr size_t kMaxPartsPerRead = 4096; // entries (and gaps) per scattered read
// Measured: 256 KiB writes beat 1 MiB by a fifth and 8 MiB by half here.
constexpr size_t kWriteChunk = size_t(256) << 10; // new-pack bytes per write
// Write-back of the new pack is started after every this many bytes.
constexpr uint64_t kWritebackChunk = uint64_t(8) << 20;

struct Placed {
    const GenerationEntry *entry;
    uint64_t dst = 0; // offset in the new pack
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

// Writes the new table, reads it back and compares, and syncs it.
Result<void> writeTableFile(int fd, const std::vector<uint8_t> &table, const std::string &path)
{
    if (auto r = writeAll(fd, table, 0, path); !r)
        return r;
    if (!table.empty()) {
        std::vector<uint8_t> back(table.size());
        if (auto r = readAll(fd, back, 0, path); !r)
            return r;
        if (back != table)
            return fail(ErrorKind::Io, path, "table read back differs from the table written", 0);
    }
    return syncData(fd, path);
}

// Reads back what the copy wrote to one window of the new pack and compares
// it with the window, on its own thread, following the writer: written()
// says how far the file holds the window's bytes.
class WindowVerifier
{
public:
    WindowVerifier(int fd, const std::string &path, const uint8_t *window, uint64_t start, uint64_t end)
        : m_fd(fd)
        , m_path(path)
        , m_window(window)
        , m_start(start)
        , m_end(end)
        , m_written(start)
        , m_buffer(size_t(std::min<uint64_t>(kWriteChunk, end - start)))
        , m_thread([this]() { run(); })
    { }
    ~WindowVerifier() { stop(); }
    WindowVerifier(const WindowVerifier &) = delete;
    WindowVerifier &operator=(const WindowVerifier &) = delete;

    void written(uint64_t upTo)
    {
        m_written.store(upTo, std::memory_order_release);
        m_written.notify_one();
    }
    // Waits for the whole window to be checked.
    [[nodiscard]] Result<void> finish()
    {
        written(m_end);
        m_thread.join();
        if (m_error)
            return std::unexpected(*m_error);
        return {};
    }

private:
    void stop()
    {
        if (!m_thread.joinable())
            return;
        m_stop.store(true, std::memory_order_release);
        written(m_end);
        m_thread.join();
    }
    void run()
    {
        if (!m_buffer.valid()) {
            m_error = Error {ErrorKind::Io, m_path, std::nullopt, "cannot allocate a buffer to verify the copy"};
            return;
        }
        for (uint64_t done = m_start; done < m_end;) {
            uint64_t upTo = m_written.load(std::memory_order_acquire);
            while (upTo == done) {
                m_written.wait(upTo, std::memory_order_acquire);
                upTo = m_written.load(std::memory_order_acquire);
            }
            if (m_stop.load(std::memory_order_acquire))
                return;
            for (; done < upTo;) {
                const uint64_t len = std::min<uint64_t>(m_buffer.size(), upTo - done);
                if (auto r = readAll(m_fd, m_buffer.span(0, len), done, m_path); !r) {
                    m_error = r.error();
                    return;
                }
                if (std::memcmp(m_buffer.data(), m_window + (done - m_start), size_t(len)) != 0) {
                    m_error = Error {ErrorKind::Io, m_path, done, "bytes read back differ from the bytes written"};
                    return;
                }
                done += len;
            }
        }
    }

    int m_fd;
    const std::string &m_path;
    const uint8_t *m_window;
    uint64_t m_start;
    uint64_t m_end;
    std::atomic<uint64_t> m_written;
    std::atomic<bool> m_stop {false};
    std::optional<Error> m_error;
    CopyBuffer m_buffer;
    std::thread m_thread; // last: starts once everything above is ready
};

Error cancelledError(const std::string &path, const std::string &operation)
{
    return Error {ErrorKind::Cancelled, path, std::nullopt, operation + " cancelled; the shard is unchanged"};
}

} // namespace

Result<uint32_t> nextFreeGeneration(const Directory &dir, uint32_t current)
{
    for (uint64_t gen = uint64_t(current) + 1; gen <= UINT32_MAX; ++gen) {
        bool taken = false;
        for (const auto &name : {tableFileName(uint32_t(gen)), packFileName(uint32_t(gen))}) {
            auto st = dir.status(name);
            if (!st)
                return std::unexpected(st.error());
            taken = taken || st->type != EntryType::Missing;
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
            std::to_string(entries.size()) + " live entries do not fit a table of "
                + std::to_string(geometry.tableSlots) + " slots");
    }
    std::vector<Placed> live(entries.size());
    uint64_t liveBytes = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const GenerationEntry &e = entries[i];
        if (!source.file().bytes().contains(e.offset, e.len)) {
            return fail(ErrorKind::Corrupt, source.file().path(),
                "an entry's bytes [" + std::to_string(e.offset) + ", " + std::to_string(uint64_t(e.offset) + e.len)
                    + ") lie beyond the pack",
                e.offset);
        }
        live[i] = {&e, liveBytes};
        liveBytes += e.len;
    }
    if (liveBytes > geometry.packSize) {
        return fail(ErrorKind::Full, dir.path(),
            std::to_string(liveBytes) + " bytes of live data do not fit a pack of " + std::to_string(geometry.packSize)
                + " bytes");
    }
    std::vector<uint8_t> newTable(live.size() * kTableEntrySize);
    for (size_t i = 0; i < live.size(); ++i)
        Entry {entries[i].key, uint32_t(live[i].dst), entries[i].len}.encodeTo(newTable.data() + i * kTableEntrySize);

    CompactionProgress p {0, live.size(), 0, liveBytes};
    auto cancelled = [&]() { return write.progress && !write.progress(p); };
    // Asked once before any file exists, so an early cancel touches nothing.
    if (cancelled())
        return std::unexpected(cancelledError(dir.path(), write.operation));

    const std::string tableName = tableFileName(write.gen);
    const std::string packName = packFileName(write.gen);
    // A generation's files are never replaced: they may be all that is left
    // of data someone still wants.
    for (const auto &n : {tableName, packName}) {
        auto st = dir.status(n);
        if (!st)
            return std::unexpected(st.error());
        if (st->type != EntryType::Missing)
            return fail(ErrorKind::Invalid, dir.filePath(n), "already exists; a new generation never replaces files");
    }
    const std::string tableTmp = tableName + ".tmp";
    const std::string packTmp = packName + ".tmp";
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

    // The table is known before any pack byte moves: it is written, checked
    // and synced on a thread of its own while the pack is copied.
    std::optional<Error> tableError;
    std::thread tableWriter([&, fd = tableFd->get()]() {
        if (auto r = writeTableFile(fd, newTable, tablePath); !r)
            tableError = r.error();
    });
    struct JoinOnExit {
        std::thread &t;
        ~JoinOnExit()
        {
            if (t.joinable())
                t.join();
        }
    } joinTableWriter {tableWriter};

    const uint64_t windowSize = std::min(liveBytes, kWindow);
    CopyBuffer window {size_t(windowSize)};
    CopyBuffer gapBuffer {kMaxGap};
    if (!window.valid() || !gapBuffer.valid())
        return fail(ErrorKind::Io, dir.path(), "cannot allocate " + std::to_string(windowSize) + " bytes for the copy");

    size_t first = 0;
    for (uint64_t windowStart = 0; windowStart < liveBytes; windowStart += windowSize) {
        const uint64_t windowEnd = std::min(liveBytes, windowStart + windowSize);
        // Entries overlapping this window, in old-pack order so the old pack
        // is read front to back.
        while (first < live.size() && live[first].dst + live[first].entry->len <= windowStart)
            ++first;
        std::vector<const Placed *> inWindow;
        for (size_t i = first; i < live.size() && live[i].dst < windowEnd; ++i) {
            if (live[i].entry->len > 0)
                inWindow.push_back(&live[i]);
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

        // Each stretch written is read back and compared on a second thread
        // while the next is written (RocksDB checks compaction output the same
        // way), and its write-back starts at once, so the disk works while
        // the rest is copied and the sync at the end waits for little.
        WindowVerifier verifier(packFd->get(), packPath, window.data(), windowStart, windowEnd);
        uint64_t flushedTo = windowStart;
        for (uint64_t off = windowStart; off < windowEnd; off += kWriteChunk) {
            const uint64_t len = std::min<uint64_t>(kWriteChunk, windowEnd - off);
            if (auto r = writeAll(packFd->get(), window.span(off - windowStart, len), off, packPath); !r)
                return std::unexpected(r.error());
            verifier.written(off + len);
            if (off + len - flushedTo >= kWritebackChunk || off + len == windowEnd) {
                ::sync_file_range(packFd->get(), off_t(flushedTo), off_t(off + len - flushedTo), SYNC_FILE_RANGE_WRITE);
                flushedTo = off + len;
            }
            p.bytesDone = off + len;
            while (
                p.entriesDone < live.size() && live[p.entriesDone].dst + live[p.entriesDone].entry->len <= p.bytesDone)
                ++p.entriesDone;
            if (cancelled())
                return std::unexpected(cancelledError(dir.path(), write.operation));
        }
        if (auto r = verifier.finish(); !r)
            return std::unexpected(r.error());
    }
    p.entriesDone = live.size();
    p.bytesDone = liveBytes;

    if (auto r = syncData(packFd->get(), packPath); !r)
        return std::unexpected(r.error());
    tableWriter.join();
    if (tableError)
        return std::unexpected(*tableError);
    if (cancelled())
        return std::unexpected(cancelledError(dir.path(), write.operation));

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
        return std::unexpected(cancelledError(dir.path(), write.operation));

    // The commit point. Once the save has been tried, what MF holds is not
    // known for sure if it fails, so the new files stay either way.
    partial.commit();
    auto saved = ManifestFile::save(dir, manifest, write.gen, uint32_t(live.size()));
    if (!saved) {
        if (commitFailed)
            *commitFailed = true;
        return std::unexpected(saved.error());
    }
    return WrittenGeneration {*saved, std::move(*newTableFile), std::move(*newPackFile), liveBytes};
}

} // namespace shardscope
