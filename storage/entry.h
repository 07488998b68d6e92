// One 32-byte table slot: key (0..23), pack offset (24..27), length (28..31).
#pragma once

#include "key.h"

#include <cstdint>

namespace shardscope {

struct Entry {
    static constexpr size_t kEncodedSize = 32;

    Key key;
    uint32_t offset = 0;
    uint32_t len = 0;

    [[nodiscard]] static Entry decode(const uint8_t *bytes);
    void encodeTo(uint8_t *out) const;

    [[nodiscard]] static Entry tombstone();
    [[nodiscard]] bool isTombstone() const;
    // True for a slot that was never written (all 32 bytes zero).
    [[nodiscard]] bool isBlank() const { return key.isZero() && offset == 0 && len == 0; }
    // One past the last pack byte, computed in 64 bits so offset+len cannot wrap.
    [[nodiscard]] uint64_t end() const { return uint64_t(offset) + len; }

    friend bool operator==(const Entry &, const Entry &) = default;
};

} // namespace shardscope
