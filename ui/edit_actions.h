// The editing commands of the main window: edit mode, new shard, append,
// delete, write, revert, undo and redo, compaction and the generation diff.
// It stages edits in the EditSession it is given and runs the dialogs that
// need no file (append, delete); what needs the files (writing, compacting,
// creating a shard, reading old generations) goes out as a signal to the
// application, so the window still never touches a shard file.
#pragma once

#include <QObject>
#include <QPointer>

class QAction;
class QUndoStack;
class QTableView;
class QWidget;

namespace KSyntaxHighlighting {
class Repository;
}

namespace shardscope {

class EditSession;
class StoreEditSession;

class EditActions : public QObject
{
    Q_OBJECT

public:
    // The repository is the application's and must outlive this object; the
    // window parents the dialogs.
    EditActions(KSyntaxHighlighting::Repository &repository, QWidget *window);

    // The session of the shard shown in edit mode; null when read-only.
    void setSession(EditSession *session);
    [[nodiscard]] EditSession *session() const;
    // Store mode: puts and removals by content ID across the store's
    // shards; null when read-only.
    void setStoreSession(StoreEditSession *session);
    [[nodiscard]] StoreEditSession *storeSession() const;
    // Something is staged in either session.
    [[nodiscard]] bool hasChanges() const;
    // The slot table whose selected rows Delete stages.
    void setSlotView(QTableView *view);

    // When staged changes exist, asks whether to write them, discard them
    // or stay; true when the caller may go on (nothing is pending any more).
    bool settlePendingChanges(const QString &action);

    // Run the dialogs (also reached by the actions).
    void appendEntry();
    void deleteSelected();
    void putBlob();
    void removeBlob();
    void showStoreChanges();

    QAction *editMode = nullptr;
    QAction *newShard = nullptr;
    QAction *append = nullptr;
    QAction *remove = nullptr;
    QAction *write = nullptr;
    QAction *revert = nullptr;
    QAction *undo = nullptr;
    QAction *redo = nullptr;
    QAction *compact = nullptr;
    QAction *compareGenerations = nullptr;
    QAction *putBlobAction = nullptr;
    QAction *removeBlobAction = nullptr;
    QAction *storeChanges = nullptr;

Q_SIGNALS:
    // The user asked to enter (after confirming) or leave edit mode.
    void editModeRequested(bool on);
    void newShardRequested();
    // Staged changes are to be committed now; the application clears the
    // session when they are written.
    void writeRequested();
    void compactRequested();
    void compareGenerationsRequested();

private:
    void toggleEditMode(bool on);
    [[nodiscard]] QUndoStack *activeStack() const;
    void updateActions();

    KSyntaxHighlighting::Repository &m_repository;
    QWidget *m_window;
    QPointer<EditSession> m_session;
    QPointer<QTableView> m_view;
    QPointer<StoreEditSession> m_storeSession;
    QList<QMetaObject::Connection> m_storeConnections;
    // Undo and redo go to the stack that changed last.
    QPointer<QObject> m_lastStack;
    QList<QMetaObject::Connection> m_sessionConnections;
};

} // namespace shardscope
