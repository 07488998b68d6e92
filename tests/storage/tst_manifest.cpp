// The manifest is the commit point. What must hold: the byte layout; the
// greater nonce wins (A on a tie); a short MF is refused with its offset; and a
// save writes only the inactive copy, so a crash mid-save leaves the active
// copy intact.
#include "test_support.h"

#include "directory.h"
#include "manifest.h"
#include "shard.h"

#include <QTemporaryDir>
#include <QTest>

using namespace shardscope;
using namespace testsupport;

Q_DECLARE_METATYPE(shardscope::Manifest)

namespace shardscope {
inline char *toString(const Manifest &m)
{
    return qstrdup(
        qPrintable(QStringLiteral("{nonce %1, gen %2, table_len %3}").arg(m.nonce).arg(m.gen).arg(m.tableLen)));
}
} // namespace shardscope

namespace {

// A copy built by hand from FORMAT.md, not by the code under test.
QByteArray copyBytes(uint64_t nonce, uint32_t gen, uint32_t tableLen)
{
    return u64le(nonce) + u32le(gen) + u32le(tableLen) + QByteArray(16, '\0');
}

} // namespace

class tst_Manifest : public QObject
{
    Q_OBJECT

private slots:
    void encodeDecode_data();
    void encodeDecode();
    void loadPicksActiveCopy_data();
    void loadPicksActiveCopy();
    void loadWithoutManifestIsFresh();
    void loadFlagsNonZeroReservedBytes();
    void shortManifestIsCorrupt_data();
    void shortManifestIsCorrupt();
    void saveToFreshDirectory();
    void freshShardFlushWritesReferenceMF();
    void successiveSavesAlternate();
    void misplacedParityIsNotOverwritten_data();
    void misplacedParityIsNotOverwritten();
    void shardFlushKeepsMisplacedActiveCopy();
};

void tst_Manifest::encodeDecode_data()
{
    QTest::addColumn<Manifest>("manifest");

    QTest::newRow("zero") << Manifest {0, 0, 0};
    QTest::newRow("small") << Manifest {1, 0, 100};
    QTest::newRow("distinct bytes") << Manifest {0x0102030405060708ull, 0x11121314u, 0x21222324u};
    QTest::newRow("maximum values") << Manifest {~0ull, ~0u, ~0u};
    QTest::newRow("nonce above 32 bits") << Manifest {0x100000000ull, 7, 32768};
}

void tst_Manifest::encodeDecode()
{
    QFETCH(Manifest, manifest);

    QByteArray buf(32, char(0xAA)); // reserved bytes must be cleared, not left as found
    manifest.encodeTo(reinterpret_cast<uint8_t *>(buf.data()));
    QCOMPARE(buf.toHex(), copyBytes(manifest.nonce, manifest.gen, manifest.tableLen).toHex());
    QCOMPARE(Manifest::decode(reinterpret_cast<const uint8_t *>(buf.constData())), manifest);
}

void tst_Manifest::loadPicksActiveCopy_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<int>("activeIndex");
    QTest::addColumn<Manifest>("active");

    QTest::newRow("A greater") << copyBytes(4, 1, 10) + copyBytes(3, 0, 9) << 0 << Manifest {4, 1, 10};
    QTest::newRow("B greater") << copyBytes(2, 1, 10) + copyBytes(3, 0, 9) << 1 << Manifest {3, 0, 9};
    QTest::newRow("tie picks A") << copyBytes(5, 1, 10) + copyBytes(5, 2, 20) << 0 << Manifest {5, 1, 10};
    QTest::newRow("both zero picks A") << copyBytes(0, 0, 0) + copyBytes(0, 3, 3) << 0 << Manifest {0, 0, 0};
    // Compared as u64: a 32-bit comparison would pick A here.
    QTest::newRow("B greater only in the high word")
        << copyBytes(0xFFFFFFFFull, 1, 1) + copyBytes(0x100000000ull, 2, 2) << 1 << Manifest {0x100000000ull, 2, 2};
    QTest::newRow("reference fixture basic") << readFile(dataPath("basic/MF")) << 1 << Manifest {1, 0, 100};
    QTest::newRow("reference fixture compacted") << readFile(dataPath("compacted/MF")) << 0 << Manifest {2, 1, 40};
    QTest::newRow("longer than 64 bytes: the rest is ignored")
        << copyBytes(1, 0, 5) + copyBytes(2, 0, 6) + copyBytes(99, 9, 9) << 1 << Manifest {2, 0, 6};
}

void tst_Manifest::loadPicksActiveCopy()
{
    QFETCH(QByteArray, file);
    QFETCH(int, activeIndex);
    QFETCH(Manifest, active);

    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    QVERIFY(writeFile(tmp.filePath("MF"), file));
    auto dir = Directory::open(str(tmp.path()));
    CHECK_OK(dir);
    auto loaded = ManifestFile::load(*dir);
    CHECK_OK(loaded);
    QVERIFY(loaded->has_value());
    QCOMPARE((*loaded)->activeIndex(), activeIndex);
    QCOMPARE((*loaded)->active(), active);
    QCOMPARE((*loaded)->fileSize, uint64_t(file.size()));

    // The same bytes through the in-memory decoder.
    auto decoded = ManifestCopies::decode(bytesOf(file.left(64)), "MF");
    CHECK_OK(decoded);
    QCOMPARE(decoded->active(), active);
}

void tst_Manifest::loadWithoutManifestIsFresh()
{
    QTemporaryDir tmp;
    auto dir = Directory::open(str(tmp.path()));
    CHECK_OK(dir);
    auto loaded = ManifestFile::load(*dir);
    CHECK_OK(loaded);
    QVERIFY(!loaded->has_value());
}

void tst_Manifest::loadFlagsNonZeroReservedBytes()
{
    QTemporaryDir tmp;
    QByteArray a = copyBytes(1, 0, 0);
    a[20] = 1;
    QVERIFY(writeFile(tmp.filePath("MF"), a + copyBytes(2, 0, 0)));
    auto dir = Directory::open(str(tmp.path()));
    CHECK_OK(dir);
    auto loaded = ManifestFile::load(*dir);
    CHECK_OK(loaded);
    QVERIFY(!(*loaded)->reservedZero[0]);
    QVERIFY((*loaded)->reservedZero[1]);
}

void tst_Manifest::shortManifestIsCorrupt_data()
{
    QTest::addColumn<int>("size");
    for (int size : {0, 1, 31, 32, 40, 63})
        QTest::addRow("%d bytes", size) << size;
}

void tst_Manifest::shortManifestIsCorrupt()
{
    QFETCH(int, size);

    QTemporaryDir tmp;
    QVERIFY(writeFile(tmp.filePath("MF"), (copyBytes(2, 0, 1) + copyBytes(1, 0, 1)).left(size)));
    auto dir = Directory::open(str(tmp.path()));
    CHECK_OK(dir);
    auto loaded = ManifestFile::load(*dir);
    QVERIFY(!loaded);
    QCOMPARE(loaded.error().kind, ErrorKind::Corrupt);
    QVERIFY2(QString::fromStdString(loaded.error().file).endsWith("/MF"), loaded.error().file.c_str());
    QCOMPARE(loaded.error().offset, std::optional<uint64_t>(uint64_t(size)));

    auto decoded = ManifestCopies::decode(bytesOf((copyBytes(2, 0, 1) + copyBytes(1, 0, 1)).left(size)), "x/MF");
    QVERIFY(!decoded);
    QCOMPARE(decoded.error().kind, ErrorKind::Corrupt);
    QCOMPARE(decoded.error().offset, std::optional<uint64_t>(uint64_t(size)));
}

void tst_Manifest::saveToFreshDirectory()
{
    QTemporaryDir tmp;
    auto dir = Directory::open(str(tmp.path()));
    CHECK_OK(dir);
    auto saved = ManifestFile::save(*dir, std::nullopt, 0, 0);
    CHECK_OK(saved);

    const QByteArray mf = readFile(tmp.filePath("MF"));
    QCOMPARE(mf.size(), 64);
    QCOMPARE(mf.left(32), QByteArray(32, '\0'));
    QCOMPARE(readU64(mf, 32), uint64_t(1));
    QCOMPARE(mf.toHex(), readFile(dataPath("empty/MF")).toHex());
    QCOMPARE(saved->activeIndex(), 1);
    QCOMPARE(saved->active(), (Manifest {1, 0, 0}));
}

void tst_Manifest::freshShardFlushWritesReferenceMF()
{
    // The reference's "hydrated and flushed, no entries" shard, made by our writer.
    QTemporaryDir tmp;
    auto shard = Shard::hydrate(str(tmp.path()), ShardGeometry {128, 65536});
    CHECK_OK(shard);
    QVERIFY(!QFile::exists(tmp.filePath("MF"))); // hydrate alone commits nothing
    CHECK_OK(shard->flush());
    QCOMPARE(readFile(tmp.filePath("MF")).toHex(), readFile(dataPath("empty/MF")).toHex());
    QCOMPARE(readFile(tmp.filePath("00000000.slot")), readFile(dataPath("empty/00000000.slot")));
    QCOMPARE(readFile(tmp.filePath("00000000.pack")), readFile(dataPath("empty/00000000.pack")));
}

void tst_Manifest::successiveSavesAlternate()
{
    QTemporaryDir tmp;
    auto dir = Directory::open(str(tmp.path()));
    CHECK_OK(dir);

    std::optional<ManifestCopies> current;
    QByteArray before;
    for (uint32_t i = 1; i <= 8; ++i) {
        auto saved = ManifestFile::save(*dir, current, i / 3, i * 10);
        CHECK_OK(saved);
        const QByteArray after = readFile(tmp.filePath("MF"));
        QCOMPARE(after.size(), 64);

        // Save 1 goes to B (nonce 1), save 2 to A (nonce 2), and so on.
        const int written = int(i & 1);
        const int untouched = 1 - written;
        QCOMPARE(saved->activeIndex(), written);
        QCOMPARE(after.mid(written * 32, 32).toHex(), copyBytes(i, i / 3, i * 10).toHex());
        if (!before.isEmpty())
            QCOMPARE(after.mid(untouched * 32, 32).toHex(), before.mid(untouched * 32, 32).toHex());

        // What save reports is what a load reads back.
        auto loaded = ManifestFile::load(*dir);
        CHECK_OK(loaded);
        QVERIFY(loaded->has_value());
        QCOMPARE((*loaded)->copies[0], saved->copies[0]);
        QCOMPARE((*loaded)->copies[1], saved->copies[1]);
        QCOMPARE((*loaded)->active(), (Manifest {i, i / 3, i * 10}));

        current = *loaded;
        before = after;
    }
}

void tst_Manifest::misplacedParityIsNotOverwritten_data()
{
    QTest::addColumn<QByteArray>("file");

    QTest::newRow("A holds odd nonce 3, B holds 2") << copyBytes(3, 0, 7) + copyBytes(2, 0, 6);
    QTest::newRow("B holds even nonce 4, A holds 1") << copyBytes(1, 0, 7) + copyBytes(4, 0, 8);
    QTest::newRow("A holds 3, B holds 0") << copyBytes(3, 0, 7) + copyBytes(0, 0, 0);
    QTest::newRow("tie on odd nonce 5: A active") << copyBytes(5, 1, 9) + copyBytes(5, 2, 9);
    QTest::newRow("well placed: A 2, B 1") << copyBytes(2, 0, 9) + copyBytes(1, 0, 8);
}

void tst_Manifest::misplacedParityIsNotOverwritten()
{
    QFETCH(QByteArray, file);

    QTemporaryDir tmp;
    QVERIFY(writeFile(tmp.filePath("MF"), file));
    auto dir = Directory::open(str(tmp.path()));
    CHECK_OK(dir);

    QByteArray before = file;
    for (uint32_t round = 0; round < 4; ++round) {
        auto loaded = ManifestFile::load(*dir);
        CHECK_OK(loaded);
        const int active = (*loaded)->activeIndex();
        const Manifest old = (*loaded)->active();

        auto saved = ManifestFile::save(*dir, *loaded, 3, 100 + round);
        CHECK_OK(saved);
        const QByteArray after = readFile(tmp.filePath("MF"));
        // The active copy's 32 bytes are not touched, whatever its nonce's parity.
        QCOMPARE(after.mid(active * 32, 32).toHex(), before.mid(active * 32, 32).toHex());
        QCOMPARE(saved->activeIndex(), 1 - active);
        const Manifest now = Manifest::decode(reinterpret_cast<const uint8_t *>(after.constData()) + (1 - active) * 32);
        QCOMPARE(now.gen, 3u);
        QCOMPARE(now.tableLen, 100 + round);
        QVERIFY(now.nonce > old.nonce);
        // Written where its parity puts it, so the rule holds from here on.
        QCOMPARE(int(now.nonce & 1), 1 - active);
        before = after;
    }
}

void tst_Manifest::shardFlushKeepsMisplacedActiveCopy()
{
    // A holds nonce 3 (odd: by parity it belongs in B) and is active. The
    // reference would write nonce 4 to A, over the only committed copy.
    QTemporaryDir tmp;
    const QString path = copyFixture(tmp.path(), "basic");
    QVERIFY(!path.isEmpty());
    const QByteArray mf = copyBytes(3, 0, 100) + copyBytes(2, 0, 50);
    QVERIFY(writeFile(path + "/MF", mf));

    auto shard = Shard::openForWriting(str(path));
    CHECK_OK(shard);
    QCOMPARE(shard->manifest(), (Manifest {3, 0, 100}));
    COMPARE_OK(shard->append(Key({1, 2, 3}), bytesOf(QByteArray("new"))), true);
    CHECK_OK(shard->flush());

    const QByteArray after = readFile(path + "/MF");
    QCOMPARE(after.left(32).toHex(), mf.left(32).toHex());
    QCOMPARE(readU64(after, 32), uint64_t(5));
    QCOMPARE(readU32(after, 32 + 12), 101u);

    auto reopened = Shard::openReadOnly(str(path));
    CHECK_OK(reopened);
    QCOMPARE(reopened->manifest(), (Manifest {5, 0, 101}));
    auto got = reopened->get(Key({1, 2, 3}));
    CHECK_OK(got);
    QVERIFY(got->has_value());
    QCOMPARE(toByteArray(**got), QByteArray("new"));
}

QTEST_GUILESS_MAIN(tst_Manifest)
#include "tst_manifest.moc"
