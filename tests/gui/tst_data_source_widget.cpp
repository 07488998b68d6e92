// DataSourceWidget on the offscreen platform: the bytes of each tab, files
// that cannot be taken (the error names them), the size limit judged before
// reading, the clipboard's text and binary formats, each tab keeping its
// content, the pause before a typed path is read, stale reads dropped, the
// text highlighted when a repository is given, and the tabs' shortcuts.
#include "data_source_test_support.h"
#include "data_source_widget.h"
#include "preview_pane.h"

#include <KSyntaxHighlighting/Repository>

#include <QBuffer>
#include <QClipboard>
#include <QComboBox>
#include <QElapsedTimer>
#include <QGuiApplication>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>

#include <sys/stat.h>

using namespace shardscope;
using Source = DataSourceWidget::Source;
using FileState = DataSourceWidget::FileState;

namespace {

const QString kChooseFile = QStringLiteral("Choose a file.");
const QString kTypeText = QStringLiteral("Type something.");
const QString kClipboardEmpty = QStringLiteral("Nothing copied.");
const QString kCustomFormat = QStringLiteral("application/x-shardscope-test");

DataSourceWidget::Wording wording()
{
    return {
        .filePlaceholder = QStringLiteral("the file"),
        .browseCaption = QStringLiteral("Pick the file"),
        .textPlaceholder = QStringLiteral("the text"),
        .chooseFile = kChooseFile,
        .typeText = kTypeText,
        .clipboardEmpty = kClipboardEmpty,
        .fileTooLarge = QStringLiteral("%1 has %2, over %3."),
    };
}

QByteArray bytesOfLength(int length, int factor)
{
    QByteArray bytes;
    for (int i = 0; i < length; ++i)
        bytes.append(char(i * factor));
    return bytes;
}

} // namespace

class TestDataSourceWidget : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init() { test::initDataSourceTest(); }

    void sources_data();
    void sources();
    void nothingYet_data();
    void nothingYet();
    void unreadableFile_data();
    void unreadableFile();
    void sizeLimitJudgedAgain();
    void clipboard_data();
    void clipboard();
    void clipboardReadWhenShown();
    void switchingKeepsContent();
    void debounce_data();
    void debounce();
    void staleReadDropped();
    void destroyedWhileReading();
    void highlighting();
    void plainWithoutRepository();
    void shortcuts_data();
    void shortcuts();

private:
    [[nodiscard]] QString path(const char *name) const { return m_dir.filePath(QString::fromUtf8(name)); }

    std::unique_ptr<KSyntaxHighlighting::Repository> m_repository;
    QTemporaryDir m_dir;
    QByteArray m_fileData;
    QByteArray m_partData;
    QByteArray m_part2Data;
};

void TestDataSourceWidget::initTestCase()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    m_repository = std::make_unique<KSyntaxHighlighting::Repository>();
    QVERIFY(m_dir.isValid());
    m_fileData = bytesOfLength(1024, 7);
    m_partData = QByteArrayLiteral("the shorter name");
    m_part2Data = QByteArrayLiteral("the longer name");
    // 24 MiB: many chunks, so a read is still under way when it is replaced.
    const QByteArray big = bytesOfLength(24 << 20, 3);
    const std::pair<const char *, QByteArray> files[] = {{"data.bin", m_fileData}, {"empty.bin", {}},
        {"part.bin", m_partData}, {"part.bin2", m_part2Data}, {"big.bin", big}};
    for (const auto &[name, bytes] : files) {
        QFile file(path(name));
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(bytes), bytes.size());
    }
    QVERIFY(QDir(m_dir.path()).mkdir(QStringLiteral("sub")));
    // A pipe never says how long it is; reading one could wait forever.
    QCOMPARE(::mkfifo(QFile::encodeName(path("pipe")).constData(), 0600), 0);
}

void TestDataSourceWidget::sources_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<QString>("description");

    const QByteArray json = QByteArrayLiteral("{\"name\": \"shard\"}\n");
    QTest::newRow("text") << "text" << json << json << "typed text, 18 bytes";
    QTest::newRow("UTF-8 text") << "text" << QByteArray("grüße, ☃") << QByteArray("grüße, ☃") << "typed text, 12 bytes";
    QTest::newRow("file") << "file" << QByteArray("data.bin") << m_fileData << "file data.bin, 1,024 bytes (1 KiB)";
    QTest::newRow("empty file") << "file" << QByteArray("empty.bin") << QByteArray() << "file empty.bin, 0 bytes";
    QTest::newRow("clipboard") << "clipboard" << QByteArray("copied words") << QByteArray("copied words")
                               << "clipboard, Text (UTF-8), 12 bytes";
}

void TestDataSourceWidget::sources()
{
    QFETCH(QString, source);
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    QFETCH(QString, description);

    DataSourceWidget widget(wording());
    widget.show();
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    QSignalSpy changed(&widget, &DataSourceWidget::dataChanged);
    test::fillDataSource(widget, source, input, m_dir.path());
    test::waitForFile(widget);

    QVERIFY2(widget.hasData(), qPrintable(widget.problem()));
    QCOMPARE(widget.data(), expected);
    QCOMPARE(widget.problem(), QString());
    QCOMPARE(widget.errorText(), QString());
    QCOMPARE(widget.description(), description);
    QVERIFY(!changed.isEmpty());
    QCOMPARE(int(widget.source()), widget.tabs()->currentIndex());
    if (source == QLatin1String("file")) {
        QCOMPARE(widget.fileState(), FileState::Read);
        QVERIFY2(widget.fileInfoLabel()->text().startsWith(QString::fromUtf8(input) + u':'),
            qPrintable(widget.fileInfoLabel()->text()));
    }
    if (source == QLatin1String("clipboard"))
        QVERIFY2(widget.clipboardInfoLabel()->text().contains(QLocale().toString(expected.size())),
            qPrintable(widget.clipboardInfoLabel()->text()));
}

void TestDataSourceWidget::nothingYet_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("problem");
    QTest::newRow("no path") << "file" << kChooseFile;
    QTest::newRow("no text") << "text" << kTypeText;
    QTest::newRow("empty clipboard") << "clipboard" << kClipboardEmpty;
}

void TestDataSourceWidget::nothingYet()
{
    QFETCH(QString, source);
    QFETCH(QString, problem);
    DataSourceWidget widget(wording());
    test::fillDataSource(widget, source, {}, m_dir.path());
    QVERIFY(!widget.hasData());
    QCOMPARE(widget.data(), QByteArray());
    QCOMPARE(widget.problem(), problem);
    QCOMPARE(widget.description(), QString());
    QCOMPARE(widget.errorText(), QString());
    if (source == QLatin1String("file"))
        QCOMPARE(widget.fileState(), FileState::None);
    if (source == QLatin1String("clipboard"))
        QVERIFY(!widget.clipboardFormats()->isEnabled());
}

void TestDataSourceWidget::unreadableFile_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<quint64>("limit");
    QTest::addColumn<QString>("error");

    // %1 is the file's full path; the size limit's message names the file.
    QTest::newRow("missing") << QByteArray("nothing.bin") << quint64(0) << "There is no file %1.";
    QTest::newRow("directory") << QByteArray("sub") << quint64(0) << "%1 is a directory; pick a file.";
    QTest::newRow("pipe") << QByteArray("pipe") << quint64(0) << "%1 is not a regular file; pick a file.";
    QTest::newRow("over the limit") << QByteArray("data.bin") << quint64(1000)
                                    << "data.bin has 1,024 bytes (1 KiB), over 1,000 bytes.";
    QTest::newRow("over the limit by one")
        << QByteArray("data.bin") << quint64(1023) << "data.bin has 1,024 bytes (1 KiB), over 1,023 bytes.";
}

void TestDataSourceWidget::unreadableFile()
{
    QFETCH(QByteArray, name);
    QFETCH(quint64, limit);
    QFETCH(QString, error);

    DataSourceWidget widget(wording());
    if (limit > 0)
        widget.setFileSizeLimit(limit);
    const QString full = path(name.constData());
    widget.setSource(Source::File);
    widget.setFilePath(full);
    test::waitForFile(widget);

    QCOMPARE(widget.fileState(), FileState::Failed);
    QVERIFY(!widget.hasData());
    QCOMPARE(widget.data(), QByteArray());
    QCOMPARE(widget.errorText(), error.contains(QLatin1String("%1")) ? error.arg(full) : error);
    QCOMPARE(widget.problem(), widget.errorText());
    QCOMPARE(widget.fileInfoLabel()->text(), widget.errorText());
    QCOMPARE(widget.description(), QString());
}

void TestDataSourceWidget::sizeLimitJudgedAgain()
{
    DataSourceWidget widget(wording());
    widget.setSource(Source::File);
    widget.setFilePath(path("data.bin"));
    test::waitForFile(widget);
    QCOMPARE(widget.data(), m_fileData);

    // Lowered under the file's size: refused without a new path.
    widget.setFileSizeLimit(1000);
    test::waitForFile(widget);
    QCOMPARE(widget.fileState(), FileState::Failed);
    QVERIFY2(widget.errorText().contains(QLatin1String("over 1,000 bytes")), qPrintable(widget.errorText()));

    // Raised again: the same path is read.
    widget.setFileSizeLimit(1024);
    test::waitForFile(widget);
    QCOMPARE(widget.fileState(), FileState::Read);
    QCOMPARE(widget.data(), m_fileData);

    // A limit the file fits in keeps what was read, without a new read.
    widget.setFileSizeLimit(4096);
    QCOMPARE(widget.fileState(), FileState::Read);
    widget.setFileSizeLimit(std::nullopt);
    QCOMPARE(widget.fileState(), FileState::Read);
    QCOMPARE(widget.data(), m_fileData);

    // Changed while a read is under way: that file is judged by the new one.
    widget.setFilePath(path("big.bin"));
    QCOMPARE(widget.fileState(), FileState::Reading);
    widget.setFileSizeLimit(2048);
    test::waitForFile(widget);
    QCOMPARE(widget.fileState(), FileState::Failed);
    QCOMPARE(widget.errorText(), QStringLiteral("big.bin has 25,165,824 bytes (24 MiB), over 2,048 bytes (2 KiB)."));
}

void TestDataSourceWidget::clipboard_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("binary");
    QTest::addColumn<bool>("image");
    QTest::addColumn<QStringList>("formats");
    QTest::addColumn<QString>("pick");

    // NUL and bytes that are not UTF-8: taken as they are.
    const QByteArray binary("\x00\x01\xfe\xff shard\x00", 11);
    QTest::newRow("text") << QByteArray("copied words") << QByteArray() << false << QStringList {"text"} << "text";
    QTest::newRow("binary format") << QByteArray() << binary << false << QStringList {kCustomFormat} << kCustomFormat;
    QTest::newRow("text and binary, binary picked")
        << QByteArray("words") << binary << false << QStringList {"text", kCustomFormat} << kCustomFormat;
    QTest::newRow("image") << QByteArray() << QByteArray() << true << QStringList {"image"} << "image";
    QTest::newRow("image and text, text picked")
        << QByteArray("caption") << QByteArray() << true << QStringList {"text", "image"} << "text";
}

void TestDataSourceWidget::clipboard()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, binary);
    QFETCH(bool, image);
    QFETCH(QStringList, formats);
    QFETCH(QString, pick);

    auto *mime = new QMimeData;
    if (!text.isEmpty())
        mime->setText(QString::fromUtf8(text));
    if (!binary.isEmpty())
        mime->setData(kCustomFormat, binary);
    QImage picture(40, 30, QImage::Format_RGB32);
    picture.fill(Qt::darkCyan);
    if (image)
        mime->setImageData(picture);
    QGuiApplication::clipboard()->setMimeData(mime);

    DataSourceWidget widget(wording());
    widget.show();
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    widget.setSource(Source::Clipboard);
    QStringList offered;
    for (int i = 0; i < widget.clipboardFormats()->count(); ++i)
        offered << widget.clipboardFormats()->itemData(i).toString();
    QCOMPARE(offered, formats);
    QVERIFY(widget.clipboardFormats()->isEnabled());
    QVERIFY(widget.setClipboardFormat(pick));
    QVERIFY(!widget.setClipboardFormat(QStringLiteral("application/x-nothing")));
    QCOMPARE(widget.clipboardFormats()->currentData().toString(), pick);
    QVERIFY(widget.hasData());
    if (pick == QLatin1String("image")) {
        QVERIFY(widget.data().startsWith("\x89PNG"));
        QImage back;
        QVERIFY(back.loadFromData(widget.data(), "PNG"));
        QCOMPARE(back.size(), picture.size());
        QCOMPARE(back.pixelColor(5, 5), QColor(Qt::darkCyan));
    } else {
        QCOMPARE(widget.data(), pick == QLatin1String("text") ? text : binary);
    }
    QVERIFY2(
        widget.description().startsWith(QStringLiteral("clipboard, %1").arg(widget.clipboardFormats()->currentText())),
        qPrintable(widget.description()));
    QVERIFY2(widget.clipboardInfoLabel()->text().contains(QLocale().toString(widget.data().size())),
        qPrintable(widget.clipboardInfoLabel()->text()));
}

void TestDataSourceWidget::clipboardReadWhenShown()
{
    QGuiApplication::clipboard()->setText(QStringLiteral("first"));
    DataSourceWidget widget(wording());
    // Not read before the page is shown.
    QCOMPARE(widget.clipboardFormats()->count(), 0);
    widget.tabs()->setCurrentIndex(int(Source::Clipboard));
    QCOMPARE(widget.source(), Source::Clipboard);
    QCOMPARE(widget.data(), QByteArray("first"));

    // What the user saw is the data, until they read it again.
    QGuiApplication::clipboard()->setText(QStringLiteral("second"));
    widget.setSource(Source::Text);
    widget.setSource(Source::Clipboard);
    QCOMPARE(widget.data(), QByteArray("first"));
    auto *again = widget.findChild<QPushButton *>(QStringLiteral("readClipboard"));
    QVERIFY(again);
    again->click();
    QCOMPARE(widget.data(), QByteArray("second"));

    // Shown while it was empty, the page looks again.
    QGuiApplication::clipboard()->clear();
    again->click();
    QVERIFY(!widget.hasData());
    widget.setSource(Source::Text);
    QGuiApplication::clipboard()->setText(QStringLiteral("third"));
    widget.setSource(Source::Clipboard);
    QCOMPARE(widget.data(), QByteArray("third"));
}

void TestDataSourceWidget::switchingKeepsContent()
{
    QGuiApplication::clipboard()->setText(QStringLiteral("from the clipboard"));
    DataSourceWidget widget(wording());
    widget.show();
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    test::fillDataSource(widget, QStringLiteral("file"), "data.bin", m_dir.path());
    test::waitForFile(widget);
    test::fillDataSource(widget, QStringLiteral("text"), "typed", m_dir.path());
    widget.setSource(Source::Clipboard);
    QGuiApplication::clipboard()->setText(QStringLiteral("copied later"));

    const std::pair<Source, QByteArray> expected[]
        = {{Source::File, m_fileData}, {Source::Text, "typed"}, {Source::Clipboard, "from the clipboard"},
            {Source::Text, "typed"}, {Source::File, m_fileData}, {Source::Clipboard, "from the clipboard"}};
    for (const auto &[source, bytes] : expected) {
        QSignalSpy changed(&widget, &DataSourceWidget::dataChanged);
        // Half through the tab bar, half through the API.
        if (source == Source::Text)
            widget.tabs()->setCurrentIndex(int(source));
        else
            widget.setSource(source);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(widget.source(), source);
        QVERIFY(widget.hasData());
        QCOMPARE(widget.data(), bytes);
    }
    QCOMPARE(widget.filePath(), path("data.bin"));
    QCOMPARE(widget.textEdit()->toPlainText(), QStringLiteral("typed"));
}

void TestDataSourceWidget::debounce_data()
{
    QTest::addColumn<bool>("pressEnter");
    QTest::newRow("typing pauses") << false;
    QTest::newRow("Enter") << true;
}

void TestDataSourceWidget::debounce()
{
    QFETCH(bool, pressEnter);
    DataSourceWidget widget(wording());
    widget.setSource(Source::File);
    widget.show();
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    QList<QByteArray> seen;
    connect(&widget, &DataSourceWidget::dataChanged, this, [&] {
        if (widget.hasData())
            seen << widget.data();
    });

    // On the way to part.bin2 the path names part.bin, which exists too.
    widget.filePathEdit()->setFocus();
    QTest::keyClicks(widget.filePathEdit(), path("part.bin"));
    QCOMPARE(widget.fileState(), FileState::Waiting);
    QTest::keyClicks(widget.filePathEdit(), QStringLiteral("2"));
    QElapsedTimer sinceTyping;
    sinceTyping.start();
    QCOMPARE(widget.fileState(), FileState::Waiting);
    QVERIFY(!widget.hasData());
    QCOMPARE(widget.problem(), kChooseFile);
    QCOMPARE(widget.fileInfoLabel()->text(), QString());

    if (pressEnter) {
        // Enter does not wait for the pause.
        QTest::keyClick(widget.filePathEdit(), Qt::Key_Return);
        QCOMPARE(widget.fileState(), FileState::Reading);
        QCOMPARE(widget.problem(), QStringLiteral("Reading part.bin2…"));
    }
    test::waitForFile(widget);
    if (!pressEnter)
        QVERIFY2(sinceTyping.elapsed() >= 250, qPrintable(QString::number(sinceTyping.elapsed())));
    QCOMPARE(widget.fileState(), FileState::Read);
    QCOMPARE(widget.data(), m_part2Data);
    QCOMPARE(seen, QList<QByteArray> {m_part2Data});

    // Editing the path again drops what was read.
    QTest::keyClick(widget.filePathEdit(), Qt::Key_Backspace);
    QCOMPARE(widget.fileState(), FileState::Waiting);
    QVERIFY(!widget.hasData());
    test::waitForFile(widget);
    QCOMPARE(widget.data(), m_partData);
}

void TestDataSourceWidget::staleReadDropped()
{
    DataSourceWidget widget(wording());
    widget.setSource(Source::File);
    QList<QByteArray> seen;
    connect(&widget, &DataSourceWidget::dataChanged, this, [&] {
        if (widget.hasData())
            seen << widget.data().left(32);
    });
    widget.setFilePath(path("big.bin"));
    widget.setFilePath(path("data.bin"));
    test::waitForFile(widget);
    QCOMPARE(widget.data(), m_fileData);
    // Whatever the big read came to arrives later, if at all, and is not taken.
    QTest::qWait(200);
    QCOMPARE(widget.data(), m_fileData);
    QCOMPARE(seen, QList<QByteArray> {m_fileData.left(32)});

    // The big one, read whole, in its chunks.
    widget.setFilePath(path("big.bin"));
    test::waitForFile(widget);
    QCOMPARE(widget.data().size(), qsizetype(24 << 20));
    QCOMPARE(widget.data(), bytesOfLength(24 << 20, 3));
}

void TestDataSourceWidget::destroyedWhileReading()
{
    auto widget = std::make_unique<DataSourceWidget>(wording());
    QSignalSpy destroyed(widget.get(), &QObject::destroyed);
    widget->setFilePath(path("big.bin"));
    QCOMPARE(widget->fileState(), FileState::Reading);
    widget.reset();
    QCOMPARE(destroyed.count(), 1);
    // The outcome posted meanwhile went with the widget.
    QTest::qWait(50);
}

void TestDataSourceWidget::highlighting()
{
    DataSourceWidget widget(wording(), m_repository.get());
    widget.show();
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    QVERIFY(widget.syntaxCombo());
    // Detected from the text, as the preview does for an entry's bytes.
    widget.setText(QStringLiteral("{\"a\": [1, 2, \"three\"]}"));
    QCOMPARE(widget.syntaxName(), QStringLiteral("JSON"));
    QVERIFY(!widget.textEdit()->document()->firstBlock().layout()->formats().isEmpty());
    widget.setText(QStringLiteral("just words"));
    QCOMPARE(widget.syntaxName(), QString());

    // A definition picked in the combo stays while the text changes.
    SyntaxComboBox *combo = widget.syntaxCombo();
    Q_EMIT combo->aboutToShowPopup();
    QVERIFY(combo->count() > 50);
    const int cpp = combo->findData(QStringLiteral("C++"));
    QVERIFY(cpp > 0);
    combo->setCurrentIndex(cpp);
    Q_EMIT combo->activated(cpp);
    QCOMPARE(widget.syntaxName(), QStringLiteral("C++"));
    widget.setText(QStringLiteral("{\"a\": 1}\nint main() { return 0; }"));
    QCOMPARE(widget.syntaxName(), QStringLiteral("C++"));
    QVERIFY(!widget.textEdit()->document()->lastBlock().layout()->formats().isEmpty());
    QCOMPARE(widget.data(), QByteArray("{\"a\": 1}\nint main() { return 0; }"));
}

void TestDataSourceWidget::plainWithoutRepository()
{
    DataSourceWidget widget(wording());
    QVERIFY(!widget.syntaxCombo());
    QVERIFY(!widget.findChild<SyntaxComboBox *>());
    widget.setText(QStringLiteral("{\"a\": [1, 2, \"three\"]}"));
    widget.setSyntax(QStringLiteral("JSON"));
    QCOMPARE(widget.syntaxName(), QString());
    QVERIFY(widget.textEdit()->document()->firstBlock().layout()->formats().isEmpty());
}

void TestDataSourceWidget::shortcuts_data()
{
    QTest::addColumn<Qt::Key>("key");
    QTest::addColumn<Source>("source");
    QTest::newRow("Alt+F") << Qt::Key_F << Source::File;
    QTest::newRow("Alt+T") << Qt::Key_T << Source::Text;
    QTest::newRow("Alt+L") << Qt::Key_L << Source::Clipboard;
}

void TestDataSourceWidget::shortcuts()
{
    QFETCH(Qt::Key, key);
    QFETCH(Source, source);
    DataSourceWidget widget(wording(), m_repository.get());
    widget.setSource(source == Source::Text ? Source::File : Source::Text);
    widget.show();
    widget.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&widget));
    QTest::keyClick(&widget, key, Qt::AltModifier);
    QCOMPARE(widget.source(), source);
    // The text page's own mnemonic reaches the highlighting combo.
    if (source == Source::Text) {
        QTest::keyClick(&widget, Qt::Key_G, Qt::AltModifier);
        QVERIFY(widget.syntaxCombo()->hasFocus());
    }
}

QTEST_MAIN(TestDataSourceWidget)
#include "tst_data_source_widget.moc"
