// Store: a trie of shards addressed by 32-byte content IDs. Small shards
// (4 slots) make every put past the first few spill into child shards, so the
// placement rules of FORMAT.md are exercised at several depths.
#include "test_support.h"

#include "shard.h"
#include "store.h"

#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <set>

using namespace shardscope;
using namespace testsupport;

namespace {

QString cidHex(const ContentId &cid)
{
    return QString::fromStdString(toHex(cid));
}

// The directory of the shard at `depth` on the cid's path: "ab/cd" for depth 2.
QString relPathFor(const ContentId &cid, int depth)
{
    QStringList parts;
    for (int d = 0; d < depth; ++d)
        parts << cidHex(cid).mid(2 * d, 2);
    return parts.join(u'/');
}

// A fresh store directory whose root shard has the given geometry.
QString makeStore(const QTemporaryDir &tmp, ShardGeometry geometry)
{
    const QString root = tmp.filePath("store");
    QDir().mkdir(root);
    auto shard = Shard::hydrate(str(root), geometry);
    if (!shard || !shard->flush())
        return {};
    return root;
}

// Puts four blobs (first bytes 01..04) into a store whose 4-slot root then
// is full; their content IDs, or fewer when a put fails.
std::vector<ContentId> fillRoot(const QString &root, std::mt19937_64 &rng)
{
    std::vector<ContentId> held;
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    if (!store)
        return held;
    for (int i = 0; i < 4; ++i) {
        ContentId cid = randomCid(rng);
        cid[0] = uint8_t(0x01 + i);
        auto put = store->put(cid, bytesOf(QByteArray("root")));
        if (!put || !*put)
            return held;
        held.push_back(cid);
    }
    return held;
}

} // namespace

class tst_Store : public QObject
{
    Q_OBJECT

private slots:
    void keyAtDepth_data();
    void keyAtDepth();
    void contentIdFromHex_data();
    void contentIdFromHex();
    void isChildShardName_data();
    void isChildShardName();
    void putGetRemove();
    void nestedChildren();
    void existingChildIsPreferred();
    void partlyMadeChild_data();
    void partlyMadeChild();
    void deepestShardFull();
    void blobLargerThanAnyPack();
    void childrenListsOnlyChildShards();
    void readOnlyStoreRefusesWrites();
    void symlinkedChildIsRefused();
    void openRequiresARootShard();
    void openShardReadOnly();
};

void tst_Store::keyAtDepth_data()
{
    QTest::addColumn<int>("depth");
    for (int d = 0; d <= Store::kMaxDepth; ++d)
        QTest::addRow("depth %d", d) << d;
}

void tst_Store::keyAtDepth()
{
    QFETCH(int, depth);
    ContentId cid {};
    for (size_t i = 0; i < cid.size(); ++i)
        cid[i] = uint8_t(i * 7 + 1);
    const Key key = shardscope::keyAtDepth(cid, depth);
    const auto bytes = key.bytes();
    for (size_t i = 0; i < Key::kSize; ++i)
        QCOMPARE(bytes[i], cid[size_t(depth) + i]);
    QCOMPARE(Store::kMaxDepth, 8);
}

void tst_Store::contentIdFromHex_data()
{
    QTest::addColumn<QByteArray>("hex");
    QTest::addColumn<bool>("valid");

    const QByteArray good("7e299a8dc8cc2b920d9998e453d358e838554f6b65d51d5b09b5a4fa4ba28cfc");
    QTest::newRow("valid") << good << true;
    QTest::newRow("upper case") << good.toUpper() << true;
    QTest::newRow("63 digits") << good.left(63) << false;
    QTest::newRow("65 digits") << good + "0" << false;
    QTest::newRow("48 digits (a key, not a content ID)") << good.left(48) << false;
    QByteArray bad = good;
    bad[63] = 'x';
    QTest::newRow("non-hex at the end") << bad << false;
}

void tst_Store::contentIdFromHex()
{
    QFETCH(QByteArray, hex);
    QFETCH(bool, valid);
    const auto cid = shardscope::contentIdFromHex(hex.toStdString());
    QCOMPARE(cid.has_value(), valid);
    if (valid)
        QCOMPARE(cidHex(*cid).toLatin1(), hex.toLower());
}

void tst_Store::isChildShardName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("child");

    QTest::newRow("00") << "00" << true;
    QTest::newRow("ab") << "ab" << true;
    QTest::newRow("f9") << "f9" << true;
    QTest::newRow("AB (upper case)") << "AB" << false;
    QTest::newRow("aB") << "aB" << false;
    QTest::newRow("zz") << "zz" << false;
    QTest::newRow("g0") << "g0" << false;
    QTest::newRow("one digit") << "a" << false;
    QTest::newRow("three digits") << "abc" << false;
    QTest::newRow("empty") << "" << false;
    QTest::newRow("MF") << "MF" << false;
}

void tst_Store::isChildShardName()
{
    QFETCH(QString, name);
    QFETCH(bool, child);
    QCOMPARE(shardscope::isChildShardName(name.toStdString()), child);
}

void tst_Store::putGetRemove()
{
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {4, 4096});
    QVERIFY(!root.isEmpty());

    std::mt19937_64 rng(81);
    std::vector<std::pair<ContentId, QByteArray>> blobs;
    for (int i = 0; i < 300; ++i) {
        const ContentId cid = randomCid(rng);
        blobs.push_back({cid, toByteArray(randomBytes(rng, rng() % 200))});
    }

    {
        auto store = Store::open(str(root), Store::Access::ReadWrite);
        CHECK_OK(store);
        for (const auto &[cid, data] : blobs)
            COMPARE_OK(store->put(cid, bytesOf(data)), true);
        for (const auto &[cid, data] : blobs) {
            auto got = store->get(cid);
            CHECK_OK(got);
            QVERIFY2(got->has_value(), qPrintable(cidHex(cid)));
            QCOMPARE(toByteArray(**got), data);
            // Stored again: nothing is written, wherever it is.
            COMPARE_OK(store->put(cid, bytesOf(QByteArray("other bytes"))), false);
        }
    }

    // Every child: named by two lower-case hex digits, sized like the root.
    int children = 0;
    QDirIterator it(root, QDir::Dirs | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString d = it.next();
        QVERIFY2(shardscope::isChildShardName(QFileInfo(d).fileName().toStdString()), qPrintable(d));
        QCOMPARE(QFileInfo(d + "/00000000.slot").size(), qint64(4 * 32));
        QCOMPARE(QFileInfo(d + "/00000000.pack").size(), qint64(4096));
        QCOMPARE(QFileInfo(d + "/MF").size(), qint64(64));
        ++children;
    }
    // 300 blobs into 4-slot shards: at least 74 shards besides the root.
    QVERIFY2(children >= 74, qPrintable(QString::number(children)));

    // A fresh Store sees everything (each put was flushed), at the place the rules give.
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    std::map<int, int> perDepth;
    for (const auto &[cid, data] : blobs) {
        auto where = store->locate(cid);
        CHECK_OK(where);
        QVERIFY(where->has_value());
        QCOMPARE(QString::fromStdString((*where)->relPath), relPathFor(cid, (*where)->depth));
        ++perDepth[(*where)->depth];
        auto got = store->get(cid);
        CHECK_OK(got);
        QCOMPARE(toByteArray(**got), data);
    }
    QCOMPARE(perDepth[0], 4); // the root is full
    QVERIFY(perDepth[1] > 0);

    // Remove half; the others stay.
    for (size_t i = 0; i < blobs.size(); i += 2)
        COMPARE_OK(store->remove(blobs[i].first), true);
    for (size_t i = 0; i < blobs.size(); ++i) {
        auto got = store->get(blobs[i].first);
        CHECK_OK(got);
        QCOMPARE(got->has_value(), i % 2 == 1);
        if (i % 2 == 0)
            COMPARE_OK(store->remove(blobs[i].first), false);
    }
    auto absent = store->get(randomCid(rng));
    CHECK_OK(absent);
    QVERIFY(!absent->has_value());

    // A removed blob can be stored again.
    COMPARE_OK(store->put(blobs[0].first, bytesOf(blobs[0].second)), true);
    auto back = store->get(blobs[0].first);
    CHECK_OK(back);
    QCOMPARE(toByteArray(**back), blobs[0].second);
}

void tst_Store::nestedChildren()
{
    // Content IDs sharing their first bytes fill one path: root, then "42",
    // then "42/xx", and deeper.
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {2, 1024});
    QVERIFY(!root.isEmpty());
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);

    std::mt19937_64 rng(82);
    std::vector<ContentId> cids;
    for (int i = 0; i < 12; ++i) {
        ContentId cid = randomCid(rng);
        cid[0] = 0x42;
        cid[1] = uint8_t(0xC0 + i % 3);
        cids.push_back(cid);
        COMPARE_OK(store->put(cid, bytesOf(QByteArray::number(i))), true);
    }
    int deepest = 0;
    for (size_t i = 0; i < cids.size(); ++i) {
        auto where = store->locate(cids[i]);
        CHECK_OK(where);
        QVERIFY(where->has_value());
        QCOMPARE(QString::fromStdString((*where)->relPath), relPathFor(cids[i], (*where)->depth));
        deepest = std::max(deepest, (*where)->depth);
        auto got = store->get(cids[i]);
        CHECK_OK(got);
        QCOMPARE(toByteArray(**got), QByteArray::number(int(i)));
    }
    QVERIFY2(deepest >= 3, qPrintable(QString::number(deepest)));
    QVERIFY(QFileInfo(root + "/42/c0").isDir());
    auto level1 = store->children("42");
    CHECK_OK(level1);
    QVERIFY(!level1->empty());
    for (const auto &n : *level1)
        QVERIFY(QFileInfo(root + "/42/" + QString::fromStdString(n) + "/MF").exists());
}

// A put that made a child and was stopped before the child's first MF leaves
// a directory with some of generation 0's files: it has committed nothing
// (FORMAT.md), so it holds no blob, a reader passes it by without writing,
// and the next put finishes it.
void tst_Store::partlyMadeChild_data()
{
    QTest::addColumn<bool>("table");
    QTest::addColumn<bool>("pack");
    QTest::newRow("empty directory") << false << false;
    QTest::newRow("table only") << true << false;
    QTest::newRow("pack only") << false << true;
    QTest::newRow("table and pack, no MF") << true << true;
}

void tst_Store::partlyMadeChild()
{
    QFETCH(bool, table);
    QFETCH(bool, pack);
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {4, 4096});
    QVERIFY(!root.isEmpty());
    std::mt19937_64 rng(85);
    const std::vector<ContentId> held = fillRoot(root, rng);
    QCOMPARE(held.size(), size_t(4));
    const QString child = root + QStringLiteral("/10");
    QVERIFY(QDir().mkpath(child));
    // Sized as a hydrate sizes them before they get their names.
    if (table)
        QVERIFY(writeFile(child + QStringLiteral("/00000000.slot"), QByteArray(4 * 32, '\0')));
    if (pack)
        QVERIFY(writeFile(child + QStringLiteral("/00000000.pack"), QByteArray(4096, '\0')));
    ContentId cid = randomCid(rng);
    cid[0] = 0x10;
    const QByteArray blob("into the part-made child");

    const auto before = snapshotTree(root);
    {
        auto store = Store::open(str(root), Store::Access::ReadOnly);
        CHECK_OK(store);
        auto got = store->get(cid);
        CHECK_OK(got);
        QVERIFY(!got->has_value());
        for (const ContentId &h : held) {
            auto old = store->get(h);
            CHECK_OK(old);
            QVERIFY(old->has_value());
        }
    }
    QVERIFY(snapshotTree(root) == before);

    {
        auto store = Store::open(str(root), Store::Access::ReadWrite);
        CHECK_OK(store);
        COMPARE_OK(store->put(cid, bytesOf(blob)), true);
    }
    QVERIFY(QFileInfo::exists(child + QStringLiteral("/MF")));
    auto store = Store::open(str(root), Store::Access::ReadOnly);
    CHECK_OK(store);
    auto where = store->locate(cid);
    CHECK_OK(where);
    QVERIFY(where->has_value());
    QCOMPARE(QString::fromStdString((*where)->relPath), QStringLiteral("10"));
    auto got = store->get(cid);
    CHECK_OK(got);
    QVERIFY(got->has_value());
    QCOMPARE(toByteArray(**got), blob);
}

void tst_Store::existingChildIsPreferred()
{
    // FORMAT.md: if the child for cid[d] exists, a put descends into it even
    // when the shard here has room again.
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {4, 4096});
    QVERIFY(!root.isEmpty());
    std::mt19937_64 rng(83);
    const std::vector<ContentId> first = fillRoot(root, rng);
    QCOMPARE(first.size(), size_t(4));
    {
        auto store = Store::open(str(root), Store::Access::ReadWrite);
        CHECK_OK(store);
        ContentId spill = randomCid(rng);
        spill[0] = 0x10;
        COMPARE_OK(store->put(spill, bytesOf(QByteArray("child"))), true);
        QVERIFY(QFileInfo(root + "/10").isDir());
        COMPARE_OK(store->remove(first[0]), true);
        COMPARE_OK(store->remove(first[1]), true);
    }
    {
        // Compaction frees the root's tombstoned slots.
        auto rootShard = Shard::openForWriting(str(root));
        CHECK_OK(rootShard);
        CHECK_OK(rootShard->compact());
        QCOMPARE(rootShard->tableLen(), 2u);
    }
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    ContentId toChild = randomCid(rng);
    toChild[0] = 0x10;
    ContentId toRoot = randomCid(rng);
    toRoot[0] = 0x20;
    COMPARE_OK(store->put(toChild, bytesOf(QByteArray("a"))), true);
    COMPARE_OK(store->put(toRoot, bytesOf(QByteArray("b"))), true);

    auto a = store->locate(toChild);
    CHECK_OK(a);
    QCOMPARE(QString::fromStdString((*a)->relPath), QStringLiteral("10"));
    auto b = store->locate(toRoot);
    CHECK_OK(b);
    QCOMPARE(QString::fromStdString((*b)->relPath), QString());
    QCOMPARE((*b)->depth, 0);
}

void tst_Store::deepestShardFull()
{
    // One-slot shards and content IDs that agree in their first 8 bytes: the
    // path goes root, then 8 levels down, and the 10th blob has nowhere to go.
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {1, 256});
    QVERIFY(!root.isEmpty());
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    std::mt19937_64 rng(84);
    std::vector<ContentId> cids;
    for (int i = 0; i < 10; ++i) {
        ContentId cid = randomCid(rng);
        for (size_t b = 0; b < 8; ++b)
            cid[b] = uint8_t(0xA0 + b);
        cids.push_back(cid);
    }
    for (int i = 0; i < 9; ++i) {
        COMPARE_OK(store->put(cids[size_t(i)], bytesOf(QByteArray::number(i))), true);
        auto where = store->locate(cids[size_t(i)]);
        CHECK_OK(where);
        QCOMPARE((*where)->depth, i);
    }
    QVERIFY(QFileInfo(root + "/a0/a1/a2/a3/a4/a5/a6/a7/MF").exists());
    CHECK_ERROR(store->put(cids[9], bytesOf(QByteArray("9"))), ErrorKind::Full);
    for (int i = 0; i < 9; ++i) {
        auto got = store->get(cids[size_t(i)]);
        CHECK_OK(got);
        QCOMPARE(toByteArray(**got), QByteArray::number(i));
    }
    auto missing = store->get(cids[9]);
    CHECK_OK(missing);
    QVERIFY(!missing->has_value());
}

void tst_Store::blobLargerThanAnyPack()
{
    // Children are sized like their parent, so a blob that does not fit an
    // empty pack of that size fits nowhere below either: the put must fail,
    // and it should not leave a chain of empty child shards behind.
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {4, 4096});
    QVERIFY(!root.isEmpty());
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    std::mt19937_64 rng(88);
    const ContentId cid = randomCid(rng);
    const QByteArray big(4097, 'x');
    auto put = store->put(cid, bytesOf(big));
    QVERIFY2(!put, "a blob larger than every pack was stored");
    QCOMPARE(put.error().kind, ErrorKind::Full);
    auto got = store->get(cid);
    CHECK_OK(got);
    QVERIFY(!got->has_value());

    // Children are sized like their parent, so none is created for it.
    QCOMPARE(QDir(root).entryList(QDir::Dirs | QDir::NoDotAndDotDot), QStringList());

    // A blob that fits still goes in.
    COMPARE_OK(store->put(randomCid(rng), bytesOf(QByteArray(4096, 'y'))), true);
}

void tst_Store::childrenListsOnlyChildShards()
{
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {4, 4096});
    QVERIFY(!root.isEmpty());
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    std::mt19937_64 rng(85);
    std::set<std::string> expected;
    for (int i = 0; i < 40; ++i) {
        ContentId cid = randomCid(rng);
        cid[0] = std::array<uint8_t, 4> {0x00, 0x01, 0x7f, 0xff}[size_t(i % 4)];
        COMPARE_OK(store->put(cid, bytesOf(QByteArray::number(i))), true);
    }
    for (const QString &n : QDir(root).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        expected.insert(n.toStdString());
    QVERIFY(expected.size() >= 3);

    // Look-alikes that are not child shards.
    QVERIFY(QDir(root).mkdir("zz"));
    QVERIFY(QDir(root).mkdir("AB"));
    QVERIFY(QDir(root).mkdir("abc"));
    QVERIFY(writeFile(root + "/ab", "a file, not a directory"));
    QVERIFY(QFile::link(root + "/00", root + "/cd")); // a link, not a directory

    auto children = store->children("");
    CHECK_OK(children);
    QCOMPARE(std::set<std::string>(children->begin(), children->end()), expected);
    QVERIFY(std::is_sorted(children->begin(), children->end()));

    // Lookups still work next to the look-alikes.
    ContentId viaFile = randomCid(rng);
    viaFile[0] = 0xab;
    auto got = store->get(viaFile);
    CHECK_OK(got);
    QVERIFY(!got->has_value());
}

void tst_Store::readOnlyStoreRefusesWrites()
{
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {4, 4096});
    QVERIFY(!root.isEmpty());
    std::mt19937_64 rng(86);
    const ContentId cid = randomCid(rng);
    {
        auto store = Store::open(str(root), Store::Access::ReadWrite);
        CHECK_OK(store);
        COMPARE_OK(store->put(cid, bytesOf(QByteArray("x"))), true);
    }
    const auto before = snapshotTree(root);
    auto store = Store::open(str(root), Store::Access::ReadOnly);
    CHECK_OK(store);
    CHECK_ERROR(store->put(randomCid(rng), bytesOf(QByteArray("y"))), ErrorKind::Invalid);
    CHECK_ERROR(store->remove(cid), ErrorKind::Invalid);
    auto got = store->get(cid);
    CHECK_OK(got);
    QCOMPARE(toByteArray(**got), QByteArray("x"));
    QCOMPARE(snapshotTree(root), before);
}

void tst_Store::symlinkedChildIsRefused()
{
    // A child directory that is a link could lead anywhere: not followed.
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {1, 256});
    QVERIFY(!root.isEmpty());
    const QString elsewhere = copyFixture(tmp.path(), "basic");
    QVERIFY(QFile::link(elsewhere, root + "/cd"));
    const auto before = snapshotTree(elsewhere);

    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    std::mt19937_64 rng(87);
    ContentId first = randomCid(rng);
    first[0] = 0x01;
    COMPARE_OK(store->put(first, bytesOf(QByteArray("fills the root"))), true);
    ContentId viaLink = randomCid(rng);
    viaLink[0] = 0xcd;
    CHECK_ERROR(store->get(viaLink), ErrorKind::Unsafe);
    CHECK_ERROR(store->put(viaLink, bytesOf(QByteArray("x"))), ErrorKind::Unsafe);
    QCOMPARE(snapshotTree(elsewhere), before);
    QCOMPARE(readFile(elsewhere + "/MF"), readFile(dataPath("basic/MF")));
}

void tst_Store::openRequiresARootShard()
{
    QTemporaryDir tmp;
    CHECK_ERROR(Store::open(str(tmp.path()), Store::Access::ReadOnly), ErrorKind::NotFound);
    CHECK_ERROR(Store::open(str(tmp.filePath("missing")), Store::Access::ReadWrite), ErrorKind::NotFound);
}

void tst_Store::openShardReadOnly()
{
    // What a browser does with every shard of a store: open, count, close.
    QTemporaryDir tmp;
    const QString root = makeStore(tmp, ShardGeometry {2, 4096});
    QVERIFY(!root.isEmpty());
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    std::mt19937_64 rng(88);
    auto put = [&](uint8_t first) {
        ContentId cid = randomCid(rng);
        cid[0] = first;
        auto r = store->put(cid, bytesOf(QByteArray::number(first)));
        return r && *r;
    };
    // Two fill the root; the next ones make the children "10" and "20".
    QVERIFY(put(0x01) && put(0x02) && put(0x10) && put(0x20));
    for (const std::string rel : {"", "10", "20"}) {
        auto alone = store->openShardReadOnly(rel);
        CHECK_OK(alone);
        QVERIFY(!alone->writable());
        auto kept = store->shard(rel);
        CHECK_OK(kept);
        QCOMPARE(alone->tableLen(), (*kept)->tableLen());
        QCOMPARE(alone->nextOffset(), (*kept)->nextOffset());
        QVERIFY(&*alone != *kept);
    }

    // Not kept: each open reads the shard as it is now.
    auto before = store->openShardReadOnly("10");
    CHECK_OK(before);
    QCOMPARE(before->tableLen(), 1u);
    QVERIFY(put(0x10));
    auto after = store->openShardReadOnly("10");
    CHECK_OK(after);
    QCOMPARE(after->tableLen(), 2u);
    QCOMPARE(before->tableLen(), 1u);

    // Missing, escaping and linked children are errors, not crashes.
    CHECK_ERROR(store->openShardReadOnly("ff"), ErrorKind::NotFound);
    QVERIFY(!store->openShardReadOnly("10/../20").has_value());
    const QString elsewhere = copyFixture(tmp.path(), "basic");
    QVERIFY(QFile::link(elsewhere, root + "/cd"));
    QVERIFY(!store->openShardReadOnly("cd").has_value());

    // A read-only store opens its shards without writing a byte.
    const auto snapshot = snapshotTree(root);
    auto readOnly = Store::open(str(root), Store::Access::ReadOnly);
    CHECK_OK(readOnly);
    for (const std::string r : {"", "10", "20"})
        CHECK_OK(readOnly->openShardReadOnly(r));
    QCOMPARE(snapshotTree(root), snapshot);
}

QTEST_GUILESS_MAIN(tst_Store)
#include "tst_store.moc"
