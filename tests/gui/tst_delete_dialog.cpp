// DeleteDialog on the offscreen platform: it lists every entry with its slot,
// key and size, says that the pack bytes stay until compaction, and confirms
// or cancels.
#include "delete_dialog.h"
#include "dialog_test_support.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QTest>
#include <QTreeWidget>

using namespace shardscope;
using test::saveScreenshot;

namespace {

QList<DeleteEntry> makeEntries(int n)
{
    QList<DeleteEntry> entries;
    for (int i = 0; i < n; ++i)
        entries.append({quint32(3 + 10 * i), Key({0x1111111111111111ull * (i + 1), uint64_t(i), 0xabcdefull}),
            quint64(1000 * i + 17)});
    return entries;
}

} // namespace

class TestDeleteDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates)); }
    void init()
    {
        // The offscreen platform says what it cannot do; nothing else may warn.
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("^(?!This plugin does not support (propagateSizeHints|raise))")));
    }

    void lists_data();
    void lists();
    void nothingSelected();
    void close_data();
    void close();
};

void TestDeleteDialog::lists_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<QString>("summary");
    QTest::addColumn<QString>("button");
    QTest::newRow("one") << 1 << "Mark the entry in slot 3 for deletion?"
                         << "&Delete";
    QTest::newRow("three") << 3 << "Mark these 3 entries for deletion?"
                           << "&Delete 3 Entries";
    QTest::newRow("many") << 1500 << "Mark these 1,500 entries for deletion?"
                          << "&Delete 1,500 Entries";
}

void TestDeleteDialog::lists()
{
    QFETCH(int, count);
    QFETCH(QString, summary);
    QFETCH(QString, button);

    const QList<DeleteEntry> entries = makeEntries(count);
    DeleteDialog dialog(entries);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(dialog.summaryLabel()->text(), summary);
    QCOMPARE(dialog.deleteButton()->text(), button);
    QVERIFY(dialog.deleteButton()->isEnabled());
    QCOMPARE(dialog.entries().size(), entries.size());

    QTreeWidget *list = dialog.list();
    QCOMPARE(list->topLevelItemCount(), count);
    quint64 total = 0;
    for (int i = 0; i < count; ++i) {
        const QTreeWidgetItem *item = list->topLevelItem(i);
        QCOMPARE(item->text(0), QLocale().toString(entries[i].slot));
        QCOMPARE(item->text(1), QString::fromStdString(entries[i].key.toHex()));
        QCOMPARE(item->text(2), QLocale().toString(entries[i].size));
        total += entries[i].size;
    }
    QCOMPARE(dialog.totalBytes(), total);
    const QString note = dialog.noteLabel()->text();
    QVERIFY2(note.contains(QLatin1String("stay in the pack until the shard is compacted")), qPrintable(note));
    QVERIFY(note.startsWith(
        count == 1 ? QLatin1String("The slot becomes a tombstone") : QLatin1String("The slots become tombstones")));
    // Short lists take little room; long ones scroll.
    QVERIFY(dialog.height() <= 520);
    QVERIFY2(note.contains(QLocale().toString(total) + QLatin1String(" byte")), qPrintable(note));
    // The 48-digit keys are not cut off.
    const QRect keyColumn = list->visualItemRect(list->topLevelItem(0));
    QVERIFY(list->columnWidth(1) >= list->fontMetrics().horizontalAdvance(list->topLevelItem(0)->text(1)));
    QVERIFY(keyColumn.isValid());
    if (count == 3)
        saveScreenshot(dialog, QStringLiteral("delete.png"));
    if (count == 1)
        saveScreenshot(dialog, QStringLiteral("delete-one.png"));
}

void TestDeleteDialog::nothingSelected()
{
    DeleteDialog dialog({});
    QVERIFY(!dialog.deleteButton()->isEnabled());
    QVERIFY(dialog.summaryLabel()->text().contains(QLatin1String("nothing to delete")));
    QCOMPARE(dialog.list()->topLevelItemCount(), 0);
    QCOMPARE(dialog.totalBytes(), 0u);
}

void TestDeleteDialog::close_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<int>("result");
    QTest::newRow("Delete button") << "delete" << int(QDialog::Accepted);
    QTest::newRow("Enter") << "enter" << int(QDialog::Accepted);
    QTest::newRow("Cancel button") << "cancel" << int(QDialog::Rejected);
    QTest::newRow("Esc") << "escape" << int(QDialog::Rejected);
}

void TestDeleteDialog::close()
{
    QFETCH(QString, how);
    QFETCH(int, result);
    DeleteDialog dialog(makeEntries(2));
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    if (how == QLatin1String("delete"))
        QTest::mouseClick(dialog.deleteButton(), Qt::LeftButton);
    else if (how == QLatin1String("enter"))
        QTest::keyClick(&dialog, Qt::Key_Return);
    else if (how == QLatin1String("cancel"))
        QTest::mouseClick(dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Cancel), Qt::LeftButton);
    else
        QTest::keyClick(&dialog, Qt::Key_Escape);
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), result);
}

QTEST_MAIN(TestDeleteDialog)
#include "tst_delete_dialog.moc"
