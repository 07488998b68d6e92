// Work that cannot be stopped half way (writing a commit), run on a thread
// of its own so that the window keeps painting instead of freezing. The
// user's input waits until the work is done (it is held, not dropped), and
// if the work takes longer than a moment a modal dialog with a busy bar
// says what is going on. There is no Cancel: a commit stopped half way is
// what the storage layer is built to avoid.
#pragma once

#include <QProgressDialog>

#include <chrono>
#include <functional>

namespace shardscope {

class BusyDialog : public QProgressDialog
{
    Q_OBJECT

public:
    // Runs `work` on another thread and returns once it is done; the dialog
    // (a child of `parent`) shows `label` if that takes longer than
    // `showAfter`. `work` must not touch widgets.
    static void run(QWidget *parent, const QString &label, const std::function<void()> &work,
        std::chrono::milliseconds showAfter = std::chrono::milliseconds(400));

private:
    BusyDialog(const QString &label, QWidget *parent);
};

} // namespace shardscope
