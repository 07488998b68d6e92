// The constants of the on-disk format (FORMAT.md) and the little-endian
// helpers every encoder and decoder shares.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace shardscope {

inline constexpr uint32_t kManifestCopySize = 32;
inline constexpr uint32_t kManifestFileSize = 2 * kManifestCopySize;
inline constexpr uint32_t kTableEntrySize = 32;
inline constexpr uint32_t kPageSize = 4096;
inline constexpr uint32_t kEntriesPerPage = kPageSize / kTableEntrySize;
inline constexpr uint32_t kDefaultTableSlots = (1u << 20) / kTableEntrySize;
inline constexpr uint32_t kDefaultPackSize = 1u << 26;
inline constexpr uint32_t kTombstoneOffset = 0xFFFFFFFFu;
// The table file's size in bytes must fit a u32 like the pack's.
inline constexpr uint32_t kMaxTableSlots = 0xFFFFFFFFu / kTableEntrySize;
inline constexpr const char *kManifestFileName = "MF";

[[nodiscard]] std::string tableFileName(uint32_t gen);
[[nodiscard]] std::string packFileName(uint32_t gen);

[[nodiscard]] inline uint32_t loadU32(const uint8_t *p)
{
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

[[nodiscard]] inline uint64_t loadU64(const uint8_t *p)
{
    return uint64_t(loadU32(p)) | uint64_t(loadU32(p + 4)) << 32;
}

inline void storeU32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        p[i] = uint8_t(v >> (8 * i));
}

inline void storeU64(uint8_t *p, uint64_t v)
{
    storeU32(p, uint32_t(v));
    storeU32(p + 4, uint32_t(v >> 32));
}

} // namespace shardscope
