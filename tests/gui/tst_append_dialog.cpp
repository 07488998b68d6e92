// AppendDialog on the offscreen platform: entries from typed text, a file and
// the clipboard, keys typed or derived from the data (checked against the
// storage library's own SHA-256), the room in pack and table, every reason to
// refuse shown with OK disabled (a file over the pack's free room is refused
// unread), and cancel. What the data tabs do by themselves is
// tst_data_source_widget's.
#include "append_dialog.h"
#include "data_source_test_support.h"
#include "dialog_test_support.h"
#include "sha256.h"

#include <KSyntaxHighlighting/Repository>

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace shardscope;
using test::saveScreenshot;

namespace {

// The key the storage library derives, computed without Qt.
Key derived(const QByteArray &data)
{
    const auto digest
        = Sha256::hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(data.constData()), data.size()));
    return Key::fromBytes(digest.data());
}

const QString kPresentHex = QStringLiteral("0102030405060708090a0b0c0d0e0f101112131415161718");
const QString kFreeHex = QStringLiteral("a1a2a3a4a5a6a7a8b1b2b3b4b5b6b7b8c1c2c3c4c5c6c7c8");
const QByteArray kPresentData = QByteArrayLiteral("already here");

} // namespace

class TestAppendDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init() { test::initDataSourceTest(); }

    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void derivedKeyFollowsTyping();
    void cancel_data();
    void cancel();

private:
    std::unique_ptr<AppendDialog> makeDialog(quint64 packFree, quint32 tableFree);
    // Fills the dialog as a row describes; `data` is the text, the clipboard's
    // text, or the file's name in m_dir.
    void fill(AppendDialog &dialog, const QString &keyHex, bool derive, const QString &source, const QByteArray &data);

    std::unique_ptr<KSyntaxHighlighting::Repository> m_repository;
    QTemporaryDir m_dir;
    QByteArray m_fileData;
    std::set<Key> m_existing;
    QList<Key> m_asked;
};

void TestAppendDialog::initTestCase()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    m_repository = std::make_unique<KSyntaxHighlighting::Repository>();
    QVERIFY(m_dir.isValid());
    for (int i = 0; i < 1024; ++i)
        m_fileData.append(char(i * 7));
    QFile file(m_dir.filePath(QStringLiteral("data.bin")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(m_fileData), m_fileData.size());
    file.close();
    QFile empty(m_dir.filePath(QStringLiteral("empty.bin")));
    QVERIFY(empty.open(QIODevice::WriteOnly));
    empty.close();
    m_existing = {*Key::fromHex(kPresentHex.toStdString()), derived(kPresentData)};
}

std::unique_ptr<AppendDialog> TestAppendDialog::makeDialog(quint64 packFree, quint32 tableFree)
{
    m_asked.clear();
    return std::make_unique<AppendDialog>(
        *m_repository,
        [this](const Key &key) {
            m_asked << key;
            return m_existing.contains(key);
        },
        packFree, tableFree);
}

void TestAppendDialog::fill(
    AppendDialog &dialog, const QString &keyHex, bool derive, const QString &source, const QByteArray &data)
{
    if (derive)
        dialog.setDeriveKey(true);
    else
        dialog.setKeyHex(keyHex);
    test::fillDataSource(*dialog.dataSourceWidget(), source, data, m_dir.path());
    if (dialog.dataSourceWidget()->fileState() == DataSourceWidget::FileState::Reading) {
        // Nothing to append until the file is read.
        QVERIFY2(dialog.problem().startsWith(QLatin1String("Reading ")), qPrintable(dialog.problem()));
        QVERIFY(!dialog.okButton()->isEnabled());
        test::waitForFile(*dialog.dataSourceWidget());
    }
}

void TestAppendDialog::valid_data()
{
    QTest::addColumn<QString>("keyHex");
    QTest::addColumn<bool>("derive");
    QTest::addColumn<QString>("source");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<quint64>("packFree");
    QTest::addColumn<QByteArray>("want");

    const QByteArray text = QByteArrayLiteral("{\n  \"name\": \"shard\",\n  \"size\": 3\n}\n");
    QTest::newRow("text, hex key") << kFreeHex << false << "text" << text << quint64(1000) << text;
    QTest::newRow("text, derived key") << QString() << true << "text" << text << quint64(1000) << text;
    QTest::newRow("upper-case hex with spaces")
        << QStringLiteral("A1A2A3A4 A5A6A7A8 B1B2B3B4 B5B6B7B8 C1C2C3C4 C5C6C7C8") << false << "text" << QByteArray("x")
        << quint64(1000) << QByteArray("x");
    QTest::newRow("file, derived key") << QString() << true << "file" << QByteArray("data.bin") << quint64(1024)
                                       << QByteArray();
    QTest::newRow("empty file, no room left")
        << kFreeHex << false << "file" << QByteArray("empty.bin") << quint64(0) << QByteArray("");
    QTest::newRow("clipboard text") << kFreeHex << false << "clipboard" << QByteArray("copied words") << quint64(100)
                                    << QByteArray("copied words");
    QTest::newRow("fills the pack exactly")
        << kFreeHex << false << "text" << QByteArray("12345") << quint64(5) << QByteArray("12345");
}

void TestAppendDialog::valid()
{
    QFETCH(QString, keyHex);
    QFETCH(bool, derive);
    QFETCH(QString, source);
    QFETCH(QByteArray, data);
    QFETCH(quint64, packFree);
    QFETCH(QByteArray, want);
    if (source == QLatin1String("file") && data == "data.bin")
        want = m_fileData;

    auto dialog = makeDialog(packFree, 7);
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    fill(*dialog, keyHex, derive, source, data);
    QCOMPARE(dialog->problem(), QString());
    QVERIFY(dialog->okButton()->isEnabled());
    QVERIFY(dialog->problemLabel()->isHidden());
    QVERIFY(dialog->hasData());
    QCOMPARE(dialog->data(), want);
    QCOMPARE(dialog->derivesKey(), derive);
    const Key wantKey = derive ? derived(want) : *Key::fromHex(keyHex.remove(u' ').toStdString());
    QCOMPARE(dialog->key(), wantKey);
    // The key was checked against the shard and the staged entries.
    QVERIFY(m_asked.contains(wantKey));
    // The derived key is shown either way.
    QCOMPARE(dialog->derivedKeyLabel()->text(), QString::fromStdString(derived(want).toHex()));

    const QString space = dialog->spaceLabel()->text();
    QVERIFY2(space.contains(QStringLiteral("Pack: %1").arg(packFree == 1 ? "1 byte" : QLocale().toString(packFree))),
        qPrintable(space));
    QVERIFY2(space.contains(QStringLiteral("uses %1 byte").arg(QLocale().toString(want.size()))), qPrintable(space));
    QVERIFY2(space.contains(QStringLiteral("leaving %1 byte").arg(QLocale().toString(packFree - want.size()))),
        qPrintable(space));
    QVERIFY2(space.contains(QLatin1String("Table: 7 slots free; this entry uses 1")), qPrintable(space));
    if (source == QLatin1String("text") && data.startsWith('{'))
        // With the application's repository the text is highlighted as in the preview.
        QCOMPARE(dialog->dataSourceWidget()->syntaxName(), QStringLiteral("JSON"));
    if (QTest::currentDataTag() == QLatin1String("text, hex key"))
        saveScreenshot(*dialog, QStringLiteral("append-text.png"));
    if (QTest::currentDataTag() == QLatin1String("file, derived key"))
        saveScreenshot(*dialog, QStringLiteral("append-file.png"));
    if (QTest::currentDataTag() == QLatin1String("clipboard text"))
        saveScreenshot(*dialog, QStringLiteral("append-clipboard.png"));

    QTest::keyClick(dialog.get(), Qt::Key_Return);
    QVERIFY(!dialog->isVisible());
    QCOMPARE(dialog->result(), int(QDialog::Accepted));
}

void TestAppendDialog::invalid_data()
{
    QTest::addColumn<QString>("keyHex");
    QTest::addColumn<bool>("derive");
    QTest::addColumn<QString>("source");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<quint64>("packFree");
    QTest::addColumn<quint32>("tableFree");
    QTest::addColumn<QString>("problem");

    const QByteArray text("some text");
    const QString zeros(48, u'0');
    QTest::newRow("no key") << QString() << false << "text" << text << quint64(100) << 5u << "Enter the key";
    QTest::newRow("bad hex digit") << QStringLiteral("zz") + zeros.left(46) << false << "text" << text << quint64(100)
                                   << 5u << "“z”, which is not a hex digit";
    QTest::newRow("47 digits") << kFreeHex.left(47) << false << "text" << text << quint64(100) << 5u
                               << "has 47 hex digits; it needs exactly 48";
    QTest::newRow("49 digits") << kFreeHex + u'1' << false << "text" << text << quint64(100) << 5u
                               << "has 49 hex digits";
    QTest::newRow("zero key") << zeros << false << "text" << text << quint64(100) << 5u << "zero key";
    QTest::newRow("key present") << kPresentHex << false << "text" << text << quint64(100) << 5u
                                 << "already has an entry with this key";
    QTest::newRow("key present, upper case")
        << kPresentHex.toUpper() << false << "text" << text << quint64(100) << 5u << "already has an entry";
    QTest::newRow("derived key present") << QString() << true << "text" << kPresentData << quint64(100) << 5u
                                         << "the same data is already there";
    QTest::newRow("no text") << kFreeHex << false << "text" << QByteArray() << quint64(100) << 5u << "Type the text";
    QTest::newRow("no text, derived key")
        << QString() << true << "text" << QByteArray() << quint64(100) << 5u << "Type the text";
    QTest::newRow("no file chosen") << kFreeHex << false << "file" << QByteArray() << quint64(5000) << 5u
                                    << "Choose the file";
    QTest::newRow("file larger than the pack's room") << kFreeHex << false << "file" << QByteArray("data.bin")
                                                      << quint64(1023) << 5u << "more than the pack's free 1,023 bytes";
    QTest::newRow("text larger than the pack's room")
        << kFreeHex << false << "text" << text << quint64(8) << 5u << "does not fit in the pack, which has 8 bytes";
    QTest::newRow("pack full") << kFreeHex << false << "text" << text << quint64(0) << 5u << "does not fit in the pack";
    QTest::newRow("table full") << kFreeHex << false << "text" << text << quint64(100) << 0u << "table is full";
    QTest::newRow("clipboard empty") << kFreeHex << false << "clipboard" << QByteArray() << quint64(100) << 5u
                                     << "clipboard holds nothing";
}

void TestAppendDialog::invalid()
{
    QFETCH(QString, keyHex);
    QFETCH(bool, derive);
    QFETCH(QString, source);
    QFETCH(QByteArray, data);
    QFETCH(quint64, packFree);
    QFETCH(quint32, tableFree);
    QFETCH(QString, problem);

    auto dialog = makeDialog(packFree, tableFree);
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    fill(*dialog, keyHex, derive, source, data);
    QVERIFY2(dialog->problem().contains(problem), qPrintable(dialog->problem()));
    QVERIFY(!dialog->okButton()->isEnabled());
    QVERIFY(dialog->problemLabel()->isVisible());
    QCOMPARE(dialog->problemLabel()->text(), dialog->problem());
    if (QTest::currentDataTag() == QLatin1String("key present"))
        saveScreenshot(*dialog, QStringLiteral("append-invalid.png"));
    QTest::keyClick(dialog.get(), Qt::Key_Return);
    QVERIFY(dialog->isVisible());
}

void TestAppendDialog::derivedKeyFollowsTyping()
{
    auto dialog = makeDialog(1000, 3);
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    dialog->setDeriveKey(true);
    QVERIFY(!dialog->okButton()->isEnabled());
    QPlainTextEdit *text = dialog->dataSourceWidget()->textEdit();
    text->setFocus();
    QTest::keyClicks(text, QStringLiteral("ab"));
    QCOMPARE(dialog->derivedKeyLabel()->text(), QString::fromStdString(derived("ab").toHex()));
    QTest::keyClicks(text, QStringLiteral("c"));
    QCOMPARE(dialog->derivedKeyLabel()->text(), QString::fromStdString(derived("abc").toHex()));
    QCOMPARE(dialog->key(), derived("abc"));
    QVERIFY(dialog->okButton()->isEnabled());
    // Typing a key switches from deriving to the typed one.
    dialog->keyEdit()->setFocus();
    QTest::keyClicks(dialog->keyEdit(), QStringLiteral("12"));
    QVERIFY(!dialog->derivesKey());
    QVERIFY(dialog->problem().contains(QLatin1String("has 2 hex digits")));
}

void TestAppendDialog::cancel_data()
{
    QTest::addColumn<bool>("escape");
    QTest::newRow("Esc") << true;
    QTest::newRow("Cancel button") << false;
}

void TestAppendDialog::cancel()
{
    QFETCH(bool, escape);
    auto dialog = makeDialog(100, 3);
    dialog->show();
    QVERIFY(QTest::qWaitForWindowExposed(dialog.get()));
    dialog->setKeyHex(kFreeHex);
    dialog->dataSourceWidget()->setText(QStringLiteral("valid"));
    QVERIFY(dialog->okButton()->isEnabled());
    if (escape)
        QTest::keyClick(dialog.get(), Qt::Key_Escape);
    else
        QTest::mouseClick(dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Cancel), Qt::LeftButton);
    QVERIFY(!dialog->isVisible());
    QCOMPARE(dialog->result(), int(QDialog::Rejected));
}

QTEST_MAIN(TestAppendDialog)
#include "tst_append_dialog.moc"
