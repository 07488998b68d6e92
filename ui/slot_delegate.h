// Paints the slot table's cells by slot state: tombstones dimmed, damaged
// slots in a warning colour, keys in a fixed-width font so they line up. The
// model stays free of QtGui types; this is where looks are decided.
#pragma once

#include <QFont>
#include <QStyledItemDelegate>

namespace shardscope {

class SlotDelegate : public QStyledItemDelegate
{
    Q_OBJECT

public:
    explicit SlotDelegate(QObject *parent = nullptr);

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;

private:
    QFont m_fixedFont;
};

} // namespace shardscope
