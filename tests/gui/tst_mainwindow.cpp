// MainWindow on the offscreen platform, over the reference fixtures: the table
// shows every committed slot, the status bar the shard's figures, and a click
// on a row puts that entry in the highlighted preview.
#include "main_window.h"
#include "preview_pane.h"
#include "shard.h"
#include "shard_summary.h"
#include "slot_table_model.h"

#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/Repository>

#include <QLabel>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTest>

using namespace shardscope;

namespace {

QString fixturePath(const QString &name)
{
    return QStringLiteral(SHARDSCOPE_TEST_DATA "/") + name;
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void showsShard_data();
    void showsShard();
    void clickShowsPreview();
    void tombstonePreview();
    void menus();
    void sniffsSyntax_data();
    void sniffsSyntax();

private:
    // Loading the syntax definitions takes a while; one for all tests, as the
    // application has one.
    std::unique_ptr<KSyntaxHighlighting::Repository> m_repository;
};

void TestMainWindow::initTestCase()
{
    // Keeps the window's QSettings away from the user's configuration.
    QStandardPaths::setTestModeEnabled(true);
    m_repository = std::make_unique<KSyntaxHighlighting::Repository>();
}

void TestMainWindow::init()
{
    // Any warning fails, except the one the offscreen platform prints for
    // every top-level window it shows.
    QTest::failOnWarning(QRegularExpression(QStringLiteral("^(?!This plugin does not support propagateSizeHints)")));
}

void TestMainWindow::showsShard_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<int>("rows");
    QTest::addColumn<QString>("generation");
    QTest::newRow("basic") << QStringLiteral("basic") << 100 << QStringLiteral("Generation 0");
    QTest::newRow("compacted, generation 1") << QStringLiteral("compacted") << 40 << QStringLiteral("Generation 1");
    QTest::newRow("empty") << QStringLiteral("empty") << 0 << QStringLiteral("Generation 0");
    QTest::newRow("tombstones") << QStringLiteral("tombstones") << 40 << QStringLiteral("Generation 0");
}

void TestMainWindow::showsShard()
{
    QFETCH(QString, fixture);
    QFETCH(int, rows);
    QFETCH(QString, generation);

    auto shard = Shard::openReadOnly(fixturePath(fixture).toStdString());
    QVERIFY(shard);
    SlotTableModel model;
    model.setShard(&*shard);
    MainWindow window(*m_repository);
    window.showShard(fixturePath(fixture), &model, ShardSummary::fromShard(*shard));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    QVERIFY(window.windowTitle().contains(fixturePath(fixture)));
    auto *table = window.findChild<QTableView *>(QStringLiteral("slotTable"));
    QVERIFY(table);
    QCOMPARE(table->model()->rowCount(), rows);
    QCOMPARE(table->model()->columnCount(), int(SlotTableModel::ColumnCount));

    auto *summary = window.statusBar()->findChild<QLabel *>(QStringLiteral("summaryLabel"));
    QVERIFY(summary);
    QVERIFY2(summary->text().contains(generation), qPrintable(summary->text()));
    QVERIFY(summary->isVisible());
}

void TestMainWindow::clickShowsPreview()
{
    auto shard = Shard::openReadOnly(fixturePath(QStringLiteral("basic")).toStdString());
    QVERIFY(shard);
    SlotTableModel model;
    model.setShard(&*shard);
    MainWindow window(*m_repository);
    window.showShard(QStringLiteral("basic"), &model, ShardSummary::fromShard(*shard));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    auto *table = window.findChild<QTableView *>(QStringLiteral("slotTable"));
    auto *text = window.findChild<QPlainTextEdit *>(QStringLiteral("previewText"));
    auto *heading = window.findChild<QLabel *>(QStringLiteral("previewHeading"));
    QVERIFY(table && text && heading);

    // Slot 1 of basic is a line of plain text, slot 0 a JSON document.
    for (int slot : {1, 0}) {
        const QModelIndex index = table->model()->index(slot, SlotTableModel::KeyColumn);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(index).center());
        QTRY_COMPARE(table->currentIndex().row(), slot);
        const auto bytes = shard->data(shard->entry(uint32_t(slot)));
        QVERIFY(bytes);
        QTRY_COMPARE(text->toPlainText(),
            QString::fromUtf8(reinterpret_cast<const char *>(bytes->data()), qsizetype(bytes->size())));
    }
    QVERIFY2(heading->text().contains(QLatin1String("JSON")), qPrintable(heading->text()));
    auto *pane = window.findChild<PreviewPane *>(QStringLiteral("preview"));
    QVERIFY(pane);
    QCOMPARE(pane->syntaxName(), QStringLiteral("JSON"));

    // Slot 2 is binary: a note instead of mojibake, and no highlighting.
    const QModelIndex binary = table->model()->index(2, SlotTableModel::KeyColumn);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(binary).center());
    QTRY_VERIFY2(heading->text().contains(QLatin1String("binary")), qPrintable(heading->text()));
    QCOMPARE(pane->syntaxName(), QString());

    // Sorted by length, descending: the first row is the longest entry.
    table->sortByColumn(SlotTableModel::LenColumn, Qt::DescendingOrder);
    const QModelIndex top = table->model()->index(0, SlotTableModel::LenColumn);
    uint32_t longest = 0;
    for (uint32_t i = 0; i < shard->slotCount(); ++i)
        longest = std::max(longest, shard->entry(i).len);
    QCOMPARE(top.data(SlotTableModel::SortRole).toUInt(), longest);
}

void TestMainWindow::tombstonePreview()
{
    auto shard = Shard::openReadOnly(fixturePath(QStringLiteral("tombstones")).toStdString());
    QVERIFY(shard);
    SlotTableModel model;
    model.setShard(&*shard);
    MainWindow window(*m_repository);
    window.showShard(QStringLiteral("tombstones"), &model, ShardSummary::fromShard(*shard));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    auto *table = window.findChild<QTableView *>(QStringLiteral("slotTable"));
    auto *heading = window.findChild<QLabel *>(QStringLiteral("previewHeading"));
    QVERIFY(table && heading);
    QVERIFY(shard->entry(0).isTombstone());
    // The window starts on the first row: slot 0 of this fixture is a tombstone.
    QTRY_VERIFY2(heading->text().contains(QLatin1String("tombstone")), qPrintable(heading->text()));
    QCOMPARE(table->model()->index(0, SlotTableModel::StateColumn).data().toString(), QStringLiteral("tombstone"));
}

void TestMainWindow::menus()
{
    MainWindow window(*m_repository);
    QStringList shortcuts;
    for (const QAction *action : window.findChildren<QAction *>()) {
        if (!action->shortcut().isEmpty())
            shortcuts << action->text() + QLatin1Char('=') + action->shortcut().toString();
    }
    QVERIFY2(shortcuts.contains(QStringLiteral("&Quit=Ctrl+Q")), qPrintable(shortcuts.join(QLatin1Char(' '))));
}

void TestMainWindow::sniffsSyntax_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("syntax");
    QTest::newRow("JSON object") << QByteArray("{\"a\": [1, 2]}\n") << QStringLiteral("JSON");
    QTest::newRow("JSON array") << QByteArray("  [true, null]") << QStringLiteral("JSON");
    QTest::newRow("XML declaration") << QByteArray("<?xml version=\"1.0\"?>\n<a/>\n") << QStringLiteral("XML");
    QTest::newRow("shell script") << QByteArray("#!/bin/sh\necho hi\n") << QStringLiteral("Bash");
    QTest::newRow("plain text") << QByteArray("hello world\n") << QString();
    QTest::newRow("braces but not JSON") << QByteArray("{ not json") << QString();
}

void TestMainWindow::sniffsSyntax()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, syntax);
    const auto definition = PreviewPane::sniffDefinition(*m_repository, bytes);
    QCOMPARE(definition.isValid() ? definition.name() : QString(), syntax);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
