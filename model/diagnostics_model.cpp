#include "diagnostics_model.h"

#include <algorithm>
#include <tuple>

namespace shardscope {

namespace {

QString hexOffset(uint64_t offset)
{
    return QStringLiteral("0x%1").arg(qulonglong(offset), 0, 16);
}

} // namespace

DiagnosticsModel::DiagnosticsModel(QObject *parent) : QAbstractTableModel(parent)
{ }

void DiagnosticsModel::setReport(CheckReport report)
{
    beginResetModel();
    m_report = std::move(report);
    // A missing offset or slot sorts before any present one: a diagnostic
    // about the whole file comes before those about places in it.
    using Key = std::tuple<int, const std::string &, const std::string &, bool, uint64_t, bool, uint32_t>;
    auto key = [](const Diagnostic &d) {
        return Key(-int(d.severity), d.shard, d.file, d.offset.has_value(), d.offset.value_or(0), d.slot.has_value(),
            d.slot.value_or(0));
    };
    std::stable_sort(m_report.diagnostics.begin(), m_report.diagnostics.end(),
        [&](const Diagnostic &a, const Diagnostic &b) { return key(a) < key(b); });
    endResetModel();
}

void DiagnosticsModel::clear()
{
    setReport({});
}

QString DiagnosticsModel::severityText(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return tr("info");
    case Severity::Warning:
        return tr("warning");
    case Severity::Error:
        return tr("error");
    }
    return {};
}

int DiagnosticsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_report.diagnostics.size());
}

int DiagnosticsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DiagnosticsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Diagnostic &d = diagnosticAt(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return displayData(d, index.column());
    case Qt::ToolTipRole:
        return toolTip(d);
    case Qt::TextAlignmentRole:
        if (index.column() == OffsetColumn || index.column() == SlotColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case SeverityRole:
        return int(d.severity);
    case CodeRole:
        return QString::fromStdString(d.code);
    case FileRole:
        return QString::fromStdString(d.file);
    case OffsetRole:
        return d.offset ? QVariant(qulonglong(*d.offset)) : QVariant();
    case SlotRole:
        return d.slot ? QVariant(uint(*d.slot)) : QVariant();
    case OtherSlotRole:
        return d.otherSlot ? QVariant(uint(*d.otherSlot)) : QVariant();
    case ShardRole:
        return QString::fromStdString(d.shard);
    case SortRole:
        return sortData(d, index.column());
    default:
        return {};
    }
}

QVariant DiagnosticsModel::displayData(const Diagnostic &d, int column) const
{
    switch (column) {
    case SeverityColumn:
        return severityText(d.severity);
    case CodeColumn:
        return QString::fromStdString(d.code);
    case FileColumn:
        return QString::fromStdString(d.file);
    case OffsetColumn:
        return d.offset ? hexOffset(*d.offset) : QString();
    case SlotColumn:
        if (!d.slot)
            return QString();
        // Both halves of a pair, so the row says which two entries clash.
        return d.otherSlot ? tr("%1 / %2").arg(*d.slot).arg(*d.otherSlot) : QString::number(*d.slot);
    case MessageColumn:
        return QString::fromStdString(d.message);
    }
    return {};
}

QVariant DiagnosticsModel::sortData(const Diagnostic &d, int column) const
{
    switch (column) {
    case SeverityColumn:
        return int(d.severity);
    case OffsetColumn:
        return d.offset ? qlonglong(*d.offset) : qlonglong(-1);
    case SlotColumn:
        return d.slot ? qlonglong(*d.slot) : qlonglong(-1);
    default:
        return displayData(d, column);
    }
}

QString DiagnosticsModel::toolTip(const Diagnostic &d) const
{
    QString where;
    if (!d.file.empty()) {
        where = d.offset ? tr("%1 at byte %2 (%3)")
                               .arg(QString::fromStdString(d.file), hexOffset(*d.offset))
                               .arg(qulonglong(*d.offset))
                         : QString::fromStdString(d.file);
    } else {
        where = d.shard.empty() ? tr("the checked directory") : QString::fromStdString(d.shard);
    }
    QString tip
        = tr("%1 %2 in %3:\n%4")
              .arg(severityText(d.severity), QString::fromStdString(d.code), where, QString::fromStdString(d.message));
    if (d.slot && d.otherSlot)
        tip += QLatin1Char('\n') + tr("Slots %1 and %2").arg(*d.slot).arg(*d.otherSlot);
    else if (d.slot)
        tip += QLatin1Char('\n') + tr("Slot %1").arg(*d.slot);
    return tip;
}

QVariant DiagnosticsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case SeverityColumn:
            return tr("Severity");
        case CodeColumn:
            return tr("Code");
        case FileColumn:
            return tr("File");
        case OffsetColumn:
            return tr("Offset");
        case SlotColumn:
            return tr("Slot");
        case MessageColumn:
            return tr("Message");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case SeverityColumn:
            return tr("error: readers get wrong or no data; warning: suspicious but readable; info: worth knowing");
        case CodeColumn:
            return tr("A stable name for the kind of finding, the same as shardscope-cli check prints");
        case FileColumn:
            return tr("The file concerned, relative to the checked directory");
        case OffsetColumn:
            return tr("Byte offset in that file, in hex");
        case SlotColumn:
            return tr("The table slot concerned (and the other one of a pair)");
        case MessageColumn:
            return tr("What is wrong");
        }
    }
    return {};
}

QHash<int, QByteArray> DiagnosticsModel::roleNames() const
{
    auto names = QAbstractTableModel::roleNames();
    names.insert(SeverityRole, "severity");
    names.insert(CodeRole, "code");
    names.insert(FileRole, "file");
    names.insert(OffsetRole, "offset");
    names.insert(SlotRole, "slot");
    names.insert(OtherSlotRole, "otherSlot");
    names.insert(ShardRole, "shard");
    names.insert(SortRole, "sortValue");
    return names;
}

} // namespace shardscope
