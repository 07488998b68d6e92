// The main window driven as a person would, through the Browser that opens
// files for it, on the offscreen platform: open the reference fixtures and
// the demo store, select slots, look at every pane, and prove that none of it
// writes a byte to the shard.
#include "../storage/test_support.h"
#include "browser.h"
#include "demo_store.h"
#include "dialog_test_support.h"
#include "format_view.h"
#include "hex_view.h"
#include "main_window.h"
#include "pack_layout.h"
#include "pack_map_widget.h"
#include "preview_pane.h"
#include "sha256.h"
#include "slot_filter_model.h"
#include "slot_table_model.h"
#include "store_tree_model.h"

#include <KSyntaxHighlighting/Repository>

#include <QDirIterator>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace shardscope;
using namespace testsupport;

namespace {

QString fixturePath(const QString &name)
{
    return QStringLiteral(SHARDSCOPE_TEST_DATA "/") + name;
}

QByteArray hexBytesOf(const QByteArray &bytes)
{
    return bytes.toHex(' ');
}

// Moves the store tree to `row` as a click or an arrow key does, and lets
// the window act on it (it asks for the shard from the event loop).
void chooseTreeRow(MainWindow &window, const QModelIndex &row)
{
    window.storeView()->setCurrentIndex(row);
    QCoreApplication::processEvents();
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void opensFixture_data();
    void opensFixture();
    void jsonEntryInEveryPane();
    void tombstoneInPreview();
    void findAndGoTo();
    void packMapSelectsSlot();
    void browsingWritesNothing();
    void demoStoreTreeAndDiagnostics();
    void referenceStoreEveryShard();
    void treeFollowsShardShown();
    void unreadableChildShownInPlace();
    void diagnosticJumpsToSlot();
    void uncommittedHiddenByDefault();
    void reloadKeepsSlot();
    void autoReloadFollowsWriter();
    void shrunkFileDoesNotCrash();
    void openFailureSaysWhy();
    void dropFolderOpensIt();
    void menusAndShortcuts();

private:
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
    QSettings().clear();
    // Any warning fails, except the one the offscreen platform prints for
    // every top-level window it shows.
    QTest::failOnWarning(QRegularExpression(QStringLiteral("^(?!This plugin does not support propagateSizeHints)")));
}

void TestMainWindow::opensFixture_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<int>("rows");
    QTest::addColumn<QString>("generation");
    QTest::newRow("basic") << QStringLiteral("basic") << 100 << QStringLiteral("Generation 0");
    QTest::newRow("compacted, generation 1") << QStringLiteral("compacted") << 40 << QStringLiteral("Generation 1");
    QTest::newRow("empty") << QStringLiteral("empty") << 0 << QStringLiteral("Generation 0");
    QTest::newRow("tombstones") << QStringLiteral("tombstones") << 40 << QStringLiteral("Generation 0");
}

void TestMainWindow::opensFixture()
{
    QFETCH(QString, fixture);
    QFETCH(int, rows);
    QFETCH(QString, generation);

    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(fixturePath(fixture)));
    QVERIFY(browser.waitForCheck());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    QVERIFY(window.windowTitle().contains(fixture));
    QCOMPARE(window.slotView()->model()->rowCount(), rows);
    QCOMPARE(window.slotView()->model()->columnCount(), int(SlotTableModel::ColumnCount));
    QVERIFY2(window.statusText().contains(generation), qPrintable(window.statusText()));
    // A single shard shows as one row in the tree.
    QCOMPARE(window.storeView()->model()->rowCount(), 1);
    // The reference fixtures check clean: nothing above info.
    for (const Diagnostic &d : browser.report().diagnostics)
        QVERIFY2(d.severity == Severity::Info, d.message.c_str());
}

void TestMainWindow::jsonEntryInEveryPane()
{
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(fixturePath(QStringLiteral("basic"))));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto shard = Shard::openReadOnly(fixturePath(QStringLiteral("basic")).toStdString());
    QVERIFY(shard);

    // Slot 0 of basic is a JSON document: click it as a person would.
    QTableView *table = window.slotView();
    const QModelIndex index = window.slotFilter()->indexForSlot(0, SlotTableModel::KeyColumn);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(index).center());
    QTRY_COMPARE(window.selectedSlot(), std::optional<quint32>(0));

    const auto bytes = shard->data(shard->entry(0));
    QVERIFY(bytes);
    const QByteArray expected(reinterpret_cast<const char *>(bytes->data()), qsizetype(bytes->size()));
    QCOMPARE(window.previewPane()->syntaxName(), QStringLiteral("JSON"));
    QCOMPARE(
        window.findChild<QPlainTextEdit *>(QStringLiteral("previewText"))->toPlainText(), QString::fromUtf8(expected));

    // The hex pane shows the entry's bytes, labelled with their pack offsets.
    window.selectRightTab(MainWindow::HexTab);
    window.setHexMode(MainWindow::HexMode::Entry);
    HexView *hex = window.hexView();
    QCOMPARE(hex->size(), quint64(expected.size()));
    QCOMPARE(hex->displayBase(), quint64(shard->entry(0).offset));
    hex->selectAll();
    QCOMPARE(hex->selectionAsHex().toLatin1(), hexBytesOf(expected));

    // Whole pack: the entry highlighted at its offset.
    window.setHexMode(MainWindow::HexMode::Pack);
    QCOMPARE(hex->size(), shard->packSize());
    QCOMPARE(hex->highlightStart(), quint64(shard->entry(0).offset));
    QCOMPARE(hex->highlightLength(), quint64(shard->entry(0).len));
    // Table: the slot's 32 bytes.
    window.setHexMode(MainWindow::HexMode::Table);
    QCOMPARE(hex->highlightStart(), quint64(0));
    QCOMPARE(hex->highlightLength(), quint64(32));

    // The format view decodes the same slot.
    QVERIFY(window.formatView()->slotDescription().has_value());
    QCOMPARE(window.formatView()->slotDescription()->slot, 0u);
}

void TestMainWindow::tombstoneInPreview()
{
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(fixturePath(QStringLiteral("tombstones"))));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *heading = window.findChild<QLabel *>(QStringLiteral("previewHeading"));
    QVERIFY(heading);
    // The window starts on the first row: slot 0 of this fixture is a tombstone.
    QTRY_VERIFY2(heading->text().contains(QLatin1String("tombstone")), qPrintable(heading->text()));
    QCOMPARE(window.previewPane()->page(), PreviewPane::Page::Note);
}

void TestMainWindow::findAndGoTo()
{
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(fixturePath(QStringLiteral("basic"))));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto shard = Shard::openReadOnly(fixturePath(QStringLiteral("basic")).toStdString());
    QVERIFY(shard);

    // Find by key prefix: typing the first hex digits of slot 42's key keeps
    // only rows whose key starts so.
    const QString key = QString::fromStdString(shard->entry(42).key.toHex());
    auto *find = window.findChild<QLineEdit *>(QStringLiteral("keyFilter"));
    QVERIFY(find);
    QTest::keyClicks(find, key.left(6));
    QVERIFY(window.slotView()->model()->rowCount() >= 1);
    for (int row = 0; row < window.slotView()->model()->rowCount(); ++row) {
        QString shown = window.slotView()->model()->index(row, SlotTableModel::KeyColumn).data().toString();
        QVERIFY2(shown.remove(QLatin1Char(' ')).startsWith(key.left(6), Qt::CaseInsensitive), qPrintable(shown));
    }
    find->clear();
    QCOMPARE(window.slotView()->model()->rowCount(), 100);

    // Go to slot: Ctrl+L, type, Enter.
    auto *goTo = window.findChild<QLineEdit *>(QStringLiteral("goToSlot"));
    QVERIFY(goTo);
    QTest::keyClick(&window, Qt::Key_L, Qt::ControlModifier);
    QTRY_VERIFY(goTo->hasFocus());
    QTest::keyClicks(goTo, QStringLiteral("77"));
    QTest::keyClick(goTo, Qt::Key_Return);
    QCOMPARE(window.selectedSlot(), std::optional<quint32>(77));
}

void TestMainWindow::packMapSelectsSlot()
{
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(fixturePath(QStringLiteral("basic"))));
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto shard = Shard::openReadOnly(fixturePath(QStringLiteral("basic")).toStdString());
    QVERIFY(shard);

    PackMapWidget *map = window.packMap();
    QVERIFY(map->isVisible());
    const QRect bar = map->barRect();
    QVERIFY(bar.width() > 50);
    // At the bar's left edge lies pack offset 0, which slot 0 holds in basic;
    // a click there selects it. A third of the way in, another live entry.
    const auto first = map->rangeAtX(bar.left());
    QVERIFY(first.has_value());
    QCOMPARE(map->packLayout()->ranges()[*first].start, uint64_t(0));
    QCOMPARE(map->packLayout()->primarySlot(map->packLayout()->ranges()[*first]), std::optional<uint32_t>(0));
    window.selectSlot(5);
    QTest::mouseClick(map, Qt::LeftButton, {}, QPoint(bar.left(), bar.center().y()));
    QTRY_COMPARE(window.selectedSlot(), std::optional<quint32>(0));

    // Further right, the first pixel that shows another entry's bytes.
    int x = bar.left();
    std::optional<size_t> middle;
    std::optional<uint32_t> owner;
    for (; x < bar.right() && !(owner && *owner != 0); ++x) {
        middle = map->rangeAtX(x);
        owner = middle ? map->packLayout()->primarySlot(map->packLayout()->ranges()[*middle]) : std::nullopt;
    }
    --x;
    QVERIFY(owner.has_value() && *owner != 0);
    const PackLayout::Range &range = map->packLayout()->ranges()[*middle];
    QCOMPARE(range.kind, PackLayout::Kind::Live);
    const Entry entry = shard->entry(*owner);
    QVERIFY(range.start >= entry.offset && range.end <= uint64_t(entry.offset) + entry.len);
    QTest::mouseClick(map, Qt::LeftButton, {}, QPoint(x, bar.center().y()));
    QTRY_COMPARE(window.selectedSlot(), std::optional<quint32>(*owner));
}

void TestMainWindow::browsingWritesNothing()
{
    // A copy, so that the check does not depend on the repository's files.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(DemoStore::write(dir.path()));
    const auto before = snapshotTree(dir.path());
    QVERIFY(before.size() >= 8);
    {
        MainWindow window(*m_repository);
        Browser browser(window);
        QVERIFY(browser.open(dir.path()));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // Every slot in every pane and hex mode, then the child shard, a reload.
        for (const QString &shard : {QString(), browser.currentShard()}) {
            QVERIFY(browser.showShard(shard));
            for (int row = 0; row < window.slotView()->model()->rowCount(); ++row) {
                window.slotView()->setCurrentIndex(window.slotView()->model()->index(row, 0));
                for (auto mode : {MainWindow::HexMode::Entry, MainWindow::HexMode::Pack, MainWindow::HexMode::Table,
                         MainWindow::HexMode::Manifest}) {
                    window.setHexMode(mode);
                    for (int tab : {MainWindow::PreviewTab, MainWindow::HexTab, MainWindow::FormatTab}) {
                        window.selectRightTab(tab);
                        QCoreApplication::processEvents();
                    }
                }
            }
        }
        const QModelIndex child = window.storeView()->model()->index(0, 0, window.storeView()->model()->index(0, 0));
        if (child.isValid())
            chooseTreeRow(window, child);
        browser.reload();
        QVERIFY(window.grab().width() > 0);
    }
    // Bytes, sizes and mtimes of every file, and the directories' own mtimes.
    QVERIFY(snapshotTree(dir.path()) == before);
}

void TestMainWindow::demoStoreTreeAndDiagnostics()
{
    QTemporaryDir dir;
    QVERIFY(DemoStore::write(dir.path()));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir.path()));
    QVERIFY(browser.waitForCheck());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    QAbstractItemModel *tree = window.storeView()->model();
    QCOMPARE(tree->rowCount(), 1);
    const QModelIndex root = tree->index(0, 0);
    if (tree->canFetchMore(root))
        tree->fetchMore(root);
    QTRY_COMPARE(tree->rowCount(root), 1);

    // Choosing the child shows its slots.
    chooseTreeRow(window, tree->index(0, 0, root));
    QVERIFY(!browser.currentShard().isEmpty());
    int childSamples = 0;
    for (const auto &s : DemoStore::samples())
        childSamples += s.shard == browser.currentShard() ? 1 : 0;
    QCOMPARE(window.slotView()->model()->rowCount(), childSamples);

    // The stale generation of the root shows as info, nothing worse.
    QAbstractItemModel *diagnostics = window.diagnosticsView()->model();
    QVERIFY(diagnostics->rowCount() >= 1);
    bool stale = false;
    for (const Diagnostic &d : browser.report().diagnostics) {
        QVERIFY2(d.severity == Severity::Info, d.message.c_str());
        stale = stale || d.code == "stale-generation";
    }
    QVERIFY(stale);
}

void TestMainWindow::referenceStoreEveryShard()
{
    // The reference store: every child shard in the tree opens and shows
    // its slots, and the whole store checks clean.
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(fixturePath(QStringLiteral("store"))));
    QVERIFY(browser.waitForCheck());
    for (const Diagnostic &d : browser.report().diagnostics)
        QVERIFY2(d.severity == Severity::Info, d.message.c_str());
    QAbstractItemModel *tree = window.storeView()->model();
    const QModelIndex root = tree->index(0, 0);
    while (tree->canFetchMore(root))
        tree->fetchMore(root);
    const int children = QDir(fixturePath(QStringLiteral("store"))).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size();
    QCOMPARE(tree->rowCount(root), children);
    int rows = window.slotView()->model()->rowCount();
    for (int i = 0; i < tree->rowCount(root); ++i) {
        chooseTreeRow(window, tree->index(i, 0, root));
        QCOMPARE(browser.currentShard(), tree->index(i, 0, root).data(StoreTreeModel::RelPathRole).toString());
        QVERIFY(window.slotView()->model()->rowCount() > 0);
        rows += window.slotView()->model()->rowCount();
    }
    // Every blob of the store lives in exactly one shard's live slots.
    QVERIFY(rows >= 600);
}

namespace {

QModelIndex treeRow(QAbstractItemModel *tree, const QString &relPath)
{
    const QModelIndex root = tree->index(0, 0);
    while (tree->canFetchMore(root))
        tree->fetchMore(root);
    if (relPath.isEmpty())
        return root;
    for (int i = 0; i < tree->rowCount(root); ++i) {
        if (tree->index(i, 0, root).data(StoreTreeModel::RelPathRole).toString() == relPath)
            return tree->index(i, 0, root);
    }
    return {};
}

QString currentTreeShard(const MainWindow &window)
{
    return window.storeView()->currentIndex().siblingAtColumn(0).data(StoreTreeModel::RelPathRole).toString();
}

} // namespace

void TestMainWindow::treeFollowsShardShown()
{
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(fixturePath(QStringLiteral("store"))));
    QVERIFY(browser.waitForCheck());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QAbstractItemModel *tree = window.storeView()->model();

    // Shown by the program (--shard, a diagnostic): the tree's row follows.
    QVERIFY(browser.showShard(QStringLiteral("1c")));
    QCOMPARE(currentTreeShard(window), QStringLiteral("1c"));
    QTest::qWait(50); // a queued request for the old row must not come back
    QCOMPARE(browser.currentShard(), QStringLiteral("1c"));

    // Moved by the user, with the keyboard or a click: the shard follows.
    const QModelIndex b1 = treeRow(tree, QStringLiteral("b1"));
    QVERIFY(b1.isValid());
    window.storeView()->setFocus();
    window.storeView()->setCurrentIndex(b1);
    QTRY_COMPARE(browser.currentShard(), QStringLiteral("b1"));
    const QModelIndex next = tree->index(b1.row() + 1, 0, b1.parent());
    QTest::keyClick(window.storeView(), Qt::Key_Down);
    QTRY_COMPARE(browser.currentShard(), next.data(StoreTreeModel::RelPathRole).toString());
    QCOMPARE(window.slotView()->model()->rowCount(),
        int(Shard::openReadOnly(fixturePath(QStringLiteral("store/") + browser.currentShard()).toStdString())
                ->slotCount()));
    QTest::keyClick(window.storeView(), Qt::Key_Home);
    QTRY_COMPARE(browser.currentShard(), QString());
}

void TestMainWindow::unreadableChildShownInPlace()
{
    // A child a writer made and left before its first commit: a directory
    // with a table file and nothing else.
    QTemporaryDir scratch;
    const QString store = copyFixture(scratch.path(), QStringLiteral("store"));
    QVERIFY(!store.isEmpty());
    const QString half = store + QStringLiteral("/05");
    QVERIFY(!QFileInfo::exists(half));
    QVERIFY(QDir().mkdir(half));
    QVERIFY(writeFile(half + QStringLiteral("/00000000.slot"), QByteArray(4096, '\0')));
    const auto before = snapshotTree(store);

    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(store));
    QVERIFY(browser.waitForCheck());
    window.resize(1300, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QAbstractItemModel *tree = window.storeView()->model();
    QVERIFY(browser.showShard(QStringLiteral("1c")));
    QVERIFY(window.slotView()->model()->rowCount() > 0);
    QVERIFY(window.shardProblem().isEmpty());

    window.storeView()->setCurrentIndex(treeRow(tree, QStringLiteral("05")));
    QTRY_COMPARE(browser.currentShard(), QStringLiteral("05"));
    // Nothing of 1c stays on view under 05's name.
    QCOMPARE(window.slotView()->model()->rowCount(), 0);
    QCOMPARE(window.hexView()->size(), quint64(0));
    const QString problem = window.shardProblem();
    QVERIFY2(problem.contains(QLatin1String("Shard 05 cannot be shown")), qPrintable(problem));
    QVERIFY2(problem.contains(QLatin1String("00000000.pack")), qPrintable(problem)); // the missing file
    QVERIFY2(problem.contains(QLatin1String("committed nothing")), qPrintable(problem));
    QVERIFY2(window.windowTitle().contains(QLatin1String("/05")), qPrintable(window.windowTitle()));
    QVERIFY2(window.statusText().contains(QLatin1String("cannot be shown")), qPrintable(window.statusText()));
    QCOMPARE(currentTreeShard(window), QStringLiteral("05"));
    test::saveScreenshot(window, QStringLiteral("unreadable-child.png"));

    // Reload keeps the row and says it again; the next shard shows as usual.
    browser.reload();
    QCOMPARE(browser.currentShard(), QStringLiteral("05"));
    QVERIFY(!window.shardProblem().isEmpty());
    QCOMPARE(currentTreeShard(window), QStringLiteral("05"));
    tree = window.storeView()->model(); // a reload reads the store anew
    window.storeView()->setCurrentIndex(treeRow(tree, QStringLiteral("1c")));
    QTRY_COMPARE(browser.currentShard(), QStringLiteral("1c"));
    QVERIFY(window.shardProblem().isEmpty());
    QVERIFY(window.slotView()->model()->rowCount() > 0);

    // In edit mode the page says so too, and opening for writing makes nothing of 05.
    QVERIFY(browser.setEditMode(true));
    QVERIFY(!browser.showShard(QStringLiteral("05")));
    QVERIFY(!window.shardProblem().isEmpty());
    QVERIFY2(window.windowTitle().contains(QLatin1String("/05 [editing]")), qPrintable(window.windowTitle()));
    // Back to read-only: the store opens again and 05 still cannot be shown.
    QVERIFY(!browser.setEditMode(false));
    QVERIFY(!browser.editMode());
    QVERIFY(!window.shardProblem().isEmpty());

    // Looking wrote nothing, in 05 or anywhere else.
    QCOMPARE(snapshotTree(store), before);
}

void TestMainWindow::diagnosticJumpsToSlot()
{
    // Two entries made to overlap by rewriting slot 3's offset to slot 2's.
    QTemporaryDir dir;
    QVERIFY(DemoStore::write(dir.path()));
    uint32_t gen = 0;
    uint32_t offsetOf2 = 0;
    {
        auto shard = Shard::openReadOnly(dir.path().toStdString());
        QVERIFY(shard);
        gen = shard->generation();
        offsetOf2 = shard->entry(2).offset;
    }
    QVERIFY(patchFile(
        QDir(dir.path()).filePath(QString::fromStdString(tableFileName(gen))), 3 * 32 + 24, u32le(offsetOf2)));

    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir.path()));
    QVERIFY(browser.waitForCheck());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QAbstractItemModel *diagnostics = window.diagnosticsView()->model();
    int overlapRow = -1;
    for (int row = 0; row < diagnostics->rowCount(); ++row) {
        for (int column = 0; column < diagnostics->columnCount(); ++column) {
            if (diagnostics->index(row, column).data().toString() == QLatin1String("entries-overlap"))
                overlapRow = row;
        }
    }
    QVERIFY(overlapRow >= 0);
    window.slotView()->setCurrentIndex(window.slotView()->model()->index(0, 0));
    Q_EMIT window.diagnosticsView()->activated(diagnostics->index(overlapRow, 0));
    const std::optional<quint32> selected = window.selectedSlot();
    QVERIFY(selected == std::optional<quint32>(2) || selected == std::optional<quint32>(3));
}

void TestMainWindow::uncommittedHiddenByDefault()
{
    // An MF whose table_len is lowered by one leaves the last slot written
    // but uncommitted.
    QTemporaryDir dir;
    QVERIFY(DemoStore::write(dir.path()));
    uint32_t committed = 0;
    int active = 0;
    {
        auto shard = Shard::openReadOnly(dir.path().toStdString());
        QVERIFY(shard);
        committed = shard->tableLen();
        active = shard->manifestCopies()->activeIndex();
    }
    const uint32_t lowered = committed - 1;
    QVERIFY(patchFile(QDir(dir.path()).filePath(QStringLiteral("MF")), active * 32 + 12, u32le(lowered)));

    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir.path()));
    QCOMPARE(window.slotView()->model()->rowCount(), int(lowered));
    window.slotFilter()->setStateVisible(SlotTableModel::SlotState::Uncommitted, true);
    QCOMPARE(window.slotView()->model()->rowCount(), int(committed));
    QVERIFY(window.selectSlot(lowered));
    QCOMPARE(window.slotView()->currentIndex().data(SlotTableModel::StateRole).toInt(),
        int(SlotTableModel::SlotState::Uncommitted));
}

void TestMainWindow::reloadKeepsSlot()
{
    QTemporaryDir dir;
    QVERIFY(DemoStore::write(dir.path()));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir.path()));
    QVERIFY(window.selectSlot(5));
    browser.reload();
    QCOMPARE(window.selectedSlot(), std::optional<quint32>(5));
}

void TestMainWindow::autoReloadFollowsWriter()
{
    QTemporaryDir dir;
    QVERIFY(DemoStore::write(dir.path()));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir.path()));
    window.setAutoReload(true);
    QSignalSpy reloaded(&browser, &Browser::reloaded);
    const int rows = window.slotView()->model()->rowCount();
    {
        // A live writer appends and commits while the window watches.
        auto writer = Shard::openForWriting(dir.path().toStdString());
        QVERIFY(writer);
        const QByteArray bytes("appended while watched\n");
        const uint8_t raw[Key::kSize] = {0xAB, 0xCD};
        auto appended = writer->append(Key::fromBytes(raw), {reinterpret_cast<const uint8_t *>(bytes.data()), 23});
        QVERIFY(appended && *appended);
        QVERIFY(writer->flush());
    }
    QTRY_VERIFY_WITH_TIMEOUT(reloaded.count() >= 1, 10'000);
    QCOMPARE(window.slotView()->model()->rowCount(), rows + 1);
}

void TestMainWindow::shrunkFileDoesNotCrash()
{
    // A user (or a writer) truncates the pack while it is mapped: touching the
    // lost pages would raise SIGBUS; the viewer must keep going and say so.
    QTemporaryDir dir;
    QVERIFY(DemoStore::write(dir.path()));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir.path()));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QString pack = QDir(dir.path()).filePath(QStringLiteral("00000001.pack"));
    QVERIFY(QFile::resize(pack, 100));
    for (int row = 0; row < window.slotView()->model()->rowCount(); ++row) {
        window.slotView()->setCurrentIndex(window.slotView()->model()->index(row, 0));
        for (auto mode : {MainWindow::HexMode::Entry, MainWindow::HexMode::Pack}) {
            window.setHexMode(mode);
            window.selectRightTab(MainWindow::HexTab);
            QVERIFY(!window.grab().isNull());
        }
        window.selectRightTab(MainWindow::PreviewTab);
        QVERIFY(!window.grab().isNull());
    }
    // Past the new end the hex pane cannot read (it shows "??"), while the
    // bytes still in the file read as before.
    window.setHexMode(MainWindow::HexMode::Pack);
    window.hexView()->setSelection(8192, 16);
    QVERIFY(window.hexView()->selectionAsHex().isEmpty());
    window.hexView()->setSelection(0, 16);
    QCOMPARE(window.hexView()->selectionAsHex().size(), 16 * 3 - 1);
    QTRY_VERIFY_WITH_TIMEOUT(window.statusBar()->currentMessage().contains(QLatin1String("shrank")), 10'000);
    // A reload reads the file as it now is and the checker names the damage.
    browser.reload();
    QVERIFY(browser.waitForCheck());
    bool named = false;
    for (const Diagnostic &d : browser.report().diagnostics)
        named = named || (d.code == "entry-out-of-bounds" && d.severity == Severity::Error);
    QVERIFY(named);
}

void TestMainWindow::openFailureSaysWhy()
{
    QTemporaryDir dir;
    MainWindow window(*m_repository);
    Browser browser(window);
    QString error;
    const QString missing = dir.filePath(QStringLiteral("no-such-shard"));
    QVERIFY(!browser.open(missing, &error));
    QVERIFY2(error.contains(QLatin1String("no-such-shard")), qPrintable(error));
    QCOMPARE(window.slotView()->model()->rowCount(), 0);
}

void TestMainWindow::dropFolderOpensIt()
{
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(fixturePath(QStringLiteral("basic"))));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(fixturePath(QStringLiteral("tombstones")))});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &drop);
    QVERIFY(browser.path().endsWith(QLatin1String("tombstones")));
    QCOMPARE(window.slotView()->model()->rowCount(), 40);

    // A file is not something to open: refused at the door.
    QMimeData file;
    file.setUrls({QUrl::fromLocalFile(fixturePath(QStringLiteral("basic/MF")))});
    QDragEnterEvent refused(QPoint(10, 10), Qt::CopyAction, &file, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QCoreApplication::sendEvent(&window, &refused);
    QVERIFY(!refused.isAccepted());
}

void TestMainWindow::menusAndShortcuts()
{
    MainWindow window(*m_repository);
    QStringList shortcuts;
    for (const QAction *action : window.findChildren<QAction *>()) {
        if (!action->shortcut().isEmpty())
            shortcuts << action->shortcut().toString();
    }
    for (const char *key : {"Ctrl+Q", "Ctrl+O", "F5", "Ctrl+F", "Ctrl+L", "F1"})
        QVERIFY2(shortcuts.contains(QLatin1String(key)), key);

    // Opening adds to the recent list, which the menu shows.
    Browser browser(window);
    QVERIFY(browser.open(fixturePath(QStringLiteral("basic"))));
    auto *recent = window.findChild<QMenu *>(QStringLiteral("recentMenu"));
    QVERIFY(recent);
    bool listed = false;
    for (const QAction *action : recent->actions())
        listed = listed || action->text().contains(QLatin1String("basic"));
    QVERIFY(listed);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
