// A new pack assembled in memory before it is written: the entries' bytes in
// their new order, back to back from offset 0, read from the old pack.
//
// Why assemble it at all: the new order (by key) is random in the old pack,
// and gathering ~2 KB pieces from all over memory while writing made the
// write phase of a compaction twice as slow as writing one contiguous
// buffer. Here the kernel does the scattering instead: the old pack is read
// front to back, a long run of entries per preadv, each entry's bytes landing
// straight at its place in the image (dead bytes in between land in a sink).
// The new pack is then written from the image with large plain writes.
#pragma once

#include "error.h"
#include "huge_page_memory.h"
#include "shard_file.h"

#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace shardscope {

struct GenerationEntry;

class PackImage
{
public:
    // Reads the bytes of `entries` (every range inside `source`, checked by
    // the caller; `liveBytes` their total length) from the old pack's
    // descriptor into memory, on two threads. Entries whose bytes overlap an
    // earlier one in the old pack (damaged shards) are read on their own.
    // `entries` must outlive the image.
    [[nodiscard]] static Result<PackImage> load(
        const ShardFile &source, std::span<const GenerationEntry> entries, uint64_t liveBytes);

    PackImage(PackImage &&) noexcept = default;
    PackImage &operator=(PackImage &&) noexcept = default;
    ~PackImage();

    [[nodiscard]] uint64_t size() const { return m_size; }
    [[nodiscard]] std::span<const uint8_t> bytes(uint64_t offset, uint64_t length) const
    {
        return {m_memory->data() + offset, size_t(length)};
    }

    // Reads the old pack again, front to back through `window`, and compares
    // every entry's bytes with the image: a check of the load that walks the
    // old pack on its own rather than trusting the reads that filled the
    // image. An Io error names the old pack and the offset that differs.
    // Stops, with no error, once `keepGoing` says false.
    [[nodiscard]] Result<void> verifyAgainst(
        const ShardFile &source, std::span<uint8_t> window, const std::function<bool()> &keepGoing) const;

    // Whether a pack can be assembled in memory: live bytes up to `limit`,
    // so the memory a copy takes stays bounded, and a source read through a
    // descriptor.
    [[nodiscard]] static bool fits(const ShardFile &source, uint64_t liveBytes, uint64_t limit);

private:
    PackImage() = default;

    std::unique_ptr<HugePageMemory> m_memory;
    uint64_t m_size = 0;
    std::span<const GenerationEntry> m_entries;
    // Where each entry starts in the image, and the entries in the order of
    // their old offsets.
    std::vector<uint64_t, HugePageAllocator<uint64_t>> m_dst;
    std::vector<uint32_t, HugePageAllocator<uint32_t>> m_byOffset;
};

} // namespace shardscope
