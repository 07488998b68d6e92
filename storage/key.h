// A shard-local key: 24 bytes read as three little-endian u64 words. Keys
// order word by word (word 0 first) as unsigned numbers, as the reference does.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace shardscope {

class Key
{
public:
    static constexpr size_t kSize = 24;

    constexpr Key() = default;
    constexpr explicit Key(std::array<uint64_t, 3> words) : m_words(words) { }

    [[nodiscard]] static Key fromBytes(const uint8_t *bytes);
    [[nodiscard]] static Key fromBytes(std::span<const uint8_t, kSize> bytes) { return fromBytes(bytes.data()); }
    // 48 hex digits, either case; nullopt on anything else.
    [[nodiscard]] static std::optional<Key> fromHex(std::string_view hex);

    void toBytes(uint8_t *out) const;
    [[nodiscard]] std::array<uint8_t, kSize> bytes() const;
    [[nodiscard]] std::string toHex() const;

    [[nodiscard]] uint64_t word(int i) const { return m_words[size_t(i)]; }
    [[nodiscard]] bool isZero() const { return (m_words[0] | m_words[1] | m_words[2]) == 0; }

    friend bool operator==(const Key &, const Key &) = default;
    friend std::strong_ordering operator<=>(const Key &a, const Key &b)
    {
        for (size_t i = 0; i < 3; ++i) {
            if (a.m_words[i] != b.m_words[i])
                return a.m_words[i] <=> b.m_words[i];
        }
        return std::strong_ordering::equal;
    }

private:
    std::array<uint64_t, 3> m_words {};
};

// -1, 0 or 1 like the reference's KeyCompare.
[[nodiscard]] int compareKeys(const Key &a, const Key &b);

struct KeyHash {
    [[nodiscard]] size_t operator()(const Key &k) const noexcept;
};

// Hex helpers shared by keys, content IDs and reports.
[[nodiscard]] std::string toHex(std::span<const uint8_t> bytes);
[[nodiscard]] bool fromHex(std::string_view hex, std::span<uint8_t> out);

} // namespace shardscope
