// What our writer puts on disk, read back by a reader written from FORMAT.md
// alone (independent_reader.cpp shares no code with the storage library).
// The reader is first checked against the reference fixtures, so that a
// disagreement later points at the writer, not at the reader.
#include "test_support.h"

#include "independent_reader.h"
#include "shard.h"
#include "store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace shardscope;
using namespace testsupport;

namespace {

independent::KeyBytes keyBytes(const Key &k)
{
    independent::KeyBytes out;
    const auto b = k.bytes();
    std::copy(b.begin(), b.end(), out.begin());
    return out;
}

using LiveSet = std::map<independent::KeyBytes, QByteArray>;

LiveSet liveSetOf(const independent::ShardImage &image)
{
    LiveSet out;
    for (const auto &s : image.entries) {
        if (!s.tombstone && !out.contains(s.key))
            out[s.key] = toByteArray(s.data);
    }
    return out;
}

QString describeDifference(const LiveSet &actual, const LiveSet &expected)
{
    for (const auto &[k, d] : expected) {
        const auto it = actual.find(k);
        if (it == actual.end())
            return QStringLiteral("key %1 missing").arg(QString::fromStdString(independent::hex(k.data(), 24)));
        if (it->second != d)
            return QStringLiteral("key %1: %2 bytes on disk differ from the %3 written")
                .arg(QString::fromStdString(independent::hex(k.data(), 24)))
                .arg(it->second.size())
                .arg(d.size());
    }
    for (const auto &[k, d] : actual) {
        if (!expected.contains(k))
            return QStringLiteral("key %1 should not be live")
                .arg(QString::fromStdString(independent::hex(k.data(), 24)));
    }
    return {};
}

// Structural rules every shard our writer commits must keep.
QString checkInvariants(const independent::ShardImage &image)
{
    if (image.hasManifest && int(image.nonce & 1) != image.active)
        return QStringLiteral("active copy %1 holds nonce %2: out of A/B parity").arg(image.active).arg(image.nonce);
    if (image.tableLen > image.capacity)
        return QStringLiteral("table_len %1 exceeds capacity %2").arg(image.tableLen).arg(image.capacity);
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    std::map<independent::KeyBytes, uint32_t> seen;
    for (const auto &s : image.entries) {
        if (s.tombstone) {
            if (s.len != 0 || s.key != independent::KeyBytes {})
                return QStringLiteral("tombstone in slot %1 keeps its key or length").arg(s.index);
            continue;
        }
        if (!s.inPack)
            return QStringLiteral("slot %1 points outside the pack").arg(s.index);
        if (s.key == independent::KeyBytes {})
            return QStringLiteral("slot %1 is live with the zero key").arg(s.index);
        if (seen.contains(s.key))
            return QStringLiteral("slots %1 and %2 hold the same live key").arg(seen[s.key]).arg(s.index);
        seen[s.key] = s.index;
        if (s.len > 0)
            ranges.push_back({s.offset, uint64_t(s.offset) + s.len});
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].first < ranges[i - 1].second)
            return QStringLiteral("live pack ranges starting at %1 and %2 overlap")
                .arg(ranges[i - 1].first)
                .arg(ranges[i].first);
    }
    return {};
}

} // namespace

class tst_IndependentReader : public QObject
{
    Q_OBJECT

private slots:
    void readerAgreesWithReferenceFixtures_data();
    void readerAgreesWithReferenceFixtures();
    void readerAgreesWithReferenceStore();
    void freshShard();
    void flushesAlternateCopies();
    void deletesAndCompaction();
    void randomSequences_data();
    void randomSequences();
    void storePuts();
};

void tst_IndependentReader::readerAgreesWithReferenceFixtures_data()
{
    QTest::addColumn<QString>("name");
    for (const char *name : {"basic", "compacted", "empty", "tombstones"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void tst_IndependentReader::readerAgreesWithReferenceFixtures()
{
    QFETCH(QString, name);

    const QJsonObject expected = QJsonDocument::fromJson(readFile(dataPath(name + ".expect.json"))).object();
    independent::ShardImage image;
    std::string error;
    QVERIFY2(independent::readShard(str(dataPath(name)), image, error), error.c_str());

    QCOMPARE(qint64(image.gen), expected.value("gen").toInteger());
    QCOMPARE(qint64(image.nonce), expected.value("nonce").toInteger());
    QCOMPARE(qint64(image.tableLen), expected.value("table_len").toInteger());
    QCOMPARE(qint64(image.capacity), expected.value("capacity").toInteger());
    QCOMPARE(qint64(image.packSize), expected.value("pack_size").toInteger());
    const QJsonArray entries = expected.value("entries").toArray();
    QCOMPARE(qsizetype(image.entries.size()), entries.size());
    int live = 0, tombstones = 0;
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const QJsonObject e = entries[i].toObject();
        const auto &s = image.entries[size_t(i)];
        QCOMPARE(qint64(s.index), e.value("slot").toInteger());
        QCOMPARE(QString::fromStdString(independent::hex(s.key.data(), 24)), e.value("key").toString());
        QCOMPARE(qint64(s.offset), e.value("offset").toInteger());
        QCOMPARE(qint64(s.len), e.value("len").toInteger());
        QCOMPARE(s.tombstone, e.value("tombstone").toBool());
        if (s.tombstone) {
            ++tombstones;
            QVERIFY(!e.contains("sha256"));
        } else {
            ++live;
            QVERIFY(s.inPack);
            QCOMPARE(sha256Hex(std::span<const uint8_t>(s.data)), e.value("sha256").toString().toLatin1());
        }
    }
    QCOMPARE(live, expected.value("live").toInt());
    QCOMPARE(tombstones, expected.value("tombstones").toInt());
    // The reference's own shards: its copies are also placed by parity.
    QCOMPARE(checkInvariants(image), QString());
}

void tst_IndependentReader::readerAgreesWithReferenceStore()
{
    const QJsonArray blobs = QJsonDocument::fromJson(readFile(dataPath("store.expect.json"))).array();
    QCOMPARE(blobs.size(), 600);
    for (const QJsonValue &v : blobs) {
        const QJsonObject b = v.toObject();
        independent::Cid cid {};
        const QByteArray raw = QByteArray::fromHex(b.value("cid").toString().toLatin1());
        QCOMPARE(raw.size(), 32);
        std::copy(raw.begin(), raw.end(), cid.begin());
        std::optional<std::vector<uint8_t>> data;
        int depth = 0;
        std::string error;
        QVERIFY2(independent::storeGet(str(dataPath("store")), cid, data, depth, error), error.c_str());
        QVERIFY2(data.has_value(), qPrintable(b.value("cid").toString()));
        QCOMPARE(qint64(data->size()), b.value("len").toInteger());
        QCOMPARE(sha256Hex(std::span<const uint8_t>(*data)), b.value("sha256").toString().toLatin1());
    }
}

void tst_IndependentReader::freshShard()
{
    QTemporaryDir tmp;
    std::mt19937_64 rng(101);
    LiveSet expected;
    {
        auto shard = Shard::hydrate(str(tmp.path()), ShardGeometry {64, 8192});
        CHECK_OK(shard);
        for (int len : {0, 1, 31, 32, 33, 500, 0}) {
            const Key k = randomKey(rng);
            const QByteArray data = toByteArray(randomBytes(rng, size_t(len)));
            COMPARE_OK(shard->append(k, bytesOf(data)), true);
            expected[keyBytes(k)] = data;
        }
        CHECK_OK(shard->flush());
    }
    independent::ShardImage image;
    std::string error;
    QVERIFY2(independent::readShard(str(tmp.path()), image, error), error.c_str());
    QVERIFY(image.hasManifest);
    QCOMPARE(image.active, 1);
    QCOMPARE(image.nonce, uint64_t(1));
    QCOMPARE(image.copies[0].nonce, uint64_t(0));
    QCOMPARE(image.copies[0].tableLen, 0u);
    QCOMPARE(image.gen, 0u);
    QCOMPARE(image.tableLen, 7u);
    QCOMPARE(image.capacity, uint64_t(64));
    QCOMPARE(image.packSize, uint64_t(8192));
    QCOMPARE(describeDifference(liveSetOf(image), expected), QString());
    QCOMPARE(checkInvariants(image), QString());
    // Appended in order, packed in order.
    uint64_t offset = 0;
    for (const auto &s : image.entries) {
        QCOMPARE(uint64_t(s.offset), offset);
        offset += s.len;
    }
}

void tst_IndependentReader::flushesAlternateCopies()
{
    QTemporaryDir tmp;
    auto shard = Shard::hydrate(str(tmp.path()), ShardGeometry {64, 8192});
    CHECK_OK(shard);
    std::mt19937_64 rng(102);
    independent::ShardImage previous;
    for (uint32_t i = 1; i <= 6; ++i) {
        COMPARE_OK(shard->append(randomKey(rng), bytesOf(QByteArray::number(i))), true);
        CHECK_OK(shard->flush());
        independent::ShardImage image;
        std::string error;
        QVERIFY2(independent::readShard(str(tmp.path()), image, error), error.c_str());
        QCOMPARE(image.nonce, uint64_t(i));
        QCOMPARE(image.active, int(i & 1));
        QCOMPARE(image.tableLen, i);
        if (i > 1) {
            // The copy that was active before this save is exactly as it was.
            const int old = 1 - image.active;
            QCOMPARE(image.copies[old].nonce, previous.copies[old].nonce);
            QCOMPARE(image.copies[old].tableLen, previous.copies[old].tableLen);
            QCOMPARE(image.copies[old].tableLen, i - 1);
        }
        QCOMPARE(checkInvariants(image), QString());
        previous = image;
    }
}

void tst_IndependentReader::deletesAndCompaction()
{
    QTemporaryDir tmp;
    const QString dir = tmp.path();
    std::mt19937_64 rng(103);
    std::vector<std::pair<Key, QByteArray>> blobs;
    for (int i = 0; i < 30; ++i)
        blobs.push_back({randomKey(rng), toByteArray(randomBytes(rng, rng() % 100))});
    LiveSet expected;
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {64, 8192});
        CHECK_OK(shard);
        for (const auto &[k, d] : blobs) {
            COMPARE_OK(shard->append(k, bytesOf(d)), true);
            expected[keyBytes(k)] = d;
        }
        CHECK_OK(shard->flush());
        for (size_t i = 0; i < blobs.size(); i += 3) {
            COMPARE_OK(shard->remove(blobs[i].first), true);
            expected.erase(keyBytes(blobs[i].first));
        }
        CHECK_OK(shard->flush());
    }
    independent::ShardImage before;
    std::string error;
    QVERIFY2(independent::readShard(str(dir), before, error), error.c_str());
    QCOMPARE(describeDifference(liveSetOf(before), expected), QString());
    QCOMPARE(checkInvariants(before), QString());
    for (size_t i = 0; i < blobs.size(); i += 3) {
        const auto &s = before.entries[i];
        QVERIFY(s.tombstone);
        QCOMPARE(s.offset, 0xFFFFFFFFu);
        QCOMPARE(s.len, 0u);
        QCOMPARE(s.key, independent::KeyBytes {});
    }

    // After a reopen (where the reference's offsets wrap), and then a compaction.
    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        for (int i = 0; i < 5; ++i) {
            const Key k = randomKey(rng);
            const QByteArray d = toByteArray(randomBytes(rng, 40));
            COMPARE_OK(shard->append(k, bytesOf(d)), true);
            expected[keyBytes(k)] = d;
        }
        CHECK_OK(shard->flush());
        independent::ShardImage reopened;
        QVERIFY2(independent::readShard(str(dir), reopened, error), error.c_str());
        QCOMPARE(describeDifference(liveSetOf(reopened), expected), QString());
        QCOMPARE(checkInvariants(reopened), QString());
        CHECK_OK(shard->compact());
    }
    independent::ShardImage after;
    QVERIFY2(independent::readShard(str(dir), after, error), error.c_str());
    QCOMPARE(after.gen, 1u);
    QCOMPARE(after.tableLen, uint32_t(expected.size()));
    QCOMPARE(describeDifference(liveSetOf(after), expected), QString());
    QCOMPARE(checkInvariants(after), QString());
    uint64_t offset = 0;
    for (size_t i = 0; i < after.entries.size(); ++i) {
        QVERIFY(!after.entries[i].tombstone);
        if (i > 0)
            QVERIFY(independent::compareKeys(after.entries[i - 1].key, after.entries[i].key) < 0);
        QCOMPARE(uint64_t(after.entries[i].offset), offset);
        offset += after.entries[i].len;
    }
    // Generation 0 is still there, as it was.
    independent::ShardImage old;
    QVERIFY2(independent::readGeneration(str(dir), 0, before.tableLen + 5, old, error), error.c_str());
    QCOMPARE(describeDifference(liveSetOf(old), expected), QString());
}

void tst_IndependentReader::randomSequences_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<uint>("tableSlots");
    QTest::addColumn<uint>("packSize");
    QTest::addColumn<int>("steps");

    QTest::newRow("roomy shard") << quint64(1) << 256u << 65536u << 400;
    QTest::newRow("small table fills often") << quint64(2) << 16u << 65536u << 400;
    QTest::newRow("small pack fills often") << quint64(3) << 256u << 2048u << 400;
    QTest::newRow("tiny shard") << quint64(4) << 4u << 256u << 400;
    QTest::newRow("another seed") << quint64(5) << 64u << 8192u << 600;
}

void tst_IndependentReader::randomSequences()
{
    // A model of what must be on disk, driven through random appends, deletes,
    // flushes, reopens, crashes (the writer dropped without a flush) and
    // compactions. Deletes write their tombstone in place, so a delete of a
    // committed entry survives a crash; an unflushed append does not.
    QFETCH(quint64, seed);
    QFETCH(uint, tableSlots);
    QFETCH(uint, packSize);
    QFETCH(int, steps);

    QTemporaryDir tmp;
    const QString dir = tmp.path();
    std::mt19937_64 rng(seed);
    std::map<Key, QByteArray> pending; // what the open writer holds
    std::map<Key, QByteArray> committed; // what a reader of the disk must see
    uint32_t gen = 0;
    uint64_t lastNonce = 0;
    auto hydrated = Shard::hydrate(str(dir), ShardGeometry {tableSlots, packSize});
    CHECK_OK(hydrated);
    auto shard = std::make_unique<Shard>(std::move(*hydrated));

    auto verifyDisk = [&](const char *after, int step) -> QString {
        independent::ShardImage image;
        std::string error;
        if (!independent::readShard(str(dir), image, error))
            return QString::fromStdString(error);
        if (image.hasManifest && image.gen != gen)
            return QStringLiteral("generation %1, expected %2").arg(image.gen).arg(gen);
        if (image.nonce < lastNonce)
            return QStringLiteral("nonce went back from %1 to %2").arg(lastNonce).arg(image.nonce);
        lastNonce = image.nonce;
        LiveSet expected;
        for (const auto &[k, d] : committed)
            expected[keyBytes(k)] = d;
        QString diff = describeDifference(liveSetOf(image), expected);
        if (diff.isEmpty())
            diff = checkInvariants(image);
        return diff.isEmpty() ? diff : QStringLiteral("step %1, after %2: %3").arg(step).arg(after, diff);
    };

    for (int step = 0; step < steps; ++step) {
        const int op = int(rng() % 100);
        if (op < 50) {
            const Key k = randomKey(rng);
            const QByteArray d = toByteArray(randomBytes(rng, rng() % 4 == 0 ? 0 : rng() % 200));
            auto r = shard->append(k, bytesOf(d));
            if (r) {
                QVERIFY(*r);
                pending[k] = d;
            } else {
                QCOMPARE(r.error().kind, ErrorKind::Full);
            }
        } else if (op < 65) {
            if (pending.empty())
                continue;
            auto it = pending.begin();
            std::advance(it, rng() % pending.size());
            const Key k = it->first;
            COMPARE_OK(shard->remove(k), true);
            pending.erase(k);
            committed.erase(k);
        } else if (op < 80) {
            CHECK_OK(shard->flush());
            committed = pending;
            const QString problem = verifyDisk("flush", step);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        } else if (op < 87) {
            // A reader looking while the writer is open sees only commits.
            const QString problem = verifyDisk("a look mid-session", step);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        } else if (op < 92) {
            CHECK_OK(shard->flush());
            committed = pending;
            shard.reset();
            auto reopened = Shard::openForWriting(str(dir));
            CHECK_OK(reopened);
            shard = std::make_unique<Shard>(std::move(*reopened));
        } else if (op < 96) {
            shard.reset(); // crash: unflushed appends are lost
            pending = committed;
            auto reopened = Shard::openForWriting(str(dir));
            CHECK_OK(reopened);
            shard = std::make_unique<Shard>(std::move(*reopened));
            const QString problem = verifyDisk("a crash", step);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        } else {
            CHECK_OK(shard->flush());
            committed = pending;
            const uint32_t oldGen = gen;
            CHECK_OK(shard->compact());
            ++gen;
            QString problem = verifyDisk("compaction", step);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
            independent::ShardImage image;
            std::string error;
            QVERIFY(independent::readShard(str(dir), image, error));
            for (size_t i = 1; i < image.entries.size(); ++i)
                QVERIFY(independent::compareKeys(image.entries[i - 1].key, image.entries[i].key) < 0);
            CHECK_OK(shard->removeGeneration(oldGen));
            QVERIFY(!QFile::exists(dir + QStringLiteral("/%1.slot").arg(oldGen, 8, 16, QLatin1Char('0'))));
        }
    }
    CHECK_OK(shard->flush());
    committed = pending;
    const QString problem = verifyDisk("the final flush", steps);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

void tst_IndependentReader::storePuts()
{
    QTemporaryDir tmp;
    const QString root = tmp.path();
    {
        auto rootShard = Shard::hydrate(str(root), ShardGeometry {4, 4096});
        CHECK_OK(rootShard);
        CHECK_OK(rootShard->flush());
    }
    std::mt19937_64 rng(104);
    std::vector<std::pair<ContentId, QByteArray>> blobs;
    auto store = Store::open(str(root), Store::Access::ReadWrite);
    CHECK_OK(store);
    for (int i = 0; i < 120; ++i) {
        ContentId cid {};
        for (auto &b : cid)
            b = uint8_t(rng());
        if (i % 5 == 0)
            cid[0] = 0x33; // a crowded path, to get deeper levels
        blobs.push_back({cid, toByteArray(randomBytes(rng, rng() % 300))});
        COMPARE_OK(store->put(cid, bytesOf(blobs.back().second)), true);
    }
    int deepest = 0;
    for (const auto &[cid, data] : blobs) {
        independent::Cid c;
        std::copy(cid.begin(), cid.end(), c.begin());
        std::optional<std::vector<uint8_t>> got;
        int depth = 0;
        std::string error;
        QVERIFY2(independent::storeGet(str(root), c, got, depth, error), error.c_str());
        QVERIFY2(got.has_value(), qPrintable(QString::fromStdString(toHex(cid))));
        QCOMPARE(toByteArray(*got), data);
        auto where = store->locate(cid);
        CHECK_OK(where);
        QCOMPARE(depth, (*where)->depth);
        deepest = std::max(deepest, depth);
    }
    QVERIFY(deepest >= 2);

    // Removed blobs are gone for the independent reader too.
    for (size_t i = 0; i < blobs.size(); i += 4)
        COMPARE_OK(store->remove(blobs[i].first), true);
    for (size_t i = 0; i < blobs.size(); ++i) {
        independent::Cid c;
        std::copy(blobs[i].first.begin(), blobs[i].first.end(), c.begin());
        std::optional<std::vector<uint8_t>> got;
        int depth = 0;
        std::string error;
        QVERIFY2(independent::storeGet(str(root), c, got, depth, error), error.c_str());
        QCOMPARE(got.has_value(), i % 4 != 0);
    }
}

QTEST_GUILESS_MAIN(tst_IndependentReader)
#include "tst_independent_reader.moc"
