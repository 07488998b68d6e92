#include "append_dialog.h"

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
#include <QCryptographicHash>
#include <QDialogButtonBox>
#include <QEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace shardscope {

namespace {

enum TabIndex { FileTab, TextTab, ClipboardTab };

bool isHexDigit(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'0' && u <= u'9') || (u >= u'a' && u <= u'f') || (u >= u'A' && u <= u'F');
}

QString keyText(const Key &key)
{
    return QString::fromStdString(key.toHex());
}

} // namespace

AppendDialog::AppendDialog(KSyntaxHighlighting::Repository &repository, KeyExists keyExists, quint64 packFree,
    quint32 tableFree, QWidget *parent)
    : QDialog(parent)
    , m_repository(repository)
    , m_keyExists(std::move(keyExists))
    , m_packFree(packFree)
    , m_tableFree(tableFree)
{
    setWindowTitle(tr("Append Entry"));
    auto *layout = new QVBoxLayout(this);
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);

    auto *keyBox = new QGroupBox(tr("Key"), this);
    auto *keyGrid = new QGridLayout(keyBox);
    m_typeKey = new QRadioButton(tr("&Hex:"), keyBox);
    m_typeKey->setObjectName(QStringLiteral("typeKey"));
    m_keyHex = new QLineEdit(keyBox);
    m_keyHex->setObjectName(QStringLiteral("keyHex"));
    m_keyHex->setFont(fixed);
    m_keyHex->setPlaceholderText(tr("48 hex digits (24 bytes)"));
    // Room for all 48 digits, so a pasted key can be checked by eye.
    m_keyHex->setMinimumWidth(QFontMetrics(fixed).horizontalAdvance(QString(50, QLatin1Char('0'))));
    m_deriveKey = new QRadioButton(tr("&Derive from the data:"), keyBox);
    m_deriveKey->setObjectName(QStringLiteral("deriveKey"));
    m_deriveKey->setToolTip(tr("The first 24 bytes of the data's SHA-256"));
    m_derivedKey = new QLabel(keyBox);
    m_derivedKey->setObjectName(QStringLiteral("derivedKey"));
    m_derivedKey->setFont(fixed);
    m_derivedKey->setTextInteractionFlags(Qt::TextSelectableByMouse);
    keyGrid->addWidget(m_typeKey, 0, 0);
    keyGrid->addWidget(m_keyHex, 0, 1);
    keyGrid->addWidget(m_deriveKey, 1, 0);
    keyGrid->addWidget(m_derivedKey, 1, 1);
    keyGrid->setColumnStretch(1, 1);
    m_typeKey->setChecked(true);
    layout->addWidget(keyBox);

    auto *dataBox = new QGroupBox(tr("Data"), this);
    auto *dataLayout = new QVBoxLayout(dataBox);
    m_tabs = new QTabWidget(dataBox);
    m_tabs->setObjectName(QStringLiteral("sources"));
    m_tabs->insertTab(FileTab, createFilePage(), tr("&File"));
    m_tabs->insertTab(TextTab, createTextPage(), tr("&Text"));
    m_tabs->insertTab(ClipboardTab, createClipboardPage(), tr("C&lipboard"));
    dataLayout->addWidget(m_tabs);
    layout->addWidget(dataBox, 1);

    m_space = new QLabel(this);
    m_space->setObjectName(QStringLiteral("space"));
    m_space->setTextFormat(Qt::PlainText);
    layout->addWidget(m_space);

    m_problemLabel = new QLabel(this);
    m_problemLabel->setObjectName(QStringLiteral("problem"));
    m_problemLabel->setWordWrap(true);
    m_problemLabel->setTextFormat(Qt::PlainText);
    layout->addWidget(m_problemLabel);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(tr("&Append"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    connect(m_typeKey, &QRadioButton::toggled, this, &AppendDialog::validate);
    connect(m_keyHex, &QLineEdit::textChanged, this, [this] {
        if (!m_typeKey->isChecked())
            m_typeKey->setChecked(true);
        validate();
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        // The clipboard is read when its page is first shown, not at every
        // change of the system clipboard while the dialog is open.
        if (index == ClipboardTab && m_clip.isEmpty())
            readClipboard();
        refreshData();
    });

    applyTheme();
    m_tabs->setCurrentIndex(TextTab);
    refreshData();
    resize(sizeHint().expandedTo(QSize(720, 560)));
}

QWidget *AppendDialog::createFilePage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    auto *row = new QHBoxLayout;
    m_filePath = new QLineEdit(page);
    m_filePath->setObjectName(QStringLiteral("filePath"));
    m_filePath->setPlaceholderText(tr("Path of the file whose bytes become the entry"));
    row->addWidget(m_filePath, 1);
    auto *browse = new QPushButton(tr("&Browse…"), page);
    browse->setObjectName(QStringLiteral("browseFile"));
    browse->setAutoDefault(false);
    row->addWidget(browse);
    layout->addLayout(row);
    m_fileInfo = new QLabel(page);
    m_fileInfo->setObjectName(QStringLiteral("fileInfo"));
    m_fileInfo->setTextFormat(Qt::PlainText);
    m_fileInfo->setWordWrap(true);
    layout->addWidget(m_fileInfo);
    layout->addStretch(1);

    // Reading waits until typing stops, so a half-typed path that happens to
    // name a big file is not read at every keystroke.
    m_fileTimer = new QTimer(this);
    m_fileTimer->setSingleShot(true);
    m_fileTimer->setInterval(300);
    connect(m_fileTimer, &QTimer::timeout, this, &AppendDialog::loadFile);
    connect(m_filePath, &QLineEdit::textEdited, this, [this] {
        m_fileRead = false;
        m_fileData.clear();
        m_fileError.clear();
        m_fileTimer->start();
        refreshData();
    });
    connect(m_filePath, &QLineEdit::editingFinished, this, [this] {
        if (m_fileTimer->isActive()) {
            m_fileTimer->stop();
            loadFile();
        }
    });
    connect(browse, &QPushButton::clicked, this, &AppendDialog::browseFile);
    return page;
}

QWidget *AppendDialog::createTextPage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
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

    m_text = new QPlainTextEdit(page);
    m_text->setObjectName(QStringLiteral("text"));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setPlaceholderText(tr("Type or paste the entry's text; it is stored as UTF-8."));
    m_text->setTabChangesFocus(true);
    layout->addWidget(m_text, 1);
    // Parented to the document, as the preview pane's is.
    m_highlighter = new KSyntaxHighlighting::SyntaxHighlighter(m_text->document());

    connect(m_syntax, &SyntaxComboBox::aboutToShowPopup, this, [this] {
        if (m_syntax->count() <= 2)
            m_syntax->fillDefinitions(m_repository);
    });
    connect(m_syntax, &QComboBox::activated, this, [this](int index) {
        m_syntaxPicked = true;
        setSyntax(m_syntax->itemData(index).toString());
    });
    connect(m_text, &QPlainTextEdit::textChanged, this, &AppendDialog::textEdited);
    return page;
}

QWidget *AppendDialog::createClipboardPage()
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
    auto *again = new QPushButton(tr("&Read Clipboard Again"), page);
    again->setObjectName(QStringLiteral("readClipboard"));
    again->setAutoDefault(false);
    row->addWidget(again);
    layout->addLayout(row);
    m_clipInfo = new QLabel(page);
    m_clipInfo->setObjectName(QStringLiteral("clipboardInfo"));
    m_clipInfo->setTextFormat(Qt::PlainText);
    m_clipInfo->setWordWrap(true);
    layout->addWidget(m_clipInfo);
    m_clipPreview = new QLabel(page);
    m_clipPreview->setObjectName(QStringLiteral("clipboardPreview"));
    m_clipPreview->setTextFormat(Qt::PlainText);
    m_clipPreview->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_clipPreview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_clipPreview->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    layout->addWidget(m_clipPreview, 1);

    connect(again, &QPushButton::clicked, this, &AppendDialog::readClipboard);
    connect(m_clipFormats, &QComboBox::currentIndexChanged, this, &AppendDialog::clipboardFormatChosen);
    return page;
}

Key AppendDialog::key() const
{
    return m_key.value_or(Key());
}

AppendDialog::DataSource AppendDialog::dataSource() const
{
    switch (m_tabs->currentIndex()) {
    case FileTab:
        return DataSource::File;
    case ClipboardTab:
        return DataSource::Clipboard;
    default:
        return DataSource::Text;
    }
}

bool AppendDialog::derivesKey() const
{
    return m_deriveKey->isChecked();
}

Key AppendDialog::deriveKey(const QByteArray &data)
{
    const QByteArray digest = QCryptographicHash::hash(data, QCryptographicHash::Sha256);
    return Key::fromBytes(reinterpret_cast<const uint8_t *>(digest.constData()));
}

void AppendDialog::setKeyHex(const QString &hex)
{
    m_keyHex->setText(hex);
    m_typeKey->setChecked(true);
}

void AppendDialog::setDeriveKey(bool derive)
{
    (derive ? m_deriveKey : m_typeKey)->setChecked(true);
}

void AppendDialog::setDataSource(DataSource source)
{
    m_tabs->setCurrentIndex(source == DataSource::File ? FileTab : source == DataSource::Text ? TextTab : ClipboardTab);
}

void AppendDialog::setFilePath(const QString &path)
{
    m_filePath->setText(path);
    m_fileTimer->stop();
    loadFile();
}

void AppendDialog::setText(const QString &text)
{
    m_text->setPlainText(text);
}

void AppendDialog::browseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Data of the Entry"), m_filePath->text());
    if (!path.isEmpty())
        setFilePath(path);
}

void AppendDialog::loadFile()
{
    m_fileRead = false;
    m_fileData.clear();
    m_fileError.clear();
    const QString path = m_filePath->text().trimmed();
    if (!path.isEmpty()) {
        const QFileInfo info(path);
        QFile file(path);
        if (!info.exists())
            m_fileError = tr("There is no file %1.").arg(path);
        else if (info.isDir())
            m_fileError = tr("%1 is a directory; pick a file.").arg(path);
        else if (quint64(info.size()) > m_packFree)
            // Not read: it could not be appended anyway.
            m_fileError = tr("%1 holds %2, more than the pack's free %3.")
                              .arg(info.fileName(), GeometryFields::bytesText(quint64(info.size())),
                                  GeometryFields::bytesText(m_packFree));
        else if (!file.open(QIODevice::ReadOnly))
            m_fileError = tr("Cannot read %1: %2").arg(path, file.errorString());
        else {
            m_fileData = file.readAll();
            if (file.error() != QFileDevice::NoError) {
                m_fileError = tr("Cannot read %1: %2").arg(path, file.errorString());
                m_fileData.clear();
            } else {
                m_fileRead = true;
            }
        }
    }
    if (m_fileRead)
        m_fileInfo->setText(tr("%1: %2").arg(QFileInfo(path).fileName(), GeometryFields::bytesText(m_fileData.size())));
    else
        m_fileInfo->setText(m_fileError);
    refreshData();
}

void AppendDialog::textEdited()
{
    if (!m_syntaxPicked) {
        // Follow what the text looks like until the user picks a definition.
        const QByteArray utf8 = m_text->toPlainText().toUtf8();
        const ContentType type
            = sniffContent(QByteArrayView(utf8).first(std::min(utf8.size(), kSniffSampleSize)), utf8.size());
        const QString name = type.isText() ? type.definition : QString();
        const QString current = syntaxName();
        if (name != current && !(name == QLatin1String("None") && current.isEmpty()))
            setSyntax(name);
    }
    refreshData();
}

void AppendDialog::setSyntax(const QString &definitionName)
{
    const auto definition = m_repository.definitionForName(definitionName);
    if (definition != m_highlighter->definition()) {
        m_highlighter->setDefinition(definition);
        m_highlighter->rehighlight();
    }
    // As in the preview pane: the full list is filled when first opened.
    const QString name = definition.isValid() ? definition.name() : QString();
    int at = m_syntax->findData(name);
    if (at < 0) {
        if (m_syntax->count() == 2)
            m_syntax->removeItem(1);
        m_syntax->addItem(definition.translatedName(), name);
        at = m_syntax->count() - 1;
    }
    m_syntax->setCurrentIndex(at);
}

QString AppendDialog::syntaxName() const
{
    return m_highlighter->definition().isValid() ? m_highlighter->definition().name() : QString();
}

void AppendDialog::applyTheme()
{
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    m_highlighter->setTheme(m_repository.defaultTheme(
        dark ? KSyntaxHighlighting::Repository::DarkTheme : KSyntaxHighlighting::Repository::LightTheme));
    m_highlighter->rehighlight();
}

void AppendDialog::changeEvent(QEvent *event)
{
    QDialog::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_highlighter)
        applyTheme();
}

void AppendDialog::readClipboard()
{
    m_clip.clear();
    const QMimeData *mime = QGuiApplication::clipboard()->mimeData();
    QStringList labels;
    if (mime && mime->hasText() && !mime->text().isEmpty()) {
        m_clip.append({QStringLiteral("text"), mime->text().toUtf8()});
        labels << tr("Text (UTF-8)");
    }
    if (mime && mime->hasImage()) {
        const QImage image = qvariant_cast<QImage>(mime->imageData());
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        if (!image.isNull() && image.save(&buffer, "PNG")) {
            m_clip.append({QStringLiteral("image"), png});
            labels << tr("Image as PNG (%1 × %2)").arg(image.width()).arg(image.height());
        }
    }
    // Any other format as the bytes the source application put there.
    if (mime) {
        for (const QString &format : mime->formats()) {
            if (format == QLatin1String("text/plain") || format.startsWith(QLatin1String("text/plain;"))
                || format == QLatin1String("application/x-qt-image"))
                continue;
            const QByteArray bytes = mime->data(format);
            if (bytes.isEmpty())
                continue;
            m_clip.append({format, bytes});
            labels << tr("%1 (as is)").arg(format);
        }
    }
    const QSignalBlocker block(m_clipFormats);
    m_clipFormats->clear();
    for (qsizetype i = 0; i < m_clip.size(); ++i)
        m_clipFormats->addItem(labels[i], m_clip[i].format);
    m_clipFormats->setEnabled(!m_clip.isEmpty());
    // Filled with signals blocked, so the size the labels need is not known yet.
    m_clipFormats->updateGeometry();
    clipboardFormatChosen();
}

bool AppendDialog::setClipboardFormat(const QString &format)
{
    const int at = m_clipFormats->findData(format);
    if (at < 0)
        return false;
    m_clipFormats->setCurrentIndex(at);
    clipboardFormatChosen();
    return true;
}

void AppendDialog::clipboardFormatChosen()
{
    const int at = m_clipFormats->currentIndex();
    if (at < 0 || at >= m_clip.size()) {
        m_clipInfo->setText(tr("The clipboard is empty. Copy something, then read it again."));
        m_clipPreview->clear();
    } else {
        const ClipChoice &choice = m_clip[at];
        m_clipInfo->setText(tr("%1 from the clipboard.").arg(GeometryFields::bytesText(choice.bytes.size())));
        if (choice.format == QLatin1String("image")) {
            QImage image;
            image.loadFromData(choice.bytes, "PNG");
            m_clipPreview->setPixmap(QPixmap::fromImage(image.width() > 256 || image.height() > 160
                    ? image.scaled(256, 160, Qt::KeepAspectRatio, Qt::SmoothTransformation)
                    : image));
        } else {
            // The first lines, enough to recognise what was copied.
            const QString text = QString::fromUtf8(choice.bytes.left(2048));
            m_clipPreview->setText(text.section(QLatin1Char('\n'), 0, 11));
        }
    }
    refreshData();
}

void AppendDialog::refreshData()
{
    switch (dataSource()) {
    case DataSource::File:
        m_hasData = m_fileRead;
        m_data = m_fileData;
        break;
    case DataSource::Text: {
        const QString text = m_text->toPlainText();
        m_hasData = !text.isEmpty();
        m_data = text.toUtf8();
        break;
    }
    case DataSource::Clipboard: {
        const int at = m_clipFormats->currentIndex();
        m_hasData = at >= 0 && at < m_clip.size();
        m_data = m_hasData ? m_clip[at].bytes : QByteArray();
        break;
    }
    }
    validate();
}

void AppendDialog::validate()
{
    const QLocale locale;
    const quint64 size = m_hasData ? quint64(m_data.size()) : 0;

    // The key.
    m_key.reset();
    QString keyProblem;
    if (m_deriveKey->isChecked()) {
        if (m_hasData)
            m_key = deriveKey(m_data);
        m_derivedKey->setText(m_hasData ? keyText(*m_key) : tr("(from the data, once there is some)"));
        if (m_key && m_key->isZero())
            keyProblem = tr("The derived key is zero, which is not a valid key.");
        else if (m_key && m_keyExists && m_keyExists(*m_key))
            keyProblem = tr("The shard already has an entry with this key (or one is staged): the same data is "
                            "already there.");
    } else {
        m_derivedKey->setText(m_hasData ? keyText(deriveKey(m_data)) : QString());
        QString hex = m_keyHex->text();
        hex.remove(QLatin1Char(' '));
        qsizetype bad = -1;
        for (qsizetype i = 0; i < hex.size(); ++i) {
            if (!isHexDigit(hex[i])) {
                bad = i;
                break;
            }
        }
        if (hex.isEmpty())
            keyProblem = tr("Enter the key as 48 hex digits, or derive it from the data.");
        else if (bad >= 0)
            keyProblem = tr("The key holds “%1”, which is not a hex digit (0-9, a-f).").arg(hex[bad]);
        else if (hex.size() != 2 * qsizetype(Key::kSize))
            keyProblem = tr("The key has %1 hex digits; it needs exactly 48.").arg(hex.size());
        else {
            m_key = Key::fromHex(hex.toStdString());
            if (!m_key)
                keyProblem = tr("The key is not valid hex.");
            else if (m_key->isZero())
                keyProblem = tr("The zero key is not a valid key.");
            else if (m_keyExists && m_keyExists(*m_key))
                keyProblem = tr("The shard already has an entry with this key (or one is staged).");
        }
    }

    // Room: the table first, since without a slot nothing at all fits.
    QString problem;
    if (m_tableFree == 0)
        problem = tr("The table is full: no slot is free for another entry. Compacting with a larger table makes "
                     "room.");
    else if (!m_hasData)
        problem = dataSource() == DataSource::File && !m_fileError.isEmpty() ? m_fileError
            : dataSource() == DataSource::File ? tr("Choose the file whose bytes to append.")
            : dataSource() == DataSource::Text ? tr("Type the text to append.")
                                               : tr("The clipboard holds nothing to append.");
    else if (size > m_packFree)
        problem = tr("The data (%1) does not fit in the pack, which has %2 free.")
                      .arg(GeometryFields::bytesText(size), GeometryFields::bytesText(m_packFree));
    else
        problem = keyProblem;

    QString space = tr("Pack: %1 free").arg(GeometryFields::bytesText(m_packFree));
    if (m_hasData && size <= m_packFree)
        space += tr("; this entry uses %1, leaving %2")
                     .arg(GeometryFields::bytesText(size), GeometryFields::bytesText(m_packFree - size));
    else if (m_hasData)
        space += tr("; this entry needs %1").arg(GeometryFields::bytesText(size));
    space += QLatin1Char('\n');
    space += m_tableFree == 0 ? tr("Table: no slot free")
                              : tr("Table: %1 slots free; this entry uses 1").arg(locale.toString(m_tableFree));
    m_space->setText(space);

    m_problem = problem;
    m_problemLabel->setText(problem);
    m_problemLabel->setVisible(!problem.isEmpty());
    m_ok->setEnabled(problem.isEmpty());
}

} // namespace shardscope
