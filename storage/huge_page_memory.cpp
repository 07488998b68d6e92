#include "huge_page_memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <utility>

namespace shardscope {

namespace {

// Sizes this close to the top of the address space cannot be mapped anyway.
constexpr size_t kLargest = SIZE_MAX / 2;

size_t roundUp(size_t size)
{
    return (size + HugePageMemory::kHugePage - 1) & ~(HugePageMemory::kHugePage - 1);
}

// Whole huge pages aligned to one: a mapping one huge page larger, aligned
// inside, with nothing left mapped around it. nullptr when mmap fails.
void *mapAligned(size_t rounded)
{
    const size_t mapped = rounded + HugePageMemory::kHugePage;
    void *p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return nullptr;
    const uintptr_t base = reinterpret_cast<uintptr_t>(p);
    const uintptr_t aligned = (base + HugePageMemory::kHugePage - 1) & ~uintptr_t(HugePageMemory::kHugePage - 1);
    if (aligned > base)
        ::munmap(p, aligned - base);
    if (const uintptr_t tail = base + mapped - (aligned + rounded); tail > 0)
        ::munmap(reinterpret_cast<void *>(aligned + rounded), tail);
    // A hint: without it the memory is slower to set up, not wrong.
    ::madvise(reinterpret_cast<void *>(aligned), rounded, MADV_HUGEPAGE);
    return reinterpret_cast<void *>(aligned);
}

void populateRange([[maybe_unused]] uint8_t *from, [[maybe_unused]] size_t length)
{
#ifdef MADV_POPULATE_WRITE
    if (length > 0)
        ::madvise(from, length, MADV_POPULATE_WRITE);
#endif
}

} // namespace

HugePageMemory::HugePageMemory(size_t size, bool populate) : m_size(size)
{
    if (size == 0 || size > kLargest)
        return; // an impossible size leaves valid() false
    const size_t rounded = roundUp(size);
    m_data = static_cast<uint8_t *>(mapAligned(rounded));
    if (!m_data)
        return;
    m_capacity = rounded;
    if (populate)
        this->populate(0, size);
}

HugePageMemory::~HugePageMemory()
{
    release();
}

HugePageMemory::HugePageMemory(HugePageMemory &&other) noexcept
    : m_capacity(std::exchange(other.m_capacity, 0))
    , m_data(std::exchange(other.m_data, nullptr))
    , m_size(std::exchange(other.m_size, 0))
{ }

HugePageMemory &HugePageMemory::operator=(HugePageMemory &&other) noexcept
{
    if (this != &other) {
        release();
        m_capacity = std::exchange(other.m_capacity, 0);
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
    }
    return *this;
}

void HugePageMemory::release()
{
    if (m_data)
        ::munmap(m_data, capacity());
    m_data = nullptr;
    m_capacity = 0;
    m_size = 0;
}

void HugePageMemory::populate(size_t offset, size_t length) const
{
    const size_t from = offset & ~(kHugePage - 1);
    const size_t to = roundUp(offset + length);
    if (m_data && to > from)
        populateRange(m_data + from, to - from);
}

namespace huge_page_detail {

void *allocate(size_t bytes)
{
    void *p = bytes > kLargest ? nullptr : mapAligned(roundUp(bytes));
    if (!p)
        throw std::bad_alloc();
    return p;
}

void deallocate(void *p, size_t bytes) noexcept
{
    if (p)
        ::munmap(p, roundUp(bytes));
}

} // namespace huge_page_detail

} // namespace shardscope
