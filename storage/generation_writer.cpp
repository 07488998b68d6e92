// The copy into a new generation, shared by compaction and the repairs, in
// the order DURABILITY.md asks for: write the new files under temporary
// names, sync them, verify them, rename them into place and sync the
// directory, and only then flip the manifest. Until the flip the shard is
// exactly as it was.
//
// The copy is built for speed on large packs. There the disk sets the pace:
// making 60 MB durable takes the build machine's disk about 40 ms, preparing
// them about 15. So the disk is put to work early and kept busy: write-back
// of every few MiB of the new pack is started as soon as they are written,
// without waiting and without a cache flush, and the one sync at the end
// waits only for the last stretch. The new pack is first assembled in memory
// in key order (pack_image.h), so that it is written with large plain
// writes; the process never touches the old pack through its mapping for it
// (on virtual machines that shadow page tables, every first touch of a
// mapped page costs several microseconds). A pack too large to assemble is
// gathered from the mapping instead: slower there, not wrong. A second thread
// reads back what was written and compares it while the final sync waits for
// the disk; the table is written, checked and synced on a third. All working
// memory is huge pages (huge_page_memory.h), for the same reason.
#include "generation_writer.h"

#include "format.h"
#include "huge_page_memory.h"
#include "pack_image.h"

#include <fcntl.h>
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

// New-pack bytes sent to the kernel with one gathered write, and read back
// at a time by the verifier.
// 2 MiB made the kernel's copy out of the image pathologically slow on the
// build machine after a few compactions (three times slower).
constexpr uint64_t kWriteChunk = uint64_t(512) << 10;
// Write-back of the new pack is started after every this many bytes.
// Measured on the build machine: every 8 MiB makes writing and syncing 60 MB
// 13% faster than one sync at the end, and faster than a sync (which also
// flushes the disk's cache) every 16 MiB.
constexpr uint64_t kWritebackChunk = uint64_t(8) << 20;
// Table slots encoded, written and read back at a time.
constexpr size_t kTableChunkSlots = 4096;
constexpr size_t kTableChunk = kTableChunkSlots * kTableEntrySize;
// How many entries ahead the copy asks the processor for the old bytes.
constexpr size_t kPrefetchAhead = 8;

// The old pack's bytes, as mapped.
struct OldBytes {
    const uint8_t *data = nullptr;
    [[nodiscard]] const uint8_t *at(uint64_t offset) const { return data + offset; }
};

// Where a walk over the entries in their new order stands: the first entry
// not wholly passed yet, and its offset in the new pack.
struct EntryCursor {
    size_t index = 0;
    uint64_t dst = 0;
};

// Calls fn(newPackOffset, oldPackBytes, length) for the pieces of the
// entries that make up new-pack bytes [from, to), front to back, and moves
// `cursor` past the entries that end by `to`, so consecutive ranges walk the
// entries once. The entries lie in random order in the old pack: the first
// bytes of those a few entries ahead are asked for early, so the copy does
// not wait for each in turn.
template<typename Fn>
bool forEachPiece(std::span<const GenerationEntry> entries, const OldBytes &old, EntryCursor &cursor, uint64_t from,
    uint64_t to, Fn &&fn)
{
    for (uint64_t at = from; at < to;) {
        const GenerationEntry &e = entries[cursor.index];
        const uint64_t into = at - cursor.dst;
        if (into == 0 && cursor.index + kPrefetchAhead < entries.size()) {
            const GenerationEntry &ahead = entries[cursor.index + kPrefetchAhead];
            if (ahead.len > 0) {
                __builtin_prefetch(old.at(ahead.offset));
                __builtin_prefetch(old.at(ahead.offset) + 64);
            }
        }
        const uint64_t n = std::min<uint64_t>(e.len - into, to - at);
        if (n > 0 && !fn(at, old.at(e.offset + into), n))
            return false;
        at += n;
        if (into + n == e.len) {
            cursor.dst += e.len;
            ++cursor.index;
        }
    }
    return true;
}

// Writes slots 0..n-1 of the new table (the entries back to back from pack
// offset 0) a chunk at a time through `encoded`, reads each back through
// `back` and compares, and syncs the table.
Result<void> writeTableFile(int fd, std::span<const GenerationEntry> entries, std::span<uint8_t> encoded,
    std::span<uint8_t> back, const std::string &path)
{
    uint64_t dst = 0;
    for (size_t first = 0; first < entries.size(); first += kTableChunkSlots) {
        const size_t count = std::min(kTableChunkSlots, entries.size() - first);
        for (size_t i = 0; i < count; ++i) {
            const GenerationEntry &e = entries[first + i];
            Entry {e.key, uint32_t(dst), e.len}.encodeTo(encoded.data() + i * kTableEntrySize);
            dst += e.len;
        }
        const uint64_t offset = uint64_t(first) * kTableEntrySize;
        const size_t bytes = count * kTableEntrySize;
        if (auto r = writeAll(fd, encoded.first(bytes), offset, path); !r)
            return r;
        if (auto r = readAll(fd, back.first(bytes), offset, path); !r)
            return r;
        if (std::memcmp(encoded.data(), back.data(), bytes) != 0) {
            const auto differs = std::ranges::mismatch(encoded.first(bytes), back.first(bytes)).in1 - encoded.begin();
            return fail(
                ErrorKind::Io, path, "table read back differs from the table written", offset + uint64_t(differs));
        }
    }
    return syncData(fd, path);
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
    // Waits until at least `upTo` bytes are written: false once the copy
    // is stopped instead.
    [[nodiscard]] bool waitFor(uint64_t upTo)
    {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&]() { return m_stopped.load(std::memory_order_relaxed) || m_written >= upTo; });
        return !m_stopped.load(std::memory_order_relaxed);
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

NewGenerationFiles::NewGenerationFiles(const Directory &dir, uint32_t gen)
    : m_dir(dir)
    , m_tableName(tableFileName(gen))
    , m_packName(packFileName(gen))
    , m_tableTmp(m_tableName + ".tmp")
    , m_packTmp(m_packName + ".tmp")
    , m_tablePath(dir.filePath(m_tableTmp))
    , m_packPath(dir.filePath(m_packTmp))
{ }

NewGenerationFiles::~NewGenerationFiles()
{
    if (!m_created || m_kept)
        return;
    m_tableFd.reset();
    m_packFd.reset();
    for (const auto &n : {m_tableTmp, m_packTmp, m_tableName, m_packName})
        (void)m_dir.remove(n);
    (void)m_dir.sync();
}

Result<void> NewGenerationFiles::create(uint64_t tableSize, uint64_t packSize)
{
    for (const auto &n : {m_tableTmp, m_packTmp}) {
        if (auto r = m_dir.remove(n); !r)
            return r;
    }
    m_created = true;
    auto table = m_dir.createFile(m_tableTmp, tableSize);
    if (!table)
        return std::unexpected(table.error());
    m_tableFd = std::move(*table);
    auto pack = m_dir.createFile(m_packTmp, packSize);
    if (!pack)
        return std::unexpected(pack.error());
    m_packFd = std::move(*pack);
    return {};
}

Result<void> NewGenerationFiles::rename()
{
    m_tableFd.reset();
    m_packFd.reset();
    if (auto r = m_dir.rename(m_tableTmp, m_tableName); !r)
        return r;
    if (auto r = m_dir.rename(m_packTmp, m_packName); !r)
        return r;
    return m_dir.sync();
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
    uint64_t liveBytes = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const GenerationEntry &e = entries[i];
        if (!source.file().bytes().contains(e.offset, e.len)) {
            return fail(ErrorKind::Corrupt, source.file().path(),
                "an entry's bytes [" + std::to_string(e.offset) + ", " + std::to_string(uint64_t(e.offset) + e.len)
                    + ") lie beyond the pack",
                e.offset);
        }
        liveBytes += e.len;
    }
    if (liveBytes > geometry.packSize) {
        return fail(ErrorKind::Full, dir.path(),
            std::to_string(liveBytes) + " bytes of live data do not fit a pack of " + std::to_string(geometry.packSize)
                + " bytes");
    }
    CompactionProgress p {0, entries.size(), 0, liveBytes};
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
    NewGenerationFiles files(dir, write.gen);
    if (auto r = files.create(uint64_t(geometry.tableSlots) * kTableEntrySize, geometry.packSize); !r)
        return std::unexpected(r.error());
    const std::string &tablePath = files.tablePath();
    const std::string &packPath = files.packPath();

    // Working memory, one huge page: the stretch of the new pack being read
    // back, the table chunk being written and read back, and the window the
    // old pack is read through again to check the image.
    HugePageMemory work {2 * kWriteChunk + 2 * kTableChunk};
    if (!work.valid())
        return fail(
            ErrorKind::Io, dir.path(), "cannot allocate " + std::to_string(work.size()) + " bytes for the copy");
    const std::span<uint8_t> readBack = work.span(0, kWriteChunk);
    const std::span<uint8_t> oldWindow = work.span(kWriteChunk + 2 * kTableChunk, kWriteChunk);

    // The table is known before any pack byte moves: it is written, checked
    // and synced on a thread of its own while the pack is copied.
    std::optional<Error> tableError;
    std::thread tableWriter([&, fd = files.tableFd()]() {
        if (auto r = writeTableFile(fd, entries, work.span(kWriteChunk, kTableChunk),
                work.span(kWriteChunk + kTableChunk, kTableChunk), tablePath);
            !r)
            tableError = r.error();
    });
    JoinOnExit joinTableWriter {tableWriter};

    // The new pack's bytes: assembled in memory (pack_image.h), or, for a
    // pack too large to hold, gathered from the old pack's mapping. A file
    // another process shrinks under the mapping reads as zeros past its new
    // end (byte_source.h), which truncatedSinceMapped() reports below; the
    // reads that fill an image fail instead.
    std::optional<PackImage> image;
    OldBytes old;
    if (PackImage::fits(source.file(), liveBytes, write.copyMemoryLimit)) {
        auto loaded = PackImage::load(source.file(), entries, liveBytes);
        if (!loaded)
            return std::unexpected(loaded.error());
        image.emplace(std::move(*loaded));
    } else if (liveBytes > 0) {
        auto all = source.file().bytes().read(0, source.file().size());
        if (!all)
            return std::unexpected(all.error());
        old = {all->data()};
    }
    // Calls fn(newPackOffset, bytes, length) for the pieces of new-pack
    // bytes [from, to), front to back; the cursor is the caller's own.
    auto forEachNewPiece = [&](EntryCursor &cursor, uint64_t from, uint64_t to, auto &&fn) {
        if (image)
            return from == to || fn(from, image->bytes(from, to - from).data(), to - from);
        return forEachPiece(entries, old, cursor, from, to, fn);
    };
    if (cancelled())
        return std::unexpected(cancelledError(dir.path(), write.operation));

    const int packOut = files.packFd();
    CopyProgress copy;
    // Rule 4 of DURABILITY.md, verified without a second trip to the disk:
    // every stretch of the new pack is read back with pread (so from the page
    // cache, not with O_DIRECT from the disk) and compared byte for byte with
    // the bytes meant to be there, so that a short or misplaced write shows
    // as a difference; gathered pieces are found by a walk over the entries
    // of its own. An image is then checked against the old pack, read again
    // front to back. It starts once the writer is done and runs during the
    // final sync, when the processor would otherwise wait for the disk: run
    // beside the writer, it slowed the writing (both are bound by memory
    // bandwidth) and so the start of that sync. It is joined before anything
    // is renamed.
    Follower verifier(copy, [&]() -> Result<void> {
        if (!copy.waitFor(liveBytes))
            return {}; // the writer stopped: nothing to check
        EntryCursor cursor;
        for (uint64_t done = 0; done < liveBytes;) {
            const uint64_t len = std::min<uint64_t>(readBack.size(), liveBytes - done);
            if (auto r = readAll(packOut, readBack.first(size_t(len)), done, packPath); !r)
                return r;
            uint64_t differsAt = 0;
            const bool same
                = forEachNewPiece(cursor, done, done + len, [&](uint64_t at, const uint8_t *bytes, uint64_t n) {
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
        if (image)
            return image->verifyAgainst(source.file(), oldWindow, [&]() { return !copy.stopped(); });
        return {};
    });
    // Write-back of each kWritebackChunk bytes is started once they are
    // written, so the disk works while the rest is copied and the final sync
    // waits for the last stretch only.
    EntryCursor cursor;
    EntryCursor finished; // for the progress: entries wholly written
    std::vector<std::span<const uint8_t>> pieces;
    uint64_t writebackFrom = 0;
    for (uint64_t off = 0; off < liveBytes && !copy.stopped(); off += kWriteChunk) {
        const uint64_t end = std::min(liveBytes, off + kWriteChunk);
        pieces.clear();
        (void)forEachNewPiece(cursor, off, end, [&](uint64_t, const uint8_t *bytes, uint64_t n) {
            pieces.emplace_back(bytes, size_t(n));
            return true;
        });
        if (auto r = writeGathered(packOut, pieces, off, packPath); !r)
            return std::unexpected(r.error());
        copy.advance(end);
        if (end - writebackFrom >= kWritebackChunk) {
            startWriteback(packOut, writebackFrom, end - writebackFrom);
            writebackFrom = end;
        }
        p.bytesDone = end;
        while (finished.index < entries.size() && finished.dst + entries[finished.index].len <= p.bytesDone)
            finished.dst += entries[finished.index++].len;
        p.entriesDone = finished.index;
        if (cancelled())
            return std::unexpected(cancelledError(dir.path(), write.operation));
    }
    // What a shrunk old pack read as is zeros, not its bytes: that, rather
    // than a difference the verifier found, is then the cause to report.
    auto copyFailed = [&](Error e) {
        if (!image && source.file().truncatedSinceMapped()) {
            return Error {ErrorKind::Io, source.file().path(), std::nullopt,
                "the pack was truncated by another process while it was copied"};
        }
        return e;
    };
    // The write-back started above made nothing durable: this sync does.
    if (!copy.stopped()) {
        if (auto r = syncData(packOut, packPath); !r)
            return std::unexpected(r.error());
    }
    if (auto r = verifier.finish(); !r)
        return std::unexpected(copyFailed(r.error()));
    if (copy.stopped()) // only the verifier stops the copy, and it said why above
        return fail(ErrorKind::Io, packPath, "the copy stopped before its end");
    p.entriesDone = entries.size();
    p.bytesDone = liveBytes;
    if (!image && source.file().truncatedSinceMapped())
        return std::unexpected(copyFailed({}));
    tableWriter.join();
    if (tableError)
        return std::unexpected(*tableError);
    if (cancelled())
        return std::unexpected(cancelledError(dir.path(), write.operation));

    if (auto r = files.rename(); !r)
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
    files.keep();
    auto saved = ManifestFile::save(dir, manifest, write.gen, uint32_t(entries.size()));
    if (!saved) {
        if (commitFailed)
            *commitFailed = true;
        return std::unexpected(saved.error());
    }
    return WrittenGeneration {*saved, std::move(*newTableFile), std::move(*newPackFile), liveBytes};
}

} // namespace shardscope
