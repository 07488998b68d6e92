// SlotTableModel over the reference fixtures: the rows must say what the
// reference's own read-back (NAME.expect.json) says, and the model must
// satisfy QAbstractItemModelTester throughout.
#include "shard.h"
#include "shard_summary.h"
#include "slot_table_model.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

using namespace shardscope;

namespace {

QString fixturePath(const QString &name)
{
    return QStringLiteral(SHARDSCOPE_TEST_DATA "/") + name;
}

QJsonObject expectation(const QString &name)
{
    QFile file(fixturePath(name) + QStringLiteral(".expect.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

std::vector<uint8_t> readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = file.readAll();
    return {bytes.begin(), bytes.end()};
}

QVariant cell(const QAbstractItemModel &model, int row, int column, int role = Qt::DisplayRole)
{
    return model.data(model.index(row, column), role);
}

} // namespace

class TestSlotTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void fixtures_data();
    void fixtures();
    void tester_data() { fixtures_data(); }
    void tester();
    void resetSignals();
    void damagedEntry();
    void previewRole();
    void sortsNumerically();
    void headers();
    void summary();
};

void TestSlotTableModel::fixtures_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::newRow("basic") << QStringLiteral("basic");
    QTest::newRow("compacted, generation 1") << QStringLiteral("compacted");
    QTest::newRow("empty") << QStringLiteral("empty");
    QTest::newRow("tombstones") << QStringLiteral("tombstones");
}

void TestSlotTableModel::fixtures()
{
    QFETCH(QString, fixture);
    auto shard = Shard::openReadOnly(fixturePath(fixture).toStdString());
    QVERIFY2(shard, shard ? "" : shard.error().describe().c_str());
    const QJsonObject expect = expectation(fixture);
    QVERIFY(!expect.isEmpty());

    SlotTableModel model;
    model.setShard(&*shard);
    QCOMPARE(model.rowCount(), int(shard->slotCount()));
    QCOMPARE(model.rowCount(), expect.value(QLatin1String("table_len")).toInt());
    QCOMPARE(model.columnCount(), int(SlotTableModel::ColumnCount));

    const QJsonArray entries = expect.value(QLatin1String("entries")).toArray();
    QCOMPARE(entries.size(), model.rowCount());
    int tombstones = 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        const QJsonObject e = entries.at(row).toObject();
        const bool tombstone = e.value(QLatin1String("tombstone")).toBool();
        const auto offset = qulonglong(e.value(QLatin1String("offset")).toInteger());
        const auto len = qulonglong(e.value(QLatin1String("len")).toInteger());
        const QString key = e.value(QLatin1String("key")).toString();

        QCOMPARE(cell(model, row, SlotTableModel::SlotColumn).toInt(), row);
        QCOMPARE(cell(model, row, SlotTableModel::KeyColumn, SlotTableModel::SlotRole).toInt(), row);
        QCOMPARE(cell(model, row, SlotTableModel::KeyColumn, SlotTableModel::SortRole).toString(), key);
        QCOMPARE(cell(model, row, SlotTableModel::OffsetColumn, SlotTableModel::SortRole).toULongLong(), offset);
        QCOMPARE(cell(model, row, SlotTableModel::LenColumn).toULongLong(), len);
        QCOMPARE(cell(model, row, SlotTableModel::LenColumn, SlotTableModel::SortRole).toULongLong(), len);
        if (tombstone) {
            ++tombstones;
            QCOMPARE(cell(model, row, SlotTableModel::StateColumn).toString(), QStringLiteral("tombstone"));
            QCOMPARE(cell(model, row, 0, SlotTableModel::StateRole).toInt(), int(SlotTableModel::SlotState::Tombstone));
            QCOMPARE(cell(model, row, SlotTableModel::OffsetColumn).toString(), QStringLiteral("0xffffffff"));
            QVERIFY(cell(model, row, SlotTableModel::EndColumn).toString().isEmpty());
            QVERIFY(cell(model, row, 0, Qt::ToolTipRole).toString().contains(QLatin1String("tombstone")));
        } else {
            QCOMPARE(cell(model, row, SlotTableModel::StateColumn).toString(), QStringLiteral("live"));
            QCOMPARE(cell(model, row, 0, SlotTableModel::StateRole).toInt(), int(SlotTableModel::SlotState::Live));
            QCOMPARE(cell(model, row, SlotTableModel::KeyColumn).toString(), key);
            QCOMPARE(cell(model, row, SlotTableModel::OffsetColumn).toULongLong(), offset);
            QCOMPARE(cell(model, row, SlotTableModel::EndColumn).toULongLong(), offset + len);
            QVERIFY(cell(model, row, 0, Qt::ToolTipRole).toString().contains(key));
        }
    }
    QCOMPARE(tombstones, expect.value(QLatin1String("tombstones")).toInt());
    // Past the last row there is nothing, and no crash.
    QVERIFY(!model.data(model.index(model.rowCount(), 0)).isValid());
}

void TestSlotTableModel::tester()
{
    QFETCH(QString, fixture);
    auto shard = Shard::openReadOnly(fixturePath(fixture).toStdString());
    QVERIFY(shard);
    auto other = Shard::openReadOnly(fixturePath(QStringLiteral("basic")).toStdString());
    QVERIFY(other);

    SlotTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setShard(&*shard);
    model.setShard(&*other);
    model.setShard(nullptr);
    QCOMPARE(model.rowCount(), 0);
    model.setShard(&*shard);

    // And behind the proxy the window uses, sorted by every column.
    QSortFilterProxyModel proxy;
    proxy.setSortRole(SlotTableModel::SortRole);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    proxy.setSourceModel(&model);
    for (int column = 0; column < SlotTableModel::ColumnCount; ++column) {
        proxy.sort(column, Qt::AscendingOrder);
        proxy.sort(column, Qt::DescendingOrder);
    }
    QCOMPARE(proxy.rowCount(), int(shard->slotCount()));
}

void TestSlotTableModel::resetSignals()
{
    auto shard = Shard::openReadOnly(fixturePath(QStringLiteral("tombstones")).toStdString());
    QVERIFY(shard);
    SlotTableModel model;
    QSignalSpy aboutToReset(&model, &QAbstractItemModel::modelAboutToBeReset);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.setShard(&*shard);
    QCOMPARE(aboutToReset.count(), 1);
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.shard(), &*shard);
    QCOMPARE(model.rowCount(), 40);
}

void TestSlotTableModel::damagedEntry()
{
    // Slot 3 of basic made to point past the end of its 64 KiB pack.
    const QString dir = fixturePath(QStringLiteral("basic"));
    std::vector<uint8_t> table = readFile(dir + QStringLiteral("/00000000.slot"));
    QVERIFY(!table.empty());
    const uint32_t bad = 0x100000;
    for (int i = 0; i < 4; ++i)
        table[3 * 32 + 24 + i] = uint8_t(bad >> (8 * i));
    auto shard = Shard::fromBytes(
        readFile(dir + QStringLiteral("/MF")), std::move(table), readFile(dir + QStringLiteral("/00000000.pack")));
    QVERIFY2(shard, shard ? "" : shard.error().describe().c_str());

    SlotTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setShard(&*shard);
    QCOMPARE(cell(model, 3, SlotTableModel::StateColumn).toString(), QStringLiteral("damaged"));
    QCOMPARE(cell(model, 3, 0, SlotTableModel::StateRole).toInt(), int(SlotTableModel::SlotState::Damaged));
    QCOMPARE(cell(model, 3, SlotTableModel::OffsetColumn).toUInt(), bad);
    // The tooltip carries the storage error: which offset is to blame.
    const QString tip = cell(model, 3, 0, Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QString::number(bad)), qPrintable(tip));
    QVERIFY(!cell(model, 3, 0, SlotTableModel::PreviewRole).isValid());
    QCOMPARE(cell(model, 2, SlotTableModel::StateColumn).toString(), QStringLiteral("live"));
}

void TestSlotTableModel::previewRole()
{
    auto shard = Shard::openReadOnly(fixturePath(QStringLiteral("basic")).toStdString());
    QVERIFY(shard);
    SlotTableModel model;
    model.setShard(&*shard);
    for (uint32_t slot = 0; slot < shard->slotCount(); ++slot) {
        const auto bytes = shard->data(shard->entry(slot));
        QVERIFY(bytes);
        const QByteArray expected(reinterpret_cast<const char *>(bytes->data()), qsizetype(bytes->size()));
        QCOMPARE(cell(model, int(slot), SlotTableModel::KeyColumn, SlotTableModel::PreviewRole).toByteArray(),
            expected.left(SlotTableModel::kPreviewLimit));
    }
    QVERIFY(cell(model, 0, 0, SlotTableModel::PreviewRole).toByteArray().startsWith("{\"id\": 0"));
}

void TestSlotTableModel::sortsNumerically()
{
    auto shard = Shard::openReadOnly(fixturePath(QStringLiteral("basic")).toStdString());
    QVERIFY(shard);
    SlotTableModel model;
    model.setShard(&*shard);
    QSortFilterProxyModel proxy;
    proxy.setSortRole(SlotTableModel::SortRole);
    proxy.setSourceModel(&model);

    proxy.sort(SlotTableModel::SlotColumn, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, 0).data(SlotTableModel::SlotRole).toInt(), 99);
    QCOMPARE(proxy.index(99, 0).data(SlotTableModel::SlotRole).toInt(), 0);

    proxy.sort(SlotTableModel::LenColumn, Qt::AscendingOrder);
    qulonglong previous = 0;
    for (int row = 0; row < proxy.rowCount(); ++row) {
        const qulonglong len = proxy.index(row, SlotTableModel::LenColumn).data(SlotTableModel::SortRole).toULongLong();
        QVERIFY(len >= previous);
        previous = len;
    }
}

void TestSlotTableModel::headers()
{
    SlotTableModel model;
    const QStringList expected {QStringLiteral("Slot"), QStringLiteral("State"), QStringLiteral("Key"),
        QStringLiteral("Offset"), QStringLiteral("Len"), QStringLiteral("End")};
    for (int column = 0; column < SlotTableModel::ColumnCount; ++column) {
        QCOMPARE(model.headerData(column, Qt::Horizontal).toString(), expected.at(column));
        QVERIFY(!model.headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
    }
}

void TestSlotTableModel::summary()
{
    auto shard = Shard::openReadOnly(fixturePath(QStringLiteral("tombstones")).toStdString());
    QVERIFY(shard);
    const ShardSummary s = ShardSummary::fromShard(*shard);
    QVERIFY(s.isValid());
    QCOMPARE(s.generation, 0u);
    QCOMPARE(s.nonce, uint64_t(1));
    QCOMPARE(s.tableLen, 40u);
    QCOMPARE(s.capacity, 128u);
    QCOMPARE(s.live, 30u);
    QCOMPARE(s.tombstones, 10u);
    QCOMPARE(s.packSize, uint64_t(65536));
    QVERIFY(s.packFillPercent() > 0.0 && s.packFillPercent() < 100.0);
    QVERIFY2(s.text().contains(QLatin1String("Generation 0")), qPrintable(s.text()));
    QVERIFY(s.text().contains(QLatin1String("10 tombstones")));

    auto compacted = Shard::openReadOnly(fixturePath(QStringLiteral("compacted")).toStdString());
    QVERIFY(compacted);
    QCOMPARE(ShardSummary::fromShard(*compacted).generation, 1u);
    QVERIFY(ShardSummary().text().isEmpty());
}

QTEST_GUILESS_MAIN(TestSlotTableModel)
#include "tst_slottablemodel.moc"
