#include "format_guide_dialog.h"

#include "pack_map_widget.h"
#include "resources.h"

#include <QDialogButtonBox>
#include <QEvent>
#include <QFile>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace shardscope {

FormatGuideDialog::FormatGuideDialog(QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Format Guide"));
    auto *layout = new QVBoxLayout(this);
    m_browser = new QTextBrowser(this);
    m_browser->setOpenExternalLinks(true);
    layout->addWidget(m_browser);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(820, 680);
    load();
}

QString FormatGuideDialog::guideHtml()
{
    QFile file(QString::fromLatin1(resources::kFormatGuide));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll());
}

void FormatGuideDialog::load()
{
    // Colours for the page's own elements follow the palette, so the guide
    // reads well on dark themes too; the pack's kinds have the pack map's
    // colours.
    const QPalette &pal = palette();
    auto kind = [&pal](PackLayout::Kind k) { return PackMapWidget::kindColor(k, pal).name(); };
    const QString css
        = QStringLiteral(
            "body { margin: 8px; }"
            "h1, h2 { color: %1; }"
            "table { border-collapse: collapse; }"
            "th { background-color: %2; }"
            "td, th { border: 1px solid %3; padding: 3px 6px; }"
            "code, pre, .hex { font-family: monospace; background-color: %2; }"
            ".live { color: %4; } .dead { color: %5; } .uncommitted { color: %6; } .overlap { color: %7; }")
              .arg(pal.color(QPalette::WindowText).name(), pal.color(QPalette::AlternateBase).name(),
                  pal.color(QPalette::Mid).name(), kind(PackLayout::Kind::Live), kind(PackLayout::Kind::Dead),
                  kind(PackLayout::Kind::Uncommitted), kind(PackLayout::Kind::Overlap));
    m_browser->document()->setDefaultStyleSheet(css);
    const QString html = guideHtml();
    m_browser->setHtml(html.isEmpty() ? tr("<p>The format guide is missing from this build.</p>") : html);
}

void FormatGuideDialog::changeEvent(QEvent *event)
{
    QDialog::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        load();
}

} // namespace shardscope
