#include "slot_filter_model.h"

#include <QElapsedTimer>

namespace shardscope {

namespace {

unsigned stateBit(SlotTableModel::SlotState state)
{
    return 1u << unsigned(state);
}

int nibbleOf(QChar c)
{
    const char16_t u = c.unicode();
    if (u >= '0' && u <= '9')
        return u - '0';
    if (u >= 'a' && u <= 'f')
        return u - 'a' + 10;
    if (u >= 'A' && u <= 'F')
        return u - 'A' + 10;
    return -1;
}

// Three-way comparisons, so that equal values fall through to the slot
// number and every order is total (and the same on every run).
template<typename T> int compare3(const T &a, const T &b)
{
    return a < b ? -1 : (b < a ? 1 : 0);
}

} // namespace

SlotFilterModel::SlotFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    using S = SlotTableModel::SlotState;
    m_visibleStates = stateBit(S::Live) | stateBit(S::Tombstone) | stateBit(S::Damaged);
}

void SlotFilterModel::setSourceModel(QAbstractItemModel *source)
{
    m_slots = qobject_cast<SlotTableModel *>(source);
    QSortFilterProxyModel::setSourceModel(source);
}

void SlotFilterModel::setStateVisible(SlotTableModel::SlotState state, bool visible)
{
    const unsigned states = visible ? (m_visibleStates | stateBit(state)) : (m_visibleStates & ~stateBit(state));
    if (states == m_visibleStates)
        return;
    m_visibleStates = states;
    invalidateRowsFilter();
    Q_EMIT visibleStatesChanged();
}

bool SlotFilterModel::isStateVisible(SlotTableModel::SlotState state) const
{
    return (m_visibleStates & stateBit(state)) != 0;
}

bool SlotFilterModel::setKeyPrefix(const QString &hex)
{
    QString text = hex;
    text.remove(QLatin1Char(' '));
    if (text.startsWith(QLatin1String("0x"), Qt::CaseInsensitive))
        text = text.mid(2);

    std::vector<uint8_t> nibbles;
    bool invalid = text.size() > qsizetype(2 * Key::kSize);
    for (QChar c : std::as_const(text)) {
        if (invalid)
            break;
        const int n = nibbleOf(c);
        if (n < 0)
            invalid = true;
        else
            nibbles.push_back(uint8_t(n));
    }
    if (invalid)
        nibbles.clear();

    if (hex != m_prefixText || invalid != m_prefixInvalid || nibbles != m_prefixNibbles) {
        m_prefixText = hex;
        m_prefixNibbles = std::move(nibbles);
        m_prefixInvalid = invalid;
        invalidateRowsFilter();
        Q_EMIT keyPrefixChanged(m_prefixText);
    }
    return !invalid;
}

bool SlotFilterModel::keyMatches(int sourceRow) const
{
    if (m_prefixInvalid)
        return false;
    if (m_prefixNibbles.empty())
        return true;
    const Entry entry = m_slots->entryAt(sourceRow);
    // A tombstone's zeroed key is not shown, so it matches nothing.
    if (entry.isTombstone() && entry.key.isZero())
        return false;
    const auto bytes = entry.key.bytes();
    for (size_t i = 0; i < m_prefixNibbles.size(); ++i) {
        const uint8_t byte = bytes[i / 2];
        const uint8_t nibble = i % 2 == 0 ? byte >> 4 : byte & 0x0F;
        if (nibble != m_prefixNibbles[i])
            return false;
    }
    return true;
}

bool SlotFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_slots || sourceParent.isValid())
        return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
    // Staged edits are shown whatever states are chosen: hiding what is
    // about to be written would be worse than any clutter. The key prefix,
    // a search, still applies to them.
    using S = SlotTableModel::SlotState;
    const S state = m_slots->stateAt(sourceRow);
    if (state != S::PendingAppend && state != S::PendingDelete && !isStateVisible(state))
        return false;
    return keyMatches(sourceRow);
}

bool SlotFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    if (!m_slots || left.model() != m_slots || right.model() != m_slots)
        return QSortFilterProxyModel::lessThan(left, right);
    const int a = left.row();
    const int b = right.row();
    int c = 0;
    switch (left.column()) {
    case SlotTableModel::SlotColumn:
        break;
    case SlotTableModel::StateColumn:
        c = compare3(int(m_slots->stateAt(a)), int(m_slots->stateAt(b)));
        break;
    case SlotTableModel::KeyColumn: {
        // operator<=> is inline, compareKeys() is not.
        const auto order = m_slots->keyAt(a) <=> m_slots->keyAt(b);
        c = order < 0 ? -1 : (order > 0 ? 1 : 0);
        break;
    }
    case SlotTableModel::OffsetColumn:
        c = compare3(m_slots->entryAt(a).offset, m_slots->entryAt(b).offset);
        break;
    case SlotTableModel::LenColumn:
        c = compare3(m_slots->entryAt(a).len, m_slots->entryAt(b).len);
        break;
    case SlotTableModel::EndColumn:
        c = compare3(m_slots->entryAt(a).end(), m_slots->entryAt(b).end());
        break;
    case SlotTableModel::TypeColumn:
        // Sniffs every row once; the answers stay cached in the model.
        c = compare3(int(m_slots->contentKindAt(a)), int(m_slots->contentKindAt(b)));
        break;
    default:
        return QSortFilterProxyModel::lessThan(left, right);
    }
    return c != 0 ? c < 0 : m_slots->slotAt(a) < m_slots->slotAt(b);
}

int SlotFilterModel::proxyRowForSlot(uint32_t slot) const
{
    return indexForSlot(slot).row();
}

QModelIndex SlotFilterModel::indexForSlot(uint32_t slot, int column) const
{
    if (!m_slots)
        return {};
    const int row = m_slots->rowForSlot(slot);
    if (row < 0)
        return {};
    return mapFromSource(m_slots->index(row, column));
}

std::chrono::nanoseconds timeSort(QSortFilterProxyModel &proxy, int column, Qt::SortOrder order)
{
    // Sorting again by the same column and order is a no-op in
    // QSortFilterProxyModel; start from the source order to time a real sort.
    proxy.sort(-1);
    QElapsedTimer timer;
    timer.start();
    proxy.sort(column, order);
    return std::chrono::nanoseconds(timer.nsecsElapsed());
}

} // namespace shardscope
