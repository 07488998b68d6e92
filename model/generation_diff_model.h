// A generation diff (storage/generation_diff.h) as a table: one row per
// entry, with the kinds the user chose to see. The diff is held by value,
// so the model stays valid after the files it came from are gone. Filtering
// by kind resets the model (a diff has at most two tables' worth of rows);
// sort through a QSortFilterProxyModel on SortRole.
#pragma once

#include "generation_diff.h"

#include <QAbstractTableModel>

#include <vector>

namespace shardscope {

class GenerationDiffModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        KindColumn,
        KeyColumn,
        OldSlotColumn,
        OldOffsetColumn,
        NewSlotColumn,
        NewOffsetColumn,
        LenColumn,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role {
        // The DiffKind as an int, whatever the column.
        KindRole = Qt::UserRole + 1,
        // Numbers for the numeric columns (-1 where a side is absent, so those
        // rows sort together), the key in the format's order for the key.
        SortRole,
        // The entry's index in diff().entries (int).
        EntryIndexRole,
    };

    explicit GenerationDiffModel(QObject *parent = nullptr);

    void setDiff(GenerationDiff diff);
    // No diff: no rows.
    void clear();
    [[nodiscard]] bool hasDiff() const { return m_hasDiff; }
    [[nodiscard]] const GenerationDiff &diff() const { return m_diff; }

    // Every kind is shown at first except Unchanged, which after a
    // compaction is usually most rows and the least interesting.
    void setKindVisible(DiffKind kind, bool visible);
    [[nodiscard]] bool isKindVisible(DiffKind kind) const;

    // Precondition: 0 <= row < rowCount().
    [[nodiscard]] const DiffEntry &entryAt(int row) const { return m_diff.entries[m_rows[size_t(row)]]; }

    [[nodiscard]] static QString kindName(DiffKind kind);
    // "2 added, 1 removed, 3 moved, 0 changed, 5 unchanged" (and damaged
    // when there are any); empty when no diff is set.
    [[nodiscard]] QString summary() const;

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void visibleKindsChanged();

private:
    void rebuildRows();
    [[nodiscard]] QVariant displayData(const DiffEntry &entry, int column) const;
    [[nodiscard]] QVariant sortData(const DiffEntry &entry, int column) const;
    [[nodiscard]] QString toolTip(const DiffEntry &entry) const;

    GenerationDiff m_diff;
    bool m_hasDiff = false;
    unsigned m_visibleKinds = 0;
    // Indices into m_diff.entries of the rows shown.
    std::vector<size_t> m_rows;
};

} // namespace shardscope
