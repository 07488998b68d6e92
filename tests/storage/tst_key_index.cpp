// KeyIndex: the open-addressing table behind Shard::find. Deletion uses
// backward shifting, which is where such tables usually go wrong: a hole left
// in a probe run hides every key stored after it.
#include "test_support.h"

#include "key_index.h"

#include <QTest>

#include <algorithm>
#include <map>
#include <random>

using namespace shardscope;
using namespace testsupport;

namespace {

// Keys whose hashes agree in the low `bits` bits share a home bucket in every
// table of up to 2^bits buckets, whatever size the index has grown to.
std::vector<Key> keysWithHomeBits(size_t lowBits, int bits, size_t count, uint64_t seed)
{
    const size_t mask = (size_t(1) << bits) - 1;
    std::mt19937_64 rng(seed);
    std::vector<Key> out;
    while (out.size() < count) {
        const Key k = randomKey(rng);
        if ((KeyHash {}(k)&mask) == (lowBits & mask))
            out.push_back(k);
    }
    return out;
}

// Every key of the model is found at its slot, and every other probe key is absent.
bool matchesModel(
    const KeyIndex &index, const std::map<Key, uint32_t> &model, const std::vector<Key> &probes, QString *why)
{
    if (index.size() != model.size()) {
        *why = QStringLiteral("size %1, model %2").arg(index.size()).arg(model.size());
        return false;
    }
    for (const auto &[k, slot] : model) {
        const auto found = index.find(k);
        if (!found || *found != slot) {
            *why = QStringLiteral("key %1: found %2, expected slot %3")
                       .arg(QString::fromStdString(k.toHex()))
                       .arg(found ? QString::number(*found) : QStringLiteral("nothing"))
                       .arg(slot);
            return false;
        }
    }
    for (const Key &k : probes) {
        if (model.contains(k))
            continue;
        if (const auto found = index.find(k)) {
            *why = QStringLiteral("absent key %1 found at slot %2").arg(QString::fromStdString(k.toHex())).arg(*found);
            return false;
        }
    }
    return true;
}

} // namespace

class tst_KeyIndex : public QObject
{
    Q_OBJECT

private slots:
    void emptyIndex();
    void insertFindErase();
    void insertExistingKeepsFirstSlot();
    void eraseAbsentIsHarmless();
    void clearEmpties();
    void reserveKeepsContents();
    void randomAgainstModel_data();
    void randomAgainstModel();
    void eraseInsideProbeChains_data();
    void eraseInsideProbeChains();
    void churnOnCollidingKeys();
};

void tst_KeyIndex::emptyIndex()
{
    KeyIndex index;
    QCOMPARE(index.size(), size_t(0));
    QVERIFY(!index.find(Key({1, 2, 3})));
    index.erase(Key({1, 2, 3}));
    QCOMPARE(index.size(), size_t(0));
}

void tst_KeyIndex::insertFindErase()
{
    KeyIndex index;
    const Key a({1, 0, 0}), b({0, 1, 0}), c({0, 0, 1});
    QVERIFY(index.insert(a, 10));
    QVERIFY(index.insert(b, 20));
    QVERIFY(index.insert(c, 0)); // slot 0 must not read as "empty bucket"
    QCOMPARE(index.size(), size_t(3));
    QCOMPARE(index.find(a), std::optional<uint32_t>(10));
    QCOMPARE(index.find(b), std::optional<uint32_t>(20));
    QCOMPARE(index.find(c), std::optional<uint32_t>(0));

    index.erase(b);
    QCOMPARE(index.size(), size_t(2));
    QVERIFY(!index.find(b));
    QCOMPARE(index.find(a), std::optional<uint32_t>(10));
    QCOMPARE(index.find(c), std::optional<uint32_t>(0));

    QVERIFY(index.insert(b, 30));
    QCOMPARE(index.find(b), std::optional<uint32_t>(30));

    // The largest slot number a table can have.
    const Key d({7, 7, 7});
    QVERIFY(index.insert(d, 0xFFFFFFFEu));
    QCOMPARE(index.find(d), std::optional<uint32_t>(0xFFFFFFFEu));
}

void tst_KeyIndex::insertExistingKeepsFirstSlot()
{
    KeyIndex index;
    const Key k({42, 43, 44});
    QVERIFY(index.insert(k, 5));
    QVERIFY(!index.insert(k, 9));
    QCOMPARE(index.size(), size_t(1));
    QCOMPARE(index.find(k), std::optional<uint32_t>(5));

    // Still the first slot after the table has grown around it.
    std::mt19937_64 rng(1);
    for (uint32_t i = 0; i < 1000; ++i)
        QVERIFY(index.insert(randomKey(rng), 100 + i));
    QVERIFY(!index.insert(k, 11));
    QCOMPARE(index.find(k), std::optional<uint32_t>(5));
    QCOMPARE(index.size(), size_t(1001));

    index.erase(k);
    QVERIFY(index.insert(k, 9));
    QCOMPARE(index.find(k), std::optional<uint32_t>(9));
}

void tst_KeyIndex::eraseAbsentIsHarmless()
{
    KeyIndex index;
    std::mt19937_64 rng(2);
    std::map<Key, uint32_t> model;
    std::vector<Key> keys;
    for (uint32_t i = 0; i < 200; ++i) {
        keys.push_back(randomKey(rng));
        index.insert(keys.back(), i);
        model[keys.back()] = i;
    }
    for (int i = 0; i < 200; ++i)
        index.erase(randomKey(rng));
    QString why;
    QVERIFY2(matchesModel(index, model, keys, &why), qPrintable(why));
}

void tst_KeyIndex::clearEmpties()
{
    KeyIndex index;
    std::mt19937_64 rng(3);
    std::vector<Key> keys;
    for (uint32_t i = 0; i < 100; ++i) {
        keys.push_back(randomKey(rng));
        index.insert(keys.back(), i);
    }
    index.clear();
    QCOMPARE(index.size(), size_t(0));
    for (const Key &k : keys)
        QVERIFY(!index.find(k));
    QVERIFY(index.insert(keys[0], 77));
    QCOMPARE(index.find(keys[0]), std::optional<uint32_t>(77));
}

void tst_KeyIndex::reserveKeepsContents()
{
    KeyIndex index;
    std::mt19937_64 rng(4);
    std::map<Key, uint32_t> model;
    std::vector<Key> keys;
    for (uint32_t i = 0; i < 50; ++i) {
        keys.push_back(randomKey(rng));
        index.insert(keys.back(), i);
        model[keys.back()] = i;
    }
    index.reserve(100000);
    index.reserve(10); // smaller than now: must not shrink or lose anything
    QString why;
    QVERIFY2(matchesModel(index, model, keys, &why), qPrintable(why));
}

void tst_KeyIndex::randomAgainstModel_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("operations");
    QTest::addColumn<int>("keySpace"); // distinct keys the operations draw from
    QTest::addColumn<int>("keyShape"); // 0 random, 1 differ in word 2 only, 2 differ in word 0's top byte and word 1

    QTest::newRow("tiny key space, heavy reuse") << quint64(11) << 20000 << 16 << 0;
    QTest::newRow("small key space") << quint64(12) << 20000 << 300 << 0;
    QTest::newRow("large key space") << quint64(13) << 60000 << 40000 << 0;
    QTest::newRow("sequential keys in word 2") << quint64(14) << 30000 << 2000 << 1;
    QTest::newRow("keys in top byte of word 0 and word 1") << quint64(15) << 30000 << 2000 << 2;
}

void tst_KeyIndex::randomAgainstModel()
{
    QFETCH(quint64, seed);
    QFETCH(int, operations);
    QFETCH(int, keySpace);
    QFETCH(int, keyShape);

    std::mt19937_64 rng(seed);
    std::vector<Key> space;
    for (int i = 0; i < keySpace; ++i) {
        switch (keyShape) {
        case 1:
            space.push_back(Key({0, 0, uint64_t(i + 1)}));
            break;
        case 2:
            space.push_back(Key({uint64_t(i % 256) << 56, uint64_t(i / 256 + 1), 0}));
            break;
        default:
            space.push_back(randomKey(rng));
        }
    }

    KeyIndex index;
    std::map<Key, uint32_t> model;
    for (int op = 0; op < operations; ++op) {
        const Key &k = space[size_t(rng() % space.size())];
        const int what = int(rng() % 10);
        if (what < 6) {
            const uint32_t slot = uint32_t(rng() % 1000000);
            const bool inserted = index.insert(k, slot);
            QCOMPARE(inserted, !model.contains(k));
            model.try_emplace(k, slot);
        } else if (what < 9) {
            index.erase(k);
            model.erase(k);
        } else {
            const auto found = index.find(k);
            const auto it = model.find(k);
            QCOMPARE(found, it == model.end() ? std::optional<uint32_t>() : std::optional<uint32_t>(it->second));
        }
        QCOMPARE(index.size(), model.size());
        if (op % 2500 == 0 || op == operations - 1) {
            QString why;
            QVERIFY2(matchesModel(index, model, space, &why),
                qPrintable(QStringLiteral("after op %1: %2").arg(op).arg(why)));
        }
    }
}

void tst_KeyIndex::eraseInsideProbeChains_data()
{
    QTest::addColumn<quint64>("homeBits"); // the low hash bits all chain keys share
    QTest::addColumn<int>("chainLength");
    QTest::addColumn<QList<int>>("eraseOrder"); // indexes into the chain; -1 ends

    // The index starts at 16 buckets and keeps the load at most one half, so
    // 7 keys with one home fill a single run; 12 bits keep them colliding
    // through growth to 4096 buckets.
    QTest::newRow("erase head of chain") << quint64(0x155) << 7 << QList<int> {0};
    QTest::newRow("erase middle of chain") << quint64(0x155) << 7 << QList<int> {3};
    QTest::newRow("erase tail of chain") << quint64(0x155) << 7 << QList<int> {6};
    QTest::newRow("erase every other") << quint64(0x155) << 7 << QList<int> {1, 3, 5};
    QTest::newRow("erase middle, long chain after growth")
        << quint64(0x2aa) << 200 << QList<int> {100, 50, 150, 0, 199};
    // Home in the last bucket of any table up to 4096 buckets: the run wraps
    // around to bucket 0, where the backward shift must compare cyclically.
    QTest::newRow("wrapping chain: erase head") << quint64(0xfff) << 7 << QList<int> {0};
    QTest::newRow("wrapping chain: erase middle") << quint64(0xfff) << 7 << QList<int> {2, 4};
    QTest::newRow("wrapping chain, grown: erase many") << quint64(0xfff) << 60 << QList<int> {0, 59, 30, 31, 1, 2, 45};
}

void tst_KeyIndex::eraseInsideProbeChains()
{
    QFETCH(quint64, homeBits);
    QFETCH(int, chainLength);
    QFETCH(QList<int>, eraseOrder);

    const std::vector<Key> chain = keysWithHomeBits(size_t(homeBits), 12, size_t(chainLength), homeBits * 31 + 1);
    // Keys homed right after the chain and at bucket 0: the chain displaces
    // them, and erasing from the chain must not lose them.
    const std::vector<Key> neighbours = keysWithHomeBits(size_t(homeBits + 1), 12, 2, homeBits * 31 + 2);
    const std::vector<Key> atZero = keysWithHomeBits(0, 12, 2, homeBits * 31 + 3);

    KeyIndex index;
    std::map<Key, uint32_t> model;
    std::vector<Key> all;
    uint32_t slot = 0;
    // Interleave so that neighbours sit inside the chain's run.
    for (size_t i = 0; i < chain.size(); ++i) {
        index.insert(chain[i], slot);
        model[chain[i]] = slot++;
        all.push_back(chain[i]);
        if (i == 1 || i == 3) {
            const Key &n = i == 1 ? neighbours[0] : atZero[0];
            index.insert(n, slot);
            model[n] = slot++;
            all.push_back(n);
        }
    }
    for (const Key &n : {neighbours[1], atZero[1]}) {
        index.insert(n, slot);
        model[n] = slot++;
        all.push_back(n);
    }

    QString why;
    QVERIFY2(matchesModel(index, model, all, &why), qPrintable(why));
    for (int e : eraseOrder) {
        index.erase(chain[size_t(e)]);
        model.erase(chain[size_t(e)]);
        QVERIFY2(matchesModel(index, model, all, &why),
            qPrintable(QStringLiteral("after erasing chain[%1]: %2").arg(e).arg(why)));
    }
    // Erased keys go back in and are found at their new slots.
    for (int e : eraseOrder) {
        QVERIFY(index.insert(chain[size_t(e)], 5000 + uint32_t(e)));
        model[chain[size_t(e)]] = 5000 + uint32_t(e);
    }
    QVERIFY2(matchesModel(index, model, all, &why), qPrintable(why));
}

void tst_KeyIndex::churnOnCollidingKeys()
{
    // Many inserts and erases on keys that pile onto few home buckets: every
    // erase happens inside some long run.
    std::vector<Key> space;
    for (size_t home : {0x000, 0x001, 0x7fe, 0x7ff, 0xfff})
        for (const Key &k : keysWithHomeBits(home, 12, 40, home + 99))
            space.push_back(k);
    std::mt19937_64 rng(77);
    KeyIndex index;
    std::map<Key, uint32_t> model;
    for (int op = 0; op < 40000; ++op) {
        const Key &k = space[size_t(rng() % space.size())];
        if (rng() % 2) {
            const uint32_t s = uint32_t(op);
            QCOMPARE(index.insert(k, s), !model.contains(k));
            model.try_emplace(k, s);
        } else {
            index.erase(k);
            model.erase(k);
        }
        if (op % 500 == 0) {
            QString why;
            QVERIFY2(matchesModel(index, model, space, &why), qPrintable(QStringLiteral("op %1: %2").arg(op).arg(why)));
        }
    }
    QString why;
    QVERIFY2(matchesModel(index, model, space, &why), qPrintable(why));
}

QTEST_GUILESS_MAIN(tst_KeyIndex)
#include "tst_key_index.moc"
