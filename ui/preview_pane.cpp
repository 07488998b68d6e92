#include "preview_pane.h"

#include "content_sniffer.h"
#include "slot_table_model.h"

#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/Repository>
#include <KSyntaxHighlighting/SyntaxHighlighter>
#include <KSyntaxHighlighting/Theme>

#include <QBuffer>
#include <QComboBox>
#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QStackedWidget>
#include <QStringDecoder>
#include <QVBoxLayout>

namespace shardscope {

namespace {

enum PageIndex { TextPage, ImagePage, NotePage };

// Text is what decodes as UTF-8 and holds no NUL. A preview cut at the limit
// may end inside a character; that tail is dropped rather than called binary.
std::optional<QString> decodeText(const QByteArray &bytes, bool truncated)
{
    if (bytes.contains('\0'))
        return std::nullopt;
    QByteArray whole = bytes;
    if (truncated) {
        // Back off at most three continuation bytes to a character boundary.
        qsizetype cut = whole.size();
        for (int i = 0; i < 3 && cut > 0 && (uchar(whole[cut - 1]) & 0xC0) == 0x80; ++i)
            --cut;
        if (cut > 0 && uchar(whole[cut - 1]) >= 0xC0)
            --cut;
        whole.truncate(cut);
    }
    QStringDecoder decoder(QStringDecoder::Utf8);
    QString text = decoder(whole);
    if (decoder.hasError())
        return std::nullopt;
    return text;
}

} // namespace

PreviewPane::PreviewPane(KSyntaxHighlighting::Repository &repository, QWidget *parent)
    : QWidget(parent), m_repository(repository)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto *top = new QHBoxLayout;
    top->setContentsMargins(4, 2, 4, 2);
    m_heading = new QLabel(this);
    m_heading->setObjectName(QStringLiteral("previewHeading"));
    m_heading->setTextFormat(Qt::PlainText);
    top->addWidget(m_heading, 1);
    m_syntax = new SyntaxComboBox(this);
    m_syntax->setObjectName(QStringLiteral("previewSyntax"));
    m_syntax->setToolTip(tr("Highlighting: detected from the bytes; pick another to override"));
    m_syntax->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    top->addWidget(m_syntax);
    layout->addLayout(top);

    m_pages = new QStackedWidget(this);
    layout->addWidget(m_pages, 1);

    m_text = new QPlainTextEdit(m_pages);
    m_text->setObjectName(QStringLiteral("previewText"));
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_pages->insertWidget(TextPage, m_text);

    m_imageArea = new QScrollArea(m_pages);
    m_image = new QLabel(m_imageArea);
    m_image->setObjectName(QStringLiteral("previewImage"));
    m_image->setAlignment(Qt::AlignCenter);
    m_imageArea->setWidget(m_image);
    m_imageArea->setWidgetResizable(true);
    m_pages->insertWidget(ImagePage, m_imageArea);

    m_note = new QLabel(m_pages);
    m_note->setObjectName(QStringLiteral("previewNote"));
    m_note->setWordWrap(true);
    m_note->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_note->setMargin(8);
    m_note->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    connect(m_note, &QLabel::linkActivated, this, [this](const QString &) { Q_EMIT hexRequested(); });
    m_pages->insertWidget(NotePage, m_note);

    // Parented to the document, as KSyntaxHighlighting's codeeditor does.
    m_highlighter = new KSyntaxHighlighting::SyntaxHighlighter(m_text->document());
    m_syntax->addItem(tr("Plain text"), QString());
    connect(m_syntax, &SyntaxComboBox::aboutToShowPopup, this, [this] {
        if (m_syntax->count() <= 2)
            m_syntax->fillDefinitions(m_repository);
    });
    connect(
        m_syntax, &QComboBox::activated, this, [this](int index) { setSyntax(m_syntax->itemData(index).toString()); });
    applyTheme();
    showNote(tr("No entry selected"), tr("Select a slot to see its entry."));
}

void SyntaxComboBox::fillDefinitions(const KSyntaxHighlighting::Repository &repository)
{
    const QString current = currentData().toString();
    clear();
    addItem(PreviewPane::tr("Plain text"), QString());
    auto definitions = repository.definitions();
    std::sort(definitions.begin(), definitions.end(), [](const auto &a, const auto &b) {
        return a.translatedName().compare(b.translatedName(), Qt::CaseInsensitive) < 0;
    });
    for (const auto &definition : definitions) {
        if (!definition.isHidden())
            addItem(definition.translatedName(), definition.name());
    }
    setCurrentIndex(std::max(0, findData(current)));
}

void SyntaxComboBox::showDefinition(const KSyntaxHighlighting::Definition &definition)
{
    const QString name = definition.isValid() ? definition.name() : QString();
    int at = findData(name);
    if (at < 0) {
        // Plain text and one definition: the one shown before goes.
        if (count() == 2)
            removeItem(1);
        addItem(definition.translatedName(), name);
        at = count() - 1;
    }
    setCurrentIndex(at);
}

PreviewPane::Page PreviewPane::page() const
{
    switch (m_pages->currentIndex()) {
    case TextPage:
        return Page::Text;
    case ImagePage:
        return Page::Image;
    default:
        return Page::Note;
    }
}

QString PreviewPane::syntaxName() const
{
    return m_highlighter->definition().isValid() ? m_highlighter->definition().name() : QString();
}

QString PreviewPane::heading() const
{
    return m_heading->text();
}

void PreviewPane::setSyntax(const QString &definitionName)
{
    const auto definition = m_repository.definitionForName(definitionName);
    m_highlighter->setDefinition(definition);
    m_highlighter->rehighlight();
    m_syntax->showDefinition(definition);
}

void PreviewPane::showEntry(const QModelIndex &index)
{
    if (!index.isValid()) {
        showNote(tr("No entry selected"), tr("Select a slot to see its entry."));
        return;
    }
    const QModelIndex lenIndex = index.siblingAtColumn(SlotTableModel::LenColumn);
    const uint slot = index.data(SlotTableModel::SlotRole).toUInt();
    const qulonglong len = lenIndex.data(SlotTableModel::SortRole).toULongLong();
    const auto state = SlotTableModel::SlotState(index.data(SlotTableModel::StateRole).toInt());
    const QString sizeText = QLocale().formattedDataSize(qint64(len), 1, QLocale::DataSizeTraditionalFormat);

    if (state == SlotTableModel::SlotState::Tombstone) {
        showNote(tr("Slot %1: tombstone").arg(slot),
            tr("This entry was deleted. A tombstone keeps no offset or length (offset 0xFFFFFFFF); its old bytes "
               "stay in the pack until compaction."));
        return;
    }
    const QByteArray bytes = index.data(SlotTableModel::PreviewRole).toByteArray();
    if (bytes.isEmpty() && len > 0) {
        showNote(tr("Slot %1: damaged").arg(slot),
            lenIndex.data(Qt::ToolTipRole).toString()
                + QStringLiteral("<p><a href=\"hex\">%1</a>").arg(tr("Show the bytes in the hex pane")));
        return;
    }
    QString prefix = tr("Slot %1").arg(slot);
    if (state == SlotTableModel::SlotState::Uncommitted)
        prefix += tr(" (uncommitted)");
    else if (state == SlotTableModel::SlotState::Damaged)
        prefix += tr(" (damaged)");
    if (bytes.isEmpty()) {
        showNote(tr("%1: empty entry").arg(prefix), tr("This entry holds no bytes."));
        return;
    }

    const bool truncated = qulonglong(bytes.size()) < len;
    const ContentType type = sniffContent(bytes, qint64(len));
    if (type.isImage() && !truncated) {
        QBuffer buffer;
        buffer.setData(bytes);
        buffer.open(QIODevice::ReadOnly);
        QImageReader reader(&buffer);
        const QImage image = reader.read();
        if (!image.isNull()) {
            m_highlighter->setDefinition(KSyntaxHighlighting::Definition());
            m_syntax->setEnabled(false);
            m_image->setPixmap(QPixmap::fromImage(image));
            m_heading->setText(tr("%1: %2 image, %3 × %4 pixels, %5")
                                   .arg(prefix, QString::fromLatin1(reader.format().toUpper()))
                                   .arg(image.width())
                                   .arg(image.height())
                                   .arg(sizeText));
            m_pages->setCurrentIndex(ImagePage);
            return;
        }
    }
    const std::optional<QString> text
        = type.isText() || type.kind == ContentKind::Unknown ? decodeText(bytes, truncated) : std::nullopt;
    if (!text) {
        const ByteSummary summary = summarizeBytes(bytes);
        QString note = tr("%1 bytes, entropy %2 bits per byte%3.")
                           .arg(QLocale().toString(qlonglong(len)))
                           .arg(summary.entropy, 0, 'f', 2)
                           .arg(truncated ? tr(" (over the first %1)").arg(QLocale().formattedDataSize(bytes.size()))
                                          : QString());
        if (summary.entropy > 7.5)
            note += QLatin1Char(' ') + tr("That is close to 8: compressed, encrypted or random data.");
        note += QStringLiteral("<p><a href=\"hex\">%1</a>").arg(tr("Show the bytes in the hex pane"));
        const QString kind = type.kind == ContentKind::Binary || type.kind == ContentKind::Unknown
            ? tr("binary")
            : tr("binary (%1)").arg(contentKindName(type.kind));
        showNote(tr("%1: %2, %3").arg(prefix, kind, sizeText), note);
        return;
    }
    QString heading = tr("%1: %2, %3").arg(prefix, contentKindName(type.kind), sizeText);
    if (truncated)
        heading += QLatin1Char(' ') + tr("(first %1 shown)").arg(QLocale().formattedDataSize(bytes.size()));
    showText(heading, *text, type.definition);
}

void PreviewPane::showText(const QString &heading, const QString &text, const QString &definitionName)
{
    // Clear first so the old definition does not highlight the new text.
    m_text->clear();
    m_syntax->setEnabled(true);
    setSyntax(definitionName);
    m_text->setPlainText(text);
    m_heading->setText(heading);
    m_pages->setCurrentIndex(TextPage);
}

void PreviewPane::showNote(const QString &heading, const QString &note)
{
    m_highlighter->setDefinition(KSyntaxHighlighting::Definition());
    m_syntax->setCurrentIndex(0);
    m_syntax->setEnabled(false);
    m_heading->setText(heading);
    m_note->setText(note);
    m_pages->setCurrentIndex(NotePage);
}

void PreviewPane::applyTheme()
{
    // Follow the palette: a light theme on a light base, a dark one on dark.
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    m_highlighter->setTheme(m_repository.defaultTheme(
        dark ? KSyntaxHighlighting::Repository::DarkTheme : KSyntaxHighlighting::Repository::LightTheme));
    m_highlighter->rehighlight();
}

void PreviewPane::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyTheme();
}

} // namespace shardscope
