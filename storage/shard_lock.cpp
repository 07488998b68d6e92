#include "shard_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace shardscope {

namespace {

std::string commOf(long pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    if (!std::getline(in, comm))
        return {};
    return comm;
}

} // namespace

Result<ShardLock> ShardLock::acquire(const Directory &dir)
{
    // A descriptor of its own: flock belongs to the open file, so the lock
    // lives exactly as long as this object, whatever happens to dir's fd.
    const int fd = ::openat(dir.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return failErrno(errno, dir.path(), "open directory to lock it");
    UniqueFd owned(fd);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK) {
            const auto who = holder(dir);
            std::string message
                = "shard is locked for writing by " + who.value_or("another process (not found in /proc/locks)");
            if (who && who->starts_with("pid " + std::to_string(::getpid()) + " "))
                message += ", this same process: it has the shard open for writing elsewhere";
            return fail(ErrorKind::Locked, dir.path(), message);
        }
        return failErrno(errno, dir.path(), "lock shard directory");
    }
    return ShardLock(std::move(owned));
}

std::optional<std::string> ShardLock::holder(const Directory &dir)
{
    struct stat st {
    };
    if (::fstat(dir.fd(), &st) != 0)
        return std::nullopt;
    std::ifstream in("/proc/locks");
    std::string line;
    while (std::getline(in, line)) {
        // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters carry a
        // "->" after the number and hold nothing.
        std::istringstream fields(line);
        std::string id, type, advisory, mode, where;
        long pid = 0;
        if (!(fields >> id >> type) || type == "->" || type != "FLOCK")
            continue;
        if (!(fields >> advisory >> mode >> pid >> where))
            continue;
        unsigned maj = 0, min = 0;
        unsigned long long ino = 0;
        if (std::sscanf(where.c_str(), "%x:%x:%llu", &maj, &min, &ino) != 3)
            continue;
        if (maj != major(st.st_dev) || min != minor(st.st_dev) || ino != uint64_t(st.st_ino))
            continue;
        // A lock taken before a fork may name a process that has since
        // exited while its child holds on; say what is known.
        const std::string comm = commOf(pid);
        return "pid " + std::to_string(pid) + (comm.empty() ? std::string() : " (" + comm + ")");
    }
    return std::nullopt;
}

} // namespace shardscope
