#include "main_window.h"

#include "preview_pane.h"
#include "shard_summary.h"
#include "slot_delegate.h"
#include "slot_table_model.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>

namespace shardscope {

namespace {
const auto kGeometryKey = QStringLiteral("MainWindow/geometry");
const auto kSplitterKey = QStringLiteral("MainWindow/splitter");
} // namespace

MainWindow::MainWindow(KSyntaxHighlighting::Repository &repository, QWidget *parent) : QMainWindow(parent)
{
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter->setChildrenCollapsible(false);

    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSortRole(SlotTableModel::SortRole);

    m_table = new QTableView(m_splitter);
    m_table->setObjectName(QStringLiteral("slotTable"));
    m_table->setItemDelegate(new SlotDelegate(m_table));
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    // Fixed row heights keep a 32768-row table from measuring every row.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    // No stretched last section: it would not shrink below the default
    // section size, and the splitter already gives the table its columns' width.
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(SlotTableModel::SlotColumn, Qt::AscendingOrder);

    m_preview = new PreviewPane(repository, m_splitter);
    m_preview->setObjectName(QStringLiteral("preview"));

    m_splitter->addWidget(m_table);
    m_splitter->addWidget(m_preview);
    // The table's columns have a natural width; a wider window widens the preview.
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    setCentralWidget(m_splitter);

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, m_preview,
        [this](const QModelIndex &current) { m_preview->showEntry(current); });
    // A reset moves the current index without a signal; drop what the pane shows.
    connect(m_proxy, &QAbstractItemModel::modelReset, m_preview, [this] { m_preview->showEntry({}); });

    // A permanent widget, so passing status tips do not wipe the summary.
    m_summary = new QLabel(statusBar());
    m_summary->setObjectName(QStringLiteral("summaryLabel"));
    statusBar()->addPermanentWidget(m_summary, 1);

    createMenus();
    restoreSettings();
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);
    // close(), not qApp->quit(): closing is what saves the window's settings.
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About ShardScope"));
    about->setMenuRole(QAction::AboutRole);
    connect(about, &QAction::triggered, this, &MainWindow::showAbout);
    QAction *aboutQt = help->addAction(tr("About &Qt"));
    aboutQt->setMenuRole(QAction::AboutQtRole);
    connect(aboutQt, &QAction::triggered, qApp, &QApplication::aboutQt);
}

void MainWindow::showShard(const QString &location, SlotTableModel *model, const ShardSummary &summary)
{
    m_proxy->setSourceModel(model);
    setWindowTitle(QDir::toNativeSeparators(location));
    m_summary->setText(summary.text());
    m_table->resizeColumnsToContents();
    // The splitter has its real width only once the window is laid out.
    m_fitTablePending = !m_splitterRestored;
    if (isVisible())
        fitTableWidth();
    // Start with an entry in the preview rather than an empty pane.
    if (m_proxy->rowCount() > 0)
        m_table->setCurrentIndex(m_proxy->index(0, SlotTableModel::SlotColumn));
    else
        m_preview->showEntry({});
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About ShardScope"),
        tr("<h3>ShardScope %1</h3>"
           "<p>A browser for on-disk blob-store shards: the manifest, the slot table "
           "and the pack of each generation.</p>"
           "<p>Shards are opened read-only.</p>")
            .arg(QApplication::applicationVersion().toHtmlEscaped()));
}

void MainWindow::restoreSettings()
{
    const QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        resize(1100, 640);
    m_splitterRestored = m_splitter->restoreState(settings.value(kSplitterKey).toByteArray());
    if (!m_splitterRestored)
        m_splitter->setSizes({700, 400});
}

void MainWindow::fitTableWidth()
{
    m_fitTablePending = false;
    // Give the table what its columns need, so that End is not cut off, as
    // long as the preview keeps a useful width; the user's own split wins.
    const int needed = m_table->horizontalHeader()->length() + 2 * m_table->frameWidth()
        + m_table->verticalScrollBar()->sizeHint().width();
    const int total = m_splitter->width();
    const int table = std::min(needed, total * 2 / 3);
    m_splitter->setSizes({table, total - table});
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kSplitterKey, m_splitter->saveState());
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    if (m_fitTablePending)
        fitTableWidth();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    QMainWindow::closeEvent(event);
}

} // namespace shardscope
