// FormatView on the offscreen platform: a crafted MF pair shows both copies
// decoded with the active one named and its reason, and a selected slot shows
// its fields; the tables say exactly what FormatDescription says.
#include "entry.h"
#include "format.h"
#include "format_view.h"

#include <QGroupBox>
#include <QRegularExpression>
#include <QTableWidget>
#include <QTest>

using namespace shardscope;

namespace {

std::vector<uint8_t> mf(uint64_t nonceA, uint32_t lenA, uint64_t nonceB, uint32_t lenB)
{
    std::vector<uint8_t> out(64);
    Manifest {nonceA, 1, lenA}.encodeTo(out.data());
    Manifest {nonceB, 1, lenB}.encodeTo(out.data() + 32);
    return out;
}

QString cell(QTableWidget *table, int row, int column)
{
    const QTableWidgetItem *item = table->item(row, column);
    return item ? item->text() : QString();
}

} // namespace

class TestFormatView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        // The offscreen platform says what it cannot do; nothing else may warn.
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("^(?!This plugin does not support (propagateSizeHints|raise))")));
    }

    void manifest_data();
    void manifest();
    void slotFields();
    void missingManifest();
};

void TestFormatView::manifest_data()
{
    QTest::addColumn<qulonglong>("nonceA");
    QTest::addColumn<qulonglong>("nonceB");
    QTest::addColumn<int>("active");
    QTest::addColumn<QString>("reason");
    QTest::newRow("B newer") << 6ull << 7ull << 1 << QStringLiteral("nonce 7 > 6");
    QTest::newRow("A newer") << 8ull << 7ull << 0 << QStringLiteral("nonce 8 > 7");
    QTest::newRow("tie") << 4ull << 4ull << 0 << QStringLiteral("nonces equal (4): copy A wins the tie");
}

void TestFormatView::manifest()
{
    QFETCH(qulonglong, nonceA);
    QFETCH(qulonglong, nonceB);
    QFETCH(int, active);
    QFETCH(QString, reason);
    FormatView view;
    view.resize(1000, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setManifest(ManifestDescription::fromBytes(mf(nonceA, 9, nonceB, 10)));

    QVERIFY2(view.copyBox(active)->title().contains(QStringLiteral("active: ") + reason),
        qPrintable(view.copyBox(active)->title()));
    QVERIFY(!view.copyBox(1 - active)->title().contains(QLatin1String("active")));
    QVERIFY(view.copyBox(active)->font().bold());
    QVERIFY(!view.copyBox(1 - active)->font().bold());
    QVERIFY(view.manifestSummary().contains(reason));

    const uint64_t nonces[] = {nonceA, nonceB};
    const uint32_t lens[] = {9, 10};
    for (int c = 0; c < 2; ++c) {
        QTableWidget *t = view.copyTable(c);
        QCOMPARE(t->rowCount(), 4);
        QCOMPARE(cell(t, 0, FormatView::FieldColumn), QStringLiteral("nonce"));
        QCOMPARE(cell(t, 0, FormatView::BytesColumn), QStringLiteral("%1..%2").arg(32 * c).arg(32 * c + 7));
        QCOMPARE(cell(t, 0, FormatView::ValueColumn), QString::number(nonces[c]));
        QCOMPARE(cell(t, 1, FormatView::FieldColumn), QStringLiteral("gen"));
        QCOMPARE(cell(t, 1, FormatView::HexColumn), QStringLiteral("01 00 00 00"));
        QCOMPARE(cell(t, 2, FormatView::FieldColumn), QStringLiteral("table_len"));
        QCOMPARE(cell(t, 2, FormatView::ValueColumn), QString::number(lens[c]));
        QCOMPARE(cell(t, 3, FormatView::FieldColumn), QStringLiteral("reserved"));
        QCOMPARE(cell(t, 3, FormatView::BytesColumn), QStringLiteral("%1..%2").arg(32 * c + 16).arg(32 * c + 31));
        // Sixteen bytes are too many for the column: eight and an ellipsis,
        // all of them in the tooltip.
        QCOMPARE(cell(t, 3, FormatView::HexColumn), QStringLiteral("00 00 00 00 00 00 00 00 …"));
        QCOMPARE(t->item(3, FormatView::HexColumn)->toolTip(), QStringList(16, QStringLiteral("00")).join(u' '));
        // Every row is visible without scrolling.
        QTRY_VERIFY2(t->visualItemRect(t->item(3, 0)).bottom() < t->viewport()->height(),
            qPrintable(
                QStringLiteral("%1 %2").arg(t->visualItemRect(t->item(3, 0)).bottom()).arg(t->viewport()->height())));
    }
}

void TestFormatView::slotFields()
{
    FormatView view;
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCOMPARE(view.slotTable()->rowCount(), 0);

    QByteArray bytes(32, '\0');
    Entry::tombstone().encodeTo(reinterpret_cast<uint8_t *>(bytes.data()));
    view.setSlot(8, bytes, SlotContext {11, 65536, QStringLiteral("00000000.pack")});
    QTableWidget *t = view.slotTable();
    QCOMPARE(t->rowCount(), 5);
    QCOMPARE(cell(t, 3, FormatView::FieldColumn), QStringLiteral("offset"));
    QCOMPARE(cell(t, 3, FormatView::BytesColumn), QStringLiteral("280..283"));
    QCOMPARE(cell(t, 3, FormatView::HexColumn), QStringLiteral("ff ff ff ff"));
    QCOMPARE(cell(t, 3, FormatView::ValueColumn), QStringLiteral("0xffffffff"));
    QVERIFY(cell(t, 3, FormatView::NoteColumn).contains(QLatin1String("tombstone")));
    QCOMPARE(view.slotSummary(), QStringLiteral("slot 8 · tombstone"));

    Entry {Key({0x0807060504030201ull, 2, 3}), 4096, 38}.encodeTo(reinterpret_cast<uint8_t *>(bytes.data()));
    view.setSlot(3, bytes, SlotContext {11, 65536, QStringLiteral("00000000.pack")});
    QCOMPARE(cell(t, 0, FormatView::FieldColumn), QStringLiteral("key"));
    QCOMPARE(cell(t, 0, FormatView::BytesColumn), QStringLiteral("96..103"));
    QCOMPARE(cell(t, 0, FormatView::HexColumn), QStringLiteral("01 02 03 04 05 06 07 08"));
    QCOMPARE(cell(t, 0, FormatView::ValueColumn), QStringLiteral("0x0807060504030201"));
    QCOMPARE(cell(t, 4, FormatView::FieldColumn), QStringLiteral("len"));
    QCOMPARE(cell(t, 4, FormatView::HexColumn), QStringLiteral("26 00 00 00"));
    QCOMPARE(cell(t, 4, FormatView::ValueColumn), QStringLiteral("38"));
    QVERIFY(cell(t, 3, FormatView::NoteColumn).contains(QLatin1String("00000000.pack")));
    QCOMPARE(view.slotSummary(), QStringLiteral("slot 3 · live · 38 bytes at pack offset 4096"));

    view.clearSlot();
    QCOMPARE(t->rowCount(), 0);
    QVERIFY(!view.slotDescription());
}

void TestFormatView::missingManifest()
{
    FormatView view;
    view.setManifest(ManifestDescription::fromCopies(std::nullopt));
    QVERIFY(view.manifestSummary().contains(QLatin1String("no MF")));
    QCOMPARE(view.copyTable(0)->rowCount(), 0);
    QVERIFY(!view.copyBox(0)->isEnabled());
    view.setManifest(ManifestDescription::fromBytes(mf(2, 1, 3, 2)));
    QVERIFY(view.copyBox(0)->isEnabled());
    QCOMPARE(view.copyTable(1)->rowCount(), 4);
}

QTEST_MAIN(TestFormatView)
#include "tst_format_view.moc"
