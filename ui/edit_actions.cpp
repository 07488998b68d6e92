#include "edit_actions.h"

#include "append_dialog.h"
#include "delete_dialog.h"
#include "edit_session.h"
#include "put_blob_dialog.h"
#include "remove_blob_dialog.h"
#include "shard.h"
#include "slot_table_model.h"
#include "store_changes_dialog.h"

#include <QAbstractProxyModel>
#include <QAction>
#include <QItemSelectionModel>
#include <QMessageBox>
#include <QTableView>
#include <QUndoStack>

namespace shardscope {

EditActions::EditActions(KSyntaxHighlighting::Repository &repository, QWidget *window)
    : QObject(window), m_repository(repository), m_window(window)
{
    auto make = [this](const QString &text, const QKeySequence &shortcut, const QString &icon = {}) {
        auto *action = new QAction(icon.isEmpty() ? QIcon() : QIcon::fromTheme(icon), text, this);
        if (!shortcut.isEmpty())
            action->setShortcut(shortcut);
        return action;
    };
    editMode = make(tr("&Edit Mode"), QKeySequence(Qt::CTRL | Qt::Key_E));
    editMode->setCheckable(true);
    editMode->setObjectName(QStringLiteral("editModeAction"));
    editMode->setToolTip(tr("Open the shard for writing; changes are staged until you write them"));
    newShard = make(tr("&New Shard..."), QKeySequence::New, QStringLiteral("document-new"));
    append = make(tr("&Append Entry..."), QKeySequence(Qt::Key_Insert), QStringLiteral("list-add"));
    remove = make(tr("&Delete Entries..."), QKeySequence::Delete, QStringLiteral("list-remove"));
    write = make(tr("&Write Changes"), QKeySequence::Save, QStringLiteral("document-save"));
    revert = make(tr("Re&vert Changes"), QKeySequence(), QStringLiteral("document-revert"));
    undo = make(tr("&Undo"), QKeySequence::Undo, QStringLiteral("edit-undo"));
    redo = make(tr("&Redo"), QKeySequence::Redo, QStringLiteral("edit-redo"));
    compact = make(tr("&Compact Shard..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K));
    compareGenerations = make(tr("Compare &Generations..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));

    connect(editMode, &QAction::triggered, this, &EditActions::toggleEditMode);
    connect(newShard, &QAction::triggered, this, &EditActions::newShardRequested);
    connect(append, &QAction::triggered, this, &EditActions::appendEntry);
    connect(remove, &QAction::triggered, this, &EditActions::deleteSelected);
    connect(write, &QAction::triggered, this, &EditActions::writeRequested);
    connect(revert, &QAction::triggered, this, [this] {
        if (hasChanges()
            && QMessageBox::question(m_window, tr("Revert Changes"),
                   tr("Drop all staged changes? Nothing has been written to the shard yet."))
                == QMessageBox::Yes) {
            if (m_session)
                m_session->revert();
            if (m_storeSession)
                m_storeSession->revert();
        }
    });
    connect(undo, &QAction::triggered, this, [this] {
        if (QUndoStack *stack = activeStack())
            stack->undo();
    });
    connect(redo, &QAction::triggered, this, [this] {
        if (QUndoStack *stack = activeStack())
            stack->redo();
    });
    connect(compact, &QAction::triggered, this, [this] {
        if (settlePendingChanges(tr("compacting")))
            Q_EMIT compactRequested();
    });
    connect(compareGenerations, &QAction::triggered, this, &EditActions::compareGenerationsRequested);
    putBlobAction = make(tr("&Put Blob by Content ID..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    removeBlobAction = make(tr("Re&move Blob by Content ID..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M));
    storeChanges = make(tr("&Staged Store Changes..."), QKeySequence());
    connect(putBlobAction, &QAction::triggered, this, &EditActions::putBlob);
    connect(removeBlobAction, &QAction::triggered, this, &EditActions::removeBlob);
    connect(storeChanges, &QAction::triggered, this, &EditActions::showStoreChanges);
    updateActions();
}

EditSession *EditActions::session() const
{
    return m_session;
}

StoreEditSession *EditActions::storeSession() const
{
    return m_storeSession;
}

bool EditActions::hasChanges() const
{
    return (m_session && m_session->hasChanges()) || (m_storeSession && m_storeSession->hasChanges());
}

QUndoStack *EditActions::activeStack() const
{
    QUndoStack *shard = m_session ? m_session->undoStack() : nullptr;
    QUndoStack *store = m_storeSession ? m_storeSession->undoStack() : nullptr;
    if (store && m_lastStack == store)
        return store;
    return shard ? shard : store;
}

void EditActions::setStoreSession(StoreEditSession *session)
{
    for (const QMetaObject::Connection &c : std::as_const(m_storeConnections))
        disconnect(c);
    m_storeConnections.clear();
    m_storeSession = session;
    if (session) {
        m_storeConnections << connect(session, &StoreEditSession::changesChanged, this, &EditActions::updateActions);
        QUndoStack *stack = session->undoStack();
        m_storeConnections << connect(stack, &QUndoStack::indexChanged, this, [this, stack] {
            m_lastStack = stack;
            updateActions();
        });
    }
    updateActions();
}

void EditActions::setSlotView(QTableView *view)
{
    m_view = view;
}

void EditActions::setSession(EditSession *session)
{
    for (const QMetaObject::Connection &c : std::as_const(m_sessionConnections))
        disconnect(c);
    m_sessionConnections.clear();
    m_session = session;
    if (session) {
        m_sessionConnections << connect(session, &EditSession::changesChanged, this, &EditActions::updateActions);
        QUndoStack *stack = session->undoStack();
        m_sessionConnections << connect(stack, &QUndoStack::indexChanged, this, [this, stack] {
            m_lastStack = stack;
            updateActions();
        });
    }
    updateActions();
}

void EditActions::updateActions()
{
    const bool editing = m_session != nullptr;
    const bool pending = hasChanges();
    editMode->setChecked(editing || m_storeSession);
    for (QAction *a : {append, remove, compact})
        a->setEnabled(editing);
    for (QAction *a : {putBlobAction, removeBlobAction, storeChanges})
        a->setEnabled(m_storeSession != nullptr);
    write->setEnabled(pending);
    revert->setEnabled(pending);
    QUndoStack *stack = activeStack();
    undo->setEnabled(stack && stack->canUndo());
    redo->setEnabled(stack && stack->canRedo());
    undo->setText(stack && stack->canUndo() ? tr("&Undo %1").arg(stack->undoText()) : tr("&Undo"));
    redo->setText(stack && stack->canRedo() ? tr("&Redo %1").arg(stack->redoText()) : tr("&Redo"));
}

void EditActions::toggleEditMode(bool on)
{
    // The check mark follows the application's answer, not the click.
    editMode->setChecked(m_session || m_storeSession);
    if (on) {
        const auto answer = QMessageBox::question(m_window, tr("Edit Mode"),
            tr("Open this shard for writing?\n\nShardScope takes the shard's write lock, so no other ShardScope "
               "window (or other writer using the same lock) can write it meanwhile. Appends and deletes are "
               "staged and reach the disk only when you choose Write Changes (Ctrl+S); every write keeps the "
               "committed state intact until the new one is durable."),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Yes);
        if (answer == QMessageBox::Yes)
            Q_EMIT editModeRequested(true);
        return;
    }
    if (settlePendingChanges(tr("leaving edit mode")))
        Q_EMIT editModeRequested(false);
}

bool EditActions::settlePendingChanges(const QString &action)
{
    if (!hasChanges())
        return true;
    const auto answer = QMessageBox::warning(m_window, tr("Staged Changes"),
        tr("There are staged changes that are not written yet. Write them before %1?").arg(action),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel)
        return false;
    if (answer == QMessageBox::Discard) {
        if (m_session)
            m_session->revert();
        if (m_storeSession)
            m_storeSession->revert();
        return true;
    }
    Q_EMIT writeRequested();
    // A failed write keeps the changes staged (and has said why).
    return !hasChanges();
}

void EditActions::appendEntry()
{
    if (!m_session)
        return;
    QPointer<EditSession> session = m_session;
    // Present means a live entry not marked for deletion (deleting and
    // appending one key is a replacement), or an append already staged.
    auto keyExists = [session](const Key &key) {
        if (!session || !session->shard())
            return false;
        for (const EditSession::PendingAppend &a : session->pendingAppends()) {
            if (a.key == key)
                return true;
        }
        const std::optional<uint32_t> slot = session->shard()->find(key);
        return slot && !session->isMarkedForDeletion(*slot);
    };
    AppendDialog dialog(m_repository, keyExists, m_session->freePackBytes(),
        quint32(std::min<quint64>(m_session->freeTableSlots(), UINT32_MAX)), m_window);
    if (dialog.exec() != QDialog::Accepted || !session)
        return;
    QString why;
    if (!session->stageAppend(dialog.key(), dialog.data(), &why))
        QMessageBox::warning(m_window, tr("Append Entry"), why);
}

void EditActions::deleteSelected()
{
    if (!m_session || !m_view || !m_view->selectionModel())
        return;
    auto *proxy = qobject_cast<QAbstractProxyModel *>(m_view->model());
    auto *slots_ = proxy ? qobject_cast<SlotTableModel *>(proxy->sourceModel()) : nullptr;
    if (!slots_)
        return;
    QList<DeleteEntry> entries;
    QList<quint32> chosen;
    int skipped = 0;
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &index : rows) {
        const QModelIndex source = proxy->mapToSource(index);
        if (!source.isValid() || source.row() >= slots_->committedRowCount()
            || slots_->stateAt(source.row()) != SlotTableModel::SlotState::Live) {
            ++skipped;
            continue;
        }
        const Entry e = slots_->entryAt(source.row());
        entries.append(DeleteEntry {slots_->slotAt(source.row()), e.key, e.len});
        chosen.append(slots_->slotAt(source.row()));
    }
    if (entries.isEmpty()) {
        QMessageBox::information(m_window, tr("Delete Entries"),
            skipped ? tr("Only live committed entries can be deleted; the selection holds none. A staged append is "
                         "taken back with Undo.")
                    : tr("Select the entries to delete in the slot table first."));
        return;
    }
    DeleteDialog dialog(entries, m_window);
    if (dialog.exec() != QDialog::Accepted || !m_session)
        return;
    QString why;
    if (!m_session->stageDelete(chosen, &why))
        QMessageBox::warning(m_window, tr("Delete Entries"), why);
}

void EditActions::putBlob()
{
    if (!m_storeSession)
        return;
    QPointer<StoreEditSession> session = m_storeSession;
    PutBlobDialog dialog(
        [session](const ContentId &cid) -> QString {
            if (!session)
                return tr("Edit mode has ended.");
            for (const StoreEditSession::PendingPut &p : session->pendingPuts()) {
                if (p.cid == cid)
                    return tr("A put of this blob is already staged.");
            }
            return {};
        },
        m_window);
    // A larger file is refused unread.
    dialog.setMaxBlobSize(session->maxBlobSize());
    dialog.setPlacement([session](const ContentId &cid, quint64 size) {
        return session ? session->placementOfPut(cid, size) : QString();
    });
    if (dialog.exec() != QDialog::Accepted || !session)
        return;
    QString why;
    if (!session->stagePut(dialog.cid(), dialog.data(), &why))
        QMessageBox::warning(m_window, tr("Put Blob"), why);
}

void EditActions::removeBlob()
{
    if (!m_storeSession)
        return;
    QPointer<StoreEditSession> session = m_storeSession;
    RemoveBlobDialog dialog(
        [session](const ContentId &cid) -> QString {
            if (!session)
                return tr("Edit mode has ended.");
            return session->isMarkedForRemoval(cid) ? tr("already marked for removal") : QString();
        },
        m_window);
    if (dialog.exec() != QDialog::Accepted || !session)
        return;
    for (const ContentId &cid : dialog.cids()) {
        QString why;
        if (!session->stageRemove(cid, &why)) {
            QMessageBox::warning(m_window, tr("Remove Blob"), why);
            return;
        }
    }
}

void EditActions::showStoreChanges()
{
    if (!m_storeSession)
        return;
    StoreChangesDialog dialog(m_storeSession, m_window);
    dialog.exec();
}

} // namespace shardscope
