#include "edit_actions.h"

#include "append_dialog.h"
#include "delete_dialog.h"
#include "edit_session.h"
#include "shard.h"
#include "slot_table_model.h"

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
        if (m_session && m_session->hasChanges()
            && QMessageBox::question(m_window, tr("Revert Changes"),
                   tr("Drop all staged changes? Nothing has been written to the shard yet."))
                == QMessageBox::Yes)
            m_session->revert();
    });
    connect(undo, &QAction::triggered, this, [this] {
        if (m_session)
            m_session->undoStack()->undo();
    });
    connect(redo, &QAction::triggered, this, [this] {
        if (m_session)
            m_session->undoStack()->redo();
    });
    connect(compact, &QAction::triggered, this, [this] {
        if (settlePendingChanges(tr("compacting")))
            Q_EMIT compactRequested();
    });
    connect(compareGenerations, &QAction::triggered, this, &EditActions::compareGenerationsRequested);
    updateActions();
}

EditSession *EditActions::session() const
{
    return m_session;
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
        m_sessionConnections << connect(stack, &QUndoStack::indexChanged, this, &EditActions::updateActions);
    }
    updateActions();
}

void EditActions::updateActions()
{
    const bool editing = m_session != nullptr;
    const bool pending = editing && m_session->hasChanges();
    editMode->setChecked(editing);
    for (QAction *a : {append, remove, compact})
        a->setEnabled(editing);
    write->setEnabled(pending);
    revert->setEnabled(pending);
    QUndoStack *stack = editing ? m_session->undoStack() : nullptr;
    undo->setEnabled(stack && stack->canUndo());
    redo->setEnabled(stack && stack->canRedo());
    undo->setText(stack && stack->canUndo() ? tr("&Undo %1").arg(stack->undoText()) : tr("&Undo"));
    redo->setText(stack && stack->canRedo() ? tr("&Redo %1").arg(stack->redoText()) : tr("&Redo"));
}

void EditActions::toggleEditMode(bool on)
{
    // The check mark follows the application's answer, not the click.
    editMode->setChecked(m_session != nullptr);
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
    if (!m_session || !m_session->hasChanges())
        return true;
    const auto answer = QMessageBox::warning(m_window, tr("Staged Changes"),
        tr("There are staged changes that are not written yet. Write them before %1?").arg(action),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel)
        return false;
    if (answer == QMessageBox::Discard) {
        m_session->revert();
        return true;
    }
    Q_EMIT writeRequested();
    // A failed write keeps the changes staged (and has said why).
    return !m_session || !m_session->hasChanges();
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

} // namespace shardscope
