// Edit mode driven through the window and the Browser as a person would:
// stage appends and deletes, see them as pending rows, undo, revert, write,
// compact, compare generations, and meet the lock, a full disk and a close
// with changes pending. Every written shard must check clean and read back
// with the independent reader.
#include "../storage/independent_reader.h"
#include "../storage/test_support.h"
#include "append_dialog.h"
#include "browser.h"
#include "checker.h"
#include "compact_dialog.h"
#include "demo_store.h"
#include "dialog_test_support.h"
#include "edit_actions.h"
#include "edit_session.h"
#include "fault_injection.h"
#include "generation_diff_dialog.h"
#include "generation_diff_model.h"
#include "hex_view.h"
#include "hydrate_dialog.h"
#include "main_window.h"
#include "put_blob_dialog.h"
#include "shard.h"
#include "slot_filter_model.h"
#include "slot_table_model.h"
#include "store.h"

#include <KSyntaxHighlighting/Repository>

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QCryptographicHash>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <cerrno>
#include <cstring>
#include <functional>
#include <unistd.h>

using namespace shardscope;
using namespace testsupport;

namespace {

// Runs `fn` on the first modal dialog (or message box) that opens, from
// inside its own event loop.
void onNextModal(std::function<void(QWidget *)> fn)
{
    auto *timer = new QTimer(qApp);
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, fn = std::move(fn)] {
        QWidget *modal = QApplication::activeModalWidget();
        if (!modal)
            return;
        timer->stop();
        timer->deleteLater();
        fn(modal);
    });
    timer->start();
}

void clickMessageButton(QWidget *w, QMessageBox::StandardButton which)
{
    auto *box = qobject_cast<QMessageBox *>(w);
    QVERIFY(box);
    QAbstractButton *b = box->button(which);
    QVERIFY(b);
    b->click();
}

QByteArray liveBytes(const QString &dir, const QByteArray &keyHex, bool *found)
{
    independent::ShardImage image;
    std::string error;
    *found = false;
    if (!independent::readShard(dir.toStdString(), image, error))
        return {};
    for (const independent::Slot &s : image.entries) {
        if (s.tombstone || QByteArray::fromStdString(independent::hex(s.key.data(), s.key.size())) != keyHex)
            continue;
        *found = true;
        return QByteArray(reinterpret_cast<const char *>(s.data.data()), qsizetype(s.data.size()));
    }
    return {};
}

// The files' bytes and mtimes; the directory's own mtime moves when a write
// creates and removes its temporary files, which leaves the shard as it was.
std::map<QString, FileState> filesOf(const QString &dir)
{
    auto snapshot = snapshotTree(dir);
    snapshot.erase(QStringLiteral("."));
    return snapshot;
}

int errorsIn(const QString &dir)
{
    auto report = checkShard(dir.toStdString());
    if (!report)
        return -1;
    return int(report->count(Severity::Error));
}

// The store edits both store tests stage: a put of a new blob and the
// removal of one the fixture holds.
struct StoreEdit {
    ContentId removed = *contentIdFromHex("7e299a8dc8cc2b920d9998e453d358e838554f6b65d51d5b09b5a4fa4ba28cfc");
    QByteArray data = QByteArrayLiteral("a blob put through the store session\n");
    ContentId added {};

    StoreEdit()
    {
        const QByteArray digest = QCryptographicHash::hash(data, QCryptographicHash::Sha256);
        std::memcpy(added.data(), digest.constData(), added.size());
    }
    // Opens `dir` in `browser`, in edit mode, and stages the two edits.
    bool stageIn(Browser &browser, const QString &dir, QString *error) const
    {
        StoreEditSession *session = nullptr;
        return browser.open(dir, error) && browser.setEditMode(true, error)
            && (session = browser.storeEditSession()) != nullptr && session->stagePut(added, data, error)
            && session->stageRemove(removed, error);
    }
};

} // namespace

class TestEditMode : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void appendIsStagedThenWritten();
    void deletesWriteNewGeneration();
    void undoRedoRevertWriteNothing();
    void lockHeldSaysWho();
    void closeWithPendingChangesAsks();
    void diskFullKeepsChangesAndShard();
    void compactThroughDialog();
    void compareGenerationsDialog();
    void newShardThroughDialog();
    void storeModePutAndRemove();
    void storeReplacementWritten();
    void putBlobSaysWhereItGoes();
    void storeWriteFailingPartWayIsFinishedByTheNext();
    void missingGenerationInitialised();
    void demoStoreEdited();

private:
    std::unique_ptr<KSyntaxHighlighting::Repository> m_repository;
};

void TestEditMode::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_repository = std::make_unique<KSyntaxHighlighting::Repository>();
}

void TestEditMode::init()
{
    QSettings().clear();
}

void TestEditMode::appendIsStagedThenWritten()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("basic"));
    QVERIFY(!dir.isEmpty());
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir));
    const int rowsBefore = browser.slotModel().rowCount();
    const auto before = snapshotTree(dir);

    QString error;
    QVERIFY2(browser.setEditMode(true, &error), qPrintable(error));
    QVERIFY(browser.editSession());
    QVERIFY(window.editActions()->editMode->isChecked());
    QVERIFY(window.windowTitle().contains(QStringLiteral("[editing]")));
    QVERIFY(!window.editActions()->write->isEnabled());

    const QByteArray data = QByteArrayLiteral("{\"staged\": true}\n");
    const Key key = AppendDialog::deriveKey(data);
    QVERIFY2(browser.editSession()->stageAppend(key, data, &error), qPrintable(error));
    QCOMPARE(browser.slotModel().rowCount(), rowsBefore + 1);
    const int pendingRow = browser.slotModel().rowCount() - 1;
    QCOMPARE(browser.slotModel().stateAt(pendingRow), SlotTableModel::SlotState::PendingAppend);
    QVERIFY(window.editActions()->write->isEnabled());
    // The hex pane shows the staged bytes, not what lies on disk at its slot.
    window.setHexMode(MainWindow::HexMode::Entry);
    window.slotView()->setCurrentIndex(
        window.slotFilter()->mapFromSource(browser.slotModel().index(pendingRow, SlotTableModel::SlotColumn)));
    QCOMPARE(window.hexView()->size(), quint64(data.size()));
    QByteArray shown(data.size(), '\0');
    QVERIFY(window.hexView()->source()->read(0, data.size(), shown.data()));
    QCOMPARE(shown, data);
    // Staging writes nothing.
    QCOMPARE(snapshotTree(dir), before);

    QVERIFY2(browser.writeChanges(&error), qPrintable(error));
    QVERIFY(!browser.editSession()->hasChanges());
    QCOMPARE(browser.slotModel().rowCount(), rowsBefore + 1);
    QCOMPARE(browser.slotModel().stateAt(rowsBefore), SlotTableModel::SlotState::Live);
    QCOMPARE(errorsIn(dir), 0);
    bool found = false;
    QCOMPARE(liveBytes(dir, QByteArray::fromStdString(key.toHex()), &found), data);
    QVERIFY(found);
}

void TestEditMode::deletesWriteNewGeneration()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("basic"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir));
    QString error;
    QVERIFY2(browser.setEditMode(true, &error), qPrintable(error));
    const uint32_t gen = browser.editSession()->shard()->generation();
    const Key k3 = browser.slotModel().entryAt(3).key;
    const Key k7 = browser.slotModel().entryAt(7).key;
    QVERIFY2(browser.editSession()->stageDelete({3, 7}, &error), qPrintable(error));
    QCOMPARE(browser.slotModel().stateAt(3), SlotTableModel::SlotState::PendingDelete);
    QCOMPARE(browser.slotModel().stateAt(7), SlotTableModel::SlotState::PendingDelete);
    const QByteArray data = QByteArrayLiteral("replacement text\n");
    QVERIFY(browser.editSession()->stageAppend(AppendDialog::deriveKey(data), data, &error));

    QVERIFY2(browser.writeChanges(&error), qPrintable(error));
    QCOMPARE(browser.editSession()->shard()->generation(), gen + 1);
    QCOMPARE(browser.slotModel().stateAt(3), SlotTableModel::SlotState::Tombstone);
    QCOMPARE(browser.slotModel().stateAt(7), SlotTableModel::SlotState::Tombstone);
    QCOMPARE(errorsIn(dir), 0);
    bool found = true;
    liveBytes(dir, QByteArray::fromStdString(k3.toHex()), &found);
    QVERIFY(!found);
    liveBytes(dir, QByteArray::fromStdString(k7.toHex()), &found);
    QVERIFY(!found);
    QCOMPARE(liveBytes(dir, QByteArray::fromStdString(AppendDialog::deriveKey(data).toHex()), &found), data);
    QVERIFY(found);
    // The replaced generation is retired once the new one is committed.
    QVERIFY(!QFileInfo::exists(dir + u'/' + QString::fromStdString(tableFileName(gen))));
}

void TestEditMode::undoRedoRevertWriteNothing()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("tombstones"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir));
    const auto before = snapshotTree(dir);
    QVERIFY(browser.setEditMode(true));
    EditActions *actions = window.editActions();
    const int rows = browser.slotModel().rowCount();
    QString error;
    QVERIFY(browser.editSession()->stageAppend(AppendDialog::deriveKey("a"), "a", &error));
    QVERIFY(browser.editSession()->stageAppend(AppendDialog::deriveKey("b"), "b", &error));
    QCOMPARE(browser.slotModel().rowCount(), rows + 2);
    QVERIFY(actions->undo->isEnabled());
    actions->undo->trigger();
    QCOMPARE(browser.slotModel().rowCount(), rows + 1);
    QVERIFY(actions->redo->isEnabled());
    actions->redo->trigger();
    QCOMPARE(browser.slotModel().rowCount(), rows + 2);
    onNextModal([](QWidget *w) { clickMessageButton(w, QMessageBox::Yes); });
    actions->revert->trigger();
    QVERIFY(!browser.editSession()->hasChanges());
    QCOMPARE(browser.slotModel().rowCount(), rows);
    QVERIFY(browser.setEditMode(false));
    QVERIFY(!browser.editSession());
    QCOMPARE(snapshotTree(dir), before);
}

void TestEditMode::lockHeldSaysWho()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("basic"));
    // Another writer (here: this process through a second open) holds it.
    auto other = Shard::openForWriting(dir.toStdString());
    QVERIFY2(other, errorText(other).c_str());
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir));
    QString error;
    QVERIFY(!browser.setEditMode(true, &error));
    QVERIFY2(error.contains(QStringLiteral("pid %1").arg(::getpid())), qPrintable(error));
    // Still browsing, read-only.
    QVERIFY(!browser.editMode());
    QVERIFY(!browser.editSession());
    QVERIFY(browser.slotModel().rowCount() > 0);
    other = std::unexpected(Error {});
    QVERIFY2(browser.setEditMode(true, &error), qPrintable(error));
}

void TestEditMode::closeWithPendingChangesAsks()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("basic"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(browser.setEditMode(true));
    QString error;
    const QByteArray data = QByteArrayLiteral("kept until asked");
    QVERIFY(browser.editSession()->stageAppend(AppendDialog::deriveKey(data), data, &error));

    onNextModal([](QWidget *w) { clickMessageButton(w, QMessageBox::Cancel); });
    QVERIFY(!window.close());
    QVERIFY(browser.editSession()->hasChanges());

    onNextModal([](QWidget *w) { clickMessageButton(w, QMessageBox::Save); });
    QVERIFY(window.close());
    bool found = false;
    QCOMPARE(liveBytes(dir, QByteArray::fromStdString(AppendDialog::deriveKey(data).toHex()), &found), data);
    QVERIFY(found);
}

void TestEditMode::diskFullKeepsChangesAndShard()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("basic"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir));
    QVERIFY(browser.setEditMode(true));
    QString error;
    QVERIFY(browser.editSession()->stageDelete({1}, &error));
    QVERIFY(browser.editSession()->stageAppend(AppendDialog::deriveKey("x"), "x", &error));
    const auto before = filesOf(dir);
    // The disk fills at the first write.
    setFaultHook([](const IoEvent &e) { return e.step == IoStep::Write ? ENOSPC : 0; });
    const bool written = browser.writeChanges(&error);
    clearFaultHook();
    QVERIFY(!written);
    QVERIFY2(error.contains(QStringLiteral("No space left")), qPrintable(error));
    QVERIFY2(error.contains(dir), qPrintable(error));
    QVERIFY(browser.editSession()->hasChanges());
    const auto after = filesOf(dir);
    for (const auto &[name, state] : after)
        QVERIFY2(before.count(name) && before.at(name) == state, qPrintable(name));
    QCOMPARE(after.size(), before.size());
    // And it goes through once there is room.
    QVERIFY2(browser.writeChanges(&error), qPrintable(error));
    QCOMPARE(errorsIn(dir), 0);
}

void TestEditMode::compactThroughDialog()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("tombstones"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir));
    QVERIFY(browser.setEditMode(true));
    const uint32_t gen = browser.editSession()->shard()->generation();
    bool sawDialog = false;
    onNextModal([&sawDialog](QWidget *w) {
        auto *dialog = qobject_cast<CompactDialog *>(w);
        QVERIFY(dialog);
        sawDialog = true;
        QCOMPARE(dialog->page(), CompactDialog::Page::Preview);
        dialog->compactButton()->click();
        QTRY_COMPARE(dialog->page(), CompactDialog::Page::Result);
        QCOMPARE(dialog->outcome(), CompactDialog::Outcome::Ok);
        dialog->closeButton()->click();
    });
    window.editActions()->compact->trigger();
    QVERIFY(sawDialog);
    QCOMPARE(browser.editSession()->shard()->generation(), gen + 1);
    QCOMPARE(errorsIn(dir), 0);
    // Compaction drops the tombstones: every row is live.
    for (int row = 0; row < browser.slotModel().rowCount(); ++row)
        QCOMPARE(browser.slotModel().stateAt(row), SlotTableModel::SlotState::Live);
}

void TestEditMode::compareGenerationsDialog()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("compacted"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir));
    bool sawDialog = false;
    onNextModal([&sawDialog](QWidget *w) {
        auto *dialog = qobject_cast<GenerationDiffDialog *>(w);
        QVERIFY(dialog);
        sawDialog = true;
        QCOMPARE(dialog->oldGeneration(), 0u);
        QCOMPARE(dialog->newGeneration(), 1u);
        QVERIFY(QTest::qWaitFor([dialog]() { return !dialog->isComparing(); }, 10000));
        QVERIFY(dialog->model()->rowCount() > 0);
        dialog->reject();
    });
    window.editActions()->compareGenerations->trigger();
    QVERIFY(sawDialog);
}

void TestEditMode::newShardThroughDialog()
{
    QTemporaryDir scratch;
    const QString dir = scratch.path() + QStringLiteral("/fresh");
    MainWindow window(*m_repository);
    Browser browser(window);
    onNextModal([dir](QWidget *w) {
        auto *dialog = qobject_cast<HydrateDialog *>(w);
        QVERIFY(dialog);
        dialog->setDirectory(dir);
        dialog->setSizes(64, 65536);
        QVERIFY2(dialog->problem().isEmpty(), qPrintable(dialog->problem()));
        dialog->accept();
    });
    window.editActions()->newShard->trigger();
    QCOMPARE(browser.path(), QFileInfo(dir).absoluteFilePath());
    QCOMPARE(QFileInfo(dir + u'/' + QString::fromStdString(tableFileName(0))).size(), 64 * 32);
    QCOMPARE(QFileInfo(dir + u'/' + QString::fromStdString(packFileName(0))).size(), 65536);
    QCOMPARE(errorsIn(dir), 0);
    // A second one in the same place is refused before anything is written.
    QVERIFY(!Browser::newShardProblem(dir).isEmpty() || !QFileInfo::exists(dir + QStringLiteral("/MF")));
}

void TestEditMode::storeModePutAndRemove()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("store"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QString error;
    const StoreEdit edit;
    QVERIFY2(edit.stageIn(browser, dir, &error), qPrintable(error));
    QVERIFY(window.editActions()->putBlobAction->isEnabled());
    QVERIFY(window.editActions()->write->isEnabled());
    const auto &[removed, data, added] = edit;

    QVERIFY2(browser.writeChanges(&error), qPrintable(error));
    QVERIFY(browser.storeEditSession());
    QVERIFY(!browser.storeEditSession()->hasChanges());
    QVERIFY(browser.waitForCheck());
    QCOMPARE(browser.report().count(Severity::Error), size_t(0));

    // What another reader sees.
    browser.setEditMode(false);
    auto store = Store::open(dir.toStdString(), Store::Access::ReadOnly);
    QVERIFY2(store, errorText(store).c_str());
    auto got = store->get(added);
    QVERIFY2(got, errorText(got).c_str());
    QVERIFY(got->has_value());
    QCOMPARE(toByteArray(**got), data);
    auto gone = store->get(removed);
    QVERIFY2(gone, errorText(gone).c_str());
    QVERIFY(!gone->has_value());
}

// A blob removed and put again is staged as a replacement (to mend damaged
// bytes); Write Changes must carry it out, not refuse it.
void TestEditMode::storeReplacementWritten()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("store"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QString error;
    const StoreEdit edit;
    QVERIFY2(browser.open(dir, &error) && browser.setEditMode(true, &error), qPrintable(error));
    StoreEditSession *session = browser.storeEditSession();
    QVERIFY(session);
    const QByteArray mended = QByteArrayLiteral("the blob's bytes, mended\n");
    QVERIFY2(session->stageRemove(edit.removed, &error), qPrintable(error));
    QVERIFY2(session->stagePut(edit.removed, mended, &error), qPrintable(error));

    QVERIFY2(browser.writeChanges(&error), qPrintable(error));
    QVERIFY(!browser.storeEditSession()->hasChanges());
    QVERIFY(browser.waitForCheck());
    QCOMPARE(browser.report().count(Severity::Error), size_t(0));
    browser.setEditMode(false);
    auto store = Store::open(dir.toStdString(), Store::Access::ReadOnly);
    QVERIFY2(store, errorText(store).c_str());
    auto got = store->get(edit.removed);
    QVERIFY2(got, errorText(got).c_str());
    QVERIFY(got->has_value());
    QCOMPARE(toByteArray(**got), mended);
}

// Put Blob, opened from the window, says where the blob would go if written
// now: the store write's plan, as the data (and so its size) changes.
void TestEditMode::putBlobSaysWhereItGoes()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("store"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QString error;
    QVERIFY2(browser.open(dir, &error) && browser.setEditMode(true, &error), qPrintable(error));
    window.resize(1300, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    bool sawDialog = false;
    onNextModal([&](QWidget *w) {
        auto *dialog = qobject_cast<PutBlobDialog *>(w);
        QVERIFY(dialog);
        sawDialog = true;
        QVERIFY(dialog->placementLabel()->isVisible());
        dialog->setDeriveCid(false);
        dialog->setCidHex(QStringLiteral("05") + QString(62, u'7'));
        dialog->dataSourceWidget()->setText(QStringLiteral("a blob for a new child"));
        QCOMPARE(dialog->placementLabel()->text(), QStringLiteral("shard 05, a shard the write makes"));
        test::saveScreenshot(*dialog, QStringLiteral("put-blob-goes-to.png"));
        dialog->reject();
    });
    window.editActions()->putBlobAction->trigger();
    QVERIFY(sawDialog);
    QVERIFY(!browser.storeEditSession()->hasChanges());
}

// A store change set is written shard by shard: when the disk fails in the
// second shard, the first keeps its change. What reached the disk leaves the
// staged list and the rest stays, so the next Write Changes finishes the job
// instead of refusing a removal that is already done.
void TestEditMode::storeWriteFailingPartWayIsFinishedByTheNext()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("store"));
    MainWindow window(*m_repository);
    Browser browser(window);
    QString error;
    const StoreEdit edit;
    QVERIFY2(edit.stageIn(browser, dir, &error), qPrintable(error));
    const auto &[removed, data, added] = edit;

    auto where = [&](const ContentId &cid) -> std::optional<std::string> {
        auto store = Store::open(dir.toStdString(), Store::Access::ReadOnly);
        if (!store)
            return std::nullopt;
        auto at = store->locate(cid);
        if (!at || !*at)
            return std::nullopt;
        return (*at)->relPath;
    };
    const std::optional<std::string> removedIn = where(removed);
    QVERIFY(removedIn.has_value());
    // The shards are written in path order: the disk fails in the later of
    // the removal's shard and the one the put lands in (child 64 here).
    const std::string failing = std::max<std::string>(*removedIn, "64");
    QVERIFY(!failing.empty());
    setFaultHook([&](const IoEvent &e) {
        const bool inFailing = e.path.find("/" + failing + "/") != std::string::npos;
        return inFailing && (e.step == IoStep::Write || e.step == IoStep::CopyRange) ? ENOSPC : 0;
    });
    const bool written = browser.writeChanges(&error);
    clearFaultHook();
    QVERIFY(!written);
    QVERIFY2(error.contains(QStringLiteral("No space left")), qPrintable(error));
    const bool putDone = where(added).has_value();
    const bool removeDone = !where(removed).has_value();
    QVERIFY2(putDone != removeDone, "the failure was meant to land between the two shards");
    StoreEditSession *session = browser.storeEditSession();
    QVERIFY(session);
    QCOMPARE(session->pendingPuts().size(), putDone ? 0 : 1);
    QCOMPARE(session->pendingRemoves().size(), removeDone ? 0 : 1);

    QVERIFY2(browser.writeChanges(&error), qPrintable(error));
    QVERIFY(!browser.storeEditSession()->hasChanges());
    QVERIFY(where(added).has_value());
    QVERIFY(!where(removed).has_value());
    QVERIFY(browser.waitForCheck());
    QCOMPARE(browser.report().count(Severity::Error), size_t(0));
}

void TestEditMode::missingGenerationInitialised()
{
    QTemporaryDir scratch;
    const QString dir = copyFixture(scratch.path(), QStringLiteral("empty"));
    QVERIFY(QFile::remove(dir + u'/' + QString::fromStdString(tableFileName(0))));
    QVERIFY(QFile::remove(dir + u'/' + QString::fromStdString(packFileName(0))));
    MainWindow window(*m_repository);
    Browser browser(window);
    QString error;
    QVERIFY(!browser.open(dir, &error));
    QVERIFY2(error.contains(QStringLiteral("File > New Shard")), qPrintable(error));
    QCOMPARE(Browser::missingGeneration(dir), std::optional<quint32>(0));
    bool sawDialog = false;
    onNextModal([&sawDialog, dir](QWidget *w) {
        auto *dialog = qobject_cast<HydrateDialog *>(w);
        QVERIFY(dialog);
        sawDialog = true;
        QCOMPARE(dialog->mode(), HydrateDialog::Mode::MissingGeneration);
        QCOMPARE(QFileInfo(dialog->directory()).absoluteFilePath(), QFileInfo(dir).absoluteFilePath());
        dialog->setSizes(128, 65536);
        dialog->accept();
    });
    window.editActions()->newShard->trigger();
    QVERIFY(sawDialog);
    QCOMPARE(QFileInfo(dir + u'/' + QString::fromStdString(tableFileName(0))).size(), 128 * 32);
    QCOMPARE(QFileInfo(dir + u'/' + QString::fromStdString(packFileName(0))).size(), 65536);
    QCOMPARE(errorsIn(dir), 0);
    QVERIFY(!Browser::missingGeneration(dir));
}

void TestEditMode::demoStoreEdited()
{
    auto demo = DemoStore::create();
    QVERIFY2(demo, errorText(demo).c_str());
    const QString dir = demo->path();
    MainWindow window(*m_repository);
    Browser browser(window);
    QVERIFY(browser.open(dir));
    QString error;
    QVERIFY2(browser.setEditMode(true, &error), qPrintable(error));
    EditSession *session = browser.editSession();
    // The first live slot with bytes, and a new entry.
    uint32_t victim = UINT32_MAX;
    for (int row = 0; row < browser.slotModel().committedRowCount(); ++row) {
        if (browser.slotModel().stateAt(row) == SlotTableModel::SlotState::Live
            && browser.slotModel().entryAt(row).len > 0) {
            victim = browser.slotModel().slotAt(row);
            break;
        }
    }
    QVERIFY(victim != UINT32_MAX);
    const Key victimKey = browser.slotModel().entryAt(browser.slotModel().rowForSlot(victim)).key;
    const QByteArray data = QByteArrayLiteral("key = value\n");
    QVERIFY2(session->stageDelete({victim}, &error), qPrintable(error));
    QVERIFY2(session->stageAppend(AppendDialog::deriveKey(data), data, &error), qPrintable(error));
    QVERIFY2(browser.writeChanges(&error), qPrintable(error));
    // And compacted through the dialog.
    onNextModal([](QWidget *w) {
        auto *dialog = qobject_cast<CompactDialog *>(w);
        QVERIFY(dialog);
        dialog->compactButton()->click();
        QTRY_COMPARE(dialog->page(), CompactDialog::Page::Result);
        QCOMPARE(dialog->outcome(), CompactDialog::Outcome::Ok);
        dialog->closeButton()->click();
    });
    window.editActions()->compact->trigger();
    QVERIFY(browser.setEditMode(false));
    QCOMPARE(errorsIn(dir), 0);
    bool found = true;
    liveBytes(dir, QByteArray::fromStdString(victimKey.toHex()), &found);
    QVERIFY(!found);
    QCOMPARE(liveBytes(dir, QByteArray::fromStdString(AppendDialog::deriveKey(data).toHex()), &found), data);
    QVERIFY(found);
}

QTEST_MAIN(TestEditMode)
#include "tst_edit_mode.moc"
