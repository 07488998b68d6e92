// The shards of a store as a tree: the root shard at the top and each child
// shard ("ab", "ab/cd", ...) below its parent. Nothing is walked up front:
// a shard's children become rows when the view first expands it
// (canFetchMore/fetchMore), and a shard is opened, counted and closed again
// when its figures are first asked for, so a store of thousands of shards
// opens at once and never holds more than one of them open. A shard that
// cannot be opened is a row like the others, with the error as its tooltip.
// Showing a single shard instead of a store gives one row.
#pragma once

#include "shard_summary.h"

#include <QAbstractItemModel>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace shardscope {

class Shard;
class Store;

class StoreTreeModel : public QAbstractItemModel
{
    Q_OBJECT

public:
    enum Column { NameColumn, LiveColumn, TombstonesColumn, FillColumn, ColumnCount };
    Q_ENUM(Column)

    enum Role {
        // The shard's path relative to the store ("" for the root or a single
        // shard, "ab/cd" deeper): what Store::shard() and the app open.
        RelPathRole = Qt::UserRole + 1,
        // Why the shard (or its list of children) could not be read; empty
        // when it could.
        ErrorRole,
        // Numbers for the numeric columns (fill as a double), the path for
        // the name.
        SortRole,
        // Trie depth: 0 for the root.
        DepthRole,
    };

    explicit StoreTreeModel(QObject *parent = nullptr);
    ~StoreTreeModel() override;

    // The store must outlive the model or the next setStore()/clear().
    // Lists the root's children (one directory listing); opens nothing yet.
    void setStore(const Store *store);
    // One row for a shard that is not part of a store. Its figures are taken
    // now; the shard is not kept.
    void setShard(const Shard &shard, const QString &name = {});
    void clear();

    // The figures of the shard at `index`, counted on first use; nullptr
    // when it could not be opened.
    [[nodiscard]] const ShardSummary *summary(const QModelIndex &index) const;
    // The row of the shard at `relPath`, fetching the rows on the way; an
    // invalid index when there is no such shard.
    [[nodiscard]] QModelIndex indexForRelPath(const QString &relPath);

    [[nodiscard]] QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    [[nodiscard]] QModelIndex parent(const QModelIndex &child) const override;
    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] bool hasChildren(const QModelIndex &parent = {}) const override;
    [[nodiscard]] bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

private:
    struct Node;

    [[nodiscard]] Node *nodeOf(const QModelIndex &index) const;
    // Lists the names of a node's child shards (not their rows).
    void listChildren(Node &node) const;
    void count(const Node &node) const;

    const Store *m_store = nullptr;
    std::unique_ptr<Node> m_top; // the one top-level row, or none
    QString m_singleName; // the row's name when showing a single shard
};

} // namespace shardscope
