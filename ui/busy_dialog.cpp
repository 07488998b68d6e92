#include "busy_dialog.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QTimer>

#include <limits>
#include <thread>

namespace shardscope {

BusyDialog::BusyDialog(const QString &label, QWidget *parent) : QProgressDialog(label, QString(), 0, 0, parent)
{
    setWindowTitle(QCoreApplication::applicationName());
    setWindowModality(Qt::WindowModal);
    // QProgressDialog shows itself after its minimum duration; this one is
    // shown by run() instead, and never before.
    setMinimumDuration(std::numeric_limits<int>::max());
    setAutoClose(false);
    setAutoReset(false);
    // Room for a path in the label without the dialog jumping in size.
    setMinimumWidth(fontMetrics().averageCharWidth() * 56);
}

void BusyDialog::run(
    QWidget *parent, const QString &label, const std::function<void()> &work, std::chrono::milliseconds showAfter)
{
    BusyDialog dialog(label, parent);
    QEventLoop loop;
    QTimer showTimer;
    showTimer.setSingleShot(true);
    QObject::connect(&showTimer, &QTimer::timeout, &dialog, &QWidget::show);
    showTimer.start(showAfter);
    std::thread worker([&]() {
        work();
        QMetaObject::invokeMethod(&loop, &QEventLoop::quit, Qt::QueuedConnection);
    });
    // Paint, timers and queued signals go on; clicks and keys wait for the
    // window's own loop, as they would have had it frozen.
    loop.exec(QEventLoop::ExcludeUserInputEvents);
    worker.join();
}

} // namespace shardscope
