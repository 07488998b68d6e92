// shardscope-gui-bench: figures for the browser on a full default-size shard
// (32768 slots, 64 MiB pack): the time from starting the real program to its
// first painted window and its resident memory then, the time to sort the
// slot table by key, and the time one paint of the hex pane takes over an
// entry of 64 MiB. A program to run by hand, not a test.
#include "browser.h"
#include "hex_view.h"
#include "main_window.h"
#include "shard.h"
#include "slot_filter_model.h"
#include "slot_table_model.h"

#include <KSyntaxHighlighting/Repository>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <random>

using namespace shardscope;

namespace {

[[noreturn]] void failWith(const QString &message)
{
    std::fprintf(stderr, "shardscope-gui-bench: %s\n", qPrintable(message));
    std::exit(1);
}

template<typename T> T must(Result<T> r, const QString &what)
{
    if (!r)
        failWith(what + QStringLiteral(": ") + QString::fromStdString(r.error().describe()));
    return std::move(*r);
}

void must(Result<void> r, const QString &what)
{
    if (!r)
        failWith(what + QStringLiteral(": ") + QString::fromStdString(r.error().describe()));
}

// A full shard: every slot used by an entry of about 1900 bytes (the pack's
// size over the table's), random keys, one in ten deleted.
void writeFullShard(const QString &path)
{
    Shard shard = must(Shard::hydrate(path.toStdString(), {}), QStringLiteral("hydrate ") + path);
    std::mt19937_64 rng(0x5EED);
    const uint32_t entryLen = uint32_t(shard.packSize() / shard.capacity()) - 64;
    std::vector<uint8_t> data(entryLen);
    std::vector<Key> deleted;
    for (uint32_t i = 0; i < shard.capacity(); ++i) {
        uint8_t raw[Key::kSize];
        for (auto &b : raw)
            b = uint8_t(rng());
        for (auto &b : data)
            b = uint8_t(' ' + rng() % 95);
        const Key key = Key::fromBytes(raw);
        if (!must(shard.append(key, data), QStringLiteral("append")))
            failWith(QStringLiteral("two random keys collided"));
        if (i % 10 == 0)
            deleted.push_back(key);
    }
    for (const Key &key : deleted)
        (void)must(shard.remove(key), QStringLiteral("remove"));
    must(shard.flush(), QStringLiteral("flush"));
}

// One entry filling nearly the whole default pack.
void writeHugeEntryShard(const QString &path)
{
    Shard shard = must(Shard::hydrate(path.toStdString(), {1024, kDefaultPackSize}), QStringLiteral("hydrate"));
    std::vector<uint8_t> data(kDefaultPackSize);
    std::mt19937 rng(7);
    for (auto &b : data)
        b = uint8_t(rng());
    uint8_t raw[Key::kSize] = {1};
    (void)must(shard.append(Key::fromBytes(raw), data), QStringLiteral("append"));
    must(shard.flush(), QStringLiteral("flush"));
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("shardscope-gui-bench"));
    QStandardPaths::setTestModeEnabled(true);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Figures for the ShardScope browser on a full shard."));
    parser.addHelpOption();
    const QCommandLineOption runsOption(QStringLiteral("runs"), QStringLiteral("Repeat each figure N times (5)."),
        QStringLiteral("N"), QStringLiteral("5"));
    parser.addOption(runsOption);
    parser.process(app);
    const int runs = std::max(1, parser.value(runsOption).toInt());

    QTemporaryDir dir;
    if (!dir.isValid())
        failWith(QStringLiteral("cannot create a temporary directory"));
    const QString full = dir.filePath(QStringLiteral("full"));
    const QString huge = dir.filePath(QStringLiteral("huge"));
    QDir().mkpath(full);
    QDir().mkpath(huge);
    writeFullShard(full);
    writeHugeEntryShard(huge);

    // Start to first paint, the real program in its own process, as a user starts it.
    const QString program = QCoreApplication::applicationDirPath() + QStringLiteral("/shardscope");
    std::vector<double> firstPaint, rss;
    for (int i = 0; i < runs; ++i) {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
        process.setProcessEnvironment(env);
        QElapsedTimer t;
        t.start();
        process.start(program, {full, QStringLiteral("--quit-after-load"), QStringLiteral("--print-timing")});
        if (!process.waitForFinished(60'000) || process.exitCode() != 0)
            failWith(
                QStringLiteral("%1 failed: %2").arg(program, QString::fromLocal8Bit(process.readAllStandardError())));
        const QString out = QString::fromLocal8Bit(process.readAllStandardOutput());
        const auto m = QRegularExpression(QStringLiteral("first_paint_ms ([0-9.]+)\nresident_kib ([0-9]+)")).match(out);
        if (!m.hasMatch())
            failWith(QStringLiteral("no timing in: ") + out);
        firstPaint.push_back(m.captured(1).toDouble());
        rss.push_back(m.captured(2).toDouble() / 1024.0);
    }

    // Sorting and painting in this process, on the same window class.
    KSyntaxHighlighting::Repository repository;
    MainWindow window(repository);
    Browser browser(window);
    window.resize(1400, 900);
    if (!browser.open(full))
        failWith(QStringLiteral("cannot open ") + full);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        failWith(QStringLiteral("the window was not shown"));
    std::vector<double> sortMs;
    for (int i = 0; i < runs; ++i) {
        window.slotFilter()->sort(SlotTableModel::SlotColumn, Qt::AscendingOrder);
        sortMs.push_back(std::chrono::duration<double, std::milli>(
            timeSort(*window.slotFilter(), SlotTableModel::KeyColumn, i % 2 ? Qt::DescendingOrder : Qt::AscendingOrder))
                             .count());
    }
    const int rows = window.slotFilter()->rowCount();

    if (!browser.open(huge))
        failWith(QStringLiteral("cannot open ") + huge);
    window.selectSlot(0);
    window.setHexMode(MainWindow::HexMode::Entry);
    window.selectRightTab(MainWindow::HexTab);
    QCoreApplication::processEvents();
    HexView *hex = window.hexView();
    const quint64 entryBytes = hex->size();
    std::vector<double> paintMs;
    for (int i = 0; i < runs * 4; ++i) {
        // Somewhere new each time, so no paint is served from what the last one read.
        hex->setCursorOffset(entryBytes / quint64(runs * 4 + 1) * quint64(i + 1));
        hex->ensureVisible(hex->cursorOffset());
        QElapsedTimer t;
        t.start();
        hex->viewport()->repaint();
        paintMs.push_back(double(t.nsecsElapsed()) / 1e6);
    }

    std::printf("%-48s %10s  %s\n", "figure", "value", "target");
    std::printf("-----------------------------------------------------------------------------\n");
    const auto line = [](const char *name, double value, const char *unit, const char *target, bool ok) {
        std::printf("%-48s %8.1f %-4s %-10s %s\n", name, value, unit, target, ok ? "ok" : "MISS");
    };
    line("start to first painted window (32768 slots)", median(firstPaint), "ms", "< 300 ms", median(firstPaint) < 300);
    std::printf("%-48s %8.1f %-4s\n", "resident memory after opening", median(rss), "MiB");
    std::printf("%-48s %8d rows\n", "slot table rows sorted", rows);
    line("sort the slot table by key", median(sortMs), "ms", "< 100 ms", median(sortMs) < 100);
    std::printf("%-48s %8.1f MiB\n", "hex pane entry size", double(entryBytes) / 1048576.0);
    line("one paint of the hex pane over that entry", median(paintMs), "ms", "< 16 ms", median(paintMs) < 16);
    std::printf("\n(medians of %d runs; paint over %d places in the entry)\n", runs, runs * 4);
    return 0;
}
