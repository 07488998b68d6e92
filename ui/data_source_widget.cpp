#include "data_source_widget.h"

#include "content_sniffer.h"
#include "geometry_fields.h"
#include "preview_pane.h"

#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/Repository>
#include <KSyntaxHighlighting/SyntaxHighlighter>
#include <KSyntaxHighlighting/Theme>

#include <QBuffer>
#include <QClipboard>
#include <QComboBox>
#include <QEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <new>

namespace shardscope {

namespace {

// Beside a field; Enter in the dialog presses its default button, not this.
QPushButton *sideButton(const QString &text, const QString &name, QWidget *parent)
{
    auto *button = new QPushButton(text, parent);
    button->setObjectName(name);
    button->setAutoDefault(false);
    return button;
}

// What was read, or why not: plain text (paths and MIME types are not markup).
QLabel *infoLabel(const QString &name, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(name);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    return label;
}

} // namespace

struct DataSourceWidget::FileOutcome {
    enum class Kind { Read, Missing, Directory, NotAFile, TooLarge, Unreadable, NoMemory, Dropped };
    quint64 generation = 0;
    Kind kind = Kind::Read;
    QString path;
    std::optional<quint64> limit;
    QByteArray bytes;
    // TooLarge: the size seen (at least limit + 1 when the file grew while read).
    quint64 size = 0;
    // Unreadable: the system's words.
    QString reason;
};

DataSourceWidget::DataSourceWidget(Wording wording, KSyntaxHighlighting::Repository *repository, QWidget *parent)
    : QWidget(parent), m_wording(std::move(wording)), m_repository(repository)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("sources"));
    m_tabs->insertTab(int(Source::File), createFilePage(), tr("&File"));
    m_tabs->insertTab(int(Source::Text), createTextPage(), tr("&Text"));
    m_tabs->insertTab(int(Source::Clipboard), createClipboardPage(), tr("C&lipboard"));
    layout->addWidget(m_tabs);
    setFocusProxy(m_tabs);

    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        // Read when the page is shown, not at every change of the system
        // clipboard; shown again while it was empty, it looks again.
        if (index == int(Source::Clipboard) && m_clip.isEmpty())
            readClipboard();
        else
            refresh();
    });

    if (m_highlighter)
        applyTheme();
    m_tabs->setCurrentIndex(int(Source::Text));
    refresh();
}

DataSourceWidget::~DataSourceWidget()
{
    if (m_reader) {
        // A read in progress stops at its next chunk; its outcome, posted to
        // this object, is discarded with it.
        ++m_fileGeneration;
        m_reader->quit();
        m_reader->wait();
    }
}

QWidget *DataSourceWidget::createFilePage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    auto *row = new QHBoxLayout;
    m_filePath = new QLineEdit(page);
    m_filePath->setObjectName(QStringLiteral("filePath"));
    m_filePath->setPlaceholderText(m_wording.filePlaceholder);
    row->addWidget(m_filePath, 1);
    auto *browse = sideButton(tr("&Browse…"), QStringLiteral("browseFile"), page);
    row->addWidget(browse);
    layout->addLayout(row);
    m_fileInfo = infoLabel(QStringLiteral("fileInfo"), page);
    layout->addWidget(m_fileInfo);
    layout->addStretch(1);

    // A half-typed path may name some big file; read only once typing pauses.
    m_fileTimer = new QTimer(this);
    m_fileTimer->setSingleShot(true);
    m_fileTimer->setInterval(300);
    connect(m_fileTimer, &QTimer::timeout, this, &DataSourceWidget::startFileRead);
    connect(m_filePath, &QLineEdit::textEdited, this, [this] {
        // A read in flight is for a path that is no longer there.
        ++m_fileGeneration;
        m_fileData.clear();
        m_fileError.clear();
        m_fileName = QFileInfo(filePath()).fileName();
        if (filePath().isEmpty()) {
            m_fileState = FileState::None;
            m_fileTimer->stop();
        } else {
            m_fileState = FileState::Waiting;
            m_fileTimer->start();
        }
        showFileState();
        refresh();
    });
    // Enter reads at once. Not editingFinished: that also comes when the
    // field loses the focus, which it does while its window is destroyed,
    // and the read would then tell a half-destroyed dialog.
    connect(m_filePath, &QLineEdit::returnPressed, this, [this] {
        if (m_fileTimer->isActive())
            startFileRead();
    });
    connect(browse, &QPushButton::clicked, this, &DataSourceWidget::browseFile);
    return page;
}

QWidget *DataSourceWidget::createTextPage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    if (m_repository) {
        auto *row = new QHBoxLayout;
        auto *label = new QLabel(tr("Hi&ghlighting:"), page);
        row->addWidget(label);
        m_syntax = new SyntaxComboBox(page);
        m_syntax->setObjectName(QStringLiteral("syntax"));
        m_syntax->setToolTip(tr("Detected from the text; pick another to override"));
        m_syntax->setSizeAdjustPolicy(QComboBox::AdjustToContents);
        m_syntax->addItem(tr("Plain text"), QString());
        label->setBuddy(m_syntax);
        row->addWidget(m_syntax);
        row->addStretch(1);
        layout->addLayout(row);
    }

    m_text = new QPlainTextEdit(page);
    m_text->setObjectName(QStringLiteral("text"));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setPlaceholderText(m_wording.textPlaceholder);
    m_text->setTabChangesFocus(true);
    layout->addWidget(m_text, 1);

    if (m_repository) {
        // Parented to the document, as the preview pane's is.
        m_highlighter = new KSyntaxHighlighting::SyntaxHighlighter(m_text->document());
        connect(m_syntax, &SyntaxComboBox::aboutToShowPopup, this, [this] {
            if (m_syntax->count() <= 2)
                m_syntax->fillDefinitions(*m_repository);
        });
        connect(m_syntax, &QComboBox::activated, this, [this](int index) {
            m_syntaxPicked = true;
            setSyntax(m_syntax->itemData(index).toString());
        });
    }
    connect(m_text, &QPlainTextEdit::textChanged, this, &DataSourceWidget::textEdited);
    return page;
}

QWidget *DataSourceWidget::createClipboardPage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    auto *row = new QHBoxLayout;
    auto *label = new QLabel(tr("F&ormat:"), page);
    row->addWidget(label);
    m_clipFormats = new QComboBox(page);
    m_clipFormats->setObjectName(QStringLiteral("clipboardFormats"));
    m_clipFormats->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    label->setBuddy(m_clipFormats);
    row->addWidget(m_clipFormats);
    row->addStretch(1);
    auto *again = sideButton(tr("&Read Clipboard Again"), QStringLiteral("readClipboard"), page);
    row->addWidget(again);
    layout->addLayout(row);
    m_clipInfo = infoLabel(QStringLiteral("clipboardInfo"), page);
    layout->addWidget(m_clipInfo);
    m_clipPreview = new QLabel(page);
    m_clipPreview->setObjectName(QStringLiteral("clipboardPreview"));
    m_clipPreview->setTextFormat(Qt::PlainText);
    m_clipPreview->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_clipPreview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_clipPreview->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    layout->addWidget(m_clipPreview, 1);

    connect(again, &QPushButton::clicked, this, &DataSourceWidget::readClipboard);
    connect(m_clipFormats, &QComboBox::currentIndexChanged, this, &DataSourceWidget::showClipboardChoice);
    return page;
}

DataSourceWidget::Source DataSourceWidget::source() const
{
    return Source(std::clamp(m_tabs->currentIndex(), int(Source::File), int(Source::Clipboard)));
}

void DataSourceWidget::setSource(Source source)
{
    m_tabs->setCurrentIndex(int(source));
}

QString DataSourceWidget::problem() const
{
    if (m_hasData)
        return {};
    switch (source()) {
    case Source::File:
        if (m_fileState == FileState::Failed)
            return m_fileError;
        if (m_fileState == FileState::Reading)
            return tr("Reading %1…").arg(m_fileName);
        return m_wording.chooseFile;
    case Source::Text:
        return m_wording.typeText;
    case Source::Clipboard:
        break;
    }
    return m_wording.clipboardEmpty;
}

QString DataSourceWidget::description() const
{
    if (!m_hasData)
        return {};
    const QString size = GeometryFields::bytesText(quint64(m_data.size()));
    switch (source()) {
    case Source::File:
        return tr("file %1, %2").arg(m_fileName, size);
    case Source::Text:
        return tr("typed text, %1").arg(size);
    case Source::Clipboard:
        break;
    }
    return tr("clipboard, %1, %2").arg(m_clip.value(m_clipFormats->currentIndex()).label, size);
}

void DataSourceWidget::setFileSizeLimit(std::optional<quint64> bytes)
{
    if (bytes == m_fileLimit)
        return;
    m_fileLimit = bytes;
    switch (m_fileState) {
    case FileState::None:
    case FileState::Waiting:
        // The read to come takes the new limit.
        return;
    case FileState::Read:
        if (!bytes || quint64(m_fileData.size()) <= *bytes)
            return;
        break;
    case FileState::Reading:
    case FileState::Failed:
        break;
    }
    // A file being read, refused or read under the old limit is judged again.
    startFileRead();
}

void DataSourceWidget::setFilePath(const QString &path)
{
    m_filePath->setText(path);
    startFileRead();
}

QString DataSourceWidget::filePath() const
{
    return m_filePath->text().trimmed();
}

void DataSourceWidget::browseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, m_wording.browseCaption, filePath());
    if (!path.isEmpty())
        setFilePath(path);
}

void DataSourceWidget::startFileRead()
{
    m_fileTimer->stop();
    const quint64 generation = ++m_fileGeneration;
    m_fileData.clear();
    m_fileError.clear();
    const QString path = filePath();
    m_fileName = QFileInfo(path).fileName();
    m_fileState = path.isEmpty() ? FileState::None : FileState::Reading;
    if (m_fileState == FileState::Reading) {
        if (!m_reader) {
            m_reader = std::make_unique<QThread>();
            m_reader->setObjectName(QStringLiteral("DataSourceWidget reader"));
            m_readerContext = new QObject;
            m_readerContext->moveToThread(m_reader.get());
            connect(m_reader.get(), &QThread::finished, m_readerContext, &QObject::deleteLater);
            m_reader->start();
        }
        QMetaObject::invokeMethod(
            m_readerContext,
            [this, path, generation, limit = m_fileLimit] {
                FileOutcome outcome = readFile(path, limit, m_fileGeneration, generation);
                outcome.generation = generation;
                outcome.path = path;
                outcome.limit = limit;
                // The destructor waits for this thread, so `this` is alive here.
                QMetaObject::invokeMethod(
                    this, [this, outcome = std::move(outcome)] { takeFileOutcome(outcome); }, Qt::QueuedConnection);
            },
            Qt::QueuedConnection);
    }
    showFileState();
    refresh();
}

DataSourceWidget::FileOutcome DataSourceWidget::readFile(
    const QString &path, std::optional<quint64> limit, const std::atomic<quint64> &latest, quint64 generation)
{
    using Kind = FileOutcome::Kind;
    FileOutcome outcome;
    const QFileInfo info(path);
    if (!info.exists()) {
        outcome.kind = Kind::Missing;
        return outcome;
    }
    if (info.isDir()) {
        outcome.kind = Kind::Directory;
        return outcome;
    }
    // A device or a pipe may never end.
    if (!info.isFile()) {
        outcome.kind = Kind::NotAFile;
        return outcome;
    }
    const quint64 size = quint64(info.size());
    if (limit && size > *limit) {
        // Not read: it would be refused anyway.
        outcome.kind = Kind::TooLarge;
        outcome.size = size;
        return outcome;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        outcome.kind = Kind::Unreadable;
        outcome.reason = file.errorString();
        return outcome;
    }
    constexpr qint64 kChunk = qint64(1) << 20;
    try {
        // Sized as the file was when looked at, so it is not copied while it
        // grows; one that grows meanwhile is read on, up to the limit.
        QByteArray bytes(qsizetype(size), Qt::Uninitialized);
        qsizetype filled = 0;
        for (;;) {
            if (latest.load(std::memory_order_relaxed) != generation) {
                outcome.kind = Kind::Dropped;
                return outcome;
            }
            qint64 n = 0;
            if (filled < bytes.size()) {
                n = file.read(bytes.data() + filled, std::min<qint64>(kChunk, bytes.size() - filled));
            } else {
                char more[64 * 1024];
                n = file.read(more, sizeof more);
                if (n > 0)
                    bytes.append(more, qsizetype(n));
            }
            if (n < 0) {
                outcome.kind = Kind::Unreadable;
                outcome.reason = file.errorString();
                return outcome;
            }
            if (n == 0)
                break;
            filled += qsizetype(n);
            if (limit && quint64(filled) > *limit) {
                outcome.kind = Kind::TooLarge;
                outcome.size = quint64(filled);
                return outcome;
            }
        }
        bytes.truncate(filled);
        outcome.bytes = std::move(bytes);
    } catch (const std::bad_alloc &) {
        outcome.kind = Kind::NoMemory;
    }
    return outcome;
}

void DataSourceWidget::takeFileOutcome(const FileOutcome &outcome)
{
    using Kind = FileOutcome::Kind;
    if (outcome.generation != m_fileGeneration || outcome.kind == Kind::Dropped)
        return;
    const QString &path = outcome.path;
    m_fileState = FileState::Failed;
    switch (outcome.kind) {
    case Kind::Read:
        m_fileData = outcome.bytes;
        m_fileState = FileState::Read;
        break;
    case Kind::Missing:
        m_fileError = tr("There is no file %1.").arg(path);
        break;
    case Kind::Directory:
        m_fileError = tr("%1 is a directory; pick a file.").arg(path);
        break;
    case Kind::NotAFile:
        m_fileError = tr("%1 is not a regular file; pick a file.").arg(path);
        break;
    case Kind::TooLarge:
        m_fileError = m_wording.fileTooLarge.arg(
            m_fileName, GeometryFields::bytesText(outcome.size), GeometryFields::bytesText(outcome.limit.value_or(0)));
        break;
    case Kind::Unreadable:
    case Kind::Dropped:
        m_fileError = tr("Cannot read %1: %2").arg(path, outcome.reason);
        break;
    case Kind::NoMemory:
        m_fileError = tr("Cannot read %1: there is not enough memory to hold it.").arg(path);
        break;
    }
    showFileState();
    refresh();
}

void DataSourceWidget::showFileState()
{
    switch (m_fileState) {
    case FileState::None:
    case FileState::Waiting:
        m_fileInfo->clear();
        break;
    case FileState::Reading:
        m_fileInfo->setText(tr("Reading %1…").arg(m_fileName));
        break;
    case FileState::Read:
        m_fileInfo->setText(tr("%1: %2").arg(m_fileName, GeometryFields::bytesText(quint64(m_fileData.size()))));
        break;
    case FileState::Failed:
        m_fileInfo->setText(m_fileError);
        break;
    }
}

void DataSourceWidget::setText(const QString &text)
{
    m_text->setPlainText(text);
}

void DataSourceWidget::textEdited()
{
    if (m_highlighter && !m_syntaxPicked) {
        // Follow what the text looks like until the user picks a definition.
        const QByteArray utf8 = m_text->toPlainText().toUtf8();
        const ContentType type
            = sniffContent(QByteArrayView(utf8).first(std::min(utf8.size(), kSniffSampleSize)), utf8.size());
        const QString name = type.isText() ? type.definition : QString();
        const QString current = syntaxName();
        if (name != current && !(name == QLatin1String("None") && current.isEmpty()))
            setSyntax(name);
    }
    refresh();
}

void DataSourceWidget::setSyntax(const QString &definitionName)
{
    if (!m_highlighter)
        return;
    const auto definition = m_repository->definitionForName(definitionName);
    if (definition != m_highlighter->definition()) {
        m_highlighter->setDefinition(definition);
        m_highlighter->rehighlight();
    }
    m_syntax->showDefinition(definition);
}

QString DataSourceWidget::syntaxName() const
{
    return m_highlighter && m_highlighter->definition().isValid() ? m_highlighter->definition().name() : QString();
}

void DataSourceWidget::applyTheme()
{
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    m_highlighter->setTheme(m_repository->defaultTheme(
        dark ? KSyntaxHighlighting::Repository::DarkTheme : KSyntaxHighlighting::Repository::LightTheme));
    m_highlighter->rehighlight();
}

void DataSourceWidget::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_highlighter)
        applyTheme();
}

void DataSourceWidget::readClipboard()
{
    m_clip.clear();
    const QMimeData *mime = QGuiApplication::clipboard()->mimeData();
    if (mime && mime->hasText() && !mime->text().isEmpty())
        m_clip.append({QStringLiteral("text"), tr("Text (UTF-8)"), mime->text().toUtf8()});
    if (mime && mime->hasImage()) {
        const QImage image = qvariant_cast<QImage>(mime->imageData());
        QByteArray png;
        QBuffer buffer(&png);
        if (!image.isNull() && buffer.open(QIODevice::WriteOnly) && image.save(&buffer, "PNG"))
            m_clip.append(
                {QStringLiteral("image"), tr("Image as PNG (%1 × %2)").arg(image.width()).arg(image.height()), png});
    }
    // Other formats as the bytes the copying application offered.
    if (mime) {
        for (const QString &format : mime->formats()) {
            if (format == QLatin1String("text/plain") || format.startsWith(QLatin1String("text/plain;"))
                || format == QLatin1String("application/x-qt-image"))
                continue;
            const QByteArray bytes = mime->data(format);
            if (!bytes.isEmpty())
                m_clip.append({format, tr("%1 (as is)").arg(format), bytes});
        }
    }
    {
        const QSignalBlocker block(m_clipFormats);
        m_clipFormats->clear();
        for (const ClipChoice &choice : std::as_const(m_clip))
            m_clipFormats->addItem(choice.label, choice.format);
        m_clipFormats->setEnabled(!m_clip.isEmpty());
    }
    // Filled with signals blocked, so the size the labels need is not known yet.
    m_clipFormats->updateGeometry();
    showClipboardChoice();
}

bool DataSourceWidget::setClipboardFormat(const QString &format)
{
    const int at = m_clipFormats->findData(format);
    if (at < 0)
        return false;
    m_clipFormats->setCurrentIndex(at);
    showClipboardChoice();
    return true;
}

void DataSourceWidget::showClipboardChoice()
{
    const int at = m_clipFormats->currentIndex();
    if (at < 0 || at >= m_clip.size()) {
        m_clipInfo->setText(tr("The clipboard is empty. Copy something, then read it again."));
        m_clipPreview->clear();
    } else {
        const ClipChoice &choice = m_clip[at];
        m_clipInfo->setText(tr("%1 from the clipboard.").arg(GeometryFields::bytesText(quint64(choice.bytes.size()))));
        if (choice.format == QLatin1String("image")) {
            QImage image;
            image.loadFromData(choice.bytes, "PNG");
            if (image.width() > 256 || image.height() > 160)
                image = image.scaled(256, 160, Qt::KeepAspectRatio, Qt::SmoothTransformation);
            m_clipPreview->setPixmap(QPixmap::fromImage(image));
        } else {
            // Enough of the start to recognise what was copied.
            m_clipPreview->setText(QString::fromUtf8(choice.bytes.left(2048)).section(QLatin1Char('\n'), 0, 11));
        }
    }
    refresh();
}

void DataSourceWidget::refresh()
{
    switch (source()) {
    case Source::File:
        m_hasData = m_fileState == FileState::Read;
        m_data = m_hasData ? m_fileData : QByteArray();
        break;
    case Source::Text: {
        const QString text = m_text->toPlainText();
        m_hasData = !text.isEmpty();
        m_data = text.toUtf8();
        break;
    }
    case Source::Clipboard: {
        const int at = m_clipFormats->currentIndex();
        m_hasData = at >= 0 && at < m_clip.size();
        m_data = m_hasData ? m_clip[at].bytes : QByteArray();
        break;
    }
    }
    Q_EMIT dataChanged();
}

} // namespace shardscope
