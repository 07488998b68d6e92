#include "entry.h"

#include "format.h"

namespace shardscope {

Entry Entry::decode(const uint8_t *bytes)
{
    return Entry {Key::fromBytes(bytes), loadU32(bytes + 24), loadU32(bytes + 28)};
}

void Entry::encodeTo(uint8_t *out) const
{
    key.toBytes(out);
    storeU32(out + 24, offset);
    storeU32(out + 28, len);
}

Entry Entry::tombstone()
{
    return Entry {Key(), kTombstoneOffset, 0};
}

bool Entry::isTombstone() const
{
    return offset == kTombstoneOffset;
}

} // namespace shardscope
