// PackMapWidget on the offscreen platform, over a shard written by our writer:
// the mouse over each range reports that range (signal and tooltip), a click
// selects the range's slot, and the selected slot is drawn where its bytes are.
#include "pack_layout.h"
#include "pack_map_widget.h"
#include "shard.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>

using namespace shardscope;

namespace {

Key keyOf(uint32_t n)
{
    return Key({uint64_t(n) + 1, 7, 0});
}

// Slots 0..3 of 1000, 500, 700 and 300 bytes in a 4096-byte pack; slot 1
// deleted (dead), then slot 4 written over bytes of slot 2 and 3 (overlap).
constexpr uint32_t kPack = 4096;
const uint32_t kSizes[] = {1000, 500, 700, 300};

} // namespace

class TestPackMap : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init()
    {
        // The offscreen platform says what it cannot do; nothing else may warn.
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("^(?!This plugin does not support (propagateSizeHints|raise))")));
    }

    void hover_data();
    void hover();
    void click_data() { hover_data(); }
    void click();
    void leaving();
    void selectedSlot();
    void palettes();
    void noLayout();

private:
    QTemporaryDir m_dir;
    PackLayout m_layout;
};

void TestPackMap::initTestCase()
{
    // Lengths in the tooltips are written with the locale's digit grouping.
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QVERIFY(m_dir.isValid());
    {
        auto shard = Shard::hydrate(m_dir.path().toStdString(), ShardGeometry {16, kPack});
        QVERIFY(shard);
        for (uint32_t i = 0; i < 4; ++i) {
            const std::vector<uint8_t> data(kSizes[i], uint8_t(i));
            QVERIFY(shard->append(keyOf(i), data).value_or(false));
        }
        QVERIFY(shard->flush());
        QVERIFY(shard->remove(keyOf(1)).value_or(false));
        QVERIFY(shard->flush());
    }
    // Byte surgery: slot 4 claims [2000, 2300), inside slot 2 and 3's data,
    // and table_len says 5.
    QFile table(m_dir.filePath(QStringLiteral("00000000.slot")));
    QVERIFY(table.open(QIODevice::ReadWrite));
    std::array<uint8_t, 32> slot {};
    Entry {keyOf(4), 2000, 300}.encodeTo(slot.data());
    QVERIFY(table.seek(4 * 32));
    QVERIFY(table.write(reinterpret_cast<const char *>(slot.data()), 32) == 32);
    table.close();
    QFile mf(m_dir.filePath(QStringLiteral("MF")));
    QVERIFY(mf.open(QIODevice::ReadWrite));
    std::array<uint8_t, 64> copies {};
    Manifest {10, 0, 5}.encodeTo(copies.data());
    QVERIFY(mf.write(reinterpret_cast<const char *>(copies.data()), 64) == 64);
    mf.close();

    auto shard = Shard::openReadOnly(m_dir.path().toStdString());
    QVERIFY(shard);
    m_layout = PackLayout::fromShard(*shard);
}

void TestPackMap::hover_data()
{
    QTest::addColumn<qulonglong>("offset");
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("slot"); // what a click selects; -1 for nothing

    QTest::newRow("slot 0") << 500ull << QStringLiteral("slot 0 · live · [0, 1000) · 1,000 bytes") << 0;
    QTest::newRow("dead: slot 1's data")
        << 1250ull << QStringLiteral("dead · [1000, 1500) · 500 bytes · probably the data of tombstone slot 1") << 1;
    QTest::newRow("slot 2 alone") << 1700ull << QStringLiteral("slot 2 · live · [1500, 2000) · 500 bytes") << 2;
    QTest::newRow("slots 2 and 4") << 2100ull << QStringLiteral("slots 2, 4 · overlap · [2000, 2200) · 200 bytes") << 2;
    QTest::newRow("slots 3 and 4") << 2250ull << QStringLiteral("slots 3, 4 · overlap · [2200, 2300) · 100 bytes") << 3;
    QTest::newRow("slot 3 alone") << 2400ull << QStringLiteral("slot 3 · live · [2300, 2500) · 200 bytes") << 3;
    QTest::newRow("free") << 3000ull << QStringLiteral("free · [2500, 4096) · 1,596 bytes · past the furthest entry")
                          << -1;
}

void TestPackMap::hover()
{
    QFETCH(qulonglong, offset);
    QFETCH(QString, text);
    PackMapWidget map;
    map.resize(820, map.sizeHint().height());
    map.setPackLayout(&m_layout);
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    QSignalSpy hovered(&map, &PackMapWidget::hoveredRangeChanged);

    const QRect bar = map.barRect();
    const int x = bar.left() + m_layout.columnOf(offset, bar.width());
    const QPoint pos(x, bar.center().y());
    QTest::mouseMove(&map, pos);
    QTRY_COMPARE(hovered.count(), 1);
    const auto expected = m_layout.rangeAt(offset);
    QVERIFY(expected);
    QCOMPARE(hovered.takeFirst().at(0).value<qsizetype>(), qsizetype(*expected));
    QCOMPARE(map.hoveredRange(), qsizetype(*expected));
    QCOMPARE(map.rangeDescription(*expected), text);

    // The tooltip says the same.
    QHelpEvent help(QEvent::ToolTip, pos, map.mapToGlobal(pos));
    QApplication::sendEvent(&map, &help);
    QTRY_VERIFY(QToolTip::isVisible());
    QVERIFY2(QToolTip::text().startsWith(text), qPrintable(QToolTip::text()));
    QToolTip::hideText();
}

void TestPackMap::click()
{
    QFETCH(qulonglong, offset);
    QFETCH(int, slot);
    PackMapWidget map;
    map.resize(820, map.sizeHint().height());
    map.setPackLayout(&m_layout);
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    QSignalSpy clicked(&map, &PackMapWidget::slotClicked);
    const QRect bar = map.barRect();
    QTest::mouseClick(
        &map, Qt::LeftButton, {}, QPoint(bar.left() + m_layout.columnOf(offset, bar.width()), bar.center().y()));
    if (slot < 0) {
        QCOMPARE(clicked.count(), 0);
    } else {
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.at(0).at(0).value<quint32>(), quint32(slot));
    }
    // Below the bar and its marker nothing is clicked.
    QTest::mouseClick(&map, Qt::LeftButton, {}, QPoint(bar.left() + 5, map.height() - 2));
    QCOMPARE(clicked.count(), slot < 0 ? 0 : 1);
}

void TestPackMap::leaving()
{
    PackMapWidget map;
    map.resize(400, map.sizeHint().height());
    map.setPackLayout(&m_layout);
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    QSignalSpy hovered(&map, &PackMapWidget::hoveredRangeChanged);
    const QRect bar = map.barRect();
    QTest::mouseMove(&map, QPoint(bar.left() + 2, bar.center().y()));
    QTRY_COMPARE(hovered.count(), 1);
    QCOMPARE(hovered.at(0).at(0).value<qsizetype>(), qsizetype(0));
    // Off the bar, into the legend.
    QTest::mouseMove(&map, QPoint(bar.left() + 2, map.height() - 3));
    QTRY_COMPARE(hovered.count(), 2);
    QCOMPARE(hovered.at(1).at(0).value<qsizetype>(), qsizetype(-1));
    // A new layout drops the hover.
    QTest::mouseMove(&map, QPoint(bar.left() + 2, bar.center().y()));
    QTRY_COMPARE(hovered.count(), 3);
    map.setPackLayout(nullptr);
    QCOMPARE(hovered.count(), 4);
    QCOMPARE(map.hoveredRange(), -1);
}

void TestPackMap::selectedSlot()
{
    PackMapWidget map;
    map.resize(820, map.sizeHint().height());
    map.setPackLayout(&m_layout);
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    const QRect bar = map.barRect();
    const QColor highlight = map.palette().color(QPalette::Highlight);
    auto outlined = [&](uint64_t offset) {
        // The outline's top edge runs one pixel below the bar's top.
        const QImage image = map.grab().toImage();
        const int x = bar.left() + m_layout.columnOf(offset, bar.width());
        return image.pixelColor(x, bar.top() + 1) == highlight;
    };
    QVERIFY(!outlined(1700));
    map.setSelectedSlot(2);
    QCOMPARE(map.selectedSlot(), std::optional<quint32>(2));
    QVERIFY(outlined(1700));
    QVERIFY(!outlined(500));
    QVERIFY(!outlined(3000));
    map.setSelectedSlot(0);
    QVERIFY(outlined(500));
    QVERIFY(!outlined(1700));
    // A tombstone has no bytes to outline.
    map.setSelectedSlot(1);
    QVERIFY(!outlined(1250));
    map.setSelectedSlot(std::nullopt);
    QVERIFY(!outlined(500));
}

void TestPackMap::palettes()
{
    // Every kind has its own colour on a light and on a dark palette.
    QPalette light;
    light.setColor(QPalette::Window, Qt::white);
    light.setColor(QPalette::Base, Qt::white);
    light.setColor(QPalette::Text, Qt::black);
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x20, 0x20, 0x20));
    dark.setColor(QPalette::Base, QColor(0x18, 0x18, 0x18));
    dark.setColor(QPalette::Text, Qt::white);
    for (const QPalette &pal : {light, dark}) {
        QSet<QRgb> colours;
        for (int k = 0; k < PackLayout::kKindCount; ++k)
            colours.insert(PackMapWidget::kindColor(PackLayout::Kind(k), pal).rgb());
        QCOMPARE(colours.size(), PackLayout::kKindCount);
        // Free space stays close to the background.
        const QColor free = PackMapWidget::kindColor(PackLayout::Kind::Free, pal);
        QVERIFY(std::abs(free.lightness() - pal.color(QPalette::Base).lightness()) < 40);
    }
    QVERIFY(PackMapWidget::kindColor(PackLayout::Kind::Live, light)
        != PackMapWidget::kindColor(PackLayout::Kind::Live, dark));
}

void TestPackMap::noLayout()
{
    PackMapWidget map;
    map.resize(300, map.sizeHint().height());
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    QSignalSpy clicked(&map, &PackMapWidget::slotClicked);
    QTest::mouseClick(&map, Qt::LeftButton, {}, map.barRect().center());
    QCOMPARE(clicked.count(), 0);
    QCOMPARE(map.rangeAtX(map.barRect().center().x()), std::nullopt);
    QVERIFY(map.rangeDescription(0).isEmpty());
}

QTEST_MAIN(TestPackMap)
#include "tst_pack_map.moc"
