// A shard directory held open by descriptor. Every file of a shard is opened
// relative to it, by a plain name (no '/', no "..") and without following
// symlinks, so nothing a shard directory contains can lead a read or a write
// outside it.
#pragma once

#include "error.h"
#include "unique_fd.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shardscope {

enum class EntryType { Missing, Regular, Directory, Symlink, Other };

struct FileStatus {
    EntryType type = EntryType::Missing;
    uint64_t size = 0;
};

class Directory
{
public:
    // Opens an existing directory. The path the user names may itself be a
    // symlink; what lies inside may not.
    [[nodiscard]] static Result<Directory> open(const std::string &path);
    // Creates the directory if missing (its parent must exist), then opens it.
    [[nodiscard]] static Result<Directory> create(const std::string &path);

    [[nodiscard]] const std::string &path() const { return m_path; }
    [[nodiscard]] int fd() const { return m_fd.get(); }
    [[nodiscard]] std::string filePath(std::string_view name) const;

    [[nodiscard]] Result<FileStatus> status(std::string_view name) const;
    // Opens a regular file for reading. A symlink gives an Unsafe error and a
    // FIFO, device or directory an Invalid one; none of them is read.
    [[nodiscard]] Result<UniqueFd> openForReading(std::string_view name) const;
    [[nodiscard]] Result<UniqueFd> openForWriting(std::string_view name) const;
    // Creates a new file (it must not exist) of `size` bytes, sparse.
    [[nodiscard]] Result<UniqueFd> createFile(std::string_view name, uint64_t size) const;
    [[nodiscard]] Result<Directory> openChild(std::string_view name) const;
    [[nodiscard]] Result<Directory> createChild(std::string_view name) const;
    [[nodiscard]] Result<void> rename(std::string_view from, std::string_view to) const;
    [[nodiscard]] Result<void> remove(std::string_view name) const;
    // Makes created, renamed and removed names durable.
    [[nodiscard]] Result<void> sync() const;
    // Names of the entries, without "." and "..", sorted.
    [[nodiscard]] Result<std::vector<std::string>> list() const;

private:
    Directory(UniqueFd fd, std::string path);
    [[nodiscard]] Result<void> checkName(std::string_view name) const;

    UniqueFd m_fd;
    std::string m_path;
};

// Full-length positioned I/O; a short write is retried, an error ends it.
[[nodiscard]] Result<void> writeAll(int fd, std::span<const uint8_t> bytes, uint64_t offset, const std::string &path);
[[nodiscard]] Result<void> readAll(int fd, std::span<uint8_t> bytes, uint64_t offset, const std::string &path);
// writeAll of the pieces one after the other from `offset` on, gathered by
// the kernel (pwritev) rather than first copied together; one fault-injection
// step of their total length.
[[nodiscard]] Result<void> writeGathered(
    int fd, std::span<const std::span<const uint8_t>> pieces, uint64_t offset, const std::string &path);
// Asks the kernel to start writing [offset, offset+length) of `fd` to the
// disk now, without waiting and without a cache flush, so that a later sync
// has less left to do. Only a hint: it makes nothing durable.
void startWriteback(int fd, uint64_t offset, uint64_t length);
[[nodiscard]] Result<void> syncFile(int fd, const std::string &path);
// fdatasync: the data and what is needed to read it back (the size), not the
// timestamps. Enough for table and pack writes.
[[nodiscard]] Result<void> syncData(int fd, const std::string &path);
// Copies `length` bytes from `fromFd` at `fromOffset` to `toFd` at
// `toOffset` (copy_file_range, which may share extents on file systems that
// can; plain reads and writes where the kernel or file system cannot). `path`
// names the file written to in errors.
[[nodiscard]] Result<void> copyRange(
    int fromFd, uint64_t fromOffset, int toFd, uint64_t toOffset, uint64_t length, const std::string &path);

} // namespace shardscope
