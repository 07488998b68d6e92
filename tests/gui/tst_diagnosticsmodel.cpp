// DiagnosticsModel over hand-made reports (every column and role, the
// worst-first order) and over what the checker finds in a damaged copy of a
// reference fixture.
#include "../storage/test_support.h"

#include "checker.h"
#include "diagnostics_model.h"
#include "entry.h"
#include "format.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace shardscope;

Q_DECLARE_METATYPE(shardscope::Diagnostic)

namespace {

std::vector<uint8_t> readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = file.readAll();
    return {bytes.begin(), bytes.end()};
}

QString fixturePath(const QString &name)
{
    return QStringLiteral(SHARDSCOPE_TEST_DATA "/") + name;
}

Diagnostic diag(std::string code, Severity severity, std::string file, std::optional<uint64_t> offset,
    std::optional<uint32_t> slot, std::optional<uint32_t> other = {}, std::string shard = {},
    std::string message = "something")
{
    Diagnostic d;
    d.code = std::move(code);
    d.severity = severity;
    d.file = std::move(file);
    d.offset = offset;
    d.slot = slot;
    d.otherSlot = other;
    d.shard = std::move(shard);
    d.message = std::move(message);
    return d;
}

QVariant cell(const QAbstractItemModel &model, int row, int column, int role = Qt::DisplayRole)
{
    return model.data(model.index(row, column), role);
}

} // namespace

class TestDiagnosticsModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void oneDiagnostic_data();
    void oneDiagnostic();
    void worstFirst();
    void checkerFindings();
    void storeFindings();
    void sortsByEveryColumn();
    void resets();
    void headers();
};

void TestDiagnosticsModel::oneDiagnostic_data()
{
    QTest::addColumn<Diagnostic>("d");
    QTest::addColumn<QString>("severity");
    QTest::addColumn<QString>("offset");
    QTest::addColumn<QString>("slot");

    QTest::newRow("overlap pair") << diag("entries-overlap", Severity::Error, "00000000.pack", 0x1f40, 8, 7)
                                  << QStringLiteral("error") << QStringLiteral("0x1f40") << QStringLiteral("8 / 7");
    QTest::newRow("zero key") << diag("zero-key", Severity::Error, "00000000.slot", 320, 10) << QStringLiteral("error")
                              << QStringLiteral("0x140") << QStringLiteral("10");
    QTest::newRow("no offset, no slot") << diag(
        "stale-generation", Severity::Info, "00000000.pack", std::nullopt, std::nullopt)
                                        << QStringLiteral("info") << QString() << QString();
    QTest::newRow("a child shard's file")
        << diag("duplicate-key", Severity::Warning, "ab/00000000.slot", 64, 2, 0, "ab") << QStringLiteral("warning")
        << QStringLiteral("0x40") << QStringLiteral("2 / 0");
    QTest::newRow("a directory") << diag(
        "invalid-child-name", Severity::Warning, "", std::nullopt, std::nullopt, std::nullopt, "ab")
                                 << QStringLiteral("warning") << QString() << QString();
    QTest::newRow("offset zero") << diag("table-size-invalid", Severity::Error, "00000000.slot", 0, std::nullopt)
                                 << QStringLiteral("error") << QStringLiteral("0x0") << QString();
    QTest::newRow("offset past 4 GiB") << diag(
        "io-error", Severity::Error, "00000000.pack", 0x1'0000'0010ULL, std::nullopt)
                                       << QStringLiteral("error") << QStringLiteral("0x100000010") << QString();
}

void TestDiagnosticsModel::oneDiagnostic()
{
    QFETCH(Diagnostic, d);
    QFETCH(QString, severity);
    QFETCH(QString, offset);
    QFETCH(QString, slot);

    DiagnosticsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    CheckReport report;
    report.path = "/somewhere";
    report.diagnostics.push_back(d);
    model.setReport(report);
    QCOMPARE(model.rowCount(), 1);

    QCOMPARE(cell(model, 0, DiagnosticsModel::SeverityColumn).toString(), severity);
    QCOMPARE(cell(model, 0, DiagnosticsModel::CodeColumn).toString(), QString::fromStdString(d.code));
    QCOMPARE(cell(model, 0, DiagnosticsModel::FileColumn).toString(), QString::fromStdString(d.file));
    QCOMPARE(cell(model, 0, DiagnosticsModel::OffsetColumn).toString(), offset);
    QCOMPARE(cell(model, 0, DiagnosticsModel::SlotColumn).toString(), slot);
    QCOMPARE(cell(model, 0, DiagnosticsModel::MessageColumn).toString(), QString::fromStdString(d.message));

    // The roles carry the values themselves, from any column.
    for (int column = 0; column < DiagnosticsModel::ColumnCount; ++column) {
        QCOMPARE(cell(model, 0, column, DiagnosticsModel::SeverityRole).toInt(), int(d.severity));
        QCOMPARE(cell(model, 0, column, DiagnosticsModel::CodeRole).toString(), QString::fromStdString(d.code));
        QCOMPARE(cell(model, 0, column, DiagnosticsModel::FileRole).toString(), QString::fromStdString(d.file));
        QCOMPARE(cell(model, 0, column, DiagnosticsModel::ShardRole).toString(), QString::fromStdString(d.shard));
        const QVariant off = cell(model, 0, column, DiagnosticsModel::OffsetRole);
        QCOMPARE(off.isValid(), d.offset.has_value());
        if (d.offset)
            QCOMPARE(off.toULongLong(), qulonglong(*d.offset));
        const QVariant s = cell(model, 0, column, DiagnosticsModel::SlotRole);
        QCOMPARE(s.isValid(), d.slot.has_value());
        if (d.slot)
            QCOMPARE(s.toUInt(), *d.slot);
        const QVariant other = cell(model, 0, column, DiagnosticsModel::OtherSlotRole);
        QCOMPARE(other.isValid(), d.otherSlot.has_value());
        if (d.otherSlot)
            QCOMPARE(other.toUInt(), *d.otherSlot);
    }
    const QString tip = cell(model, 0, 0, Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QString::fromStdString(d.code)), qPrintable(tip));
    QVERIFY(tip.contains(QString::fromStdString(d.message)));
    if (d.offset)
        QVERIFY2(tip.contains(QString::number(*d.offset)), qPrintable(tip));
    QCOMPARE(model.report().path, std::string("/somewhere"));
}

void TestDiagnosticsModel::worstFirst()
{
    CheckReport report;
    auto add = [&](Diagnostic d, std::string tag) {
        d.message = std::move(tag);
        report.diagnostics.push_back(std::move(d));
    };
    add(diag("stale-generation", Severity::Info, "00000000.pack", std::nullopt, std::nullopt), "i1");
    add(diag("zero-key", Severity::Error, "00000000.slot", 320, 10), "e3");
    add(diag("uncommitted-slots", Severity::Warning, "00000000.slot", 3200, 100), "w1");
    add(diag("entries-overlap", Severity::Error, "00000000.pack", 500, 8, 7), "e2");
    add(diag("zero-key", Severity::Error, "ab/00000000.slot", 32, 1, {}, "ab"), "e5");
    add(diag("table-len-exceeds-capacity", Severity::Error, "MF", 12, std::nullopt), "e4");
    add(diag("pack-missing", Severity::Error, "00000000.pack", std::nullopt, std::nullopt), "e1");
    add(diag("zero-key", Severity::Error, "00000000.slot", 320, 10), "e3 again"); // equal: keeps its place
    add(diag("invalid-child-name", Severity::Warning, "", std::nullopt, std::nullopt, {}, ""), "w0");

    DiagnosticsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setReport(report);
    QStringList order;
    for (int row = 0; row < model.rowCount(); ++row)
        order << cell(model, row, DiagnosticsModel::MessageColumn).toString();
    // Errors, warnings, notes; inside: shard ("" before "ab"), file, then
    // offset with "no offset" first.
    const QStringList expected {QStringLiteral("e1"), QStringLiteral("e2"), QStringLiteral("e3"),
        QStringLiteral("e3 again"), QStringLiteral("e4"), QStringLiteral("e5"), QStringLiteral("w0"),
        QStringLiteral("w1"), QStringLiteral("i1")};
    QCOMPARE(order, expected);
    QCOMPARE(model.diagnosticAt(0).code, std::string("pack-missing"));
}

void TestDiagnosticsModel::checkerFindings()
{
    // basic with slot 3 past the pack, slot 8 on top of slot 7, slot 10's key
    // zeroed: the checker's findings, and where each row points.
    const QString dir = fixturePath(QStringLiteral("basic"));
    std::vector<uint8_t> table = readFile(dir + QStringLiteral("/00000000.slot"));
    QVERIFY(!table.empty());
    auto entry = [&](uint32_t slot) { return Entry::decode(table.data() + slot * kTableEntrySize); };
    auto put = [&](uint32_t slot, const Entry &e) { e.encodeTo(table.data() + slot * kTableEntrySize); };
    Entry e = entry(3);
    e.offset = 0x100000;
    put(3, e);
    e = entry(8);
    e.offset = entry(7).offset + 1;
    put(8, e);
    e = entry(10);
    e.key = Key();
    put(10, e);
    auto report = checkShardBytes(
        readFile(dir + QStringLiteral("/MF")), std::move(table), readFile(dir + QStringLiteral("/00000000.pack")));
    QVERIFY2(report, report ? "" : report.error().describe().c_str());
    QVERIFY(report->count(Severity::Error) >= 3);

    DiagnosticsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setReport(*report);
    QCOMPARE(model.rowCount(), int(report->diagnostics.size()));
    QCOMPARE(cell(model, 0, 0, DiagnosticsModel::SeverityRole).toInt(), int(Severity::Error));

    auto rowWithCode = [&](const QString &code) {
        for (int row = 0; row < model.rowCount(); ++row) {
            if (cell(model, row, 0, DiagnosticsModel::CodeRole).toString() == code)
                return row;
        }
        return -1;
    };
    const int outOfBounds = rowWithCode(QStringLiteral("entry-out-of-bounds"));
    QVERIFY(outOfBounds >= 0);
    QCOMPARE(cell(model, outOfBounds, 0, DiagnosticsModel::SlotRole).toUInt(), 3u);
    QCOMPARE(cell(model, outOfBounds, 0, DiagnosticsModel::OffsetRole).toULongLong(), 3ull * 32 + 24);
    QCOMPARE(cell(model, outOfBounds, 0, DiagnosticsModel::FileRole).toString(), QStringLiteral("00000000.slot"));

    const int zeroKey = rowWithCode(QStringLiteral("zero-key"));
    QVERIFY(zeroKey >= 0);
    QCOMPARE(cell(model, zeroKey, 0, DiagnosticsModel::SlotRole).toUInt(), 10u);
    QCOMPARE(cell(model, zeroKey, DiagnosticsModel::OffsetColumn).toString(), QStringLiteral("0x140"));

    const int overlap = rowWithCode(QStringLiteral("entries-overlap"));
    QVERIFY(overlap >= 0);
    const std::set<uint> pair {cell(model, overlap, 0, DiagnosticsModel::SlotRole).toUInt(),
        cell(model, overlap, 0, DiagnosticsModel::OtherSlotRole).toUInt()};
    QCOMPARE(pair, (std::set<uint> {7u, 8u}));
    QCOMPARE(cell(model, overlap, 0, DiagnosticsModel::FileRole).toString(), QStringLiteral("00000000.pack"));

    // Every finding is a row, none twice.
    std::multiset<std::string> fromReport, fromModel;
    for (const Diagnostic &d : report->diagnostics)
        fromReport.insert(d.code + "|" + d.message);
    for (int row = 0; row < model.rowCount(); ++row)
        fromModel.insert(model.diagnosticAt(row).code + "|" + model.diagnosticAt(row).message);
    QCOMPARE(fromModel, fromReport);
}

void TestDiagnosticsModel::storeFindings()
{
    // The reference store is clean; a copy with one child's manifest cut
    // short has a finding that names that child.
    const QString root = fixturePath(QStringLiteral("store"));
    auto clean = checkStore(root.toStdString());
    QVERIFY2(clean, clean ? "" : clean.error().describe().c_str());
    DiagnosticsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setReport(*clean);
    QCOMPARE(model.rowCount(), 0);

    QTemporaryDir tmp;
    const QString copy = tmp.filePath(QStringLiteral("store"));
    QVERIFY(testsupport::copyTree(root, copy));
    QVERIFY(testsupport::writeFile(copy + QStringLiteral("/0a/MF"), QByteArray(10, '\0')));
    auto damaged = checkStore(copy.toStdString());
    QVERIFY2(damaged, damaged ? "" : damaged.error().describe().c_str());
    model.setReport(*damaged);
    QVERIFY(model.rowCount() >= 1);
    QCOMPARE(cell(model, 0, 0, DiagnosticsModel::SeverityRole).toInt(), int(Severity::Error));
    QCOMPARE(cell(model, 0, 0, DiagnosticsModel::CodeRole).toString(), QStringLiteral("manifest-truncated"));
    QCOMPARE(cell(model, 0, 0, DiagnosticsModel::ShardRole).toString(), QStringLiteral("0a"));
    QCOMPARE(cell(model, 0, 0, DiagnosticsModel::FileRole).toString(), QStringLiteral("0a/MF"));
    QCOMPARE(cell(model, 0, 0, DiagnosticsModel::OffsetRole).toULongLong(), 10ull);
    for (int row = 0; row < model.rowCount(); ++row)
        QCOMPARE(cell(model, row, 0, DiagnosticsModel::ShardRole).toString(), QStringLiteral("0a"));
}

void TestDiagnosticsModel::sortsByEveryColumn()
{
    CheckReport report;
    report.diagnostics = {diag("zero-key", Severity::Error, "00000000.slot", 320, 10),
        diag("uncommitted-slots", Severity::Warning, "00000000.slot", 3200, 100),
        diag("stale-generation", Severity::Info, "00000001.pack", std::nullopt, std::nullopt),
        diag("entries-overlap", Severity::Error, "00000000.pack", 500, 8, 7),
        diag("zero-key", Severity::Error, "ab/00000000.slot", 32, 1, {}, "ab")};
    DiagnosticsModel model;
    model.setReport(report);
    QSortFilterProxyModel proxy;
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    proxy.setSortRole(DiagnosticsModel::SortRole);
    proxy.setSourceModel(&model);

    proxy.sort(DiagnosticsModel::OffsetColumn, Qt::AscendingOrder);
    QVERIFY(!proxy.index(0, 0).data(DiagnosticsModel::OffsetRole).isValid()); // no offset first
    qulonglong previous = 0;
    for (int row = 1; row < proxy.rowCount(); ++row) {
        const qulonglong offset = proxy.index(row, 0).data(DiagnosticsModel::OffsetRole).toULongLong();
        QVERIFY(offset >= previous); // numerically: 0x1f4 (500) before 0xc80 (3200)
        previous = offset;
    }
    proxy.sort(DiagnosticsModel::SeverityColumn, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, 0).data(DiagnosticsModel::SeverityRole).toInt(), int(Severity::Error));
    QCOMPARE(proxy.index(4, 0).data(DiagnosticsModel::SeverityRole).toInt(), int(Severity::Info));
    proxy.sort(DiagnosticsModel::SlotColumn, Qt::AscendingOrder);
    QCOMPARE(proxy.index(4, 0).data(DiagnosticsModel::SlotRole).toUInt(), 100u);
    for (int column = 0; column < DiagnosticsModel::ColumnCount; ++column)
        proxy.sort(column, Qt::DescendingOrder);
}

void TestDiagnosticsModel::resets()
{
    DiagnosticsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    CheckReport report;
    report.diagnostics.push_back(diag("zero-key", Severity::Error, "00000000.slot", 0, 0));
    model.setReport(report);
    QCOMPARE(model.rowCount(), 1);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(model.report().diagnostics.empty());
    QCOMPARE(reset.count(), 2);
    QVERIFY(!model.data(model.index(0, 0)).isValid());
}

void TestDiagnosticsModel::headers()
{
    DiagnosticsModel model;
    QSet<QString> names;
    for (int column = 0; column < DiagnosticsModel::ColumnCount; ++column) {
        names.insert(model.headerData(column, Qt::Horizontal).toString());
        QVERIFY(!model.headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
    }
    QCOMPARE(names.size(), int(DiagnosticsModel::ColumnCount));
    QVERIFY(!names.contains(QString()));
    QCOMPARE(DiagnosticsModel::severityText(Severity::Error), QStringLiteral("error"));
    QCOMPARE(DiagnosticsModel::severityText(Severity::Warning), QStringLiteral("warning"));
    QCOMPARE(DiagnosticsModel::severityText(Severity::Info), QStringLiteral("info"));
}

QTEST_GUILESS_MAIN(TestDiagnosticsModel)
#include "tst_diagnosticsmodel.moc"
