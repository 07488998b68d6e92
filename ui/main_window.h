// The main window: the store tree on the left, the slot table in the centre,
// preview, hex and format views of the selected slot on the right, and the
// diagnostics and the pack map docked below. It is handed models and byte
// sources by the application and never opens a file itself; what the user
// asks for that needs files (open, reload, another shard) goes out as a signal.
#pragma once

#include "format_description.h"
#include "hex_source.h"
#include "hex_view.h"
#include "shard_summary.h"

#include <QMainWindow>

#include <memory>
#include <optional>

class QAbstractItemModel;
class QActionGroup;
class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QModelIndex;
class QSplitter;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QTreeView;

namespace KSyntaxHighlighting {
class Repository;
}

namespace shardscope {

class EditActions;
class EditSession;
class StoreEditSession;
class FormatView;
class PackLayout;
class PackMapWidget;
class PreviewPane;
class SlotFilterModel;
class SlotTableModel;

// Everything the window shows of one open shard. The pointers stay the
// application's and must outlive the window or be replaced first.
struct ShardPresentation {
    QString title; // the shard's place, for the window title
    SlotTableModel *slotModel = nullptr;
    ShardSummary summary;
    const PackLayout *packLayout = nullptr;
    ManifestDescription manifest;
    SlotContext slotContext;
    // The shard's files as they are on disk; null when missing.
    std::shared_ptr<const HexSource> manifestFile;
    std::shared_ptr<const HexSource> tableFile;
    std::shared_ptr<const HexSource> packFile;
    QString tableName; // "00000001.slot"
    QString packName;
};

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    // What the hex pane shows for the selected slot.
    enum class HexMode { Entry, Pack, Table, Manifest };
    Q_ENUM(HexMode)

    // The repository is the application's and must outlive the window.
    explicit MainWindow(KSyntaxHighlighting::Repository &repository, QWidget *parent = nullptr);
    ~MainWindow() override;

    // The store tree (one row for a single shard); null clears it.
    void setStoreModel(QAbstractItemModel *model);
    // Diagnostics of the open store or shard; null clears them.
    void setDiagnosticsModel(QAbstractItemModel *model);
    // A line over the diagnostics while they are being made; empty hides it.
    void setDiagnosticsStatus(const QString &text);
    void showShard(const ShardPresentation &shard);
    // Forgets the shard (before the application frees what it showed).
    void clearShard();
    // In place of the slot table: why the shard the tree points at cannot be
    // shown, so that the panes never show one shard under another's name.
    void showShardProblem(const QString &title, const QString &message);
    // Moves the store tree's current row to `index` (the shard now shown),
    // without asking for that shard again.
    void setCurrentShard(const QModelIndex &index);
    // The location as a whole (a store's root), for the title and recent list.
    void setLocation(const QString &path);
    void addRecentLocation(const QString &path);
    void showStatusMessage(const QString &message, int timeoutMs = 0);

    // Selects the slot in the table (showing its state's rows if they were
    // filtered out); false when the shard has no such slot.
    bool selectSlot(quint32 slot);
    [[nodiscard]] std::optional<quint32> selectedSlot() const;
    void setHexMode(HexMode mode);
    [[nodiscard]] HexMode hexMode() const { return m_hexMode; }
    // Shows the file in the hex pane with the cursor on `offset`.
    void showFileOffset(FormatFile file, quint64 offset);
    void selectRightTab(int index);
    void setAutoReload(bool on);
    [[nodiscard]] bool autoReload() const;

    // Edit mode: the session staging edits of the shown shard, or null when
    // the shard is open read-only. The session stays the application's.
    void setEditSession(EditSession *session);
    // Store mode's session (puts and removals by content ID), or null.
    void setStoreEditSession(StoreEditSession *session);
    [[nodiscard]] EditActions *editActions() const { return m_edit; }

    // For tests and the screenshot option.
    [[nodiscard]] QTableView *slotView() const { return m_table; }
    // The text shown in place of the slot table, or empty while it shows.
    [[nodiscard]] QString shardProblem() const;
    [[nodiscard]] SlotFilterModel *slotFilter() const { return m_proxy; }
    [[nodiscard]] QTreeView *storeView() const { return m_tree; }
    [[nodiscard]] QTableView *diagnosticsView() const { return m_diagnostics; }
    [[nodiscard]] HexView *hexView() const { return m_hex; }
    [[nodiscard]] PreviewPane *previewPane() const { return m_preview; }
    [[nodiscard]] FormatView *formatView() const { return m_format; }
    [[nodiscard]] PackMapWidget *packMap() const { return m_packMap; }
    [[nodiscard]] QString statusText() const;

    enum RightTab { PreviewTab, HexTab, FormatTab };

Q_SIGNALS:
    void openRequested(const QString &path);
    void reloadRequested();
    void autoReloadToggled(bool on);
    // A shard of the store tree was chosen ("" is the root).
    void shardActivated(const QString &relPath);
    // A diagnostics row was activated; the application may need another shard first.
    void diagnosticActivated(const QModelIndex &index);
    void slotSelected(quint32 slot);

protected:
    void showEvent(QShowEvent *event) override;
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createCentre();
    void createDocks();
    void createMenus();
    void rebuildRecentMenu();
    void chooseDirectory();
    void exportDefinition(bool kaitai);
    void showFormatGuide();
    void showAbout();
    void restoreSettings();
    void saveSettings() const;
    void sizeColumns();
    void fitTableWidth();
    void onCurrentSlotChanged(const QModelIndex &current);
    void updateHexPane();
    void setHexAnnotator(HexFieldAnnotator annotator);
    void updateFilterSummary();
    void findKey();
    void goToSlot();
    void updateEditStatus();
    // The bytes of the selected row when it is a staged append.
    [[nodiscard]] std::optional<QByteArray> stagedAppendBytes() const;

    KSyntaxHighlighting::Repository &m_repository;
    ShardPresentation m_shard;
    QString m_location;
    HexMode m_hexMode = HexMode::Entry;
    HexFieldAnnotator m_hexAnnotator;

    QSplitter *m_splitter = nullptr;
    QTreeView *m_tree = nullptr;
    QTableView *m_table = nullptr;
    QStackedWidget *m_tableStack = nullptr;
    QLabel *m_shardProblem = nullptr;
    SlotFilterModel *m_proxy = nullptr;
    QLineEdit *m_find = nullptr;
    QLineEdit *m_goTo = nullptr;
    QLabel *m_filterSummary = nullptr;
    QTabWidget *m_tabs = nullptr;
    PreviewPane *m_preview = nullptr;
    HexView *m_hex = nullptr;
    QComboBox *m_hexModeCombo = nullptr;
    QLabel *m_hexCaption = nullptr;
    FormatView *m_format = nullptr;
    QTableView *m_diagnostics = nullptr;
    QLabel *m_diagnosticsStatus = nullptr;
    PackMapWidget *m_packMap = nullptr;
    QLabel *m_summary = nullptr;
    QLabel *m_editStatus = nullptr;
    EditActions *m_edit = nullptr;
    QMenu *m_recentMenu = nullptr;
    QAction *m_autoReload = nullptr;
    QList<QAction *> m_stateActions;
    bool m_splitterRestored = false;
    bool m_fitTablePending = false;
};

} // namespace shardscope
