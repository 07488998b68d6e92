#include "key.h"

#include "format.h"

namespace shardscope {

Key Key::fromBytes(const uint8_t *bytes)
{
    return Key({loadU64(bytes), loadU64(bytes + 8), loadU64(bytes + 16)});
}

std::optional<Key> Key::fromHex(std::string_view hex)
{
    std::array<uint8_t, kSize> raw {};
    if (!shardscope::fromHex(hex, raw))
        return std::nullopt;
    return fromBytes(raw.data());
}

void Key::toBytes(uint8_t *out) const
{
    for (size_t i = 0; i < 3; ++i)
        storeU64(out + 8 * i, m_words[i]);
}

std::array<uint8_t, Key::kSize> Key::bytes() const
{
    std::array<uint8_t, kSize> out {};
    toBytes(out.data());
    return out;
}

std::string Key::toHex() const
{
    const auto raw = bytes();
    return shardscope::toHex(raw);
}

int compareKeys(const Key &a, const Key &b)
{
    const auto c = a <=> b;
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

size_t KeyHash::operator()(const Key &k) const noexcept
{
    // Keys are usually hashes already, but crafted shards may hold keys that
    // differ only in a later word, so every word is mixed in.
    uint64_t h = k.word(0) * 0x9E3779B97F4A7C15ull;
    h ^= (k.word(1) + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
    h ^= (k.word(2) + 0x165667B19E3779F9ull) * 0x85EBCA77C2B2AE63ull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return size_t(h);
}

std::string toHex(std::span<const uint8_t> bytes)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '0');
    for (size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    return out;
}

namespace {
int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
} // namespace

bool fromHex(std::string_view hex, std::span<uint8_t> out)
{
    if (hex.size() != out.size() * 2)
        return false;
    for (size_t i = 0; i < out.size(); ++i) {
        const int hi = hexDigit(hex[2 * i]);
        const int lo = hexDigit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = uint8_t(hi << 4 | lo);
    }
    return true;
}

} // namespace shardscope
