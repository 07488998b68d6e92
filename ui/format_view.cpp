#include "format_view.h"

#include <QEvent>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace shardscope {

namespace {

// A table as tall as its rows, which wrap their notes: it never scrolls, and
// its height follows the row heights as the columns get narrower or wider.
class FieldTable : public QTableWidget
{
public:
    explicit FieldTable(QWidget *parent) : QTableWidget(0, FormatView::ColumnCount, parent)
    {
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
        connect(verticalHeader(), &QHeaderView::sectionResized, this, [this] { updateGeometry(); });
    }

    QSize sizeHint() const override
    {
        int h = horizontalHeader()->sizeHint().height() + 2 * frameWidth();
        for (int r = 0; r < rowCount(); ++r)
            h += rowHeight(r);
        return {QTableWidget::sizeHint().width(), h};
    }
    QSize minimumSizeHint() const override { return {100, sizeHint().height()}; }
};

// Long fields (the 16 reserved bytes) show their first bytes; the tooltip
// holds them all.
QString shortHex(const QString &hex)
{
    constexpr qsizetype kShown = 8 * 3 - 1;
    return hex.size() > kShown ? hex.left(kShown) + QStringLiteral(" …") : hex;
}

QTableWidget *makeFieldTable(QWidget *parent)
{
    auto *table = new FieldTable(parent);
    table->setHorizontalHeaderLabels({FormatView::tr("Field"), FormatView::tr("Bytes"), FormatView::tr("Hex"),
        FormatView::tr("Value"), FormatView::tr("Meaning")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setWordWrap(true);
    table->setAlternatingRowColors(true);
    table->horizontalHeader()->setStretchLastSection(true);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(FormatView::NoteColumn, QHeaderView::Stretch);
    // The tables are sized to their rows and never scroll; a note too long
    // for its column is elided and shown whole in its tooltip.
    table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    table->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    table->setTextElideMode(Qt::ElideRight);
    return table;
}

QLabel *makeNote(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QFont fixedFont(const QFont &base)
{
    QFont f(QStringLiteral("monospace"), base.pointSize());
    f.setStyleHint(QFont::TypeWriter);
    return f;
}

} // namespace

FormatView::FormatView(QWidget *parent) : QWidget(parent)
{
    auto *outer = new QVBoxLayout(this);

    m_manifestSummary = makeNote(this);
    m_manifestSummary->setObjectName(QStringLiteral("manifestSummary"));
    outer->addWidget(m_manifestSummary);

    auto *copies = new QHBoxLayout;
    for (int i = 0; i < 2; ++i) {
        auto *box = new QGroupBox(this);
        box->setObjectName(i == 0 ? QStringLiteral("copyA") : QStringLiteral("copyB"));
        auto *boxLayout = new QVBoxLayout(box);
        m_copyTables[size_t(i)] = makeFieldTable(box);
        m_copyVerdicts[size_t(i)] = makeNote(box);
        boxLayout->addWidget(m_copyTables[size_t(i)]);
        boxLayout->addWidget(m_copyVerdicts[size_t(i)]);
        m_copyBoxes[size_t(i)] = box;
        copies->addWidget(box, 1);
    }
    outer->addLayout(copies);

    m_slotBox = new QGroupBox(tr("Slot"), this);
    m_slotBox->setObjectName(QStringLiteral("slot"));
    auto *slotLayout = new QVBoxLayout(m_slotBox);
    m_slotSummary = makeNote(m_slotBox);
    m_slotSummary->setObjectName(QStringLiteral("slotSummary"));
    m_slotTable = makeFieldTable(m_slotBox);
    m_slotMeaning = makeNote(m_slotBox);
    slotLayout->addWidget(m_slotSummary);
    slotLayout->addWidget(m_slotTable);
    slotLayout->addWidget(m_slotMeaning);
    outer->addWidget(m_slotBox);
    outer->addStretch(1);

    clear();
}

void FormatView::setManifest(const ManifestDescription &manifest)
{
    m_manifest = manifest;
    refreshManifest();
}

void FormatView::setSlot(const SlotDescription &slot)
{
    m_slot = slot;
    refreshSlot();
}

void FormatView::setSlot(uint32_t slot, const QByteArray &bytes, const SlotContext &context)
{
    setSlot(SlotDescription::describe(
        slot, {reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())}, context));
}

void FormatView::clearSlot()
{
    m_slot.reset();
    refreshSlot();
}

void FormatView::clear()
{
    m_manifest = ManifestDescription::fromCopies(std::nullopt);
    m_manifest.summary.clear();
    refreshManifest();
    clearSlot();
}

QString FormatView::manifestSummary() const
{
    return m_manifestSummary->text();
}

QString FormatView::slotSummary() const
{
    return m_slotSummary->text();
}

void FormatView::fillFields(QTableWidget *table, const QList<FieldRow> &rows)
{
    const QFont mono = fixedFont(font());
    table->setRowCount(int(rows.size()));
    for (int r = 0; r < rows.size(); ++r) {
        const FieldRow &f = rows[r];
        const QString bytes
            = f.end - f.start == 1 ? QString::number(f.start) : QStringLiteral("%1..%2").arg(f.start).arg(f.end - 1);
        const QString cells[ColumnCount] = {f.name, bytes, shortHex(f.hex), f.value, f.note};
        for (int c = 0; c < ColumnCount; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            if (c == HexColumn || c == ValueColumn)
                item->setFont(mono);
            if (c == FieldColumn)
                item->setToolTip(f.type);
            if (c == NoteColumn)
                item->setToolTip(f.note);
            if (c == HexColumn)
                item->setToolTip(f.hex);
            table->setItem(r, c, item);
        }
    }
    table->setCurrentItem(nullptr);
    table->updateGeometry();
}

void FormatView::refreshManifest()
{
    const ManifestDescription &m = m_manifest;
    m_manifestSummary->setText(m.summary);
    const bool present = m.state == ManifestDescription::State::Present;
    for (int i = 0; i < 2; ++i) {
        const auto &copy = m.copies[size_t(i)];
        QGroupBox *box = m_copyBoxes[size_t(i)];
        const QString where = i == 0 ? tr("MF bytes 0..31") : tr("MF bytes 32..63");
        QString title = tr("%1 (%2)").arg(i == 0 ? tr("Copy A") : tr("Copy B"), where);
        const bool active = present && m.active == i;
        if (active)
            title += tr(" — active: %1").arg(m.activeReason);
        box->setTitle(title);
        QFont f = box->font();
        f.setBold(active);
        box->setFont(f);
        // The tables keep the normal weight; only the title says "active".
        QFont normal = font();
        normal.setBold(false);
        m_copyTables[size_t(i)]->setFont(normal);
        m_copyVerdicts[size_t(i)]->setFont(normal);
        box->setEnabled(present);
        fillFields(m_copyTables[size_t(i)], present ? copy.fields : QList<FieldRow> {});
        m_copyVerdicts[size_t(i)]->setText(present ? copy.verdict : QString());
    }
}

void FormatView::refreshSlot()
{
    if (!m_slot) {
        m_slotBox->setTitle(tr("Slot"));
        m_slotSummary->setText(tr("Select a slot to see its 32 bytes field by field."));
        fillFields(m_slotTable, {});
        m_slotMeaning->clear();
        return;
    }
    const SlotDescription &s = *m_slot;
    const uint64_t start = uint64_t(s.slot) * 32;
    m_slotBox->setTitle(tr("Slot %1 (table bytes %2..%3)").arg(s.slot).arg(start).arg(start + 31));
    m_slotSummary->setText(s.summary);
    QFont normal = font();
    m_slotTable->setFont(normal);
    fillFields(m_slotTable, s.fields);
    m_slotMeaning->setText(s.meaning);
}

void FormatView::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange) {
        refreshManifest();
        refreshSlot();
    }
}

} // namespace shardscope
