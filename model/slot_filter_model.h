// The proxy between a SlotTableModel and the slot table view: shows the slots
// of the chosen states (uncommitted ones hidden until asked for; staged edits
// always shown), narrows
// them to keys starting with a hex prefix, and sorts by any column by
// comparing the raw entries through SlotTableModel's accessors, with no
// QVariant or QString per comparison, so a full 32768-slot table sorts by
// key in a few milliseconds.
#pragma once

#include "slot_table_model.h"

#include <QSortFilterProxyModel>

#include <chrono>
#include <vector>

namespace shardscope {

class SlotFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT

public:
    explicit SlotFilterModel(QObject *parent = nullptr);

    // Only a SlotTableModel is sorted and filtered by this proxy's rules;
    // any other source model is passed through as QSortFilterProxyModel does.
    void setSourceModel(QAbstractItemModel *source) override;
    [[nodiscard]] SlotTableModel *slotModel() const { return m_slots; }

    void setStateVisible(SlotTableModel::SlotState state, bool visible);
    [[nodiscard]] bool isStateVisible(SlotTableModel::SlotState state) const;

    // Keeps only rows whose key, as shown in hex (byte 0 first), starts with
    // `hex` (either case, an optional "0x", spaces ignored). An empty prefix
    // shows every key. Returns false for text that is not hex; then no row
    // matches until the prefix is changed.
    bool setKeyPrefix(const QString &hex);
    [[nodiscard]] QString keyPrefix() const { return m_prefixText; }

    // Go to slot: the proxy row showing the slot, or -1 when the slot is
    // filtered out or not in the table at all.
    [[nodiscard]] int proxyRowForSlot(uint32_t slot) const;
    [[nodiscard]] QModelIndex indexForSlot(uint32_t slot, int column = SlotTableModel::SlotColumn) const;

Q_SIGNALS:
    void visibleStatesChanged();
    void keyPrefixChanged(const QString &prefix);

protected:
    [[nodiscard]] bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    [[nodiscard]] bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    [[nodiscard]] bool keyMatches(int sourceRow) const;

    SlotTableModel *m_slots = nullptr;
    unsigned m_visibleStates = 0;
    QString m_prefixText;
    std::vector<uint8_t> m_prefixNibbles;
    bool m_prefixInvalid = false;
};

// Sorts `proxy` by `column` and returns the time it took, for the benchmark
// program (the target: a full 32768-slot table by key in under 100 ms).
[[nodiscard]] std::chrono::nanoseconds timeSort(
    QSortFilterProxyModel &proxy, int column, Qt::SortOrder order = Qt::AscendingOrder);

} // namespace shardscope
