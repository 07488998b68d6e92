// Staged edits of one shard (EditSession) or of a store (StoreEditSession):
// what the user asked for and has not written yet, with undo and redo.
// Nothing here writes a file; the application hands changes() to
// storage's commitChanges / commitStoreChanges and then resets the session.
//
// Each staging step is checked when it is made, so that a refusal comes at
// the moment of asking, with a message naming the reason; storage's
// validateChanges checks the whole set again before anything is written.
//
// The sessions do not own the shard or store; whoever sets it keeps it alive
// and unchanged while the session refers to it (after a commit, call
// setShard / setStore again: that drops the stack).
//
// QUndoStack lives in QtGui; it is only forward-declared here so that the
// model library's users need not link QtGui unless they use the stack.
#pragma once

#include "shard_changes.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <optional>
#include <set>
#include <vector>

class QUndoStack;

namespace shardscope {

class EditSession : public QObject
{
    Q_OBJECT

public:
    struct PendingAppend {
        Key key;
        QByteArray data;
    };

    explicit EditSession(QObject *parent = nullptr);
    ~EditSession() override;

    // Drops every staged change and the undo history; nullptr ends editing.
    void setShard(const Shard *shard);
    [[nodiscard]] const Shard *shard() const { return m_shard; }
    [[nodiscard]] QUndoStack *undoStack() const { return m_stack; }

    // Why an append of `size` bytes under `key` would be refused now; empty
    // when it would be staged. For dialogs that check as the user types.
    [[nodiscard]] QString appendProblem(const Key &key, quint64 size) const;
    // Stages an append (one undo step). On refusal nothing changes and
    // `reason` (when given) says why: no shard, zero key, a live entry holds
    // the key (one marked for deletion does not: that is a replacement),
    // the key is already staged, or table or pack has no room for it.
    bool stageAppend(const Key &key, const QByteArray &data, QString *reason = nullptr);
    // Marks committed live slots for deletion, all in one undo step. Slots
    // already marked are skipped. Refused as a whole when a slot is not a
    // committed live entry, or repeats a key an earlier slot holds (a
    // delete goes by key and would hit that earlier slot), or when every
    // slot is already marked.
    bool stageDelete(const QList<uint32_t> &slotList, QString *reason = nullptr);
    // Unmarks slots (one undo step); false when none of them was marked.
    bool unstageDelete(const QList<uint32_t> &slotList);
    // Drops the staged append at `index` (one undo step).
    bool unstageAppend(int index);
    // Drops every staged change as one undo step, so a hasty revert can be undone.
    void revert();

    [[nodiscard]] bool hasChanges() const { return !m_appends.isEmpty() || !m_deletes.empty(); }
    // Appends in staging order; deletes in slot order.
    [[nodiscard]] ShardChanges changes() const;
    // storage's validateChanges over changes(): empty when it accepts them.
    [[nodiscard]] QString validate() const;

    [[nodiscard]] const QList<PendingAppend> &pendingAppends() const { return m_appends; }
    // Where the staged append at `index` will land when written: slots
    // follow table_len and bytes follow the next pack offset, in staging order.
    [[nodiscard]] uint32_t pendingSlot(int index) const;
    [[nodiscard]] uint64_t pendingOffset(int index) const;
    [[nodiscard]] bool isMarkedForDeletion(uint32_t slot) const { return m_deletes.contains(slot); }
    [[nodiscard]] QList<uint32_t> markedForDeletion() const;
    // Room left after the staged appends.
    [[nodiscard]] quint64 freePackBytes() const;
    [[nodiscard]] quint64 freeTableSlots() const;
    [[nodiscard]] quint64 stagedBytes() const { return m_stagedBytes; }

    // "1.9 KiB" for undo texts and dialogs.
    [[nodiscard]] static QString sizeText(quint64 bytes);

Q_SIGNALS:
    // Any change of the staged set (after the finer signals below).
    void changesChanged();
    // Staged appends [first, last] are about to be inserted / were inserted,
    // and the same for removal, so a view can insert rows instead of resetting.
    void appendsAboutToBeInserted(int first, int last);
    void appendsInserted(int first, int last);
    void appendsAboutToBeRemoved(int first, int last);
    void appendsRemoved(int first, int last);
    // Slots marked or unmarked for deletion.
    void deletionMarksChanged(const QList<uint32_t> &slotList);
    // setShard: everything staged is gone at once.
    void sessionAboutToBeReset();
    void sessionReset();

private:
    class AppendCommand;
    class UnstageAppendCommand;
    class DeleteCommand;
    class RevertCommand;
    friend class AppendCommand;
    friend class UnstageAppendCommand;
    friend class DeleteCommand;
    friend class RevertCommand;

    // The primitive edits the commands make; each emits its signals.
    void insertAppend(int index, const PendingAppend &append);
    void removeAppend(int index);
    void setMarks(const QList<uint32_t> &slotList, bool marked);
    void replaceAll(const QList<PendingAppend> &appends, const std::set<uint32_t> &deletes);
    [[nodiscard]] QString deleteProblem(uint32_t slot) const;

    const Shard *m_shard = nullptr;
    QUndoStack *m_stack = nullptr;
    QList<PendingAppend> m_appends;
    std::set<uint32_t> m_deletes;
    quint64 m_stagedBytes = 0;
    // Pack offset of each staged append, relative to the next offset.
    std::vector<uint64_t> m_relativeOffsets;
};

// Store mode: puts and removals by content ID. Where each lands (which
// shard, whether a child shard is created) is decided when writing.
class StoreEditSession : public QObject
{
    Q_OBJECT

public:
    struct PendingPut {
        ContentId cid;
        QByteArray data;
    };

    explicit StoreEditSession(QObject *parent = nullptr);
    ~StoreEditSession() override;

    // The store is asked whether a blob is there (Store::locate opens shards
    // on the way, hence not const). Drops staged changes and history.
    void setStore(Store *store);
    [[nodiscard]] Store *store() const { return m_store; }
    // The largest blob a put can place: a blob has to fit in one shard's
    // pack, and new children are sized like the root. 0 when unknown.
    [[nodiscard]] quint64 maxBlobSize() const;
    // Where Write Changes would take each staged removal from and put each
    // staged blob (placeStoreChanges: planned as the write plans it, nothing
    // written), or why the write would refuse the staged changes.
    [[nodiscard]] Result<std::vector<StorePlacement>> placements() const;
    // Where a put of `size` bytes as `cid` would land if it and the staged
    // changes were written now, in words ("shard 1c", "shard 05, a child
    // shard the write makes"), or why it would not; empty without a store.
    [[nodiscard]] QString placementOfPut(const ContentId &cid, quint64 size) const;
    [[nodiscard]] QUndoStack *undoStack() const { return m_stack; }

    // Refused: no store, already staged (as put or remove), or already in
    // the store (unless staged for removal: then it is a replacement), or
    // the store cannot be read.
    bool stagePut(const ContentId &cid, const QByteArray &data, QString *reason = nullptr);
    // Refused: no store, already staged for removal, not in the store (a
    // staged put is dropped with unstagePut instead), or the store cannot be read.
    bool stageRemove(const ContentId &cid, QString *reason = nullptr);
    bool unstagePut(int index);
    bool unstageRemove(const ContentId &cid);
    void revert();
    // After a store write that failed part way, in a session over the store
    // read again: stages again the removals of blobs still stored and the
    // puts of blobs not stored, and returns how many of them the write did
    // carry out. Why any other could not be staged again goes to `refused`.
    int stageUnwritten(const QList<PendingPut> &puts, const QList<ContentId> &removes, QStringList *refused);

    [[nodiscard]] bool hasChanges() const { return !m_puts.isEmpty() || !m_removes.isEmpty(); }
    [[nodiscard]] StoreChanges changes() const;
    [[nodiscard]] const QList<PendingPut> &pendingPuts() const { return m_puts; }
    [[nodiscard]] const QList<ContentId> &pendingRemoves() const { return m_removes; }
    [[nodiscard]] bool isMarkedForRemoval(const ContentId &cid) const { return m_removes.contains(cid); }

Q_SIGNALS:
    void changesChanged();

private:
    class SnapshotCommand;
    friend class SnapshotCommand;
    [[nodiscard]] QString lookup(const ContentId &cid, bool *stored) const;
    // The store write's plan for the staged changes and, if given, one put more.
    [[nodiscard]] Result<std::vector<StorePlacement>> plan(const std::optional<PlannedPut> &extra) const;
    // Every store edit is small; a command keeps the state before and after.
    void pushSnapshot(const QString &text, QList<PendingPut> puts, QList<ContentId> removes);
    void restore(const QList<PendingPut> &puts, const QList<ContentId> &removes);

    Store *m_store = nullptr;
    QUndoStack *m_stack = nullptr;
    QList<PendingPut> m_puts;
    QList<ContentId> m_removes;
};

} // namespace shardscope
