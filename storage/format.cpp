#include "format.h"

#include <cstdio>

namespace shardscope {

namespace {
std::string generationFileName(uint32_t gen, const char *ext)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08x.%s", gen, ext);
    return buf;
}
} // namespace

std::string tableFileName(uint32_t gen)
{
    return generationFileName(gen, "slot");
}

std::string packFileName(uint32_t gen)
{
    return generationFileName(gen, "pack");
}

} // namespace shardscope
