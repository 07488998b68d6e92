// PackLayout over shards written by our writer and then damaged byte by byte
// the way the reference writer's defects damage real shards. Each row is a
// script of operations and the layout the format says must follow, written
// as "kind start-end [owners]" so that a failure shows the whole picture.
#include "format.h"
#include "pack_layout.h"
#include "shard.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace shardscope;

namespace {

constexpr uint32_t kSlots = 16;
constexpr uint32_t kPack = 1024;

Key keyOf(uint32_t n)
{
    return Key({uint64_t(n) + 1, 0x5eed, 0});
}

QString kindName(PackLayout::Kind kind)
{
    switch (kind) {
    case PackLayout::Kind::Free:
        return QStringLiteral("free");
    case PackLayout::Kind::Dead:
        return QStringLiteral("dead");
    case PackLayout::Kind::Live:
        return QStringLiteral("live");
    case PackLayout::Kind::Uncommitted:
        return QStringLiteral("uncommitted");
    case PackLayout::Kind::Overlap:
        return QStringLiteral("overlap");
    }
    return {};
}

QString describe(const PackLayout &layout)
{
    QStringList parts;
    for (const auto &r : layout.ranges()) {
        QStringList owners;
        for (uint32_t s : layout.owners(r))
            owners << QString::number(s);
        parts << QStringLiteral("%1 %2-%3 [%4]").arg(kindName(r.kind)).arg(r.start).arg(r.end).arg(owners.join(u','));
    }
    for (const auto &o : layout.outOfBounds())
        parts << QStringLiteral("oob %1").arg(o.slot);
    for (uint32_t s : layout.emptyEntries())
        parts << QStringLiteral("empty %1").arg(s);
    return parts.join(QStringLiteral("; "));
}

bool patch(const QString &path, qint64 at, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::ReadWrite) && f.seek(at) && f.write(bytes) == bytes.size();
}

QByteArray slotBytes(const Entry &e)
{
    QByteArray out(kTableEntrySize, '\0');
    e.encodeTo(reinterpret_cast<uint8_t *>(out.data()));
    return out;
}

// Runs the script against a shard in `dir`. Writer steps: "append N" (N
// bytes, the next slot), "delete S" (the key appended into slot S), "flush".
// Byte surgery on the files, after the writer is closed: "slot S = OFF+LEN",
// "tomb S", "tablelen N" (a new MF whose active copy says N).
bool run(const QString &dir, const QString &script, uint32_t packSize, QString *error)
{
    auto shard = Shard::hydrate(dir.toStdString(), ShardGeometry {kSlots, packSize});
    if (!shard) {
        *error = QString::fromStdString(shard.error().describe());
        return false;
    }
    uint32_t appended = 0;
    QStringList surgery;
    for (QString step : script.split(u';', Qt::SkipEmptyParts)) {
        step = step.trimmed();
        const QStringList w = step.split(u' ', Qt::SkipEmptyParts);
        if (w[0] == QLatin1String("append")) {
            const QByteArray data(w[1].toInt(), char('a' + appended % 26));
            auto r = shard->append(
                keyOf(appended++), {reinterpret_cast<const uint8_t *>(data.constData()), size_t(data.size())});
            if (!r || !*r) {
                *error = step;
                return false;
            }
        } else if (w[0] == QLatin1String("delete")) {
            auto r = shard->remove(keyOf(w[1].toUInt()));
            if (!r || !*r) {
                *error = step;
                return false;
            }
        } else if (w[0] == QLatin1String("flush")) {
            if (!shard->flush()) {
                *error = step;
                return false;
            }
        } else {
            surgery << step;
        }
    }
    shard = std::unexpected(Error {});
    const QString table = dir + QStringLiteral("/00000000.slot");
    for (const QString &step : surgery) {
        const QStringList w = step.split(u' ', Qt::SkipEmptyParts);
        bool ok = false;
        if (w[0] == QLatin1String("slot")) {
            const QStringList range = w[3].split(u'+');
            const uint32_t s = w[1].toUInt();
            ok = patch(table, qint64(s) * kTableEntrySize,
                slotBytes(Entry {keyOf(1000 + s), range[0].toUInt(), range[1].toUInt()}));
        } else if (w[0] == QLatin1String("tomb")) {
            ok = patch(table, qint64(w[1].toUInt()) * kTableEntrySize, slotBytes(Entry::tombstone()));
        } else if (w[0] == QLatin1String("tablelen")) {
            QByteArray mf(kManifestFileSize, '\0');
            Manifest {2, 0, w[1].toUInt()}.encodeTo(reinterpret_cast<uint8_t *>(mf.data()));
            ok = patch(dir + QStringLiteral("/MF"), 0, mf);
        }
        if (!ok) {
            *error = step;
            return false;
        }
    }
    return true;
}

PackLayout layoutOf(const QString &dir)
{
    auto shard = Shard::openReadOnly(dir.toStdString());
    if (!shard) {
        qWarning("%s", shard.error().describe().c_str());
        return {};
    }
    return PackLayout::fromShard(*shard);
}

} // namespace

class TestPackLayout : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void layout_data();
    void layout();
    void lookups_data() { layout_data(); }
    void lookups();
    void columns_data();
    void columns();
    void writerPending();
    void deadCandidates();
    void manyOwners();
    void staircase();
    void millionSlots();
};

void TestPackLayout::layout_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<uint>("packSize");
    QTest::addColumn<QString>("expected");

    const QString f = QStringLiteral("free %1-1024 []");
    QTest::newRow("fresh shard") << QStringLiteral("flush") << kPack << f.arg(0);
    QTest::newRow("three appends") << QStringLiteral("append 100; append 50; append 30; flush") << kPack
                                   << QStringLiteral("live 0-100 [0]; live 100-150 [1]; live 150-180 [2]; ")
            + f.arg(180);
    QTest::newRow("middle deleted: dead, traced to its tombstone")
        << QStringLiteral("append 100; append 50; append 30; flush; delete 1; flush") << kPack
        << QStringLiteral("live 0-100 [0]; dead 100-150 [1]; live 150-180 [2]; ") + f.arg(180);
    QTest::newRow("first deleted") << QStringLiteral("append 100; append 50; flush; delete 0; flush") << kPack
                                   << QStringLiteral("dead 0-100 [0]; live 100-150 [1]; ") + f.arg(150);
    QTest::newRow("last deleted: its bytes are free again")
        << QStringLiteral("append 100; append 50; flush; delete 1; flush") << kPack
        << QStringLiteral("live 0-100 [0]; ") + f.arg(100);
    QTest::newRow("two neighbours deleted: one dead range")
        << QStringLiteral("append 10; append 20; append 30; append 40; flush; delete 1; delete 2; flush") << kPack
        << QStringLiteral("live 0-10 [0]; dead 10-60 [1,2]; live 60-100 [3]; ") + f.arg(100);
    QTest::newRow("overlap across two entries")
        << QStringLiteral("append 100; append 50; flush; slot 2 = 80+40; tablelen 3") << kPack
        << QStringLiteral("live 0-80 [0]; overlap 80-100 [0,2]; overlap 100-120 [1,2]; live 120-150 [1]; ")
            + f.arg(150);
    QTest::newRow("reference wrap-around after a tombstone")
        << QStringLiteral("append 100; append 50; flush; delete 0; flush; slot 2 = 0+120; tablelen 3") << kPack
        << QStringLiteral("live 0-100 [2]; overlap 100-120 [1,2]; live 120-150 [1]; ") + f.arg(150);
    QTest::newRow("identical entries") << QStringLiteral("append 64; flush; slot 1 = 0+64; slot 2 = 0+64; tablelen 3")
                                       << kPack << QStringLiteral("overlap 0-64 [0,1,2]; ") + f.arg(64);
    QTest::newRow("uncommitted past table_len")
        << QStringLiteral("append 100; flush; slot 1 = 100+60") << kPack
        << QStringLiteral("live 0-100 [0]; uncommitted 100-160 [1]; ") + f.arg(160);
    QTest::newRow("uncommitted far out, gap is dead")
        << QStringLiteral("append 100; flush; slot 3 = 300+10") << kPack
        << QStringLiteral("live 0-100 [0]; dead 100-300 []; uncommitted 300-310 [3]; ") + f.arg(310);
    QTest::newRow("uncommitted inside a live entry: still live") << QStringLiteral(
        "append 100; flush; slot 1 = 20+10") << kPack << QStringLiteral("live 0-100 [0]; ") + f.arg(100);
    QTest::newRow("uncommitted tombstone and out-of-bounds slot")
        << QStringLiteral("append 100; flush; tomb 1; slot 2 = 1020+8") << kPack
        << QStringLiteral("live 0-100 [0]; ") + f.arg(100) + QStringLiteral("; oob 2");
    QTest::newRow("committed out of bounds")
        << QStringLiteral("append 100; flush; slot 1 = 1000+100; tablelen 2") << kPack
        << QStringLiteral("live 0-100 [0]; ") + f.arg(100) + QStringLiteral("; oob 1");
    // The blank slots between are committed too, entries of length 0.
    QString blanks;
    for (uint32_t s = 1; s < kSlots - 1; ++s)
        blanks += QStringLiteral("; empty %1").arg(s);
    QTest::newRow("table_len past capacity: nothing uncommitted")
        << QStringLiteral("append 100; flush; slot 15 = 100+10; tablelen 17") << kPack
        << QStringLiteral("live 0-100 [0]; live 100-110 [15]; ") + f.arg(110) + blanks;
    QTest::newRow("leaked bytes at the start") << QStringLiteral("flush; slot 0 = 50+50; tablelen 1") << kPack
                                               << QStringLiteral("dead 0-50 []; live 50-100 [0]; ") + f.arg(100);
    QTest::newRow("empty entry") << QStringLiteral("append 0; append 10; flush") << kPack
                                 << QStringLiteral("live 0-10 [1]; ") + f.arg(10) + QStringLiteral("; empty 0");
    QTest::newRow("pack exactly full") << QStringLiteral("append 1000; append 24; flush") << kPack
                                       << QStringLiteral("live 0-1000 [0]; live 1000-1024 [1]");
    QTest::newRow("one-byte pack") << QStringLiteral("append 1; flush") << 1u << QStringLiteral("live 0-1 [0]");
}

void TestPackLayout::layout()
{
    QFETCH(QString, script);
    QFETCH(uint, packSize);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QString error;
    QVERIFY2(run(dir.path(), script, packSize, &error), qPrintable(error));
    const PackLayout layout = layoutOf(dir.path());
    QCOMPARE(describe(layout), expected);
    QCOMPARE(layout.packSize(), uint64_t(packSize));
}

void TestPackLayout::lookups()
{
    QFETCH(QString, script);
    QFETCH(uint, packSize);
    QTemporaryDir dir;
    QString error;
    QVERIFY2(run(dir.path(), script, packSize, &error), qPrintable(error));
    const PackLayout layout = layoutOf(dir.path());

    // The ranges tile the pack, and rangeAt finds each at both of its ends.
    uint64_t expectStart = 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < layout.ranges().size(); ++i) {
        const auto &r = layout.ranges()[i];
        QCOMPARE(r.start, expectStart);
        QVERIFY(r.end > r.start);
        QCOMPARE(layout.rangeAt(r.start), std::optional<size_t>(i));
        QCOMPARE(layout.rangeAt(r.end - 1), std::optional<size_t>(i));
        expectStart = r.end;
        sum += r.length();
        // Every live byte's owner has an extent covering it.
        if (r.kind == PackLayout::Kind::Live) {
            const auto extent = layout.extentOf(layout.owners(r).front());
            QVERIFY(extent);
            QVERIFY(extent->committed);
            QVERIFY(extent->start <= r.start && r.end <= extent->end);
        }
    }
    QCOMPARE(expectStart, layout.packSize());
    QCOMPARE(layout.rangeAt(layout.packSize()), std::nullopt);
    uint64_t byKind = 0;
    for (int k = 0; k < PackLayout::kKindCount; ++k)
        byKind += layout.bytesOf(PackLayout::Kind(k));
    QCOMPARE(byKind, sum);
    for (const auto &o : layout.outOfBounds())
        QCOMPARE(layout.extentOf(o.slot), std::nullopt);
}

void TestPackLayout::columns_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<uint>("packSize");
    QTest::addColumn<int>("width");
    const QString busy = QStringLiteral("append 100; append 3; append 1; append 50; flush; delete 1; flush; slot 4 = "
                                        "300+1; slot 5 = 90+20; tablelen 6");
    QTest::newRow("busy, narrow") << busy << kPack << 7;
    QTest::newRow("busy, 100 px") << busy << kPack << 100;
    QTest::newRow("busy, one column") << busy << kPack << 1;
    QTest::newRow("busy, wider than the pack") << busy << kPack << 3000;
    QTest::newRow("tiny pack, wide picture")
        << QStringLiteral("append 3; append 2; flush; delete 0; flush") << 8u << 37;
}

void TestPackLayout::columns()
{
    QFETCH(QString, script);
    QFETCH(uint, packSize);
    QFETCH(int, width);
    QTemporaryDir dir;
    QString error;
    QVERIFY2(run(dir.path(), script, packSize, &error), qPrintable(error));
    const PackLayout layout = layoutOf(dir.path());
    const auto cols = layout.columns(width);
    QCOMPARE(int(cols.size()), width);

    // Brute force: each column shows the greatest kind of any byte it covers,
    // and names a range of that kind that it covers.
    for (int c = 0; c < width; ++c) {
        const uint64_t start = layout.columnStart(c, width);
        const uint64_t end = std::max(layout.columnStart(c + 1, width), std::min<uint64_t>(start + 1, packSize));
        PackLayout::Kind worst = PackLayout::Kind::Free;
        for (uint64_t b = start; b < end; ++b)
            worst = std::max(worst, layout.ranges()[*layout.rangeAt(b)].kind);
        QCOMPARE(cols[size_t(c)].kind, worst);
        const auto &r = layout.ranges()[cols[size_t(c)].range];
        QCOMPARE(r.kind, worst);
        QVERIFY(r.start < end && r.end > start);
    }
    // columnOf is the inverse of columnStart.
    for (uint64_t b = 0; b < packSize; ++b) {
        const int c = layout.columnOf(b, width);
        QVERIFY(c >= 0 && c < width);
        QVERIFY(layout.columnStart(c, width) <= b);
        QVERIFY(c == width - 1 || layout.columnStart(c + 1, width) > b);
    }
}

void TestPackLayout::writerPending()
{
    // Appends not yet flushed exist only in the writer, which counts them as
    // slots in use (Shard::tableLen()): the layout sees them as its entries.
    QTemporaryDir dir;
    auto shard = Shard::hydrate(dir.path().toStdString(), ShardGeometry {kSlots, kPack});
    QVERIFY(shard);
    const QByteArray a(10, 'a');
    const QByteArray b(20, 'b');
    QVERIFY(shard->append(keyOf(0), {reinterpret_cast<const uint8_t *>(a.data()), 10}).value_or(false));
    QVERIFY(shard->flush());
    QVERIFY(shard->append(keyOf(1), {reinterpret_cast<const uint8_t *>(b.data()), 20}).value_or(false));
    QCOMPARE(describe(PackLayout::fromShard(*shard)), QStringLiteral("live 0-10 [0]; live 10-30 [1]; free 30-1024 []"));
}

void TestPackLayout::deadCandidates()
{
    // Only tombstones between the neighbours of the gap are candidates:
    // slot 0 is a tombstone too, but its data lay before slot 1's.
    QTemporaryDir dir;
    QString error;
    QVERIFY2(
        run(dir.path(), QStringLiteral("append 10; append 10; append 10; append 10; flush; delete 0; delete 2; flush"),
            kPack, &error),
        qPrintable(error));
    const PackLayout layout = layoutOf(dir.path());
    QCOMPARE(describe(layout),
        QStringLiteral("dead 0-10 [0]; live 10-20 [1]; dead 20-30 [2]; live 30-40 [3]; free 40-1024 []"));
    QCOMPARE(layout.tombstoneSlots(), 2u);
    QCOMPARE(layout.liveSlots(), 2u);
    QCOMPARE(layout.primarySlot(layout.ranges()[2]), std::optional<uint32_t>(2));
    QCOMPARE(layout.primarySlot(layout.ranges().back()), std::nullopt);
    QCOMPARE(layout.bytesOf(PackLayout::Kind::Dead), 20u);
}

void TestPackLayout::manyOwners()
{
    // More owners than a range lists: the lowest are listed, all are counted.
    QTemporaryDir dir;
    QString script = QStringLiteral("append 8; flush");
    for (uint32_t s = 1; s < kSlots; ++s)
        script += QStringLiteral("; slot %1 = 0+8").arg(s);
    script += QStringLiteral("; tablelen %1").arg(kSlots);
    QString error;
    QVERIFY2(run(dir.path(), script, kPack, &error), qPrintable(error));
    const PackLayout layout = layoutOf(dir.path());
    const auto &r = layout.ranges().front();
    QCOMPARE(r.kind, PackLayout::Kind::Overlap);
    QCOMPARE(r.slotTotal, kSlots);
    QCOMPARE(layout.owners(r).size(), size_t(std::min(kSlots, PackLayout::kMaxListedSlots)));
    QCOMPARE(layout.owners(r).front(), 0u);
    QCOMPARE(layout.primarySlot(r), std::optional<uint32_t>(0));
}

void TestPackLayout::staircase()
{
    // Slot s claims [s, s + 100): up to 100 owners at once, more than the
    // sweep keeps in its small set. Checked against a byte-by-byte count.
    constexpr uint32_t n = 150;
    constexpr uint32_t width = 100;
    std::vector<uint8_t> table(size_t(n) * kTableEntrySize);
    for (uint32_t s = 0; s < n; ++s)
        Entry {keyOf(s), s, width}.encodeTo(table.data() + size_t(s) * kTableEntrySize);
    std::vector<uint8_t> mf(kManifestFileSize);
    Manifest {2, 0, n}.encodeTo(mf.data());
    auto shard = Shard::fromBytes(mf, std::move(table), std::vector<uint8_t>(1000));
    QVERIFY(shard);
    const PackLayout layout = PackLayout::fromShard(*shard);
    for (uint64_t b = 0; b < n - 1 + width; ++b) {
        const uint32_t lowest = b < width ? 0 : uint32_t(b - width + 1);
        const uint32_t highest = std::min<uint32_t>(uint32_t(b), n - 1);
        const uint32_t owners = highest - lowest + 1;
        const auto &r = layout.ranges()[*layout.rangeAt(b)];
        QCOMPARE(r.slotTotal, owners);
        QCOMPARE(r.kind, owners == 1 ? PackLayout::Kind::Live : PackLayout::Kind::Overlap);
        QCOMPARE(layout.owners(r).front(), lowest);
        QCOMPARE(layout.owners(r).size(), size_t(std::min(owners, PackLayout::kMaxListedSlots)));
    }
    QCOMPARE(layout.ranges().back().kind, PackLayout::Kind::Free);
    QCOMPARE(layout.ranges().back().start, uint64_t(n - 1 + width));
}

void TestPackLayout::millionSlots()
{
    // 2^20 slots of 4 bytes each, every third deleted, from bytes in memory.
    constexpr uint32_t n = 1u << 20;
    std::vector<uint8_t> table(size_t(n) * kTableEntrySize);
    uint32_t tombstones = 0;
    for (uint32_t s = 0; s < n; ++s) {
        const Entry e = s % 3 == 1 ? Entry::tombstone() : Entry {keyOf(s), 4 * s, 4};
        tombstones += e.isTombstone();
        e.encodeTo(table.data() + size_t(s) * kTableEntrySize);
    }
    std::vector<uint8_t> mf(kManifestFileSize);
    Manifest {1, 0, n}.encodeTo(mf.data() + kManifestCopySize);
    auto shard = Shard::fromBytes(mf, std::move(table), std::vector<uint8_t>(size_t(4) * n + 4096));
    QVERIFY(shard);
    QElapsedTimer timer;
    timer.start();
    const PackLayout layout = PackLayout::fromShard(*shard);
    const qint64 buildMs = timer.elapsed();

    QCOMPARE(layout.tombstoneSlots(), tombstones);
    QCOMPARE(layout.liveSlots(), n - tombstones);
    // One range per live slot and per tombstone (dead), and the free tail;
    // the last slot is live, so no dead range follows it.
    QCOMPARE(layout.ranges().size(), size_t(n) + 1);
    QCOMPARE(layout.bytesOf(PackLayout::Kind::Dead), uint64_t(4) * tombstones);
    timer.restart();
    uint64_t found = 0;
    for (uint32_t s = 0; s < n; s += 7)
        found += layout.rangeAt(uint64_t(4) * s + 2).has_value();
    const qint64 lookupMs = timer.elapsed();
    QCOMPARE(found, uint64_t((n + 6) / 7));
    timer.restart();
    const auto cols = layout.columns(1920);
    const qint64 columnsMs = timer.elapsed();
    QCOMPARE(cols.size(), size_t(1920));
    qInfo("2^20 slots: layout %lld ms, %llu lookups %lld ms, 1920 columns %lld ms", buildMs,
        static_cast<unsigned long long>(found), lookupMs, columnsMs);
}

QTEST_GUILESS_MAIN(TestPackLayout)
#include "tst_pack_layout.moc"
