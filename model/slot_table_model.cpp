#include "slot_table_model.h"

#include "edit_session.h"
#include "shard.h"

#include <QFont>

#include <algorithm>

namespace shardscope {

namespace {

// Sixteen hex digits per word, word 0 first: the string order is the order
// of FORMAT.md (unsigned words, word 0 first), unlike the hex of the bytes.
QString keyOrderString(const Key &key)
{
    QString s;
    s.reserve(48);
    for (int i = 0; i < 3; ++i)
        s += QStringLiteral("%1").arg(qulonglong(key.word(i)), 16, 16, QLatin1Char('0'));
    return s;
}

} // namespace

SlotTableModel::SlotTableModel(QObject *parent) : QAbstractTableModel(parent)
{ }

void SlotTableModel::setShard(const Shard *shard)
{
    beginResetModel();
    m_shard = shard;
    m_uncommitted.clear();
    m_overlapping.clear();
    m_overlapPartners.clear();
    m_kinds.clear();
    m_rawTable = nullptr;
    m_committed = shard ? shard->slotCount() : 0;
    m_packSize = shard ? shard->packSize() : 0;
    if (shard) {
        if (!shard->dirty()) {
            const auto &file = shard->table().file();
            if (auto all = file.bytes().read(0, uint64_t(shard->capacity()) * kTableEntrySize))
                m_rawTable = all->data();
        }
        findUncommitted();
        findOverlaps();
        m_kinds.assign(m_committed + m_uncommitted.size(), ContentKind::Unknown);
    }
    endResetModel();
}

void SlotTableModel::setEditSession(const EditSession *session)
{
    beginResetModel();
    for (const auto &c : std::as_const(m_sessionConnections))
        disconnect(c);
    m_sessionConnections.clear();
    m_session = session;
    if (session)
        connectSession();
    endResetModel();
}

void SlotTableModel::connectSession()
{
    const EditSession *s = m_session;
    // Rows are only inserted and removed while the session edits this
    // model's shard; sessionApplies() gives the same answer before and after
    // each pair of signals, since neither shard changes in between.
    //
    // A pending row stands for a slot position (table_len + i), not for an
    // append: inserting or dropping a staged append in the middle moves the
    // later ones to other slots and offsets. So rows come and go at the end,
    // and the rows from the edit on report changed data.
    m_sessionConnections << connect(s, &EditSession::appendsAboutToBeInserted, this, [this](int first, int last) {
        if (!sessionApplies())
            return;
        const int end = firstPendingRow() + pendingRowCount();
        beginInsertRows({}, end, end + (last - first));
    });
    m_sessionConnections << connect(s, &EditSession::appendsInserted, this, [this](int first, int last) {
        if (!sessionApplies())
            return;
        endInsertRows();
        const int movedEnd = firstPendingRow() + pendingRowCount() - (last - first + 1);
        if (firstPendingRow() + first < movedEnd)
            Q_EMIT dataChanged(index(firstPendingRow() + first, 0), index(movedEnd - 1, ColumnCount - 1));
    });
    m_sessionConnections << connect(s, &EditSession::appendsAboutToBeRemoved, this, [this](int first, int last) {
        if (!sessionApplies())
            return;
        const int end = firstPendingRow() + pendingRowCount();
        beginRemoveRows({}, end - (last - first + 1), end - 1);
    });
    m_sessionConnections << connect(s, &EditSession::appendsRemoved, this, [this](int first, int) {
        if (!sessionApplies())
            return;
        endRemoveRows();
        const int end = firstPendingRow() + pendingRowCount();
        if (firstPendingRow() + first < end)
            Q_EMIT dataChanged(index(firstPendingRow() + first, 0), index(end - 1, ColumnCount - 1));
    });
    m_sessionConnections << connect(s, &EditSession::deletionMarksChanged, this, &SlotTableModel::marksChanged);
    m_sessionConnections << connect(s, &EditSession::sessionAboutToBeReset, this, [this] { beginResetModel(); });
    m_sessionConnections << connect(s, &EditSession::sessionReset, this, [this] { endResetModel(); });
    m_sessionConnections << connect(s, &QObject::destroyed, this, [this] {
        beginResetModel();
        m_session = nullptr;
        m_sessionConnections.clear();
        endResetModel();
    });
}

void SlotTableModel::marksChanged(const QList<uint32_t> &slotList)
{
    if (!sessionApplies() || slotList.isEmpty())
        return;
    // One signal for the span: a selection of thousands of rows marked at
    // once must not cost thousands of signals through the proxy.
    uint32_t lo = UINT32_MAX;
    uint32_t hi = 0;
    for (uint32_t slot : slotList) {
        if (slot >= m_committed)
            continue;
        lo = std::min(lo, slot);
        hi = std::max(hi, slot);
    }
    if (lo <= hi)
        Q_EMIT dataChanged(index(int(lo), 0), index(int(hi), ColumnCount - 1));
}

bool SlotTableModel::sessionApplies() const
{
    return m_session && m_shard && m_session->shard() == m_shard;
}

int SlotTableModel::pendingRowCount() const
{
    return sessionApplies() ? int(m_session->pendingAppends().size()) : 0;
}

uint32_t SlotTableModel::pendingSlotAt(int row) const
{
    return m_session->pendingSlot(row - firstPendingRow());
}

Entry SlotTableModel::pendingEntryAt(int row) const
{
    const int i = row - firstPendingRow();
    const auto &a = m_session->pendingAppends()[i];
    return Entry {a.key, uint32_t(m_session->pendingOffset(i)), uint32_t(a.data.size())};
}

const QByteArray &SlotTableModel::pendingData(int row) const
{
    return m_session->pendingAppends()[row - firstPendingRow()].data;
}

void SlotTableModel::findUncommitted()
{
    // Blank slots are the table's pre-sized, never-written space; anything
    // else past table_len is an append the writer did not commit.
    const uint32_t capacity = m_shard->capacity();
    for (uint32_t slot = m_committed; slot < capacity; ++slot) {
        if (!slotEntry(slot).isBlank())
            m_uncommitted.push_back(slot);
    }
}

void SlotTableModel::findOverlaps()
{
    m_overlapping.assign(m_committed, false);
    // An empty range shares no byte with anything.
    auto hasRange = [this](const Entry &e) { return !e.isTombstone() && e.len != 0 && inPack(e); };

    // Appends land in slot order, so the ranges usually come sorted by
    // offset already; only a shard that was written out of order (or
    // damaged) pays for a sorted copy of its slot numbers.
    bool inOrder = true;
    uint32_t lastBegin = 0;
    for (uint32_t slot = 0; slot < m_committed && inOrder; ++slot) {
        const Entry e = slotEntry(slot);
        if (!hasRange(e))
            continue;
        inOrder = e.offset >= lastBegin;
        lastBegin = e.offset;
    }
    std::vector<uint32_t> order;
    if (!inOrder) {
        for (uint32_t slot = 0; slot < m_committed; ++slot) {
            if (hasRange(slotEntry(slot)))
                order.push_back(slot);
        }
        std::sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
            const uint32_t oa = slotEntry(a).offset;
            const uint32_t ob = slotEntry(b).offset;
            return oa != ob ? oa < ob : a < b;
        });
    }

    // In order of start, a range overlaps an earlier one exactly when it
    // starts before the furthest end seen so far, and a later one exactly
    // when the next range starts before it ends.
    bool first = true;
    uint32_t prevSlot = 0;
    uint64_t prevEnd = 0;
    uint64_t furthestEnd = 0;
    uint32_t furthestSlot = 0;
    auto mark = [this](uint32_t slot, uint32_t partner) {
        if (m_overlapping[slot])
            return;
        m_overlapping[slot] = true;
        m_overlapPartners.emplace_back(slot, partner);
    };
    auto visit = [&](uint32_t slot, const Entry &e) {
        if (!first) {
            if (e.offset < prevEnd)
                mark(prevSlot, slot);
            if (e.offset < furthestEnd)
                mark(slot, furthestSlot);
        }
        first = false;
        prevSlot = slot;
        prevEnd = e.end();
        if (e.end() > furthestEnd) {
            furthestEnd = e.end();
            furthestSlot = slot;
        }
    };
    if (inOrder) {
        for (uint32_t slot = 0; slot < m_committed; ++slot) {
            const Entry e = slotEntry(slot);
            if (hasRange(e))
                visit(slot, e);
        }
    } else {
        for (uint32_t slot : order)
            visit(slot, slotEntry(slot));
    }
    std::sort(m_overlapPartners.begin(), m_overlapPartners.end());
}

std::optional<uint32_t> SlotTableModel::overlapPartner(uint32_t slot) const
{
    const auto it
        = std::lower_bound(m_overlapPartners.begin(), m_overlapPartners.end(), std::pair<uint32_t, uint32_t>(slot, 0));
    if (it == m_overlapPartners.end() || it->first != slot)
        return std::nullopt;
    return it->second;
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
    case SlotState::Uncommitted:
        return tr("uncommitted");
    case SlotState::PendingAppend:
        return tr("new (unsaved)");
    case SlotState::PendingDelete:
        return tr("deleting (unsaved)");
    }
    return {};
}

int SlotTableModel::rowCount(const QModelIndex &parent) const
{
    // The capacity of a table file of at most 4 GiB is below 2^27, so the
    // count always fits an int.
    return parent.isValid() || !m_shard ? 0 : int(m_committed + m_uncommitted.size()) + pendingRowCount();
}

int SlotTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

Entry SlotTableModel::shardEntry(uint32_t slot) const
{
    return m_shard->entry(slot);
}

bool SlotTableModel::inPack(const Entry &entry) const
{
    // A bounds check, not a read: constant time, and no error text built.
    return entry.end() <= m_packSize;
}

SlotTableModel::Damage SlotTableModel::damageAt(int row) const
{
    if (row >= int(m_committed))
        return Damage::None;
    const Entry entry = slotEntry(uint32_t(row));
    if (entry.isTombstone())
        return Damage::None;
    if (!inPack(entry))
        return Damage::OutOfBounds;
    if (entry.key.isZero())
        return Damage::ZeroKey;
    if (m_overlapping[size_t(row)])
        return Damage::Overlap;
    return Damage::None;
}

SlotTableModel::SlotState SlotTableModel::stateAt(int row) const
{
    if (row >= int(m_committed))
        return row >= firstPendingRow() ? SlotState::PendingAppend : SlotState::Uncommitted;
    if (m_session && sessionApplies() && m_session->isMarkedForDeletion(uint32_t(row)))
        return SlotState::PendingDelete;
    const Entry entry = slotEntry(uint32_t(row));
    if (entry.isTombstone())
        return SlotState::Tombstone;
    if (!inPack(entry) || entry.key.isZero() || m_overlapping[size_t(row)])
        return SlotState::Damaged;
    return SlotState::Live;
}

bool SlotTableModel::hasBytes(const Entry &entry, SlotState state, Damage damage) const
{
    if (state == SlotState::Tombstone || damage == Damage::OutOfBounds)
        return false;
    // An uncommitted slot may be a tombstone or point anywhere.
    return !entry.isTombstone() && inPack(entry);
}

ContentKind SlotTableModel::contentKindAt(int row) const
{
    if (row >= firstPendingRow()) {
        // Staged bytes are in memory; sniffing them again is cheap.
        const QByteArray &data = pendingData(row);
        return sniffContent(
            QByteArrayView(data).first(std::min<qsizetype>(data.size(), kSniffSampleSize)), qint64(data.size()))
            .kind;
    }
    ContentKind &cached = m_kinds[size_t(row)];
    if (cached != ContentKind::Unknown)
        return cached;
    const Entry entry = entryAt(row);
    if (entry.isTombstone() || !inPack(entry))
        return ContentKind::Unknown;
    const auto bytes = m_shard->data(entry);
    if (!bytes)
        return ContentKind::Unknown;
    const auto n = std::min<qsizetype>(qsizetype(bytes->size()), kSniffSampleSize);
    cached = sniffContent(QByteArrayView(bytes->data(), n), qint64(entry.len)).kind;
    return cached;
}

int SlotTableModel::rowForSlot(uint32_t slot) const
{
    if (!m_shard)
        return -1;
    if (slot < m_committed)
        return int(slot);
    const auto it = std::lower_bound(m_uncommitted.begin(), m_uncommitted.end(), slot);
    if (it != m_uncommitted.end() && *it == slot)
        return int(m_committed + size_t(it - m_uncommitted.begin()));
    // A staged append's future slot, unless an uncommitted row has it now.
    const int pending = pendingRowCount();
    if (pending > 0 && slot >= m_session->pendingSlot(0) && slot - m_session->pendingSlot(0) < uint32_t(pending))
        return firstPendingRow() + int(slot - m_session->pendingSlot(0));
    return -1;
}

QVariant SlotTableModel::data(const QModelIndex &index, int role) const
{
    // An invalid index is a legitimate question (with the answer "nothing");
    // one of another model or out of range is a caller's bug, which
    // checkIndex() reports, and must not reach past the table.
    if (!m_shard || !index.isValid()
        || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};

    const int row = index.row();
    const uint32_t slot = slotAt(row);
    const bool pending = row >= firstPendingRow();
    const Entry entry = pending ? pendingEntryAt(row) : slotEntry(slot);

    switch (role) {
    case Qt::DisplayRole:
        return displayData(entry, row, index.column(), slot);
    case Qt::ToolTipRole:
        return toolTip(entry, stateAt(row), damageAt(row), slot);
    case Qt::TextAlignmentRole:
        if (index.column() == SlotColumn || (index.column() >= OffsetColumn && index.column() <= EndColumn))
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case SlotRole:
        return slot;
    case StateRole:
        return int(stateAt(row));
    case SortRole:
        return sortData(entry, row, index.column(), slot);
    case ContentKindRole:
        return int(contentKindAt(row));
    case PendingIndexRole:
        return pending ? row - firstPendingRow() : -1;
    case Qt::FontRole: {
        const SlotState state = stateAt(row);
        if (state != SlotState::PendingAppend && state != SlotState::PendingDelete)
            return {};
        QFont font;
        font.setItalic(state == SlotState::PendingAppend);
        font.setStrikeOut(state == SlotState::PendingDelete);
        return font;
    }
    case DefinitionRole:
    case PreviewRole: {
        if (pending) {
            const QByteArray &data = pendingData(row);
            if (role == DefinitionRole) {
                const auto n = std::min<qsizetype>(data.size(), kSniffSampleSize);
                return sniffContent(QByteArrayView(data).first(n), qint64(data.size())).definition;
            }
            return data.left(kPreviewLimit);
        }
        if (!hasBytes(entry, stateAt(row), damageAt(row)))
            return {};
        const auto bytes = m_shard->data(entry);
        if (!bytes)
            return {};
        if (role == DefinitionRole) {
            // Only the selected row asks: sniff afresh, since the full answer
            // (a shebang's interpreter) is more than the cached kind.
            const auto n = std::min<qsizetype>(qsizetype(bytes->size()), kSniffSampleSize);
            return sniffContent(QByteArrayView(bytes->data(), n), qint64(entry.len)).definition;
        }
        const auto n = std::min<qsizetype>(qsizetype(bytes->size()), kPreviewLimit);
        return QByteArray(reinterpret_cast<const char *>(bytes->data()), n);
    }
    default:
        return {};
    }
}

QVariant SlotTableModel::displayData(const Entry &entry, int row, int column, uint32_t slot) const
{
    const bool tombstone = entry.isTombstone();
    switch (column) {
    case SlotColumn:
        return slot;
    case StateColumn:
        return stateName(stateAt(row));
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
    case TypeColumn:
        return contentKindName(contentKindAt(row));
    }
    return {};
}

QVariant SlotTableModel::sortData(const Entry &entry, int row, int column, uint32_t slot) const
{
    switch (column) {
    case SlotColumn:
        return slot;
    case StateColumn:
        return int(stateAt(row));
    case KeyColumn:
        return keyOrderString(entry.key);
    case OffsetColumn:
        return entry.offset;
    case LenColumn:
        return entry.len;
    case EndColumn:
        return qulonglong(entry.end());
    case TypeColumn:
        return int(contentKindAt(row));
    }
    return {};
}

QString SlotTableModel::toolTip(const Entry &entry, SlotState state, Damage damage, uint32_t slot) const
{
    QString tip;
    switch (state) {
    case SlotState::PendingAppend:
        tip = tr("Slot %1: a staged append, not yet written. Write Changes puts it here; Undo or Revert Changes "
                 "drops it.")
                  .arg(slot);
        break;
    case SlotState::PendingDelete:
        tip = tr("Slot %1: marked for deletion, not yet written. Write Changes turns it into a tombstone (its "
                 "bytes stay in the pack until compaction); Undo or Revert Changes keeps it.")
                  .arg(slot);
        break;
    case SlotState::Tombstone:
        return tr("Slot %1: tombstone (offset 0xffffffff); the entry was deleted and its pack bytes are unreferenced")
            .arg(slot);
    case SlotState::Uncommitted:
        tip = tr("Slot %1 lies past table_len (%2): an append that was never committed. Readers ignore it, "
                 "and the next append will overwrite it.")
                  .arg(slot)
                  .arg(m_committed);
        if (entry.isTombstone())
            return tip + QLatin1Char('\n') + tr("It holds a tombstone.");
        if (!inPack(entry))
            return tip + QLatin1Char('\n')
                + tr("Its range [%1, %2) lies outside the %3-byte pack.")
                      .arg(entry.offset)
                      .arg(entry.end())
                      .arg(m_packSize);
        break;
    case SlotState::Damaged:
        switch (damage) {
        case Damage::OutOfBounds: {
            const auto bytes = m_shard->data(entry);
            return tr("Slot %1: damaged: %2")
                .arg(slot)
                .arg(bytes ? QString() : QString::fromStdString(bytes.error().describe()));
        }
        case Damage::ZeroKey:
            tip = tr("Slot %1: damaged: the zero key is not a valid key; no lookup can find this entry.").arg(slot);
            break;
        case Damage::Overlap: {
            const auto other = overlapPartner(slot);
            tip = tr("Slot %1: damaged: its bytes overlap those of slot %2, so at least one of them no longer "
                     "holds what was stored (the reference writer's offset wrap-around after a tombstone).")
                      .arg(slot)
                      .arg(other ? QString::number(*other) : QStringLiteral("?"));
            break;
        }
        case Damage::None:
            break;
        }
        break;
    case SlotState::Live:
        break;
    }
    const QString where = tr("%1 bytes at pack offsets [%2, %3)\nKey %4")
                              .arg(entry.len)
                              .arg(entry.offset)
                              .arg(entry.end())
                              .arg(QString::fromStdString(entry.key.toHex()));
    return tip.isEmpty() ? tr("Slot %1: %2").arg(slot).arg(where) : tip + QLatin1Char('\n') + where;
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
        case TypeColumn:
            return tr("Type");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case SlotColumn:
            return tr("Index of the 32-byte slot in the table file");
        case StateColumn:
            return tr("live; tombstone (deleted); damaged (outside the pack, zero key, or overlapping another "
                      "entry); uncommitted (past table_len, never committed); new or deleting (staged edits, not "
                      "yet written)");
        case KeyColumn:
            return tr("The 24-byte key in hex, as stored; sorting follows the format's order (three little-endian "
                      "words, word 0 first)");
        case OffsetColumn:
            return tr("Where the entry's bytes start in the pack");
        case LenColumn:
            return tr("Length of the entry in bytes");
        case EndColumn:
            return tr("One past the entry's last pack byte (offset + len)");
        case TypeColumn:
            return tr("What the entry's first bytes look like");
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
    names.insert(ContentKindRole, "contentKind");
    names.insert(DefinitionRole, "definition");
    return names;
}

} // namespace shardscope
