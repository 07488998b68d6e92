// Fault injection for the crash-safety tests. Every primitive in
// directory.cpp that changes a file or a directory calls faultPoint() before
// it acts, describing what it is about to do. A test installs a hook that
// sees each step and may let it go on, fail it with an errno (the primitive
// then returns the same Error a real failure of that call would: file,
// offset, message), or never return at all (the test kills the process at
// that step to simulate a crash).
//
// No hook is ever installed outside tests. Without one, a primitive pays a
// single relaxed load and a branch predicted not taken: the event (and the
// path string in it) is only built once a hook is known to be there.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace shardscope {

enum class IoStep {
    CreateFile, // openat(O_CREAT|O_EXCL); fd is -1, the file does not exist yet
    Write, // pwrite of `length` bytes at `offset`
    SyncFile, // fsync of a file
    SyncData, // fdatasync of a file
    Rename, // renameat; `path` is the target, IoEvent::from the source
    Remove, // unlinkat
    SyncDirectory, // fsync of a directory; `path` is the directory
    CopyRange, // copy_file_range into `fd` of `length` bytes at `offset`
    Truncate, // ftruncate to `length` bytes
    MakeDirectory, // mkdir / mkdirat
};

[[nodiscard]] const char *ioStepName(IoStep step);

struct IoEvent {
    IoStep step = IoStep::Write;
    std::string path; // the file (or directory) acted on, as errors name it
    int fd = -1; // the descriptor acted on, -1 when the call takes a name
    uint64_t offset = 0;
    uint64_t length = 0;
    std::string from; // Rename only: the source path
};

// Returns 0 to let the step go on, or an errno to fail it with. It may be
// called from any thread that writes (compaction writes its table on a
// second thread), so it must be thread-safe.
using FaultHook = std::function<int(const IoEvent &)>;

// Install and remove the process-wide hook. Only while no storage call is
// running; tests only.
void setFaultHook(FaultHook hook);
void clearFaultHook();

namespace detail {
extern std::atomic<bool> g_faultHookInstalled;
int runFaultHook(const IoEvent &event);
} // namespace detail

[[nodiscard]] inline bool faultHookInstalled()
{
    return detail::g_faultHookInstalled.load(std::memory_order_relaxed);
}

// 0 to go on, or the errno the step must fail with.
[[nodiscard]] inline int faultPoint(const IoEvent &event)
{
    if (!faultHookInstalled()) [[likely]]
        return 0;
    return detail::runFaultHook(event);
}

} // namespace shardscope
