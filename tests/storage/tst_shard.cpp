// Shard: the writer and reader of one shard directory. Besides round trips,
// each defect FORMAT.md lists for the reference writer has its own test here,
// written so that the reference behaviour would fail it.
#include "test_support.h"

#include "key_index.h"
#include "shard.h"
#include "shard_dump.h"

#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <map>

using namespace shardscope;
using namespace testsupport;

namespace {

struct Blob {
    Key key;
    QByteArray data;
};

QString newShardDir(const QTemporaryDir &tmp, const QString &name = QStringLiteral("shard"))
{
    QDir(tmp.path()).mkdir(name);
    return tmp.filePath(name);
}

QByteArray randomData(std::mt19937_64 &rng, size_t len)
{
    return toByteArray(randomBytes(rng, len));
}

std::vector<Blob> makeBlobs(uint64_t seed, const QList<int> &lens)
{
    std::mt19937_64 rng(seed);
    std::vector<Blob> out;
    for (int len : lens)
        out.push_back({randomKey(rng), randomData(rng, size_t(len))});
    return out;
}

// The shard answers exactly `live`: every key with its bytes, nothing else live.
bool holdsExactly(const Shard &shard, const std::map<Key, QByteArray> &live, QString *why)
{
    for (const auto &[key, data] : live) {
        auto got = shard.get(key);
        if (!got) {
            *why = QString::fromStdString(key.toHex() + ": " + got.error().describe());
            return false;
        }
        if (!got->has_value()) {
            *why = QString::fromStdString(key.toHex() + ": not found");
            return false;
        }
        if (toByteArray(**got) != data) {
            *why = QString::fromStdString(key.toHex())
                + QStringLiteral(": %1 bytes differ from the %2 written").arg((*got)->size()).arg(data.size());
            return false;
        }
    }
    const ShardCounts counts = countSlots(shard);
    if (counts.live != live.size()) {
        *why = QStringLiteral("%1 live slots, expected %2").arg(counts.live).arg(live.size());
        return false;
    }
    return true;
}

// No two live committed entries share pack bytes (the reference's wrapped
// offsets make later entries overwrite earlier ones).
bool liveRangesDisjoint(const Shard &shard, QString *why)
{
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (uint32_t i = 0; i < shard.slotCount(); ++i) {
        const Entry e = shard.entry(i);
        if (!e.isTombstone() && e.len > 0)
            ranges.push_back({e.offset, e.end()});
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].first < ranges[i - 1].second) {
            *why = QStringLiteral("pack ranges [%1, %2) and [%3, %4) overlap")
                       .arg(ranges[i - 1].first)
                       .arg(ranges[i - 1].second)
                       .arg(ranges[i].first)
                       .arg(ranges[i].second);
            return false;
        }
    }
    return true;
}

uint32_t activeTableLenOnDisk(const QString &shardDir)
{
    const QByteArray mf = readFile(shardDir + "/MF");
    const int active = readU64(mf, 32) > readU64(mf, 0) ? 1 : 0;
    return readU32(mf, active * 32 + 12);
}

QStringList generationFiles(const QString &dir)
{
    QStringList out;
    for (const QString &n : listDir(dir)) {
        if (n.endsWith(".slot") || n.endsWith(".pack") || n.endsWith(".tmp"))
            out << n;
    }
    return out;
}

} // namespace

class tst_Shard : public QObject
{
    Q_OBJECT

private slots:
    // Creation and round trips.
    void hydrateCreatesFilesAtGeometry_data();
    void hydrateCreatesFilesAtGeometry();
    void hydrateRejectsBadGeometry_data();
    void hydrateRejectsBadGeometry();
    void hydrateMissingDirectoryFails();
    void hydrateExistingShardKeepsItsSizes();
    void roundTrip_data();
    void roundTrip();
    void uncommittedAppendsAreInvisibleAndReused();
    void removeWritesTombstone();
    void appendExistingKeyReturnsFalse();
    void appendZeroKeyIsInvalid();
    void readOnlyShardRefusesWrites();

    // Compaction.
    void compactRoundTrip();
    void compactIntoOtherGeometry_data();
    void compactIntoOtherGeometry();
    void compactIntoTooSmallGenerationIsRefused_data();
    void compactIntoTooSmallGenerationIsRefused();
    void compactAllDeleted();
    void compactLargeEntries();
    void compactAcrossCopyWindow();
    void gatheredCopyWritesTheSameBytes_data();
    void gatheredCopyWritesTheSameBytes();
    void compactTwiceThenRemoveGenerations();
    void compactionCancel_data();
    void compactionCancel();
    void compactWithUnflushedChangesIsRefused();
    void removeGeneration();
    void duplicateKeysInDamagedShard();
    void compactOverlappingAndScatteredEntries();
    void failedWriteCommitsNothing();

    // The reference writer's defects (FORMAT.md, "Quirks").
    void nextOffsetIgnoresTombstones_data();
    void nextOffsetIgnoresTombstones();
    void failedAppendChangesNothing_data();
    void failedAppendChangesNothing();
    void compactFullShardIntoSameSize_data();
    void compactFullShardIntoSameSize();
    void indexIsSelective();

    // Read-only means read-only.
    void readOnlyOpenChangesNothing_data();
    void readOnlyOpenChangesNothing();

    // Compaction's key sort, its duplicate check and the index it builds.
    void compactSortsCraftedKeys_data();
    void compactSortsCraftedKeys();
    void compactRefusesDuplicatedKey_data();
    void compactRefusesDuplicatedKey();
    void compactedShardLooksUpAtOnce_data();
    void compactedShardLooksUpAtOnce();
};

// ---------------------------------------------------------------------------
// Creation and round trips

void tst_Shard::hydrateCreatesFilesAtGeometry_data()
{
    QTest::addColumn<uint>("tableSlots");
    QTest::addColumn<uint>("packSize");

    QTest::newRow("128 slots, 64 KiB (the fixtures' geometry)") << 128u << 65536u;
    QTest::newRow("4 slots, 4 KiB") << 4u << 4096u;
    QTest::newRow("1 slot, 1 byte") << 1u << 1u;
    QTest::newRow("32768 slots (default table), 1 MiB pack") << 32768u << (1u << 20);
}

void tst_Shard::hydrateCreatesFilesAtGeometry()
{
    QFETCH(uint, tableSlots);
    QFETCH(uint, packSize);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {tableSlots, packSize});
    CHECK_OK(shard);
    QVERIFY(shard->writable());
    QCOMPARE(shard->capacity(), uint32_t(tableSlots));
    QCOMPARE(shard->packSize(), uint64_t(packSize));
    QCOMPARE(shard->tableLen(), 0u);
    QCOMPARE(shard->nextOffset(), uint64_t(0));
    QCOMPARE(shard->generation(), 0u);
    QVERIFY(!shard->dirty());

    QCOMPARE(QFileInfo(dir + "/00000000.slot").size(), qint64(tableSlots) * 32);
    QCOMPARE(QFileInfo(dir + "/00000000.pack").size(), qint64(packSize));
    QVERIFY(!QFile::exists(dir + "/MF")); // nothing is committed before a flush
    QCOMPARE(readFile(dir + "/00000000.slot"), QByteArray(qsizetype(tableSlots) * 32, '\0'));

    // Pre-sized, not written: a 1 MiB table takes (almost) no blocks.
    if (tableSlots >= 32768) {
        struct stat st {
        };
        QCOMPARE(::stat(QFile::encodeName(dir + "/00000000.slot").constData(), &st), 0);
        QVERIFY2(uint64_t(st.st_blocks) * 512 < 65536, "the table file is not sparse");
    }

    CHECK_OK(shard->flush());
    QCOMPARE(QFileInfo(dir + "/MF").size(), qint64(64));
}

void tst_Shard::hydrateRejectsBadGeometry_data()
{
    QTest::addColumn<uint>("tableSlots");
    QTest::addColumn<uint>("packSize");

    QTest::newRow("zero slots") << 0u << 4096u;
    QTest::newRow("zero pack") << 4u << 0u;
    QTest::newRow("table above 4 GiB") << uint(kMaxTableSlots + 1) << 4096u;
}

void tst_Shard::hydrateRejectsBadGeometry()
{
    QFETCH(uint, tableSlots);
    QFETCH(uint, packSize);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    CHECK_ERROR(Shard::hydrate(str(dir), ShardGeometry {tableSlots, packSize}), ErrorKind::Invalid);
    QCOMPARE(listDir(dir), QStringList());
}

void tst_Shard::hydrateMissingDirectoryFails()
{
    QTemporaryDir tmp;
    CHECK_ERROR(Shard::hydrate(str(tmp.filePath("nope")), ShardGeometry {4, 4096}), ErrorKind::NotFound);
    QVERIFY(!QFile::exists(tmp.filePath("nope")));
}

void tst_Shard::hydrateExistingShardKeepsItsSizes()
{
    QTemporaryDir tmp;
    const QString dir = copyFixture(tmp.path(), "basic");
    const auto before = snapshotTree(dir);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {4, 4096});
    CHECK_OK(shard);
    QCOMPARE(shard->capacity(), 128u);
    QCOMPARE(shard->packSize(), uint64_t(65536));
    QCOMPARE(shard->tableLen(), 100u);
    QCOMPARE(snapshotTree(dir), before);
}

void tst_Shard::roundTrip_data()
{
    QTest::addColumn<QList<int>>("lens");

    QTest::newRow("single entry") << QList<int> {17};
    QTest::newRow("empty entries among others") << QList<int> {0, 5, 0, 100, 0};
    QTest::newRow("only an empty entry") << QList<int> {0};
    QList<int> many;
    std::mt19937_64 rng(5);
    for (int i = 0; i < 120; ++i)
        many << int(rng() % 300);
    QTest::newRow("120 entries of 0..299 bytes") << many;
    QTest::newRow("one entry filling the pack exactly") << QList<int> {65536};
    QTest::newRow("fill table exactly (128 entries)") << QList<int>(128, 3);
}

void tst_Shard::roundTrip()
{
    QFETCH(QList<int>, lens);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const std::vector<Blob> blobs = makeBlobs(uint64_t(lens.size()) * 7919 + 1, lens);
    std::map<Key, QByteArray> model;
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {128, 65536});
        CHECK_OK(shard);
        uint64_t expectedOffset = 0;
        for (uint32_t i = 0; i < blobs.size(); ++i) {
            COMPARE_OK(shard->append(blobs[i].key, bytesOf(blobs[i].data)), true);
            model[blobs[i].key] = blobs[i].data;
            QVERIFY(shard->dirty());
            QCOMPARE(shard->tableLen(), i + 1);
            const Entry e = shard->entry(i);
            QCOMPARE(e.key, blobs[i].key);
            QCOMPARE(uint64_t(e.offset), expectedOffset);
            QCOMPARE(qsizetype(e.len), blobs[i].data.size());
            expectedOffset += uint64_t(blobs[i].data.size());
            QCOMPARE(shard->nextOffset(), expectedOffset);
        }
        // The writer reads its own unflushed appends.
        QString why;
        QVERIFY2(holdsExactly(*shard, model, &why), qPrintable(why));
        CHECK_OK(shard->flush());
        QVERIFY(!shard->dirty());
    }

    QCOMPARE(QFileInfo(dir + "/MF").size(), qint64(64));
    QCOMPARE(activeTableLenOnDisk(dir), uint32_t(blobs.size()));

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QVERIFY(!ro->writable());
    QCOMPARE(ro->tableLen(), uint32_t(blobs.size()));
    QCOMPARE(ro->slotCount(), uint32_t(blobs.size()));
    QCOMPARE(ro->manifest(), (Manifest {1, 0, uint32_t(blobs.size())}));
    QString why;
    QVERIFY2(holdsExactly(*ro, model, &why), qPrintable(why));
    for (uint32_t i = 0; i < blobs.size(); ++i) {
        auto bytes = ro->data(ro->entry(i));
        CHECK_OK(bytes);
        QCOMPARE(toByteArray(*bytes), blobs[i].data);
    }

    // A key that was never written.
    std::mt19937_64 rng(999);
    auto none = ro->get(randomKey(rng));
    CHECK_OK(none);
    QVERIFY(!none->has_value());
}

void tst_Shard::uncommittedAppendsAreInvisibleAndReused()
{
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const auto committed = makeBlobs(1, {10, 20});
    const auto lost = makeBlobs(2, {30, 40, 50});
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {16, 4096});
        CHECK_OK(shard);
        for (const Blob &b : committed)
            COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
        CHECK_OK(shard->flush());
        for (const Blob &b : lost)
            COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);

        // Another reader sees only what the manifest commits.
        auto ro = Shard::openReadOnly(str(dir));
        CHECK_OK(ro);
        QCOMPARE(ro->tableLen(), 2u);
        QVERIFY(!ro->exists(lost[0].key));
        QVERIFY(ro->exists(committed[1].key));
        // Destroyed without a flush: a crash before the commit.
    }
    // Whether the lost appends reached the files past table_len is the
    // writer's business; what counts is that nothing commits them.

    auto shard = Shard::openForWriting(str(dir));
    CHECK_OK(shard);
    QCOMPARE(shard->tableLen(), 2u);
    QCOMPARE(shard->nextOffset(), uint64_t(30));
    QVERIFY(!shard->exists(lost[0].key));
    const auto next = makeBlobs(3, {7});
    COMPARE_OK(shard->append(next[0].key, bytesOf(next[0].data)), true);
    QCOMPARE(shard->entry(2), (Entry {next[0].key, 30, 7}));
    CHECK_OK(shard->flush());

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    std::map<Key, QByteArray> model {
        {committed[0].key, committed[0].data}, {committed[1].key, committed[1].data}, {next[0].key, next[0].data}};
    QString why;
    QVERIFY2(holdsExactly(*ro, model, &why), qPrintable(why));
    QVERIFY(!ro->exists(lost[1].key));
}

void tst_Shard::removeWritesTombstone()
{
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const auto blobs = makeBlobs(4, {10, 20, 30});
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {128, 65536});
        CHECK_OK(shard);
        for (const Blob &b : blobs)
            COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
        CHECK_OK(shard->flush());
        COMPARE_OK(shard->remove(blobs[1].key), true);
        QVERIFY(shard->dirty());
        QVERIFY(!shard->exists(blobs[1].key));
        COMPARE_OK(shard->remove(blobs[1].key), false); // already gone
        std::mt19937_64 rng(77);
        COMPARE_OK(shard->remove(randomKey(rng)), false); // never there
        COMPARE_OK(shard->remove(Key()), false);
        CHECK_OK(shard->flush());
    }

    // Slot 1 on disk: zero key, offset 0xFFFFFFFF, len 0.
    const QByteArray table = readFile(dir + "/00000000.slot");
    QCOMPARE(table.mid(32, 32).toHex(), (QByteArray(24, '\0') + u32le(0xFFFFFFFFu) + u32le(0)).toHex());
    QCOMPARE(Entry::decode(reinterpret_cast<const uint8_t *>(table.constData()) + 32), Entry::tombstone());
    QVERIFY(Entry::tombstone().isTombstone());
    // The neighbours are untouched.
    QCOMPARE(Entry::decode(reinterpret_cast<const uint8_t *>(table.constData())), (Entry {blobs[0].key, 0, 10}));
    QCOMPARE(Entry::decode(reinterpret_cast<const uint8_t *>(table.constData()) + 64), (Entry {blobs[2].key, 30, 30}));

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->tableLen(), 3u);
    const ShardCounts counts = countSlots(*ro);
    QCOMPARE(counts.live, 2u);
    QCOMPARE(counts.tombstones, 1u);
    auto gone = ro->get(blobs[1].key);
    CHECK_OK(gone);
    QVERIFY(!gone->has_value());
    CHECK_ERROR(ro->data(ro->entry(1)), ErrorKind::Invalid);
    QString why;
    QVERIFY2(holdsExactly(*ro, {{blobs[0].key, blobs[0].data}, {blobs[2].key, blobs[2].data}}, &why), qPrintable(why));
}

void tst_Shard::appendExistingKeyReturnsFalse()
{
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const Key k({5, 6, 7});
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {16, 4096});
        CHECK_OK(shard);
        COMPARE_OK(shard->append(k, bytesOf(QByteArray("first"))), true);
        const QByteArray tableBefore = readFile(dir + "/00000000.slot");
        const QByteArray packBefore = readFile(dir + "/00000000.pack");
        COMPARE_OK(shard->append(k, bytesOf(QByteArray("second, longer"))), false); // unflushed duplicate
        QCOMPARE(shard->tableLen(), 1u);
        QCOMPARE(shard->nextOffset(), uint64_t(5));
        QCOMPARE(readFile(dir + "/00000000.slot"), tableBefore);
        QCOMPARE(readFile(dir + "/00000000.pack"), packBefore);
        CHECK_OK(shard->flush());
    }
    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        COMPARE_OK(shard->append(k, bytesOf(QByteArray("third"))), false); // committed duplicate
        QCOMPARE(shard->tableLen(), 1u);
        auto got = shard->get(k);
        CHECK_OK(got);
        QCOMPARE(toByteArray(**got), QByteArray("first"));

        // Once deleted, the key may come back in a new slot.
        COMPARE_OK(shard->remove(k), true);
        COMPARE_OK(shard->append(k, bytesOf(QByteArray("fourth"))), true);
        QCOMPARE(shard->tableLen(), 2u);
        QCOMPARE(shard->find(k), std::optional<uint32_t>(1));
        CHECK_OK(shard->flush());
    }
    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    auto got = ro->get(k);
    CHECK_OK(got);
    QCOMPARE(toByteArray(**got), QByteArray("fourth"));
}

void tst_Shard::appendZeroKeyIsInvalid()
{
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {16, 4096});
    CHECK_OK(shard);
    CHECK_ERROR(shard->append(Key(), bytesOf(QByteArray("data"))), ErrorKind::Invalid);
    QCOMPARE(shard->tableLen(), 0u);
    QCOMPARE(shard->nextOffset(), uint64_t(0));
    QVERIFY(!shard->dirty());
    QCOMPARE(readFile(dir + "/00000000.pack"), QByteArray(4096, '\0'));
    QVERIFY(!shard->exists(Key()));
}

void tst_Shard::readOnlyShardRefusesWrites()
{
    QTemporaryDir tmp;
    const QString dir = copyFixture(tmp.path(), "basic");
    const auto before = snapshotTree(dir);
    {
        auto ro = Shard::openReadOnly(str(dir));
        CHECK_OK(ro);
        const Key existing = ro->entry(0).key;
        CHECK_ERROR(ro->append(Key({1, 1, 1}), bytesOf(QByteArray("x"))), ErrorKind::Invalid);
        CHECK_ERROR(ro->remove(existing), ErrorKind::Invalid);
        CHECK_ERROR(ro->flush(), ErrorKind::Invalid);
        CHECK_ERROR(ro->compact(), ErrorKind::Invalid);
        CHECK_ERROR(ro->removeGeneration(1), ErrorKind::Invalid);
        QVERIFY(!ro->hasSpace(0));
        QVERIFY(ro->exists(existing));
    }
    QCOMPARE(snapshotTree(dir), before);
}

// ---------------------------------------------------------------------------
// Compaction

void tst_Shard::compactRoundTrip()
{
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    std::mt19937_64 rng(11);
    std::vector<Blob> blobs;
    QList<int> lens;
    for (int i = 0; i < 40; ++i)
        lens << int(rng() % 200) * (i % 7 != 0); // every 7th empty
    blobs = makeBlobs(12, lens);

    std::map<Key, QByteArray> live;
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {128, 65536});
        CHECK_OK(shard);
        for (const Blob &b : blobs)
            COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
        CHECK_OK(shard->flush());
        for (size_t i = 0; i < blobs.size(); ++i) {
            if (i % 3 == 1) {
                COMPARE_OK(shard->remove(blobs[i].key), true);
            } else {
                live[blobs[i].key] = blobs[i].data;
            }
        }
        CHECK_OK(shard->flush());
    }
    const QByteArray oldTable = readFile(dir + "/00000000.slot");
    const QByteArray oldPack = readFile(dir + "/00000000.pack");
    uint64_t liveBytes = 0;
    for (const auto &[k, d] : live)
        liveBytes += uint64_t(d.size());

    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        const uint64_t nextBefore = shard->nextOffset();
        auto result = shard->compact();
        CHECK_OK(result);
        QCOMPARE(result->oldGeneration, 0u);
        QCOMPARE(result->newGeneration, 1u);
        QCOMPARE(result->entries, uint32_t(live.size()));
        QCOMPARE(result->tombstonesDropped, uint32_t(blobs.size() - live.size()));
        QCOMPARE(result->bytesCopied, liveBytes);
        QCOMPARE(result->bytesReclaimed, nextBefore - liveBytes);
        QCOMPARE(shard->generation(), 1u);
        QCOMPARE(shard->tableLen(), uint32_t(live.size()));
        QCOMPARE(shard->nextOffset(), liveBytes);
        QVERIFY(!shard->dirty());
        QString why;
        QVERIFY2(holdsExactly(*shard, live, &why), qPrintable(why));

        // Still writable after the switch: appends go to the new generation.
        const auto extra = makeBlobs(13, {9});
        COMPARE_OK(shard->append(extra[0].key, bytesOf(extra[0].data)), true);
        QCOMPARE(shard->entry(uint32_t(live.size())).offset, uint32_t(liveBytes));
        CHECK_OK(shard->flush());
        live[extra[0].key] = extra[0].data;
    }

    // Both generations' files exist; the old ones are untouched.
    QCOMPARE(generationFiles(dir), (QStringList {"00000000.pack", "00000000.slot", "00000001.pack", "00000001.slot"}));
    QCOMPARE(readFile(dir + "/00000000.slot"), oldTable);
    QCOMPARE(readFile(dir + "/00000000.pack"), oldPack);
    QCOMPARE(QFileInfo(dir + "/00000001.slot").size(), qint64(128 * 32));
    QCOMPARE(QFileInfo(dir + "/00000001.pack").size(), qint64(65536));
    QCOMPARE(QFileInfo(dir + "/MF").size(), qint64(64));

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->generation(), 1u);
    QCOMPARE(ro->manifest().gen, 1u);
    const uint32_t compacted = uint32_t(live.size()) - 1;
    QCOMPARE(ro->tableLen(), compacted + 1);
    // Sorted by key, packed from offset 0 in that order.
    uint64_t offset = 0;
    for (uint32_t i = 0; i < compacted; ++i) {
        const Entry e = ro->entry(i);
        QVERIFY(!e.isTombstone());
        if (i > 0)
            QVERIFY2(ro->entry(i - 1).key < e.key,
                qPrintable(QStringLiteral("slots %1 and %2 out of order").arg(i - 1).arg(i)));
        QCOMPARE(uint64_t(e.offset), offset);
        offset += e.len;
    }
    QCOMPARE(offset, liveBytes);
    QString why;
    QVERIFY2(holdsExactly(*ro, live, &why), qPrintable(why));
    QVERIFY2(liveRangesDisjoint(*ro, &why), qPrintable(why));
}

void tst_Shard::compactIntoOtherGeometry_data()
{
    QTest::addColumn<uint>("tableSlots");
    QTest::addColumn<uint>("packSize");

    QTest::newRow("smaller: 16 slots, 2 KiB") << 16u << 2048u;
    QTest::newRow("exactly the live set: 10 slots, 1000 bytes") << 10u << 1000u;
    QTest::newRow("larger: 1024 slots, 1 MiB") << 1024u << (1u << 20);
}

void tst_Shard::compactIntoOtherGeometry()
{
    QFETCH(uint, tableSlots);
    QFETCH(uint, packSize);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const auto blobs = makeBlobs(21, QList<int>(20, 100));
    std::map<Key, QByteArray> live;
    auto shard = Shard::hydrate(str(dir), ShardGeometry {128, 65536});
    CHECK_OK(shard);
    for (size_t i = 0; i < blobs.size(); ++i) {
        COMPARE_OK(shard->append(blobs[i].key, bytesOf(blobs[i].data)), true);
        if (i % 2 == 0)
            live[blobs[i].key] = blobs[i].data;
    }
    CHECK_OK(shard->flush());
    for (size_t i = 1; i < blobs.size(); i += 2)
        COMPARE_OK(shard->remove(blobs[i].key), true);
    CHECK_OK(shard->flush());

    CHECK_OK(shard->compact(CompactionOptions {tableSlots, packSize, std::nullopt}));
    QCOMPARE(shard->capacity(), uint32_t(tableSlots));
    QCOMPARE(shard->packSize(), uint64_t(packSize));
    QCOMPARE(QFileInfo(dir + "/00000001.slot").size(), qint64(tableSlots) * 32);
    QCOMPARE(QFileInfo(dir + "/00000001.pack").size(), qint64(packSize));
    QString why;
    QVERIFY2(holdsExactly(*shard, live, &why), qPrintable(why));

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->capacity(), uint32_t(tableSlots));
    QVERIFY2(holdsExactly(*ro, live, &why), qPrintable(why));
}

void tst_Shard::compactIntoTooSmallGenerationIsRefused_data()
{
    QTest::addColumn<uint>("tableSlots");
    QTest::addColumn<uint>("packSize");

    QTest::newRow("one slot short") << 9u << 4096u;
    QTest::newRow("one byte short") << 16u << 999u;
}

void tst_Shard::compactIntoTooSmallGenerationIsRefused()
{
    QFETCH(uint, tableSlots);
    QFETCH(uint, packSize);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {128, 65536});
    CHECK_OK(shard);
    for (const Blob &b : makeBlobs(22, QList<int>(10, 100)))
        COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
    CHECK_OK(shard->flush());
    const auto before = snapshotTree(dir);

    CHECK_ERROR(shard->compact(CompactionOptions {tableSlots, packSize, std::nullopt}), ErrorKind::Full);
    QCOMPARE(snapshotTree(dir), before);
    QCOMPARE(shard->generation(), 0u);
}

void tst_Shard::compactAllDeleted()
{
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {8, 1024});
    CHECK_OK(shard);
    const auto blobs = makeBlobs(23, {10, 20, 30});
    for (const Blob &b : blobs)
        COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
    CHECK_OK(shard->flush());
    for (const Blob &b : blobs)
        COMPARE_OK(shard->remove(b.key), true);
    CHECK_OK(shard->flush());

    auto result = shard->compact();
    CHECK_OK(result);
    QCOMPARE(result->entries, 0u);
    QCOMPARE(result->tombstonesDropped, 3u);
    QCOMPARE(shard->tableLen(), 0u);
    QCOMPARE(shard->nextOffset(), uint64_t(0));

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->manifest().gen, 1u);
    QCOMPARE(ro->manifest().tableLen, 0u);
    QCOMPARE(readFile(dir + "/00000001.slot"), QByteArray(8 * 32, '\0'));
}

void tst_Shard::compactLargeEntries()
{
    // Entries around the copy's 4 MiB buffer: smaller ones are batched, a
    // larger one is written on its own, and the offsets must stay in step.
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const int mib = 1 << 20;
    const QList<int> lens {3 * mib, mib + 1, 5 * mib, 100, 4 * mib, 4 * mib - 1, 0, 2 * mib};
    const auto blobs = makeBlobs(24, lens);
    std::map<Key, QByteArray> live;
    auto shard = Shard::hydrate(str(dir), ShardGeometry {16, 32u * mib});
    CHECK_OK(shard);
    for (const Blob &b : blobs) {
        COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
        live[b.key] = b.data;
    }
    CHECK_OK(shard->flush());
    auto result = shard->compact();
    CHECK_OK(result);
    QCOMPARE(result->entries, uint32_t(blobs.size()));

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QString why;
    QVERIFY2(holdsExactly(*ro, live, &why), qPrintable(why));
    QVERIFY2(liveRangesDisjoint(*ro, &why), qPrintable(why));
}

void tst_Shard::gatheredCopyWritesTheSameBytes_data()
{
    // How far the copy memory limit lies from the live bytes; "none" is 0.
    QTest::addColumn<QString>("limit");
    QTest::newRow("no memory: gathered") << QStringLiteral("none");
    QTest::newRow("one byte short of the live bytes: gathered") << QStringLiteral("live-1");
    QTest::newRow("exactly the live bytes: assembled") << QStringLiteral("live");
}

void tst_Shard::gatheredCopyWritesTheSameBytes()
{
    // The copy into a new generation has two ways to make the new pack
    // (assembled in memory, or gathered from the old pack's mapping when it
    // is larger than the memory allowed): both must write the same files.
    QFETCH(QString, limit);
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    std::mt19937_64 rng(77);
    QList<int> lens;
    for (int i = 0; i < 300; ++i)
        lens.append(int(rng() % 6000));
    const auto blobs = makeBlobs(31, lens);
    uint64_t live = 0;
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {512, 2u << 20});
        CHECK_OK(shard);
        for (const Blob &b : blobs)
            COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
        CHECK_OK(shard->flush());
        for (size_t i = 0; i < blobs.size(); ++i) {
            if (i % 7 == 3)
                COMPARE_OK(shard->remove(blobs[i].key), true);
            else
                live += uint64_t(blobs[i].data.size());
        }
        CHECK_OK(shard->flush());
    }
    const QString copy = tmp.filePath(QStringLiteral("copy"));
    QVERIFY(copyTree(dir, copy));

    auto byDefault = Shard::openForWriting(str(dir));
    CHECK_OK(byDefault);
    CHECK_OK(byDefault->compact());
    auto limited = Shard::openForWriting(str(copy));
    CHECK_OK(limited);
    CompactionOptions options;
    options.copyMemoryLimit = limit == QLatin1String("none") ? 0 : limit == QLatin1String("live-1") ? live - 1 : live;
    auto result = limited->compact(options);
    CHECK_OK(result);
    QCOMPARE(result->bytesCopied, live);
    QCOMPARE(result->newGeneration, 1u);
    for (const QString &name :
        {QStringLiteral("MF"), QStringLiteral("00000001.slot"), QStringLiteral("00000001.pack")}) {
        const QByteArray mine = readFile(copy + u'/' + name);
        QVERIFY2(!mine.isEmpty(), qPrintable(name));
        QVERIFY2(mine == readFile(dir + u'/' + name), qPrintable(name + QStringLiteral(" differs")));
    }
}

void tst_Shard::compactAcrossCopyWindow()
{
    // More live data than the copy assembles in memory at once (256 MiB in
    // the current implementation), in entries of an odd size placed in key
    // order, not pack order: entries straddle the window boundary, and the
    // source of each window is scattered over the old pack.
    constexpr int kEntries = 100;
    constexpr int kLen = 3 * (1 << 20) + 17;
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    std::mt19937_64 keys(91);
    std::map<Key, QByteArray> expected; // key -> sha256 of its data
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {256, 320u << 20});
        CHECK_OK(shard);
        std::vector<Key> order;
        for (int i = 0; i < kEntries; ++i) {
            std::mt19937_64 rng(uint64_t(i) + 1000);
            const std::vector<uint8_t> data = randomBytes(rng, kLen);
            const Key k = randomKey(keys);
            COMPARE_OK(shard->append(k, data), true);
            expected[k] = sha256Hex(std::span<const uint8_t>(data));
            order.push_back(k);
        }
        CHECK_OK(shard->flush());
        // Deleting from the front moves every later entry in the copy.
        for (int i : {0, 1, 7, 42}) {
            COMPARE_OK(shard->remove(order[size_t(i)]), true);
            expected.erase(order[size_t(i)]);
        }
        CHECK_OK(shard->flush());
        auto result = shard->compact();
        CHECK_OK(result);
        QCOMPARE(result->entries, uint32_t(expected.size()));
        QCOMPARE(result->bytesCopied, uint64_t(expected.size()) * kLen);
    }
    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->generation(), 1u);
    for (const auto &[k, sha] : expected) {
        auto got = ro->get(k);
        CHECK_OK(got);
        QVERIFY(got->has_value());
        QCOMPARE(sha256Hex(**got), sha);
    }
    QString why;
    QVERIFY2(liveRangesDisjoint(*ro, &why), qPrintable(why));
}

void tst_Shard::compactTwiceThenRemoveGenerations()
{
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {32, 4096});
    CHECK_OK(shard);
    const auto blobs = makeBlobs(25, {5, 6, 7, 8});
    std::map<Key, QByteArray> live;
    for (const Blob &b : blobs) {
        COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
        live[b.key] = b.data;
    }
    CHECK_OK(shard->flush());
    CHECK_OK(shard->compact());
    COMPARE_OK(shard->remove(blobs[0].key), true);
    live.erase(blobs[0].key);
    CHECK_OK(shard->flush());
    auto second = shard->compact();
    CHECK_OK(second);
    QCOMPARE(second->oldGeneration, 1u);
    QCOMPARE(second->newGeneration, 2u);
    QCOMPARE(generationFiles(dir),
        (QStringList {
            "00000000.pack", "00000000.slot", "00000001.pack", "00000001.slot", "00000002.pack", "00000002.slot"}));
    CHECK_OK(shard->removeGeneration(0));
    CHECK_OK(shard->removeGeneration(1));
    QCOMPARE(generationFiles(dir), (QStringList {"00000002.pack", "00000002.slot"}));

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->generation(), 2u);
    QString why;
    QVERIFY2(holdsExactly(*ro, live, &why), qPrintable(why));
}

void tst_Shard::compactionCancel_data()
{
    QTest::addColumn<int>("entries");
    QTest::addColumn<int>("entryLen");

    QTest::newRow("10 small entries") << 10 << 4;
    QTest::newRow("3000 small entries") << 3000 << 4;
    QTest::newRow("20 entries of 1 MiB") << 20 << (1 << 20);
}

void tst_Shard::compactionCancel()
{
    // Cancelling at any progress report, the first to the last, must leave
    // the shard as it was. How often the callback runs is the
    // implementation's choice, so a full run on a copy counts the reports.
    QFETCH(int, entries);
    QFETCH(int, entryLen);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    std::vector<Blob> blobs = makeBlobs(26, QList<int>(entries, entryLen));
    std::map<Key, QByteArray> live;
    const uint32_t packSize = uint32_t(std::max<qint64>(65536, qint64(entries) * entryLen + 4096));
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {4096, packSize});
        CHECK_OK(shard);
        for (const Blob &b : blobs) {
            COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
            live[b.key] = b.data;
        }
        CHECK_OK(shard->flush());
        COMPARE_OK(shard->remove(blobs[0].key), true);
        live.erase(blobs[0].key);
        CHECK_OK(shard->flush());
    }

    int reports = 0;
    {
        const QString copy = tmp.filePath("copy");
        QVERIFY(copyTree(dir, copy));
        auto shard = Shard::openForWriting(str(copy));
        CHECK_OK(shard);
        CompactionProgress last;
        bool sane = true;
        auto done = shard->compact({}, [&](const CompactionProgress &p) {
            ++reports;
            // Within the totals, and never going back.
            sane = sane && p.entriesDone <= p.entriesTotal && p.bytesDone <= p.bytesTotal
                && p.entriesDone >= last.entriesDone && p.bytesDone >= last.bytesDone;
            last = p;
            return true;
        });
        CHECK_OK(done);
        QVERIFY(sane);
        QVERIFY2(reports >= 2, "the callback should run before and after the copy");
        QCOMPARE(last.entriesDone, last.entriesTotal);
        QCOMPARE(last.entriesTotal, uint64_t(live.size()));
        QCOMPARE(last.bytesDone, last.bytesTotal);
        QCOMPARE(last.bytesTotal, uint64_t(live.size()) * uint64_t(entryLen));
    }

    // The directory's own mtime moves as temporaries come and go; the files' must not.
    auto filesOf = [](const QString &d) {
        auto snap = snapshotTree(d);
        snap.erase(QStringLiteral("."));
        return snap;
    };
    const auto before = filesOf(dir);
    const QByteArray mfBefore = readFile(dir + "/MF");
    auto shard = Shard::openForWriting(str(dir));
    CHECK_OK(shard);
    for (int cancelAt = 1; cancelAt <= reports; ++cancelAt) {
        int calls = 0;
        auto cancelled = shard->compact({}, [&](const CompactionProgress &) { return ++calls < cancelAt; });
        QVERIFY2(!cancelled,
            qPrintable(QStringLiteral("cancelling at report %1 of %2 did not cancel").arg(cancelAt).arg(reports)));
        QCOMPARE(cancelled.error().kind, ErrorKind::Cancelled);
        QCOMPARE(calls, cancelAt);

        // Nothing on disk changed: same MF bytes, no new generation, no temporaries.
        QCOMPARE(readFile(dir + "/MF").toHex(), mfBefore.toHex());
        QCOMPARE(listDir(dir), (QStringList {"00000000.pack", "00000000.slot", "MF"}));
        QCOMPARE(filesOf(dir), before);

        // The shard in memory is still the old generation and still works.
        QCOMPARE(shard->generation(), 0u);
        QString why;
        QVERIFY2(holdsExactly(*shard, live, &why), qPrintable(why));
    }

    // And a compaction that is let run finishes.
    CHECK_OK(shard->compact());
    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->generation(), 1u);
    QString why;
    QVERIFY2(holdsExactly(*ro, live, &why), qPrintable(why));
}

void tst_Shard::compactWithUnflushedChangesIsRefused()
{
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {16, 4096});
    CHECK_OK(shard);
    const auto blobs = makeBlobs(27, {10, 10});
    COMPARE_OK(shard->append(blobs[0].key, bytesOf(blobs[0].data)), true);
    CHECK_OK(shard->flush());
    COMPARE_OK(shard->append(blobs[1].key, bytesOf(blobs[1].data)), true);
    const auto before = snapshotTree(dir);
    CHECK_ERROR(shard->compact(), ErrorKind::Invalid);
    QCOMPARE(snapshotTree(dir), before);
    QCOMPARE(shard->generation(), 0u);

    // An unflushed delete counts too.
    CHECK_OK(shard->flush());
    COMPARE_OK(shard->remove(blobs[0].key), true);
    CHECK_ERROR(shard->compact(), ErrorKind::Invalid);
    QCOMPARE(generationFiles(dir), (QStringList {"00000000.pack", "00000000.slot"}));

    CHECK_OK(shard->flush());
    CHECK_OK(shard->compact());
}

void tst_Shard::removeGeneration()
{
    QTemporaryDir tmp;
    const QString dir = copyFixture(tmp.path(), "basic");
    auto shard = Shard::openForWriting(str(dir));
    CHECK_OK(shard);
    CHECK_ERROR(shard->removeGeneration(0), ErrorKind::Invalid); // current
    CHECK_OK(shard->compact());
    const auto files = (QStringList {"00000000.pack", "00000000.slot", "00000001.pack", "00000001.slot"});
    QCOMPARE(generationFiles(dir), files);

    auto current = shard->removeGeneration(1);
    QVERIFY(!current);
    QCOMPARE(current.error().kind, ErrorKind::Invalid);
    QVERIFY(QString::fromStdString(current.error().file).endsWith("00000001.slot"));
    QCOMPARE(generationFiles(dir), files);

    CHECK_OK(shard->removeGeneration(0));
    QCOMPARE(generationFiles(dir), (QStringList {"00000001.pack", "00000001.slot"}));
    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(countSlots(*ro).live, 100u);
}

void tst_Shard::duplicateKeysInDamagedShard()
{
    // Our writer never makes two live slots with one key, but a damaged shard
    // may hold them: readers see the first, and deleting it uncovers the next.
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const auto blobs = makeBlobs(28, {4, 5, 6, 7});
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {16, 4096});
        CHECK_OK(shard);
        for (const Blob &b : blobs)
            COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
        CHECK_OK(shard->flush());
    }
    // Slot 3 takes slot 1's key.
    QVERIFY(patchFile(dir + "/00000000.slot", 3 * 32, toByteArray(blobs[1].key.bytes())));

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->find(blobs[1].key), std::optional<uint32_t>(1));
    QVERIFY(!ro->exists(blobs[3].key));

    auto shard = Shard::openForWriting(str(dir));
    CHECK_OK(shard);
    QCOMPARE(shard->find(blobs[1].key), std::optional<uint32_t>(1));
    CHECK_ERROR(shard->compact(), ErrorKind::Corrupt); // copying one would lose the other
    COMPARE_OK(shard->remove(blobs[1].key), true);
    QCOMPARE(shard->find(blobs[1].key), std::optional<uint32_t>(3));
    auto got = shard->get(blobs[1].key);
    CHECK_OK(got);
    QCOMPARE(toByteArray(**got), blobs[3].data);
    COMPARE_OK(shard->remove(blobs[1].key), true);
    QVERIFY(!shard->exists(blobs[1].key));
}

void tst_Shard::failedWriteCommitsNothing()
{
    // A file size limit makes the kernel refuse writes past 64 KiB (EFBIG):
    // a disk that fills up in the middle of a batch of appends. Whatever
    // call reports the failure, the manifest must not commit the entry that
    // did not reach the pack, and the committed entries stay readable.
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const auto blobs = makeBlobs(101, {100, 100 * 1024});
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {128, 1u << 20});
        CHECK_OK(shard);
        COMPARE_OK(shard->append(blobs[0].key, bytesOf(blobs[0].data)), true);
        CHECK_OK(shard->flush());
    }
    const QByteArray mfBefore = readFile(dir + "/MF");

    rlimit old {};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
    const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limited = old;
    limited.rlim_cur = 64 * 1024;
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &limited), 0);
    bool failed = false;
    bool refusedAfterwards = true;
    {
        auto shard = Shard::openForWriting(str(dir));
        if (shard) {
            auto appended = shard->append(blobs[1].key, bytesOf(blobs[1].data));
            failed = !appended;
            if (!failed) {
                auto flushed = shard->flush();
                failed = !flushed;
                if (failed) {
                    // Nothing more may be written or committed by this Shard.
                    refusedAfterwards = !shard->flush() && !shard->remove(blobs[0].key)
                        && !shard->append(Key({9, 9, 9}), bytesOf(QByteArray("x")));
                }
            }
        }
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, oldHandler);

    QVERIFY2(failed, "a write past the file size limit did not fail");
    QVERIFY2(refusedAfterwards, "the shard kept writing after a failed write");
    QCOMPARE(readFile(dir + "/MF").toHex(), mfBefore.toHex());
    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->tableLen(), 1u);
    QString why;
    QVERIFY2(holdsExactly(*ro, {{blobs[0].key, blobs[0].data}}, &why), qPrintable(why));

    // Reopened without the limit, writing works again.
    auto shard = Shard::openForWriting(str(dir));
    CHECK_OK(shard);
    COMPARE_OK(shard->append(blobs[1].key, bytesOf(blobs[1].data)), true);
    CHECK_OK(shard->flush());
}

// ---------------------------------------------------------------------------
// The reference writer's defects

void tst_Shard::nextOffsetIgnoresTombstones_data()
{
    QTest::addColumn<QList<int>>("lens");
    QTest::addColumn<QList<int>>("deleted"); // indexes into lens

    QTest::newRow("A,B; delete A") << QList<int> {100, 50} << QList<int> {0};
    QTest::newRow("A,B; delete B (the last)") << QList<int> {100, 50} << QList<int> {1};
    QTest::newRow("A,B; delete both") << QList<int> {100, 50} << QList<int> {0, 1};
    QTest::newRow("five entries; delete the middle ones") << QList<int> {10, 20, 30, 40, 50} << QList<int> {1, 2, 3};
    QTest::newRow("empty entry after a deleted one") << QList<int> {10, 0, 30} << QList<int> {0, 2};
}

void tst_Shard::nextOffsetIgnoresTombstones()
{
    // The reference counts a tombstone's 0xFFFFFFFF + 0 as an end offset, so
    // after a reopen its next append wraps: it fails, then lands over live data.
    QFETCH(QList<int>, lens);
    QFETCH(QList<int>, deleted);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const auto blobs = makeBlobs(31, lens);
    std::map<Key, QByteArray> live;
    uint64_t liveEnd = 0;
    uint64_t offset = 0;
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {128, 65536});
        CHECK_OK(shard);
        for (qsizetype i = 0; i < lens.size(); ++i) {
            COMPARE_OK(shard->append(blobs[size_t(i)].key, bytesOf(blobs[size_t(i)].data)), true);
            offset += uint64_t(lens[i]);
            if (!deleted.contains(int(i))) {
                live[blobs[size_t(i)].key] = blobs[size_t(i)].data;
                liveEnd = offset;
            }
        }
        for (int d : deleted)
            COMPARE_OK(shard->remove(blobs[size_t(d)].key), true);
        CHECK_OK(shard->flush());
    }

    auto shard = Shard::openForWriting(str(dir));
    CHECK_OK(shard);
    QCOMPARE(shard->nextOffset(), liveEnd);
    const auto more = makeBlobs(32, {30, 0, 12});
    for (size_t i = 0; i < more.size(); ++i) {
        COMPARE_OK(shard->append(more[i].key, bytesOf(more[i].data)), true);
        const Entry e = shard->entry(uint32_t(lens.size() + qsizetype(i)));
        QCOMPARE(uint64_t(e.offset), liveEnd);
        liveEnd += uint64_t(more[i].data.size());
        live[more[i].key] = more[i].data;
    }
    CHECK_OK(shard->flush());

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QString why;
    QVERIFY2(holdsExactly(*ro, live, &why), qPrintable(why));
    QVERIFY2(liveRangesDisjoint(*ro, &why), qPrintable(why));
    QCOMPARE(ro->nextOffset(), liveEnd);
}

void tst_Shard::failedAppendChangesNothing_data()
{
    QTest::addColumn<uint>("tableSlots");
    QTest::addColumn<uint>("packSize");
    QTest::addColumn<QList<int>>("fill");
    QTest::addColumn<int>("failingLen");
    QTest::addColumn<int>("fittingLen"); // -1: nothing fits any more

    QTest::newRow("table full (4 slots)") << 4u << 4096u << QList<int> {1, 2, 3, 4} << 1 << -1;
    QTest::newRow("table full, empty entry refused too") << 4u << 4096u << QList<int> {1, 2, 3, 4} << 0 << -1;
    QTest::newRow("pack full (100 bytes)") << 16u << 100u << QList<int> {60} << 50 << 40;
    QTest::newRow("pack full by one byte") << 16u << 100u << QList<int> {60, 39} << 2 << 1;
    QTest::newRow("pack exactly full") << 16u << 100u << QList<int> {100} << 1 << 0;
    QTest::newRow("larger than the whole pack") << 16u << 100u << QList<int> {} << 101 << 100;
}

void tst_Shard::failedAppendChangesNothing()
{
    // The reference increments table_len even when the append fails, so its
    // next flush commits capacity+1 slots.
    QFETCH(uint, tableSlots);
    QFETCH(uint, packSize);
    QFETCH(QList<int>, fill);
    QFETCH(int, failingLen);
    QFETCH(int, fittingLen);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {tableSlots, packSize});
    CHECK_OK(shard);
    for (const Blob &b : makeBlobs(41, fill))
        COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
    CHECK_OK(shard->flush());

    const uint32_t tableLen = shard->tableLen();
    const uint64_t next = shard->nextOffset();
    const auto before = snapshotTree(dir);
    const auto extra = makeBlobs(42, {failingLen, failingLen});

    QVERIFY(!shard->hasSpace(uint64_t(failingLen)));
    for (const Blob &b : extra) { // twice: a failure must not set up the next one
        auto r = shard->append(b.key, bytesOf(b.data));
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Full);
        QVERIFY(!r.error().file.empty());
        QCOMPARE(shard->tableLen(), tableLen);
        QCOMPARE(shard->nextOffset(), next);
        QVERIFY(!shard->dirty());
        QVERIFY(!shard->exists(b.key));
    }
    QCOMPARE(snapshotTree(dir), before);

    CHECK_OK(shard->flush());
    QCOMPARE(activeTableLenOnDisk(dir), tableLen);
    QVERIFY(activeTableLenOnDisk(dir) <= tableSlots);

    { // closed first: a writer holds the shard's lock for its life
        Shard closing = std::move(*shard);
    }
    auto reopened = Shard::openForWriting(str(dir)); // refuses table_len > capacity
    CHECK_OK(reopened);
    QCOMPARE(reopened->tableLen(), tableLen);
    QCOMPARE(reopened->nextOffset(), next);
    if (fittingLen >= 0) {
        const auto fits = makeBlobs(43, {fittingLen});
        COMPARE_OK(reopened->append(fits[0].key, bytesOf(fits[0].data)), true);
        QCOMPARE(uint64_t(reopened->entry(tableLen).offset), next);
        QCOMPARE(reopened->nextOffset(), next + uint64_t(fittingLen));
    } else {
        CHECK_ERROR(reopened->append(extra[0].key, bytesOf(extra[0].data)), ErrorKind::Full);
    }
}

void tst_Shard::compactFullShardIntoSameSize_data()
{
    QTest::addColumn<int>("entries");
    QTest::addColumn<int>("deleted");

    QTest::newRow("full table, nothing deleted") << 16 << 0;
    QTest::newRow("full table, a quarter deleted") << 16 << 4;
    QTest::newRow("more than half full") << 9 << 0;
    QTest::newRow("exactly half full") << 8 << 0;
}

void tst_Shard::compactFullShardIntoSameSize()
{
    // The reference Copy wants capacity - srcLen >= live free slots in the
    // destination, so it refuses anything more than half full.
    QFETCH(int, entries);
    QFETCH(int, deleted);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {16, 16 * 64});
    CHECK_OK(shard);
    const auto blobs = makeBlobs(51, QList<int>(entries, 64));
    std::map<Key, QByteArray> live;
    for (const Blob &b : blobs) {
        COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
        live[b.key] = b.data;
    }
    CHECK_OK(shard->flush());
    for (int i = 0; i < deleted; ++i) {
        COMPARE_OK(shard->remove(blobs[size_t(i * 3)].key), true);
        live.erase(blobs[size_t(i * 3)].key);
    }
    CHECK_OK(shard->flush());

    auto result = shard->compact();
    CHECK_OK(result);
    QCOMPARE(result->entries, uint32_t(live.size()));
    QCOMPARE(shard->capacity(), 16u);
    QCOMPARE(shard->packSize(), uint64_t(16 * 64));

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(ro->generation(), 1u);
    QString why;
    QVERIFY2(holdsExactly(*ro, live, &why), qPrintable(why));
}

void tst_Shard::indexIsSelective()
{
    // The reference's bloom test says "maybe" for nearly every key and then
    // scans the table. Our lookups must be exact on a full default-size table.
    constexpr uint32_t kSlots = 32768;
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    std::mt19937_64 rng(61);
    std::vector<Key> present;
    present.reserve(kSlots);
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {kSlots, kSlots * 8});
        CHECK_OK(shard);
        for (uint32_t i = 0; i < kSlots; ++i) {
            const Key k = randomKey(rng);
            const QByteArray data = u64le(i);
            auto r = shard->append(k, bytesOf(data));
            if (!r || !*r)
                QFAIL(qPrintable(QStringLiteral("append %1: %2").arg(i).arg(QString::fromStdString(errorText(r)))));
            present.push_back(k);
        }
        CHECK_ERROR(shard->append(randomKey(rng), bytesOf(QByteArray("x"))), ErrorKind::Full);
        CHECK_OK(shard->flush());
        for (uint32_t i = 0; i < kSlots; i += 97)
            QCOMPARE(shard->find(present[i]), std::optional<uint32_t>(i));
    }

    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QCOMPARE(countSlots(*ro).live, kSlots);
    for (uint32_t i = 0; i < kSlots; ++i) {
        if (ro->find(present[i]) != std::optional<uint32_t>(i))
            QFAIL(qPrintable(QStringLiteral("present key of slot %1 not found there").arg(i)));
    }
    std::mt19937_64 absent(62);
    int falsePositives = 0;
    for (int i = 0; i < 100000; ++i)
        falsePositives += ro->exists(randomKey(absent)) ? 1 : 0;
    QCOMPARE(falsePositives, 0);
    // Keys one bit away from present ones: a filter keyed on a prefix or a
    // single word would call them present.
    for (uint32_t i = 0; i < kSlots; i += 7) {
        for (int word = 0; word < 3; ++word) {
            std::array<uint64_t, 3> w {present[i].word(0), present[i].word(1), present[i].word(2)};
            w[size_t(word)] ^= 1;
            if (ro->exists(Key(w)))
                QFAIL(qPrintable(QStringLiteral("neighbour of slot %1 (word %2) reported present").arg(i).arg(word)));
        }
    }

    // One entry per distinct live key: an index built from the table has as
    // many keys as the shard has live slots.
    KeyIndex index;
    for (uint32_t i = 0; i < ro->slotCount(); ++i)
        QVERIFY(index.insert(ro->entry(i).key, i));
    QCOMPARE(index.size(), size_t(countSlots(*ro).live));

    // Lookups are answered from the index, not by reading the table: a slot
    // changed on disk behind the open shard's back does not change the answer.
    // A scan would now miss present[5] and find the new key.
    const Key planted = randomKey(absent);
    QVERIFY(patchFile(dir + "/00000000.slot", 5 * 32, toByteArray(planted.bytes())));
    QCOMPARE(ro->entry(5).key, planted); // the mapping does see the change
    QCOMPARE(ro->find(present[5]), std::optional<uint32_t>(5));
    QVERIFY(!ro->exists(planted));
}

// ---------------------------------------------------------------------------
// Read-only

void tst_Shard::readOnlyOpenChangesNothing_data()
{
    QTest::addColumn<QString>("kind");

    QTest::newRow("basic (copy)") << "basic";
    QTest::newRow("compacted (copy)") << "compacted";
    QTest::newRow("tombstones (copy)") << "tombstones";
    QTest::newRow("empty (copy)") << "empty";
    QTest::newRow("tests/data/basic itself") << "in-place";
    QTest::newRow("ours, with uncommitted slots") << "uncommitted";
    QTest::newRow("ours, table_len > capacity") << "overlong";
    QTest::newRow("ours, never flushed (no MF)") << "no-mf";
}

void tst_Shard::readOnlyOpenChangesNothing()
{
    QFETCH(QString, kind);

    QTemporaryDir tmp;
    QString dir;
    if (kind == u"in-place") {
        dir = dataPath("basic");
    } else if (kind == u"uncommitted" || kind == u"overlong" || kind == u"no-mf") {
        dir = newShardDir(tmp);
        auto shard = Shard::hydrate(str(dir), ShardGeometry {8, 1024});
        CHECK_OK(shard);
        const auto blobs = makeBlobs(71, {10, 20, 30, 40, 50});
        for (size_t i = 0; i < blobs.size(); ++i) {
            COMPARE_OK(shard->append(blobs[i].key, bytesOf(blobs[i].data)), true);
            if (i == 2 && kind != u"no-mf")
                CHECK_OK(shard->flush());
        }
        if (kind == u"overlong")
            CHECK_OK(shard->flush());
    } else {
        dir = copyFixture(tmp.path(), kind);
    }
    if (kind == u"overlong") {
        // A reference manifest that says table_len = capacity + 1.
        const QByteArray mf = readFile(dir + "/MF");
        const int active = readU64(mf, 32) > readU64(mf, 0) ? 1 : 0;
        QVERIFY(patchFile(dir + "/MF", active * 32 + 12, u32le(9)));
    }
    // mtimes with a coarse clock may not move within one tick; this makes any
    // write visible even then.
    QTest::qWait(20);
    const auto before = snapshotTree(dir);

    {
        auto shard = Shard::openReadOnly(str(dir));
        CHECK_OK(shard);
        if (kind == u"overlong")
            QCOMPARE(shard->slotCount(), 8u);
        std::mt19937_64 rng(72);
        for (uint32_t i = 0; i < shard->capacity(); ++i) {
            const Entry e = shard->entry(i);
            if (i < shard->slotCount() && !e.isTombstone())
                CHECK_OK(shard->data(e));
            (void)shard->exists(e.key);
            (void)shard->get(e.key);
            (void)shard->exists(randomKey(rng));
        }
        QVERIFY(!dumpJson(*shard).empty());
        QVERIFY(!dumpText(*shard).empty());
        QVERIFY(!infoText(*shard).empty());
        (void)countSlots(*shard);
        (void)shard->hasSpace(1);
    }
    QCOMPARE(snapshotTree(dir), before);
}

// The reference writer leaves live entries that share pack bytes (quirk 1),
// and deletes leave gaps. Compaction reads the old pack in runs of entries
// that lie back to back; overlapping, out-of-order and far-apart ranges must
// each still arrive whole.
void tst_Shard::compactOverlappingAndScatteredEntries()
{
    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const auto blobs = makeBlobs(91, {300, 500, 700, 0, 900, 200000, 50});
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {16, 1 << 20});
        CHECK_OK(shard);
        for (const Blob &b : blobs)
            COMPARE_OK(shard->append(b.key, bytesOf(b.data)), true);
        CHECK_OK(shard->flush());
    }
    // Byte surgery: slot 1 now starts inside slot 0 (overlap), slot 2 ends
    // where slot 4 starts (out of order); slot 6 sits far past a gap.
    const QString table = dir + "/00000000.slot";
    QVERIFY(patchFile(table, 1 * 32 + 24, u32le(100)));
    QVERIFY(patchFile(table, 2 * 32 + 24, u32le(1500 + 200000)));
    QVERIFY(patchFile(table, 6 * 32 + 24, u32le(900000)));
    const QByteArray pack = readFile(dir + "/00000000.pack");
    std::map<Key, QByteArray> expected;
    {
        auto ro = Shard::openReadOnly(str(dir));
        CHECK_OK(ro);
        for (uint32_t i = 0; i < ro->slotCount(); ++i) {
            const Entry e = ro->entry(i);
            expected[e.key] = pack.mid(qsizetype(e.offset), qsizetype(e.len));
        }
    }
    auto shard = Shard::openForWriting(str(dir));
    CHECK_OK(shard);
    auto done = shard->compact();
    CHECK_OK(done);
    QCOMPARE(done->entries, uint32_t(blobs.size()));
    QString why;
    QVERIFY2(holdsExactly(*shard, expected, &why), qPrintable(why));
    auto reopened = Shard::openReadOnly(str(dir));
    CHECK_OK(reopened);
    QVERIFY2(holdsExactly(*reopened, expected, &why), qPrintable(why));
}

// ---------------------------------------------------------------------------
// Compaction's key sort, its duplicate check and the index it builds

namespace {

// How crafted keys are alike. Compaction sorts by the first 12 bits of word
// 0 into buckets, then each bucket on its own; keys alike in those bits (or
// more) fill one bucket.
enum class KeyShape {
    Random,
    Top12Shared, // the first 12 bits of word 0 equal
    Top40Shared, // the first 40 bits of word 0 equal
    Word0Shared, // word 0 equal, words 1 and 2 random
    Words01Shared, // word 0 equal, word 1 one of three values, word 2 random
    EdgeBuckets, // the first 12 bits 0x000, 0x7FF, 0x800 or 0xFFF
};

std::vector<Key> craftedKeys(KeyShape shape, int count, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::map<Key, int> seen;
    std::vector<Key> out;
    while (int(out.size()) < count) {
        std::array<uint64_t, 3> w {rng(), rng(), rng()};
        switch (shape) {
        case KeyShape::Random:
            break;
        case KeyShape::Top12Shared:
            w[0] = uint64_t(0xABC) << 52 | w[0] >> 12;
            break;
        case KeyShape::Top40Shared:
            w[0] = uint64_t(0xABCDEF1234) << 24 | w[0] >> 40;
            break;
        case KeyShape::Word0Shared:
            w[0] = 0x8000000000000001ull;
            break;
        case KeyShape::Words01Shared:
            w[0] = 0xFFF0000000000000ull;
            w[1] = w[1] % 3;
            break;
        case KeyShape::EdgeBuckets: {
            static constexpr uint64_t kTops[] = {0x000, 0x7FF, 0x800, 0xFFF};
            w[0] = kTops[w[2] % 4] << 52 | w[0] >> 12;
            break;
        }
        }
        const Key k(w);
        if (!k.isZero() && seen.emplace(k, 0).second)
            out.push_back(k);
    }
    return out;
}

// A slot as the table file holds it, decoded here from FORMAT.md alone.
struct RawSlot {
    std::array<uint64_t, 3> words {};
    uint32_t offset = 0;
    uint32_t len = 0;
};

std::vector<RawSlot> rawSlots(const QString &tableFile, uint32_t count)
{
    const QByteArray table = readFile(tableFile);
    std::vector<RawSlot> out;
    for (uint32_t i = 0; i < count && qsizetype(i + 1) * 32 <= table.size(); ++i) {
        const qsizetype at = qsizetype(i) * 32;
        out.push_back({{readU64(table, at), readU64(table, at + 8), readU64(table, at + 16)}, readU32(table, at + 24),
            readU32(table, at + 28)});
    }
    return out;
}

// A shard of one entry per key (data of i % 13 bytes), every tenth removed
// again; the live keys with their data. Empty on failure (QVERIFY reports).
std::map<Key, QByteArray> writeShardOfKeys(
    const QString &dir, const std::vector<Key> &keys, std::vector<Key> *removed = nullptr)
{
    std::map<Key, QByteArray> live;
    auto shard = Shard::hydrate(str(dir), ShardGeometry {8192, 1u << 20});
    if (!shard)
        return {};
    std::mt19937_64 rng(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
        const QByteArray data = randomData(rng, i % 13);
        auto added = shard->append(keys[i], bytesOf(data));
        if (!added || !*added)
            return {};
        live[keys[i]] = data;
    }
    if (!shard->flush())
        return {};
    for (size_t i = 5; i < keys.size(); i += 10) {
        auto gone = shard->remove(keys[i]);
        if (!gone || !*gone)
            return {};
        live.erase(keys[i]);
        if (removed)
            removed->push_back(keys[i]);
    }
    if (!shard->flush())
        return {};
    return live;
}

} // namespace

void tst_Shard::compactSortsCraftedKeys_data()
{
    QTest::addColumn<int>("shape");
    QTest::addColumn<int>("count");

    // 4096 entries and more take the bucket path, fewer one plain sort.
    QTest::newRow("random keys, 4095 (one sort)") << int(KeyShape::Random) << 4095;
    QTest::newRow("random keys, 4096 (buckets)") << int(KeyShape::Random) << 4096;
    QTest::newRow("random keys, 6000") << int(KeyShape::Random) << 6000;
    QTest::newRow("first 12 bits shared, 100 (one sort)") << int(KeyShape::Top12Shared) << 100;
    QTest::newRow("first 12 bits shared, 5000 (one bucket)") << int(KeyShape::Top12Shared) << 5000;
    QTest::newRow("first 40 bits shared, 5000") << int(KeyShape::Top40Shared) << 5000;
    QTest::newRow("word 0 shared, 5000") << int(KeyShape::Word0Shared) << 5000;
    QTest::newRow("words 0 and 1 shared in threes, 5000") << int(KeyShape::Words01Shared) << 5000;
    QTest::newRow("first, last and middle buckets, 5000") << int(KeyShape::EdgeBuckets) << 5000;
}

// The new table holds the live keys in strictly increasing order (word by
// word, unsigned), their bytes back to back from offset 0, read back from
// the table file's bytes; the shard answers every key with its data.
void tst_Shard::compactSortsCraftedKeys()
{
    QFETCH(int, shape);
    QFETCH(int, count);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const std::vector<Key> keys = craftedKeys(KeyShape(shape), count, uint64_t(shape * 1000 + count));
    const std::map<Key, QByteArray> live = writeShardOfKeys(dir, keys);
    QVERIFY(!live.empty());
    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        auto result = shard->compact();
        CHECK_OK(result);
        QCOMPARE(result->entries, uint32_t(live.size()));
    }

    const std::vector<RawSlot> written = rawSlots(dir + "/00000001.slot", uint32_t(live.size()));
    QCOMPARE(written.size(), live.size());
    QCOMPARE(activeTableLenOnDisk(dir), uint32_t(live.size()));
    uint64_t offset = 0;
    for (size_t i = 0; i < written.size(); ++i) {
        const RawSlot &s = written[i];
        if (i > 0 && !(written[i - 1].words < s.words))
            QFAIL(qPrintable(QStringLiteral("slots %1 and %2 are not in strict key order").arg(i - 1).arg(i)));
        const auto found = live.find(Key(s.words));
        if (found == live.end())
            QFAIL(qPrintable(QStringLiteral("slot %1 holds a key that is not live").arg(i)));
        QCOMPARE(s.len, uint32_t(found->second.size()));
        QCOMPARE(uint64_t(s.offset), offset);
        offset += s.len;
    }
    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QString why;
    QVERIFY2(holdsExactly(*ro, live, &why), qPrintable(why));
}

void tst_Shard::compactRefusesDuplicatedKey_data()
{
    QTest::addColumn<int>("entries");
    QTest::addColumn<QList<int>>("holders"); // slots given one key
    QTest::addColumn<QList<int>>("tombstones"); // of those, slots made tombstones that keep it
    QTest::addColumn<int>("first");
    QTest::addColumn<int>("second");

    QTest::newRow("two slots") << 8 << QList<int> {1, 3} << QList<int> {} << 1 << 3;
    QTest::newRow("first and last committed slot") << 30 << QList<int> {0, 29} << QList<int> {} << 0 << 29;
    QTest::newRow("three slots: the first two named") << 20 << QList<int> {15, 5, 9} << QList<int> {} << 5 << 9;
    QTest::newRow("a tombstone keeping the key before them")
        << 20 << QList<int> {2, 4, 7, 11} << QList<int> {2} << 4 << 7;
    QTest::newRow("a tombstone keeping the key between them") << 20 << QList<int> {3, 5, 8} << QList<int> {5} << 3 << 8;
    QTest::newRow("5000 entries (bucket path)") << 5000 << QList<int> {123, 4500} << QList<int> {} << 123 << 4500;
    QTest::newRow("5000 entries, slots next to each other")
        << 5000 << QList<int> {4998, 4997} << QList<int> {} << 4997 << 4998;
}

// Readers see only the first slot of a key, so copying would drop the
// others' bytes: compaction refuses with a Corrupt error that names the
// first two live slots holding the key and points at the second, and leaves
// the shard as it was.
void tst_Shard::compactRefusesDuplicatedKey()
{
    QFETCH(int, entries);
    QFETCH(QList<int>, holders);
    QFETCH(QList<int>, tombstones);
    QFETCH(int, first);
    QFETCH(int, second);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const std::vector<Key> keys = craftedKeys(KeyShape::Random, entries, uint64_t(entries) + 77);
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {8192, 1u << 20});
        CHECK_OK(shard);
        for (int i = 0; i < entries; ++i)
            COMPARE_OK(shard->append(keys[size_t(i)], bytesOf(QByteArray(i % 5 + 1, char('a' + i % 26)))), true);
        CHECK_OK(shard->flush());
    }
    // A key the shard does not hold yet, its first 12 bits those of many
    // others, written over the keys of the holding slots.
    const Key dup({keys[0].word(0) ^ 1, 42, 43});
    const QString table = dir + "/00000000.slot";
    for (const int slot : holders)
        QVERIFY(patchFile(table, qint64(slot) * 32, toByteArray(dup.bytes())));
    for (const int slot : tombstones)
        QVERIFY(patchFile(table, qint64(slot) * 32 + 24, u32le(0xFFFFFFFF)));
    const QStringList filesBefore = generationFiles(dir);
    const QByteArray mfBefore = readFile(dir + "/MF");

    auto shard = Shard::openForWriting(str(dir));
    CHECK_OK(shard);
    auto result = shard->compact();
    QVERIFY2(!result, "a shard with a duplicated key was compacted");
    QCOMPARE(result.error().kind, ErrorKind::Corrupt);
    QVERIFY2(QString::fromStdString(result.error().file).endsWith("/00000000.slot"), result.error().file.c_str());
    QCOMPARE(result.error().offset, std::optional<uint64_t>(uint64_t(second) * 32));
    const std::string named = "slots " + std::to_string(first) + " and " + std::to_string(second) + " ";
    QVERIFY2(result.error().message.find(named) != std::string::npos, result.error().message.c_str());
    QCOMPARE(shard->generation(), 0u);
    QCOMPARE(generationFiles(dir), filesBefore);
    QCOMPARE(readFile(dir + "/MF"), mfBefore);
}

void tst_Shard::compactedShardLooksUpAtOnce_data()
{
    QTest::addColumn<int>("shape");
    QTest::addColumn<int>("count");
    QTest::addColumn<bool>("lookedUpBefore"); // the old index was built before the compaction

    QTest::newRow("random keys, 5000") << int(KeyShape::Random) << 5000 << false;
    QTest::newRow("random keys, 5000, old index built") << int(KeyShape::Random) << 5000 << true;
    QTest::newRow("word 0 shared, 5000") << int(KeyShape::Word0Shared) << 5000 << false;
    QTest::newRow("random keys, 30") << int(KeyShape::Random) << 30 << true;
}

// The index compaction builds on its own thread is the shard's index right
// away: every key at its new slot, removed and never-written keys absent, and
// appends and removes after it see it.
void tst_Shard::compactedShardLooksUpAtOnce()
{
    QFETCH(int, shape);
    QFETCH(int, count);
    QFETCH(bool, lookedUpBefore);

    QTemporaryDir tmp;
    const QString dir = newShardDir(tmp);
    const std::vector<Key> keys = craftedKeys(KeyShape(shape), count, uint64_t(shape * 31 + count));
    std::vector<Key> removed;
    std::map<Key, QByteArray> live = writeShardOfKeys(dir, keys, &removed);
    QVERIFY(!live.empty());
    QVERIFY(!removed.empty());

    auto shard = Shard::openForWriting(str(dir));
    CHECK_OK(shard);
    if (lookedUpBefore)
        QVERIFY(shard->exists(live.begin()->first));
    CHECK_OK(shard->compact());

    // The new slots are the live keys in order: the map's order.
    uint32_t slot = 0;
    for (const auto &[key, data] : live) {
        QCOMPARE(shard->find(key), std::optional<uint32_t>(slot));
        auto got = shard->get(key);
        CHECK_OK(got);
        QVERIFY(got->has_value());
        QCOMPARE(toByteArray(**got), data);
        ++slot;
    }
    for (const Key &k : removed)
        QVERIFY2(!shard->exists(k), k.toHex().c_str());
    // Absent keys alike in everything but their last word, and random ones.
    std::mt19937_64 rng(99);
    for (const auto &[key, data] : live) {
        const Key near({key.word(0), key.word(1), key.word(2) + 1});
        if (!live.contains(near))
            QVERIFY2(!shard->find(near).has_value(), near.toHex().c_str());
    }
    for (int i = 0; i < 1000; ++i)
        QVERIFY(!shard->exists(randomKey(rng)));
    auto missing = shard->get(Key({1, 2, 3}));
    CHECK_OK(missing);
    QVERIFY(!missing->has_value());

    // Writes after the compaction go through the same index.
    const Key present = live.begin()->first;
    COMPARE_OK(shard->append(present, bytesOf(QByteArray("again"))), false);
    const Key fresh({0x0123456789ABCDEFull, 5, 6});
    QVERIFY(!live.contains(fresh));
    COMPARE_OK(shard->append(fresh, bytesOf(QByteArray("fresh"))), true);
    QCOMPARE(shard->find(fresh), std::optional<uint32_t>(uint32_t(live.size())));
    live[fresh] = "fresh";
    COMPARE_OK(shard->remove(present), true);
    QVERIFY(!shard->exists(present));
    live.erase(present);
    CHECK_OK(shard->flush());
    QString why;
    QVERIFY2(holdsExactly(*shard, live, &why), qPrintable(why));
    auto ro = Shard::openReadOnly(str(dir));
    CHECK_OK(ro);
    QVERIFY2(holdsExactly(*ro, live, &why), qPrintable(why));
}

QTEST_GUILESS_MAIN(tst_Shard)
#include "tst_shard.moc"
