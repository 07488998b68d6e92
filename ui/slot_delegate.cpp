#include "slot_delegate.h"

#include "slot_table_model.h"

#include <QFontDatabase>

namespace shardscope {

SlotDelegate::SlotDelegate(QObject *parent)
    : QStyledItemDelegate(parent), m_fixedFont(QFontDatabase::systemFont(QFontDatabase::FixedFont))
{ }

void SlotDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    if (index.column() == SlotTableModel::KeyColumn || index.column() == SlotTableModel::OffsetColumn) {
        // The system fixed font often comes in another size than the view's.
        QFont font = m_fixedFont;
        if (option->font.pointSizeF() > 0)
            font.setPointSizeF(option->font.pointSizeF());
        // The model's italic and strike-out mark staged rows; keep them.
        font.setItalic(option->font.italic());
        font.setStrikeOut(option->font.strikeOut());
        option->font = font;
        option->fontMetrics = QFontMetrics(font);
    }
    const auto state = SlotTableModel::SlotState(index.data(SlotTableModel::StateRole).toInt());
    QPalette &pal = option->palette;
    switch (state) {
    case SlotTableModel::SlotState::Live:
        break;
    case SlotTableModel::SlotState::Tombstone:
        pal.setColor(QPalette::Text, pal.color(QPalette::Disabled, QPalette::Text));
        break;
    case SlotTableModel::SlotState::Uncommitted: {
        // Written but never committed: readers do not see it.
        option->font.setItalic(true);
        const bool dark = pal.color(QPalette::Base).lightness() < 128;
        pal.setColor(QPalette::Text, dark ? QColor(240, 180, 90) : QColor(150, 90, 0));
        break;
    }
    case SlotTableModel::SlotState::Damaged: {
        // Readable on light and dark bases alike.
        const bool dark = pal.color(QPalette::Base).lightness() < 128;
        pal.setColor(QPalette::Text, dark ? QColor(255, 120, 110) : QColor(190, 20, 20));
        break;
    }
    case SlotTableModel::SlotState::PendingAppend: {
        // Staged, not yet written: green for what will be added.
        option->font.setItalic(true);
        const bool dark = pal.color(QPalette::Base).lightness() < 128;
        pal.setColor(QPalette::Text, dark ? QColor(130, 210, 130) : QColor(0, 110, 0));
        break;
    }
    case SlotTableModel::SlotState::PendingDelete: {
        option->font.setStrikeOut(true);
        const bool dark = pal.color(QPalette::Base).lightness() < 128;
        pal.setColor(QPalette::Text, dark ? QColor(255, 150, 140) : QColor(170, 40, 40));
        break;
    }
    }
}

} // namespace shardscope
