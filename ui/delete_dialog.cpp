#include "delete_dialog.h"

#include "geometry_fields.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace shardscope {

DeleteDialog::DeleteDialog(const QList<DeleteEntry> &entries, QWidget *parent) : QDialog(parent), m_entries(entries)
{
    const QLocale locale;
    const int n = int(entries.size());
    setWindowTitle(n == 1 ? tr("Delete Entry") : tr("Delete Entries"));
    auto *layout = new QVBoxLayout(this);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setWordWrap(true);
    if (n == 0)
        m_summary->setText(tr("No entry is selected, so there is nothing to delete."));
    else if (n == 1)
        m_summary->setText(tr("Mark the entry in slot %1 for deletion?").arg(entries.front().slot));
    else
        m_summary->setText(tr("Mark these %1 entries for deletion?").arg(locale.toString(n)));
    layout->addWidget(m_summary);

    m_list = new QTreeWidget(this);
    m_list->setObjectName(QStringLiteral("entries"));
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSelectionMode(QAbstractItemView::NoSelection);
    m_list->setHeaderLabels({tr("Slot"), tr("Key"), tr("Size")});
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    QList<QTreeWidgetItem *> items;
    items.reserve(entries.size());
    for (const DeleteEntry &e : entries) {
        auto *item = new QTreeWidgetItem;
        item->setText(0, locale.toString(e.slot));
        item->setText(1, QString::fromStdString(e.key.toHex()));
        item->setFont(1, fixed);
        item->setText(2, locale.toString(e.size));
        item->setToolTip(2, GeometryFields::bytesText(e.size));
        item->setTextAlignment(0, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        items.append(item);
    }
    m_list->addTopLevelItems(items);
    m_list->header()->setStretchLastSection(false);
    for (int c = 0; c < 3; ++c)
        m_list->resizeColumnToContents(c);
    m_list->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    layout->addWidget(m_list, 1);

    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("note"));
    m_note->setTextFormat(Qt::PlainText);
    m_note->setWordWrap(true);
    m_note->setText(n == 1 ? tr("The slot becomes a tombstone when you write the changes; until then Undo or Revert "
                                "Changes brings it back. Its %1 of data stay in the pack until the shard is "
                                "compacted.")
                                 .arg(GeometryFields::bytesText(totalBytes()))
                           : tr("The slots become tombstones when you write the changes; until then Undo or Revert "
                                "Changes brings them back. Their %1 of data stay in the pack until the shard is "
                                "compacted.")
                                 .arg(GeometryFields::bytesText(totalBytes())));
    layout->addWidget(m_note);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_delete = buttons->button(QDialogButtonBox::Ok);
    m_delete->setText(n > 1 ? tr("&Delete %1 Entries").arg(locale.toString(n)) : tr("&Delete"));
    m_delete->setEnabled(n > 0);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    // Wide enough for the 48-digit keys; as tall as the rows up to a point,
    // then the list scrolls.
    m_list->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    const int keyWidth = QFontMetrics(fixed).horizontalAdvance(QString(52, QLatin1Char('0')));
    resize(std::max(sizeHint().width(), keyWidth + 260), std::min(520, sizeHint().height()));
}

quint64 DeleteDialog::totalBytes() const
{
    quint64 total = 0;
    for (const DeleteEntry &e : m_entries)
        total += e.size;
    return total;
}

} // namespace shardscope
