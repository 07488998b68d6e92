// The walk over a list of buffers that preadv and pwritev need: at most
// IOV_MAX buffers a call, and a call cut short continued from where it
// stopped, in the middle of a buffer if need be. Shared by the scattered
// reads (ShardFile::readScattered) and the gathered writes (writeGathered).
#pragma once

#include <sys/uio.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>

namespace shardscope {

template<typename Byte> class IovecCursor
{
public:
    static constexpr size_t kMaxPerCall = IOV_MAX;

    explicit IovecCursor(std::span<const std::span<Byte>> parts) : m_parts(parts) { }

    // Puts the next buffers not yet done into `vec` (empty ones skipped) and
    // returns how many, 0 once all are done; `bytes` is their total.
    size_t fill(std::span<iovec> vec, uint64_t &bytes) const
    {
        size_t count = 0;
        bytes = 0;
        for (size_t i = m_next; i < m_parts.size() && count < vec.size(); ++i) {
            const size_t skip = i == m_next ? m_into : 0;
            if (m_parts[i].size() == skip)
                continue;
            vec[count++] = {const_cast<uint8_t *>(m_parts[i].data() + skip), m_parts[i].size() - skip};
            bytes += m_parts[i].size() - skip;
        }
        return count;
    }
    // Moves on by the `n` bytes a call read or wrote.
    void advance(uint64_t n)
    {
        while (m_next < m_parts.size()) {
            const uint64_t rest = m_parts[m_next].size() - m_into;
            if (n < rest) {
                m_into += size_t(n);
                return;
            }
            n -= rest;
            ++m_next;
            m_into = 0;
        }
    }

private:
    std::span<const std::span<Byte>> m_parts;
    size_t m_next = 0; // the first buffer not wholly done
    size_t m_into = 0; // bytes of it already done
};

} // namespace shardscope
