// SHA-256 (FIPS 180-4), for the sha256 fields of dumps and for keys derived
// from content. Kept here so the storage library needs nothing but the C++
// standard library.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace shardscope {

class Sha256
{
public:
    using Digest = std::array<uint8_t, 32>;

    Sha256();
    void update(std::span<const uint8_t> bytes);
    [[nodiscard]] Digest finish();

    [[nodiscard]] static Digest hash(std::span<const uint8_t> bytes);
    [[nodiscard]] static std::string hexHash(std::span<const uint8_t> bytes);

private:
    void compress(const uint8_t *block);

    std::array<uint32_t, 8> m_state {};
    std::array<uint8_t, 64> m_block {};
    size_t m_blockLen = 0;
    uint64_t m_totalLen = 0;
};

} // namespace shardscope
