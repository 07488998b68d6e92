// Key: 24 bytes read as three little-endian u64 words; ordering and hashing
// must follow the words, not the bytes, or sorted compaction output and the
// index disagree with the reference.
#include "test_support.h"

#include "key.h"

#include <QTest>

#include <algorithm>
#include <set>

using namespace shardscope;
using namespace testsupport;

namespace {
Key keyFromBytes(std::initializer_list<std::pair<int, uint8_t>> setBytes)
{
    std::array<uint8_t, Key::kSize> raw {};
    for (auto [i, v] : setBytes)
        raw[size_t(i)] = v;
    return Key::fromBytes(raw);
}
} // namespace

class tst_Key : public QObject
{
    Q_OBJECT

private slots:
    void hexRoundTrip_data();
    void hexRoundTrip();
    void fromHexRejects_data();
    void fromHexRejects();
    void wordsAreLittleEndian();
    void ordering_data();
    void ordering();
    void sortOrderFollowsWords();
    void isZero_data();
    void isZero();
    void hashDiffersInEachWord_data();
    void hashDiffersInEachWord();
    void hashSpreadsLowBitsForWord2Sequences();
};

void tst_Key::hexRoundTrip_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("canonical");

    QTest::newRow("zero key") << QByteArray(48, '0') << QByteArray(48, '0');
    QTest::newRow("all ff") << QByteArray(48, 'f') << QByteArray(48, 'f');
    QTest::newRow("fixture key (basic slot 0)") << QByteArray("3697a742f2a3d5631d6a4ed52af7960e811f890acc9b7e48")
                                                << QByteArray("3697a742f2a3d5631d6a4ed52af7960e811f890acc9b7e48");
    QTest::newRow("upper case accepted, lower case out")
        << QByteArray("3697A742F2A3D5631D6A4ED52AF7960E811F890ACC9B7E48")
        << QByteArray("3697a742f2a3d5631d6a4ed52af7960e811f890acc9b7e48");
    QTest::newRow("mixed case") << QByteArray("0a0B0c0D0e0F101112131415161718191a1B1c1D1e1F2021")
                                << QByteArray("0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021");
}

void tst_Key::hexRoundTrip()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, canonical);

    const auto key = Key::fromHex(std::string_view(input.constData(), size_t(input.size())));
    QVERIFY(key.has_value());
    QCOMPARE(QByteArray::fromStdString(key->toHex()), canonical);

    // The bytes must be the hex digits' bytes, in order.
    const auto bytes = key->bytes();
    QCOMPARE(toByteArray(bytes).toHex(), canonical);
    QCOMPARE(Key::fromBytes(bytes), *key);

    std::array<uint8_t, Key::kSize> out {};
    key->toBytes(out.data());
    QCOMPARE(out, bytes);
}

void tst_Key::fromHexRejects_data()
{
    QTest::addColumn<QByteArray>("input");

    const QByteArray good("3697a742f2a3d5631d6a4ed52af7960e811f890acc9b7e48");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("47 digits") << good.left(47);
    QTest::newRow("46 digits (23 bytes)") << good.left(46);
    QTest::newRow("49 digits") << good + "0";
    QTest::newRow("50 digits (25 bytes)") << good + "00";
    QTest::newRow("64 digits (a content ID)") << QByteArray(64, 'a');
    QByteArray g = good;
    g[10] = 'g';
    QTest::newRow("non-hex letter g") << g;
    QByteArray sp = good;
    sp[0] = ' ';
    QTest::newRow("leading space") << sp;
    QTest::newRow("0x prefix") << "0x" + good.left(46);
    QByteArray minus = good;
    minus[47] = '-';
    QTest::newRow("minus sign") << minus;
    QByteArray nul = good;
    nul[20] = '\0';
    QTest::newRow("embedded NUL") << nul;
    QByteArray high = good;
    high[5] = char(0xC3);
    QTest::newRow("non-ASCII byte") << high;
    QByteArray colon = good;
    colon[31] = ':'; // the character after '9' in ASCII
    QTest::newRow("colon (just past '9')") << colon;
    QByteArray at = good;
    at[31] = '@'; // the character before 'A'
    QTest::newRow("at sign (just before 'A')") << at;
}

void tst_Key::fromHexRejects()
{
    QFETCH(QByteArray, input);
    QVERIFY(!Key::fromHex(std::string_view(input.constData(), size_t(input.size()))).has_value());
}

void tst_Key::wordsAreLittleEndian()
{
    const auto key = Key::fromHex("0102030405060708"
                                  "1112131415161718"
                                  "2122232425262728");
    QVERIFY(key);
    QCOMPARE(key->word(0), 0x0807060504030201ull);
    QCOMPARE(key->word(1), 0x1817161514131211ull);
    QCOMPARE(key->word(2), 0x2827262524232221ull);

    const Key fromWords({0x0807060504030201ull, 0x1817161514131211ull, 0x2827262524232221ull});
    QCOMPARE(fromWords, *key);
}

void tst_Key::ordering_data()
{
    QTest::addColumn<Key>("a");
    QTest::addColumn<Key>("b");
    QTest::addColumn<int>("expected"); // compareKeys(a, b)

    QTest::newRow("equal keys") << keyFromBytes({{0, 5}, {23, 9}}) << keyFromBytes({{0, 5}, {23, 9}}) << 0;
    QTest::newRow("differ only in word 2 (byte 16)")
        << keyFromBytes({{0, 1}, {16, 1}}) << keyFromBytes({{0, 1}, {16, 2}}) << -1;
    QTest::newRow("differ only in word 2 (top byte 23)")
        << keyFromBytes({{0, 1}, {23, 0x80}}) << keyFromBytes({{0, 1}, {16, 0xff}}) << 1;
    QTest::newRow("differ only in word 1") << keyFromBytes({{8, 3}}) << keyFromBytes({{8, 2}}) << 1;
    // Byte 7 is the most significant byte of word 0: it outranks byte 0
    // although byte 0 comes first in the file.
    QTest::newRow("byte 7 larger, byte 0 smaller") << keyFromBytes({{0, 1}, {7, 1}}) << keyFromBytes({{0, 2}}) << 1;
    QTest::newRow("byte 0 larger, byte 7 smaller") << keyFromBytes({{0, 0xff}}) << keyFromBytes({{7, 1}}) << -1;
    QTest::newRow("word 0 outranks words 1 and 2")
        << keyFromBytes({{0, 2}}) << keyFromBytes({{0, 1}, {8, 0xff}, {15, 0xff}, {16, 0xff}, {23, 0xff}}) << 1;
    QTest::newRow("word 1 outranks word 2") << keyFromBytes({{9, 1}}) << keyFromBytes({{8, 0xff}, {23, 0xff}}) << 1;
    QTest::newRow("unsigned: top bit set is larger") << keyFromBytes({{7, 0x80}}) << keyFromBytes({{7, 0x7f}}) << 1;
    QTest::newRow("zero key is smallest") << Key() << keyFromBytes({{23, 1}}) << -1;
}

void tst_Key::ordering()
{
    QFETCH(Key, a);
    QFETCH(Key, b);
    QFETCH(int, expected);

    QCOMPARE(compareKeys(a, b), expected);
    QCOMPARE(compareKeys(b, a), -expected);
    QCOMPARE(a < b, expected < 0);
    QCOMPARE(a > b, expected > 0);
    QCOMPARE(a == b, expected == 0);
    QCOMPARE(a != b, expected != 0);
}

void tst_Key::sortOrderFollowsWords()
{
    // Sorting keys must give the same order as sorting their word triples.
    std::mt19937_64 rng(7);
    std::vector<Key> keys;
    for (int i = 0; i < 2000; ++i) {
        // Few distinct word values, so ties in word 0 and word 1 are common.
        keys.push_back(Key({rng() % 4 << 56 | rng() % 3, rng() % 3, rng() % 5 << 60}));
    }
    std::vector<Key> sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::array<uint64_t, 3>> words;
    for (const Key &k : keys)
        words.push_back({k.word(0), k.word(1), k.word(2)});
    std::sort(words.begin(), words.end());
    for (size_t i = 0; i < keys.size(); ++i)
        QCOMPARE(sorted[i], Key(words[i]));
}

void tst_Key::isZero_data()
{
    QTest::addColumn<Key>("key");
    QTest::addColumn<bool>("zero");

    QTest::newRow("default") << Key() << true;
    QTest::newRow("from 48 zero digits") << *Key::fromHex(std::string(48, '0')) << true;
    QTest::newRow("byte 0 set") << keyFromBytes({{0, 1}}) << false;
    QTest::newRow("byte 23 set (word 2 only)") << keyFromBytes({{23, 0x80}}) << false;
    QTest::newRow("byte 12 set (word 1 only)") << keyFromBytes({{12, 4}}) << false;
}

void tst_Key::isZero()
{
    QFETCH(Key, key);
    QFETCH(bool, zero);
    QCOMPARE(key.isZero(), zero);
}

void tst_Key::hashDiffersInEachWord_data()
{
    QTest::addColumn<Key>("a");
    QTest::addColumn<Key>("b");

    const Key base({0x1111111111111111ull, 0x2222222222222222ull, 0x3333333333333333ull});
    for (int word = 0; word < 3; ++word) {
        for (int bit : {0, 1, 31, 32, 63}) {
            std::array<uint64_t, 3> w {base.word(0), base.word(1), base.word(2)};
            w[size_t(word)] ^= uint64_t(1) << bit;
            QTest::addRow("word %d bit %d", word, bit) << base << Key(w);
        }
    }
    QTest::newRow("zero vs word 2 = 1") << Key() << Key({0, 0, 1});
    QTest::newRow("zero vs word 1 = 1") << Key() << Key({0, 1, 0});
    // A hash that xors the words together would map these two to the same value.
    QTest::newRow("words swapped") << Key({1, 2, 0}) << Key({2, 1, 0});
    QTest::newRow("same value in a different word") << Key({0, 0, 5}) << Key({5, 0, 0});
}

void tst_Key::hashDiffersInEachWord()
{
    QFETCH(Key, a);
    QFETCH(Key, b);
    QVERIFY(a != b);
    QVERIFY(KeyHash {}(a) != KeyHash {}(b));
}

void tst_Key::hashSpreadsLowBitsForWord2Sequences()
{
    // The index masks the hash to its low bits. Crafted keys that differ only
    // in word 2 must still land in different buckets, or every lookup degrades
    // to a scan. 1000 keys into 65536 buckets: about 8 collisions by chance.
    for (int word = 0; word < 3; ++word) {
        std::set<size_t> buckets;
        for (uint64_t i = 1; i <= 1000; ++i) {
            std::array<uint64_t, 3> w {0, 0, 0};
            w[size_t(word)] = i;
            buckets.insert(KeyHash {}(Key(w)) & 0xFFFF);
        }
        QVERIFY2(buckets.size() >= 960,
            qPrintable(QStringLiteral("word %1: only %2 distinct buckets of 1000 keys").arg(word).arg(buckets.size())));
    }
}

QTEST_GUILESS_MAIN(tst_Key)
#include "tst_key.moc"
