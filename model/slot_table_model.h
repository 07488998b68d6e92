// The committed slots of one shard as a table: one row per slot in
// [0, slotCount()), read straight from the mapped table on every data() call.
// Nothing is copied per row, so a full 32768-slot table costs no more to open
// than an empty one. The model does not own the shard; whoever sets it keeps
// it alive (and unchanged) until the model is reset or destroyed.
#pragma once

#include <QAbstractTableModel>

#include <cstdint>

namespace shardscope {

class Shard;
struct Entry;

class SlotTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { SlotColumn, StateColumn, KeyColumn, OffsetColumn, LenColumn, EndColumn, ColumnCount };
    Q_ENUM(Column)

    enum class SlotState { Live, Tombstone, Damaged };
    Q_ENUM(SlotState)

    enum Role {
        // The slot number (uint), whatever the column; survives sorting proxies.
        SlotRole = Qt::UserRole + 1,
        // The SlotState as an int.
        StateRole,
        // What a sorting proxy compares: numbers for the numeric columns, so
        // that 100 sorts after 99.
        SortRole,
        // Up to kPreviewLimit bytes of the entry's data (a copy); null for a
        // tombstone or a damaged entry.
        PreviewRole,
    };

    // Enough for a preview pane; keeps PreviewRole cheap on large entries.
    static constexpr qsizetype kPreviewLimit = 64 * 1024;

    explicit SlotTableModel(QObject *parent = nullptr);

    // nullptr clears the model.
    void setShard(const Shard *shard);
    [[nodiscard]] const Shard *shard() const { return m_shard; }

    [[nodiscard]] static QString stateName(SlotState state);

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

private:
    [[nodiscard]] SlotState stateOf(const Entry &entry) const;
    [[nodiscard]] QVariant displayData(const Entry &entry, SlotState state, int column, uint32_t slot) const;
    [[nodiscard]] QVariant sortData(const Entry &entry, SlotState state, int column, uint32_t slot) const;
    [[nodiscard]] QString toolTip(const Entry &entry, SlotState state, uint32_t slot) const;

    const Shard *m_shard = nullptr;
};

} // namespace shardscope
