#include "byte_source.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <utility>

namespace shardscope {

Result<std::span<const uint8_t>> ByteSource::read(uint64_t offset, uint64_t length) const
{
    if (!contains(offset, length)) {
        return fail(ErrorKind::Corrupt, name(),
            "range of " + std::to_string(length) + " bytes lies beyond the end of the file (size "
                + std::to_string(size()) + ")",
            offset);
    }
    if (length == 0)
        return std::span<const uint8_t>();
    return std::span<const uint8_t>(at(offset), size_t(length));
}

MemoryByteSource::MemoryByteSource(std::vector<uint8_t> bytes, std::string name)
    : m_bytes(std::move(bytes)), m_name(std::move(name))
{ }

namespace {

// The registry of guarded mappings. The signal handler only reads it, with
// atomic loads: no locks, no allocation, so it is safe at any point a fault
// can interrupt. Each slot's range is published under a sequence counter
// (odd while it changes), so the handler never pairs one mapping's start
// with another's end when a slot is reused by another thread meanwhile.
struct GuardSlot {
    std::atomic<bool> claimed {false}; // owned by a MappedFile
    std::atomic<uint64_t> version {0};
    std::atomic<uintptr_t> begin {0}; // [begin, end) in whole pages; empty when free
    std::atomic<uintptr_t> end {0};
    std::atomic<bool> truncated {false};
};
static_assert(std::atomic<uintptr_t>::is_always_lock_free && std::atomic<uint64_t>::is_always_lock_free
    && std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

GuardSlot g_slots[MappedFile::kGuardCapacity];
// Slots at and above this index have never been claimed; the handler stops there.
std::atomic<int> g_highWater {0};
std::atomic<uintptr_t> g_pageSize {4096};
// What SIGBUS did before install(); written only while the handler is not
// the disposition (install() runs under g_installMutex).
struct sigaction g_previous {
};
std::mutex g_installMutex;
std::once_flag g_installOnce;

void publish(GuardSlot &slot, uintptr_t begin, uintptr_t end)
{
    const uint64_t v = slot.version.load(std::memory_order_relaxed);
    slot.version.store(v + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    slot.begin.store(begin, std::memory_order_relaxed);
    slot.end.store(end, std::memory_order_relaxed);
    slot.version.store(v + 2, std::memory_order_release);
}

// Reads a consistent [begin, end) of the slot; false while another thread
// is in the middle of changing it (then it is not a mapping being read).
bool snapshot(const GuardSlot &slot, uintptr_t &begin, uintptr_t &end)
{
    for (int attempt = 0; attempt < 100; ++attempt) {
        const uint64_t v = slot.version.load(std::memory_order_acquire);
        if (v & 1)
            continue;
        begin = slot.begin.load(std::memory_order_relaxed);
        end = slot.end.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (slot.version.load(std::memory_order_relaxed) == v)
            return true;
    }
    return false;
}

GuardSlot *findSlot(uintptr_t address, uintptr_t &end)
{
    const int highWater = g_highWater.load(std::memory_order_acquire);
    for (int i = 0; i < highWater; ++i) {
        uintptr_t begin = 0;
        if (snapshot(g_slots[i], begin, end) && begin <= address && address < end)
            return &g_slots[i];
    }
    return nullptr;
}

int registerRange(uintptr_t begin, uintptr_t end)
{
    for (int i = 0; i < MappedFile::kGuardCapacity; ++i) {
        bool expected = false;
        if (!g_slots[i].claimed.compare_exchange_strong(expected, true, std::memory_order_acquire))
            continue;
        int highWater = g_highWater.load(std::memory_order_relaxed);
        while (highWater < i + 1 && !g_highWater.compare_exchange_weak(highWater, i + 1, std::memory_order_release)) { }
        g_slots[i].truncated.store(false, std::memory_order_relaxed);
        publish(g_slots[i], begin, end);
        return i;
    }
    return -1;
}

void unregisterRange(int index)
{
    publish(g_slots[index], 0, 0);
    g_slots[index].truncated.store(false, std::memory_order_relaxed);
    g_slots[index].claimed.store(false, std::memory_order_release);
}

void passOn(int sig, siginfo_t *info, void *context)
{
    const struct sigaction &previous = g_previous;
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction)
            previous.sa_sigaction(sig, info, context);
        return;
    }
    if (previous.sa_handler == SIG_IGN && info->si_code <= 0)
        return; // sent by a process, and SIGBUS was ignored before us
    if (previous.sa_handler == SIG_DFL || previous.sa_handler == SIG_IGN) {
        // A fault cannot be ignored (the kernel kills on an ignored SIGBUS
        // fault too): take the default action. The signal is blocked while
        // this handler runs, so the raised one arrives as soon as it returns.
        struct sigaction dfl {
        };
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        ::sigaction(SIGBUS, &dfl, nullptr);
        ::raise(SIGBUS);
        return;
    }
    previous.sa_handler(sig);
}

void onSigbus(int sig, siginfo_t *info, void *context)
{
    const int savedErrno = errno;
    // Only a fault names an address; for a signal sent by kill or raise the
    // same bytes of siginfo hold the sender's pid and uid.
    if (info->si_code == BUS_ADRERR || info->si_code == BUS_OBJERR) {
        const auto address = reinterpret_cast<uintptr_t>(info->si_addr);
        uintptr_t end = 0;
        if (GuardSlot *slot = findSlot(address, end)) {
            // The file ends before this page, so it ends before every later
            // page of the mapping too: cover them all at once rather than
            // taking one fault per page of a long read.
            const uintptr_t page = address & ~(g_pageSize.load(std::memory_order_relaxed) - 1);
            void *p = ::mmap(
                reinterpret_cast<void *>(page), end - page, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p != MAP_FAILED) {
                slot->truncated.store(true, std::memory_order_release);
                errno = savedErrno;
                return;
            }
        }
    }
    errno = savedErrno;
    passOn(sig, info, context);
}

} // namespace

namespace sigbus_guard {

void install()
{
    std::lock_guard lock(g_installMutex);
    struct sigaction current {
    };
    if (::sigaction(SIGBUS, nullptr, &current) != 0)
        return;
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == onSigbus)
        return;
    g_pageSize.store(uintptr_t(::sysconf(_SC_PAGESIZE)), std::memory_order_relaxed);
    g_previous = current;
    struct sigaction action {
    };
    action.sa_sigaction = onSigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, nullptr);
}

bool installed()
{
    struct sigaction current {
    };
    return ::sigaction(SIGBUS, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO)
        && current.sa_sigaction == onSigbus;
}

bool covers(const void *address)
{
    uintptr_t end = 0;
    return findSlot(reinterpret_cast<uintptr_t>(address), end) != nullptr;
}

} // namespace sigbus_guard

Result<MappedFile> MappedFile::map(int fd, std::string path)
{
    struct stat st {
    };
    if (::fstat(fd, &st) != 0)
        return failErrno(errno, path, "fstat");
    MappedFile file;
    file.m_path = std::move(path);
    file.m_size = uint64_t(st.st_size);
    file.m_device = uint64_t(st.st_dev);
    file.m_inode = uint64_t(st.st_ino);
    if (file.m_size == 0)
        return file;
    std::call_once(g_installOnce, sigbus_guard::install);
    void *p = ::mmap(nullptr, size_t(file.m_size), PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return failErrno(errno, file.m_path, "mmap");
    file.m_data = static_cast<const uint8_t *>(p);
    const uintptr_t pageSize = g_pageSize.load(std::memory_order_relaxed);
    const auto begin = reinterpret_cast<uintptr_t>(p);
    file.m_guardSlot = registerRange(begin, begin + ((uintptr_t(file.m_size) + pageSize - 1) & ~(pageSize - 1)));
    return file;
}

MappedFile::MappedFile(MappedFile &&other) noexcept
    : m_data(std::exchange(other.m_data, nullptr))
    , m_size(std::exchange(other.m_size, 0))
    , m_path(std::move(other.m_path))
    , m_guardSlot(std::exchange(other.m_guardSlot, -1))
    , m_device(other.m_device)
    , m_inode(other.m_inode)
{ }

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept
{
    if (this != &other) {
        unmap();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_path = std::move(other.m_path);
        m_guardSlot = std::exchange(other.m_guardSlot, -1);
        m_device = other.m_device;
        m_inode = other.m_inode;
    }
    return *this;
}

MappedFile::~MappedFile()
{
    unmap();
}

bool MappedFile::truncatedSinceMapped() const
{
    return m_guardSlot >= 0 && g_slots[m_guardSlot].truncated.load(std::memory_order_acquire);
}

Result<MappedFile::SizeCheck> MappedFile::checkSize(int fd) const
{
    struct stat st {
    };
    if (::fstat(fd, &st) != 0)
        return failErrno(errno, m_path, "fstat");
    if (uint64_t(st.st_dev) != m_device || uint64_t(st.st_ino) != m_inode)
        return fail(ErrorKind::Invalid, m_path, "the descriptor given to checkSize is not the mapped file");
    return SizeCheck {m_size, uint64_t(st.st_size)};
}

void MappedFile::unmap()
{
    // Out of the registry before the pages go, so the handler never takes a
    // range that might be mapped again by someone else for its own.
    if (m_guardSlot >= 0)
        unregisterRange(std::exchange(m_guardSlot, -1));
    if (m_data)
        ::munmap(const_cast<uint8_t *>(m_data), size_t(m_size));
    m_data = nullptr;
}

} // namespace shardscope
