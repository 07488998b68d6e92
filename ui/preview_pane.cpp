#include "preview_pane.h"

#include "slot_table_model.h"

#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/Repository>
#include <KSyntaxHighlighting/SyntaxHighlighter>
#include <KSyntaxHighlighting/Theme>

#include <QEvent>
#include <QFontDatabase>
#include <QJsonDocument>
#include <QLabel>
#include <QLocale>
#include <QMimeDatabase>
#include <QPlainTextEdit>
#include <QStringDecoder>
#include <QVBoxLayout>

namespace shardscope {

namespace {

// Text is what decodes as UTF-8 and holds no NUL; anything else is shown as
// binary rather than as mojibake.
std::optional<QString> decodeText(const QByteArray &bytes)
{
    if (bytes.contains('\0'))
        return std::nullopt;
    QStringDecoder decoder(QStringDecoder::Utf8);
    QString text = decoder(bytes);
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

    m_heading = new QLabel(this);
    m_heading->setObjectName(QStringLiteral("previewHeading"));
    m_heading->setTextFormat(Qt::PlainText);
    m_heading->setContentsMargins(4, 2, 4, 2);
    layout->addWidget(m_heading);

    m_text = new QPlainTextEdit(this);
    m_text->setObjectName(QStringLiteral("previewText"));
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    layout->addWidget(m_text, 1);

    // Parented to the document, as KSyntaxHighlighting's codeeditor does.
    m_highlighter = new KSyntaxHighlighting::SyntaxHighlighter(m_text->document());
    applyTheme();
    showNote(tr("No entry selected"), QString());
}

QString PreviewPane::syntaxName() const
{
    return m_highlighter->definition().isValid() ? m_highlighter->definition().name() : QString();
}

KSyntaxHighlighting::Definition PreviewPane::sniffDefinition(
    KSyntaxHighlighting::Repository &repository, const QByteArray &bytes)
{
    // Magic numbers first: shebangs, <?xml, and so on.
    const QMimeType mime = QMimeDatabase().mimeTypeForData(bytes);
    if (!mime.isDefault() && mime.name() != QLatin1String("text/plain")) {
        auto definition = repository.definitionForMimeType(mime.name());
        if (definition.isValid())
            return definition;
    }
    // JSON has no magic; a document that parses is JSON.
    const QByteArray trimmed = bytes.trimmed();
    if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && !QJsonDocument::fromJson(bytes).isNull())
        return repository.definitionForFileName(QStringLiteral("entry.json"));
    if (trimmed.startsWith("<?xml"))
        return repository.definitionForFileName(QStringLiteral("entry.xml"));
    if (trimmed.startsWith("#!") && trimmed.left(trimmed.indexOf('\n')).contains("sh"))
        return repository.definitionForFileName(QStringLiteral("entry.sh"));
    return {};
}

void PreviewPane::showEntry(const QModelIndex &index)
{
    if (!index.isValid()) {
        showNote(tr("No entry selected"), QString());
        return;
    }
    const QModelIndex lenIndex = index.siblingAtColumn(SlotTableModel::LenColumn);
    const uint slot = index.data(SlotTableModel::SlotRole).toUInt();
    const qulonglong len = lenIndex.data(SlotTableModel::SortRole).toULongLong();
    const auto state = SlotTableModel::SlotState(index.data(SlotTableModel::StateRole).toInt());
    const QString sizeText = QLocale().formattedDataSize(qint64(len));

    if (state == SlotTableModel::SlotState::Tombstone) {
        showNote(tr("Slot %1: tombstone").arg(slot), tr("This entry was deleted; a tombstone has no data."));
        return;
    }
    if (state == SlotTableModel::SlotState::Damaged) {
        showNote(tr("Slot %1: damaged").arg(slot), lenIndex.data(Qt::ToolTipRole).toString());
        return;
    }

    const QByteArray bytes = index.data(SlotTableModel::PreviewRole).toByteArray();
    if (bytes.isEmpty()) {
        showNote(tr("Slot %1: empty entry").arg(slot), tr("This entry holds no bytes."));
        return;
    }
    const std::optional<QString> text = decodeText(bytes);
    if (!text) {
        const QMimeType mime = QMimeDatabase().mimeTypeForData(bytes);
        showNote(tr("Slot %1: binary, %2").arg(slot).arg(sizeText),
            tr("%1 (%2): no text preview.").arg(mime.comment(), mime.name()));
        return;
    }

    const auto definition = sniffDefinition(m_repository, bytes);
    // Clear first so the old definition does not highlight the new text.
    m_text->clear();
    m_highlighter->setDefinition(definition);
    m_text->setPlainText(*text);
    QString heading
        = tr("Slot %1: %2, %3").arg(slot).arg(definition.isValid() ? definition.name() : tr("text"), sizeText);
    if (qulonglong(bytes.size()) < len)
        heading += QLatin1Char(' ') + tr("(first %1 shown)").arg(QLocale().formattedDataSize(bytes.size()));
    m_heading->setText(heading);
}

void PreviewPane::showNote(const QString &heading, const QString &note)
{
    m_highlighter->setDefinition(KSyntaxHighlighting::Definition());
    m_heading->setText(heading);
    m_text->setPlainText(note);
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
    if (event->type() == QEvent::PaletteChange)
        applyTheme();
    QWidget::changeEvent(event);
}

} // namespace shardscope
