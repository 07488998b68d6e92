// `shardscope-cli compact` of a large shard, SIGKILLed at random moments.
// One shard (8192 slots, 16 MiB pack, entries of about 1900 bytes, some
// tombstones) is built once; then, round after round, the real command-line
// program compacts it and is killed after a random delay between 0 and 1.2
// times the length of a whole run. After every kill the checker must find no
// error, the live set (key -> sha256, read by the independent FORMAT.md
// reader) must be exactly the one the shard started with (compaction keeps
// the set), and the generation must be the one before the round or the next
// free one. Between rounds the stale generation's files and any temporary
// files are removed through the storage API, so the disk does not fill.
// The seed is printed; SHARDSCOPE_CRASH_SEED replays a run, and
// SHARDSCOPE_CRASH_ROUNDS changes the number of rounds.
#include "test_support.h"

#include "checker.h"
#include "crash_harness.h"
#include "format.h"
#include "shard.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

using namespace shardscope;
using namespace testsupport;
using crashtest::LiveSet;

namespace {

std::string keyHexOf(const Key &k)
{
    const auto b = k.bytes();
    return independent::hex(b.data(), b.size());
}

constexpr uint32_t kTableSlots = 8192;
constexpr uint32_t kPackSize = 16u << 20;
constexpr int kEntries = 4800;
constexpr int kTombstoneEvery = 9; // every 9th entry is deleted again

struct RunEnd {
    bool finished = false; // exited by itself before the kill
    int exitCode = 0;
    bool killed = false;
    qint64 elapsedUs = 0;
};

// Starts the CLI's compact on `dir`; kills it after `delayUs` (never when
// negative) and waits for it.
RunEnd runCompact(const QString &cli, const QString &dir, qint64 delayUs)
{
    RunEnd end;
    const QByteArray program = QFile::encodeName(cli);
    const QByteArray target = QFile::encodeName(dir);
    QElapsedTimer timer;
    timer.start();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int devNull = ::open("/dev/null", O_RDWR);
        if (devNull >= 0) {
            ::dup2(devNull, STDIN_FILENO);
            ::dup2(devNull, STDOUT_FILENO);
            ::dup2(devNull, STDERR_FILENO);
        }
        const char *argv[] = {program.constData(), "compact", "--quiet", target.constData(), nullptr};
        ::execv(program.constData(), const_cast<char *const *>(argv));
        ::_exit(127);
    }
    if (pid < 0)
        return end;
    int status = 0;
    if (delayUs >= 0) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(delayUs);
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                end.finished = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
        if (!end.finished) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
    } else {
        ::waitpid(pid, &status, 0);
    }
    end.elapsedUs = timer.nsecsElapsed() / 1000;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        end.killed = true;
    } else if (WIFEXITED(status)) {
        end.finished = true;
        end.exitCode = WEXITSTATUS(status);
    }
    return end;
}

// Removes every generation but the current one, and temporary files, through
// the storage library.
bool tidy(const QString &dir, std::string &error)
{
    auto shard = Shard::openForWriting(str(dir));
    if (!shard) {
        error = shard.error().describe();
        return false;
    }
    auto d = Directory::open(str(dir));
    if (!d) {
        error = d.error().describe();
        return false;
    }
    auto names = d->list();
    if (!names) {
        error = names.error().describe();
        return false;
    }
    std::set<uint32_t> stale;
    for (const auto &n : *names) {
        if (n.ends_with(".tmp")) {
            if (auto r = d->remove(n); !r) {
                error = r.error().describe();
                return false;
            }
            continue;
        }
        bool ok = false;
        const uint32_t gen = QString::fromStdString(n).section(u'.', 0, 0).toUInt(&ok, 16);
        if (ok && n.size() == 13 && gen != shard->generation())
            stale.insert(gen);
    }
    for (uint32_t gen : stale) {
        if (auto r = shard->removeGeneration(gen); !r) {
            error = r.error().describe();
            return false;
        }
    }
    return true;
}

} // namespace

class tst_CrashCompactRandom : public QObject
{
    Q_OBJECT

private slots:
    void killedCompactionsKeepTheSet();
};

void tst_CrashCompactRandom::killedCompactionsKeepTheSet()
{
    const QString cli = QStringLiteral(SHARDSCOPE_BIN_DIR) + QStringLiteral("/shardscope-cli");
    QVERIFY2(QFileInfo(cli).isExecutable(), qPrintable(cli));
    uint64_t seed = 5052026;
    if (qEnvironmentVariableIsSet("SHARDSCOPE_CRASH_SEED"))
        seed = qEnvironmentVariable("SHARDSCOPE_CRASH_SEED").toULongLong();
    int rounds = 200;
    if (qEnvironmentVariableIsSet("SHARDSCOPE_CRASH_ROUNDS"))
        rounds = qEnvironmentVariableIntValue("SHARDSCOPE_CRASH_ROUNDS");
    qInfo("seed %llu (set SHARDSCOPE_CRASH_SEED to replay), %d rounds", (unsigned long long)seed, rounds);
    std::mt19937_64 rng(seed);

    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    crashtest::LiveBytes expectedBytes; // what was written, key by key
    const QString dir = tmp.filePath(QStringLiteral("shard"));
    QVERIFY(QDir().mkpath(dir));
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {kTableSlots, kPackSize});
        CHECK_OK(shard);
        std::vector<Key> keys;
        for (int i = 0; i < kEntries; ++i) {
            keys.push_back(randomKey(rng));
            const size_t len = 1700 + size_t(rng() % 400);
            const auto bytes = randomBytes(rng, len);
            COMPARE_OK(shard->append(keys.back(), bytes), true);
            expectedBytes[keyHexOf(keys.back())] = toByteArray(bytes);
        }
        CHECK_OK(shard->flush());
        for (int i = 0; i < kEntries; i += kTombstoneEvery) {
            COMPARE_OK(shard->remove(keys[size_t(i)]), true);
            expectedBytes.erase(keyHexOf(keys[size_t(i)]));
        }
        CHECK_OK(shard->flush());
    }
    LiveSet expected;
    uint32_t gen = 0;
    std::string why;
    QVERIFY2(crashtest::readLiveSet(dir, expected, gen, why), why.c_str());
    QVERIFY(expected.size() > 4000);
    QCOMPARE(expected.size(), expectedBytes.size());
    for (const auto &[key, bytes] : expectedBytes)
        QCOMPARE(expected[key], sha256Hex(bytes));

    // Whole runs, not killed, to learn how long a compaction takes: the
    // median of three (the first also pays for a cold cache; on a busy
    // machine single runs vary by a factor of two or more).
    std::vector<qint64> runs;
    for (int i = 0; i < 3; ++i) {
        const RunEnd full = runCompact(cli, dir, -1);
        QVERIFY(full.finished);
        QCOMPARE(full.exitCode, 0);
        LiveSet live;
        uint32_t now = 0;
        QVERIFY2(crashtest::readLiveSet(dir, live, now, why), why.c_str());
        QVERIFY(live == expected);
        QCOMPARE(now, gen + 1);
        gen = now;
        QVERIFY2(tidy(dir, why), why.c_str());
        runs.push_back(full.elapsedUs);
    }
    std::sort(runs.begin(), runs.end());
    const qint64 runUs = runs[1];
    const qint64 span = runUs * 12 / 10;
    qInfo("a whole compaction run takes %lld ms; kills land in [0, %lld ms]", (long long)runUs / 1000,
        (long long)span / 1000);

    int killedBefore = 0, killedAfter = 0, finished = 0, failures = 0;
    QStringList failureText;
    QElapsedTimer wall;
    wall.start();
    qint64 checkNs = 0;
    qint64 phase[3] = {0, 0, 0};
    for (int round = 0; round < rounds; ++round) {
        const qint64 delay = qint64(rng() % uint64_t(span + 1));
        const RunEnd end = runCompact(cli, dir, delay);
        auto failure = [&](const std::string &what) {
            ++failures;
            if (failureText.size() < 10)
                failureText << QStringLiteral("round %1 (kill after %2 us): %3")
                                   .arg(round)
                                   .arg(delay)
                                   .arg(QString::fromStdString(what));
        };
        if (end.finished && end.exitCode != 0)
            failure("the compaction failed by itself with exit status " + std::to_string(end.exitCode));

        QElapsedTimer checking;
        checking.start();
        auto report = checkShard(str(dir));
        if (!report) {
            failure("cannot check: " + report.error().describe());
            break;
        }
        for (const auto &d : report->diagnostics) {
            if (d.severity == Severity::Error)
                failure("checker: " + d.code + " (" + d.file + ": " + d.message + ")");
        }
        const qint64 t1 = checking.nsecsElapsed();
        uint32_t now = 0;
        if (!crashtest::compareLiveBytes(dir, expectedBytes, now, why))
            failure("the live set is not the one the shard started with: " + why);
        // Every tenth round and the last, the independent reader agrees.
        if (round % 10 == 0 || round == rounds - 1) {
            LiveSet again;
            uint32_t genAgain = 0;
            if (!crashtest::readLiveSet(dir, again, genAgain, why))
                failure("the independent reader fails: " + why);
            else if (again != expected || genAgain != now)
                failure("the independent reader sees another live set");
        }
        if (now != gen && now != gen + 1)
            failure("generation " + std::to_string(now) + " after a compaction of generation " + std::to_string(gen));
        if (end.finished)
            ++finished;
        else if (now == gen)
            ++killedBefore;
        else
            ++killedAfter;
        gen = now;
        const qint64 t2 = checking.nsecsElapsed();
        phase[0] += t1;
        phase[1] += t2 - t1;
        if (!tidy(dir, why)) {
            failure("cannot tidy up: " + why);
            break;
        }
        checkNs += checking.nsecsElapsed();
        phase[2] += checking.nsecsElapsed() - t2;
    }
    qInfo("%d rounds in %lld ms (%lld ms checking): %d killed before the commit, %d killed after it, %d finished "
          "before the kill, %d failures (seed %llu)",
        rounds, (long long)wall.elapsed(), (long long)(checkNs / 1000000), killedBefore, killedAfter, finished,
        failures, (unsigned long long)seed);
    qInfo("of which checker %lld ms, live-set comparison %lld ms, tidying %lld ms", phase[0] / 1000000,
        phase[1] / 1000000, phase[2] / 1000000);
    QVERIFY2(failureText.isEmpty(), qPrintable(failureText.join(QStringLiteral("\n  "))));
    // Enough kills must land inside the run, or the test proves little.
    QVERIFY2(killedBefore >= rounds / 4, "too few kills landed before the commit; is the machine very busy?");
}

QTEST_GUILESS_MAIN(tst_CrashCompactRandom)
#include "tst_crash_compact_random.moc"
