// CompactDialog on the offscreen platform with a fake CompactionJob: the
// preview's figures and resize checks, the job started with the chosen sizes,
// progress, each way a job ends (ok, cancelled, failed), Stop/Esc/closing
// cancelling it, deleting the old generation's files, and the keyboard.
#include "compact_dialog.h"
#include "dialog_test_support.h"
#include "geometry_fields.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using namespace shardscope;
using test::saveScreenshot;

namespace {

// Records what the dialog asks and reports only what the test tells it to.
class FakeJob : public CompactionJob
{
public:
    using CompactionJob::CompactionJob;

    void start(quint32 tableSlots, quint64 packSize) override
    {
        starts.append({tableSlots, packSize});
        if (finishInStart)
            Q_EMIT finished(true, false, QString(), 3, 4);
    }
    void cancel() override { ++cancels; }
    bool removeOldGeneration(quint32 gen, QString *error) override
    {
        removed.append(gen);
        if (!removeError.isEmpty())
            *error = removeError;
        return removeError.isEmpty();
    }
    void progress(quint64 done, quint64 total) { Q_EMIT progressed(done, total); }
    void finish(bool ok, bool cancelled, const QString &message = {}) { Q_EMIT finished(ok, cancelled, message, 3, 4); }

    QList<QPair<quint32, quint64>> starts;
    int cancels = 0;
    QList<quint32> removed;
    QString removeError;
    bool finishInStart = false;
};

CompactionPreview makePreview()
{
    CompactionPreview p;
    p.currentGeneration = 3;
    p.newGeneration = 4;
    p.liveEntries = 1200;
    p.tombstones = 345;
    p.uncommittedSlots = 2;
    p.liveBytes = 5'000'000;
    p.reclaimedBytes = 1'234'567;
    p.tableSlots = 4096;
    p.packSize = 8 << 20;
    return p;
}

QString previewText(const CompactDialog &dialog)
{
    QStringList parts;
    for (const QLabel *label : dialog.findChildren<QLabel *>(QStringLiteral("previewValue")))
        parts << label->text();
    return parts.join(QLatin1Char('|'));
}

} // namespace

class TestCompactDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates)); }
    void init()
    {
        // The offscreen platform says what it cannot do; nothing else may warn.
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("^(?!This plugin does not support (propagateSizeHints|raise))")));
    }

    void preview();
    void resize_data();
    void resize();
    void progress_data();
    void progress();
    void finishOk();
    void finishCancelled();
    void failure();
    void stopCancels_data();
    void stopCancels();
    void closeWhileRunning_data();
    void closeWhileRunning();
    void removeOldGenerationFails();
    void finishedDuringStart();
    void cancelBeforeStart_data();
    void cancelBeforeStart();
    void enterClosesResult();
};

void TestCompactDialog::preview()
{
    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(dialog.page(), CompactDialog::Page::Preview);
    const QString text = previewText(dialog);
    QVERIFY2(text.contains(QStringLiteral("3 → 4")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("1,200, 5,000,000 bytes")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("|345|")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("|2|")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("1,234,567 bytes")), qPrintable(text));
    const QString files = dialog.findChild<QLabel *>(QStringLiteral("files"))->text();
    QVERIFY2(files.contains(QLatin1String("00000004.slot: 131,072 bytes (128 KiB), 4,096 slots, 2,896 free")),
        qPrintable(files));
    QVERIFY2(
        files.contains(QLatin1String("00000004.pack: 8,388,608 bytes (8 MiB), 3,388,608 bytes")), qPrintable(files));
    QVERIFY(dialog.compactButton()->isEnabled());
    QVERIFY(dialog.compactButton()->isVisible());
    QVERIFY(!dialog.stopButton()->isVisible());
    QVERIFY(!dialog.closeButton()->isVisible());
    QVERIFY(!dialog.fields()->slotsEdit()->isEnabled());
    QCOMPARE(dialog.tableSlots(), 4096u);
    QCOMPARE(dialog.packSize(), quint64(8 << 20));
    saveScreenshot(dialog, QStringLiteral("compact-preview.png"));
    QVERIFY(job.starts.isEmpty());
}

void TestCompactDialog::resize_data()
{
    QTest::addColumn<QString>("slotCount");
    QTest::addColumn<QString>("pack");
    QTest::addColumn<QString>("unit");
    QTest::addColumn<QString>("problem");
    QTest::addColumn<quint32>("wantSlots");
    QTest::addColumn<quint64>("wantPack");
    QTest::newRow("larger") << "32768"
                            << "64"
                            << "MiB"
                            << "" << 32768u << quint64(64 << 20);
    QTest::newRow("smaller, still fits") << "1200"
                                         << "5000000"
                                         << "bytes"
                                         << "" << 1200u << quint64(5'000'000);
    QTest::newRow("table too small for the live entries") << "1199"
                                                          << "64"
                                                          << "MiB"
                                                          << "at least 1,200 slots" << 0u << quint64(0);
    QTest::newRow("pack too small for the live bytes") << "4096"
                                                       << "4999999"
                                                       << "bytes"
                                                       << "at least 5,000,000 bytes" << 0u << quint64(0);
    QTest::newRow("zero slots") << "0"
                                << "64"
                                << "MiB"
                                << "at least one slot" << 0u << quint64(0);
    QTest::newRow("table over u32") << "134217728"
                                    << "64"
                                    << "MiB"
                                    << "at most 134,217,727 slots" << 0u << quint64(0);
    QTest::newRow("pack over u32") << "4096"
                                   << "4"
                                   << "GiB"
                                   << "fit a u32" << 0u << quint64(0);
    QTest::newRow("pack not a number") << "4096"
                                       << "lots"
                                       << "MiB"
                                       << "not a whole number" << 0u << quint64(0);
    QTest::newRow("slots empty") << ""
                                 << "64"
                                 << "MiB"
                                 << "number of table slots" << 0u << quint64(0);
}

void TestCompactDialog::resize()
{
    QFETCH(QString, slotCount);
    QFETCH(QString, pack);
    QFETCH(QString, unit);
    QFETCH(QString, problem);
    QFETCH(quint32, wantSlots);
    QFETCH(quint64, wantPack);

    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.resizeBox()->click();
    QVERIFY(dialog.fields()->slotsEdit()->isEnabled());
    dialog.fields()->slotsEdit()->setText(slotCount);
    dialog.fields()->packEdit()->setText(pack);
    dialog.fields()->unitCombo()->setCurrentIndex(dialog.fields()->unitCombo()->findText(unit));
    if (problem.isEmpty()) {
        QCOMPARE(dialog.problem(), QString());
        QVERIFY(dialog.compactButton()->isEnabled());
        QVERIFY(dialog.problemLabel()->isHidden());
        QCOMPARE(dialog.tableSlots(), wantSlots);
        QCOMPARE(dialog.packSize(), wantPack);
        QTest::keyClick(&dialog, Qt::Key_Return);
        QCOMPARE(dialog.page(), CompactDialog::Page::Progress);
        QCOMPARE(job.starts.size(), 1);
        QCOMPARE(job.starts[0].first, wantSlots);
        QCOMPARE(job.starts[0].second, wantPack);
    } else {
        QVERIFY2(dialog.problem().contains(problem), qPrintable(dialog.problem()));
        QVERIFY(!dialog.compactButton()->isEnabled());
        QVERIFY(dialog.problemLabel()->isVisible());
        QCOMPARE(dialog.problemLabel()->text(), dialog.problem());
        if (QTest::currentDataTag() == QLatin1String("table too small for the live entries"))
            saveScreenshot(dialog, QStringLiteral("compact-resize-invalid.png"));
        QTest::keyClick(&dialog, Qt::Key_Return);
        QCOMPARE(dialog.page(), CompactDialog::Page::Preview);
        QVERIFY(job.starts.isEmpty());
        // Unticking goes back to the current sizes, which fit.
        dialog.resizeBox()->click();
        QCOMPARE(dialog.problem(), QString());
        QCOMPARE(dialog.tableSlots(), 4096u);
    }
}

void TestCompactDialog::progress_data()
{
    QTest::addColumn<quint64>("done");
    QTest::addColumn<quint64>("total");
    QTest::addColumn<double>("fraction");
    QTest::newRow("start") << quint64(0) << quint64(200) << 0.0;
    QTest::newRow("quarter") << quint64(50) << quint64(200) << 0.25;
    QTest::newRow("done") << quint64(200) << quint64(200) << 1.0;
    QTest::newRow("beyond int, half") << (quint64(1) << 40) << (quint64(1) << 41) << 0.5;
    QTest::newRow("beyond int, almost all") << (quint64(3) << 40) - 1 << (quint64(3) << 40) << 1.0;
}

void TestCompactDialog::progress()
{
    QFETCH(quint64, done);
    QFETCH(quint64, total);
    QFETCH(double, fraction);

    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QTest::mouseClick(dialog.compactButton(), Qt::LeftButton);
    QCOMPARE(dialog.page(), CompactDialog::Page::Progress);
    QCOMPARE(job.starts.size(), 1);
    QCOMPARE(job.starts[0].first, 4096u);
    QCOMPARE(job.starts[0].second, quint64(8 << 20));
    QVERIFY(dialog.stopButton()->isVisible());
    QVERIFY(!dialog.compactButton()->isVisible());
    // Busy until the job says how much there is.
    QCOMPARE(dialog.progressBar()->maximum(), 0);
    job.progress(done, total);
    QProgressBar *bar = dialog.progressBar();
    QVERIFY(bar->maximum() > 0);
    const double shown = double(bar->value()) / bar->maximum();
    QVERIFY2(qAbs(shown - fraction) < 1e-6, qPrintable(QString::number(shown)));
    if (QTest::currentDataTag() == QLatin1String("quarter"))
        saveScreenshot(dialog, QStringLiteral("compact-progress.png"));
    QCOMPARE(job.cancels, 0);
}

void TestCompactDialog::finishOk()
{
    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    QSignalSpy removedSpy(&dialog, &CompactDialog::generationRemoved);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.compactButton()->click();
    job.progress(10, 10);
    job.finish(true, false, QStringLiteral("1,200 entries copied."));
    QCOMPARE(dialog.page(), CompactDialog::Page::Result);
    QCOMPARE(dialog.outcome(), CompactDialog::Outcome::Ok);
    QCOMPARE(dialog.oldGeneration(), 3u);
    QCOMPARE(dialog.newGeneration(), 4u);
    const QString text = dialog.resultLabel()->text();
    QVERIFY2(text.contains(QLatin1String("Generation 4 is now current")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("1,200 entries copied.")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("00000003.slot and 00000003.pack")), qPrintable(text));
    QVERIFY(dialog.removeButton()->isVisible());
    QVERIFY(dialog.removeButton()->isEnabled());
    QVERIFY(dialog.removeButton()->text().contains(QLatin1String("Generation 3")));
    QVERIFY(!dialog.stopButton()->isVisible());
    saveScreenshot(dialog, QStringLiteral("compact-result.png"));

    QTest::mouseClick(dialog.removeButton(), Qt::LeftButton);
    QCOMPARE(job.removed, QList<quint32> {3});
    QCOMPARE(removedSpy.size(), 1);
    QCOMPARE(removedSpy.at(0).at(0).toUInt(), 3u);
    QVERIFY(dialog.isOldGenerationRemoved());
    QVERIFY(!dialog.removeButton()->isEnabled());
    QVERIFY(dialog.removeStatusLabel()->text().contains(QLatin1String("Deleted 00000003.slot and 00000003.pack")));
    saveScreenshot(dialog, QStringLiteral("compact-removed.png"));
    // Closing a finished compaction accepts.
    QTest::keyClick(&dialog, Qt::Key_Escape);
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void TestCompactDialog::finishCancelled()
{
    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.compactButton()->click();
    dialog.stopButton()->click();
    QCOMPARE(job.cancels, 1);
    QVERIFY(!dialog.stopButton()->isEnabled());
    QVERIFY(dialog.progressLabel()->text().contains(QLatin1String("Cancelling")));
    job.finish(false, true);
    QCOMPARE(dialog.page(), CompactDialog::Page::Result);
    QCOMPARE(dialog.outcome(), CompactDialog::Outcome::Cancelled);
    QVERIFY2(dialog.resultLabel()->text().contains(QLatin1String("Nothing changed: generation 3 is still current")),
        qPrintable(dialog.resultLabel()->text()));
    QVERIFY(!dialog.removeButton()->isVisible());
    saveScreenshot(dialog, QStringLiteral("compact-cancelled.png"));
    dialog.closeButton()->click();
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    QVERIFY(job.removed.isEmpty());
}

void TestCompactDialog::failure()
{
    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.compactButton()->click();
    job.progress(3, 10);
    job.finish(false, false, QStringLiteral("00000004.pack: No space left on device"));
    QCOMPARE(dialog.page(), CompactDialog::Page::Result);
    QCOMPARE(dialog.outcome(), CompactDialog::Outcome::Failed);
    const QString text = dialog.resultLabel()->text();
    QVERIFY2(text.contains(QLatin1String("00000004.pack: No space left on device")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("Generation 3 is still current")), qPrintable(text));
    QVERIFY(!dialog.removeButton()->isVisible());
    saveScreenshot(dialog, QStringLiteral("compact-failed.png"));
    QCOMPARE(job.cancels, 0);
}

void TestCompactDialog::stopCancels_data()
{
    QTest::addColumn<bool>("escape");
    QTest::newRow("Stop button") << false;
    QTest::newRow("Esc") << true;
}

void TestCompactDialog::stopCancels()
{
    QFETCH(bool, escape);
    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.compactButton()->click();
    if (escape)
        QTest::keyClick(&dialog, Qt::Key_Escape);
    else
        QTest::mouseClick(dialog.stopButton(), Qt::LeftButton);
    QCOMPARE(job.cancels, 1);
    // Still open, waiting for the job to say it stopped; no question asked.
    QVERIFY(dialog.isVisible());
    QVERIFY(!dialog.stopQuestion());
    QCOMPARE(dialog.page(), CompactDialog::Page::Progress);
    // A second Esc does not cancel twice.
    QTest::keyClick(&dialog, Qt::Key_Escape);
    QCOMPARE(job.cancels, 1);
    // A cancel that came too late (past the flip) reports success.
    job.finish(true, false);
    QCOMPARE(dialog.outcome(), CompactDialog::Outcome::Ok);
    QCOMPARE(dialog.page(), CompactDialog::Page::Result);
}

void TestCompactDialog::closeWhileRunning_data()
{
    QTest::addColumn<bool>("stop");
    QTest::newRow("stop and close") << true;
    QTest::newRow("keep running") << false;
}

void TestCompactDialog::closeWhileRunning()
{
    QFETCH(bool, stop);
    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.compactButton()->click();
    QVERIFY(!dialog.close());
    QVERIFY(dialog.isVisible());
    QMessageBox *question = dialog.stopQuestion();
    QVERIFY(question);
    QVERIFY(question->isVisible());
    QCOMPARE(job.cancels, 0);
    // Asking again while the question is open does not stack questions.
    QVERIFY(!dialog.close());
    QCOMPARE(dialog.stopQuestion(), question);
    QPushButton *answer = nullptr;
    for (QAbstractButton *b : question->buttons()) {
        if (b->text().contains(stop ? QLatin1String("Stop") : QLatin1String("Keep")))
            answer = qobject_cast<QPushButton *>(b);
    }
    QVERIFY(answer);
    answer->click();
    QTRY_VERIFY(!dialog.stopQuestion());
    QCOMPARE(job.cancels, stop ? 1 : 0);
    QVERIFY(dialog.isVisible());
    if (stop) {
        // The dialog closes once the job has stopped.
        job.finish(false, true);
        QVERIFY(!dialog.isVisible());
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        QCOMPARE(dialog.outcome(), CompactDialog::Outcome::Cancelled);
    } else {
        job.progress(5, 10);
        QCOMPARE(dialog.progressBar()->value() * 2, dialog.progressBar()->maximum());
        job.finish(true, false);
        QVERIFY(dialog.isVisible());
        QCOMPARE(dialog.page(), CompactDialog::Page::Result);
    }
}

void TestCompactDialog::removeOldGenerationFails()
{
    FakeJob job;
    job.removeError = QStringLiteral("00000003.pack: Permission denied");
    CompactDialog dialog(makePreview(), &job);
    QSignalSpy removedSpy(&dialog, &CompactDialog::generationRemoved);
    dialog.compactButton()->click();
    job.finish(true, false);
    dialog.removeButton()->click();
    QCOMPARE(job.removed, QList<quint32> {3});
    QCOMPARE(removedSpy.size(), 0);
    QVERIFY(!dialog.isOldGenerationRemoved());
    QVERIFY(dialog.removeStatusLabel()->text().contains(QLatin1String("Permission denied")));
    // The user may try again.
    QVERIFY(dialog.removeButton()->isEnabled());
    job.removeError.clear();
    dialog.removeButton()->click();
    QCOMPARE(removedSpy.size(), 1);
}

void TestCompactDialog::finishedDuringStart()
{
    // A job may report before start() returns (nothing to copy).
    FakeJob job;
    job.finishInStart = true;
    CompactDialog dialog(makePreview(), &job);
    dialog.compactButton()->click();
    QCOMPARE(dialog.page(), CompactDialog::Page::Result);
    QCOMPARE(dialog.outcome(), CompactDialog::Outcome::Ok);
    // Signals after the end are not taken for a second run.
    job.finish(false, false, QStringLiteral("late"));
    QCOMPARE(dialog.outcome(), CompactDialog::Outcome::Ok);
    QVERIFY(!dialog.resultLabel()->text().contains(QLatin1String("late")));
}

void TestCompactDialog::cancelBeforeStart_data()
{
    QTest::addColumn<bool>("escape");
    QTest::newRow("Esc") << true;
    QTest::newRow("Cancel button") << false;
}

void TestCompactDialog::cancelBeforeStart()
{
    QFETCH(bool, escape);
    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    if (escape)
        QTest::keyClick(&dialog, Qt::Key_Escape);
    else
        QTest::mouseClick(dialog.cancelButton(), Qt::LeftButton);
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    QCOMPARE(dialog.outcome(), CompactDialog::Outcome::None);
    QVERIFY(job.starts.isEmpty());
    QCOMPARE(job.cancels, 0);
}

void TestCompactDialog::enterClosesResult()
{
    FakeJob job;
    CompactDialog dialog(makePreview(), &job);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QTest::keyClick(&dialog, Qt::Key_Return);
    QCOMPARE(job.starts.size(), 1);
    // Enter does not stop a running job.
    QTest::keyClick(&dialog, Qt::Key_Return);
    QCOMPARE(job.cancels, 0);
    QCOMPARE(dialog.page(), CompactDialog::Page::Progress);
    job.finish(true, false);
    QTest::keyClick(&dialog, Qt::Key_Return);
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    // Enter closed it; it did not delete the old generation.
    QVERIFY(job.removed.isEmpty());
}

QTEST_MAIN(TestCompactDialog)
#include "tst_compact_dialog.moc"
