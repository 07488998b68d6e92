// BusyDialog runs work that cannot be stopped on a thread of its own: the
// caller's window keeps getting its timers and paints, nothing shows for
// quick work, and slow work gets a modal dialog that says what it is doing.
#include "busy_dialog.h"
#include "dialog_test_support.h"

#include <QLabel>
#include <QMainWindow>
#include <QProgressBar>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <thread>

using namespace shardscope;
using namespace std::chrono_literals;

namespace {

// The busy dialog below `parent` that is on screen, if any.
QProgressDialog *visibleBusyDialog(QWidget &parent)
{
    for (QProgressDialog *d : parent.findChildren<QProgressDialog *>()) {
        if (d->isVisible())
            return d;
    }
    return nullptr;
}

} // namespace

class tst_BusyDialog : public QObject
{
    Q_OBJECT

private slots:
    void quickWorkShowsNothing();
    void slowWorkShowsWhatItDoes();
    void runsElsewhereAndReturnsWhenDone();
};

void tst_BusyDialog::quickWorkShowsNothing()
{
    QMainWindow window;
    window.resize(400, 300);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    bool shown = false;
    QTimer watch;
    QObject::connect(&watch, &QTimer::timeout, &window, [&] { shown = shown || visibleBusyDialog(window); });
    watch.start(2);
    BusyDialog::run(
        &window, QStringLiteral("Writing"), [] { std::this_thread::sleep_for(20ms); }, 500ms);
    watch.stop();
    QVERIFY(!shown);
    QVERIFY(!visibleBusyDialog(window));
    // Gone, not just hidden: nothing is left behind for later runs to find.
    QVERIFY(window.findChildren<QProgressDialog *>().isEmpty());
}

void tst_BusyDialog::slowWorkShowsWhatItDoes()
{
    QMainWindow window;
    window.setCentralWidget(new QLabel(QStringLiteral("the shard"), &window));
    window.resize(500, 320);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QString label = QStringLiteral("Writing 3 changes to /data/shard…");
    int ticks = 0;
    QString seenLabel;
    bool seenModal = false;
    bool seenBusyBar = false;
    QTimer tick;
    QObject::connect(&tick, &QTimer::timeout, &window, [&] {
        ++ticks;
        QProgressDialog *d = visibleBusyDialog(window);
        if (!d || !seenLabel.isEmpty())
            return;
        seenLabel = d->labelText();
        seenModal = d->isModal() || d->windowModality() != Qt::NonModal;
        const auto *bar = d->findChild<QProgressBar *>();
        seenBusyBar = bar && bar->minimum() == 0 && bar->maximum() == 0;
        test::saveScreenshot(*d, QStringLiteral("busy-dialog.png"));
    });
    tick.start(20);
    std::atomic<bool> release {false};
    QTimer::singleShot(400, &window, [&] { release = true; });
    BusyDialog::run(
        &window, label,
        [&] {
            while (!release)
                std::this_thread::sleep_for(5ms);
        },
        100ms);
    tick.stop();
    QCOMPARE(seenLabel, label);
    QVERIFY(seenModal);
    QVERIFY(seenBusyBar);
    // The caller's timers ran all along: the window was not frozen.
    QVERIFY2(ticks >= 10, qPrintable(QString::number(ticks)));
    QVERIFY(!visibleBusyDialog(window));
}

void tst_BusyDialog::runsElsewhereAndReturnsWhenDone()
{
    QMainWindow window;
    std::thread::id worker;
    int steps = 0;
    BusyDialog::run(&window, QStringLiteral("Writing"), [&] {
        worker = std::this_thread::get_id();
        for (; steps < 5; ++steps)
            std::this_thread::sleep_for(10ms);
    });
    QVERIFY(worker != std::thread::id());
    QVERIFY(worker != std::this_thread::get_id());
    QCOMPARE(steps, 5);
}

QTEST_MAIN(tst_BusyDialog)
#include "tst_busy_dialog.moc"
