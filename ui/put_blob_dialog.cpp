#include "put_blob_dialog.h"

#include "geometry_fields.h"

#include <QBuffer>
#include <QClipboard>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDialogButtonBox>
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
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace shardscope {

namespace {

enum TabIndex { FileTab, TextTab, ClipboardTab };

QString cidText(const ContentId &cid)
{
    return QString::fromStdString(toHex(cid));
}

QByteArray cacheKey(const ContentId &cid)
{
    return QByteArray(reinterpret_cast<const char *>(cid.data()), qsizetype(cid.size()));
}

} // namespace

std::optional<ContentId> PutBlobDialog::parseCid(const QString &text, QString *problem)
{
    auto refuse = [problem](const QString &why) -> std::optional<ContentId> {
        if (problem)
            *problem = why;
        return std::nullopt;
    };
    // Hex copied from a report may come grouped or wrapped.
    QString hex = text;
    hex.removeIf([](QChar c) { return c.isSpace(); });
    if (hex.isEmpty())
        return refuse(tr("Enter the content ID as 64 hex digits."));
    const auto bad = std::find_if(hex.cbegin(), hex.cend(), [](QChar c) {
        const char16_t u = c.unicode();
        return !((u >= u'0' && u <= u'9') || (u >= u'a' && u <= u'f') || (u >= u'A' && u <= u'F'));
    });
    if (bad != hex.cend())
        return refuse(tr("The content ID holds “%1”, which is not a hex digit (0-9, a-f).").arg(*bad));
    if (hex.size() != 2 * qsizetype(sizeof(ContentId)))
        return refuse(tr("The content ID has %1 hex digits; it needs exactly 64.").arg(hex.size()));
    const auto cid = contentIdFromHex(hex.toStdString());
    if (!cid)
        return refuse(tr("The content ID is not valid hex."));
    if (std::all_of(cid->begin(), cid->end(), [](uint8_t b) { return b == 0; }))
        return refuse(tr("The all-zero content ID is not valid: the store never holds it."));
    if (problem)
        problem->clear();
    return cid;
}

PutBlobDialog::PutBlobDialog(CidProblem cidProblem, QWidget *parent)
    : QDialog(parent), m_cidProblem(std::move(cidProblem))
{
    setWindowTitle(tr("Put Blob"));
    auto *layout = new QVBoxLayout(this);
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);

    auto *cidBox = new QGroupBox(tr("Content ID"), this);
    auto *grid = new QGridLayout(cidBox);
    m_deriveCid = new QRadioButton(tr("&Derive from the data:"), cidBox);
    m_deriveCid->setObjectName(QStringLiteral("deriveCid"));
    m_deriveCid->setToolTip(tr("The SHA-256 of the data, as the reference names the blobs it stores"));
    m_derivedCid = new QLabel(cidBox);
    m_derivedCid->setObjectName(QStringLiteral("derivedCid"));
    m_derivedCid->setFont(fixed);
    m_derivedCid->setTextFormat(Qt::PlainText);
    m_derivedCid->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_typeCid = new QRadioButton(tr("&Hex:"), cidBox);
    m_typeCid->setObjectName(QStringLiteral("typeCid"));
    m_cidHex = new QLineEdit(cidBox);
    m_cidHex->setObjectName(QStringLiteral("cidHex"));
    m_cidHex->setFont(fixed);
    m_cidHex->setPlaceholderText(tr("64 hex digits (32 bytes)"));
    // All 64 digits visible, so a pasted ID can be checked by eye.
    m_cidHex->setMinimumWidth(QFontMetrics(fixed).horizontalAdvance(QString(66, QLatin1Char('0'))));
    m_placementCaption = new QLabel(tr("Goes to:"), cidBox);
    m_placement = new QLabel(cidBox);
    m_placement->setObjectName(QStringLiteral("placement"));
    m_placement->setTextFormat(Qt::PlainText);
    m_placement->setToolTip(tr("Where the blob would be stored if the changes were written now"));
    grid->addWidget(m_deriveCid, 0, 0);
    grid->addWidget(m_derivedCid, 0, 1);
    grid->addWidget(m_typeCid, 1, 0);
    grid->addWidget(m_cidHex, 1, 1);
    grid->addWidget(m_placementCaption, 2, 0);
    grid->addWidget(m_placement, 2, 1);
    grid->setColumnStretch(1, 1);
    m_placementCaption->hide();
    m_placement->hide();
    // Content-addressed stores name blobs by their hash; typing an ID is the exception.
    m_deriveCid->setChecked(true);
    layout->addWidget(cidBox);

    auto *dataBox = new QGroupBox(tr("Data"), this);
    auto *dataLayout = new QVBoxLayout(dataBox);
    m_tabs = new QTabWidget(dataBox);
    m_tabs->setObjectName(QStringLiteral("sources"));
    m_tabs->insertTab(FileTab, createFilePage(), tr("&File"));
    m_tabs->insertTab(TextTab, createTextPage(), tr("&Text"));
    m_tabs->insertTab(ClipboardTab, createClipboardPage(), tr("C&lipboard"));
    dataLayout->addWidget(m_tabs);
    m_size = new QLabel(dataBox);
    m_size->setObjectName(QStringLiteral("size"));
    m_size->setTextFormat(Qt::PlainText);
    dataLayout->addWidget(m_size);
    layout->addWidget(dataBox, 1);

    m_problemLabel = new QLabel(this);
    m_problemLabel->setObjectName(QStringLiteral("problem"));
    m_problemLabel->setTextFormat(Qt::PlainText);
    m_problemLabel->setWordWrap(true);
    layout->addWidget(m_problemLabel);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(tr("&Put"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    connect(m_typeCid, &QRadioButton::toggled, this, &PutBlobDialog::validate);
    connect(m_cidHex, &QLineEdit::textChanged, this, [this] {
        // Typing an ID means the user wants that one, not the derived one.
        if (!m_typeCid->isChecked())
            m_typeCid->setChecked(true);
        validate();
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        // Read when the page is first shown, not whenever the system clipboard changes.
        if (index == ClipboardTab && !m_clipRead)
            readClipboard();
        refreshData();
    });

    m_tabs->setCurrentIndex(TextTab);
    refreshData();
    resize(sizeHint().expandedTo(QSize(760, 520)));
}

QWidget *PutBlobDialog::createFilePage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    auto *row = new QHBoxLayout;
    m_filePath = new QLineEdit(page);
    m_filePath->setObjectName(QStringLiteral("filePath"));
    m_filePath->setPlaceholderText(tr("Path of the file whose bytes become the blob"));
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

    // A half-typed path may name some big file; read only once typing pauses.
    m_fileTimer = new QTimer(this);
    m_fileTimer->setSingleShot(true);
    m_fileTimer->setInterval(300);
    connect(m_fileTimer, &QTimer::timeout, this, &PutBlobDialog::loadFile);
    connect(m_filePath, &QLineEdit::textEdited, this, [this] {
        m_fileRead = false;
        m_fileData.clear();
        m_fileError.clear();
        m_fileInfo->clear();
        m_fileTimer->start();
        refreshData();
    });
    connect(m_filePath, &QLineEdit::editingFinished, this, [this] {
        if (m_fileTimer->isActive()) {
            m_fileTimer->stop();
            loadFile();
        }
    });
    connect(browse, &QPushButton::clicked, this, &PutBlobDialog::browseFile);
    return page;
}

QWidget *PutBlobDialog::createTextPage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    m_text = new QPlainTextEdit(page);
    m_text->setObjectName(QStringLiteral("text"));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setPlaceholderText(tr("Type or paste the blob's text; it is stored as UTF-8."));
    m_text->setTabChangesFocus(true);
    layout->addWidget(m_text, 1);
    connect(m_text, &QPlainTextEdit::textChanged, this, &PutBlobDialog::refreshData);
    return page;
}

QWidget *PutBlobDialog::createClipboardPage()
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

    connect(again, &QPushButton::clicked, this, &PutBlobDialog::readClipboard);
    connect(m_clipFormats, &QComboBox::currentIndexChanged, this, &PutBlobDialog::showClipboardChoice);
    return page;
}

void PutBlobDialog::setPlacement(Placement placement)
{
    m_placementOf = std::move(placement);
    m_placementCaption->setVisible(bool(m_placementOf));
    m_placement->setVisible(bool(m_placementOf));
    validate();
}

void PutBlobDialog::setMaxBlobSize(quint64 bytes)
{
    m_maxSize = bytes;
    // A file refused or read under the old limit is judged again.
    if (!m_filePath->text().trimmed().isEmpty())
        loadFile();
    else
        refreshData();
}

ContentId PutBlobDialog::cid() const
{
    return m_cid.value_or(ContentId {});
}

PutBlobDialog::DataSource PutBlobDialog::dataSource() const
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

bool PutBlobDialog::derivesCid() const
{
    return m_deriveCid->isChecked();
}

ContentId PutBlobDialog::deriveCid(const QByteArray &data)
{
    const QByteArray digest = QCryptographicHash::hash(data, QCryptographicHash::Sha256);
    ContentId cid {};
    std::copy_n(reinterpret_cast<const uint8_t *>(digest.constData()), cid.size(), cid.begin());
    return cid;
}

void PutBlobDialog::setCidHex(const QString &hex)
{
    m_cidHex->setText(hex);
    m_typeCid->setChecked(true);
}

void PutBlobDialog::setDeriveCid(bool derive)
{
    (derive ? m_deriveCid : m_typeCid)->setChecked(true);
}

void PutBlobDialog::setDataSource(DataSource source)
{
    m_tabs->setCurrentIndex(source == DataSource::File ? FileTab : source == DataSource::Text ? TextTab : ClipboardTab);
}

void PutBlobDialog::setFilePath(const QString &path)
{
    m_filePath->setText(path);
    m_fileTimer->stop();
    loadFile();
}

void PutBlobDialog::setText(const QString &text)
{
    m_text->setPlainText(text);
}

void PutBlobDialog::browseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Data of the Blob"), m_filePath->text());
    if (!path.isEmpty())
        setFilePath(path);
}

void PutBlobDialog::loadFile()
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
        else if (m_maxSize > 0 && quint64(info.size()) > m_maxSize)
            // Not read: it could not be stored anyway.
            m_fileError = tr("%1 holds %2, more than a blob can hold (%3).")
                              .arg(info.fileName(), GeometryFields::bytesText(quint64(info.size())),
                                  GeometryFields::bytesText(m_maxSize));
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
    m_fileInfo->setText(m_fileRead
            ? tr("%1: %2").arg(QFileInfo(path).fileName(), GeometryFields::bytesText(quint64(m_fileData.size())))
            : m_fileError);
    refreshData();
}

void PutBlobDialog::readClipboard()
{
    m_clipRead = true;
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
    m_clipFormats->updateGeometry();
    showClipboardChoice();
}

bool PutBlobDialog::setClipboardFormat(const QString &format)
{
    const int at = m_clipFormats->findData(format);
    if (at < 0)
        return false;
    m_clipFormats->setCurrentIndex(at);
    showClipboardChoice();
    return true;
}

void PutBlobDialog::showClipboardChoice()
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
    refreshData();
}

void PutBlobDialog::refreshData()
{
    switch (dataSource()) {
    case DataSource::File:
        m_hasData = m_fileRead;
        m_data = m_fileRead ? m_fileData : QByteArray();
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

QString PutBlobDialog::problemOf(const ContentId &cid)
{
    if (!m_cidProblem)
        return {};
    const QByteArray k = cacheKey(cid);
    auto it = m_problemCache.constFind(k);
    if (it == m_problemCache.cend())
        it = m_problemCache.insert(k, m_cidProblem(cid));
    return *it;
}

void PutBlobDialog::validate()
{
    const quint64 size = m_hasData ? quint64(m_data.size()) : 0;
    const bool tooBig = m_hasData && m_maxSize > 0 && size > m_maxSize;

    QString dataProblem;
    if (!m_hasData) {
        switch (dataSource()) {
        case DataSource::File:
            dataProblem = m_fileError.isEmpty() ? tr("Choose the file whose bytes to store.") : m_fileError;
            break;
        case DataSource::Text:
            dataProblem = tr("Type the text to store.");
            break;
        case DataSource::Clipboard:
            dataProblem = tr("The clipboard holds nothing to store.");
            break;
        }
    } else if (tooBig) {
        dataProblem = tr("The data (%1) is more than a blob can hold (%2).")
                          .arg(GeometryFields::bytesText(size), GeometryFields::bytesText(m_maxSize));
    }

    // The ID first when it is typed (it sits above the data and is checked
    // without any data); a derived one exists only once there is data.
    m_cid.reset();
    QString problem;
    const std::optional<ContentId> derived = m_hasData ? std::optional(deriveCid(m_data)) : std::nullopt;
    m_derivedCid->setText(derived ? cidText(*derived) : tr("(the data's SHA-256, once there is data)"));
    if (m_deriveCid->isChecked()) {
        if (!dataProblem.isEmpty()) {
            problem = dataProblem;
        } else {
            m_cid = derived;
            if (const QString why = problemOf(*m_cid); !why.isEmpty())
                problem = tr("Content ID %1: %2").arg(cidText(*m_cid).left(16) + QStringLiteral("…"), why);
        }
    } else {
        QString syntax;
        m_cid = parseCid(m_cidHex->text(), &syntax);
        if (!m_cid)
            problem = syntax;
        else if (const QString why = problemOf(*m_cid); !why.isEmpty())
            problem = tr("Content ID %1: %2").arg(cidText(*m_cid).left(16) + QStringLiteral("…"), why);
        else
            problem = dataProblem;
    }

    if (m_placementOf) {
        const QString where = m_cid ? m_placementOf(*m_cid) : QString();
        m_placement->setText(where.isEmpty() ? tr("(known once the content ID is)") : where);
    }

    QString sizeText = m_hasData ? tr("Size: %1").arg(GeometryFields::bytesText(size)) : tr("Size: no data yet");
    if (m_maxSize > 0)
        sizeText += tr("; a blob holds at most %1").arg(GeometryFields::bytesText(m_maxSize));
    m_size->setText(sizeText);

    m_problem = problem;
    m_problemLabel->setText(problem);
    m_problemLabel->setVisible(!problem.isEmpty());
    m_ok->setEnabled(problem.isEmpty());
}

} // namespace shardscope
