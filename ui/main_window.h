// The main window: the slot table of one shard, a preview of the selected
// entry and the shard's figures in the status bar. It is handed a model and a
// summary by the application and never opens anything itself.
#pragma once

#include <QMainWindow>

class QLabel;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;

namespace KSyntaxHighlighting {
class Repository;
}

namespace shardscope {

class PreviewPane;
class SlotTableModel;
struct ShardSummary;

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    // The repository is the application's and must outlive the window.
    explicit MainWindow(KSyntaxHighlighting::Repository &repository, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Shows `model`, which stays the caller's and must outlive the window or
    // be replaced first; `location` names the shard in the title.
    void showShard(const QString &location, SlotTableModel *model, const ShardSummary &summary);

protected:
    void showEvent(QShowEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void showAbout();
    void restoreSettings();
    void fitTableWidth();
    void saveSettings() const;

    QSplitter *m_splitter = nullptr;
    QTableView *m_table = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    PreviewPane *m_preview = nullptr;
    QLabel *m_summary = nullptr;
    bool m_splitterRestored = false;
    bool m_fitTablePending = false;
};

} // namespace shardscope
