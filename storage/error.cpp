#include "error.h"

#include <cstring>

namespace shardscope {

const char *errorKindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::Io:
        return "io";
    case ErrorKind::Corrupt:
        return "corrupt";
    case ErrorKind::NotFound:
        return "not-found";
    case ErrorKind::Full:
        return "full";
    case ErrorKind::Invalid:
        return "invalid";
    case ErrorKind::Unsafe:
        return "unsafe";
    case ErrorKind::Cancelled:
        return "cancelled";
    case ErrorKind::Locked:
        return "locked";
    }
    return "unknown";
}

std::string Error::describe() const
{
    std::string out;
    if (!file.empty())
        out += file + ": ";
    if (offset)
        out += "at byte " + std::to_string(*offset) + ": ";
    out += message;
    return out;
}

std::unexpected<Error> failErrno(int err, std::string file, const std::string &operation)
{
    const ErrorKind kind = err == ENOENT ? ErrorKind::NotFound : ErrorKind::Io;
    return fail(kind, std::move(file), operation + " failed: " + std::strerror(err));
}

} // namespace shardscope
