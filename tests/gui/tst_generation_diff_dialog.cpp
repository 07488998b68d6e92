// GenerationDiffDialog offscreen: the first comparison it makes, picking
// generations, the same generation twice, a failing diff, the kind filter,
// closing; and one comparison over a real shard directory (a copy of the
// reference's compacted fixture).
#include "dialog_test_support.h"
#include "directory.h"
#include "generation_diff.h"
#include "generation_diff_dialog.h"
#include "generation_diff_model.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <mutex>

using namespace shardscope;
using test::saveScreenshot;

namespace {

Key key(uint64_t n)
{
    return Key({n, 0, 7});
}

// A diff whose entries spell out the pair asked for: `oldGen + newGen`
// added entries and one moved one, so each pair gives a different table.
// It runs on the dialog's worker threads (two at once when a choice
// overtakes a running comparison); the test reads `calls` only once the
// dialog has settled.
struct FakeDiffs {
    std::mutex mutex;
    QList<QPair<uint32_t, uint32_t>> calls;
    bool failing = false;
    int slowMs = 0; // how long each comparison takes

    Result<GenerationDiff> operator()(uint32_t oldGen, uint32_t newGen)
    {
        if (slowMs > 0)
            QThread::msleep(ulong(slowMs));
        {
            std::lock_guard lock(mutex);
            calls.append({oldGen, newGen});
        }
        if (failing)
            return fail(ErrorKind::NotFound, "/s/00000002.pack", "no such file");
        GenerationDiff d;
        d.oldGeneration = oldGen;
        d.newGeneration = newGen;
        d.oldByTableLen = true;
        d.newByTableLen = true;
        for (uint32_t i = 0; i < oldGen + newGen; ++i) {
            d.entries.push_back({DiffKind::Added, key(100 + i), std::nullopt, DiffSlot {i, i * 10, 10}, std::nullopt});
            ++d.counts[size_t(DiffKind::Added)];
        }
        d.entries.push_back({DiffKind::Moved, key(1), DiffSlot {5, 50, 3}, DiffSlot {0, 0, 3}, std::nullopt});
        ++d.counts[size_t(DiffKind::Moved)];
        d.entries.push_back({DiffKind::Unchanged, key(2), DiffSlot {1, 3, 3}, DiffSlot {1, 3, 3}, std::nullopt});
        ++d.counts[size_t(DiffKind::Unchanged)];
        return d;
    }
};

int rows(const GenerationDiffDialog &dialog)
{
    return dialog.table()->model()->rowCount();
}

// Comparisons run on a thread: waits until the dialog shows a result.
[[nodiscard]] bool settled(const GenerationDiffDialog &dialog)
{
    return QTest::qWaitFor([&dialog]() { return !dialog.isComparing(); }, 10000);
}

} // namespace

class TestGenerationDiffDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstComparison();
    void pickGenerations();
    void sameGenerationTwice();
    void onlyOneGeneration();
    void failingDiff();
    void kindFilter();
    void closeAndEscape_data();
    void closeAndEscape();
    void realShard();
    void whileComparing();
    void overtakenComparisonIsDropped();
    void closeWhileComparing();
};

void TestGenerationDiffDialog::firstComparison()
{
    FakeDiffs fake;
    GenerationDiffDialog dialog({0, 1, 2, 3}, 2, std::ref(fake));
    QVERIFY(settled(dialog));
    // The generation before the current one against the current one.
    QCOMPARE(fake.calls, (QList<QPair<uint32_t, uint32_t>> {{1, 2}}));
    QCOMPARE(dialog.oldGeneration(), 1u);
    QCOMPARE(dialog.newGeneration(), 2u);
    QCOMPARE(dialog.oldCombo()->count(), 4);
    QVERIFY(dialog.newCombo()->currentText().contains(QStringLiteral("current")));
    QVERIFY(!dialog.oldCombo()->currentText().contains(QStringLiteral("current")));
    // 3 added + 1 moved shown; unchanged hidden by default.
    QCOMPARE(rows(dialog), 4);
    QCOMPARE(dialog.summary(),
        QStringLiteral("From generation 1 to 2: 3 added, 0 removed, 1 moved, 0 changed, 1 unchanged."));

    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    saveScreenshot(dialog, QStringLiteral("generation-diff-dialog.png"));
}

void TestGenerationDiffDialog::pickGenerations()
{
    FakeDiffs fake;
    GenerationDiffDialog dialog({0, 1, 2, 3}, 3, std::ref(fake));
    QSignalSpy compared(&dialog, &GenerationDiffDialog::compared);
    QVERIFY(settled(dialog));
    compared.clear();
    fake.calls.clear();
    // Through the combo box, as a user would.
    dialog.oldCombo()->setCurrentIndex(0);
    QVERIFY(settled(dialog));
    QCOMPARE(fake.calls, (QList<QPair<uint32_t, uint32_t>> {{0, 3}}));
    QCOMPARE(rows(dialog), 3 + 1);
    QCOMPARE(compared.count(), 1);
    QCOMPARE(compared.last().at(2).toBool(), true);
    // Both at once: one comparison, not two.
    QVERIFY(dialog.selectGenerations(2, 1));
    QVERIFY(settled(dialog));
    QCOMPARE(fake.calls.size(), 2);
    QCOMPARE(fake.calls.last(), (QPair<uint32_t, uint32_t>(2, 1)));
    QCOMPARE(rows(dialog), 3 + 1);
    QCOMPARE(dialog.model()->diff().oldGeneration, 2u);
    QVERIFY(dialog.summary().startsWith(QStringLiteral("From generation 2 to 1:")));
    // The table shows the entries of that diff: the added keys 100.. and key 1 moved.
    QStringList keys;
    for (int row = 0; row < rows(dialog); ++row)
        keys << dialog.table()->model()->index(row, GenerationDiffModel::KeyColumn).data().toString();
    QVERIFY(keys.contains(QString::fromStdString(key(1).toHex())));
    QVERIFY(keys.contains(QString::fromStdString(key(102).toHex())));
    QVERIFY(!keys.contains(QString::fromStdString(key(103).toHex())));
    // A generation not offered changes nothing.
    QVERIFY(!dialog.selectGenerations(7, 1));
    QCOMPARE(fake.calls.size(), 2);
}

void TestGenerationDiffDialog::sameGenerationTwice()
{
    FakeDiffs fake;
    GenerationDiffDialog dialog({0, 1}, 1, std::ref(fake));
    QVERIFY(settled(dialog));
    QCOMPARE(rows(dialog), 1 + 1);
    fake.calls.clear();
    QVERIFY(dialog.selectGenerations(1, 1));
    QVERIFY(fake.calls.isEmpty());
    QCOMPARE(rows(dialog), 0);
    QVERIFY2(dialog.summary().contains(QStringLiteral("same generation (1)")), qPrintable(dialog.summary()));
}

void TestGenerationDiffDialog::onlyOneGeneration()
{
    FakeDiffs fake;
    GenerationDiffDialog dialog({4}, 4, std::ref(fake));
    QVERIFY(fake.calls.isEmpty());
    QCOMPARE(rows(dialog), 0);
    QVERIFY2(dialog.summary().contains(QStringLiteral("only one")), qPrintable(dialog.summary()));

    GenerationDiffDialog none({}, 0, std::ref(fake));
    QVERIFY(fake.calls.isEmpty());
    QVERIFY2(none.summary().contains(QStringLiteral("no generation")), qPrintable(none.summary()));
}

void TestGenerationDiffDialog::failingDiff()
{
    FakeDiffs fake;
    GenerationDiffDialog dialog({0, 1, 2}, 2, std::ref(fake));
    QVERIFY(settled(dialog));
    QCOMPARE(rows(dialog), 3 + 1);
    QSignalSpy compared(&dialog, &GenerationDiffDialog::compared);
    fake.failing = true;
    QVERIFY(dialog.selectGenerations(0, 2));
    QVERIFY(settled(dialog));
    // The old table does not linger beside an error.
    QCOMPARE(rows(dialog), 0);
    QVERIFY2(dialog.summary().contains(QStringLiteral("/s/00000002.pack")), qPrintable(dialog.summary()));
    QVERIFY2(dialog.summary().contains(QStringLiteral("no such file")), qPrintable(dialog.summary()));
    QCOMPARE(compared.count(), 1);
    QCOMPARE(compared.last().at(2).toBool(), false);
}

void TestGenerationDiffDialog::kindFilter()
{
    FakeDiffs fake;
    GenerationDiffDialog dialog({0, 1, 2}, 2, std::ref(fake));
    QVERIFY(settled(dialog));
    QCOMPARE(rows(dialog), 3 + 1);
    QCheckBox *unchanged = dialog.kindCheckBox(DiffKind::Unchanged);
    QVERIFY(!unchanged->isChecked());
    unchanged->setChecked(true);
    QCOMPARE(rows(dialog), 3 + 1 + 1);
    dialog.kindCheckBox(DiffKind::Added)->setChecked(false);
    QCOMPARE(rows(dialog), 2);
    // A new comparison keeps the filter.
    QVERIFY(dialog.selectGenerations(0, 1));
    QVERIFY(settled(dialog));
    QCOMPARE(rows(dialog), 2);
}

void TestGenerationDiffDialog::closeAndEscape_data()
{
    QTest::addColumn<bool>("escape");
    QTest::newRow("Close button") << false;
    QTest::newRow("Escape key") << true;
}

void TestGenerationDiffDialog::closeAndEscape()
{
    QFETCH(bool, escape);
    FakeDiffs fake;
    GenerationDiffDialog dialog({0, 1}, 1, std::ref(fake));
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QSignalSpy rejected(&dialog, &QDialog::rejected);
    if (escape) {
        QTest::keyClick(&dialog, Qt::Key_Escape);
    } else {
        test::clickButton(dialog, QStringLiteral("Close"));
        if (QTest::currentTestFailed())
            return;
    }
    QCOMPARE(rejected.count(), 1);
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
}

void TestGenerationDiffDialog::realShard()
{
    // The application's part, played by the test: list and diff through storage.
    auto dir = Directory::open(SHARDSCOPE_TEST_DATA "/compacted");
    QVERIFY(dir);
    auto gens = listGenerations(*dir);
    QVERIFY(gens);
    QList<uint32_t> list(gens->begin(), gens->end());
    QCOMPARE(list, (QList<uint32_t> {0, 1}));
    auto expected = diffGenerations(*dir, 0, 1);
    QVERIFY(expected);
    GenerationDiffDialog dialog(list, 1, [&dir](uint32_t a, uint32_t b) { return diffGenerations(*dir, a, b); });
    QVERIFY(settled(dialog));
    QCOMPARE(uint32_t(rows(dialog)), expected->count(DiffKind::Moved));
    QVERIFY(rows(dialog) > 0);
    // Generation 0 is not current: the dialog says how it was read.
    QVERIFY2(dialog.summary().contains(QStringLiteral("Generation 0 is not current")), qPrintable(dialog.summary()));
    dialog.kindCheckBox(DiffKind::Unchanged)->setChecked(true);
    QCOMPARE(rows(dialog), 40);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    saveScreenshot(dialog, QStringLiteral("generation-diff-compacted.png"));
}

void TestGenerationDiffDialog::whileComparing()
{
    FakeDiffs fake;
    fake.slowMs = 1000;
    GenerationDiffDialog dialog({0, 1, 2}, 2, std::ref(fake));
    // The window is live while the diff runs, and says what it is doing.
    QVERIFY(dialog.isComparing());
    QCOMPARE(dialog.summary(), QStringLiteral("Comparing generation 1 with 2…"));
    QVERIFY(!dialog.table()->isEnabled());
    QCOMPARE(rows(dialog), 0);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(dialog.isComparing());
    saveScreenshot(dialog, QStringLiteral("generation-diff-comparing.png"));
    QVERIFY(settled(dialog));
    QVERIFY(dialog.table()->isEnabled());
    QCOMPARE(rows(dialog), 3 + 1);
    QVERIFY(dialog.summary().startsWith(QStringLiteral("From generation 1 to 2:")));
}

void TestGenerationDiffDialog::overtakenComparisonIsDropped()
{
    FakeDiffs fake;
    fake.slowMs = 200;
    GenerationDiffDialog dialog({0, 1, 2}, 2, std::ref(fake));
    QSignalSpy compared(&dialog, &GenerationDiffDialog::compared);
    // Chosen before the first comparison (1 with 2) has ended.
    QVERIFY(dialog.isComparing());
    QVERIFY(dialog.selectGenerations(0, 2));
    QVERIFY(settled(dialog));
    // Let the first one end too, had it not been dropped.
    QTest::qWait(300);
    QCOMPARE(compared.count(), 1);
    QCOMPARE(compared.last().at(0).value<uint32_t>(), 0u);
    QCOMPARE(dialog.model()->diff().oldGeneration, 0u);
    QCOMPARE(rows(dialog), 2 + 1);
    QVERIFY(dialog.summary().startsWith(QStringLiteral("From generation 0 to 2:")));
    // Picking the same generation twice drops a running one as well.
    QVERIFY(dialog.selectGenerations(1, 2));
    QVERIFY(dialog.isComparing());
    QVERIFY(dialog.selectGenerations(2, 2));
    QVERIFY(!dialog.isComparing());
    QTest::qWait(300);
    QCOMPARE(compared.count(), 1);
    QCOMPARE(rows(dialog), 0);
    QVERIFY2(dialog.summary().contains(QStringLiteral("same generation (2)")), qPrintable(dialog.summary()));
}

void TestGenerationDiffDialog::closeWhileComparing()
{
    FakeDiffs fake;
    fake.slowMs = 200;
    {
        GenerationDiffDialog dialog({0, 1}, 1, std::ref(fake));
        QVERIFY(dialog.isComparing());
    } // waits for the thread; what it posts goes with the dialog
    QCOMPARE(fake.calls.size(), 1);
    QTest::qWait(50); // nothing posted to the dead dialog may run
}

QTEST_MAIN(TestGenerationDiffDialog)
#include "tst_generation_diff_dialog.moc"
