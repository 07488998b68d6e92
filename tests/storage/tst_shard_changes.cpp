// commitChanges: the one write path for edits. Appends alone go in place past
// the committed end; any delete makes a copy-on-write generation that keeps
// the layout. Each commit is checked three ways: the shard object, the
// checker, and the independent FORMAT.md reader; each refused change set
// must leave every byte and timestamp of the shard as it was.
#include "test_support.h"

#include "checker.h"
#include "fault_injection.h"
#include "format.h"
#include "independent_reader.h"
#include "shard.h"
#include "shard_changes.h"
#include "shard_dump.h"

#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstring>
#include <map>

using namespace shardscope;
using namespace testsupport;

Q_DECLARE_METATYPE(shardscope::CommitMethod)

namespace {

using LiveSet = std::map<Key, std::vector<uint8_t>>;

struct Fixture {
    QString dir;
    std::vector<Key> keys; // of the initial entries, in slot order
    LiveSet live;
};

// A shard with one committed entry per length, in slots 0..n-1.
bool makeShard(const QTemporaryDir &tmp, uint32_t tableSlots, uint32_t packSize, const QList<int> &lens, uint64_t seed,
    Fixture &out, QString *why)
{
    out.dir = tmp.filePath(QStringLiteral("shard"));
    QDir().mkpath(out.dir);
    auto shard = Shard::hydrate(str(out.dir), ShardGeometry {tableSlots, packSize});
    if (!shard) {
        *why = QString::fromStdString(shard.error().describe());
        return false;
    }
    std::mt19937_64 rng(seed);
    for (int len : lens) {
        const Key key = randomKey(rng);
        auto data = randomBytes(rng, size_t(len));
        auto r = shard->append(key, data);
        if (!r || !*r) {
            *why = QStringLiteral("initial append failed");
            return false;
        }
        out.keys.push_back(key);
        out.live[key] = std::move(data);
    }
    if (auto r = shard->flush(); !r) {
        *why = QString::fromStdString(r.error().describe());
        return false;
    }
    return true;
}

bool holdsExactly(const Shard &shard, const LiveSet &live, QString *why)
{
    for (const auto &[key, data] : live) {
        auto got = shard.get(key);
        if (!got || !got->has_value()) {
            *why = QString::fromStdString(key.toHex() + ": not found");
            return false;
        }
        if (!std::ranges::equal(**got, data)) {
            *why = QString::fromStdString(key.toHex() + ": bytes differ");
            return false;
        }
    }
    if (countSlots(shard).live != live.size()) {
        *why = QStringLiteral("%1 live slots, expected %2").arg(countSlots(shard).live).arg(live.size());
        return false;
    }
    return true;
}

// The independent reader sees exactly `live`, byte for byte.
bool readerSeesExactly(const QString &dir, const LiveSet &live, QString *why)
{
    independent::ShardImage image;
    std::string error;
    if (!independent::readShard(str(dir), image, error)) {
        *why = QString::fromStdString(error);
        return false;
    }
    LiveSet seen;
    for (const auto &s : image.entries) {
        if (s.tombstone)
            continue;
        if (!s.inPack) {
            *why = QStringLiteral("slot %1 lies outside the pack").arg(s.index);
            return false;
        }
        const Key key = Key::fromBytes(s.key.data());
        if (seen.contains(key)) {
            *why = QStringLiteral("slot %1 repeats a live key").arg(s.index);
            return false;
        }
        seen[key] = s.data;
    }
    if (seen != live) {
        *why = QStringLiteral("the reader sees %1 live entries, expected %2 (or different bytes)")
                   .arg(seen.size())
                   .arg(live.size());
        return false;
    }
    return true;
}

bool checksClean(const QString &dir, QString *why)
{
    auto report = checkShard(str(dir));
    if (!report) {
        *why = QString::fromStdString(report.error().describe());
        return false;
    }
    for (const auto &d : report->diagnostics) {
        if (d.severity != Severity::Info) {
            *why = QString::fromStdString(d.code + ": " + d.message);
            return false;
        }
    }
    return true;
}

// The tree without the directory's own timestamps (creating and removing a
// temporary file changes those, and nothing else).
std::map<QString, FileState> filesOf(const QString &dir)
{
    auto tree = snapshotTree(dir);
    tree.erase(QStringLiteral("."));
    return tree;
}

StagedAppend stagedAppend(std::mt19937_64 &rng, size_t len)
{
    return StagedAppend {randomKey(rng), randomBytes(rng, len)};
}

} // namespace

class TestShardChanges : public QObject
{
    Q_OBJECT

private slots:
    void commit_data();
    void commit();
    void refusedChangesChangeNothing_data();
    void refusedChangesChangeNothing();
    void cancelChangesNothing_data();
    void cancelChangesNothing();
    void refusedShardStates();
    void failedStepLeavesOldOrNewSet_data();
    void failedStepLeavesOldOrNewSet();
    void leftoverTemporaryFilesAreReplaced();
};

void TestShardChanges::commit_data()
{
    QTest::addColumn<uint>("tableSlots");
    QTest::addColumn<uint>("packSize");
    QTest::addColumn<QList<int>>("initial"); // entry lengths
    QTest::addColumn<QList<int>>("deletes"); // indexes into initial
    QTest::addColumn<QList<int>>("appends"); // lengths of new entries
    QTest::addColumn<QList<int>>("replaces"); // indexes into initial: deleted and appended again, new bytes
    QTest::addColumn<CommitMethod>("method");

    const QList<int> five {100, 7, 0, 300, 42};
    QTest::newRow("appends only") << 16u << 4096u << five << QList<int> {} << QList<int> {10, 0, 500} << QList<int> {}
                                  << CommitMethod::InPlace;
    QTest::newRow("appends to an empty shard") << 16u << 4096u << QList<int> {} << QList<int> {} << QList<int> {1, 2, 3}
                                               << QList<int> {} << CommitMethod::InPlace;
    QTest::newRow("appends fill table and pack exactly")
        << 8u << 1000u << QList<int> {100, 100} << QList<int> {} << QList<int> {200, 200, 100, 100, 100, 100}
        << QList<int> {} << CommitMethod::InPlace;
    QTest::newRow("deletes only") << 16u << 4096u << five << QList<int> {1, 3} << QList<int> {} << QList<int> {}
                                  << CommitMethod::NewGeneration;
    QTest::newRow("delete the last entry")
        << 16u << 4096u << five << QList<int> {4} << QList<int> {} << QList<int> {} << CommitMethod::NewGeneration;
    QTest::newRow("delete everything") << 16u << 4096u << five << QList<int> {0, 1, 2, 3, 4} << QList<int> {}
                                       << QList<int> {} << CommitMethod::NewGeneration;
    QTest::newRow("mixed") << 16u << 4096u << five << QList<int> {0, 2} << QList<int> {64, 0, 1000} << QList<int> {}
                           << CommitMethod::NewGeneration;
    QTest::newRow("mixed into a full table")
        << 7u << 4096u << five << QList<int> {4} << QList<int> {5, 5} << QList<int> {} << CommitMethod::NewGeneration;
    QTest::newRow("replace a key") << 16u << 4096u << five << QList<int> {} << QList<int> {} << QList<int> {3}
                                   << CommitMethod::NewGeneration;
    QTest::newRow("large pack") << 64u << (8u << 20) << QList<int> {3 << 20, 100, 2 << 20} << QList<int> {1}
                                << QList<int> {1 << 20} << QList<int> {} << CommitMethod::NewGeneration;
}

void TestShardChanges::commit()
{
    QFETCH(uint, tableSlots);
    QFETCH(uint, packSize);
    QFETCH(QList<int>, initial);
    QFETCH(QList<int>, deletes);
    QFETCH(QList<int>, appends);
    QFETCH(QList<int>, replaces);
    QFETCH(CommitMethod, method);

    QTemporaryDir tmp;
    Fixture f;
    QString why;
    QVERIFY2(makeShard(tmp, tableSlots, packSize, initial, 7, f, &why), qPrintable(why));
    auto opened = Shard::openForWriting(str(f.dir));
    CHECK_OK(opened);
    Shard &shard = *opened;
    const uint32_t oldGen = shard.generation();
    const uint32_t oldLen = shard.tableLen();
    std::vector<Entry> before;
    for (uint32_t i = 0; i < oldLen; ++i)
        before.push_back(shard.entry(i));

    std::mt19937_64 rng(99);
    ShardChanges changes;
    LiveSet expected = f.live;
    for (int i : deletes) {
        changes.deletes.push_back(f.keys[size_t(i)]);
        expected.erase(f.keys[size_t(i)]);
    }
    for (int i : replaces) {
        changes.deletes.push_back(f.keys[size_t(i)]);
        changes.appends.push_back({f.keys[size_t(i)], randomBytes(rng, 33)});
        expected[f.keys[size_t(i)]] = changes.appends.back().data;
    }
    for (int len : appends) {
        changes.appends.push_back(stagedAppend(rng, size_t(len)));
        expected[changes.appends.back().key] = changes.appends.back().data;
    }
    CHECK_OK(validateChanges(shard, changes));

    auto result = commitChanges(shard, changes);
    CHECK_OK(result);
    QCOMPARE(result->method, method);
    QCOMPARE(result->oldGeneration, oldGen);
    QCOMPARE(result->newGeneration, method == CommitMethod::InPlace ? oldGen : oldGen + 1);
    QCOMPARE(result->appended, uint32_t(changes.appends.size()));
    QCOMPARE(result->deleted, uint32_t(changes.deletes.size()));
    QVERIFY(!result->retireError);

    // The shard object shows the commit.
    QVERIFY(!shard.dirty());
    QCOMPARE(shard.generation(), result->newGeneration);
    QCOMPARE(shard.tableLen(), oldLen + uint32_t(changes.appends.size()));
    QVERIFY2(holdsExactly(shard, expected, &why), qPrintable(why));

    // The disk shows it, to the checker and to the independent reader.
    QVERIFY2(checksClean(f.dir, &why), qPrintable(why));
    QVERIFY2(readerSeesExactly(f.dir, expected, &why), qPrintable(why));

    // The layout is kept: surviving entries stay in their slots and pack
    // bytes, deleted ones are tombstones, appended ones follow in order.
    auto reader = Shard::openReadOnly(str(f.dir));
    CHECK_OK(reader);
    QCOMPARE(reader->generation(), result->newGeneration);
    QCOMPARE(reader->tableLen(), oldLen + uint32_t(changes.appends.size()));
    for (uint32_t i = 0; i < oldLen; ++i) {
        const bool deleted = std::ranges::find(changes.deletes, before[i].key) != changes.deletes.end();
        if (deleted)
            QVERIFY2(reader->entry(i).isTombstone(), qPrintable(QStringLiteral("slot %1").arg(i)));
        else
            QCOMPARE(reader->entry(i), before[i]);
    }
    for (size_t i = 0; i < changes.appends.size(); ++i)
        QCOMPARE(reader->entry(oldLen + uint32_t(i)).key, changes.appends[i].key);

    // Only the current generation's files are left, and no temporary ones.
    QCOMPARE(listDir(f.dir),
        QStringList({QString::fromStdString(packFileName(result->newGeneration)),
            QString::fromStdString(tableFileName(result->newGeneration)), QStringLiteral("MF")}));

    // And the shard object goes on writing: one more commit of each kind.
    ShardChanges more;
    if (!expected.empty()) {
        more.deletes.push_back(expected.begin()->first);
        expected.erase(expected.begin());
    }
    more.appends.push_back(stagedAppend(rng, 5));
    expected[more.appends.back().key] = more.appends.back().data;
    if (shard.tableLen() + more.appends.size() <= shard.capacity() && shard.hasSpace(5)) {
        CHECK_OK(commitChanges(shard, more));
        QVERIFY2(holdsExactly(shard, expected, &why), qPrintable(why));
        QVERIFY2(checksClean(f.dir, &why), qPrintable(why));
        QVERIFY2(readerSeesExactly(f.dir, expected, &why), qPrintable(why));
    } else {
        CHECK_ERROR(commitChanges(shard, more), ErrorKind::Full);
    }
}

void TestShardChanges::refusedChangesChangeNothing_data()
{
    QTest::addColumn<int>("what");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<bool>("namesKey");
    QTest::newRow("zero key appended") << 0 << ErrorKind::Invalid << true;
    QTest::newRow("zero key deleted") << 1 << ErrorKind::Invalid << true;
    QTest::newRow("key appended twice") << 2 << ErrorKind::Invalid << true;
    QTest::newRow("key already live") << 3 << ErrorKind::Invalid << true;
    QTest::newRow("delete of a missing key") << 4 << ErrorKind::NotFound << true;
    QTest::newRow("key deleted twice") << 5 << ErrorKind::Invalid << true;
    QTest::newRow("table full") << 6 << ErrorKind::Full << false;
    QTest::newRow("pack full") << 7 << ErrorKind::Full << false;
    QTest::newRow("pack full with a delete") << 8 << ErrorKind::Full << false;
    QTest::newRow("valid appends, then a bad one") << 9 << ErrorKind::Invalid << true;
}

void TestShardChanges::refusedChangesChangeNothing()
{
    QFETCH(int, what);
    QFETCH(ErrorKind, kind);
    QFETCH(bool, namesKey);

    QTemporaryDir tmp;
    Fixture f;
    QString why;
    // 8 slots, 5 used; 1000 bytes, 460 used.
    QVERIFY2(makeShard(tmp, 8, 1000, {100, 7, 0, 311, 42}, 11, f, &why), qPrintable(why));
    auto opened = Shard::openForWriting(str(f.dir));
    CHECK_OK(opened);
    Shard &shard = *opened;
    std::mt19937_64 rng(5);
    ShardChanges changes;
    Key named;
    switch (what) {
    case 0:
        changes.appends.push_back({Key(), {1}});
        break;
    case 1:
        changes.deletes.push_back(Key());
        break;
    case 2:
        changes.appends.push_back(stagedAppend(rng, 3));
        changes.appends.push_back({changes.appends[0].key, {4}});
        named = changes.appends[0].key;
        break;
    case 3:
        changes.appends.push_back({f.keys[1], {4}});
        named = f.keys[1];
        break;
    case 4:
        named = randomKey(rng);
        changes.deletes.push_back(named);
        break;
    case 5:
        changes.deletes = {f.keys[0], f.keys[0]};
        named = f.keys[0];
        break;
    case 6:
        for (int i = 0; i < 4; ++i)
            changes.appends.push_back(stagedAppend(rng, 1));
        break;
    case 7:
        changes.appends.push_back(stagedAppend(rng, 500));
        changes.appends.push_back(stagedAppend(rng, 41));
        break;
    case 8:
        // Deleting does not free pack bytes: they stay until compaction.
        changes.deletes.push_back(f.keys[3]);
        changes.appends.push_back(stagedAppend(rng, 541));
        break;
    case 9:
        changes.appends.push_back(stagedAppend(rng, 3));
        changes.appends.push_back({f.keys[2], {}});
        named = f.keys[2];
        break;
    }

    const auto treeBefore = snapshotTree(f.dir);
    const uint32_t lenBefore = shard.tableLen();
    const uint64_t nextBefore = shard.nextOffset();
    const auto validated = validateChanges(shard, changes);
    auto r = commitChanges(shard, changes);
    QVERIFY(!validated);
    QVERIFY(!r);
    QCOMPARE(r.error().kind, kind);
    QCOMPARE(validated.error().message, r.error().message);
    if (namesKey)
        QVERIFY2(r.error().message.find(named.toHex()) != std::string::npos, r.error().message.c_str());
    if (kind == ErrorKind::Full)
        QVERIFY2(r.error().message.find("free") != std::string::npos, r.error().message.c_str());
    QCOMPARE(snapshotTree(f.dir), treeBefore);
    QCOMPARE(shard.tableLen(), lenBefore);
    QCOMPARE(shard.nextOffset(), nextBefore);
    QVERIFY(!shard.dirty());
    QVERIFY2(holdsExactly(shard, f.live, &why), qPrintable(why));
    // Still usable.
    ShardChanges fine;
    fine.appends.push_back(stagedAppend(rng, 1));
    CHECK_OK(commitChanges(shard, fine));
}

void TestShardChanges::cancelChangesNothing_data()
{
    QTest::addColumn<bool>("withDelete");
    QTest::addColumn<int>("cancelAt"); // progress calls let through before the cancel
    QTest::newRow("appends, at once") << false << 0;
    QTest::newRow("delete, at once") << true << 0;
    QTest::newRow("delete, during the copy") << true << 1;
    QTest::newRow("delete, at the last moment") << true << 2;
}

void TestShardChanges::cancelChangesNothing()
{
    QFETCH(bool, withDelete);
    QFETCH(int, cancelAt);
    QTemporaryDir tmp;
    Fixture f;
    QString why;
    QVERIFY2(makeShard(tmp, 64, 64 << 20, {20 << 20, 5, 1000}, 3, f, &why), qPrintable(why));
    auto opened = Shard::openForWriting(str(f.dir));
    CHECK_OK(opened);
    std::mt19937_64 rng(8);
    ShardChanges changes;
    changes.appends.push_back(stagedAppend(rng, 10));
    if (withDelete)
        changes.deletes.push_back(f.keys[1]);
    const auto before = filesOf(f.dir);
    int calls = 0;
    auto r = commitChanges(*opened, changes, [&](const CompactionProgress &) { return calls++ < cancelAt; });
    CHECK_ERROR(r, ErrorKind::Cancelled);
    QCOMPARE(calls, cancelAt + 1);
    QCOMPARE(filesOf(f.dir), before);
    QVERIFY2(holdsExactly(*opened, f.live, &why), qPrintable(why));
    CHECK_OK(commitChanges(*opened, changes));
}

void TestShardChanges::refusedShardStates()
{
    QTemporaryDir tmp;
    Fixture f;
    QString why;
    QVERIFY2(makeShard(tmp, 8, 1000, {10, 20}, 1, f, &why), qPrintable(why));
    std::mt19937_64 rng(2);
    ShardChanges changes;
    changes.appends.push_back(stagedAppend(rng, 3));

    auto reader = Shard::openReadOnly(str(f.dir));
    CHECK_OK(reader);
    CHECK_OK(validateChanges(*reader, changes)); // validation needs no write access
    CHECK_ERROR(commitChanges(*reader, changes), ErrorKind::Invalid);

    auto writer = Shard::openForWriting(str(f.dir));
    CHECK_OK(writer);
    const std::vector<uint8_t> data {1};
    COMPARE_OK(writer->append(randomKey(rng), data), true);
    CHECK_ERROR(commitChanges(*writer, changes), ErrorKind::Invalid); // unflushed changes
    CHECK_OK(writer->flush());
    CHECK_OK(commitChanges(*writer, changes));
    // An empty change set commits nothing and writes nothing.
    const auto before = snapshotTree(f.dir);
    auto none = commitChanges(*writer, ShardChanges {});
    CHECK_OK(none);
    QCOMPARE(none->method, CommitMethod::InPlace);
    QCOMPARE(snapshotTree(f.dir), before);
}

void TestShardChanges::failedStepLeavesOldOrNewSet_data()
{
    QTest::addColumn<bool>("withDelete");
    QTest::addColumn<int>("err");
    QTest::newRow("appends, EIO") << false << EIO;
    QTest::newRow("delete and append, EIO") << true << EIO;
    QTest::newRow("delete and append, ENOSPC") << true << ENOSPC;
}

// Each write step of a commit failed in turn (the k-th step, k = 0, 1, ...
// until a commit goes through): a failure before the manifest flip leaves
// every shard file as it was; at the flip the shard refuses to go on and the
// disk holds the old or the new set; after it the commit stands.
void TestShardChanges::failedStepLeavesOldOrNewSet()
{
    QFETCH(bool, withDelete);
    QFETCH(int, err);
    int beforeFlip = 0, atFlip = 0, afterFlip = 0;
    for (int k = 0;; ++k) {
        QTemporaryDir tmp;
        Fixture f;
        QString why;
        QVERIFY2(makeShard(tmp, 16, 4096, {100, 7, 300}, 21, f, &why), qPrintable(why));
        auto opened = Shard::openForWriting(str(f.dir));
        CHECK_OK(opened);
        std::mt19937_64 rng(4);
        ShardChanges changes;
        changes.appends.push_back(stagedAppend(rng, 50));
        LiveSet expected = f.live;
        expected[changes.appends[0].key] = changes.appends[0].data;
        if (withDelete) {
            changes.deletes.push_back(f.keys[1]);
            expected.erase(f.keys[1]);
        }
        const auto before = filesOf(f.dir);

        int step = 0;
        bool failedManifest = false;
        bool manifestSaved = false;
        setFaultHook([&](const IoEvent &e) {
            const bool manifest = e.path.ends_with("/MF");
            if (step++ == k) {
                failedManifest = manifest && !manifestSaved;
                return err;
            }
            if (manifest && e.step == IoStep::SyncFile)
                manifestSaved = true;
            return 0;
        });
        auto r = commitChanges(*opened, changes);
        clearFaultHook();

        if (r && step <= k) {
            // Every step went through: all were covered.
            // Every kind of step was reached: before, at and (for a new
            // generation, which retires the old files) after the flip.
            QVERIFY2(beforeFlip >= (withDelete ? 8 : 2), qPrintable(QString::number(beforeFlip)));
            QCOMPARE(atFlip, 2); // the manifest's write and its sync
            QCOMPARE(afterFlip, withDelete ? 3 : 0);
            break;
        }
        const QString row = QStringLiteral("step %1").arg(k);
        (!r && !manifestSaved && !failedManifest ? beforeFlip : !r ? atFlip : afterFlip) += 1;
        if (!r && !manifestSaved && !failedManifest) {
            QCOMPARE(r.error().kind, ErrorKind::Io);
            QVERIFY2(r.error().message.find(std::strerror(err)) != std::string::npos, r.error().message.c_str());
            // In place, bytes past the committed end may have been written;
            // a new generation leaves no trace at all.
            if (withDelete)
                QVERIFY2(filesOf(f.dir) == before, qPrintable(row + QStringLiteral(": files changed")));
            QVERIFY2(holdsExactly(*opened, f.live, &why), qPrintable(row + u' ' + why));
        } else if (!r) {
            // The flip itself failed: no more writes through this object.
            CHECK_ERROR(commitChanges(*opened, ShardChanges {{stagedAppend(rng, 1)}, {}}), ErrorKind::Io);
        } else {
            // Failed after the flip: the commit stands.
            QVERIFY2(withDelete, qPrintable(row + QStringLiteral(": in-place commit has no step after the flip")));
            QVERIFY(r->retireError.has_value());
        }
        opened = std::unexpected(Error {});
        // Whatever happened, a reopened shard holds the old or the new set.
        auto reopened = Shard::openReadOnly(str(f.dir));
        CHECK_OK(reopened);
        QString whyOld, whyNew;
        const bool old = holdsExactly(*reopened, f.live, &whyOld);
        const bool now = holdsExactly(*reopened, expected, &whyNew);
        QVERIFY2(old || now, qPrintable(row + u' ' + whyOld + QStringLiteral(" / ") + whyNew));
        if (r)
            QVERIFY2(now, qPrintable(row + u' ' + whyNew));
        const auto &set = now ? expected : f.live;
        QVERIFY2(readerSeesExactly(f.dir, set, &why), qPrintable(row + u' ' + why));
        auto report = checkShard(str(f.dir));
        CHECK_OK(report);
        QCOMPARE(report->count(Severity::Error), size_t(0));
    }
}

void TestShardChanges::leftoverTemporaryFilesAreReplaced()
{
    QTemporaryDir tmp;
    Fixture f;
    QString why;
    QVERIFY2(makeShard(tmp, 8, 1000, {10, 20}, 1, f, &why), qPrintable(why));
    // As a commit that stopped before its rename leaves them.
    QVERIFY(writeFile(f.dir + "/00000001.slot.tmp", QByteArray(64, 'x')));
    QVERIFY(writeFile(f.dir + "/00000001.pack.tmp", QByteArray(7, 'y')));
    auto writer = Shard::openForWriting(str(f.dir));
    CHECK_OK(writer);
    ShardChanges changes;
    changes.deletes.push_back(f.keys[0]);
    auto r = commitChanges(*writer, changes);
    CHECK_OK(r);
    QCOMPARE(r->newGeneration, 1u);
    QCOMPARE(listDir(f.dir), QStringList({"00000001.pack", "00000001.slot", "MF"}));
    f.live.erase(f.keys[0]);
    QVERIFY2(readerSeesExactly(f.dir, f.live, &why), qPrintable(why));
    QVERIFY2(checksClean(f.dir, &why), qPrintable(why));
}

QTEST_GUILESS_MAIN(TestShardChanges)
#include "tst_shard_changes.moc"
