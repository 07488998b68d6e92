// HexLayout: rows, offset text, the scroll bar's mapping of 64-bit rows onto
// an int range, and parsing what is typed into "go to offset".
#include "hex_layout.h"

#include <QTest>

#include <limits>

using namespace shardscope;

class tst_HexLayout : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rows_data();
    void rows();
    void displayBase_data();
    void displayBase();
    void scrollMapping_data();
    void scrollMapping();
    void parseOffset_data();
    void parseOffset();
};

void tst_HexLayout::rows_data()
{
    QTest::addColumn<quint64>("size");
    QTest::addColumn<quint64>("rows");
    QTest::addColumn<int>("lastRowBytes");
    QTest::addColumn<QString>("lastRowText");

    QTest::newRow("empty") << quint64(0) << quint64(0) << 0 << QString();
    QTest::newRow("1 byte") << quint64(1) << quint64(1) << 1 << QStringLiteral("0000");
    QTest::newRow("15 bytes") << quint64(15) << quint64(1) << 15 << QStringLiteral("0000");
    QTest::newRow("16 bytes") << quint64(16) << quint64(1) << 16 << QStringLiteral("0000");
    QTest::newRow("17 bytes") << quint64(17) << quint64(2) << 1 << QStringLiteral("0010");
    QTest::newRow("64 KiB") << quint64(65536) << quint64(4096) << 16 << QStringLiteral("fff0");
    QTest::newRow("64 KiB + 1") << quint64(65537) << quint64(4097) << 1 << QStringLiteral("010000");
    QTest::newRow("64 MiB") << quint64(64) * 1024 * 1024 << quint64(4) * 1024 * 1024 << 16
                            << QStringLiteral("03fffff0");
    QTest::newRow("2^40") << (quint64(1) << 40) << (quint64(1) << 36) << 16 << QStringLiteral("fffffffff0");
    QTest::newRow("2^64 - 1") << std::numeric_limits<quint64>::max() << (quint64(1) << 60) << 15
                              << QStringLiteral("fffffffffffffff0");
}

void tst_HexLayout::rows()
{
    QFETCH(quint64, size);
    QFETCH(quint64, rows);
    QFETCH(int, lastRowBytes);
    QFETCH(QString, lastRowText);
    const HexLayout layout(size, 0);
    QCOMPARE(layout.rowCount(), rows);
    if (rows == 0) {
        QCOMPARE(layout.bytesInRow(0), 0);
        return;
    }
    QCOMPARE(layout.bytesInRow(rows - 1), lastRowBytes);
    QCOMPARE(layout.bytesInRow(rows), 0);
    if (rows > 1)
        QCOMPARE(layout.bytesInRow(rows - 2), 16);
    QCOMPARE(layout.offsetText(HexLayout::rowStart(rows - 1)), lastRowText);
    QCOMPARE(layout.offsetText(0).size(), layout.offsetDigits());
    QCOMPARE(HexLayout::rowOf(size - 1), rows - 1);
}

void tst_HexLayout::displayBase_data()
{
    QTest::addColumn<quint64>("size");
    QTest::addColumn<quint64>("base");
    QTest::addColumn<QString>("firstRow");
    QTest::addColumn<QString>("secondRow");
    QTest::addColumn<QString>("firstLabel");
    QTest::addColumn<QString>("lastLabel");

    QTest::newRow("entry at 0x1234") << quint64(100) << quint64(0x1234) << QStringLiteral("1234")
                                     << QStringLiteral("1244") << QStringLiteral("34") << QStringLiteral("43");
    QTest::newRow("entry at 0x3ffff00 of a 64 MiB pack")
        << quint64(0x100) << quint64(0x3ffff00) << QStringLiteral("03ffff00") << QStringLiteral("03ffff10")
        << QStringLiteral("00") << QStringLiteral("0f");
    QTest::newRow("offsets past 2^32") << quint64(32) << quint64(0xfffffff8) << QStringLiteral("00fffffff8")
                                       << QStringLiteral("0100000008") << QStringLiteral("f8") << QStringLiteral("07");
    QTest::newRow("wrapping past 2^64") << quint64(32) << std::numeric_limits<quint64>::max() - 7
                                        << QStringLiteral("fffffffffffffff8") << QStringLiteral("0000000000000008")
                                        << QStringLiteral("f8") << QStringLiteral("07");
}

void tst_HexLayout::displayBase()
{
    QFETCH(quint64, size);
    QFETCH(quint64, base);
    QFETCH(QString, firstRow);
    QFETCH(QString, secondRow);
    QFETCH(QString, firstLabel);
    QFETCH(QString, lastLabel);
    const HexLayout layout(size, base);
    QCOMPARE(layout.offsetText(0), firstRow);
    QCOMPARE(layout.offsetText(16), secondRow);
    QCOMPARE(layout.columnLabel(0), firstLabel);
    QCOMPARE(layout.columnLabel(15), lastLabel);
}

void tst_HexLayout::scrollMapping_data()
{
    QTest::addColumn<quint64>("size");
    QTest::addColumn<quint64>("pageRows");
    QTest::addColumn<bool>("scaled");

    QTest::newRow("fits in the page") << quint64(100) << quint64(30) << false;
    QTest::newRow("64 MiB") << quint64(64) * 1024 * 1024 << quint64(30) << false;
    QTest::newRow("just below the scaled range")
        << (quint64(HexLayout::kScaledScrollSteps) + 30) * 16 << quint64(30) << false;
    QTest::newRow("just above the scaled range")
        << (quint64(HexLayout::kScaledScrollSteps) + 31) * 16 << quint64(30) << true;
    QTest::newRow("2^40") << (quint64(1) << 40) << quint64(30) << true;
    QTest::newRow("2^64 - 1") << std::numeric_limits<quint64>::max() << quint64(30) << true;
}

void tst_HexLayout::scrollMapping()
{
    QFETCH(quint64, size);
    QFETCH(quint64, pageRows);
    QFETCH(bool, scaled);
    const HexLayout layout(size, 0);
    const quint64 maxRow = layout.maxFirstRow(pageRows);
    QCOMPARE(maxRow, layout.rowCount() > pageRows ? layout.rowCount() - pageRows : 0);
    QCOMPARE(layout.scrollScaled(pageRows), scaled);
    const int maximum = layout.scrollMaximum(pageRows);
    QVERIFY(maximum >= 0);
    QCOMPARE(quint64(maximum) == maxRow, !scaled);

    // Both ends map exactly; positions in between keep their order, and a
    // row maps to a value that maps back to a row at most one step before it.
    QCOMPARE(layout.scrollValueForRow(0, pageRows), 0);
    QCOMPARE(layout.rowForScrollValue(0, pageRows), quint64(0));
    QCOMPARE(layout.scrollValueForRow(maxRow, pageRows), maximum);
    QCOMPARE(layout.rowForScrollValue(maximum, pageRows), maxRow);
    QCOMPARE(layout.scrollValueForRow(maxRow + 1000, pageRows), maximum);
    const quint64 rowsPerStep = scaled ? maxRow / quint64(maximum) + 1 : 1;
    quint64 previous = 0;
    for (int i = 1; i <= 64; ++i) {
        const int value = int(qint64(maximum) * i / 64);
        const quint64 row = layout.rowForScrollValue(value, pageRows);
        QVERIFY(row >= previous);
        previous = row;
        const quint64 back = layout.rowForScrollValue(layout.scrollValueForRow(row, pageRows), pageRows);
        QVERIFY(back <= row);
        QVERIFY2(row - back <= rowsPerStep, qPrintable(QStringLiteral("%1 -> %2").arg(row).arg(back)));
    }
}

void tst_HexLayout::parseOffset_data()
{
    QTest::addColumn<quint64>("size");
    QTest::addColumn<quint64>("base");
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("expected"); // -1: refused

    const quint64 k64 = 64;
    QTest::newRow("hex") << k64 << quint64(0) << QStringLiteral("0x1f") << qint64(31);
    QTest::newRow("hex, upper case") << k64 << quint64(0) << QStringLiteral("0X1F") << qint64(31);
    QTest::newRow("decimal") << k64 << quint64(0) << QStringLiteral("31") << qint64(31);
    QTest::newRow("spaces and underscores") << k64 << quint64(0) << QStringLiteral("  0x0_1f ") << qint64(31);
    QTest::newRow("last byte") << k64 << quint64(0) << QStringLiteral("63") << qint64(63);
    QTest::newRow("past the end") << k64 << quint64(0) << QStringLiteral("64") << qint64(-1);
    QTest::newRow("not a number") << k64 << quint64(0) << QStringLiteral("zz") << qint64(-1);
    QTest::newRow("hex without 0x") << k64 << quint64(0) << QStringLiteral("1f") << qint64(-1);
    QTest::newRow("empty") << k64 << quint64(0) << QString() << qint64(-1);
    QTest::newRow("negative") << k64 << quint64(0) << QStringLiteral("-1") << qint64(-1);
    QTest::newRow("0x alone") << k64 << quint64(0) << QStringLiteral("0x") << qint64(-1);
    QTest::newRow("as shown, with a base") << k64 << quint64(0x1234) << QStringLiteral("0x1240") << qint64(12);
    QTest::newRow("before the base") << k64 << quint64(0x1234) << QStringLiteral("0x1233") << qint64(-1);
    QTest::newRow("relative to the base") << k64 << quint64(0x1234) << QStringLiteral("+0x10") << qint64(16);
    QTest::newRow("relative, decimal") << k64 << quint64(0x1234) << QStringLiteral("+ 10") << qint64(10);
    QTest::newRow("relative, past the end") << k64 << quint64(0x1234) << QStringLiteral("+64") << qint64(-1);
    QTest::newRow("empty source") << quint64(0) << quint64(0) << QStringLiteral("0") << qint64(-1);
    QTest::newRow("64-bit") << std::numeric_limits<quint64>::max() << quint64(0) << QStringLiteral("0xfffffffffffffffe")
                            << qint64(-2);
    QTest::newRow("beyond 64 bits") << std::numeric_limits<quint64>::max() << quint64(0)
                                    << QStringLiteral("0x10000000000000000") << qint64(-1);
}

void tst_HexLayout::parseOffset()
{
    QFETCH(quint64, size);
    QFETCH(quint64, base);
    QFETCH(QString, text);
    QFETCH(qint64, expected);
    const HexLayout layout(size, base);
    QString error;
    const auto offset = layout.parseOffset(text, &error);
    // -2 stands for the largest offset of a 2^64-1 byte source.
    if (expected == -2) {
        QVERIFY2(offset.has_value(), qPrintable(error));
        QCOMPARE(*offset, std::numeric_limits<quint64>::max() - 1);
    } else if (expected < 0) {
        QVERIFY(!offset.has_value());
        QVERIFY(!error.isEmpty());
    } else {
        QVERIFY2(offset.has_value(), qPrintable(error));
        QCOMPARE(*offset, quint64(expected));
    }
}

QTEST_GUILESS_MAIN(tst_HexLayout)
#include "tst_hexlayout.moc"
