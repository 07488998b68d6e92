// The write lock of a shard: flock(LOCK_EX | LOCK_NB) on a descriptor of the
// shard directory itself, so no extra file enters the shard and the layout
// stays the reference one. Every writable open takes it and holds it for the
// shard's life; read-only opens never take it. The kernel drops it when the
// holder's last descriptor closes, so a killed process never leaves it behind.
// It keeps out writers that use the same locking (two ShardScope windows, the
// CLI), not the reference package, which does not lock.
#pragma once

#include "directory.h"
#include "error.h"
#include "unique_fd.h"

#include <optional>
#include <string>

namespace shardscope {

class ShardLock
{
public:
    // A Locked error naming the shard directory and the holder when another
    // open file (in this process or another) holds the lock.
    [[nodiscard]] static Result<ShardLock> acquire(const Directory &dir);
    // "pid 123 (shardscope)" for the process /proc/locks names as holding the
    // directory's lock; nullopt when nobody holds it or it cannot be told.
    [[nodiscard]] static std::optional<std::string> holder(const Directory &dir);

    ShardLock(ShardLock &&) noexcept = default;
    ShardLock &operator=(ShardLock &&) noexcept = default;
    ShardLock(const ShardLock &) = delete;
    ShardLock &operator=(const ShardLock &) = delete;
    ~ShardLock() = default; // closing the descriptor releases the lock

    [[nodiscard]] bool held() const { return m_fd.valid(); }

private:
    explicit ShardLock(UniqueFd fd) : m_fd(std::move(fd)) { }
    UniqueFd m_fd;
};

} // namespace shardscope
