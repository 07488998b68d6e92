#include "store_tree_model.h"

#include "shard.h"
#include "store.h"

#include <QLocale>

#include <algorithm>

namespace shardscope {

struct StoreTreeModel::Node {
    std::string relPath;
    int depth = 0;
    int row = 0;
    Node *parent = nullptr;

    // Listed when the node is made, so hasChildren() is exact without a row
    // per child; the rows come with fetchMore().
    std::vector<std::string> childNames;
    QString listError;
    std::vector<std::unique_ptr<Node>> children;
    bool fetched = false;

    // Counted on first use.
    mutable bool counted = false;
    mutable std::optional<ShardSummary> summary;
    mutable QString openError;
};

StoreTreeModel::StoreTreeModel(QObject *parent) : QAbstractItemModel(parent)
{ }

StoreTreeModel::~StoreTreeModel() = default;

void StoreTreeModel::clear()
{
    beginResetModel();
    m_store = nullptr;
    m_top.reset();
    endResetModel();
}

void StoreTreeModel::setStore(const Store *store)
{
    beginResetModel();
    m_store = store;
    m_top.reset();
    if (store) {
        m_top = std::make_unique<Node>();
        listChildren(*m_top);
    }
    endResetModel();
}

void StoreTreeModel::setShard(const Shard &shard, const QString &name)
{
    beginResetModel();
    m_store = nullptr;
    m_top = std::make_unique<Node>();
    m_top->fetched = true;
    m_top->counted = true;
    m_top->summary = ShardSummary::fromShard(shard);
    // For the one row the name is the shard's directory; its path in a store
    // (empty) would say nothing.
    QString label = name;
    if (label.isEmpty()) {
        const QString path = QString::fromStdString(shard.path());
        label = path.section(QLatin1Char('/'), -1, -1, QString::SectionSkipEmpty);
    }
    m_singleName = label;
    endResetModel();
}

void StoreTreeModel::listChildren(Node &node) const
{
    auto names = m_store->children(node.relPath);
    if (!names) {
        node.listError = QString::fromStdString(names.error().describe());
        return;
    }
    node.childNames = std::move(*names);
}

void StoreTreeModel::count(const Node &node) const
{
    if (node.counted)
        return;
    node.counted = true;
    if (!m_store)
        return;
    // Opened, counted and closed: the figures are all that stays.
    auto shard = m_store->openShardReadOnly(node.relPath);
    if (!shard) {
        node.openError = QString::fromStdString(shard.error().describe());
        return;
    }
    node.summary = ShardSummary::fromShard(*shard);
}

const ShardSummary *StoreTreeModel::summary(const QModelIndex &index) const
{
    const Node *node = nodeOf(index);
    if (!node)
        return nullptr;
    count(*node);
    return node->summary ? &*node->summary : nullptr;
}

StoreTreeModel::Node *StoreTreeModel::nodeOf(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this)
        return nullptr;
    return static_cast<Node *>(index.internalPointer());
}

QModelIndex StoreTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid()) {
        if (row != 0 || !m_top)
            return {};
        return createIndex(0, column, m_top.get());
    }
    const Node *node = nodeOf(parent);
    if (!node || parent.column() != 0 || row >= int(node->children.size()))
        return {};
    return createIndex(row, column, node->children[size_t(row)].get());
}

QModelIndex StoreTreeModel::parent(const QModelIndex &child) const
{
    const Node *node = nodeOf(child);
    if (!node || !node->parent)
        return {};
    return createIndex(node->parent->row, 0, node->parent);
}

int StoreTreeModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return m_top ? 1 : 0;
    const Node *node = nodeOf(parent);
    if (!node || parent.column() != 0)
        return 0;
    return int(node->children.size());
}

int StoreTreeModel::columnCount(const QModelIndex &parent) const
{
    // Only the first column has children, as QTreeView expects.
    return !parent.isValid() || parent.column() == 0 ? ColumnCount : 0;
}

bool StoreTreeModel::hasChildren(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return m_top != nullptr;
    const Node *node = nodeOf(parent);
    return node && parent.column() == 0 && !node->childNames.empty();
}

bool StoreTreeModel::canFetchMore(const QModelIndex &parent) const
{
    const Node *node = nodeOf(parent);
    return node && parent.column() == 0 && !node->fetched && !node->childNames.empty();
}

void StoreTreeModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    Node *node = nodeOf(parent);
    node->fetched = true;
    std::vector<std::unique_ptr<Node>> made;
    made.reserve(node->childNames.size());
    for (const std::string &name : node->childNames) {
        auto child = std::make_unique<Node>();
        child->relPath = node->relPath.empty() ? name : node->relPath + '/' + name;
        child->depth = node->depth + 1;
        child->row = int(made.size());
        child->parent = node;
        listChildren(*child);
        made.push_back(std::move(child));
    }
    beginInsertRows(parent, 0, int(made.size()) - 1);
    node->children = std::move(made);
    endInsertRows();
}

QModelIndex StoreTreeModel::indexForRelPath(const QString &relPath)
{
    if (!m_top)
        return {};
    QModelIndex at = index(0, 0);
    if (relPath.isEmpty())
        return at;
    if (!m_store)
        return {};
    std::string path;
    for (const QString &part : relPath.split(QLatin1Char('/'))) {
        path += (path.empty() ? "" : "/") + part.toStdString();
        if (canFetchMore(at))
            fetchMore(at);
        const Node *node = nodeOf(at);
        const auto it = std::find_if(node->children.begin(), node->children.end(),
            [&](const std::unique_ptr<Node> &child) { return child->relPath == path; });
        if (it == node->children.end())
            return {};
        at = index(int(it - node->children.begin()), 0, at);
    }
    return at;
}

QVariant StoreTreeModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node &node = *nodeOf(index);
    const int column = index.column();

    switch (role) {
    case RelPathRole:
        return QString::fromStdString(node.relPath);
    case DepthRole:
        return node.depth;
    case Qt::TextAlignmentRole:
        if (column != NameColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        break;
    }

    if (column == NameColumn && (role == Qt::DisplayRole || role == SortRole)) {
        if (!m_store)
            return m_singleName;
        return node.relPath.empty() ? tr("root") : QString::fromStdString(node.relPath);
    }

    // Everything else needs the shard's figures.
    count(node);
    const QString error = !node.openError.isEmpty() ? node.openError : node.listError;
    if (role == ErrorRole)
        return error;
    if (role == Qt::ToolTipRole) {
        const QString where
            = node.relPath.empty() ? tr("Root shard") : tr("Child shard %1").arg(QString::fromStdString(node.relPath));
        if (!node.openError.isEmpty())
            return tr("%1 cannot be opened: %2").arg(where, node.openError);
        QString tip = node.summary ? where + QLatin1Char('\n') + node.summary->text() : where;
        if (!node.listError.isEmpty())
            tip += QLatin1Char('\n') + tr("Its child shards cannot be listed: %1").arg(node.listError);
        return tip;
    }
    // A shard that cannot be opened says so in its row, not only in its tip:
    // "error" where its figures would start, and why in the last column.
    if (!node.openError.isEmpty() && (column == LiveColumn || column == FillColumn)) {
        if (role == Qt::DisplayRole)
            return column == LiveColumn ? tr("error") : tr("cannot open");
        if (role == SortRole)
            return -1;
    }
    if (!node.summary || (role != Qt::DisplayRole && role != SortRole))
        return {};

    const ShardSummary &s = *node.summary;
    switch (column) {
    case LiveColumn:
        return s.live;
    case TombstonesColumn:
        return s.tombstones;
    case FillColumn:
        if (role == SortRole)
            return s.packFillPercent();
        // Slots reaching past the pack's end leave no meaningful share.
        if (s.packUsed > s.packSize)
            return tr("past end");
        return QStringLiteral("%1 %").arg(QLocale().toString(s.packFillPercent(), 'f', 1));
    default:
        return {};
    }
}

QVariant StoreTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return QAbstractItemModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Shard");
        case LiveColumn:
            return tr("Live");
        case TombstonesColumn:
            return tr("Tombstones");
        case FillColumn:
            return tr("Fill");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case NameColumn:
            return tr("The shard's place in the store: the hex of the content-ID bytes that lead to it");
        case LiveColumn:
            return tr("Committed slots holding an entry");
        case TombstonesColumn:
            return tr("Committed slots whose entry was deleted");
        case FillColumn:
            return tr("Share of the pack below the next append offset");
        }
    }
    return {};
}

QHash<int, QByteArray> StoreTreeModel::roleNames() const
{
    auto names = QAbstractItemModel::roleNames();
    names.insert(RelPathRole, "relPath");
    names.insert(ErrorRole, "error");
    names.insert(SortRole, "sortValue");
    names.insert(DepthRole, "depth");
    return names;
}

} // namespace shardscope
