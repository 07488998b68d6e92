// The application side of the main window: it opens what the user asks for
// (read-only, through the storage library), builds the models and byte
// sources the window shows, runs the checker, and reopens everything when the
// files change. The window itself never touches a file.
#pragma once

#include "checker.h"
#include "pack_layout.h"
#include "shard.h"
#include "slot_table_model.h"
#include "store.h"

#include <QFileSystemWatcher>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

class QAbstractItemModel;

namespace shardscope {

class DiagnosticsModel;
class EditSession;
class StoreEditSession;
class MainWindow;
class StoreTreeModel;

class Browser : public QObject
{
    Q_OBJECT

public:
    explicit Browser(MainWindow &window, QObject *parent = nullptr);
    ~Browser() override;

    // Opens a shard or a store (a single shard is a store without
    // children) and shows its root shard. On failure the window shows the
    // checker's diagnostics of the path and `error` says why.
    bool open(const QString &path, QString *error = nullptr);
    // Shows the shard at relPath of the open store ("" is the root).
    bool showShard(const QString &relPath, QString *error = nullptr);
    void reload();

    [[nodiscard]] QString path() const { return m_path; }
    [[nodiscard]] QString currentShard() const { return m_relPath; }
    // The checker's report of the open location; empty while it runs.
    [[nodiscard]] const CheckReport &report() const { return m_report; }
    [[nodiscard]] bool checking() const { return m_checking; }
    // Runs the event loop until the check is done; false on timeout.
    bool waitForCheck(int timeoutMs = 60'000);
    [[nodiscard]] SlotTableModel &slotModel() { return m_slots; }

    // Edit mode: reopens the location for writing (taking each shard's
    // write lock as it is shown) and stages edits in a session; off reopens
    // it read-only. Staged changes must be settled first (the window asks).
    bool setEditMode(bool on, QString *error = nullptr);
    [[nodiscard]] bool editMode() const { return m_access == Store::Access::ReadWrite; }
    [[nodiscard]] EditSession *editSession() const { return m_session.get(); }
    [[nodiscard]] StoreEditSession *storeEditSession() const { return m_storeSession.get(); }
    // Commits the staged changes through the storage library's one write
    // path; on failure they stay staged and `error` says why.
    bool writeChanges(QString *error = nullptr);
    // Runs the compaction dialog for the shown shard (edit mode).
    void compact();
    // Creates a shard directory with an empty generation 0 and opens it.
    bool createShard(const QString &path, const ShardGeometry &geometry, QString *error = nullptr);
    void compareGenerations();
    // Says why a directory cannot become a new shard, or "".
    [[nodiscard]] static QString newShardProblem(const QString &path);
    // The generation whose table or pack is missing from an existing shard
    // directory (its MF names it; 0 without MF), or nullopt.
    [[nodiscard]] static std::optional<quint32> missingGeneration(const QString &path);
    // Creates the missing table and pack of the shard at path, then opens it.
    bool initialiseGeneration(const QString &path, const ShardGeometry &geometry, QString *error = nullptr);

Q_SIGNALS:
    void opened(const QString &path);
    void openFailed(const QString &path, const QString &error);
    void reloaded();
    void checkFinished();

private:
    struct Document;
    void runChecker();
    void finishCheck(quint64 run, CheckReport report);
    void watchFiles();
    void onFilesChanged();
    void onDiagnosticActivated(const QModelIndex &index);
    void releaseDocument();
    // Shows the document's current shard again after its files changed
    // under our own write (the views were let go before it).
    void presentShard();
    // Lets go of every view of the shard (before a write swaps its files).
    void withdrawShard();
    // Shows, in place of the shard at m_relPath, why it cannot be opened.
    void showShardProblem(const Error &openError);
    // The shown shard's directory (the location for the root), and the
    // window title naming it.
    [[nodiscard]] QString shardLocation() const;
    void showShardTitle();
    // Keeps the store tree's current row on the shard shown.
    void selectTreeRow(const QString &relPath);
    void startSession();
    bool writeStoreChanges(QString *error);
    // A commit, run on a thread while the window keeps painting and says
    // what it is writing (busy_dialog.h).
    void runWrite(const QString &label, const std::function<void()> &work);
    void newShard();
    void requestEditMode(bool on);
    void reportError(const QString &title, const QString &message);

    MainWindow &m_window;
    QString m_path;
    QString m_relPath;
    // Shared with the byte sources the window holds, so none outlives the
    // mappings it reads.
    std::shared_ptr<Document> m_doc;
    SlotTableModel m_slots;
    Store::Access m_access = Store::Access::ReadOnly;
    std::unique_ptr<EditSession> m_session;
    std::unique_ptr<StoreEditSession> m_storeSession;
    PackLayout m_layout;
    CheckReport m_report;
    bool m_checking = false;
    quint64 m_checkRun = 0;
    struct Checker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Checker> m_checkers;
    std::unique_ptr<StoreTreeModel> m_tree;
    std::unique_ptr<DiagnosticsModel> m_diagnostics;
    QFileSystemWatcher m_watcher;
    QTimer m_changeDelay;
};

} // namespace shardscope
