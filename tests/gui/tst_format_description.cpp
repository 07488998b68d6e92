// The format explained byte by byte: manifest pairs crafted to hit each rule
// of FORMAT.md (greater nonce wins, A on a tie, parity, reserved bytes, a
// copy never written), slots in each state, and the field name of bytes at
// every edge of MF and of a table file.
#include "format.h"
#include "format_description.h"
#include "pack_layout.h"
#include "shard.h"

#include <QTest>

using namespace shardscope;

namespace {

struct Copy {
    uint64_t nonce = 0;
    uint32_t gen = 0;
    uint32_t tableLen = 0;
    bool reservedDirty = false;
    bool blank = false; // all 32 bytes zero, whatever the fields say
};

std::vector<uint8_t> mfBytes(const Copy &a, const Copy &b, size_t size = kManifestFileSize)
{
    std::vector<uint8_t> out(size);
    const Copy *copies[] = {&a, &b};
    for (size_t i = 0; i < 2; ++i) {
        if (copies[i]->blank)
            continue;
        uint8_t *p = out.data() + i * kManifestCopySize;
        storeU64(p, copies[i]->nonce);
        storeU32(p + 8, copies[i]->gen);
        storeU32(p + 12, copies[i]->tableLen);
        if (copies[i]->reservedDirty)
            p[20] = 0x5a;
    }
    return out;
}

QString hexOf(const uint8_t *p, size_t n)
{
    QStringList parts;
    for (size_t i = 0; i < n; ++i)
        parts << QStringLiteral("%1").arg(p[i], 2, 16, QLatin1Char('0'));
    return parts.join(u' ');
}

} // namespace

Q_DECLARE_METATYPE(Copy)

class TestFormatDescription : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void manifest_data();
    void manifest();
    void manifestFields();
    void manifestStates();
    void manifestFromCopies();
    void slot_data();
    void slot();
    void fieldAtTable_data();
    void fieldAtTable();
    void fieldAtManifest_data();
    void fieldAtManifest();
    void fieldAtManifestEveryByte();
    void fieldAtPack();
};

void TestFormatDescription::manifest_data()
{
    QTest::addColumn<Copy>("a");
    QTest::addColumn<Copy>("b");
    QTest::addColumn<int>("active");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<bool>("aPlaced");
    QTest::addColumn<bool>("bPlaced");
    QTest::addColumn<bool>("aReservedZero");
    QTest::addColumn<bool>("bReservedZero");

    QTest::newRow("B newer") << Copy {6, 1, 9} << Copy {7, 1, 10} << 1 << QStringLiteral("nonce 7 > 6") << true << true
                             << true << true;
    QTest::newRow("A newer") << Copy {8, 2, 3} << Copy {7, 1, 10} << 0 << QStringLiteral("nonce 8 > 7") << true << true
                             << true << true;
    QTest::newRow("both misplaced") << Copy {5, 0, 1} << Copy {4, 0, 1} << 0 << QStringLiteral("nonce 5 > 4") << false
                                    << false << true << true;
    QTest::newRow("tie: A wins") << Copy {3, 0, 2} << Copy {3, 0, 4} << 0
                                 << QStringLiteral("nonces equal (3): copy A wins the tie") << false << true << true
                                 << true;
    QTest::newRow("reserved bytes of B not zero") << Copy {2, 0, 1} << Copy {3, 0, 2, true} << 1
                                                  << QStringLiteral("nonce 3 > 2") << true << true << true << false;
    QTest::newRow("only copy B written") << Copy {0, 0, 0, false, true} << Copy {1, 0, 11} << 1
                                         << QStringLiteral(
                                                "nonce 1 > 0; copy A was never written, copy B is the only copy")
                                         << true << true << true << true;
    QTest::newRow("only copy A written") << Copy {2, 0, 5} << Copy {0, 0, 0, false, true} << 0
                                         << QStringLiteral(
                                                "nonce 2 > 0; copy B was never written, copy A is the only copy")
                                         << true << true << true << true;
    QTest::newRow("huge nonces") << Copy {0xfffffffffffffffeull, 7, 1} << Copy {0xffffffffffffffffull, 8, 2} << 1
                                 << QStringLiteral("nonce 18446744073709551615 > 18446744073709551614") << true << true
                                 << true << true;
}

void TestFormatDescription::manifest()
{
    QFETCH(Copy, a);
    QFETCH(Copy, b);
    QFETCH(int, active);
    QFETCH(QString, reason);
    QFETCH(bool, aPlaced);
    QFETCH(bool, bPlaced);
    QFETCH(bool, aReservedZero);
    QFETCH(bool, bReservedZero);

    const auto bytes = mfBytes(a, b);
    const ManifestDescription d = ManifestDescription::fromBytes(bytes);
    QCOMPARE(d.state, ManifestDescription::State::Present);
    QCOMPARE(d.active, active);
    QCOMPARE(d.activeReason, reason);
    // The same verdict as the storage library's loader.
    auto copies = ManifestCopies::decode(bytes, "MF");
    QVERIFY(copies);
    QCOMPARE(d.active, copies->activeIndex());
    QCOMPARE(d.copies[0].placedByParity, aPlaced);
    QCOMPARE(d.copies[1].placedByParity, bPlaced);
    QCOMPARE(d.copies[0].reservedZero, aReservedZero);
    QCOMPARE(d.copies[1].reservedZero, bReservedZero);
    QCOMPARE(d.copies[0].blank, a.blank);
    QCOMPARE(d.copies[1].blank, b.blank);
    QVERIFY(d.summary.contains(reason));
    QVERIFY2(d.copies[size_t(active)].verdict.startsWith(QLatin1String("active")) || d.copies[size_t(active)].blank,
        qPrintable(d.copies[size_t(active)].verdict));
    QCOMPARE(d.copies[size_t(1 - active)].verdict.startsWith(QLatin1String("active")), false);
    for (int i = 0; i < 2; ++i) {
        const auto &c = d.copies[size_t(i)];
        QCOMPARE(c.verdict.contains(QLatin1String("misplaced")), !c.placedByParity);
        QCOMPARE(c.verdict.contains(QLatin1String("reserved bytes are not zero")), !c.reservedZero);
        QCOMPARE(c.fields[3].value, c.reservedZero ? QStringLiteral("zero") : QStringLiteral("not zero"));
    }
}

void TestFormatDescription::manifestFields()
{
    const Copy a {6, 1, 9};
    const Copy b {0x0102030405060708ull, 0xa0b0c0d0u, 12345};
    const auto bytes = mfBytes(a, b);
    const ManifestDescription d = ManifestDescription::fromBytes(bytes);
    const QStringList names
        = {QStringLiteral("nonce"), QStringLiteral("gen"), QStringLiteral("table_len"), QStringLiteral("reserved")};
    const uint64_t starts[] = {0, 8, 12, 16, 32};
    for (int c = 0; c < 2; ++c) {
        const auto &fields = d.copies[size_t(c)].fields;
        QCOMPARE(fields.size(), 4);
        const uint64_t base = uint64_t(c) * 32;
        for (int f = 0; f < 4; ++f) {
            QCOMPARE(fields[f].name, names[f]);
            QCOMPARE(fields[f].start, base + starts[f]);
            QCOMPARE(fields[f].end, base + starts[f + 1]);
            QCOMPARE(fields[f].hex, hexOf(bytes.data() + base + starts[f], size_t(starts[f + 1] - starts[f])));
        }
    }
    const auto &fb = d.copies[1].fields;
    QCOMPARE(fb[0].value, QString::number(b.nonce));
    QCOMPARE(fb[0].hex, QStringLiteral("08 07 06 05 04 03 02 01"));
    QCOMPARE(fb[1].value, QString::number(b.gen));
    QCOMPARE(fb[1].hex, QStringLiteral("d0 c0 b0 a0"));
    QCOMPARE(fb[2].value, QStringLiteral("12345"));
    QVERIFY(d.copies[0].fields[1].note.contains(QLatin1String("00000001.slot")));
    QVERIFY(d.copies[0].fields[1].note.contains(QLatin1String("00000001.pack")));
}

void TestFormatDescription::manifestStates()
{
    const auto bytes = mfBytes(Copy {2, 0, 1}, Copy {3, 0, 2});
    const ManifestDescription shortFile = ManifestDescription::fromBytes(std::span(bytes).first(63));
    QCOMPARE(shortFile.state, ManifestDescription::State::TooShort);
    QVERIFY(shortFile.summary.contains(QLatin1String("63 bytes")));

    const ManifestDescription longFile = ManifestDescription::fromBytes(mfBytes(Copy {2, 0, 1}, Copy {3, 0, 2}, 80));
    QCOMPARE(longFile.state, ManifestDescription::State::Present);
    QCOMPARE(longFile.active, 1);
    QVERIFY2(longFile.summary.contains(QLatin1String("16 bytes past the two copies are ignored")),
        qPrintable(longFile.summary));

    const ManifestDescription missing = ManifestDescription::fromCopies(std::nullopt);
    QCOMPARE(missing.state, ManifestDescription::State::Missing);
    QVERIFY(missing.summary.contains(QLatin1String("fresh shard")));

    const ManifestDescription blank = ManifestDescription::fromBytes(std::vector<uint8_t>(64));
    QCOMPARE(blank.active, 0);
    QVERIFY(blank.activeReason.contains(QLatin1String("both copies are blank")));
}

void TestFormatDescription::manifestFromCopies()
{
    // Decoded copies do not keep reserved bytes: the description says they
    // are not zero without making up their value.
    const auto bytes = mfBytes(Copy {4, 2, 7, true}, Copy {3, 1, 6});
    auto copies = ManifestCopies::decode(bytes, "MF");
    QVERIFY(copies);
    const ManifestDescription d = ManifestDescription::fromCopies(*copies);
    QCOMPARE(d.rawBytes, false);
    QCOMPARE(d.active, 0);
    QCOMPARE(d.activeReason, QStringLiteral("nonce 4 > 3"));
    QCOMPARE(d.copies[0].reservedZero, false);
    QCOMPARE(d.copies[0].fields[3].value, QStringLiteral("not zero"));
    QVERIFY(d.copies[0].verdict.contains(QLatin1String("not shown")));
    QCOMPARE(d.copies[1].reservedZero, true);
    QCOMPARE(d.copies[0].fields[2].value, QStringLiteral("7"));
    QCOMPARE(d.copies[0].fields[0].hex, QStringLiteral("04 00 00 00 00 00 00 00"));
}

void TestFormatDescription::slot_data()
{
    QTest::addColumn<uint>("slot");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("tableLen"); // -1: not known
    QTest::addColumn<qlonglong>("packSize"); // -1: not known
    QTest::addColumn<int>("state");
    QTest::addColumn<bool>("committed");
    QTest::addColumn<QString>("summary");

    auto slotBytes = [](const Entry &e) {
        QByteArray out(32, '\0');
        e.encodeTo(reinterpret_cast<uint8_t *>(out.data()));
        return out;
    };
    const Key key({0x141cfc9842c4b0e3ull, 0x24b96f99c8f4fb9aull, 0x4c939b64e441ae27ull});
    using S = SlotDescription::State;
    QTest::newRow("live") << 3u << slotBytes(Entry {key, 4096, 38}) << 11 << 65536ll << int(S::Live) << true
                          << QStringLiteral("slot 3 · live · 38 bytes at pack offset 4096");
    QTest::newRow("live, no context") << 3u << slotBytes(Entry {key, 4096, 38}) << -1 << -1ll << int(S::Live) << true
                                      << QStringLiteral("slot 3 · live · 38 bytes at pack offset 4096");
    QTest::newRow("tombstone") << 8u << slotBytes(Entry::tombstone()) << 11 << 65536ll << int(S::Tombstone) << true
                               << QStringLiteral("slot 8 · tombstone");
    QTest::newRow("tombstone with a key left") << 8u << slotBytes(Entry {key, kTombstoneOffset, 5}) << 11 << 65536ll
                                               << int(S::Tombstone) << true << QStringLiteral("slot 8 · tombstone");
    QTest::newRow("blank, uncommitted") << 20u << QByteArray(32, '\0') << 11 << 65536ll << int(S::Blank) << false
                                        << QStringLiteral("slot 20 (uncommitted) · blank");
    QTest::newRow("uncommitted entry") << 11u << slotBytes(Entry {key, 100, 10}) << 11 << 65536ll << int(S::Live)
                                       << false
                                       << QStringLiteral("slot 11 (uncommitted) · live · 10 bytes at pack offset 100");
    QTest::newRow("out of bounds") << 4u << slotBytes(Entry {key, 65530, 10}) << 11 << 65536ll << int(S::OutOfBounds)
                                   << true << QStringLiteral("slot 4 · out of bounds · [65530, 65540)");
    QTest::newRow("short input is padded") << 0u << QByteArray("\x01", 1) << 1 << 10ll << int(S::Live) << true
                                           << QStringLiteral("slot 0 · live · 0 bytes at pack offset 0");
}

void TestFormatDescription::slot()
{
    QFETCH(uint, slot);
    QFETCH(QByteArray, bytes);
    QFETCH(int, tableLen);
    QFETCH(qlonglong, packSize);
    QFETCH(int, state);
    QFETCH(bool, committed);
    QFETCH(QString, summary);

    SlotContext context;
    if (tableLen >= 0)
        context.tableLen = uint32_t(tableLen);
    if (packSize >= 0)
        context.packSize = uint64_t(packSize);
    const auto d = SlotDescription::describe(
        slot, {reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())}, context);
    QCOMPARE(int(d.state), state);
    QCOMPARE(d.committed, committed);
    QCOMPARE(d.summary, summary);
    QVERIFY(!d.meaning.isEmpty());

    QByteArray padded = bytes;
    padded.resize(32, '\0');
    const auto *raw = reinterpret_cast<const uint8_t *>(padded.constData());
    const Entry e = Entry::decode(raw);
    QCOMPARE(d.fields.size(), 5);
    const QStringList names = {QStringLiteral("key"), QStringLiteral("key"), QStringLiteral("key"),
        QStringLiteral("offset"), QStringLiteral("len")};
    const uint64_t starts[] = {0, 8, 16, 24, 28, 32};
    const uint64_t base = uint64_t(slot) * 32;
    for (int f = 0; f < 5; ++f) {
        QCOMPARE(d.fields[f].name, names[f]);
        QCOMPARE(d.fields[f].start, base + starts[f]);
        QCOMPARE(d.fields[f].end, base + starts[f + 1]);
        QCOMPARE(d.fields[f].hex, hexOf(raw + starts[f], size_t(starts[f + 1] - starts[f])));
    }
    for (int w = 0; w < 3; ++w)
        QCOMPARE(d.fields[w].value, QStringLiteral("0x%1").arg(e.key.word(w), 16, 16, QLatin1Char('0')));
    QCOMPARE(d.fields[4].value, QString::number(e.len));
    if (d.state == SlotDescription::State::Tombstone) {
        QCOMPARE(d.fields[3].value, QStringLiteral("0xffffffff"));
        QVERIFY(d.fields[3].note.contains(QLatin1String("tombstone")));
        // A tombstone that kept its key or len was not written by the
        // reference writer, and the notes say so.
        QCOMPARE(d.fields[0].note.contains(QLatin1String("this one is not")), e.key.word(0) != 0);
        QCOMPARE(d.fields[4].note.contains(QLatin1String("this one is not")), e.len != 0);
    } else {
        QCOMPARE(d.fields[3].value, QString::number(e.offset));
    }
}

void TestFormatDescription::fieldAtTable_data()
{
    QTest::addColumn<qulonglong>("offset");
    QTest::addColumn<int>("tableLen");
    QTest::addColumn<QString>("text");
    QTest::addColumn<qulonglong>("fieldStart");
    QTest::addColumn<qulonglong>("fieldEnd");

    QTest::newRow("byte 0") << 0ull << -1 << QStringLiteral("slot 0 · key byte 0") << 0ull << 24ull;
    QTest::newRow("byte 23") << 23ull << -1 << QStringLiteral("slot 0 · key byte 23") << 0ull << 24ull;
    QTest::newRow("byte 24") << 24ull << -1 << QStringLiteral("slot 0 · offset (u32 LE) byte 0") << 24ull << 28ull;
    QTest::newRow("byte 27") << 27ull << -1 << QStringLiteral("slot 0 · offset (u32 LE) byte 3") << 24ull << 28ull;
    QTest::newRow("byte 28") << 28ull << -1 << QStringLiteral("slot 0 · len (u32 LE) byte 0") << 28ull << 32ull;
    QTest::newRow("byte 31") << 31ull << -1 << QStringLiteral("slot 0 · len (u32 LE) byte 3") << 28ull << 32ull;
    QTest::newRow("byte 32") << 32ull << -1 << QStringLiteral("slot 1 · key byte 0") << 32ull << 56ull;
    QTest::newRow("slot 12 key byte 5") << 389ull << -1 << QStringLiteral("slot 12 · key byte 5") << 384ull << 408ull;
    QTest::newRow("slot 12 len byte 2") << 414ull << -1 << QStringLiteral("slot 12 · len (u32 LE) byte 2") << 412ull
                                        << 416ull;
    QTest::newRow("committed slot 12") << 389ull << 13 << QStringLiteral("slot 12 · key byte 5") << 384ull << 408ull;
    QTest::newRow("uncommitted slot 12") << 389ull << 12 << QStringLiteral("slot 12 (uncommitted) · key byte 5")
                                         << 384ull << 408ull;
    QTest::newRow("last slot of a 4 GiB table")
        << 0xFFFFFFFFull << -1 << QStringLiteral("slot 134217727 · len (u32 LE) byte 3") << 0xFFFFFFFCull
        << 0x100000000ull;
}

void TestFormatDescription::fieldAtTable()
{
    QFETCH(qulonglong, offset);
    QFETCH(int, tableLen);
    QFETCH(QString, text);
    QFETCH(qulonglong, fieldStart);
    QFETCH(qulonglong, fieldEnd);
    FieldContext context;
    if (tableLen >= 0)
        context.tableLen = uint32_t(tableLen);
    const auto at = fieldAt(FormatFile::Table, offset, context);
    QVERIFY(at);
    QCOMPARE(at->text, text);
    QCOMPARE(at->fieldStart, fieldStart);
    QCOMPARE(at->fieldEnd, fieldEnd);
}

void TestFormatDescription::fieldAtManifest_data()
{
    QTest::addColumn<qulonglong>("offset");
    QTest::addColumn<QString>("text");

    QTest::newRow("0") << 0ull << QStringLiteral("copy A · nonce (u64 LE) byte 0");
    QTest::newRow("7") << 7ull << QStringLiteral("copy A · nonce (u64 LE) byte 7");
    QTest::newRow("8") << 8ull << QStringLiteral("copy A · gen (u32 LE) byte 0");
    QTest::newRow("15") << 15ull << QStringLiteral("copy A · table_len (u32 LE) byte 3");
    QTest::newRow("16") << 16ull << QStringLiteral("copy A · reserved byte 0");
    QTest::newRow("31") << 31ull << QStringLiteral("copy A · reserved byte 15");
    QTest::newRow("32") << 32ull << QStringLiteral("copy B · nonce (u64 LE) byte 0");
    QTest::newRow("43") << 43ull << QStringLiteral("copy B · gen (u32 LE) byte 3");
    QTest::newRow("44") << 44ull << QStringLiteral("copy B · table_len (u32 LE) byte 0");
    QTest::newRow("63") << 63ull << QStringLiteral("copy B · reserved byte 15");
    QTest::newRow("64") << 64ull << QStringLiteral("past the two copies (readers ignore it)");
}

void TestFormatDescription::fieldAtManifest()
{
    QFETCH(qulonglong, offset);
    QFETCH(QString, text);
    const auto at = fieldAt(FormatFile::Manifest, offset);
    QVERIFY(at);
    QCOMPARE(at->text, text);
    QVERIFY(at->fieldStart <= offset && offset < at->fieldEnd);
}

void TestFormatDescription::fieldAtManifestEveryByte()
{
    // Every byte of MF lies in exactly one field, and each field of each copy
    // is as long as FORMAT.md says.
    QMap<QString, int> lengths;
    QMap<QString, int> spans;
    for (uint64_t b = 0; b < 64; ++b) {
        const auto at = fieldAt(FormatFile::Manifest, b);
        QVERIFY(at);
        QVERIFY(at->fieldStart <= b && b < at->fieldEnd);
        QVERIFY(at->fieldEnd <= 64);
        QCOMPARE(at->text.startsWith(QLatin1String("copy A")), b < 32);
        const QString field = at->text.left(at->text.lastIndexOf(QLatin1String(" byte ")));
        QCOMPARE(at->text, field + QStringLiteral(" byte %1").arg(b - at->fieldStart));
        lengths[field] += 1;
        spans[field] = int(at->fieldEnd - at->fieldStart);
    }
    QCOMPARE(spans, lengths);
    for (const char *copy : {"copy A", "copy B"}) {
        const QString c = QLatin1String(copy);
        QCOMPARE(lengths.value(c + QStringLiteral(" · nonce (u64 LE)")), 8);
        QCOMPARE(lengths.value(c + QStringLiteral(" · gen (u32 LE)")), 4);
        QCOMPARE(lengths.value(c + QStringLiteral(" · table_len (u32 LE)")), 4);
        QCOMPARE(lengths.value(c + QStringLiteral(" · reserved")), 16);
    }
    QCOMPARE(lengths.size(), 8);
}

void TestFormatDescription::fieldAtPack()
{
    // Slot 0 [0, 10), slot 1 a tombstone whose data was [10, 30), slot 2
    // [30, 35), slot 3 [33, 40) over the end of slot 2; the pack is 64 bytes.
    std::vector<uint8_t> table(8 * 32);
    Entry {Key({1, 0, 0}), 0, 10}.encodeTo(table.data());
    Entry::tombstone().encodeTo(table.data() + 32);
    Entry {Key({2, 0, 0}), 30, 5}.encodeTo(table.data() + 64);
    Entry {Key({3, 0, 0}), 33, 7}.encodeTo(table.data() + 96);
    std::vector<uint8_t> mf(64);
    Manifest {2, 0, 4}.encodeTo(mf.data());
    auto shard = Shard::fromBytes(mf, table, std::vector<uint8_t>(64));
    QVERIFY(shard);
    const PackLayout layout = PackLayout::fromShard(*shard);
    FieldContext context;
    QCOMPARE(fieldAt(FormatFile::Pack, 3, context), std::nullopt);
    context.pack = &layout;
    QCOMPARE(fieldAt(FormatFile::Pack, 3, context)->text, QStringLiteral("slot 0 · data byte 3"));
    QCOMPARE(fieldAt(FormatFile::Pack, 31, context)->text, QStringLiteral("slot 2 · data byte 1"));
    QCOMPARE(fieldAt(FormatFile::Pack, 31, context)->fieldEnd, 35u);
    QCOMPARE(fieldAt(FormatFile::Pack, 34, context)->text, QStringLiteral("overlap · claimed by slots 2, 3"));
    // Slot 3's data is cut by the overlap; the field is still all of it.
    const auto cut = fieldAt(FormatFile::Pack, 37, context);
    QCOMPARE(cut->text, QStringLiteral("slot 3 · data byte 4"));
    QCOMPARE(cut->fieldStart, 33u);
    QCOMPARE(cut->fieldEnd, 40u);
    const auto dead = fieldAt(FormatFile::Pack, 12, context);
    QVERIFY(dead->text.startsWith(QLatin1String("dead")));
    QCOMPARE(dead->fieldStart, 10u);
    QCOMPARE(dead->fieldEnd, 30u);
    QVERIFY(fieldAt(FormatFile::Pack, 40, context)->text.startsWith(QLatin1String("free")));
    QCOMPARE(fieldAt(FormatFile::Pack, 64, context), std::nullopt);
}

QTEST_GUILESS_MAIN(TestFormatDescription)
#include "tst_format_description.moc"
