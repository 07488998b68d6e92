// MappedFile's SIGBUS guard: a file truncated while mapped reads as zeros past
// its new end instead of killing the process, the mapping says so, and a
// SIGBUS that is not about one of our mappings still reaches whatever handled
// SIGBUS before the guard (checked in forked children, which may die).
#include "test_support.h"

#include "byte_source.h"
#include "shard.h"

#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <optional>
#include <thread>

using namespace shardscope;
using namespace testsupport;

namespace {

const uint64_t kPage = uint64_t(::sysconf(_SC_PAGESIZE));

QByteArray pattern(qsizetype size)
{
    QByteArray b(size, '\0');
    for (qsizetype i = 0; i < size; ++i)
        b[i] = char(1 + (i * 7 + i / 4096) % 251); // never zero, so a zero byte means "lost"
    return b;
}

int openRead(const QString &path)
{
    return ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
}

bool truncateTo(const QString &path, uint64_t size)
{
    return ::truncate(QFile::encodeName(path).constData(), off_t(size)) == 0;
}

// Reads every byte through the ByteSource interface, as the rest of the
// program does; this is where a truncated page would fault.
QByteArray readAll(const MappedFile &file)
{
    auto span = file.read(0, file.size());
    if (!span)
        return {};
    return toByteArray(*span);
}

std::optional<MappedFile> mapPath(const QString &path)
{
    UniqueFd fd(openRead(path));
    if (!fd.valid())
        return std::nullopt;
    auto m = MappedFile::map(fd.get(), str(path));
    if (!m)
        return std::nullopt;
    return std::move(*m);
}

// --- the forked children ---------------------------------------------------

enum class Previous { Default, Plain, SigInfo };
enum class Trigger { Raise, UnregisteredMapping, UnmappedSince, GuardedMapping };

constexpr int kExitPlain = 42;
constexpr int kExitSigInfo = 43;
constexpr int kExitWrongAddress = 44;
constexpr int kExitSurvived = 45;
constexpr int kExitSetupFailed = 46;

// Where the child's fault will happen; nullptr for a raised signal.
volatile sig_atomic_t g_expectSentSignal = 0;
void *volatile g_expectedAddress = nullptr;

void plainHandler(int)
{
    ::_exit(kExitPlain);
}

void sigInfoHandler(int, siginfo_t *info, void *)
{
    if (g_expectSentSignal)
        ::_exit(info->si_code <= 0 ? kExitSigInfo : kExitWrongAddress);
    ::_exit(info->si_addr == g_expectedAddress ? kExitSigInfo : kExitWrongAddress);
}

// Maps `path` with a plain mmap (no MappedFile, so not registered), truncates
// the file and returns an address in the lost part.
const volatile uint8_t *lostPageOfRawMapping(const QString &path, void *at)
{
    if (!writeFile(path, pattern(qsizetype(4 * kPage))))
        return nullptr;
    const int fd = openRead(path);
    const int flags = MAP_SHARED | (at ? MAP_FIXED_NOREPLACE : 0);
    void *p = ::mmap(at, 4 * kPage, PROT_READ, flags, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED || (at && p != at) || !truncateTo(path, kPage))
        return nullptr;
    return static_cast<const uint8_t *>(p) + 2 * kPage + 5;
}

[[noreturn]] void childMain(Previous previous, Trigger trigger, const QString &dir)
{
    // A child dying of SIGBUS must not leave a core file behind.
    const rlimit noCore {0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);

    struct sigaction act {
    };
    sigemptyset(&act.sa_mask);
    switch (previous) {
    case Previous::Default:
        act.sa_handler = SIG_DFL;
        break;
    case Previous::Plain:
        act.sa_handler = plainHandler;
        break;
    case Previous::SigInfo:
        act.sa_sigaction = sigInfoHandler;
        act.sa_flags = SA_SIGINFO;
        break;
    }
    // Replaces whatever the test runner (or ASan) had, and then the guard
    // that the parent may have installed before the fork; the guard must
    // chain to this one.
    if (::sigaction(SIGBUS, &act, nullptr) != 0)
        ::_exit(kExitSetupFailed);
    sigbus_guard::install();
    if (!sigbus_guard::installed())
        ::_exit(kExitSetupFailed);

    const volatile uint8_t *lost = nullptr;
    switch (trigger) {
    case Trigger::Raise:
        g_expectSentSignal = 1;
        ::raise(SIGBUS);
        ::_exit(kExitSurvived);
    case Trigger::UnregisteredMapping:
        lost = lostPageOfRawMapping(dir + QStringLiteral("/raw"), nullptr);
        break;
    case Trigger::UnmappedSince: {
        // The same addresses a MappedFile had, mapped again by someone else
        // after it went: its registration must have gone with it.
        void *was = nullptr;
        {
            const QString guarded = dir + QStringLiteral("/guarded");
            if (!writeFile(guarded, pattern(qsizetype(4 * kPage))))
                ::_exit(kExitSetupFailed);
            auto m = mapPath(guarded);
            if (!m || !m->guarded())
                ::_exit(kExitSetupFailed);
            was = const_cast<uint8_t *>(m->read(0, 1)->data());
        }
        lost = lostPageOfRawMapping(dir + QStringLiteral("/raw"), was);
        break;
    }
    case Trigger::GuardedMapping: {
        const QString guarded = dir + QStringLiteral("/guarded");
        if (!writeFile(guarded, pattern(qsizetype(4 * kPage))))
            ::_exit(kExitSetupFailed);
        auto m = mapPath(guarded);
        if (!m || !m->guarded() || !truncateTo(guarded, 0))
            ::_exit(kExitSetupFailed);
        const QByteArray bytes = readAll(*m);
        ::_exit(
            bytes == QByteArray(bytes.size(), '\0') && bytes.size() == qsizetype(4 * kPage) && m->truncatedSinceMapped()
                ? 0
                : kExitSetupFailed);
    }
    }
    if (!lost)
        ::_exit(kExitSetupFailed);
    g_expectedAddress = const_cast<uint8_t *>(lost);
    const uint8_t value = *lost;
    ::_exit(value == 0 ? kExitSurvived : kExitSurvived + 1);
}

} // namespace

Q_DECLARE_METATYPE(Previous)
Q_DECLARE_METATYPE(Trigger)

class tst_ByteSourceGuard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void truncatedWhileMapped_data();
    void truncatedWhileMapped();
    void checkSizeNamesTheFile();
    void registrationFollowsTheMapping();
    void emptyFileIsNotMapped();
    void shardSurvivesTruncation();
    void faultsWhileOtherThreadsMap();
    void otherSigbusReachesPreviousHandler_data();
    void otherSigbusReachesPreviousHandler();
};

void tst_ByteSourceGuard::truncatedWhileMapped_data()
{
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<qsizetype>("newSize");
    const qsizetype size = qsizetype(16 * kPage + 100);
    QTest::newRow("to zero") << size << qsizetype(0);
    QTest::newRow("to one byte") << size << qsizetype(1);
    QTest::newRow("to a page boundary in the middle") << size << qsizetype(8 * kPage);
    QTest::newRow("to the middle of a page") << size << qsizetype(8 * kPage + 1234);
    QTest::newRow("inside the last page") << size << qsizetype(16 * kPage + 10);
    QTest::newRow("not at all") << size << size;
    QTest::newRow("one page, to zero") << qsizetype(kPage) << qsizetype(0);
}

void tst_ByteSourceGuard::truncatedWhileMapped()
{
    QFETCH(qsizetype, size);
    QFETCH(qsizetype, newSize);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = tmp.filePath(QStringLiteral("file"));
    const QByteArray original = pattern(size);
    QVERIFY(writeFile(path, original));

    UniqueFd fd(openRead(path));
    QVERIFY(fd.valid());
    auto mapped = MappedFile::map(fd.get(), str(path));
    CHECK_OK(mapped);
    QVERIFY(mapped->guarded());
    QVERIFY(sigbus_guard::installed());
    // Every page is touched once before the truncation, as a viewer would have.
    QCOMPARE(readAll(*mapped), original);
    QVERIFY(!mapped->truncatedSinceMapped());

    QVERIFY(truncateTo(path, uint64_t(newSize)));
    const QByteArray after = readAll(*mapped);
    QCOMPARE(after.size(), size);
    QCOMPARE(after.first(newSize), original.first(newSize));
    QCOMPARE(after.sliced(newSize), QByteArray(size - newSize, '\0'));
    // Bytes after the end but in the file's last page are the kernel's zeros
    // and do not fault; only a whole lost page does.
    const bool lostAPage = uint64_t(size) > (uint64_t(newSize) + kPage - 1) / kPage * kPage;
    QCOMPARE(mapped->truncatedSinceMapped(), lostAPage);
    // A second pass reads the same (the zero pages stay).
    QCOMPARE(readAll(*mapped), after);

    auto check = mapped->checkSize(fd.get());
    CHECK_OK(check);
    QCOMPARE(check->mappedSize, uint64_t(size));
    QCOMPARE(check->fileSize, uint64_t(newSize));
    QCOMPARE(check->shrunk(), newSize < size);
    QVERIFY(!check->grew());
}

void tst_ByteSourceGuard::checkSizeNamesTheFile()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = tmp.filePath(QStringLiteral("a"));
    const QString other = tmp.filePath(QStringLiteral("b"));
    QVERIFY(writeFile(path, pattern(3000)));
    QVERIFY(writeFile(other, pattern(3000)));
    auto mapped = mapPath(path);
    QVERIFY(mapped);

    UniqueFd otherFd(openRead(other));
    CHECK_ERROR(mapped->checkSize(otherFd.get()), ErrorKind::Invalid);

    // Another descriptor of the same file is fine; a file that grew says so.
    QVERIFY(patchFile(path, 5000, "x"));
    UniqueFd again(openRead(path));
    auto check = mapped->checkSize(again.get());
    CHECK_OK(check);
    QVERIFY(check->grew());
    QVERIFY(!check->shrunk());
    QCOMPARE(check->fileSize, uint64_t(5001));

    CHECK_ERROR(mapped->checkSize(-1), ErrorKind::Io);
}

void tst_ByteSourceGuard::registrationFollowsTheMapping()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString pathA = tmp.filePath(QStringLiteral("a"));
    const QString pathB = tmp.filePath(QStringLiteral("b"));
    QVERIFY(writeFile(pathA, pattern(qsizetype(3 * kPage))));
    QVERIFY(writeFile(pathB, pattern(qsizetype(kPage + 1))));

    auto a = mapPath(pathA);
    QVERIFY(a && a->guarded());
    const uint8_t *dataA = a->read(0, 1)->data();
    QVERIFY(sigbus_guard::covers(dataA));
    QVERIFY(sigbus_guard::covers(dataA + 3 * kPage - 1));
    QVERIFY(!sigbus_guard::covers(dataA + 3 * kPage));
    QVERIFY(!sigbus_guard::covers(dataA - 1));

    // A move hands the registration over; the moved-from object has none.
    MappedFile moved(std::move(*a));
    QVERIFY(moved.guarded());
    QVERIFY(!a->guarded());
    QVERIFY(sigbus_guard::covers(dataA));
    a.reset();
    QVERIFY(sigbus_guard::covers(dataA));

    // Move assignment drops the target's own mapping and its registration.
    auto b = mapPath(pathB);
    QVERIFY(b && b->guarded());
    const uint8_t *dataB = b->read(0, 1)->data();
    QVERIFY(sigbus_guard::covers(dataB + 2 * kPage - 1)); // the last page, though the file ends at kPage+1
    // (b may lie right below a, which covers the next page then.)
    QVERIFY(!sigbus_guard::covers(dataB + 2 * kPage) || dataB + 2 * kPage == dataA);
    moved = std::move(*b);
    QVERIFY(!sigbus_guard::covers(dataA));
    QVERIFY(sigbus_guard::covers(dataB));
    QCOMPARE(moved.size(), uint64_t(kPage + 1));

    // After truncating and faulting, the flag belongs to this mapping only,
    // and a new mapping of the same file starts clean.
    QVERIFY(truncateTo(pathB, 0));
    QCOMPARE(readAll(moved), QByteArray(qsizetype(kPage + 1), '\0'));
    QVERIFY(moved.truncatedSinceMapped());
    QVERIFY(writeFile(pathB, pattern(qsizetype(kPage + 1))));
    auto fresh = mapPath(pathB);
    QVERIFY(fresh && fresh->guarded());
    QVERIFY(!fresh->truncatedSinceMapped());
    QCOMPARE(readAll(*fresh), pattern(qsizetype(kPage + 1)));

    moved = std::move(*fresh);
    QVERIFY(!moved.truncatedSinceMapped());
    fresh.reset();
    {
        const MappedFile gone(std::move(moved));
        QVERIFY(sigbus_guard::covers(gone.read(0, 1)->data()));
    }
    QVERIFY(!sigbus_guard::covers(dataB));
}

void tst_ByteSourceGuard::emptyFileIsNotMapped()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = tmp.filePath(QStringLiteral("empty"));
    QVERIFY(writeFile(path, {}));
    auto m = mapPath(path);
    QVERIFY(m);
    QCOMPARE(m->size(), uint64_t(0));
    QVERIFY(!m->guarded());
    QVERIFY(!m->truncatedSinceMapped());
    CHECK_ERROR(m->read(0, 1), ErrorKind::Corrupt);
}

// The storage classes read through the mapping directly (Table keeps a
// pointer into it); the guard covers those reads as well.
void tst_ByteSourceGuard::shardSurvivesTruncation()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString dir = copyFixture(tmp.path(), QStringLiteral("basic"));
    QVERIFY(!dir.isEmpty());
    auto shard = Shard::openReadOnly(str(dir));
    CHECK_OK(shard);
    const uint32_t count = shard->slotCount();
    QVERIFY(count > 10);
    const uint64_t packSize = shard->packSize();

    QVERIFY(truncateTo(dir + QStringLiteral("/00000000.pack"), 0));
    QVERIFY(truncateTo(dir + QStringLiteral("/00000000.slot"), 0));
    uint64_t bytesRead = 0;
    for (uint32_t i = 0; i < count; ++i) {
        const Entry e = shard->entry(i);
        // The table's pages are gone too, so every slot reads as zeros.
        QVERIFY(e.key.isZero());
        QCOMPARE(e.offset, 0u);
        QCOMPARE(e.len, 0u);
    }
    auto whole = shard->pack().read(0, uint32_t(packSize));
    CHECK_OK(whole);
    for (uint8_t b : *whole)
        bytesRead += b;
    QCOMPARE(bytesRead, uint64_t(0));

    const auto *table = dynamic_cast<const MappedFile *>(&shard->table().file().bytes());
    const auto *pack = dynamic_cast<const MappedFile *>(&shard->pack().file().bytes());
    QVERIFY(table && pack);
    QVERIFY(table->truncatedSinceMapped());
    QVERIFY(pack->truncatedSinceMapped());
}

// Mappings come and go on other threads while this one takes faults: the
// handler must find its mapping among slots being claimed and released.
void tst_ByteSourceGuard::faultsWhileOtherThreadsMap()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString churnPath = tmp.filePath(QStringLiteral("churn"));
    QVERIFY(writeFile(churnPath, pattern(qsizetype(kPage))));
    std::atomic<bool> stop {false};
    std::atomic<int> churned {0};
    auto churn = [&] {
        while (!stop.load()) {
            auto m = mapPath(churnPath);
            if (m && m->guarded())
                churned.fetch_add(1);
        }
    };
    std::thread t1(churn);
    std::thread t2(churn);

    const QString path = tmp.filePath(QStringLiteral("victim"));
    const qsizetype size = qsizetype(8 * kPage);
    int survived = 0;
    for (int round = 0; round < 200; ++round) {
        if (!writeFile(path, pattern(size)))
            break;
        auto m = mapPath(path);
        if (!m || !truncateTo(path, kPage))
            break;
        const QByteArray bytes = readAll(*m);
        if (bytes.sliced(qsizetype(kPage)) != QByteArray(size - qsizetype(kPage), '\0') || !m->truncatedSinceMapped())
            break;
        ++survived;
    }
    stop.store(true);
    t1.join();
    t2.join();
    QCOMPARE(survived, 200);
    QVERIFY(churned.load() > 0);
}

void tst_ByteSourceGuard::otherSigbusReachesPreviousHandler_data()
{
    QTest::addColumn<Previous>("previous");
    QTest::addColumn<Trigger>("trigger");
    // -1: killed by SIGBUS; otherwise the exit status.
    QTest::addColumn<int>("expected");

    const struct {
        const char *name;
        Previous previous;
        int outcome;
    } previousKinds[] = {
        {"default action", Previous::Default, -1},
        {"plain handler", Previous::Plain, kExitPlain},
        {"siginfo handler", Previous::SigInfo, kExitSigInfo},
    };
    const struct {
        const char *name;
        Trigger trigger;
    } triggers[] = {
        {"raise", Trigger::Raise},
        {"fault in a mapping never registered", Trigger::UnregisteredMapping},
        {"fault where a MappedFile was before", Trigger::UnmappedSince},
        {"fault in a guarded mapping", Trigger::GuardedMapping},
    };
    for (const auto &p : previousKinds) {
        for (const auto &t : triggers) {
            const int expected = t.trigger == Trigger::GuardedMapping ? 0 : p.outcome;
            QTest::addRow("%s, %s", p.name, t.name) << p.previous << t.trigger << expected;
        }
    }
}

void tst_ByteSourceGuard::otherSigbusReachesPreviousHandler()
{
    QFETCH(Previous, previous);
    QFETCH(Trigger, trigger);
    QFETCH(int, expected);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());

    const pid_t pid = ::fork();
    QVERIFY(pid >= 0);
    if (pid == 0)
        childMain(previous, trigger, tmp.path());
    int status = 0;
    QCOMPARE(::waitpid(pid, &status, 0), pid);
    if (expected < 0) {
        QVERIFY2(WIFSIGNALED(status),
            qPrintable(QStringLiteral("child exited with %1 instead of dying").arg(WEXITSTATUS(status))));
        QCOMPARE(WTERMSIG(status), SIGBUS);
    } else {
        QVERIFY2(WIFEXITED(status),
            qPrintable(QStringLiteral("child died of signal %1").arg(WIFSIGNALED(status) ? WTERMSIG(status) : 0)));
        QCOMPARE(WEXITSTATUS(status), expected);
    }
}

QTEST_GUILESS_MAIN(tst_ByteSourceGuard)
#include "tst_byte_source_guard.moc"
