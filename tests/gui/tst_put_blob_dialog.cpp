// PutBlobDialog on the offscreen platform: blobs from typed text, a file and
// the clipboard, content IDs typed or derived from the data (checked against
// the storage library's own SHA-256), every reason to refuse shown with OK
// disabled (a file over the blob size limit is refused unread), the
// placement shown for the ID, and cancel. What the data tabs do by
// themselves is tst_data_source_widget's.
#include "data_source_test_support.h"
#include "dialog_test_support.h"
#include "put_blob_dialog.h"
#include "sha256.h"

#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace shardscope;
using test::saveScreenshot;

namespace {

// The ID the reference derives, computed without Qt.
ContentId sha256Of(const QByteArray &data)
{
    return Sha256::hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(data.constData()), data.size()));
}

QString hexOf(const ContentId &cid)
{
    return QString::fromStdString(toHex(cid));
}

const QString kStoredHex = QStringLiteral("7e299a8dc8cc2b920d9998e453d358e838554f6b65d51d5b09b5a4fa4ba28cfc");
const QString kStagedHex = QStringLiteral("00000000000000000000000000000000000000000000000000000000000000a1");
const QString kFreeHex = QStringLiteral("A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8C1C2C3C4C5C6C7C8D1D2D3D4D5D6D7D8");
const QByteArray kStoredData = QByteArrayLiteral("this blob is already stored");

} // namespace

class TestPutBlobDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init() { test::initDataSourceTest(); }

    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void derivedFollowsTyping();
    void typingSwitchesToHex();
    void storeAskedOncePerId();
    void placement();
    void cancel_data();
    void cancel();

private:
    std::unique_ptr<PutBlobDialog> makeDialog();
    // Fills the dialog as a row describes; `data` is the text, the clipboard's
    // text, or the file's name in m_dir. An empty hex derives the ID.
    void fill(PutBlobDialog &dialog, const QString &cidHex, bool derive, const QString &source, const QByteArray &data);

    QTemporaryDir m_dir;
    QByteArray m_fileData;
    std::set<ContentId> m_stored;
    std::set<ContentId> m_staged;
    QList<ContentId> m_asked;
};

void TestPutBlobDialog::initTestCase()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QVERIFY(m_dir.isValid());
    for (int i = 0; i < 1024; ++i)
        m_fileData.append(char(i * 13));
    QFile file(m_dir.filePath(QStringLiteral("data.bin")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(m_fileData), m_fileData.size());
    file.close();
    m_stored = {*contentIdFromHex(kStoredHex.toStdString()), sha256Of(kStoredData)};
    m_staged = {*contentIdFromHex(kStagedHex.toStdString())};
}

std::unique_ptr<PutBlobDialog> TestPutBlobDialog::makeDialog()
{
    m_asked.clear();
    return std::make_unique<PutBlobDialog>([this](const ContentId &cid) {
        m_asked << cid;
        if (m_stored.contains(cid))
            return QStringLiteral("already in the store");
        if (m_staged.contains(cid))
            return QStringLiteral("already staged");
        return QString();
    });
}

void TestPutBlobDialog::fill(
    PutBlobDialog &dialog, const QString &cidHex, bool derive, const QString &source, const QByteArray &data)
{
    test::fillDataSource(*dialog.dataSourceWidget(), source, data, m_dir.path());
    test::waitForFile(*dialog.dataSourceWidget());
    if (derive)
        dialog.setDeriveCid(true);
    else
        dialog.setCidHex(cidHex);
}

void TestPutBlobDialog::valid_data()
{
    QTest::addColumn<QString>("cidHex");
    QTest::addColumn<bool>("derive");
    QTest::addColumn<QString>("source");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("expected");

    const QByteArray text = QByteArrayLiteral("{\"hello\": \"wörld\"}\n");
    QTest::newRow("text, derived") << QString() << true << "text" << text << text;
    QTest::newRow("text, typed upper case") << kFreeHex << false << "text" << text << text;
    QTest::newRow("text, typed in groups") << QStringLiteral("a1a2a3a4 a5a6a7a8 b1b2b3b4 b5b6b7b8 c1c2c3c4 c5c6c7c8 "
                                                             "d1d2d3d4 d5d6d7d8")
                                           << false << "text" << text << text;
    QTest::newRow("file, derived") << QString() << true << "file" << QByteArray("data.bin") << m_fileData;
    QTest::newRow("clipboard, derived") << QString() << true << "clipboard" << text << text;
    // A blob the store holds may come back under a new ID.
    QTest::newRow("stored data, new id") << kFreeHex << false << "text" << kStoredData << kStoredData;
}

void TestPutBlobDialog::valid()
{
    QFETCH(QString, cidHex);
    QFETCH(bool, derive);
    QFETCH(QString, source);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, expected);

    auto dialog = makeDialog();
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    fill(*dialog, cidHex, derive, source, data);

    QVERIFY2(dialog->problem().isEmpty(), qPrintable(dialog->problem()));
    QVERIFY(dialog->okButton()->isEnabled());
    QVERIFY(dialog->problemLabel()->isHidden());
    QVERIFY(dialog->hasData());
    QCOMPARE(dialog->data(), expected);
    QCOMPARE(dialog->derivesCid(), derive);
    const ContentId want = derive ? sha256Of(expected) : *contentIdFromHex(kFreeHex.toLower().toStdString());
    QCOMPARE(hexOf(dialog->cid()), hexOf(want));
    QVERIFY(m_asked.contains(want));
    // The derived ID is shown whichever mode is on.
    QCOMPARE(dialog->derivedCidLabel()->text(), hexOf(sha256Of(expected)));
    QVERIFY2(dialog->sizeLabel()->text().contains(QLocale().toString(expected.size())),
        qPrintable(dialog->sizeLabel()->text()));
    // Without a repository the text is not highlighted.
    QVERIFY(!dialog->dataSourceWidget()->syntaxCombo());
    if (QTest::currentDataTag() == QLatin1String("text, derived"))
        saveScreenshot(*dialog, QStringLiteral("put-blob.png"));
    if (QTest::currentDataTag() == QLatin1String("file, derived"))
        saveScreenshot(*dialog, QStringLiteral("put-blob-file.png"));
    if (QTest::currentDataTag() == QLatin1String("clipboard, derived"))
        saveScreenshot(*dialog, QStringLiteral("put-blob-clipboard.png"));

    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QCOMPARE(dialog->result(), int(QDialog::Accepted));
    QVERIFY(!dialog->isVisible());
}

void TestPutBlobDialog::invalid_data()
{
    QTest::addColumn<QString>("cidHex");
    QTest::addColumn<bool>("derive");
    QTest::addColumn<QString>("source");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<quint64>("maxSize");
    QTest::addColumn<QString>("problem");

    const QByteArray text("some text");
    const QString zeros(64, u'0');
    QTest::newRow("no id typed") << QString() << false << "text" << text << quint64(0) << "Enter the content ID";
    QTest::newRow("not hex") << QStringLiteral("g") + zeros.left(63) << false << "text" << text << quint64(0)
                             << "holds “g”, which is not a hex digit";
    QTest::newRow("too short") << zeros.left(62) + QStringLiteral("1") << false << "text" << text << quint64(0)
                               << "has 63 hex digits; it needs exactly 64";
    QTest::newRow("too long") << kFreeHex + QStringLiteral("0") << false << "text" << text << quint64(0)
                              << "has 65 hex digits";
    QTest::newRow("zero") << zeros << false << "text" << text << quint64(0) << "all-zero content ID";
    QTest::newRow("typed id stored") << kStoredHex << false << "text" << text << quint64(0) << "already in the store";
    QTest::newRow("typed id staged") << kStagedHex << false << "text" << text << quint64(0) << "already staged";
    QTest::newRow("derived id stored") << QString() << true << "text" << kStoredData << quint64(0)
                                       << "already in the store";
    QTest::newRow("no text, derived") << QString() << true << "text" << QByteArray() << quint64(0)
                                      << "Type the text to store";
    QTest::newRow("no text, typed id") << kFreeHex << false << "text" << QByteArray() << quint64(0)
                                       << "Type the text to store";
    QTest::newRow("no file chosen") << QString() << true << "file" << QByteArray() << quint64(0) << "Choose the file";
    QTest::newRow("empty clipboard") << QString() << true << "clipboard" << QByteArray() << quint64(0)
                                     << "clipboard holds nothing";
    QTest::newRow("file too big") << QString() << true << "file" << QByteArray("data.bin") << quint64(1000)
                                  << "data.bin holds 1,024 bytes (1 KiB), more than a blob can hold (1,000 bytes)";
    QTest::newRow("text too big") << kFreeHex << false << "text" << text << quint64(8)
                                  << "The data (9 bytes) is more than a blob can hold (8 bytes)";
}

void TestPutBlobDialog::invalid()
{
    QFETCH(QString, cidHex);
    QFETCH(bool, derive);
    QFETCH(QString, source);
    QFETCH(QByteArray, data);
    QFETCH(quint64, maxSize);
    QFETCH(QString, problem);

    auto dialog = makeDialog();
    if (maxSize > 0)
        dialog->setMaxBlobSize(maxSize);
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    fill(*dialog, cidHex, derive, source, data);

    QVERIFY2(dialog->problem().contains(problem), qPrintable(dialog->problem()));
    QVERIFY(!dialog->okButton()->isEnabled());
    QVERIFY(dialog->problemLabel()->isVisible());
    QCOMPARE(dialog->problemLabel()->text(), dialog->problem());
    if (QTest::currentDataTag() == QLatin1String("typed id stored"))
        saveScreenshot(*dialog, QStringLiteral("put-blob-refused.png"));

    // Enter does not get past a disabled OK.
    QTest::keyClick(dialog.get(), Qt::Key_Return);
    QVERIFY(dialog->isVisible());
}

void TestPutBlobDialog::derivedFollowsTyping()
{
    auto dialog = makeDialog();
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    QVERIFY(dialog->derivesCid());
    QVERIFY(!dialog->okButton()->isEnabled());
    QPlainTextEdit *text = dialog->dataSourceWidget()->textEdit();
    QTest::keyClicks(text, QStringLiteral("abc"));
    QCOMPARE(dialog->data(), QByteArray("abc"));
    // The well-known SHA-256 of "abc", as a check on both hashes.
    QCOMPARE(dialog->derivedCidLabel()->text(),
        QStringLiteral("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(hexOf(dialog->cid()), dialog->derivedCidLabel()->text());
    QVERIFY(dialog->okButton()->isEnabled());
    QTest::keyClick(text, Qt::Key_Backspace);
    QCOMPARE(hexOf(dialog->cid()), hexOf(sha256Of("ab")));
    // Typing the stored blob's bytes: its derived ID is taken.
    dialog->dataSourceWidget()->setText(QString::fromUtf8(kStoredData));
    QVERIFY(!dialog->okButton()->isEnabled());
    QVERIFY2(dialog->problem().contains(QLatin1String("already in the store")), qPrintable(dialog->problem()));
}

void TestPutBlobDialog::typingSwitchesToHex()
{
    auto dialog = makeDialog();
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    dialog->dataSourceWidget()->setText(QStringLiteral("payload"));
    QVERIFY(dialog->derivesCid());
    QTest::keyClicks(dialog->cidEdit(), QStringLiteral("ab"));
    QVERIFY(!dialog->derivesCid());
    QVERIFY(dialog->typeCidButton()->isChecked());
    QVERIFY2(dialog->problem().contains(QLatin1String("has 2 hex digits")), qPrintable(dialog->problem()));
    QTest::mouseClick(dialog->deriveCidButton(), Qt::LeftButton);
    QVERIFY(dialog->derivesCid());
    QVERIFY2(dialog->problem().isEmpty(), qPrintable(dialog->problem()));
    QCOMPARE(hexOf(dialog->cid()), hexOf(sha256Of("payload")));
}

void TestPutBlobDialog::storeAskedOncePerId()
{
    auto dialog = makeDialog();
    dialog->dataSourceWidget()->setText(QStringLiteral("x"));
    dialog->setCidHex(kFreeHex);
    dialog->dataSourceWidget()->setText(QStringLiteral("xy"));
    dialog->dataSourceWidget()->setText(QStringLiteral("xyz"));
    const ContentId free = *contentIdFromHex(kFreeHex.toStdString());
    QCOMPARE(m_asked.count(free), 1);
}

void TestPutBlobDialog::placement()
{
    auto dialog = makeDialog();
    // Hidden until the application says where blobs go.
    QVERIFY(dialog->placementLabel()->isHidden());
    QList<ContentId> placed;
    quint64 lastSize = 99;
    dialog->setPlacement([&placed, &lastSize](const ContentId &cid, quint64 size) {
        placed << cid;
        lastSize = size;
        return QStringLiteral("shard %1, key %2…").arg(QString::number(cid[0], 16), hexOf(cid).mid(2, 8));
    });
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    QVERIFY(dialog->placementLabel()->isVisible());
    QVERIFY2(dialog->placementLabel()->text().contains(QLatin1String("known once")),
        qPrintable(dialog->placementLabel()->text()));
    dialog->dataSourceWidget()->setText(QStringLiteral("placed"));
    const ContentId cid = sha256Of("placed");
    QCOMPARE(dialog->placementLabel()->text(),
        QStringLiteral("shard %1, key %2…").arg(QString::number(cid[0], 16), hexOf(cid).mid(2, 8)));
    QVERIFY(placed.contains(cid));
    QCOMPARE(lastSize, quint64(6)); // the size decides which shard has room
    dialog->setCidHex(QStringLiteral("12"));
    QVERIFY2(dialog->placementLabel()->text().contains(QLatin1String("known once")),
        qPrintable(dialog->placementLabel()->text()));
    dialog->setCidHex(kFreeHex);
    QVERIFY(dialog->placementLabel()->text().startsWith(QLatin1String("shard a1, key a2a3a4a5")));
    saveScreenshot(*dialog, QStringLiteral("put-blob-placement.png"));
}

void TestPutBlobDialog::cancel_data()
{
    QTest::addColumn<bool>("escape");
    QTest::newRow("Cancel button") << false;
    QTest::newRow("Esc") << true;
}

void TestPutBlobDialog::cancel()
{
    QFETCH(bool, escape);
    auto dialog = makeDialog();
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    dialog->dataSourceWidget()->setText(QStringLiteral("valid data"));
    QVERIFY(dialog->okButton()->isEnabled());
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

QTEST_MAIN(TestPutBlobDialog)
#include "tst_put_blob_dialog.moc"
