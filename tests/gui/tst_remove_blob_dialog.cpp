// RemoveBlobDialog on the offscreen platform: content IDs one per line, each
// line checked (hex, length, zero, repeats, the store's answer), the first
// problem named by its line with the bad lines marked and Remove disabled,
// the note about pack bytes staying until compaction, and cancel.
#include "dialog_test_support.h"
#include "remove_blob_dialog.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTest>

#include <set>

using namespace shardscope;
using test::saveScreenshot;

namespace {

// Stored blobs: IDs 11…11, 22…22 and 33…33.
QString storedHex(int i)
{
    return QString(64, QChar(u'0' + i));
}

const QString kMissingHex = QStringLiteral("abababababababababababababababababababababababababababababababab");

} // namespace

Q_DECLARE_METATYPE(QList<int>)

class TestRemoveBlobDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init()
    {
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("^(?!This plugin does not support (propagateSizeHints|raise))")));
    }

    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void setCids();
    void fixingTheLineEnablesRemove();
    void cancel_data();
    void cancel();

private:
    std::unique_ptr<RemoveBlobDialog> makeDialog();

    std::set<ContentId> m_stored;
    QList<ContentId> m_asked;
};

void TestRemoveBlobDialog::initTestCase()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    for (int i = 1; i <= 3; ++i) {
        QCOMPARE(storedHex(i).size(), 64);
        m_stored.insert(*contentIdFromHex(storedHex(i).toStdString()));
    }
}

std::unique_ptr<RemoveBlobDialog> TestRemoveBlobDialog::makeDialog()
{
    m_asked.clear();
    return std::make_unique<RemoveBlobDialog>([this](const ContentId &cid) {
        m_asked << cid;
        return m_stored.contains(cid) ? QString() : QStringLiteral("not in the store");
    });
}

void TestRemoveBlobDialog::valid_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<int>>("expected"); // indices into storedHex
    QTest::addColumn<QString>("summary");
    QTest::addColumn<QString>("button");

    QTest::newRow("one") << storedHex(2) << QList<int> {2} << "1 blob will be marked for removal."
                         << "&Remove";
    QTest::newRow("three with blank lines and spaces")
        << QStringLiteral("\n  %1  \n\n%2\n%3\n\n").arg(storedHex(3), storedHex(1), storedHex(2))
        << QList<int> {3, 1, 2} << "3 blobs will be marked for removal."
        << "&Remove 3 Blobs";
    QTest::newRow("upper case") << storedHex(1).toUpper() << QList<int> {1} << "1 blob will be marked for removal."
                                << "&Remove";
}

void TestRemoveBlobDialog::valid()
{
    QFETCH(QString, text);
    QFETCH(QList<int>, expected);
    QFETCH(QString, summary);
    QFETCH(QString, button);

    auto dialog = makeDialog();
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    dialog->setText(text);

    QVERIFY2(dialog->problem().isEmpty(), qPrintable(dialog->problem()));
    QVERIFY(dialog->problemLabel()->isHidden());
    QVERIFY(dialog->removeButton()->isEnabled());
    QVERIFY(dialog->badLines().isEmpty());
    QCOMPARE(dialog->editor()->extraSelections().size(), 0);
    QList<ContentId> want;
    for (int i : expected)
        want << *contentIdFromHex(storedHex(i).toStdString());
    QCOMPARE(dialog->cids(), want);
    for (const ContentId &cid : want)
        QVERIFY(m_asked.contains(cid));
    QCOMPARE(dialog->summaryLabel()->text(), summary);
    QCOMPARE(dialog->removeButton()->text(), button);
    const QString note = dialog->noteLabel()->text();
    QVERIFY2(
        note.contains(QLatin1String("bytes stay in the shard's pack until that shard is compacted")), qPrintable(note));
    if (expected.size() == 3)
        saveScreenshot(*dialog, QStringLiteral("remove-blobs.png"));

    QTest::mouseClick(dialog->removeButton(), Qt::LeftButton);
    QCOMPARE(dialog->result(), int(QDialog::Accepted));
}

void TestRemoveBlobDialog::invalid_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("problem");
    QTest::addColumn<QList<int>>("badLines");

    const QString ok1 = storedHex(1);
    const QString ok2 = storedHex(2);
    QTest::newRow("nothing") << QString() << "Enter the content IDs of the blobs to remove" << QList<int> {};
    QTest::newRow("blank lines only") << QStringLiteral("\n  \n") << "Enter the content IDs" << QList<int> {};
    QTest::newRow("not hex") << ok1 + u'\n' + ok2.left(63) + u'x'
                             << "Line 2: The content ID holds “x”, which is not a hex digit" << QList<int> {2};
    QTest::newRow("too short") << ok1.left(60) << "Line 1: The content ID has 60 hex digits; it needs exactly 64."
                               << QList<int> {1};
    QTest::newRow("too long") << ok1 + u'\n' + ok2 + u'1' << "Line 2: The content ID has 65 hex digits"
                              << QList<int> {2};
    QTest::newRow("zero") << QString(64, u'0') << "Line 1: The all-zero content ID is not valid" << QList<int> {1};
    QTest::newRow("repeated") << ok1 + u'\n' + ok2 + u'\n' + ok1.toUpper() << "Line 3: it repeats line 1."
                              << QList<int> {3};
    QTest::newRow("not in the store") << ok1 + QStringLiteral("\n\n") + kMissingHex << "Line 3: not in the store"
                                      << QList<int> {3};
    QTest::newRow("several bad lines") << QStringLiteral("12\n") + ok1 + u'\n' + kMissingHex + QStringLiteral("\nzz")
                                       << "Line 1: The content ID has 2 hex digits; it needs exactly 64. (2 more "
                                          "lines have a problem)"
                                       << QList<int> {1, 3, 4};
}

void TestRemoveBlobDialog::invalid()
{
    QFETCH(QString, text);
    QFETCH(QString, problem);
    QFETCH(QList<int>, badLines);

    auto dialog = makeDialog();
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    dialog->setText(text);

    QVERIFY2(dialog->problem().startsWith(problem), qPrintable(dialog->problem()));
    QCOMPARE(dialog->problemLabel()->text(), dialog->problem());
    QVERIFY(dialog->problemLabel()->isVisible());
    QVERIFY(!dialog->removeButton()->isEnabled());
    QCOMPARE(dialog->badLines(), badLines);
    // Each bad line is marked in the editor, on its own block.
    const auto marks = dialog->editor()->extraSelections();
    QCOMPARE(marks.size(), badLines.size());
    for (qsizetype i = 0; i < marks.size(); ++i)
        QCOMPARE(marks[i].cursor.blockNumber() + 1, badLines[i]);
    if (QTest::currentDataTag() == QLatin1String("several bad lines"))
        saveScreenshot(*dialog, QStringLiteral("remove-blobs-refused.png"));

    // Enter does not get past a disabled Remove.
    QTest::keyClick(dialog.get(), Qt::Key_Return);
    QVERIFY(dialog->isVisible());
}

void TestRemoveBlobDialog::setCids()
{
    auto dialog = makeDialog();
    const QList<ContentId> cids {
        *contentIdFromHex(storedHex(2).toStdString()), *contentIdFromHex(storedHex(3).toStdString())};
    dialog->setCids(cids);
    QCOMPARE(dialog->editor()->toPlainText(), storedHex(2) + u'\n' + storedHex(3));
    QCOMPARE(dialog->cids(), cids);
    QVERIFY(dialog->removeButton()->isEnabled());
    // The store is asked once per ID, however often the text changes.
    dialog->setCids(cids);
    dialog->setText(storedHex(3));
    QCOMPARE(m_asked.size(), 2);
}

void TestRemoveBlobDialog::fixingTheLineEnablesRemove()
{
    auto dialog = makeDialog();
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    dialog->setText(storedHex(1).left(63));
    QVERIFY(!dialog->removeButton()->isEnabled());
    QCOMPARE(dialog->badLines(), QList<int> {1});
    dialog->editor()->setFocus();
    dialog->editor()->moveCursor(QTextCursor::End);
    QTest::keyClick(dialog->editor(), Qt::Key_1);
    QVERIFY2(dialog->problem().isEmpty(), qPrintable(dialog->problem()));
    QVERIFY(dialog->removeButton()->isEnabled());
    QCOMPARE(dialog->cids().size(), 1);
    QTest::keyClick(dialog->editor(), Qt::Key_Return);
    QTest::keyClicks(dialog->editor(), kMissingHex);
    QCOMPARE(dialog->badLines(), QList<int> {2});
    QVERIFY(!dialog->removeButton()->isEnabled());
    QCOMPARE(dialog->summaryLabel()->text(), QStringLiteral("1 of 2 lines name a blob that can be removed."));
}

void TestRemoveBlobDialog::cancel_data()
{
    QTest::addColumn<bool>("escape");
    QTest::newRow("Cancel button") << false;
    QTest::newRow("Esc") << true;
}

void TestRemoveBlobDialog::cancel()
{
    QFETCH(bool, escape);
    auto dialog = makeDialog();
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    dialog->setText(storedHex(1));
    QVERIFY(dialog->removeButton()->isEnabled());
    if (escape) {
        QTest::keyClick(dialog.get(), Qt::Key_Escape);
    } else {
        test::clickButton(*dialog, QStringLiteral("Cancel"));
        if (QTest::currentTestFailed())
            return;
    }
    QCOMPARE(dialog->result(), int(QDialog::Rejected));
    QVERIFY(!dialog->isVisible());
}

QTEST_MAIN(TestRemoveBlobDialog)
#include "tst_remove_blob_dialog.moc"
