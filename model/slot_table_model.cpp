#include "slot_table_model.h"

#include "shard.h"

namespace shardscope {

SlotTableModel::SlotTableModel(QObject *parent) : QAbstractTableModel(parent)
{ }

void SlotTableModel::setShard(const Shard *shard)
{
    beginResetModel();
    m_shard = shard;
    endResetModel();
}

QString SlotTableModel::stateName(SlotState state)
{
    switch (state) {
    case SlotState::Live:
        return tr("live");
    case SlotState::Tombstone:
        return tr("tombstone");
    case SlotState::Damaged:
        return tr("damaged");
    }
    return {};
}

int SlotTableModel::rowCount(const QModelIndex &parent) const
{
    // slotCount() is at most the capacity, which a table file of at most
    // 4 GiB keeps below 2^27, so it always fits an int.
    return parent.isValid() || !m_shard ? 0 : int(m_shard->slotCount());
}

int SlotTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

SlotTableModel::SlotState SlotTableModel::stateOf(const Entry &entry) const
{
    if (entry.isTombstone())
        return SlotState::Tombstone;
    // A bounds check on the pack, not a read: constant time.
    return m_shard->data(entry) ? SlotState::Live : SlotState::Damaged;
}

QVariant SlotTableModel::data(const QModelIndex &index, int role) const
{
    // An invalid index is a legitimate question (with the answer "nothing");
    // one of another model or out of range is a caller's bug, which
    // checkIndex() reports, and must not reach past the table.
    if (!m_shard || !index.isValid()
        || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};

    const auto slot = uint32_t(index.row());
    const Entry entry = m_shard->entry(slot);
    const SlotState state = stateOf(entry);

    switch (role) {
    case Qt::DisplayRole:
        return displayData(entry, state, index.column(), slot);
    case Qt::ToolTipRole:
        return toolTip(entry, state, slot);
    case Qt::TextAlignmentRole:
        if (index.column() == SlotColumn || index.column() >= OffsetColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case SlotRole:
        return slot;
    case StateRole:
        return int(state);
    case SortRole:
        return sortData(entry, state, index.column(), slot);
    case PreviewRole: {
        if (state != SlotState::Live)
            return {};
        const auto bytes = m_shard->data(entry);
        const auto n = std::min<qsizetype>(qsizetype(bytes->size()), kPreviewLimit);
        return QByteArray(reinterpret_cast<const char *>(bytes->data()), n);
    }
    default:
        return {};
    }
}

QVariant SlotTableModel::displayData(const Entry &entry, SlotState state, int column, uint32_t slot) const
{
    const bool tombstone = state == SlotState::Tombstone;
    switch (column) {
    case SlotColumn:
        return slot;
    case StateColumn:
        return stateName(state);
    case KeyColumn:
        // The writer zeroes a tombstone's key; 48 zeros would only be noise.
        // A tombstone that kept its key shows it: that is worth seeing.
        return tombstone && entry.key.isZero() ? QString() : QString::fromStdString(entry.key.toHex());
    case OffsetColumn:
        // The tombstone marker in the form the format describes it.
        return tombstone ? QVariant(QStringLiteral("0xffffffff")) : QVariant(entry.offset);
    case LenColumn:
        return entry.len;
    case EndColumn:
        // offset + len means nothing for a tombstone.
        return tombstone ? QVariant(QString()) : QVariant(qulonglong(entry.end()));
    }
    return {};
}

QVariant SlotTableModel::sortData(const Entry &entry, SlotState state, int column, uint32_t slot) const
{
    switch (column) {
    case SlotColumn:
        return slot;
    case StateColumn:
        return int(state);
    case KeyColumn:
        // Same-length lower-case hex of the bytes: string order is byte order.
        return QString::fromStdString(entry.key.toHex());
    case OffsetColumn:
        return entry.offset;
    case LenColumn:
        return entry.len;
    case EndColumn:
        return qulonglong(entry.end());
    }
    return {};
}

QString SlotTableModel::toolTip(const Entry &entry, SlotState state, uint32_t slot) const
{
    switch (state) {
    case SlotState::Tombstone:
        return tr("Slot %1: tombstone (offset 0xffffffff); the entry was deleted and its pack bytes are unreferenced")
            .arg(slot);
    case SlotState::Damaged: {
        const auto bytes = m_shard->data(entry);
        return tr("Slot %1: damaged: %2").arg(slot).arg(QString::fromStdString(bytes.error().describe()));
    }
    case SlotState::Live:
        break;
    }
    QString tip = tr("Slot %1: %2 bytes at pack offsets [%3, %4)\nKey %5")
                      .arg(slot)
                      .arg(entry.len)
                      .arg(entry.offset)
                      .arg(entry.end())
                      .arg(QString::fromStdString(entry.key.toHex()));
    if (entry.key.isZero())
        tip += QLatin1Char('\n') + tr("The zero key is not a valid key; no lookup can find this entry.");
    return tip;
}

QVariant SlotTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case SlotColumn:
            return tr("Slot");
        case StateColumn:
            return tr("State");
        case KeyColumn:
            return tr("Key");
        case OffsetColumn:
            return tr("Offset");
        case LenColumn:
            return tr("Len");
        case EndColumn:
            return tr("End");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case SlotColumn:
            return tr("Index of the 32-byte slot in the table file");
        case StateColumn:
            return tr("live, tombstone (deleted), or damaged (its range lies outside the pack)");
        case KeyColumn:
            return tr("The 24-byte key in hex, as stored");
        case OffsetColumn:
            return tr("Where the entry's bytes start in the pack");
        case LenColumn:
            return tr("Length of the entry in bytes");
        case EndColumn:
            return tr("One past the entry's last pack byte (offset + len)");
        }
    }
    return {};
}

QHash<int, QByteArray> SlotTableModel::roleNames() const
{
    auto names = QAbstractTableModel::roleNames();
    names.insert(SlotRole, "slot");
    names.insert(StateRole, "state");
    names.insert(SortRole, "sortValue");
    names.insert(PreviewRole, "preview");
    return names;
}

} // namespace shardscope
