// ShardLock: the write lock every writable open takes on the shard directory.
// A second writer, in another process or through another descriptor of this
// one, is refused with a Locked error naming the holder; readers are never
// refused; the lock goes with the shard object and with a killed process.
#include "test_support.h"

#include "repair.h"
#include "shard.h"
#include "shard_lock.h"
#include "store.h"

#include <QTemporaryDir>
#include <QTest>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <memory>

using namespace shardscope;
using namespace testsupport;

namespace {

std::string ownComm()
{
    std::ifstream in("/proc/self/comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

// A child process that opens `dir` for writing, reports on the pipe and then
// waits to be killed.
pid_t forkWriter(const QString &dir, int *readyFd)
{
    int fds[2];
    if (::pipe(fds) != 0)
        return -1;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        auto shard = Shard::openForWriting(str(dir));
        const char status = shard ? 'y' : 'n';
        (void)!::write(fds[1], &status, 1);
        for (;;)
            ::pause();
    }
    ::close(fds[1]);
    *readyFd = fds[0];
    return pid;
}

char readStatus(int fd)
{
    char c = 0;
    const ssize_t n = ::read(fd, &c, 1);
    ::close(fd);
    return n == 1 ? c : '?';
}

void killAndReap(pid_t pid)
{
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
}

} // namespace

class TestShardLock : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_tmp = std::make_unique<QTemporaryDir>();
        QVERIFY(m_tmp->isValid());
        m_dir = m_tmp->filePath(QStringLiteral("shard"));
        QVERIFY(QDir().mkpath(m_dir));
        auto shard = Shard::hydrate(str(m_dir), ShardGeometry {64, 4096});
        CHECK_OK(shard);
        const std::vector<uint8_t> data {1, 2, 3};
        COMPARE_OK(shard->append(Key({1, 2, 3}), data), true);
        CHECK_OK(shard->flush());
    }

    void secondWriterInThisProcessIsRefused_data()
    {
        QTest::addColumn<int>("how");
        QTest::newRow("openForWriting") << 0;
        QTest::newRow("hydrate") << 1;
        QTest::newRow("open(dir, ReadWrite)") << 2;
        QTest::newRow("store writable") << 3;
        QTest::newRow("ShardLock::acquire") << 4;
    }
    void secondWriterInThisProcessIsRefused()
    {
        QFETCH(int, how);
        auto first = Shard::openForWriting(str(m_dir));
        CHECK_OK(first);
        Error err;
        switch (how) {
        case 0: {
            auto r = Shard::openForWriting(str(m_dir));
            QVERIFY(!r);
            err = r.error();
            break;
        }
        case 1: {
            auto r = Shard::hydrate(str(m_dir), ShardGeometry {64, 4096});
            QVERIFY(!r);
            err = r.error();
            break;
        }
        case 2: {
            auto d = Directory::open(str(m_dir));
            CHECK_OK(d);
            auto r = Shard::open(std::move(*d), Shard::Access::ReadWrite);
            QVERIFY(!r);
            err = r.error();
            break;
        }
        case 3: {
            auto r = Store::open(str(m_dir), Store::Access::ReadWrite);
            QVERIFY(!r);
            err = r.error();
            break;
        }
        case 4: {
            auto d = Directory::open(str(m_dir));
            CHECK_OK(d);
            auto r = ShardLock::acquire(*d);
            QVERIFY(!r);
            err = r.error();
            break;
        }
        }
        QCOMPARE(err.kind, ErrorKind::Locked);
        QCOMPARE(err.file, str(m_dir));
        const std::string who = "pid " + std::to_string(::getpid()) + " (" + ownComm() + ")";
        QVERIFY2(err.message.find(who) != std::string::npos, err.message.c_str());
        QVERIFY2(err.message.find("this same process") != std::string::npos, err.message.c_str());
    }

    void holderIsNamedOnlyWhileHeld()
    {
        auto d = Directory::open(str(m_dir));
        CHECK_OK(d);
        QCOMPARE(ShardLock::holder(*d), std::nullopt);
        {
            auto shard = Shard::openForWriting(str(m_dir));
            CHECK_OK(shard);
            QCOMPARE(ShardLock::holder(*d),
                std::optional<std::string>("pid " + std::to_string(::getpid()) + " (" + ownComm() + ")"));
        }
        QCOMPARE(ShardLock::holder(*d), std::nullopt);
        // Released with the shard: the next writer gets it.
        auto again = Shard::openForWriting(str(m_dir));
        CHECK_OK(again);
    }

    void lockMovesWithTheShard()
    {
        auto opened = Shard::openForWriting(str(m_dir));
        CHECK_OK(opened);
        Shard moved = std::move(*opened);
        Shard assigned = std::move(moved);
        CHECK_ERROR(Shard::openForWriting(str(m_dir)), ErrorKind::Locked);
        const std::vector<uint8_t> data {9};
        COMPARE_OK(assigned.append(Key({4, 5, 6}), data), true);
        CHECK_OK(assigned.flush());
    }

    void readersAreNotRefused()
    {
        auto writer = Shard::openForWriting(str(m_dir));
        CHECK_OK(writer);
        auto reader = Shard::openReadOnly(str(m_dir));
        CHECK_OK(reader);
        QVERIFY(reader->exists(Key({1, 2, 3})));
        auto store = Store::open(str(m_dir), Store::Access::ReadOnly);
        CHECK_OK(store);
        // And a reader does not keep a writer out.
        writer = std::unexpected(Error {});
        auto secondWriter = Shard::openForWriting(str(m_dir));
        CHECK_OK(secondWriter);
    }

    void otherProcessIsRefusedAndNamed()
    {
        int ready = -1;
        const pid_t child = forkWriter(m_dir, &ready);
        QVERIFY(child > 0);
        QCOMPARE(readStatus(ready), 'y');
        auto r = Shard::openForWriting(str(m_dir));
        const bool refused = !r && r.error().kind == ErrorKind::Locked;
        const std::string message = r ? std::string() : r.error().message;
        // The child was forked from this test, so it carries the same comm.
        const std::string who = "pid " + std::to_string(child) + " (" + ownComm() + ")";
        killAndReap(child);
        QVERIFY2(refused, message.c_str());
        QVERIFY2(message.find(who) != std::string::npos, message.c_str());
        QVERIFY2(message.find("this same process") == std::string::npos, message.c_str());
    }

    void killedHolderReleasesTheLock()
    {
        int ready = -1;
        const pid_t child = forkWriter(m_dir, &ready);
        QVERIFY(child > 0);
        QCOMPARE(readStatus(ready), 'y');
        const bool lockedWhileAlive = !Shard::openForWriting(str(m_dir));
        killAndReap(child);
        QVERIFY(lockedWhileAlive);
        auto d = Directory::open(str(m_dir));
        CHECK_OK(d);
        QCOMPARE(ShardLock::holder(*d), std::nullopt);
        auto after = Shard::openForWriting(str(m_dir));
        CHECK_OK(after);
    }

    void repairWaitsForTheLock()
    {
        {
            auto shard = Shard::openForWriting(str(m_dir));
            CHECK_OK(shard);
            const std::vector<uint8_t> data {7, 7};
            COMPARE_OK(shard->append(Key({7, 8, 9}), data), true);
            CHECK_OK(shard->flush());
        }
        // The active copy says one slot: the second is uncommitted, and
        // adopting it is a repair that writes.
        const QByteArray mf = readFile(m_dir + "/MF");
        const int active = readU64(mf, 32) > readU64(mf, 0) ? 1 : 0;
        QVERIFY(patchFile(m_dir + "/MF", active * 32 + 12, u32le(1)));
        auto plan = planRepair(str(m_dir), RepairKind::AdoptUncommitted);
        CHECK_OK(plan);
        QVERIFY(!plan->nothingToDo);
        const auto before = snapshotTree(m_dir);
        {
            auto writer = Shard::openReadOnly(str(m_dir));
            CHECK_OK(writer);
            auto d = Directory::open(str(m_dir));
            CHECK_OK(d);
            auto held = ShardLock::acquire(*d);
            CHECK_OK(held);
            auto refused = applyRepair(*plan);
            CHECK_ERROR(refused, ErrorKind::Locked);
            QCOMPARE(snapshotTree(m_dir), before);
        }
        CHECK_OK(applyRepair(*plan));
        auto repaired = Shard::openReadOnly(str(m_dir));
        CHECK_OK(repaired);
        QVERIFY(repaired->exists(Key({7, 8, 9})));
    }

    void childRefusedWhileThisProcessHolds()
    {
        auto writer = Shard::openForWriting(str(m_dir));
        CHECK_OK(writer);
        int ready = -1;
        const pid_t child = forkWriter(m_dir, &ready);
        QVERIFY(child > 0);
        const char status = readStatus(ready);
        killAndReap(child);
        QCOMPARE(status, 'n');
    }

private:
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_dir;
};

QTEST_GUILESS_MAIN(TestShardLock)
#include "tst_shard_lock.moc"
