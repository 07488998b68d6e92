// StoreChangesWidget / StoreChangesDialog over a real StoreEditSession on a
// copy of the reference store: the list follows staging, unstaging, undo and
// redo; Unstage (button or Del) drops the selected rows from the session; a
// removal that a staged put replaces stays, with the reason shown; and
// nothing in the store's directory changes.
#include "dialog_test_support.h"
#include "edit_session.h"
#include "store.h"
#include "store_changes_dialog.h"

#include "../storage/test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <QUndoStack>

using namespace shardscope;
using test::saveScreenshot;
using namespace testsupport;

namespace {

QString hexOf(const ContentId &cid)
{
    return QString::fromStdString(toHex(cid));
}

ContentId cidOfData(const QByteArray &data)
{
    const QByteArray digest = QCryptographicHash::hash(data, QCryptographicHash::Sha256);
    ContentId cid {};
    std::copy_n(reinterpret_cast<const uint8_t *>(digest.constData()), cid.size(), cid.begin());
    return cid;
}

// The rows as "Kind cid size" lines, in list order.
QStringList rowsOf(const QTreeWidget *list)
{
    QStringList rows;
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        const QTreeWidgetItem *item = list->topLevelItem(i);
        rows << QStringList {item->text(0), item->text(1), item->text(2)}.join(u' ').trimmed();
    }
    return rows;
}

void selectRows(QTreeWidget *list, const QList<int> &rows)
{
    list->clearSelection();
    for (int row : rows)
        list->topLevelItem(row)->setSelected(true);
}

} // namespace

class TestStoreChangesDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void followsTheSession();
    void unstageWithButtonAndKey();
    void replacementKeepsItsRemoval();
    void selectionSurvivesChanges();
    void sessionGone();
    void shardColumnForetellsTheWrite();
    void refusalShownBeforeTheWrite();

private:
    QList<ContentId> m_stored;
    std::unique_ptr<QTemporaryDir> m_scratch;
    QString m_storePath;
    std::map<QString, FileState> m_before;
    std::optional<Store> m_store;
    std::unique_ptr<StoreEditSession> m_session;
};

void TestStoreChangesDialog::initTestCase()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QFile expect(dataPath(QStringLiteral("store.expect.json")));
    QVERIFY(expect.open(QIODevice::ReadOnly));
    const QJsonArray blobs = QJsonDocument::fromJson(expect.readAll()).array();
    QVERIFY(blobs.size() >= 3);
    for (int i = 0; i < 3; ++i) {
        const auto cid = contentIdFromHex(blobs[i].toObject()[QStringLiteral("cid")].toString().toStdString());
        QVERIFY(cid);
        m_stored << *cid;
    }
    m_scratch = std::make_unique<QTemporaryDir>();
    QVERIFY(m_scratch->isValid());
    m_storePath = copyFixture(m_scratch->path(), QStringLiteral("store"));
    QVERIFY(!m_storePath.isEmpty());
    m_before = snapshotTree(m_storePath);
}

void TestStoreChangesDialog::init()
{
    QTest::failOnWarning(
        QRegularExpression(QStringLiteral("^(?!This plugin does not support (propagateSizeHints|raise))")));
    auto store = Store::open(str(m_storePath), Store::Access::ReadWrite);
    CHECK_OK(store);
    m_store.emplace(std::move(*store));
    m_session = std::make_unique<StoreEditSession>();
    m_session->setStore(&*m_store);
}

void TestStoreChangesDialog::cleanup()
{
    m_session.reset();
    m_store.reset();
    // Staging and unstaging from the list write nothing, so one copy serves every test.
    QVERIFY(snapshotTree(m_storePath) == m_before);
}

void TestStoreChangesDialog::followsTheSession()
{
    StoreChangesDialog dialog(m_session.get());
    StoreChangesWidget *w = dialog.changesWidget();
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(w->list()->topLevelItemCount(), 0);
    QCOMPARE(w->summaryLabel()->text(), QStringLiteral("Nothing is staged."));
    QVERIFY(!w->unstageButton()->isEnabled());

    const QByteArray first("first new blob");
    const QByteArray second(3000, 'x');
    const ContentId a = cidOfData(first);
    const ContentId b = cidOfData(second);
    for (const ContentId &cid : {a, b}) {
        const auto where = m_store->locate(cid);
        CHECK_OK(where);
        QVERIFY(!where->has_value());
    }
    QString why;
    QVERIFY2(m_session->stagePut(a, first, &why), qPrintable(why));
    QVERIFY2(m_session->stageRemove(m_stored[0], &why), qPrintable(why));
    QVERIFY2(m_session->stagePut(b, second, &why), qPrintable(why));
    QVERIFY2(m_session->stageRemove(m_stored[1], &why), qPrintable(why));

    // Puts in staging order, then removals.
    const QStringList expected {QStringLiteral("Put %1 14").arg(hexOf(a)), QStringLiteral("Put %1 3,000").arg(hexOf(b)),
        QStringLiteral("Remove %1").arg(hexOf(m_stored[0])), QStringLiteral("Remove %1").arg(hexOf(m_stored[1]))};
    QCOMPARE(rowsOf(w->list()), expected);
    QCOMPARE(w->summaryLabel()->text(),
        QStringLiteral("Staged, not yet written: 2 puts (%1), 2 removals.").arg(EditSession::sizeText(3014)));
    // The full ID is readable.
    QVERIFY(w->list()->columnWidth(StoreChangesWidget::CidColumn)
        >= w->list()->fontMetrics().horizontalAdvance(w->list()->topLevelItem(0)->text(1)));
    saveScreenshot(dialog, QStringLiteral("store-changes.png"));

    // Undo and redo go through the session's stack; the list follows.
    m_session->undoStack()->undo();
    QCOMPARE(rowsOf(w->list()), expected.first(3));
    m_session->undoStack()->redo();
    QCOMPARE(rowsOf(w->list()), expected);
    m_session->revert();
    QCOMPARE(w->list()->topLevelItemCount(), 0);
    m_session->undoStack()->undo();
    QCOMPARE(rowsOf(w->list()), expected);
}

void TestStoreChangesDialog::unstageWithButtonAndKey()
{
    StoreChangesWidget w(m_session.get());
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const ContentId a = cidOfData("a");
    const ContentId b = cidOfData("bb");
    QVERIFY(m_session->stagePut(a, "a"));
    QVERIFY(m_session->stagePut(b, "bb"));
    QVERIFY(m_session->stageRemove(m_stored[0]));
    QVERIFY(m_session->stageRemove(m_stored[2]));
    QCOMPARE(w.list()->topLevelItemCount(), 4);

    // The first put, by the button.
    selectRows(w.list(), {0});
    QVERIFY(w.unstageButton()->isEnabled());
    QTest::mouseClick(w.unstageButton(), Qt::LeftButton);
    QCOMPARE(m_session->pendingPuts().size(), 1);
    QVERIFY(m_session->pendingPuts()[0].cid == b);
    QCOMPARE(w.list()->topLevelItemCount(), 3);
    QVERIFY(!w.unstageButton()->isEnabled());

    // The last removal, by Del in the list.
    selectRows(w.list(), {2});
    w.list()->setFocus();
    QTest::keyClick(w.list(), Qt::Key_Delete);
    QCOMPARE(m_session->pendingRemoves(), QList<ContentId> {m_stored[0]});
    QCOMPARE(rowsOf(w.list()),
        (QStringList {QStringLiteral("Put %1 2").arg(hexOf(b)), QStringLiteral("Remove %1").arg(hexOf(m_stored[0]))}));

    // Both remaining rows at once.
    selectRows(w.list(), {0, 1});
    QCOMPARE(w.unstageSelected(), 2);
    QVERIFY(!m_session->hasChanges());
    QCOMPARE(w.summaryLabel()->text(), QStringLiteral("Nothing is staged."));
    // Every unstage was its own undo step.
    m_session->undoStack()->undo();
    QCOMPARE(w.list()->topLevelItemCount(), 1);
}

void TestStoreChangesDialog::replacementKeepsItsRemoval()
{
    StoreChangesWidget w(m_session.get());
    w.resize(720, 260);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const ContentId stored = m_stored[1];
    QVERIFY(m_session->stageRemove(stored));
    QString why;
    QVERIFY2(m_session->stagePut(stored, "replacement", &why), qPrintable(why));
    QCOMPARE(rowsOf(w.list()),
        (QStringList {
            QStringLiteral("Replace %1 11").arg(hexOf(stored)), QStringLiteral("Remove %1").arg(hexOf(stored))}));

    selectRows(w.list(), {1});
    QCOMPARE(w.unstageSelected(), 0);
    QVERIFY(m_session->isMarkedForRemoval(stored));
    QVERIFY(w.messageLabel()->isVisible());
    QVERIFY2(w.messageLabel()->text().contains(QLatin1String("stays marked for removal")),
        qPrintable(w.messageLabel()->text()));
    QVERIFY(w.messageLabel()->text().contains(hexOf(stored).left(16)));
    saveScreenshot(w, QStringLiteral("store-changes-replace.png"));

    // With its put selected too, both go (the put first).
    selectRows(w.list(), {0, 1});
    QCOMPARE(w.unstageSelected(), 2);
    QVERIFY(!m_session->hasChanges());
    QVERIFY(w.messageLabel()->isHidden());
}

void TestStoreChangesDialog::selectionSurvivesChanges()
{
    StoreChangesWidget w(m_session.get());
    const ContentId a = cidOfData("keep me selected");
    QVERIFY(m_session->stageRemove(m_stored[0]));
    QVERIFY(m_session->stagePut(a, "keep me selected"));
    // Row 0 is the put, row 1 the removal.
    selectRows(w.list(), {1});
    QVERIFY(m_session->stagePut(cidOfData("another"), "another"));
    // The removal moved to row 2 and is still the one selected.
    const auto selected = w.list()->selectedItems();
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected[0]->text(1), hexOf(m_stored[0]));
    QCOMPARE(w.list()->indexOfTopLevelItem(selected[0]), 2);
    QVERIFY(w.unstageButton()->isEnabled());
}

void TestStoreChangesDialog::sessionGone()
{
    StoreChangesWidget w(m_session.get());
    QVERIFY(m_session->stagePut(cidOfData("x"), "x"));
    QCOMPARE(w.list()->topLevelItemCount(), 1);
    selectRows(w.list(), {0});
    m_session.reset();
    QVERIFY(w.session() == nullptr);
    QCOMPARE(w.list()->topLevelItemCount(), 0);
    QCOMPARE(w.summaryLabel()->text(), QStringLiteral("No store is open for editing."));
    QVERIFY(!w.unstageButton()->isEnabled());
    QCOMPARE(w.unstageSelected(), 0);
}

void TestStoreChangesDialog::shardColumnForetellsTheWrite()
{
    // The Shard column says where the write will put each blob and take
    // each removal from; the truth is a real write of the same changes into
    // a second copy of the store, then looked up there.
    QString why;
    std::vector<ContentId> puts;
    for (int i = 0; i < 6; ++i) {
        const QByteArray data = QByteArray("placed blob ") + QByteArray::number(i) + QByteArray(200 * i, 'p');
        puts.push_back(cidOfData(data));
        QVERIFY2(m_session->stagePut(puts.back(), data, &why), qPrintable(why));
    }
    // The reference store's root is full and has no child 05: a blob whose
    // ID starts with 05 makes one.
    ContentId intoNewChild = cidOfData("into a new child");
    intoNewChild[0] = 0x05;
    QVERIFY(!QFileInfo::exists(m_storePath + QStringLiteral("/05")));
    puts.push_back(intoNewChild);
    QVERIFY2(m_session->stagePut(intoNewChild, "into a new child", &why), qPrintable(why));
    QVERIFY2(m_session->stageRemove(m_stored[2], &why), qPrintable(why));
    StoreChangesWidget w(m_session.get());
    w.resize(900, 300);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.refusalLabel()->isHidden());
    saveScreenshot(w, QStringLiteral("store-changes-shards.png"));

    QTemporaryDir other;
    const QString copy = copyFixture(other.path(), QStringLiteral("store"));
    auto written = Store::open(str(copy), Store::Access::ReadWrite);
    CHECK_OK(written);
    auto removedFrom = written->locate(m_stored[2]);
    CHECK_OK(removedFrom);
    QVERIFY(removedFrom->has_value());
    const auto before = snapshotTree(copy);
    CHECK_OK(commitStoreChanges(*written, m_session->changes()));
    auto shardText
        = [](const std::string &rel) { return rel.empty() ? QStringLiteral("root") : QString::fromStdString(rel); };
    int newShards = 0;
    for (int row = 0; row < w.list()->topLevelItemCount(); ++row) {
        const QTreeWidgetItem *item = w.list()->topLevelItem(row);
        const QString shown = item->text(StoreChangesWidget::ShardColumn);
        if (row < int(puts.size())) {
            auto found = written->locate(puts[size_t(row)]);
            CHECK_OK(found);
            QVERIFY(found->has_value());
            const QString rel = shardText((*found)->relPath);
            const bool made = !before.contains((*found)->relPath.empty() ? QStringLiteral("MF") : rel + "/MF");
            newShards += made ? 1 : 0;
            QCOMPARE(shown, made ? rel + QStringLiteral(" (new)") : rel);
        } else {
            QCOMPARE(shown, shardText((*removedFrom)->relPath));
        }
    }
    QCOMPARE(w.list()->topLevelItemCount(), int(puts.size()) + 1);
    QCOMPARE(newShards, 1);
    QCOMPARE(w.list()->topLevelItem(int(puts.size()) - 1)->text(StoreChangesWidget::ShardColumn),
        QStringLiteral("05 (new)"));
}

void TestStoreChangesDialog::refusalShownBeforeTheWrite()
{
    // A removal staged, then the blob removed behind the session's back (as
    // another writer would): the list says at once that Write Changes would
    // refuse, and why, naming the blob.
    QTemporaryDir other;
    const QString copy = copyFixture(other.path(), QStringLiteral("store"));
    auto store = Store::open(str(copy), Store::Access::ReadWrite);
    CHECK_OK(store);
    StoreEditSession session;
    session.setStore(&*store);
    QString why;
    QVERIFY2(session.stageRemove(m_stored[0], &why), qPrintable(why));
    StoreChangesWidget w(&session);
    QVERIFY(w.refusalLabel()->isHidden());
    COMPARE_OK(store->remove(m_stored[0]), true);
    QVERIFY2(session.stagePut(cidOfData("another"), "another", &why), qPrintable(why));
    QVERIFY(!w.refusalLabel()->isHidden());
    const QString text = w.refusalLabel()->text();
    QVERIFY2(text.startsWith(QStringLiteral("Write Changes would refuse these changes: ")), qPrintable(text));
    QVERIFY2(text.contains(hexOf(m_stored[0])) && text.contains(QStringLiteral("not stored")), qPrintable(text));
    // Unstaging the removal clears it.
    QVERIFY(session.unstageRemove(m_stored[0]));
    QVERIFY(w.refusalLabel()->isHidden());
}

QTEST_MAIN(TestStoreChangesDialog)
#include "tst_store_changes_dialog.moc"
