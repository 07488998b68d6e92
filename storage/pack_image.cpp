#include "pack_image.h"

#include "generation_writer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

namespace shardscope {

namespace {

// Dead bytes up to this between two entries are read into the sink rather
// than ending the run: one more part is cheaper than one more system call.
constexpr size_t kSinkSize = size_t(64) << 10;
// Parts per preadv; the kernel takes at most IOV_MAX (1024).
constexpr size_t kPartsPerRead = 1000;

// The image's memory, kept for the next copy until releaseCopyMemory(): a
// store compacted shard after shard, or a benchmark, would otherwise pay for
// fresh memory every time. Measured on the build machine, fresh huge pages
// for a 60 MB image cost about 5 ms a compaction and memory given back with
// MADV_FREE about 4 (the kernel splits its huge pages), against 50 ms for the
// whole compaction. So kept memory stays resident; it is at most kLimit.
class KeptMemory
{
public:
    // The kept memory if it holds `size` bytes, else new memory.
    static std::unique_ptr<HugePageMemory> take(size_t size)
    {
        std::unique_ptr<HugePageMemory> memory;
        {
            std::lock_guard lock(s_mutex);
            if (s_kept && s_kept->capacity() >= size)
                memory = std::move(s_kept);
        }
        if (!memory)
            memory = std::make_unique<HugePageMemory>(size, false);
        return memory;
    }
    // Keeps `memory` unless it is too large or larger memory is kept already.
    static void give(std::unique_ptr<HugePageMemory> memory)
    {
        if (!memory || !memory->valid() || memory->capacity() == 0 || memory->capacity() > kLimit)
            return;
        std::lock_guard lock(s_mutex);
        if (!s_kept || s_kept->capacity() < memory->capacity())
            s_kept = std::move(memory);
    }
    static void release()
    {
        std::unique_ptr<HugePageMemory> gone;
        std::lock_guard lock(s_mutex);
        gone = std::move(s_kept);
    }

private:
    static constexpr size_t kLimit = size_t(128) << 20;
    static inline std::mutex s_mutex;
    static inline std::unique_ptr<HugePageMemory> s_kept;
};

// Indices of `entries` ordered by old offset, ties in index order: a radix
// sort in three passes of 11 bits, as a comparison sort of a full table's
// entries takes several times longer.
template<typename Vector> void orderByOffset(std::span<const GenerationEntry> entries, Vector &order)
{
    const size_t n = entries.size();
    order.resize(n);
    for (size_t i = 0; i < n; ++i)
        order[i] = uint32_t(i);
    Vector scratch(n);
    constexpr int kBits = 11;
    constexpr size_t kBuckets = size_t(1) << kBits;
    for (int shift = 0; shift < 32; shift += kBits) {
        std::array<uint32_t, kBuckets + 1> start {};
        for (size_t i = 0; i < n; ++i)
            ++start[((entries[order[i]].offset >> shift) & (kBuckets - 1)) + 1];
        for (size_t b = 1; b <= kBuckets; ++b)
            start[b] += start[b - 1];
        for (size_t i = 0; i < n; ++i)
            scratch[start[(entries[order[i]].offset >> shift) & (kBuckets - 1)]++] = order[i];
        order.swap(scratch);
    }
}

} // namespace

void releaseCopyMemory()
{
    KeptMemory::release();
}

bool PackImage::fits(const ShardFile &source, uint64_t liveBytes, uint64_t limit)
{
    return source.hasDescriptor() && liveBytes <= limit;
}

PackImage::~PackImage()
{
    KeptMemory::give(std::move(m_memory));
}

Result<PackImage> PackImage::load(const ShardFile &source, std::span<const GenerationEntry> entries, uint64_t liveBytes)
{
    PackImage image;
    image.m_size = liveBytes;
    image.m_entries = entries;
    image.m_memory = KeptMemory::take(size_t(liveBytes) + kSinkSize);
    if (!image.m_memory->valid()) {
        return fail(
            ErrorKind::Io, source.path(), "cannot allocate " + std::to_string(liveBytes) + " bytes to copy the pack");
    }
    image.m_dst.resize(entries.size());
    uint64_t dst = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        image.m_dst[i] = dst;
        dst += entries[i].len;
    }
    orderByOffset(entries, image.m_byOffset);

    uint8_t *const base = image.m_memory->data();
    const std::span<uint8_t> sink {base + liveBytes, kSinkSize};
    // Reads the entries image.m_byOffset[from, to) names, a run per preadv.
    auto loadRange = [&](size_t from, size_t to) -> Result<void> {
        if (from == to)
            return {};
        std::vector<std::span<uint8_t>> parts;
        parts.reserve(kPartsPerRead + 1);
        uint64_t runStart = 0;
        uint64_t runEnd = 0;
        auto readRun = [&]() -> Result<void> {
            if (parts.empty())
                return {};
            auto r = source.readScattered(runStart, parts);
            parts.clear();
            return r;
        };
        for (size_t k = from; k < to; ++k) {
            const uint32_t i = image.m_byOffset[k];
            const GenerationEntry &e = entries[i];
            if (e.len == 0)
                continue;
            const std::span<uint8_t> place {base + image.m_dst[i], e.len};
            if (!parts.empty() && e.offset < runEnd) {
                // Overlaps an entry of this run: its bytes are read once per
                // run, so this one is read by itself.
                if (auto r = source.readScattered(e.offset, std::span(&place, 1)); !r)
                    return r;
                continue;
            }
            const uint64_t gap = parts.empty() ? 0 : e.offset - runEnd;
            if (gap > kSinkSize || parts.size() + 2 > kPartsPerRead) {
                if (auto r = readRun(); !r)
                    return r;
            }
            if (parts.empty())
                runStart = e.offset;
            else if (e.offset > runEnd)
                parts.push_back(sink.first(size_t(e.offset - runEnd)));
            parts.push_back(place);
            runEnd = uint64_t(e.offset) + e.len;
        }
        return readRun();
    };
    // Two threads, each faulting in half of the memory and reading half of
    // the entries: on two cores they take half as long.
    const size_t n = image.m_byOffset.size();
    const size_t total = size_t(liveBytes) + kSinkSize;
    std::optional<Error> secondError;
    std::thread second([&]() {
        image.m_memory->populate(total / 2, total - total / 2);
        if (auto r = loadRange(n / 2, n); !r)
            secondError = r.error();
    });
    image.m_memory->populate(0, total / 2);
    auto first = loadRange(0, n / 2);
    second.join();
    if (!first)
        return std::unexpected(first.error());
    if (secondError)
        return std::unexpected(*secondError);
    return image;
}

Result<void> PackImage::verifyAgainst(
    const ShardFile &source, std::span<uint8_t> window, const std::function<bool()> &keepGoing) const
{
    if (window.empty())
        return fail(ErrorKind::Invalid, source.path(), "no memory to read the pack through for the check");
    uint64_t windowFrom = 0;
    uint64_t windowTo = 0;
    for (const uint32_t i : m_byOffset) {
        const GenerationEntry &e = m_entries[i];
        for (uint64_t done = 0; done < e.len;) {
            const uint64_t at = uint64_t(e.offset) + done;
            if (at < windowFrom || at >= windowTo) {
                if (!keepGoing())
                    return {};
                const uint64_t n = std::min<uint64_t>(window.size(), source.size() - at);
                const std::span<uint8_t> part = window.first(size_t(n));
                if (auto r = source.readScattered(at, std::span(&part, 1)); !r)
                    return r;
                windowFrom = at;
                windowTo = at + n;
            }
            const uint64_t n = std::min<uint64_t>(e.len - done, windowTo - at);
            const uint8_t *expected = window.data() + (at - windowFrom);
            const uint8_t *got = m_memory->data() + m_dst[i] + done;
            if (std::memcmp(expected, got, size_t(n)) != 0) {
                const auto differs = std::mismatch(expected, expected + n, got).first - expected;
                return fail(ErrorKind::Io, source.path(),
                    "the copy assembled in memory differs from the old pack's bytes", at + uint64_t(differs));
            }
            done += n;
        }
    }
    return {};
}

} // namespace shardscope
