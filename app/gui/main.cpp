// shardscope: the GUI. Opens one shard read-only (or builds the demo shard)
// and shows it; --quit-after-load and --screenshot let scripts and CI run the
// real program without a person at the screen.
#include "demo_shard.h"
#include "main_window.h"
#include "resources.h"
#include "shard.h"
#include "shard_summary.h"
#include "slot_table_model.h"

#include <KSyntaxHighlighting/Repository>

#include <QApplication>
#include <QCommandLineParser>
#include <QDeadlineTimer>
#include <QIcon>
#include <QMessageBox>
#include <QPixmap>
#include <QThread>
#include <QWindow>

#include <cstdio>
#include <optional>

using namespace shardscope;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitOpenFailed = 2;
constexpr int kExitNotShown = 3;

// Notes whether any widget of one window has painted.
class PaintWatcher : public QObject
{
public:
    explicit PaintWatcher(QWidget *window) : m_window(window) { qApp->installEventFilter(this); }
    ~PaintWatcher() override { qApp->removeEventFilter(this); }

    [[nodiscard]] bool painted() const { return m_painted; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Paint && watched->isWidgetType()
            && static_cast<QWidget *>(watched)->window() == m_window)
            m_painted = true;
        return false;
    }

private:
    QWidget *m_window;
    bool m_painted = false;
};

// Shows the window and spins the event loop until it is exposed and has been
// painted once, so what a script checks (or grabs) is what a person would see.
bool showAndWaitUntilPainted(QWidget &window)
{
    PaintWatcher watcher(&window);
    window.show();
    const QDeadlineTimer deadline(10'000);
    while (!deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (window.windowHandle() && window.windowHandle()->isExposed() && watcher.painted())
            return true;
        QThread::msleep(5);
    }
    return false;
}

void reportError(const QString &message, bool interactive)
{
    std::fprintf(stderr, "shardscope: %s\n", qPrintable(message));
    if (interactive)
        QMessageBox::critical(nullptr, QObject::tr("ShardScope"), message);
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("ShardScope"));
    QApplication::setApplicationName(QStringLiteral("shardscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("ShardScope"));
    QApplication::setApplicationVersion(QStringLiteral(SHARDSCOPE_VERSION));
    QApplication::setWindowIcon(QIcon(QString::fromLatin1(resources::kAppIcon)));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QObject::tr("Browse the slots of a blob-store shard. Shards are opened read-only."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("path"),
        QObject::tr("A shard directory (the one holding MF). Without it, the demo shard."), QStringLiteral("[PATH]"));
    const QCommandLineOption demoOption(
        QStringLiteral("demo"), QObject::tr("Build a demo shard in a temporary directory and open it."));
    const QCommandLineOption quitOption(
        QStringLiteral("quit-after-load"), QObject::tr("Show the window, wait until it is painted, then exit."));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
        QObject::tr("Render the main window to OUT.png, then exit."), QStringLiteral("OUT.png"));
    parser.addOptions({demoOption, quitOption, screenshotOption});
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    if (args.size() > 1 || (args.size() == 1 && parser.isSet(demoOption))) {
        std::fprintf(stderr, "shardscope: give one shard PATH or --demo\n\n%s", qPrintable(parser.helpText()));
        return kExitFailure;
    }
    const bool batch = parser.isSet(quitOption) || parser.isSet(screenshotOption);

    // The demo directory must outlive the shard mapped from it.
    std::optional<DemoShard> demo;
    QString path;
    QString location;
    if (args.isEmpty()) {
        auto created = DemoShard::create();
        if (!created) {
            reportError(
                QObject::tr("cannot build the demo shard: %1").arg(QString::fromStdString(created.error().describe())),
                !batch);
            return kExitOpenFailed;
        }
        demo.emplace(std::move(*created));
        path = demo->path();
        location = QObject::tr("%1 (demo)").arg(path);
    } else {
        path = args.first();
        location = path;
    }

    auto shard = Shard::openReadOnly(path.toStdString());
    if (!shard) {
        reportError(
            QObject::tr("cannot open the shard %1: %2").arg(path, QString::fromStdString(shard.error().describe())),
            !batch);
        return kExitOpenFailed;
    }

    // Declared in this order so the window goes first, then the model, then
    // the shard the model reads.
    KSyntaxHighlighting::Repository repository;
    SlotTableModel model;
    model.setShard(&*shard);
    MainWindow window(repository);
    window.showShard(location, &model, ShardSummary::fromShard(*shard));

    if (!batch) {
        window.show();
        return QApplication::exec();
    }

    if (!showAndWaitUntilPainted(window)) {
        std::fprintf(stderr, "shardscope: the window was not shown within 10 s\n");
        return kExitNotShown;
    }
    if (parser.isSet(screenshotOption)) {
        const QString out = parser.value(screenshotOption);
        if (!window.grab().save(out, "PNG")) {
            std::fprintf(stderr, "shardscope: cannot write the screenshot %s\n", qPrintable(out));
            return kExitFailure;
        }
    }
    return 0;
}
