#include "directory.h"

#include "fault_injection.h"
#include "iovec_cursor.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace shardscope {

namespace {
// The errno a test's hook injects at this step, 0 when none (always, outside
// tests). The event, and the path in it, is only built when a hook is there.
template<typename MakePath>
int injectedErrno(IoStep step, MakePath &&makePath, int fd = -1, uint64_t offset = 0, uint64_t length = 0)
{
    if (!faultHookInstalled()) [[likely]]
        return 0;
    return faultPoint(IoEvent {step, makePath(), fd, offset, length, {}});
}

EntryType typeOf(mode_t mode)
{
    if (S_ISREG(mode))
        return EntryType::Regular;
    if (S_ISDIR(mode))
        return EntryType::Directory;
    if (S_ISLNK(mode))
        return EntryType::Symlink;
    return EntryType::Other;
}
} // namespace

Directory::Directory(UniqueFd fd, std::string path) : m_fd(std::move(fd)), m_path(std::move(path))
{ }

Result<Directory> Directory::open(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOTDIR)
            return fail(ErrorKind::Invalid, path, "not a directory");
        return failErrno(errno, path, "open directory");
    }
    return Directory(UniqueFd(fd), path);
}

Result<Directory> Directory::create(const std::string &path)
{
    int err = injectedErrno(IoStep::MakeDirectory, [&] { return path; });
    if (err == 0 && ::mkdir(path.c_str(), 0777) != 0)
        err = errno;
    if (err != 0 && err != EEXIST)
        return failErrno(err, path, "mkdir");
    return open(path);
}

std::string Directory::filePath(std::string_view name) const
{
    if (m_path.empty() || m_path.back() == '/')
        return m_path + std::string(name);
    return m_path + "/" + std::string(name);
}

Result<void> Directory::checkName(std::string_view name) const
{
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos
        || name.find('\0') != std::string_view::npos) {
        return fail(ErrorKind::Unsafe, filePath(name), "not a plain file name inside the shard directory");
    }
    return {};
}

Result<FileStatus> Directory::status(std::string_view name) const
{
    if (auto ok = checkName(name); !ok)
        return std::unexpected(ok.error());
    const std::string n(name);
    struct stat st {
    };
    if (::fstatat(m_fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return FileStatus {};
        return failErrno(errno, filePath(name), "stat");
    }
    return FileStatus {typeOf(st.st_mode), uint64_t(st.st_size)};
}

namespace {
Result<UniqueFd> openBeneath(int dirFd, const std::string &name, int flags, const std::string &path)
{
    // O_NONBLOCK so that a FIFO planted in the directory cannot hang the
    // open; it is refused below like any other non-regular file.
    const int fd = ::openat(dirFd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            return fail(ErrorKind::Unsafe, path, "is a symlink; shard files are never followed through links");
        if (errno == EISDIR)
            return fail(ErrorKind::Invalid, path, "not a regular file");
        return failErrno(errno, path, "open");
    }
    UniqueFd owned(fd);
    struct stat st {
    };
    if (::fstat(fd, &st) != 0)
        return failErrno(errno, path, "fstat");
    if (!S_ISREG(st.st_mode))
        return fail(ErrorKind::Invalid, path, "not a regular file");
    const int fl = ::fcntl(fd, F_GETFL);
    if (fl >= 0)
        ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return owned;
}
} // namespace

Result<UniqueFd> Directory::openForReading(std::string_view name) const
{
    if (auto ok = checkName(name); !ok)
        return std::unexpected(ok.error());
    return openBeneath(m_fd.get(), std::string(name), O_RDONLY, filePath(name));
}

Result<UniqueFd> Directory::openForWriting(std::string_view name) const
{
    if (auto ok = checkName(name); !ok)
        return std::unexpected(ok.error());
    return openBeneath(m_fd.get(), std::string(name), O_RDWR, filePath(name));
}

Result<UniqueFd> Directory::createFile(std::string_view name, uint64_t size) const
{
    if (auto ok = checkName(name); !ok)
        return std::unexpected(ok.error());
    const std::string n(name);
    auto resize = [&](int fd) -> Result<void> {
        if (size == 0)
            return {};
        int err = injectedErrno(
            IoStep::Truncate, [&] { return filePath(name); }, fd, 0, size);
        if (err == 0 && ::ftruncate(fd, off_t(size)) != 0)
            err = errno;
        if (err != 0)
            return failErrno(err, filePath(name), "resize to " + std::to_string(size) + " bytes");
        return {};
    };
    if (size > 0) {
        // Sized before it gets its name, so that a crash never leaves the
        // name on a file shorter than asked (an empty table is unreadable):
        // an unnamed file, resized, then linked in (failing if the name is
        // taken). File systems without O_TMPFILE take the path below.
        const int tmp = ::openat(m_fd.get(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
        if (tmp >= 0) {
            UniqueFd owned(tmp);
            if (auto r = resize(tmp); !r)
                return std::unexpected(r.error());
            if (const int err = injectedErrno(IoStep::CreateFile, [&] { return filePath(name); }))
                return failErrno(err, filePath(name), "create");
            const std::string proc = "/proc/self/fd/" + std::to_string(tmp);
            if (::linkat(AT_FDCWD, proc.c_str(), m_fd.get(), n.c_str(), AT_SYMLINK_FOLLOW) == 0)
                return owned;
            if (errno != ENOENT && errno != EXDEV && errno != EPERM && errno != EOPNOTSUPP)
                return failErrno(errno, filePath(name), "create");
            // No /proc to link through: the unnamed file is dropped.
        } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT) {
            return failErrno(errno, filePath(name), "create");
        }
    }
    if (const int err = injectedErrno(IoStep::CreateFile, [&] { return filePath(name); }))
        return failErrno(err, filePath(name), "create");
    const int fd = ::openat(m_fd.get(), n.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return failErrno(errno, filePath(name), "create");
    UniqueFd owned(fd);
    if (auto r = resize(fd); !r) {
        ::unlinkat(m_fd.get(), n.c_str(), 0);
        return std::unexpected(r.error());
    }
    return owned;
}

Result<Directory> Directory::openChild(std::string_view name) const
{
    if (auto ok = checkName(name); !ok)
        return std::unexpected(ok.error());
    const std::string n(name);
    const int fd = ::openat(m_fd.get(), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR) {
            auto st = status(name);
            if (st && st->type == EntryType::Symlink)
                return fail(ErrorKind::Unsafe, filePath(name),
                    "is a symlink; shard directories are never followed through links");
            return fail(ErrorKind::Invalid, filePath(name), "not a directory");
        }
        return failErrno(errno, filePath(name), "open directory");
    }
    return Directory(UniqueFd(fd), filePath(name));
}

Result<Directory> Directory::createChild(std::string_view name) const
{
    if (auto ok = checkName(name); !ok)
        return std::unexpected(ok.error());
    const std::string n(name);
    int err = injectedErrno(IoStep::MakeDirectory, [&] { return filePath(name); });
    if (err == 0 && ::mkdirat(m_fd.get(), n.c_str(), 0777) != 0)
        err = errno;
    if (err != 0 && err != EEXIST)
        return failErrno(err, filePath(name), "mkdir");
    return openChild(name);
}

Result<void> Directory::rename(std::string_view from, std::string_view to) const
{
    if (auto ok = checkName(from); !ok)
        return std::unexpected(ok.error());
    if (auto ok = checkName(to); !ok)
        return std::unexpected(ok.error());
    int err = 0;
    if (faultHookInstalled()) [[unlikely]]
        err = faultPoint(IoEvent {IoStep::Rename, filePath(to), -1, 0, 0, filePath(from)});
    if (err == 0 && ::renameat(m_fd.get(), std::string(from).c_str(), m_fd.get(), std::string(to).c_str()) != 0)
        err = errno;
    if (err != 0)
        return failErrno(err, filePath(to), "rename from " + std::string(from));
    return {};
}

Result<void> Directory::remove(std::string_view name) const
{
    if (auto ok = checkName(name); !ok)
        return std::unexpected(ok.error());
    int err = injectedErrno(IoStep::Remove, [&] { return filePath(name); });
    if (err == 0 && ::unlinkat(m_fd.get(), std::string(name).c_str(), 0) != 0)
        err = errno;
    if (err != 0 && err != ENOENT)
        return failErrno(err, filePath(name), "remove");
    return {};
}

Result<void> Directory::sync() const
{
    int err = injectedErrno(
        IoStep::SyncDirectory, [&] { return m_path; }, m_fd.get());
    if (err == 0 && ::fsync(m_fd.get()) != 0)
        err = errno;
    if (err != 0)
        return failErrno(err, m_path, "fsync directory");
    return {};
}

Result<std::vector<std::string>> Directory::list() const
{
    // fdopendir takes ownership of the descriptor, so read a duplicate.
    const int dup = ::openat(m_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup < 0)
        return failErrno(errno, m_path, "open directory");
    DIR *dir = ::fdopendir(dup);
    if (!dir) {
        const int err = errno;
        ::close(dup);
        return failErrno(err, m_path, "read directory");
    }
    std::vector<std::string> names;
    while (const dirent *e = ::readdir(dir)) {
        const std::string_view n(e->d_name);
        if (n != "." && n != "..")
            names.emplace_back(n);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

namespace {
Result<void> writeFailure(int err, const std::string &path, size_t length, uint64_t offset)
{
    auto e = failErrno(err, path, "write of " + std::to_string(length) + " bytes");
    e.error().offset = offset;
    return e;
}
} // namespace

Result<void> writeAll(int fd, std::span<const uint8_t> bytes, uint64_t offset, const std::string &path)
{
    if (bytes.empty())
        return {};
    // One event for the whole write: a crash test kills before any of it.
    if (const int err = injectedErrno(
            IoStep::Write, [&] { return path; }, fd, offset, bytes.size()))
        return writeFailure(err, path, bytes.size(), offset);
    while (!bytes.empty()) {
        const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), off_t(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return writeFailure(errno, path, bytes.size(), offset);
        }
        bytes = bytes.subspan(size_t(n));
        offset += uint64_t(n);
    }
    return {};
}

Result<void> writeGathered(
    int fd, std::span<const std::span<const uint8_t>> pieces, uint64_t offset, const std::string &path)
{
    uint64_t total = 0;
    for (const auto &piece : pieces)
        total += piece.size();
    if (total == 0)
        return {};
    if (const int err = injectedErrno(
            IoStep::Write, [&] { return path; }, fd, offset, total))
        return writeFailure(err, path, size_t(total), offset);
    // The kernel may write fewer bytes than asked: the rest is sent again
    // from where it stopped.
    IovecCursor<const uint8_t> cursor(pieces);
    iovec vec[IovecCursor<const uint8_t>::kMaxPerCall];
    uint64_t asked = 0;
    while (const size_t count = cursor.fill(vec, asked)) {
        const ssize_t n = ::pwritev(fd, vec, int(count), off_t(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return writeFailure(errno, path, size_t(asked), offset);
        }
        if (n == 0) // never for a regular file; not a reason to spin
            return writeFailure(EIO, path, size_t(asked), offset);
        offset += uint64_t(n);
        cursor.advance(uint64_t(n));
    }
    return {};
}

void startWriteback(int fd, uint64_t offset, uint64_t length)
{
    if (length > 0)
        (void)::sync_file_range(fd, off_t(offset), off_t(length), SYNC_FILE_RANGE_WRITE);
}

Result<void> readAll(int fd, std::span<uint8_t> bytes, uint64_t offset, const std::string &path)
{
    while (!bytes.empty()) {
        const ssize_t n = ::pread(fd, bytes.data(), bytes.size(), off_t(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            auto e = failErrno(errno, path, "read");
            e.error().offset = offset;
            return e;
        }
        if (n == 0)
            return fail(ErrorKind::Corrupt, path, "file ends early", offset);
        bytes = bytes.subspan(size_t(n));
        offset += uint64_t(n);
    }
    return {};
}

Result<void> syncFile(int fd, const std::string &path)
{
    int err = injectedErrno(
        IoStep::SyncFile, [&] { return path; }, fd);
    if (err == 0 && ::fsync(fd) != 0)
        err = errno;
    if (err != 0)
        return failErrno(err, path, "fsync");
    return {};
}

Result<void> syncData(int fd, const std::string &path)
{
    int err = injectedErrno(
        IoStep::SyncData, [&] { return path; }, fd);
    if (err == 0 && ::fdatasync(fd) != 0)
        err = errno;
    if (err != 0)
        return failErrno(err, path, "fdatasync");
    return {};
}

Result<void> copyRange(
    int fromFd, uint64_t fromOffset, int toFd, uint64_t toOffset, uint64_t length, const std::string &path)
{
    // One event for the whole copy, before any byte moves; the fallback's
    // writes below are steps of their own.
    if (length > 0) {
        if (const int err = injectedErrno(
                IoStep::CopyRange, [&] { return path; }, toFd, toOffset, length)) {
            auto e = failErrno(err, path, "copy of " + std::to_string(length) + " bytes");
            e.error().offset = toOffset;
            return e;
        }
    }
    bool fallback = false;
    while (length > 0 && !fallback) {
        loff_t in = loff_t(fromOffset);
        loff_t out = loff_t(toOffset);
        const size_t chunk = size_t(std::min<uint64_t>(length, uint64_t(1) << 30));
        const ssize_t n = ::copy_file_range(fromFd, &in, toFd, &out, chunk, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            // Not offered between these files (older kernels, across file
            // systems, special files): the same bytes by hand.
            if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EBADF) {
                fallback = true;
                break;
            }
            auto e = failErrno(errno, path, "copy of " + std::to_string(length) + " bytes");
            e.error().offset = toOffset;
            return e;
        }
        if (n == 0)
            return fail(ErrorKind::Corrupt, path, "source ends early while copying", toOffset);
        fromOffset += uint64_t(n);
        toOffset += uint64_t(n);
        length -= uint64_t(n);
    }
    std::vector<uint8_t> buffer(size_t(std::min<uint64_t>(length, uint64_t(1) << 20)));
    while (length > 0) {
        const size_t chunk = size_t(std::min<uint64_t>(length, buffer.size()));
        const std::span<uint8_t> part(buffer.data(), chunk);
        if (auto r = readAll(fromFd, part, fromOffset, path); !r)
            return r;
        if (auto r = writeAll(toFd, part, toOffset, path); !r)
            return r;
        fromOffset += chunk;
        toOffset += chunk;
        length -= chunk;
    }
    return {};
}

} // namespace shardscope
