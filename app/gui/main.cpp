// shardscope: the GUI. Opens a shard or a store read-only (or builds the demo
// store) and shows it; --quit-after-load and --screenshot let scripts and CI
// run the real program without a person at the screen.
#include "append_dialog.h"
#include "browser.h"
#include "demo_store.h"
#include "edit_session.h"
#include "main_window.h"
#include "resources.h"

#include <KSyntaxHighlighting/Repository>

#include <QApplication>
#include <QCommandLineParser>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QIcon>
#include <QMessageBox>
#include <QPalette>
#include <QPixmap>
#include <QStyleFactory>
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

// The palette of a dark desktop, for --dark: screenshots and checking that
// every view reads well on dark.
QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xe6, 0xe6, 0xe6);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2b));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x8a, 0x8a));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x6f, 0xb0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xb4, 0xff));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x80, 0x80, 0x80));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
    return p;
}

// Resident memory of this process in KiB, from /proc (0 where there is none).
qint64 residentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QElapsedTimer sinceStart;
    sinceStart.start();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("ShardScope"));
    QApplication::setApplicationName(QStringLiteral("shardscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("ShardScope"));
    QApplication::setApplicationVersion(QStringLiteral(SHARDSCOPE_VERSION));
    QApplication::setWindowIcon(QIcon(QString::fromLatin1(resources::kAppIcon)));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QObject::tr("Browse and edit the shards of a blob store: slots, bytes and the format. Everything is opened "
                    "read-only unless --edit or File > Edit Mode asks for writing."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("path"),
        QObject::tr("A shard directory (the one holding MF) or a store's root. Without it, the demo store."),
        QStringLiteral("[PATH]"));
    const QCommandLineOption demoOption(
        QStringLiteral("demo"), QObject::tr("Build a demo store in a temporary directory and open it."));
    const QCommandLineOption quitOption(
        QStringLiteral("quit-after-load"), QObject::tr("Show the window, wait until it is painted, then exit."));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
        QObject::tr("Render the main window to OUT.png, then exit."), QStringLiteral("OUT.png"));
    const QCommandLineOption selectOption(
        QStringLiteral("select"), QObject::tr("Select this slot after opening."), QStringLiteral("SLOT"));
    const QCommandLineOption shardOption(QStringLiteral("shard"),
        QObject::tr("Show this child shard of the store (\"ab\", \"ab/cd\")."), QStringLiteral("RELPATH"));
    const QCommandLineOption sizeOption(
        QStringLiteral("size"), QObject::tr("Window size, e.g. 1400x860."), QStringLiteral("WxH"));
    const QCommandLineOption tabOption(QStringLiteral("tab"),
        QObject::tr("Show this pane on the right: preview, hex or format."), QStringLiteral("TAB"));
    const QCommandLineOption hexOption(QStringLiteral("hex"),
        QObject::tr("What the hex pane shows: entry, pack, table or manifest."), QStringLiteral("MODE"));
    const QCommandLineOption darkOption(QStringLiteral("dark"), QObject::tr("Use a dark palette."));
    const QCommandLineOption timingOption(QStringLiteral("print-timing"),
        QObject::tr("With --quit-after-load: print the time to the first painted window and the resident memory."));
    const QCommandLineOption editOption(QStringLiteral("edit"),
        QObject::tr("Open for writing (edit mode): takes the shard's write lock; edits stay staged until written."));
    const QCommandLineOption stageTextOption(QStringLiteral("stage-text"),
        QObject::tr("With --edit: stage an append of TEXT (key from its SHA-256), for scripts and screenshots."),
        QStringLiteral("TEXT"));
    const QCommandLineOption stageDeleteOption(QStringLiteral("stage-delete"),
        QObject::tr("With --edit: stage the deletion of this live slot (may be repeated)."), QStringLiteral("SLOT"));
    parser.addOptions({demoOption, quitOption, screenshotOption, selectOption, shardOption, sizeOption, tabOption,
        hexOption, darkOption, timingOption, editOption, stageTextOption, stageDeleteOption});
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    if (args.size() > 1 || (args.size() == 1 && parser.isSet(demoOption))) {
        std::fprintf(stderr, "shardscope: give one PATH or --demo\n\n%s", qPrintable(parser.helpText()));
        return kExitFailure;
    }
    const bool batch = parser.isSet(quitOption) || parser.isSet(screenshotOption);
    if (parser.isSet(darkOption)) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(darkPalette());
    }

    // The demo directory must outlive everything mapped from it.
    std::optional<DemoStore> demo;
    QString path;
    if (args.isEmpty()) {
        auto created = DemoStore::create();
        if (!created) {
            reportError(
                QObject::tr("cannot build the demo store: %1").arg(QString::fromStdString(created.error().describe())),
                !batch);
            return kExitOpenFailed;
        }
        demo.emplace(std::move(*created));
        path = demo->path();
    } else {
        path = args.first();
    }

    // Declared in this order so the window goes first, then the browser's
    // models, then what they read.
    KSyntaxHighlighting::Repository repository;
    MainWindow window(repository);
    Browser browser(window);
    if (parser.isSet(sizeOption)) {
        const QStringList wh = parser.value(sizeOption).split(QLatin1Char('x'));
        bool okW = false, okH = false;
        const int w = wh.value(0).toInt(&okW), h = wh.value(1).toInt(&okH);
        if (wh.size() != 2 || !okW || !okH || w < 200 || h < 150) {
            std::fprintf(stderr, "shardscope: --size wants WxH, e.g. 1400x860\n");
            return kExitFailure;
        }
        window.resize(w, h);
    }

    QString error;
    if (!browser.open(path, &error)) {
        reportError(QObject::tr("cannot open %1: %2").arg(path, error), !batch);
        if (batch)
            return kExitOpenFailed;
    }
    if (demo)
        window.setLocation(QObject::tr("%1 (demo)").arg(path));
    if (parser.isSet(shardOption) && !browser.showShard(parser.value(shardOption), &error)) {
        reportError(QObject::tr("cannot show shard %1: %2").arg(parser.value(shardOption), error), !batch);
        if (batch)
            return kExitOpenFailed;
    }
    if (parser.isSet(editOption)) {
        if (!browser.setEditMode(true, &error)) {
            reportError(error, !batch);
            if (batch)
                return kExitOpenFailed;
        }
    } else if (parser.isSet(stageTextOption) || parser.isSet(stageDeleteOption)) {
        std::fprintf(stderr, "shardscope: --stage-text and --stage-delete need --edit\n");
        return kExitFailure;
    }
    if (EditSession *session = browser.editSession()) {
        QList<quint32> deletes;
        for (const QString &value : parser.values(stageDeleteOption)) {
            bool ok = false;
            deletes.append(value.toUInt(&ok));
            if (!ok) {
                std::fprintf(stderr, "shardscope: --stage-delete wants a slot number\n");
                return kExitFailure;
            }
        }
        QString why;
        if (!deletes.isEmpty() && !session->stageDelete(deletes, &why)) {
            reportError(why, !batch);
            if (batch)
                return kExitFailure;
        }
        for (const QString &text : parser.values(stageTextOption)) {
            const QByteArray data = text.toUtf8();
            if (!session->stageAppend(AppendDialog::deriveKey(data), data, &why)) {
                reportError(why, !batch);
                if (batch)
                    return kExitFailure;
            }
        }
    }
    if (parser.isSet(selectOption)) {
        bool ok = false;
        const uint slot = parser.value(selectOption).toUInt(&ok);
        if (!ok || !window.selectSlot(slot)) {
            reportError(QObject::tr("there is no slot %1").arg(parser.value(selectOption)), !batch);
            if (batch)
                return kExitFailure;
        }
    }
    if (parser.isSet(hexOption)) {
        const QString mode = parser.value(hexOption);
        const QStringList modes {
            QStringLiteral("entry"), QStringLiteral("pack"), QStringLiteral("table"), QStringLiteral("manifest")};
        if (!modes.contains(mode)) {
            std::fprintf(stderr, "shardscope: --hex wants entry, pack, table or manifest\n");
            return kExitFailure;
        }
        window.setHexMode(MainWindow::HexMode(modes.indexOf(mode)));
        window.selectRightTab(MainWindow::HexTab);
    }
    if (parser.isSet(tabOption)) {
        const QStringList tabs {QStringLiteral("preview"), QStringLiteral("hex"), QStringLiteral("format")};
        const int tab = tabs.indexOf(parser.value(tabOption));
        if (tab < 0) {
            std::fprintf(stderr, "shardscope: --tab wants preview, hex or format\n");
            return kExitFailure;
        }
        window.selectRightTab(tab);
    }

    if (!batch) {
        window.show();
        return QApplication::exec();
    }

    // A picture or a scripted run shows the checker's findings too.
    if (parser.isSet(screenshotOption) && !browser.waitForCheck())
        std::fprintf(stderr, "shardscope: the checker did not finish within 60 s\n");
    if (!showAndWaitUntilPainted(window)) {
        std::fprintf(stderr, "shardscope: the window was not shown within 10 s\n");
        return kExitNotShown;
    }
    if (parser.isSet(timingOption)) {
        std::printf("first_paint_ms %.1f\nresident_kib %lld\n", double(sinceStart.nsecsElapsed()) / 1e6,
            qlonglong(residentKiB()));
        std::fflush(stdout);
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
