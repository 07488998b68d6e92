// Working memory for the large, short-lived buffers of compaction and of the
// lookup index: anonymous mappings, 2 MiB aligned, backed by transparent huge
// pages where the kernel offers them, and populated with one call.
//
// Why not malloc: a fresh 4 KiB page costs a fault at its first touch and
// its share of a TLB flush when freed. On virtual machines that shadow the
// guest's page tables (the build machine is one) each costs several
// microseconds, more than filling the page: a megabyte of fresh 4 KiB pages
// took about 3 ms there, a 2 MiB huge page about 0.1 ms. Without huge pages
// (THP off) this is an ordinary mapping: slower there, never wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>

namespace shardscope {

class HugePageMemory
{
public:
    static constexpr size_t kHugePage = size_t(2) << 20;

    HugePageMemory() = default;
    // Without `populate`, call populate() on each part before using it.
    explicit HugePageMemory(size_t size, bool populate = true);
    ~HugePageMemory();
    HugePageMemory(HugePageMemory &&other) noexcept;
    HugePageMemory &operator=(HugePageMemory &&other) noexcept;
    HugePageMemory(const HugePageMemory &) = delete;
    HugePageMemory &operator=(const HugePageMemory &) = delete;

    // False when the mapping failed (out of address space or memory).
    [[nodiscard]] bool valid() const { return m_size == 0 || m_data; }
    [[nodiscard]] uint8_t *data() const { return m_data; }
    [[nodiscard]] size_t size() const { return m_size; }
    // Bytes usable from data(): size() rounded up to whole huge pages.
    [[nodiscard]] size_t capacity() const { return m_capacity; }
    [[nodiscard]] std::span<uint8_t> span(uint64_t offset, uint64_t length) const
    {
        return {m_data + offset, size_t(length)};
    }
    // Faults [offset, offset + length) in with one call, rounded out to whole
    // huge pages; a hint.
    void populate(size_t offset, size_t length) const;

private:
    void release();

    size_t m_capacity = 0;
    uint8_t *m_data = nullptr;
    size_t m_size = 0;
};

namespace huge_page_detail {
// A block of whole huge pages, aligned to one, not populated; throws
// std::bad_alloc when the mapping fails, as operator new does.
[[nodiscard]] void *allocate(size_t bytes);
void deallocate(void *p, size_t bytes) noexcept;
} // namespace huge_page_detail

// An allocator for std::vector that takes blocks of at least kFrom bytes from
// huge pages and smaller ones from operator new.
template<typename T> class HugePageAllocator
{
public:
    using value_type = T;
    static constexpr size_t kFrom = size_t(256) << 10;

    HugePageAllocator() = default;
    template<typename U> HugePageAllocator(const HugePageAllocator<U> &) noexcept { }

    [[nodiscard]] T *allocate(size_t n)
    {
        const size_t bytes = n * sizeof(T);
        if (bytes < kFrom)
            return static_cast<T *>(::operator new(bytes, std::align_val_t(alignof(T))));
        return static_cast<T *>(huge_page_detail::allocate(bytes));
    }
    void deallocate(T *p, size_t n) noexcept
    {
        const size_t bytes = n * sizeof(T);
        if (bytes < kFrom)
            ::operator delete(p, std::align_val_t(alignof(T)));
        else
            huge_page_detail::deallocate(p, bytes);
    }
    template<typename U> bool operator==(const HugePageAllocator<U> &) const noexcept { return true; }
};

} // namespace shardscope
