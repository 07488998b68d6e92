// The copy into a new generation, shared by compaction and the repairs, in
// the order DURABILITY.md asks for: write the new files under temporary
// names, sync them, verify them, rename them into place and sync the
// directory, and only then flip the manifest. Until the flip the shard is
// exactly as it was.
//
// The copy is built for speed on large packs, and for virtual machines where
// the first touch of every fresh 4 KiB page of a process costs several
// microseconds (shadow paging): more than copying the page. So the process
// never reads the old pack through its mapping. The used part of the old
// pack is read with two large reads into a buffer of huge pages, on two
// threads of their own while the new files are created. The new pack is
// then assembled in key order from that buffer one small chunk at a time and
// each chunk written at once, while it is still in the cache. Two threads
// follow the writer: one reads back what was written and compares it with
// the old pack's bytes, one syncs the new pack every few MiB so that the disk
// (on a virtual machine: the host's cache flush) works while the rest is
// copied rather than all at the final sync. The table is written, checked and
// synced on a thread of its own.
#include "generation_writer.h"

#include "format.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

namespace shardscope {

namespace {

// Measured on the 2-core build machine: 256 KiB beats 1 MiB by a fifth
// (the chunk is written while it is still in the cache).
constexpr size_t kWriteChunk = size_t(256) << 10; // new-pack bytes gathered and written at a time
// Write-back of the new pack is started after every this many bytes.
constexpr uint64_t kWritebackChunk = uint64_t(8) << 20;
// The new pack is synced in the background after every this many bytes.
constexpr uint64_t kSyncChunk = uint64_t(16) << 20;
// The used part of an old pack up to this size is read into memory for the
// copy. A larger one is read through its mapping instead, so the memory the
// copy takes stays bounded; slower where page faults are dear, not wrong.
constexpr uint64_t kSourceInMemoryLimit = uint64_t(256) << 20;
constexpr size_t kHugePage = size_t(2) << 20;
// How many entries ahead the gather asks the processor for the old bytes.
constexpr size_t kPrefetchAhead = 8;

struct Placed {
    const GenerationEntry *entry;
    uint64_t dst = 0; // offset in the new pack
};

// Working memory for the copy: anonymous, 2 MiB aligned, backed by
// transparent huge pages where the kernel offers them, and populated up
// front. Fresh 4 KiB pages cost a fault each and, on virtual machines with
// shadow paging, several microseconds more at the first touch.
class CopyBuffer
{
public:
    // Without `populate`, call populate() on each part before using it.
    explicit CopyBuffer(size_t size, bool populate = true) : m_size(size)
    {
        if (size == 0)
            return;
        // Whole huge pages: a small buffer takes one rather than a fault per
        // 4 KiB page.
        const size_t rounded = (size + kHugePage - 1) & ~(kHugePage - 1);
        m_mapped = rounded + kHugePage;
        void *p = ::mmap(nullptr, m_mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            m_mapped = 0;
            return;
        }
        m_base = p;
        m_data
            = reinterpret_cast<uint8_t *>((reinterpret_cast<uintptr_t>(p) + kHugePage - 1) & ~uintptr_t(kHugePage - 1));
        // Both are hints: without them the copy is slower, not wrong.
        ::madvise(m_data, rounded, MADV_HUGEPAGE);
        if (populate)
            this->populate(0, size);
    }
    ~CopyBuffer()
    {
        if (m_base)
            ::munmap(m_base, m_mapped);
    }
    CopyBuffer(const CopyBuffer &) = delete;
    CopyBuffer &operator=(const CopyBuffer &) = delete;
    [[nodiscard]] bool valid() const { return m_size == 0 || m_data; }
    [[nodiscard]] uint8_t *data() const { return m_data; }
    [[nodiscard]] size_t size() const { return m_size; }
    // Bytes usable from data(): size() rounded up to whole huge pages.
    [[nodiscard]] size_t capacity() const { return m_mapped > 0 ? m_mapped - kHugePage : 0; }
    [[nodiscard]] std::span<uint8_t> span(uint64_t offset, uint64_t length) const
    {
        return {m_data + offset, size_t(length)};
    }
    // Faults [offset, offset + length) in with one call, rounded out to
    // whole huge pages; a hint.
    void populate([[maybe_unused]] size_t offset, [[maybe_unused]] size_t length) const
    {
#ifdef MADV_POPULATE_WRITE
        const size_t from = offset & ~(kHugePage - 1);
        const size_t to = (offset + length + kHugePage - 1) & ~(kHugePage - 1);
        if (m_data && to > from)
            ::madvise(m_data + from, to - from, MADV_POPULATE_WRITE);
#endif
    }

private:
    void *m_base = nullptr;
    size_t m_mapped = 0;
    uint8_t *m_data = nullptr;
    size_t m_size = 0;
};

// The buffer an old pack was read into, kept for the next copy: a fresh one
// costs zeroing every page and, on virtual machines with shadow paging,
// setting each up anew, more than the read itself. While kept it is marked
// free-able (MADV_FREE), so the kernel may take its pages back under memory
// pressure; they then come back as zeros, which a copy overwrites anyway.
class KeptBuffer
{
public:
    // The kept buffer if it holds `size` bytes, else a new one, not populated.
    static std::unique_ptr<CopyBuffer> take(size_t size)
    {
        {
            std::lock_guard lock(s_mutex);
            if (s_kept && s_kept->capacity() >= size)
                return std::move(s_kept);
        }
        return std::make_unique<CopyBuffer>(size, false);
    }
    // Keeps `buffer` unless it is too large or a larger one is kept already.
    static void give(std::unique_ptr<CopyBuffer> buffer)
    {
        if (!buffer || !buffer->valid() || buffer->capacity() == 0 || buffer->capacity() > kLimit)
            return;
#ifdef MADV_FREE
        ::madvise(buffer->data(), buffer->capacity(), MADV_FREE);
#endif
        std::lock_guard lock(s_mutex);
        if (!s_kept || s_kept->capacity() < buffer->capacity())
            s_kept = std::move(buffer);
    }

private:
    static constexpr size_t kLimit = size_t(128) << 20;
    static inline std::mutex s_mutex;
    static inline std::unique_ptr<CopyBuffer> s_kept;
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

// The old pack's bytes from offset `first` on, in memory or mapped.
struct OldBytes {
    const uint8_t *data = nullptr;
    uint64_t first = 0;
    [[nodiscard]] const uint8_t *at(uint64_t offset) const { return data + (offset - first); }
};

// Calls fn(newPackOffset, oldPackBytes, length) for the pieces of the
// entries that make up new-pack bytes [from, to), front to back. `cursor` is
// the first entry not wholly passed yet; it moves on past the entries that
// end by `to`, so consecutive ranges walk the entries once. The entries lie
// in random order in the old pack: the first bytes of those a few entries
// ahead are asked for early, so the copy does not wait for each in turn.
template<typename Fn>
bool forEachPiece(
    std::span<const Placed> live, const OldBytes &old, size_t &cursor, uint64_t from, uint64_t to, Fn &&fn)
{
    for (uint64_t at = from; at < to;) {
        const Placed &e = live[cursor];
        const uint64_t into = at - e.dst;
        if (into == 0 && cursor + kPrefetchAhead < live.size()) {
            const GenerationEntry &ahead = *live[cursor + kPrefetchAhead].entry;
            if (ahead.len > 0) {
                __builtin_prefetch(old.at(ahead.offset));
                __builtin_prefetch(old.at(ahead.offset) + 64);
            }
        }
        const uint64_t n = std::min<uint64_t>(e.entry->len - into, to - at);
        if (n > 0 && !fn(at, old.at(e.entry->offset + into), n))
            return false;
        at += n;
        if (into + n == e.entry->len)
            ++cursor;
    }
    return true;
}

// How far the writer of the new pack has come, for the threads that follow
// it. Any of them may stop the copy; the others then return at once.
class CopyProgress
{
public:
    void advance(uint64_t written)
    {
        {
            std::lock_guard lock(m_mutex);
            m_written = written;
        }
        m_changed.notify_all();
    }
    void stop()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopped.store(true, std::memory_order_relaxed);
        }
        m_changed.notify_all();
    }
    [[nodiscard]] bool stopped() const { return m_stopped.load(std::memory_order_relaxed); }
    // Waits until at least `upTo` bytes are written: how many are then, or
    // nullopt once the copy is stopped.
    [[nodiscard]] std::optional<uint64_t> waitFor(uint64_t upTo)
    {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&]() { return m_stopped.load(std::memory_order_relaxed) || m_written >= upTo; });
        if (m_stopped.load(std::memory_order_relaxed))
            return std::nullopt;
        return m_written;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    uint64_t m_written = 0;
    std::atomic<bool> m_stopped {false};
};

// A thread that follows the writer. Its first error stops the copy; leaving
// scope without finish() stops it too (the writer failed or was cancelled).
class Follower
{
public:
    Follower(CopyProgress &progress, std::function<Result<void>()> body)
        : m_progress(progress), m_thread([this, body = std::move(body)]() {
            if (auto r = body(); !r) {
                m_error = r.error();
                m_progress.stop();
            }
        })
    { }
    ~Follower()
    {
        if (m_thread.joinable()) {
            m_progress.stop();
            m_thread.join();
        }
    }
    Follower(const Follower &) = delete;
    Follower &operator=(const Follower &) = delete;
    // Waits for the thread to end, having done its work or been stopped.
    [[nodiscard]] Result<void> finish()
    {
        if (m_thread.joinable())
            m_thread.join();
        if (m_error)
            return std::unexpected(*m_error);
        return {};
    }

private:
    CopyProgress &m_progress;
    std::optional<Error> m_error;
    std::thread m_thread; // last: starts once everything above is ready
};

struct JoinOnExit {
    std::thread &t;
    ~JoinOnExit()
    {
        if (t.joinable())
            t.join();
    }
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

    // The part of the old pack the entries use, read through the descriptor
    // (the kernel copies it without touching a fresh page of ours) into
    // memory, on a thread of its own while the new files are made.
    uint64_t usedFrom = UINT64_MAX;
    uint64_t usedTo = 0;
    for (const GenerationEntry &e : entries) {
        if (e.len > 0) {
            usedFrom = std::min<uint64_t>(usedFrom, e.offset);
            usedTo = std::max<uint64_t>(usedTo, uint64_t(e.offset) + e.len);
        }
    }
    const bool inMemory = usedTo > 0 && usedTo - usedFrom <= kSourceInMemoryLimit;
    // Two threads, each faulting in and reading one half: the copy waits for
    // both, and on two cores they take half as long.
    std::unique_ptr<CopyBuffer> oldCopy;
    struct GiveBack {
        std::unique_ptr<CopyBuffer> &buffer;
        ~GiveBack() { KeptBuffer::give(std::move(buffer)); }
    } keepOldCopy {oldCopy}; // once the threads below that use it are joined
    std::optional<Error> loadError[2];
    std::thread loader[2];
    if (inMemory) {
        const uint64_t used = usedTo - usedFrom;
        oldCopy = KeptBuffer::take(size_t(used));
        if (!oldCopy->valid()) {
            return fail(ErrorKind::Io, source.file().path(),
                "cannot allocate " + std::to_string(used) + " bytes to copy the pack");
        }
        const uint64_t half = (used / 2 + kHugePage - 1) & ~uint64_t(kHugePage - 1);
        for (int i = 0; i < 2; ++i) {
            const uint64_t from = i == 0 ? 0 : std::min(half, used);
            const uint64_t to = i == 0 ? std::min(half, used) : used;
            loader[i] = std::thread([&, i, from, to]() {
                if (from == to)
                    return;
                oldCopy->populate(size_t(from), size_t(to - from));
                const std::span<uint8_t> part = oldCopy->span(from, to - from);
                if (auto r
                    = source.file().readScattered(usedFrom + from, std::span<const std::span<uint8_t>>(&part, 1));
                    !r)
                    loadError[i] = r.error();
            });
        }
    }
    JoinOnExit joinLoader0 {loader[0]};
    JoinOnExit joinLoader1 {loader[1]};

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
    UncommittedFiles partial(dir, {tableTmp, packTmp, tableName, packName});

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
    JoinOnExit joinTableWriter {tableWriter};

    OldBytes old;
    if (inMemory) {
        for (int i = 0; i < 2; ++i) {
            loader[i].join();
            if (loadError[i])
                return std::unexpected(*loadError[i]);
        }
        old = {oldCopy->data(), usedFrom};
    } else if (usedTo > 0) {
        // Too large to hold: read through the mapping. A file another process
        // shrinks under it reads as zeros past its new end (byte_source.h),
        // which truncatedSinceMapped() reports below.
        auto all = source.file().bytes().read(0, source.file().size());
        if (!all)
            return std::unexpected(all.error());
        old = {all->data(), 0};
    }

    // The chunk being written and the stretch being read back: one huge page.
    CopyBuffer work {2 * kWriteChunk};
    if (!work.valid())
        return fail(
            ErrorKind::Io, dir.path(), "cannot allocate " + std::to_string(work.size()) + " bytes for the copy");
    const std::span<uint8_t> chunk = work.span(0, kWriteChunk);
    const std::span<uint8_t> readBack = work.span(kWriteChunk, kWriteChunk);

    const int packOut = packFd->get();
    CopyProgress copy;
    // Rule 4 of DURABILITY.md, verified without a second trip to the disk:
    // every stretch of the new pack is read back with pread (so from the page
    // cache, not with O_DIRECT from the disk) and compared byte for byte with
    // the bytes the old pack holds for the entries placed there (as read from
    // it above), walking the entries on its own rather than trusting the
    // writer's chunks, so that a wrong offset or a short or misplaced write
    // shows as a difference. It runs while the writer goes on and during the
    // final sync, and is joined before anything is renamed.
    Follower verifier(copy, [&]() -> Result<void> {
        size_t cursor = 0;
        for (uint64_t done = 0; done < liveBytes;) {
            const auto written = copy.waitFor(done + 1);
            if (!written)
                return {};
            while (done < *written) {
                const uint64_t len = std::min<uint64_t>(readBack.size(), *written - done);
                if (auto r = readAll(packOut, readBack.first(size_t(len)), done, packPath); !r)
                    return r;
                uint64_t differsAt = 0;
                const bool same = forEachPiece(
                    live, old, cursor, done, done + len, [&](uint64_t at, const uint8_t *bytes, uint64_t n) {
                        if (std::memcmp(readBack.data() + (at - done), bytes, size_t(n)) == 0)
                            return true;
                        differsAt = at;
                        return false;
                    });
                if (!same) {
                    return fail(ErrorKind::Io, packPath,
                        "bytes read back differ from the bytes of the entry copied there from " + source.file().path(),
                        differsAt);
                }
                done += len;
            }
        }
        return {};
    });
    // Write-back is started after every kWritebackChunk bytes and the pack
    // synced after every kSyncChunk, on this thread rather than the writer's,
    // so the disk works while the rest is copied and the final sync waits for
    // the last stretch only. Always the same number of syncs for the same
    // entries, whatever the timing.
    Follower syncer(copy, [&]() -> Result<void> {
        for (uint64_t next = kWritebackChunk; next < liveBytes; next += kWritebackChunk) {
            if (!copy.waitFor(next))
                return {};
            if (next % kSyncChunk != 0) {
                // A hint: the syncs below and at the end do not depend on it.
                ::sync_file_range(
                    packOut, off_t(next - kWritebackChunk), off_t(kWritebackChunk), SYNC_FILE_RANGE_WRITE);
            } else if (auto r = syncData(packOut, packPath); !r) {
                return r;
            }
        }
        return {};
    });
    static_assert(kSyncChunk % kWritebackChunk == 0);

    size_t cursor = 0;
    for (uint64_t off = 0; off < liveBytes && !copy.stopped(); off += kWriteChunk) {
        const uint64_t end = std::min(liveBytes, off + kWriteChunk);
        (void)forEachPiece(live, old, cursor, off, end, [&](uint64_t at, const uint8_t *bytes, uint64_t n) {
            std::memcpy(chunk.data() + (at - off), bytes, size_t(n));
            return true;
        });
        if (auto r = writeAll(packOut, chunk.first(size_t(end - off)), off, packPath); !r)
            return std::unexpected(r.error());
        copy.advance(end);
        p.bytesDone = end;
        while (p.entriesDone < live.size() && live[p.entriesDone].dst + live[p.entriesDone].entry->len <= p.bytesDone)
            ++p.entriesDone;
        if (cancelled())
            return std::unexpected(cancelledError(dir.path(), write.operation));
    }
    // What a shrunk old pack read as is zeros, not its bytes: that, rather
    // than a difference the verifier found, is then the cause to report.
    auto copyFailed = [&](Error e) {
        if (!inMemory && source.file().truncatedSinceMapped()) {
            return Error {ErrorKind::Io, source.file().path(), std::nullopt,
                "the pack was truncated by another process while it was copied"};
        }
        return e;
    };
    // The final sync does not wait for a background one still running: each
    // makes durable what was written before it began, and both must succeed.
    if (!copy.stopped()) {
        if (auto r = syncData(packOut, packPath); !r)
            return std::unexpected(r.error());
    }
    if (auto r = syncer.finish(); !r)
        return std::unexpected(r.error());
    if (auto r = verifier.finish(); !r)
        return std::unexpected(copyFailed(r.error()));
    if (copy.stopped()) // only a follower stops the copy, and both said why above
        return fail(ErrorKind::Io, packPath, "the copy stopped before its end");
    p.entriesDone = live.size();
    p.bytesDone = liveBytes;
    if (!inMemory && source.file().truncatedSinceMapped())
        return std::unexpected(copyFailed({}));
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
    partial.keep();
    auto saved = ManifestFile::save(dir, manifest, write.gen, uint32_t(live.size()));
    if (!saved) {
        if (commitFailed)
            *commitFailed = true;
        return std::unexpected(saved.error());
    }
    return WrittenGeneration {*saved, std::move(*newTableFile), std::move(*newPackFile), liveBytes};
}

} // namespace shardscope
