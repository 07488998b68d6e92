// commitStoreChanges: puts and deletes by content id over a store, one commit
// per shard. Placement must be the one Store::put (the reference's walk)
// gives for the same puts in the same order, children made where it makes
// them; the result checks clean and the independent reader finds every blob.
#include "test_support.h"

#include "checker.h"
#include "independent_reader.h"
#include "shard.h"
#include "shard_changes.h"
#include "store.h"

#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <set>

using namespace shardscope;
using namespace testsupport;

namespace {

QString makeStore(const QTemporaryDir &tmp, const QString &name, ShardGeometry geometry)
{
    const QString root = tmp.filePath(name);
    QDir().mkdir(root);
    auto shard = Shard::hydrate(str(root), geometry);
    if (!shard || !shard->flush())
        return {};
    return root;
}

// Every shard directory of the store ("" for the root) with its live
// entries in slot order: (key, data).
using StoreImage = std::map<QString, std::vector<std::pair<Key, std::vector<uint8_t>>>>;

bool imageOf(const QString &root, StoreImage &out, QString *why, const QString &rel = {})
{
    const QString dir = rel.isEmpty() ? root : root + u'/' + rel;
    auto shard = Shard::openReadOnly(str(dir));
    if (!shard) {
        *why = QString::fromStdString(shard.error().describe());
        return false;
    }
    auto &entries = out[rel];
    for (uint32_t i = 0; i < shard->slotCount(); ++i) {
        const Entry e = shard->entry(i);
        if (e.isTombstone())
            continue;
        auto bytes = shard->data(e);
        if (!bytes) {
            *why = QString::fromStdString(bytes.error().describe());
            return false;
        }
        entries.emplace_back(e.key, std::vector<uint8_t>(bytes->begin(), bytes->end()));
    }
    for (const QString &name : listDir(dir)) {
        if (QFileInfo(dir + u'/' + name).isDir() && isChildShardName(name.toStdString())) {
            if (!imageOf(root, out, why, rel.isEmpty() ? name : rel + u'/' + name))
                return false;
        }
    }
    return true;
}

// `n` puts of random blobs of `len` bytes, each also entered in `expected`.
StoreChanges randomPuts(std::mt19937_64 &rng, int n, size_t len, std::map<ContentId, std::vector<uint8_t>> &expected)
{
    StoreChanges changes;
    for (int i = 0; i < n; ++i) {
        const ContentId cid = randomCid(rng);
        expected[cid] = randomBytes(rng, len);
        changes.puts.emplace_back(cid, expected[cid]);
    }
    return changes;
}

bool readerFinds(const QString &root, const std::map<ContentId, std::vector<uint8_t>> &blobs, QString *why)
{
    for (const auto &[cid, data] : blobs) {
        std::optional<std::vector<uint8_t>> got;
        int depth = 0;
        std::string error;
        independent::Cid c;
        std::copy(cid.begin(), cid.end(), c.begin());
        if (!independent::storeGet(str(root), c, got, depth, error)) {
            *why = QString::fromStdString(error);
            return false;
        }
        if (!got || *got != data) {
            *why = QString::fromStdString(toHex(cid) + (got ? ": bytes differ" : ": not found"));
            return false;
        }
    }
    return true;
}

bool checksClean(const QString &root, QString *why)
{
    auto report = checkStore(str(root));
    if (!report) {
        *why = QString::fromStdString(report.error().describe());
        return false;
    }
    for (const auto &d : report->diagnostics) {
        if (d.severity != Severity::Info) {
            *why = QString::fromStdString(d.shard + ": " + d.code + ": " + d.message);
            return false;
        }
    }
    return true;
}

} // namespace

class TestStoreChanges : public QObject
{
    Q_OBJECT

private slots:
    void placementMatchesPut_data();
    void placementMatchesPut();
    void deletesAcrossShards();
    void replacementPutsNewBytes();
    void placementsForetellTheCommit();
    void refusedChangesChangeNothing_data();
    void refusedChangesChangeNothing();
    void emptyChildDirectoryIsHydrated_data();
    void emptyChildDirectoryIsHydrated();
};

void TestStoreChanges::placementMatchesPut_data()
{
    QTest::addColumn<uint>("tableSlots");
    QTest::addColumn<uint>("packSize");
    QTest::addColumn<int>("blobs");
    QTest::addColumn<int>("batches"); // commits the puts are split into
    QTest::addColumn<bool>("sharedPrefix"); // all cids start with the same two bytes: deep children
    QTest::newRow("one commit, small shards") << 4u << 256u << 60 << 1 << false;
    QTest::newRow("three commits") << 4u << 256u << 60 << 3 << false;
    QTest::newRow("packs fill before tables") << 64u << 200u << 40 << 2 << false;
    QTest::newRow("deep children") << 2u << 4096u << 30 << 1 << true;
}

void TestStoreChanges::placementMatchesPut()
{
    QFETCH(uint, tableSlots);
    QFETCH(uint, packSize);
    QFETCH(int, blobs);
    QFETCH(int, batches);
    QFETCH(bool, sharedPrefix);

    QTemporaryDir tmp;
    const QString viaCommit = makeStore(tmp, QStringLiteral("commit"), ShardGeometry {tableSlots, packSize});
    const QString viaPut = makeStore(tmp, QStringLiteral("put"), ShardGeometry {tableSlots, packSize});
    QVERIFY(!viaCommit.isEmpty() && !viaPut.isEmpty());

    std::mt19937_64 rng(17);
    std::vector<std::pair<ContentId, std::vector<uint8_t>>> puts;
    std::map<ContentId, std::vector<uint8_t>> expected;
    for (int i = 0; i < blobs; ++i) {
        ContentId cid = randomCid(rng);
        if (sharedPrefix) {
            cid[0] = 0xab;
            cid[1] = 0xcd;
        }
        auto data = randomBytes(rng, size_t(rng() % 90));
        expected[cid] = data;
        puts.emplace_back(cid, std::move(data));
    }
    // One blob put again in a later batch: stored once.
    if (batches > 1)
        puts.push_back(puts.front());

    {
        auto store = Store::open(str(viaCommit), Store::Access::ReadWrite);
        CHECK_OK(store);
        const size_t per = (puts.size() + size_t(batches) - 1) / size_t(batches);
        for (size_t start = 0; start < puts.size(); start += per) {
            StoreChanges changes;
            for (size_t i = start; i < std::min(puts.size(), start + per); ++i)
                changes.puts.push_back(puts[i]);
            CHECK_OK(commitStoreChanges(*store, changes));
        }
        for (const auto &[cid, data] : expected) {
            auto got = store->get(cid);
            CHECK_OK(got);
            QVERIFY(got->has_value());
            QVERIFY(**got == data);
        }
    }
    {
        auto store = Store::open(str(viaPut), Store::Access::ReadWrite);
        CHECK_OK(store);
        for (const auto &[cid, data] : puts)
            CHECK_OK(store->put(cid, data));
    }

    QString why;
    StoreImage a, b;
    QVERIFY2(imageOf(viaCommit, a, &why), qPrintable(why));
    QVERIFY2(imageOf(viaPut, b, &why), qPrintable(why));
    QVERIFY2(a.size() > 1, "the test should make child shards");
    QCOMPARE(a.size(), b.size());
    for (const auto &[rel, entries] : b) {
        QVERIFY2(a.contains(rel), qPrintable(QStringLiteral("no shard ") + rel));
        QVERIFY2(a.at(rel) == entries, qPrintable(QStringLiteral("shard '%1' differs").arg(rel)));
    }
    QVERIFY2(checksClean(viaCommit, &why), qPrintable(why));
    QVERIFY2(readerFinds(viaCommit, expected, &why), qPrintable(why));
}

void TestStoreChanges::deletesAcrossShards()
{
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, QStringLiteral("store"), ShardGeometry {4, 256});
    std::mt19937_64 rng(23);
    std::map<ContentId, std::vector<uint8_t>> expected;
    const StoreChanges puts = randomPuts(rng, 40, 20, expected);
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    CHECK_OK(commitStoreChanges(*store, puts));

    // Every third blob, wherever it lies, plus new puts in the same commit.
    StoreChanges changes;
    std::set<QString> shardsTouched;
    int i = 0;
    for (auto it = expected.begin(); it != expected.end(); ++i) {
        if (i % 3 == 0) {
            auto where = store->locate(it->first);
            CHECK_OK(where);
            QVERIFY(where->has_value());
            shardsTouched.insert(QString::fromStdString((*where)->relPath));
            changes.deletes.push_back(it->first);
            it = expected.erase(it);
        } else {
            ++it;
        }
    }
    QVERIFY2(shardsTouched.size() > 1, "deletes should span shards");
    for (int k = 0; k < 5; ++k) {
        const ContentId cid = randomCid(rng);
        expected[cid] = randomBytes(rng, 30);
        changes.puts.emplace_back(cid, expected[cid]);
    }
    CHECK_OK(commitStoreChanges(*store, changes));
    for (const ContentId &cid : changes.deletes) {
        auto got = store->get(cid);
        CHECK_OK(got);
        QVERIFY(!got->has_value());
    }
    for (const auto &[cid, data] : expected) {
        auto got = store->get(cid);
        CHECK_OK(got);
        QVERIFY(got->has_value() && **got == data);
    }
    QString why;
    QVERIFY2(checksClean(root, &why), qPrintable(why));
    QVERIFY2(readerFinds(root, expected, &why), qPrintable(why));
    // Each shard that lost a blob moved to a new generation; no old files stay.
    for (const QString &rel : shardsTouched) {
        const QString dir = rel.isEmpty() ? root : root + u'/' + rel;
        QVERIFY2(!QFileInfo::exists(dir + "/00000000.slot"), qPrintable(rel));
        QVERIFY2(QFileInfo::exists(dir + "/00000001.slot"), qPrintable(rel));
    }
}

void TestStoreChanges::replacementPutsNewBytes()
{
    // A blob deleted and put again in one change set is replaced: the way to
    // mend a blob whose stored bytes are damaged. One in the root and one in
    // a child shard, beside other puts.
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, QStringLiteral("store"), ShardGeometry {4, 256});
    std::mt19937_64 rng(41);
    std::map<ContentId, std::vector<uint8_t>> expected;
    const StoreChanges initial = randomPuts(rng, 20, 25, expected);
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    CHECK_OK(commitStoreChanges(*store, initial));
    std::optional<ContentId> inRoot;
    std::optional<ContentId> inChild;
    for (const auto &[cid, data] : expected) {
        auto where = store->locate(cid);
        CHECK_OK(where);
        QVERIFY(where->has_value());
        std::optional<ContentId> &slot = (*where)->relPath.empty() ? inRoot : inChild;
        if (!slot)
            slot = cid;
    }
    QVERIFY(inRoot && inChild);

    StoreChanges changes;
    for (const ContentId &cid : {*inRoot, *inChild}) {
        changes.deletes.push_back(cid);
        expected[cid] = randomBytes(rng, 31);
        changes.puts.emplace_back(cid, expected[cid]);
    }
    const ContentId fresh = randomCid(rng);
    expected[fresh] = randomBytes(rng, 12);
    changes.puts.emplace_back(fresh, expected[fresh]);
    CHECK_OK(commitStoreChanges(*store, changes));

    for (const auto &[cid, data] : expected) {
        auto got = store->get(cid);
        CHECK_OK(got);
        QVERIFY(got->has_value() && **got == data);
    }
    QString why;
    QVERIFY2(checksClean(root, &why), qPrintable(why));
    QVERIFY2(readerFinds(root, expected, &why), qPrintable(why));
}

void TestStoreChanges::placementsForetellTheCommit()
{
    // placeStoreChanges writes nothing and says where the commit then puts
    // every blob: into shards that exist, into shards it makes, nowhere for
    // a blob already stored; and where each removal is taken from.
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, QStringLiteral("store"), ShardGeometry {4, 256});
    std::mt19937_64 rng(43);
    StoreChanges initial;
    for (int i = 0; i < 10; ++i)
        initial.puts.emplace_back(randomCid(rng), randomBytes(rng, 25));
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    CHECK_OK(commitStoreChanges(*store, initial));

    StoreChanges changes;
    changes.deletes = {initial.puts[1].first, initial.puts[7].first};
    changes.puts.push_back(initial.puts[3]); // already stored
    changes.puts.emplace_back(initial.puts[7].first, randomBytes(rng, 9)); // a replacement
    for (int i = 0; i < 12; ++i)
        changes.puts.emplace_back(randomCid(rng), randomBytes(rng, 30));
    std::map<ContentId, std::string> removedFrom;
    for (const ContentId &cid : changes.deletes) {
        auto where = store->locate(cid);
        CHECK_OK(where);
        QVERIFY(where->has_value());
        removedFrom[cid] = (*where)->relPath;
    }
    const auto before = snapshotTree(root);
    auto placed = placeStoreChanges(*store, changes);
    CHECK_OK(placed);
    QCOMPARE(snapshotTree(root), before);
    QCOMPARE(placed->size(), changes.deletes.size() + changes.puts.size());

    CHECK_OK(commitStoreChanges(*store, changes));
    int intoNew = 0;
    for (size_t i = 0; i < placed->size(); ++i) {
        const StorePlacement &p = (*placed)[i];
        const bool removal = i < changes.deletes.size();
        QVERIFY(p.cid == (removal ? changes.deletes[i] : changes.puts[i - changes.deletes.size()].first));
        const QString where = QString::fromStdString(p.relPath);
        if (removal) {
            QCOMPARE(p.kind, StorePlacement::Kind::Delete);
            QCOMPARE(p.relPath, removedFrom[p.cid]);
            continue;
        }
        auto found = store->locate(p.cid);
        CHECK_OK(found);
        QVERIFY2(found->has_value(), qPrintable(where));
        QCOMPARE((*found)->relPath, p.relPath);
        const QString dir = p.relPath.empty() ? root : root + u'/' + where;
        if (p.kind == StorePlacement::Kind::PutIntoNewShard) {
            ++intoNew;
            QVERIFY2(!before.contains(QDir(root).relativeFilePath(dir + QStringLiteral("/MF"))), qPrintable(where));
        } else {
            QVERIFY2(before.contains(p.relPath.empty() ? QStringLiteral("MF") : where + QStringLiteral("/MF")),
                qPrintable(where));
        }
    }
    QCOMPARE((*placed)[changes.deletes.size()].kind, StorePlacement::Kind::AlreadyStored);
    QVERIFY2(intoNew > 0, "twelve puts into full small shards should make a child");
    QString why;
    QVERIFY2(checksClean(root, &why), qPrintable(why));

    // A change set the commit would refuse is refused here too, naming why.
    StoreChanges refused;
    refused.deletes = {randomCid(rng)};
    auto no = placeStoreChanges(*store, refused);
    CHECK_ERROR(no, ErrorKind::NotFound);
}

void TestStoreChanges::refusedChangesChangeNothing_data()
{
    QTest::addColumn<int>("what");
    QTest::addColumn<ErrorKind>("kind");
    QTest::newRow("delete of a blob not stored") << 0 << ErrorKind::NotFound;
    QTest::newRow("put twice") << 1 << ErrorKind::Invalid;
    QTest::newRow("deleted twice") << 2 << ErrorKind::Invalid;
    QTest::newRow("put, deleted and put again") << 3 << ErrorKind::Invalid;
    QTest::newRow("blob larger than a pack") << 4 << ErrorKind::Full;
    QTest::newRow("read-only store") << 5 << ErrorKind::Invalid;
    QTest::newRow("all-zero key where the blob would go") << 6 << ErrorKind::Invalid;
}

void TestStoreChanges::refusedChangesChangeNothing()
{
    QFETCH(int, what);
    QFETCH(ErrorKind, kind);
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, QStringLiteral("store"), ShardGeometry {4, 256});
    std::mt19937_64 rng(31);
    StoreChanges initial;
    for (int i = 0; i < 12; ++i)
        initial.puts.emplace_back(randomCid(rng), randomBytes(rng, 30));
    {
        auto store = Store::open(str(root), Store::Access::ReadWrite);
        CHECK_OK(store);
        CHECK_OK(commitStoreChanges(*store, initial));
    }
    auto store = Store::open(str(root), what == 5 ? Store::Access::ReadOnly : Store::Access::ReadWrite);
    CHECK_OK(store);
    // Valid changes first, so that a refusal at the end must undo nothing.
    StoreChanges changes;
    for (int i = 0; i < 6; ++i)
        changes.puts.emplace_back(randomCid(rng), randomBytes(rng, 30));
    changes.deletes.push_back(initial.puts[0].first);
    switch (what) {
    case 0:
        changes.deletes.push_back(randomCid(rng));
        break;
    case 1:
        changes.puts.push_back(changes.puts[0]);
        break;
    case 2:
        changes.deletes.push_back(initial.puts[0].first);
        break;
    case 3: // a replacement (the delete above) may be put once, not twice
        changes.puts.push_back(initial.puts[0]);
        changes.puts.push_back(initial.puts[0]);
        break;
    case 4:
        changes.puts.emplace_back(randomCid(rng), randomBytes(rng, 300));
        break;
    case 6: { // zero in its key at every depth but the last
        ContentId zeroKeyed {};
        zeroKeyed[31] = 1;
        changes.puts.emplace_back(zeroKeyed, randomBytes(rng, 30));
        break;
    }
    }
    const auto before = snapshotTree(root);
    // The plan refuses what the commit refuses, before anything is written.
    CHECK_ERROR(placeStoreChanges(*store, changes), kind);
    auto r = commitStoreChanges(*store, changes);
    CHECK_ERROR(r, kind);
    QCOMPARE(snapshotTree(root), before);
}

void TestStoreChanges::emptyChildDirectoryIsHydrated_data()
{
    QTest::addColumn<bool>("viaCommit");
    QTest::newRow("Store::put") << false;
    QTest::newRow("commitStoreChanges") << true;
}

// A child directory with no shard files in it (made by hand, or left by a
// writer that stopped after mkdir): gets see no blob there, and a put that
// reaches it hydrates it, sized like its parent, as the reference does.
void TestStoreChanges::emptyChildDirectoryIsHydrated()
{
    QFETCH(bool, viaCommit);
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, QStringLiteral("store"), ShardGeometry {4, 256});
    QVERIFY(QDir(root).mkdir(QStringLiteral("ab")));
    std::mt19937_64 rng(41);
    ContentId cid = randomCid(rng);
    cid[0] = 0xab;
    const auto data = randomBytes(rng, 10);

    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    auto missing = store->get(cid);
    CHECK_OK(missing);
    QVERIFY(!missing->has_value());
    QCOMPARE(listDir(root + "/ab"), QStringList());

    if (viaCommit) {
        StoreChanges changes;
        changes.puts.emplace_back(cid, data);
        CHECK_OK(commitStoreChanges(*store, changes));
    } else {
        COMPARE_OK(store->put(cid, data), true);
    }
    QCOMPARE(listDir(root + "/ab"), QStringList({"00000000.pack", "00000000.slot", "MF"}));
    QCOMPARE(QFileInfo(root + "/ab/00000000.slot").size(), qint64(4 * 32));
    QCOMPARE(QFileInfo(root + "/ab/00000000.pack").size(), qint64(256));
    auto where = store->locate(cid);
    CHECK_OK(where);
    QVERIFY(where->has_value());
    QCOMPARE((*where)->relPath, std::string("ab"));
    QString why;
    QVERIFY2(readerFinds(root, {{cid, data}}, &why), qPrintable(why));
    QVERIFY2(checksClean(root, &why), qPrintable(why));
}

QTEST_GUILESS_MAIN(TestStoreChanges)
#include "tst_store_changes.moc"
