// StoreTreeModel over the reference store fixture and over stores built with
// Store::put: the tree must hold exactly the shard directories on disk, each
// row's figures must be those of the shard opened on its own, unreadable
// shards must be rows with an error, and no shard may stay open.
#include "../storage/test_support.h"

#include "shard.h"
#include "shard_summary.h"
#include "store.h"
#include "store_tree_model.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace shardscope;
using namespace testsupport;

namespace {

QString makeStore(const QTemporaryDir &tmp, ShardGeometry geometry)
{
    const QString root = tmp.filePath(QStringLiteral("store"));
    QDir().mkdir(root);
    auto shard = Shard::hydrate(str(root), geometry);
    if (!shard || !shard->flush())
        return {};
    return root;
}

bool isChildName(const QString &name)
{
    return isChildShardName(name.toStdString());
}

// The shard directories below `root` as the store defines them: two
// lower-case hex digits, nested. "" is the root.
std::set<QString> shardDirs(const QString &root, const QString &rel = {})
{
    std::set<QString> out {rel};
    const QString dir = rel.isEmpty() ? root : root + u'/' + rel;
    for (const QFileInfo &fi : QDir(dir).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (fi.isSymLink() || !isChildName(fi.fileName()))
            continue;
        const auto below = shardDirs(root, rel.isEmpty() ? fi.fileName() : rel + u'/' + fi.fileName());
        out.insert(below.begin(), below.end());
    }
    return out;
}

// Expands the whole tree and returns every row's first-column index.
QList<QModelIndex> fetchAll(StoreTreeModel &model, const QModelIndex &parent = {})
{
    QList<QModelIndex> out;
    if (parent.isValid() && model.canFetchMore(parent))
        model.fetchMore(parent);
    for (int row = 0; row < model.rowCount(parent); ++row) {
        const QModelIndex child = model.index(row, 0, parent);
        out.append(child);
        out.append(fetchAll(model, child));
    }
    return out;
}

int openDescriptors()
{
    return int(
        QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System).size());
}

// QAbstractItemModelTester re-runs its checks on modelReset before it marks
// the reset as done; a check that fetches rows then inserts them "during" the
// reset and fails. So the testers here leave fetching to the tests, and see
// every insertion the tests cause.
std::unique_ptr<QAbstractItemModelTester> makeTester(QAbstractItemModel *model)
{
    auto tester
        = std::make_unique<QAbstractItemModelTester>(model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    tester->setUseFetchMore(false);
    return tester;
}

QVariant cell(const QModelIndex &first, int column, int role = Qt::DisplayRole)
{
    return first.siblingAtColumn(column).data(role);
}

} // namespace

class TestStoreTreeModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void referenceStore();
    void builtStore_data();
    void builtStore();
    void countsWhenFirstShown();
    void unreadableChild_data();
    void unreadableChild();
    void singleShard();
    void resets();
    void headers();
};

void TestStoreTreeModel::referenceStore()
{
    const QString root = dataPath(QStringLiteral("store"));
    auto store = Store::open(str(root), Store::Access::ReadOnly);
    CHECK_OK(store);
    const auto before = snapshotTree(root);
    const int descriptors = openDescriptors();

    StoreTreeModel model;
    const auto tester = makeTester(&model);
    model.setStore(&*store);
    QCOMPARE(model.rowCount(), 1);
    const QModelIndex top = model.index(0, 0);
    QCOMPARE(top.data().toString(), QStringLiteral("root"));
    QCOMPARE(top.data(StoreTreeModel::RelPathRole).toString(), QString());
    QVERIFY(model.hasChildren(top));
    // Nothing below the root is a row before the view asks.
    QCOMPARE(model.rowCount(top), 0);
    QVERIFY(model.canFetchMore(top));
    // Outside a reset a tester may fetch: this one walks the whole tree.
    QAbstractItemModelTester walker(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QVERIFY(model.rowCount(top) > 0);

    const QList<QModelIndex> rows = fetchAll(model);
    std::set<QString> paths;
    uint64_t live = 0;
    for (const QModelIndex &row : rows) {
        const QString rel = row.data(StoreTreeModel::RelPathRole).toString();
        paths.insert(rel);
        QVERIFY(row.data(StoreTreeModel::ErrorRole).toString().isEmpty());
        auto shard = Shard::openReadOnly(str(rel.isEmpty() ? root : root + u'/' + rel));
        CHECK_OK(shard);
        const ShardSummary expected = ShardSummary::fromShard(*shard);
        QCOMPARE(cell(row, StoreTreeModel::LiveColumn).toUInt(), expected.live);
        QCOMPARE(cell(row, StoreTreeModel::TombstonesColumn).toUInt(), expected.tombstones);
        QCOMPARE(
            cell(row, StoreTreeModel::FillColumn, StoreTreeModel::SortRole).toDouble(), expected.packFillPercent());
        QVERIFY(cell(row, StoreTreeModel::FillColumn).toString().endsWith(QLatin1String(" %")));
        if (!rel.isEmpty())
            QCOMPARE(row.data().toString(), rel);
        live += expected.live;
    }
    QCOMPARE(paths, shardDirs(root));
    QVERIFY(paths.size() > 100);

    // Every blob of the fixture is a live entry of exactly one shard.
    const QByteArray expect = readFile(dataPath(QStringLiteral("store.expect.json")));
    QCOMPARE(live, uint64_t(QJsonDocument::fromJson(expect).array().size()));

    // Looked at, counted and closed again: nothing stays open, nothing changed.
    QCOMPARE(openDescriptors(), descriptors);
    QCOMPARE(snapshotTree(root), before);
}

void TestStoreTreeModel::builtStore_data()
{
    QTest::addColumn<uint>("tableSlots");
    QTest::addColumn<uint>("packSize");
    QTest::addColumn<int>("blobs");
    QTest::addColumn<int>("prefixes"); // distinct first bytes; few make deep paths
    QTest::addColumn<int>("minDepth"); // what the set-up must at least reach
    QTest::newRow("two-slot shards, one prefix: a deep path") << 2u << 1024u << 12 << 1 << 2;
    QTest::newRow("four-slot shards, three prefixes") << 4u << 4096u << 60 << 3 << 2;
    QTest::newRow("a roomy root: no children") << 64u << 65536u << 20 << 4 << 0;
    QTest::newRow("small packs") << 32u << 256u << 40 << 2 << 1;
}

void TestStoreTreeModel::builtStore()
{
    QFETCH(uint, tableSlots);
    QFETCH(uint, packSize);
    QFETCH(int, blobs);
    QFETCH(int, prefixes);
    QFETCH(int, minDepth);

    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {tableSlots, packSize});
    QVERIFY(!root.isEmpty());
    auto writer = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(writer);
    std::mt19937_64 rng(tableSlots * 1000 + uint64_t(blobs));
    std::vector<ContentId> cids;
    for (int i = 0; i < blobs; ++i) {
        ContentId cid = randomCid(rng);
        cid[0] = uint8_t(0x40 + i % prefixes);
        cid[1] = uint8_t(0xC0 + i % 3);
        COMPARE_OK(writer->put(cid, bytesOf(QByteArray(20 + i, char('a' + i % 26)))), true);
        cids.push_back(cid);
    }
    // Two deleted, to see tombstones counted.
    COMPARE_OK(writer->remove(cids[0]), true);
    COMPARE_OK(writer->remove(cids[size_t(blobs) - 1]), true);

    auto store = Store::open(str(root), Store::Access::ReadOnly);
    CHECK_OK(store);
    StoreTreeModel model;
    const auto tester = makeTester(&model);
    model.setStore(&*store);

    const QList<QModelIndex> rows = fetchAll(model);
    std::set<QString> paths;
    uint64_t live = 0, tombstones = 0;
    int deepest = 0;
    for (const QModelIndex &row : rows) {
        const QString rel = row.data(StoreTreeModel::RelPathRole).toString();
        paths.insert(rel);
        live += cell(row, StoreTreeModel::LiveColumn).toUInt();
        tombstones += cell(row, StoreTreeModel::TombstonesColumn).toUInt();
        const int depth = row.data(StoreTreeModel::DepthRole).toInt();
        QCOMPARE(depth, rel.isEmpty() ? 0 : int(rel.count(u'/')) + 1);
        // The parent's path is this one's without the last part.
        if (depth > 0)
            QCOMPARE(row.parent().data(StoreTreeModel::RelPathRole).toString(), rel.section(u'/', 0, -2));
        deepest = std::max(deepest, depth);
        // The app finds a row again by its path.
        QCOMPARE(model.indexForRelPath(rel), row);
    }
    QCOMPARE(paths, shardDirs(root));
    QCOMPARE(live, uint64_t(blobs - 2));
    QCOMPARE(tombstones, uint64_t(2));
    int deepestOnDisk = 0;
    for (const QString &dir : shardDirs(root))
        deepestOnDisk = std::max(deepestOnDisk, dir.isEmpty() ? 0 : int(dir.count(u'/')) + 1);
    QCOMPARE(deepest, deepestOnDisk);
    QVERIFY2(deepest >= minDepth, qPrintable(QString::number(deepest)));
    if (minDepth == 0)
        QCOMPARE(rows.size(), 1);
    for (const ContentId &cid : cids) {
        auto where = store->locate(cid);
        CHECK_OK(where);
        if (where->has_value())
            QVERIFY(paths.contains(QString::fromStdString((*where)->relPath)));
    }
    QVERIFY(!model.indexForRelPath(QStringLiteral("ff/ee")).isValid());
    QVERIFY(!model.indexForRelPath(QStringLiteral("4")).isValid());
}

void TestStoreTreeModel::countsWhenFirstShown()
{
    // Figures are taken when a row is first shown and kept after that.
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {4, 1024});
    QVERIFY(!root.isEmpty());
    auto writer = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(writer);
    std::mt19937_64 rng(5);
    auto put = [&](uint8_t first) {
        ContentId cid = randomCid(rng);
        cid[0] = first;
        auto r = writer->put(cid, bytesOf(QByteArray("blob")));
        return r && *r;
    };
    // Four fill the root, the fifth makes the child "30".
    QVERIFY(put(0x01) && put(0x02) && put(0x03) && put(0x04) && put(0x30));

    auto store = Store::open(str(root), Store::Access::ReadOnly);
    CHECK_OK(store);
    StoreTreeModel model;
    model.setStore(&*store);
    const QModelIndex child = model.indexForRelPath(QStringLiteral("30"));
    QVERIFY(child.isValid());
    // Written to after the row was made but before it was shown: seen.
    QVERIFY(put(0x30));
    QCOMPARE(cell(child, StoreTreeModel::LiveColumn).toUInt(), 2u);
    // Written to after it was shown: the figures stay until the next reset.
    QVERIFY(put(0x30));
    auto onDisk = Shard::openReadOnly(str(root + QStringLiteral("/30")));
    CHECK_OK(onDisk);
    QCOMPARE(ShardSummary::fromShard(*onDisk).live, 3u);
    QCOMPARE(cell(child, StoreTreeModel::LiveColumn).toUInt(), 2u);
    const ShardSummary *summary = model.summary(child);
    QVERIFY(summary);
    QCOMPARE(summary->live, 2u);
    QCOMPARE(summary->capacity, 4u);
    model.setStore(&*store);
    QCOMPARE(cell(model.indexForRelPath(QStringLiteral("30")), StoreTreeModel::LiveColumn).toUInt(), 3u);
}

void TestStoreTreeModel::unreadableChild_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("message"); // part of the error
    QTest::newRow("manifest too short") << QStringLiteral("short-mf") << QStringLiteral("MF");
    QTest::newRow("no table or pack") << QStringLiteral("empty-dir") << QStringLiteral("00000000.slot");
    QTest::newRow("table is a directory") << QStringLiteral("table-dir") << QStringLiteral("00000000.slot");
}

void TestStoreTreeModel::unreadableChild()
{
    QFETCH(QString, damage);
    QFETCH(QString, message);

    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {2, 1024});
    QVERIFY(!root.isEmpty());
    {
        auto writer = Store::open(str(root), Store::Access::ReadWrite);
        CHECK_OK(writer);
        std::mt19937_64 rng(9);
        for (int i = 0; i < 4; ++i) {
            ContentId cid = randomCid(rng);
            cid[0] = 0x11;
            COMPARE_OK(writer->put(cid, bytesOf(QByteArray("x"))), true);
        }
    }
    // A sibling "ab" that is not a readable shard.
    const QString bad = root + QStringLiteral("/ab");
    QVERIFY(QDir().mkdir(bad));
    if (damage == QLatin1String("short-mf")) {
        QVERIFY(writeFile(bad + QStringLiteral("/MF"), QByteArray(10, '\0')));
    } else if (damage == QLatin1String("table-dir")) {
        QVERIFY(QDir().mkdir(bad + QStringLiteral("/00000000.slot")));
        QVERIFY(writeFile(bad + QStringLiteral("/00000000.pack"), QByteArray(64, '\0')));
    }

    auto store = Store::open(str(root), Store::Access::ReadOnly);
    CHECK_OK(store);
    StoreTreeModel model;
    const auto tester = makeTester(&model);
    model.setStore(&*store);
    const QList<QModelIndex> rows = fetchAll(model);
    const QModelIndex badRow = model.indexForRelPath(QStringLiteral("ab"));
    QVERIFY(badRow.isValid());
    const QString error = badRow.data(StoreTreeModel::ErrorRole).toString();
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY(badRow.data(Qt::ToolTipRole).toString().contains(QLatin1String("cannot be opened")));
    // No figures, but the row says it cannot be opened, and sorts first.
    QCOMPARE(cell(badRow, StoreTreeModel::LiveColumn).toString(), QStringLiteral("error"));
    QCOMPARE(cell(badRow, StoreTreeModel::LiveColumn, StoreTreeModel::SortRole).toInt(), -1);
    QVERIFY(!cell(badRow, StoreTreeModel::TombstonesColumn).isValid());
    QCOMPARE(cell(badRow, StoreTreeModel::FillColumn).toString(), QStringLiteral("cannot open"));
    QVERIFY(!model.summary(badRow));
    QCOMPARE(badRow.data().toString(), QStringLiteral("ab"));

    // The others are unaffected.
    uint64_t live = 0;
    for (const QModelIndex &row : rows) {
        if (row == badRow)
            continue;
        QVERIFY(row.data(StoreTreeModel::ErrorRole).toString().isEmpty());
        live += cell(row, StoreTreeModel::LiveColumn).toUInt();
    }
    QCOMPARE(live, uint64_t(4));
}

void TestStoreTreeModel::singleShard()
{
    auto shard = Shard::openReadOnly(str(dataPath(QStringLiteral("tombstones"))));
    CHECK_OK(shard);
    StoreTreeModel model;
    const auto tester = makeTester(&model);
    model.setShard(*shard);
    QCOMPARE(model.rowCount(), 1);
    const QModelIndex row = model.index(0, 0);
    QCOMPARE(row.data().toString(), QStringLiteral("tombstones"));
    QCOMPARE(row.data(StoreTreeModel::RelPathRole).toString(), QString());
    QVERIFY(!model.hasChildren(row));
    QVERIFY(!model.canFetchMore(row));
    const ShardSummary expected = ShardSummary::fromShard(*shard);
    QCOMPARE(cell(row, StoreTreeModel::LiveColumn).toUInt(), expected.live);
    QCOMPARE(cell(row, StoreTreeModel::TombstonesColumn).toUInt(), expected.tombstones);
    QVERIFY(row.data(Qt::ToolTipRole).toString().contains(expected.text()));
    QCOMPARE(model.indexForRelPath(QString()), row);
    QVERIFY(!model.indexForRelPath(QStringLiteral("ab")).isValid());

    model.setShard(*shard, QStringLiteral("my shard"));
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("my shard"));
}

void TestStoreTreeModel::resets()
{
    auto store = Store::open(str(dataPath(QStringLiteral("store"))), Store::Access::ReadOnly);
    CHECK_OK(store);
    StoreTreeModel model;
    const auto tester = makeTester(&model);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QCOMPARE(model.rowCount(), 0);
    model.setStore(&*store);
    QCOMPARE(model.rowCount(), 1);
    model.fetchMore(model.index(0, 0));
    QVERIFY(model.rowCount(model.index(0, 0)) > 0);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    model.setStore(nullptr);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(reset.count(), 3);
}

void TestStoreTreeModel::headers()
{
    StoreTreeModel model;
    QCOMPARE(model.columnCount(), int(StoreTreeModel::ColumnCount));
    QSet<QString> names;
    for (int column = 0; column < model.columnCount(); ++column) {
        names.insert(model.headerData(column, Qt::Horizontal).toString());
        QVERIFY(!model.headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
    }
    QCOMPARE(names.size(), model.columnCount());
}

QTEST_GUILESS_MAIN(TestStoreTreeModel)
#include "tst_storetreemodel.moc"
