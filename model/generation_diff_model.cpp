#include "generation_diff_model.h"

namespace shardscope {

namespace {

unsigned kindBit(DiffKind kind)
{
    return 1u << unsigned(kind);
}

unsigned allKinds()
{
    unsigned bits = 0;
    for (int k = 0; k < kDiffKindCount; ++k)
        bits |= kindBit(DiffKind(k));
    return bits;
}

// As in the slot table: the string order of three 16-digit words is the
// format's key order.
QString keyOrderString(const Key &key)
{
    QString s;
    s.reserve(48);
    for (int i = 0; i < 3; ++i)
        s += QStringLiteral("%1").arg(qulonglong(key.word(i)), 16, 16, QLatin1Char('0'));
    return s;
}

QString lenText(const DiffEntry &entry)
{
    if (entry.oldSlot && entry.newSlot && entry.oldSlot->len != entry.newSlot->len)
        return QStringLiteral("%1 \u2192 %2").arg(entry.oldSlot->len).arg(entry.newSlot->len);
    const auto &side = entry.newSlot ? entry.newSlot : entry.oldSlot;
    return side ? QString::number(side->len) : QString();
}

} // namespace

GenerationDiffModel::GenerationDiffModel(QObject *parent)
    : QAbstractTableModel(parent), m_visibleKinds(allKinds() & ~kindBit(DiffKind::Unchanged))
{ }

void GenerationDiffModel::setDiff(GenerationDiff diff)
{
    beginResetModel();
    m_diff = std::move(diff);
    m_hasDiff = true;
    rebuildRows();
    endResetModel();
}

void GenerationDiffModel::clear()
{
    beginResetModel();
    m_diff = {};
    m_hasDiff = false;
    m_rows.clear();
    endResetModel();
}

void GenerationDiffModel::setKindVisible(DiffKind kind, bool visible)
{
    const unsigned kinds = visible ? (m_visibleKinds | kindBit(kind)) : (m_visibleKinds & ~kindBit(kind));
    if (kinds == m_visibleKinds)
        return;
    beginResetModel();
    m_visibleKinds = kinds;
    rebuildRows();
    endResetModel();
    Q_EMIT visibleKindsChanged();
}

bool GenerationDiffModel::isKindVisible(DiffKind kind) const
{
    return (m_visibleKinds & kindBit(kind)) != 0;
}

void GenerationDiffModel::rebuildRows()
{
    m_rows.clear();
    for (size_t i = 0; i < m_diff.entries.size(); ++i) {
        if (isKindVisible(m_diff.entries[i].kind))
            m_rows.push_back(i);
    }
}

QString GenerationDiffModel::kindName(DiffKind kind)
{
    switch (kind) {
    case DiffKind::Added:
        return tr("added");
    case DiffKind::Removed:
        return tr("removed");
    case DiffKind::Moved:
        return tr("moved");
    case DiffKind::Changed:
        return tr("changed");
    case DiffKind::Unchanged:
        return tr("unchanged");
    case DiffKind::Damaged:
        return tr("damaged");
    }
    return {};
}

QString GenerationDiffModel::summary() const
{
    if (!m_hasDiff)
        return {};
    QStringList parts;
    for (int k = 0; k < kDiffKindCount; ++k) {
        const auto kind = DiffKind(k);
        // Damaged is news only when there is some.
        if (kind == DiffKind::Damaged && m_diff.count(kind) == 0)
            continue;
        parts << QStringLiteral("%1 %2").arg(m_diff.count(kind)).arg(kindName(kind));
    }
    return parts.join(QStringLiteral(", "));
}

int GenerationDiffModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int GenerationDiffModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GenerationDiffModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const DiffEntry &entry = entryAt(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return displayData(entry, index.column());
    case Qt::ToolTipRole:
        return toolTip(entry);
    case Qt::TextAlignmentRole:
        if (index.column() == KindColumn || index.column() == KeyColumn)
            return {};
        return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
    case KindRole:
        return int(entry.kind);
    case SortRole:
        return sortData(entry, index.column());
    case EntryIndexRole:
        return int(m_rows[size_t(index.row())]);
    default:
        return {};
    }
}

QVariant GenerationDiffModel::displayData(const DiffEntry &entry, int column) const
{
    switch (column) {
    case KindColumn:
        return kindName(entry.kind);
    case KeyColumn:
        return QString::fromStdString(entry.key.toHex());
    case OldSlotColumn:
        return entry.oldSlot ? QVariant(entry.oldSlot->slot) : QVariant();
    case OldOffsetColumn:
        return entry.oldSlot ? QVariant(entry.oldSlot->offset) : QVariant();
    case NewSlotColumn:
        return entry.newSlot ? QVariant(entry.newSlot->slot) : QVariant();
    case NewOffsetColumn:
        return entry.newSlot ? QVariant(entry.newSlot->offset) : QVariant();
    case LenColumn:
        return lenText(entry);
    }
    return {};
}

QVariant GenerationDiffModel::sortData(const DiffEntry &entry, int column) const
{
    auto side = [](const std::optional<DiffSlot> &s, auto field) { return s ? qint64(field(*s)) : qint64(-1); };
    switch (column) {
    case KindColumn:
        return int(entry.kind);
    case KeyColumn:
        return keyOrderString(entry.key);
    case OldSlotColumn:
        return side(entry.oldSlot, [](const DiffSlot &s) { return s.slot; });
    case OldOffsetColumn:
        return side(entry.oldSlot, [](const DiffSlot &s) { return s.offset; });
    case NewSlotColumn:
        return side(entry.newSlot, [](const DiffSlot &s) { return s.slot; });
    case NewOffsetColumn:
        return side(entry.newSlot, [](const DiffSlot &s) { return s.offset; });
    case LenColumn:
        return entry.newSlot ? qint64(entry.newSlot->len)
                             : side(entry.oldSlot, [](const DiffSlot &s) { return s.len; });
    }
    return {};
}

QString GenerationDiffModel::toolTip(const DiffEntry &entry) const
{
    auto where = [](uint32_t gen, const std::optional<DiffSlot> &s) {
        if (!s)
            return tr("not in generation %1").arg(gen);
        return tr("generation %1: slot %2, %3 bytes at offset %4").arg(gen).arg(s->slot).arg(s->len).arg(s->offset);
    };
    QString tip;
    switch (entry.kind) {
    case DiffKind::Added:
        tip = tr("Live only in the new generation");
        break;
    case DiffKind::Removed:
        tip = tr("Live only in the old generation");
        break;
    case DiffKind::Moved:
        tip = tr("The same bytes in another slot or at another offset");
        break;
    case DiffKind::Changed:
        tip = tr("The same key with other bytes");
        break;
    case DiffKind::Unchanged:
        tip = tr("The same bytes in the same slot at the same offset");
        break;
    case DiffKind::Damaged:
        tip = tr("Cannot be compared: %1")
                  .arg(entry.problem ? QString::fromStdString(entry.problem->describe()) : QString());
        break;
    }
    return tip + QLatin1Char('\n') + where(m_diff.oldGeneration, entry.oldSlot) + QLatin1Char('\n')
        + where(m_diff.newGeneration, entry.newSlot);
}

QVariant GenerationDiffModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case KindColumn:
            return tr("Change");
        case KeyColumn:
            return tr("Key");
        case OldSlotColumn:
            return tr("Old slot");
        case OldOffsetColumn:
            return tr("Old offset");
        case NewSlotColumn:
            return tr("New slot");
        case NewOffsetColumn:
            return tr("New offset");
        case LenColumn:
            return tr("Len");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case KindColumn:
            return tr("added; removed; moved (same bytes, other slot or offset); changed (other bytes); unchanged; "
                      "damaged (range outside the pack or zero key)");
        case OldSlotColumn:
        case OldOffsetColumn:
            return tr("Where the entry was in generation %1").arg(m_diff.oldGeneration);
        case NewSlotColumn:
        case NewOffsetColumn:
            return tr("Where the entry is in generation %1").arg(m_diff.newGeneration);
        case LenColumn:
            return tr("Length in bytes; old \u2192 new when it changed");
        }
    }
    return {};
}

QHash<int, QByteArray> GenerationDiffModel::roleNames() const
{
    auto names = QAbstractTableModel::roleNames();
    names.insert(KindRole, "kind");
    names.insert(SortRole, "sortValue");
    names.insert(EntryIndexRole, "entryIndex");
    return names;
}

} // namespace shardscope
