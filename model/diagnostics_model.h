// The checker's findings as a table, worst first: errors, then warnings,
// then notes, each group in the order of shard, file and byte offset, so the
// damage reads from the front of each file to its end. The roles give what a
// click needs to jump there: the shard, the file, the byte offset and the
// slot.
#pragma once

#include "checker.h"

#include <QAbstractTableModel>

namespace shardscope {

class DiagnosticsModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { SeverityColumn, CodeColumn, FileColumn, OffsetColumn, SlotColumn, MessageColumn, ColumnCount };
    Q_ENUM(Column)

    enum Role {
        // The Severity as an int (Info 0, Warning 1, Error 2), any column;
        // the view picks the icon.
        SeverityRole = Qt::UserRole + 1,
        // The stable kebab-case code ("entries-overlap").
        CodeRole,
        // The file, relative to the checked path ("ab/00000000.pack"); empty
        // for a diagnostic about a directory as a whole.
        FileRole,
        // The byte offset in that file (qulonglong); null when none applies.
        OffsetRole,
        // The slot (uint); null when none applies.
        SlotRole,
        // The second slot of a pair (an overlap, a duplicate key); null otherwise.
        OtherSlotRole,
        // The shard directory, relative to the checked path ("" for the
        // checked shard or the store's root, "ab/cd" deeper).
        ShardRole,
        // What a sorting proxy compares: numbers for severity, offset and slot
        // (-1 when absent, so those sort first), text for the others.
        SortRole,
    };

    explicit DiagnosticsModel(QObject *parent = nullptr);

    // Takes the report and orders its diagnostics worst first (a stable
    // sort, so equal ones keep the checker's order).
    void setReport(CheckReport report);
    void clear();
    [[nodiscard]] const CheckReport &report() const { return m_report; }
    // Precondition: 0 <= row < rowCount().
    [[nodiscard]] const Diagnostic &diagnosticAt(int row) const { return m_report.diagnostics[size_t(row)]; }

    [[nodiscard]] static QString severityText(Severity severity);

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

private:
    [[nodiscard]] QVariant displayData(const Diagnostic &d, int column) const;
    [[nodiscard]] QVariant sortData(const Diagnostic &d, int column) const;
    [[nodiscard]] QString toolTip(const Diagnostic &d) const;

    CheckReport m_report;
};

} // namespace shardscope
