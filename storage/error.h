// Errors as values. Every failure names the file it concerns and, where one
// byte is to blame, the offset of that byte, so a person can open a hex editor
// at the right place.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

namespace shardscope {

enum class ErrorKind {
    Io, // the operating system refused or failed
    Corrupt, // the bytes on disk break the format
    NotFound, // a file or key that should be there is not
    Full, // no room left in the table or the pack
    Invalid, // the caller asked for something the format does not allow
    Unsafe, // a path leads outside the shard directory
    Cancelled, // the caller stopped a long operation
    Locked, // another process holds the shard's write lock; the message names it
};

[[nodiscard]] const char *errorKindName(ErrorKind kind);

struct Error {
    ErrorKind kind = ErrorKind::Io;
    std::string file; // path of the file concerned, empty if none
    std::optional<uint64_t> offset; // byte offset in that file, if one is to blame
    std::string message;

    // "FILE: at byte N: message" (parts omitted when absent).
    [[nodiscard]] std::string describe() const;
};

template<typename T> using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(
    ErrorKind kind, std::string file, std::string message, std::optional<uint64_t> offset = std::nullopt)
{
    return std::unexpected(Error {kind, std::move(file), offset, std::move(message)});
}

// An Io error from errno, with the operation that failed ("open", "fsync").
[[nodiscard]] std::unexpected<Error> failErrno(int err, std::string file, const std::string &operation);

} // namespace shardscope
