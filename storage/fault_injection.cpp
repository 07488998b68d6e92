#include "fault_injection.h"

namespace shardscope {

namespace detail {
std::atomic<bool> g_faultHookInstalled {false};
} // namespace detail

namespace {
// Written only by set/clear, which the contract keeps apart from any call
// that reads it; the flag's release/acquire orders the two.
FaultHook &hookStorage()
{
    static FaultHook hook;
    return hook;
}
} // namespace

const char *ioStepName(IoStep step)
{
    switch (step) {
    case IoStep::CreateFile:
        return "create";
    case IoStep::Write:
        return "write";
    case IoStep::SyncFile:
        return "fsync";
    case IoStep::SyncData:
        return "fdatasync";
    case IoStep::Rename:
        return "rename";
    case IoStep::Remove:
        return "remove";
    case IoStep::SyncDirectory:
        return "fsync-dir";
    case IoStep::CopyRange:
        return "copy-range";
    case IoStep::Truncate:
        return "truncate";
    case IoStep::MakeDirectory:
        return "mkdir";
    }
    return "unknown";
}

void setFaultHook(FaultHook hook)
{
    const bool installed = static_cast<bool>(hook);
    hookStorage() = std::move(hook);
    detail::g_faultHookInstalled.store(installed, std::memory_order_release);
}

void clearFaultHook()
{
    detail::g_faultHookInstalled.store(false, std::memory_order_release);
    hookStorage() = nullptr;
}

int detail::runFaultHook(const IoEvent &event)
{
    if (!g_faultHookInstalled.load(std::memory_order_acquire))
        return 0;
    const FaultHook &hook = hookStorage();
    return hook ? hook(event) : 0;
}

} // namespace shardscope
