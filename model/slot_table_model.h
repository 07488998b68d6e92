// The slots of one shard as a table: one row per committed slot in
// [0, slotCount()), followed by one row per slot past table_len that holds
// bytes (written but never committed). Rows are read straight from the mapped
// table on every data() call; nothing is copied per row, so a full
// 32768-slot table costs no more to open than an empty one. What is kept per
// shard is small: the uncommitted slots' numbers, one bit per committed slot
// for overlapping entries, and one byte per row for the detected content type,
// filled in only when a row's type is first asked for.
// The model does not own the shard; whoever sets it keeps it alive (and
// unchanged) until the model is reset or destroyed.
#pragma once

#include "content_sniffer.h"
#include "entry.h"
#include "format.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <optional>
#include <vector>

namespace shardscope {

class EditSession;
class Shard;

class SlotTableModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { SlotColumn, StateColumn, KeyColumn, OffsetColumn, LenColumn, EndColumn, TypeColumn, ColumnCount };
    Q_ENUM(Column)

    // The numbers are stored in StateRole and in settings: append only.
    enum class SlotState {
        Live,
        Tombstone,
        // Committed, but no reader can use it: its range lies outside the
        // pack, its key is zero, or its bytes overlap another entry's.
        Damaged,
        // Past table_len: written by an append that was never committed.
        Uncommitted,
        // Staged in the EditSession, not yet written: a new entry (a row
        // after all the others) ...
        PendingAppend,
        // ... or a committed live slot marked for deletion.
        PendingDelete,
    };
    Q_ENUM(SlotState)

    // Why a slot is Damaged.
    enum class Damage : uint8_t { None, OutOfBounds, ZeroKey, Overlap };

    enum Role {
        // The slot number (uint), whatever the column; survives sorting proxies.
        SlotRole = Qt::UserRole + 1,
        // The SlotState as an int.
        StateRole,
        // What a generic sorting proxy compares: numbers for the numeric
        // columns, so that 100 sorts after 99, and for the key a string whose
        // order is the format's key order (word 0, 1, 2 as unsigned numbers).
        // SlotFilterModel does not need it: it compares entries directly.
        SortRole,
        // Up to kPreviewLimit bytes of the entry's data (a copy); null for a
        // tombstone or an entry outside the pack.
        PreviewRole,
        // The detected ContentKind as an int (Unknown for entries without bytes).
        ContentKindRole,
        // The KSyntaxHighlighting definition name the entry's content asks for
        // ("JSON", "Bash", "None", ...); empty for entries without bytes.
        DefinitionRole,
        // For a PendingAppend row its index in EditSession::pendingAppends()
        // (int); -1 for every other row. The row's SlotRole is the slot the
        // append will take, which on disk may hold anything until written.
        PendingIndexRole,
    };

    // Enough for a preview pane; keeps PreviewRole cheap on large entries.
    static constexpr qsizetype kPreviewLimit = 64 * 1024;

    explicit SlotTableModel(QObject *parent = nullptr);

    // nullptr clears the model. Scans the table once for uncommitted slots
    // and overlapping entries (a sort of the committed live ranges).
    void setShard(const Shard *shard);
    [[nodiscard]] const Shard *shard() const { return m_shard; }

    // Shows the session's staged changes while its shard is this model's:
    // staged appends as rows after the others, committed slots marked for
    // deletion as PendingDelete. Follows the session's signals with row
    // inserts and removals; nullptr stops. The model does not own it.
    void setEditSession(const EditSession *session);
    [[nodiscard]] const EditSession *editSession() const { return m_session; }
    // Rows of staged appends (0 without a session for this shard); they
    // follow the committed and the uncommitted rows.
    [[nodiscard]] int pendingRowCount() const;
    [[nodiscard]] int firstPendingRow() const { return int(m_committed + m_uncommitted.size()); }

    [[nodiscard]] static QString stateName(SlotState state);

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

    // Direct accessors for proxies and views that must not pay for a QVariant
    // per question (sorting compares ~500 000 pairs on a full table).
    // Preconditions: a shard is set and 0 <= row < rowCount().
    [[nodiscard]] uint32_t slotAt(int row) const
    {
        if (row < int(m_committed))
            return uint32_t(row);
        const size_t i = size_t(row) - m_committed;
        return i < m_uncommitted.size() ? m_uncommitted[i] : pendingSlotAt(row);
    }
    [[nodiscard]] Entry entryAt(int row) const
    {
        return row >= firstPendingRow() ? pendingEntryAt(row) : slotEntry(slotAt(row));
    }
    // The key alone, for sorting: reads only the 24 key bytes.
    [[nodiscard]] Key keyAt(int row) const
    {
        if (row >= firstPendingRow())
            return pendingEntryAt(row).key;
        const uint32_t slot = slotAt(row);
        if (m_rawTable)
            return rawKey(m_rawTable + size_t(slot) * kTableEntrySize);
        return shardEntry(slot).key;
    }
    [[nodiscard]] SlotState stateAt(int row) const;
    [[nodiscard]] Damage damageAt(int row) const;
    // Sniffs the first kSniffSampleSize bytes on first use and caches the
    // answer for the row.
    [[nodiscard]] ContentKind contentKindAt(int row) const;

    // The row showing a slot, or -1 when the slot is not shown (past
    // table_len and blank, or past the capacity).
    [[nodiscard]] int rowForSlot(uint32_t slot) const;
    // Rows of committed slots; the uncommitted ones follow them.
    [[nodiscard]] int committedRowCount() const { return int(m_committed); }
    // For an overlapping entry: a committed slot whose bytes it shares.
    [[nodiscard]] std::optional<uint32_t> overlapPartner(uint32_t slot) const;

private:
    // Out of line: only staged rows take these paths.
    [[nodiscard]] uint32_t pendingSlotAt(int row) const;
    // The entry as it will be written: key, offset and length.
    [[nodiscard]] Entry pendingEntryAt(int row) const;
    [[nodiscard]] const QByteArray &pendingData(int row) const;
    [[nodiscard]] bool sessionApplies() const;
    void connectSession();
    void marksChanged(const QList<uint32_t> &slotList);

    // Entry::decode inlined: it lives in another library, and sorting calls
    // it about a million times.
    [[nodiscard]] static Key rawKey(const uint8_t *p) { return Key({loadU64(p), loadU64(p + 8), loadU64(p + 16)}); }
    [[nodiscard]] Entry slotEntry(uint32_t slot) const
    {
        if (m_rawTable) {
            const uint8_t *p = m_rawTable + size_t(slot) * kTableEntrySize;
            return Entry {rawKey(p), loadU32(p + 24), loadU32(p + 28)};
        }
        return shardEntry(slot);
    }
    [[nodiscard]] Entry shardEntry(uint32_t slot) const;
    [[nodiscard]] bool inPack(const Entry &entry) const;
    [[nodiscard]] bool hasBytes(const Entry &entry, SlotState state, Damage damage) const;
    [[nodiscard]] QVariant displayData(const Entry &entry, int row, int column, uint32_t slot) const;
    [[nodiscard]] QVariant sortData(const Entry &entry, int row, int column, uint32_t slot) const;
    [[nodiscard]] QString toolTip(const Entry &entry, SlotState state, Damage damage, uint32_t slot) const;
    void findUncommitted();
    void findOverlaps();

    const Shard *m_shard = nullptr;
    // The table's mapped bytes, read directly when they are all there is to
    // read (no appends of a writable shard waiting in memory): sorting
    // decodes a million keys and must not pay a call chain for each.
    const uint8_t *m_rawTable = nullptr;
    uint64_t m_packSize = 0;
    uint32_t m_committed = 0;
    // Slots past table_len that are not all zero, ascending.
    std::vector<uint32_t> m_uncommitted;
    // One bit per committed slot: its bytes overlap another entry's.
    std::vector<bool> m_overlapping;
    // (slot, a slot it overlaps), sorted by slot; read for tooltips only.
    std::vector<std::pair<uint32_t, uint32_t>> m_overlapPartners;
    // ContentKind per row; Unknown until the row's type is asked for.
    mutable std::vector<ContentKind> m_kinds;
    const EditSession *m_session = nullptr;
    QList<QMetaObject::Connection> m_sessionConnections;
};

} // namespace shardscope
