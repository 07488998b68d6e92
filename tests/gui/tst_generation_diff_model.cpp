// GenerationDiffModel: rows per kind filter, cell contents, summary text and
// sorting, over diffs made by hand and over the reference's compacted
// fixture, with QAbstractItemModelTester watching every change.
#include "directory.h"
#include "generation_diff.h"
#include "generation_diff_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

using namespace shardscope;

Q_DECLARE_METATYPE(shardscope::DiffKind)

namespace {

Key key(uint64_t n)
{
    return Key({n, 0, 1});
}

// One entry of each kind but Damaged, plus a damaged one, keys 1..6.
GenerationDiff sampleDiff()
{
    GenerationDiff d;
    d.oldGeneration = 3;
    d.newGeneration = 4;
    auto add = [&d](DiffKind kind, uint64_t n, std::optional<DiffSlot> o, std::optional<DiffSlot> nw) {
        DiffEntry e {kind, key(n), o, nw, std::nullopt};
        if (kind == DiffKind::Damaged)
            e.problem = Error {ErrorKind::Corrupt, "/x/00000003.pack", 70000, "range lies beyond the end"};
        d.entries.push_back(e);
        ++d.counts[size_t(kind)];
    };
    add(DiffKind::Added, 1, std::nullopt, DiffSlot {7, 700, 10});
    add(DiffKind::Removed, 2, DiffSlot {2, 20, 5}, std::nullopt);
    add(DiffKind::Moved, 3, DiffSlot {3, 30, 8}, DiffSlot {0, 0, 8});
    add(DiffKind::Changed, 4, DiffSlot {4, 40, 8}, DiffSlot {9, 900, 12});
    add(DiffKind::Unchanged, 5, DiffSlot {5, 50, 1}, DiffSlot {5, 50, 1});
    add(DiffKind::Damaged, 6, DiffSlot {6, 70000, 4}, DiffSlot {1, 8, 4});
    return d;
}

QVariant cell(const QAbstractItemModel &m, int row, int column, int role = Qt::DisplayRole)
{
    return m.data(m.index(row, column), role);
}

QList<int> kindsShown(const GenerationDiffModel &m)
{
    QList<int> out;
    for (int row = 0; row < m.rowCount(); ++row)
        out << cell(m, row, 0, GenerationDiffModel::KindRole).toInt();
    return out;
}

} // namespace

class TestGenerationDiffModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void emptyModel();
    void defaultHidesUnchanged();
    void cells_data();
    void cells();
    void kindFilter_data();
    void kindFilter();
    void summary();
    void sortsNumerically();
    void referenceCompacted();
};

void TestGenerationDiffModel::emptyModel()
{
    GenerationDiffModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.columnCount(), int(GenerationDiffModel::ColumnCount));
    QVERIFY(!model.hasDiff());
    QVERIFY(model.summary().isEmpty());
    QCOMPARE(model.headerData(GenerationDiffModel::KindColumn, Qt::Horizontal).toString(), QStringLiteral("Change"));
}

void TestGenerationDiffModel::defaultHidesUnchanged()
{
    GenerationDiffModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDiff(sampleDiff());
    QVERIFY(model.hasDiff());
    QVERIFY(!model.isKindVisible(DiffKind::Unchanged));
    QCOMPARE(model.rowCount(), 5);
    QVERIFY(!kindsShown(model).contains(int(DiffKind::Unchanged)));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(!model.hasDiff());
}

void TestGenerationDiffModel::cells_data()
{
    QTest::addColumn<DiffKind>("kind");
    QTest::addColumn<QStringList>("expected"); // kind, old slot, old offset, new slot, new offset, len
    QTest::newRow("added") << DiffKind::Added << QStringList {"added", "", "", "7", "700", "10"};
    QTest::newRow("removed") << DiffKind::Removed << QStringList {"removed", "2", "20", "", "", "5"};
    QTest::newRow("moved") << DiffKind::Moved << QStringList {"moved", "3", "30", "0", "0", "8"};
    QTest::newRow("changed, other length")
        << DiffKind::Changed << QStringList {"changed", "4", "40", "9", "900", QStringLiteral("8 \u2192 12")};
    QTest::newRow("unchanged") << DiffKind::Unchanged << QStringList {"unchanged", "5", "50", "5", "50", "1"};
    QTest::newRow("damaged") << DiffKind::Damaged << QStringList {"damaged", "6", "70000", "1", "8", "4"};
}

void TestGenerationDiffModel::cells()
{
    QFETCH(DiffKind, kind);
    QFETCH(QStringList, expected);
    GenerationDiffModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDiff(sampleDiff());
    model.setKindVisible(DiffKind::Unchanged, true);
    QCOMPARE(model.rowCount(), 6);
    int row = -1;
    for (int r = 0; r < model.rowCount(); ++r) {
        if (cell(model, r, 0, GenerationDiffModel::KindRole).toInt() == int(kind))
            row = r;
    }
    QVERIFY(row >= 0);
    const QList<int> columns {GenerationDiffModel::KindColumn, GenerationDiffModel::OldSlotColumn,
        GenerationDiffModel::OldOffsetColumn, GenerationDiffModel::NewSlotColumn, GenerationDiffModel::NewOffsetColumn,
        GenerationDiffModel::LenColumn};
    for (int i = 0; i < columns.size(); ++i)
        QCOMPARE(cell(model, row, columns[i]).toString(), expected[i]);
    const DiffEntry &entry = model.entryAt(row);
    QCOMPARE(cell(model, row, GenerationDiffModel::KeyColumn).toString(), QString::fromStdString(entry.key.toHex()));
    QCOMPARE(entry.kind, kind);
    const QString tip = cell(model, row, GenerationDiffModel::KeyColumn, Qt::ToolTipRole).toString();
    QVERIFY2(
        tip.contains(QStringLiteral("generation 3")) && tip.contains(QStringLiteral("generation 4")), qPrintable(tip));
    if (kind == DiffKind::Damaged)
        QVERIFY2(
            tip.contains(QStringLiteral("/x/00000003.pack")) && tip.contains(QStringLiteral("70000")), qPrintable(tip));
    // A missing side sorts as -1, before every real slot.
    if (!entry.oldSlot)
        QCOMPARE(cell(model, row, GenerationDiffModel::OldSlotColumn, GenerationDiffModel::SortRole).toLongLong(), -1);
}

void TestGenerationDiffModel::kindFilter_data()
{
    QTest::addColumn<QList<int>>("hidden");
    QTest::addColumn<QList<int>>("shown");
    using K = DiffKind;
    QTest::newRow("everything") << QList<int> {}
                                << QList<int> {int(K::Added), int(K::Removed), int(K::Moved), int(K::Changed),
                                       int(K::Unchanged), int(K::Damaged)};
    QTest::newRow("only added and removed") << QList<int> {int(K::Moved), int(K::Changed), int(K::Unchanged),
        int(K::Damaged)} << QList<int> {int(K::Added), int(K::Removed)};
    QTest::newRow("nothing") << QList<int> {int(K::Added), int(K::Removed), int(K::Moved), int(K::Changed),
        int(K::Unchanged), int(K::Damaged)}
                             << QList<int> {};
}

void TestGenerationDiffModel::kindFilter()
{
    QFETCH(QList<int>, hidden);
    QFETCH(QList<int>, shown);
    GenerationDiffModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDiff(sampleDiff());
    QSignalSpy changed(&model, &GenerationDiffModel::visibleKindsChanged);
    model.setKindVisible(DiffKind::Unchanged, true);
    QCOMPARE(changed.count(), 1);
    model.setKindVisible(DiffKind::Unchanged, true); // no change, no signal
    QCOMPARE(changed.count(), 1);
    for (int k : hidden)
        model.setKindVisible(DiffKind(k), false);
    QCOMPARE(kindsShown(model), shown);
    for (int k : hidden)
        QVERIFY(!model.isKindVisible(DiffKind(k)));
    // The filter survives a new diff.
    model.setDiff(sampleDiff());
    QCOMPARE(kindsShown(model), shown);
    // The summary counts the whole diff, not the rows shown.
    QVERIFY(model.summary().contains(QStringLiteral("1 added")));
}

void TestGenerationDiffModel::summary()
{
    GenerationDiffModel model;
    GenerationDiff d = sampleDiff();
    model.setDiff(d);
    QCOMPARE(model.summary(), QStringLiteral("1 added, 1 removed, 1 moved, 1 changed, 1 unchanged, 1 damaged"));
    // Without damaged entries the summary does not mention them.
    d.entries.pop_back();
    d.counts[size_t(DiffKind::Damaged)] = 0;
    d.counts[size_t(DiffKind::Moved)] = 12;
    model.setDiff(d);
    QCOMPARE(model.summary(), QStringLiteral("1 added, 1 removed, 12 moved, 1 changed, 1 unchanged"));
}

void TestGenerationDiffModel::sortsNumerically()
{
    GenerationDiffModel model;
    model.setDiff(sampleDiff());
    model.setKindVisible(DiffKind::Unchanged, true);
    QSortFilterProxyModel proxy;
    proxy.setSortRole(GenerationDiffModel::SortRole);
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.sort(GenerationDiffModel::NewOffsetColumn);
    // Absent (-1) first, then 0, 8, 50, 700, 900: numbers, not strings ("700" < "8" as text).
    QStringList offsets;
    for (int row = 0; row < proxy.rowCount(); ++row)
        offsets << cell(proxy, row, GenerationDiffModel::NewOffsetColumn).toString();
    QCOMPARE(offsets, (QStringList {"", "0", "8", "50", "700", "900"}));
}

void TestGenerationDiffModel::referenceCompacted()
{
    // diffGenerations only reads; the fixture itself is safe to look at.
    auto dir = Directory::open(SHARDSCOPE_TEST_DATA "/compacted");
    QVERIFY(dir);
    auto diff = diffGenerations(*dir, 0, 1);
    QVERIFY(diff);
    GenerationDiffModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDiff(*diff);
    model.setKindVisible(DiffKind::Unchanged, true);
    QCOMPARE(size_t(model.rowCount()), diff->entries.size());
    QCOMPARE(model.rowCount(), 40);
    for (int row = 0; row < model.rowCount(); ++row) {
        const DiffEntry &e = diff->entries[size_t(cell(model, row, 0, GenerationDiffModel::EntryIndexRole).toInt())];
        QCOMPARE(cell(model, row, GenerationDiffModel::KeyColumn).toString(), QString::fromStdString(e.key.toHex()));
        QCOMPARE(cell(model, row, GenerationDiffModel::NewSlotColumn).toUInt(), e.newSlot->slot);
    }
    model.setKindVisible(DiffKind::Unchanged, false);
    QCOMPARE(uint32_t(model.rowCount()), diff->count(DiffKind::Moved));
}

QTEST_GUILESS_MAIN(TestGenerationDiffModel)
#include "tst_generation_diff_model.moc"
