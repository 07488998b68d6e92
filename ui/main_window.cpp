#include "main_window.h"

#include "edit_actions.h"
#include "edit_session.h"
#include "format_export.h"
#include "format_guide_dialog.h"
#include "format_view.h"
#include "hex_view.h"
#include "pack_layout.h"
#include "pack_map_widget.h"
#include "preview_pane.h"
#include "slot_delegate.h"
#include "slot_filter_model.h"
#include "slot_table_model.h"
#include "store_tree_model.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPersistentModelIndex>
#include <QSaveFile>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>

namespace shardscope {

namespace {

const auto kGeometryKey = QStringLiteral("MainWindow/geometry");
const auto kStateKey = QStringLiteral("MainWindow/state");
const auto kSplitterKey = QStringLiteral("MainWindow/splitter");
const auto kRecentKey = QStringLiteral("MainWindow/recent");
const auto kHexModeKey = QStringLiteral("MainWindow/hexMode");
const auto kHiddenStatesKey = QStringLiteral("MainWindow/hiddenStates");
const auto kAutoReloadKey = QStringLiteral("MainWindow/autoReload");
constexpr int kMaxRecent = 10;

// A stretch of another source, shown as if it were the whole: the entry's
// bytes inside the pack, with the pack's offsets as labels.
class SubrangeHexSource final : public HexSource
{
public:
    SubrangeHexSource(std::shared_ptr<const HexSource> whole, quint64 start, quint64 length)
        : m_whole(std::move(whole)), m_start(start), m_length(length)
    { }
    [[nodiscard]] quint64 size() const override { return m_length; }
    [[nodiscard]] bool read(quint64 offset, qint64 length, char *out) const override
    {
        if (length < 0 || offset > m_length || quint64(length) > m_length - offset)
            return false;
        return m_whole->read(m_start + offset, length, out);
    }

private:
    std::shared_ptr<const HexSource> m_whole;
    quint64 m_start;
    quint64 m_length;
};

QByteArray readBytes(const HexSource *source, quint64 offset, qint64 length)
{
    if (!source || offset > source->size() || quint64(length) > source->size() - offset)
        return {};
    QByteArray out(length, Qt::Uninitialized);
    if (!source->read(offset, length, out.data()))
        return {};
    return out;
}

QString stateLabel(SlotTableModel::SlotState state)
{
    return SlotTableModel::stateName(state);
}

} // namespace

MainWindow::MainWindow(KSyntaxHighlighting::Repository &repository, QWidget *parent)
    : QMainWindow(parent), m_repository(repository)
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    createCentre();
    createDocks();

    // A permanent widget, so passing status tips do not wipe the summary.
    m_summary = new QLabel(statusBar());
    m_summary->setObjectName(QStringLiteral("summaryLabel"));
    statusBar()->addPermanentWidget(m_summary, 1);
    m_editStatus = new QLabel(statusBar());
    m_editStatus->setObjectName(QStringLiteral("editStatusLabel"));
    m_editStatus->hide();
    statusBar()->addPermanentWidget(m_editStatus);

    m_edit = new EditActions(m_repository, this);
    m_edit->setSlotView(m_table);
    createMenus();
    restoreSettings();
    setLocation(QString());
}

MainWindow::~MainWindow() = default;

void MainWindow::createCentre()
{
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter->setChildrenCollapsible(false);

    // Left: the store tree.
    m_tree = new QTreeView(m_splitter);
    m_tree->setObjectName(QStringLiteral("storeTree"));
    m_tree->setUniformRowHeights(true);
    m_tree->setRootIsDecorated(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);

    // Centre: filter bar over the slot table.
    auto *centre = new QWidget(m_splitter);
    auto *centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    centreLayout->setSpacing(2);
    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(2, 2, 2, 0);
    auto *statesButton = new QToolButton(centre);
    statesButton->setObjectName(QStringLiteral("stateFilterButton"));
    statesButton->setText(tr("States"));
    statesButton->setToolTip(tr("Which slot states the table shows"));
    statesButton->setPopupMode(QToolButton::InstantPopup);
    auto *statesMenu = new QMenu(statesButton);
    statesButton->setMenu(statesMenu);
    bar->addWidget(statesButton);
    m_find = new QLineEdit(centre);
    m_find->setObjectName(QStringLiteral("keyFilter"));
    m_find->setPlaceholderText(tr("Find key by hex prefix (Ctrl+F)"));
    m_find->setClearButtonEnabled(true);
    bar->addWidget(m_find, 2);
    m_goTo = new QLineEdit(centre);
    m_goTo->setObjectName(QStringLiteral("goToSlot"));
    m_goTo->setPlaceholderText(tr("Go to slot (Ctrl+L)"));
    m_goTo->setClearButtonEnabled(true);
    bar->addWidget(m_goTo, 1);
    centreLayout->addLayout(bar);
    m_filterSummary = new QLabel(centre);
    m_filterSummary->setObjectName(QStringLiteral("filterSummary"));
    m_filterSummary->setContentsMargins(4, 0, 4, 0);
    centreLayout->addWidget(m_filterSummary);

    m_proxy = new SlotFilterModel(this);
    m_table = new QTableView(centre);
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
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(SlotTableModel::SlotColumn, Qt::AscendingOrder);
    m_tableStack = new QStackedWidget(centre);
    m_tableStack->addWidget(m_table);
    m_shardProblem = new QLabel(m_tableStack);
    m_shardProblem->setObjectName(QStringLiteral("shardProblem"));
    m_shardProblem->setTextFormat(Qt::RichText);
    m_shardProblem->setWordWrap(true);
    m_shardProblem->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_shardProblem->setMargin(12);
    // The message names files and offsets: worth copying into a report.
    m_shardProblem->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_shardProblem->setBackgroundRole(QPalette::Base);
    m_shardProblem->setAutoFillBackground(true);
    m_tableStack->addWidget(m_shardProblem);
    centreLayout->addWidget(m_tableStack, 1);

    for (auto state : {SlotTableModel::SlotState::Live, SlotTableModel::SlotState::Tombstone,
             SlotTableModel::SlotState::Uncommitted, SlotTableModel::SlotState::Damaged}) {
        QAction *action = statesMenu->addAction(stateLabel(state));
        action->setCheckable(true);
        action->setChecked(m_proxy->isStateVisible(state));
        action->setData(int(state));
        connect(action, &QAction::toggled, this, [this, state](bool on) {
            m_proxy->setStateVisible(state, on);
            updateFilterSummary();
        });
        m_stateActions.append(action);
    }
    connect(m_find, &QLineEdit::textChanged, this, [this](const QString &text) {
        const bool valid = m_proxy->setKeyPrefix(text);
        m_find->setStyleSheet(valid ? QString() : QStringLiteral("color: #c0392b"));
        m_find->setToolTip(valid ? QString() : tr("A key prefix is hex digits only"));
        updateFilterSummary();
    });
    connect(m_find, &QLineEdit::returnPressed, this, &MainWindow::findKey);
    connect(m_goTo, &QLineEdit::returnPressed, this, &MainWindow::goToSlot);

    // Right: preview, hex and format of the selected slot.
    m_tabs = new QTabWidget(m_splitter);
    m_tabs->setObjectName(QStringLiteral("slotTabs"));
    m_preview = new PreviewPane(m_repository, m_tabs);
    m_preview->setObjectName(QStringLiteral("preview"));
    m_tabs->insertTab(PreviewTab, m_preview, tr("&Preview"));

    auto *hexPage = new QWidget(m_tabs);
    auto *hexLayout = new QVBoxLayout(hexPage);
    hexLayout->setContentsMargins(0, 0, 0, 0);
    hexLayout->setSpacing(2);
    auto *hexBar = new QHBoxLayout;
    hexBar->setContentsMargins(4, 2, 4, 0);
    m_hexModeCombo = new QComboBox(hexPage);
    m_hexModeCombo->setObjectName(QStringLiteral("hexMode"));
    m_hexModeCombo->addItem(tr("Entry bytes"), int(HexMode::Entry));
    m_hexModeCombo->addItem(tr("Whole pack, entry highlighted"), int(HexMode::Pack));
    m_hexModeCombo->addItem(tr("Table file, slot highlighted"), int(HexMode::Table));
    m_hexModeCombo->addItem(tr("Manifest (MF)"), int(HexMode::Manifest));
    hexBar->addWidget(m_hexModeCombo);
    m_hexCaption = new QLabel(hexPage);
    m_hexCaption->setObjectName(QStringLiteral("hexCaption"));
    hexBar->addWidget(m_hexCaption, 1);
    hexLayout->addLayout(hexBar);
    m_hex = new HexView(hexPage);
    m_hex->setObjectName(QStringLiteral("hexView"));
    hexLayout->addWidget(m_hex, 1);
    m_tabs->insertTab(HexTab, hexPage, tr("&Hex"));
    connect(m_hexModeCombo, &QComboBox::activated, this,
        [this](int index) { setHexMode(HexMode(m_hexModeCombo->itemData(index).toInt())); });
    connect(m_hex, &HexView::byteHovered, this, [this](quint64 offset) {
        if (m_hexAnnotator) {
            const QString field = m_hexAnnotator(offset);
            if (!field.isEmpty())
                statusBar()->showMessage(field, 4000);
        }
    });

    m_format = new FormatView(m_tabs);
    m_format->setObjectName(QStringLiteral("formatView"));
    m_tabs->insertTab(FormatTab, m_format, tr("&Format"));

    m_splitter->addWidget(m_tree);
    m_splitter->addWidget(centre);
    m_splitter->addWidget(m_tabs);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setStretchFactor(2, 1);
    setCentralWidget(m_splitter);

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex &current) { onCurrentSlotChanged(current); });
    // A reset moves the current index without a signal; drop what the panes show.
    connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] { onCurrentSlotChanged({}); });
    connect(m_preview, &PreviewPane::hexRequested, this, [this] { m_tabs->setCurrentIndex(HexTab); });
}

void MainWindow::createDocks()
{
    auto *diagnosticsDock = new QDockWidget(tr("Diagnostics"), this);
    diagnosticsDock->setObjectName(QStringLiteral("diagnosticsDock"));
    m_diagnostics = new QTableView(diagnosticsDock);
    m_diagnostics->setObjectName(QStringLiteral("diagnosticsView"));
    m_diagnostics->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_diagnostics->setSelectionMode(QAbstractItemView::SingleSelection);
    m_diagnostics->setAlternatingRowColors(true);
    m_diagnostics->setWordWrap(false);
    m_diagnostics->verticalHeader()->hide();
    m_diagnostics->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_diagnostics->verticalHeader()->setDefaultSectionSize(m_diagnostics->fontMetrics().height() + 6);
    m_diagnostics->horizontalHeader()->setStretchLastSection(true);
    auto *diagnosticsPage = new QWidget(diagnosticsDock);
    auto *diagnosticsLayout = new QVBoxLayout(diagnosticsPage);
    diagnosticsLayout->setContentsMargins(0, 0, 0, 0);
    diagnosticsLayout->setSpacing(0);
    m_diagnosticsStatus = new QLabel(diagnosticsPage);
    m_diagnosticsStatus->setObjectName(QStringLiteral("diagnosticsStatus"));
    m_diagnosticsStatus->setContentsMargins(4, 2, 4, 2);
    m_diagnosticsStatus->hide();
    diagnosticsLayout->addWidget(m_diagnosticsStatus);
    m_diagnostics->setParent(diagnosticsPage);
    diagnosticsLayout->addWidget(m_diagnostics, 1);
    diagnosticsDock->setWidget(diagnosticsPage);
    addDockWidget(Qt::BottomDockWidgetArea, diagnosticsDock);
    connect(m_diagnostics, &QTableView::activated, this, &MainWindow::diagnosticActivated);
    connect(m_diagnostics, &QTableView::clicked, this, &MainWindow::diagnosticActivated);

    auto *packDock = new QDockWidget(tr("Pack map"), this);
    packDock->setObjectName(QStringLiteral("packMapDock"));
    m_packMap = new PackMapWidget(packDock);
    m_packMap->setObjectName(QStringLiteral("packMap"));
    packDock->setWidget(m_packMap);
    addDockWidget(Qt::BottomDockWidgetArea, packDock);
    splitDockWidget(diagnosticsDock, packDock, Qt::Horizontal);
    connect(m_packMap, &PackMapWidget::slotClicked, this, [this](quint32 slot) { selectSlot(slot); });
    connect(m_packMap, &PackMapWidget::hoveredRangeChanged, this, [this](qsizetype index) {
        if (index >= 0)
            statusBar()->showMessage(m_packMap->rangeDescription(size_t(index)), 4000);
    });
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open Shard or Store..."));
    open->setShortcut(QKeySequence::Open);
    connect(open, &QAction::triggered, this, &MainWindow::chooseDirectory);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    rebuildRecentMenu();
    file->addAction(m_edit->newShard);
    file->addSeparator();
    file->addAction(m_edit->editMode);
    file->addAction(m_edit->write);
    file->addAction(m_edit->revert);
    file->addSeparator();
    QAction *reload = file->addAction(QIcon::fromTheme(QStringLiteral("view-refresh")), tr("&Reload"));
    reload->setShortcut(QKeySequence::Refresh);
    connect(reload, &QAction::triggered, this, &MainWindow::reloadRequested);
    m_autoReload = file->addAction(tr("Reload &Automatically When Files Change"));
    m_autoReload->setCheckable(true);
    connect(m_autoReload, &QAction::toggled, this, &MainWindow::autoReloadToggled);
    file->addSeparator();
    QMenu *exportMenu = file->addMenu(tr("&Export Format Definition"));
    connect(exportMenu->addAction(tr("&Kaitai Struct (.ksy)...")), &QAction::triggered, this,
        [this] { exportDefinition(true); });
    connect(exportMenu->addAction(tr("&ImHex Pattern (.hexpat)...")), &QAction::triggered, this,
        [this] { exportDefinition(false); });
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);
    // close(), not qApp->quit(): closing is what saves the window's settings.
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_edit->undo);
    edit->addAction(m_edit->redo);
    edit->addSeparator();
    edit->addAction(m_edit->append);
    edit->addAction(m_edit->remove);
    edit->addSeparator();
    QAction *find = edit->addAction(tr("&Find Key..."));
    find->setShortcut(QKeySequence::Find);
    connect(find, &QAction::triggered, this, [this] {
        m_find->setFocus();
        m_find->selectAll();
    });
    QAction *goTo = edit->addAction(tr("&Go to Slot..."));
    goTo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    connect(goTo, &QAction::triggered, this, [this] {
        m_goTo->setFocus();
        m_goTo->selectAll();
    });
    QAction *goToOffset = edit->addAction(tr("Go to &Offset in Hex Pane..."));
    goToOffset->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_G));
    connect(goToOffset, &QAction::triggered, this, [this] {
        m_tabs->setCurrentIndex(HexTab);
        m_hex->showGoToDialog();
    });

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        view->addAction(dock->toggleViewAction());
    view->addSeparator();
    auto *modes = new QActionGroup(this);
    for (int i = 0; i < m_hexModeCombo->count(); ++i) {
        QAction *mode = view->addAction(tr("Hex: %1").arg(m_hexModeCombo->itemText(i)));
        mode->setCheckable(true);
        mode->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)));
        mode->setData(m_hexModeCombo->itemData(i));
        modes->addAction(mode);
        connect(mode, &QAction::triggered, this, [this, mode] { setHexMode(HexMode(mode->data().toInt())); });
    }
    connect(view, &QMenu::aboutToShow, this, [this, modes] {
        for (QAction *a : modes->actions())
            a->setChecked(HexMode(a->data().toInt()) == m_hexMode);
    });

    QMenu *shard = menuBar()->addMenu(tr("&Shard"));
    shard->addAction(m_edit->compact);
    shard->addAction(m_edit->compareGenerations);
    QMenu *store = menuBar()->addMenu(tr("S&tore"));
    store->addAction(m_edit->putBlobAction);
    store->addAction(m_edit->removeBlobAction);
    store->addAction(m_edit->storeChanges);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *guide = help->addAction(tr("&Format Guide"));
    guide->setShortcut(QKeySequence::HelpContents);
    connect(guide, &QAction::triggered, this, &MainWindow::showFormatGuide);
    QAction *about = help->addAction(tr("&About ShardScope"));
    about->setMenuRole(QAction::AboutRole);
    connect(about, &QAction::triggered, this, &MainWindow::showAbout);
    QAction *aboutQt = help->addAction(tr("About &Qt"));
    aboutQt->setMenuRole(QAction::AboutQtRole);
    connect(aboutQt, &QAction::triggered, qApp, &QApplication::aboutQt);
}

void MainWindow::setStoreModel(QAbstractItemModel *model)
{
    m_tree->setModel(model);
    if (model) {
        // The shard follows the tree's current row, by mouse or keyboard. The
        // request is queued so that a prompt it may raise (changes staged)
        // does not run inside the selection change, and dropped when the row
        // has moved on meanwhile (the application moved it, or the user did).
        connect(
            m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &current) {
                QTimer::singleShot(0, this, [this, row = QPersistentModelIndex(current)] {
                    if (row.isValid() && row == m_tree->currentIndex())
                        Q_EMIT shardActivated(row.sibling(row.row(), 0).data(StoreTreeModel::RelPathRole).toString());
                });
            });
        m_tree->expandToDepth(0);
        m_tree->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
        m_tree->setCurrentIndex(model->index(0, 0));
    }
}

void MainWindow::setDiagnosticsModel(QAbstractItemModel *model)
{
    m_diagnostics->setModel(model);
    if (model) {
        m_diagnostics->resizeColumnsToContents();
        auto *dock = findChild<QDockWidget *>(QStringLiteral("diagnosticsDock"));
        if (dock)
            dock->setWindowTitle(model->rowCount() ? tr("Diagnostics (%1)").arg(model->rowCount()) : tr("Diagnostics"));
    }
}

void MainWindow::setDiagnosticsStatus(const QString &text)
{
    m_diagnosticsStatus->setText(text);
    m_diagnosticsStatus->setVisible(!text.isEmpty());
}

void MainWindow::setLocation(const QString &path)
{
    m_location = path;
    setWindowTitle(path.isEmpty() ? tr("ShardScope") : tr("%1 - ShardScope").arg(QDir::toNativeSeparators(path)));
}

void MainWindow::showShard(const ShardPresentation &shard)
{
    const std::optional<quint32> previous = selectedSlot();
    m_shard = shard;
    m_tableStack->setCurrentWidget(m_table);
    m_shardProblem->clear();
    m_proxy->setSourceModel(shard.slotModel);
    m_summary->setText(shard.summary.text());
    m_packMap->setPackLayout(shard.packLayout);
    m_format->setManifest(shard.manifest);
    sizeColumns();
    // The splitter has its real width only once the window is laid out.
    m_fitTablePending = !m_splitterRestored;
    if (isVisible() && m_fitTablePending)
        fitTableWidth();
    updateFilterSummary();
    // Keep the slot the user was on across a reload; else start with the
    // first entry in the panes rather than empty ones.
    if (!(previous && selectSlot(*previous))) {
        if (m_proxy->rowCount() > 0)
            m_table->setCurrentIndex(m_proxy->index(0, SlotTableModel::SlotColumn));
        else
            onCurrentSlotChanged({});
    }
}

void MainWindow::clearShard()
{
    m_tableStack->setCurrentWidget(m_table);
    m_shardProblem->clear();
    m_proxy->setSourceModel(nullptr);
    m_packMap->setPackLayout(nullptr);
    m_hex->clear();
    m_format->clear();
    m_preview->showEntry({});
    m_shard = ShardPresentation {};
    m_summary->clear();
}

void MainWindow::showShardProblem(const QString &title, const QString &message)
{
    clearShard();
    QString html = QStringLiteral("<h3>%1</h3>").arg(title.toHtmlEscaped());
    for (const QString &paragraph : message.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        html += QStringLiteral("<p>%1</p>").arg(paragraph.toHtmlEscaped());
    m_shardProblem->setText(html);
    m_tableStack->setCurrentWidget(m_shardProblem);
    m_filterSummary->clear();
    m_summary->setText(title);
}

QString MainWindow::shardProblem() const
{
    return m_tableStack->currentWidget() == m_shardProblem ? m_shardProblem->text() : QString();
}

void MainWindow::setCurrentShard(const QModelIndex &index)
{
    if (!index.isValid() || index.model() != m_tree->model())
        return;
    m_tree->setCurrentIndex(index);
    m_tree->scrollTo(index);
}

void MainWindow::setEditSession(EditSession *session)
{
    if (m_edit->session())
        disconnect(m_edit->session(), nullptr, this, nullptr);
    m_edit->setSession(session);
    if (session)
        connect(session, &EditSession::changesChanged, this, &MainWindow::updateEditStatus);
    updateEditStatus();
}

void MainWindow::setStoreEditSession(StoreEditSession *session)
{
    if (m_edit->storeSession())
        disconnect(m_edit->storeSession(), nullptr, this, nullptr);
    m_edit->setStoreSession(session);
    if (session)
        connect(session, &StoreEditSession::changesChanged, this, &MainWindow::updateEditStatus);
    updateEditStatus();
}

void MainWindow::updateEditStatus()
{
    EditSession *session = m_edit->session();
    StoreEditSession *store = m_edit->storeSession();
    m_editStatus->setVisible(session || store);
    if (!session && !store)
        return;
    const int appends = session ? int(session->pendingAppends().size()) : 0;
    const int deletes = session ? int(session->markedForDeletion().size()) : 0;
    const int puts = store ? int(store->pendingPuts().size()) : 0;
    const int removes = store ? int(store->pendingRemoves().size()) : 0;
    QStringList parts;
    if (appends + deletes > 0)
        parts << tr("%1 staged append(s), %2 staged delete(s)").arg(appends).arg(deletes);
    if (puts + removes > 0)
        parts << tr("store: %1 put(s), %2 removal(s)").arg(puts).arg(removes);
    m_editStatus->setText(parts.isEmpty()
            ? tr("Edit mode: no staged changes")
            : tr("Edit mode: %1; Ctrl+S writes them").arg(parts.join(QStringLiteral("; "))));
}

void MainWindow::addRecentLocation(const QString &path)
{
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue(kRecentKey, recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    for (int i = 0; i < recent.size(); ++i) {
        const QString path = recent[i];
        QAction *action
            = m_recentMenu->addAction(i < 9 ? QStringLiteral("&%1 %2").arg(i + 1).arg(QDir::toNativeSeparators(path))
                                            : QDir::toNativeSeparators(path));
        connect(action, &QAction::triggered, this, [this, path] { Q_EMIT openRequested(path); });
    }
    if (recent.isEmpty()) {
        m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    connect(m_recentMenu->addAction(tr("&Clear List")), &QAction::triggered, this, [this] {
        QSettings().remove(kRecentKey);
        rebuildRecentMenu();
    });
}

void MainWindow::chooseDirectory()
{
    const QString start = m_location.isEmpty() ? QDir::homePath() : QFileInfo(m_location).absolutePath();
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Shard or Store"), start);
    if (!dir.isEmpty())
        Q_EMIT openRequested(dir);
}

void MainWindow::exportDefinition(bool kaitai)
{
    const QString name = kaitai ? kaitaiFileName() : imhexFileName();
    const QString filter = kaitai ? tr("Kaitai Struct (*.ksy)") : tr("ImHex pattern (*.hexpat)");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Format Definition"), QDir(QDir::homePath()).filePath(name), filter);
    if (path.isEmpty())
        return;
    QSaveFile out(path);
    const QByteArray text = (kaitai ? kaitaiStruct() : imhexPattern()).toUtf8();
    if (!out.open(QIODevice::WriteOnly) || out.write(text) != text.size() || !out.commit()) {
        QMessageBox::warning(this, tr("Export Format Definition"),
            tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), out.errorString()));
        return;
    }
    showStatusMessage(tr("Wrote %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void MainWindow::showFormatGuide()
{
    auto *guide = findChild<FormatGuideDialog *>();
    if (!guide) {
        guide = new FormatGuideDialog(this);
        guide->setAttribute(Qt::WA_DeleteOnClose, false);
    }
    guide->show();
    guide->raise();
    guide->activateWindow();
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

void MainWindow::showStatusMessage(const QString &message, int timeoutMs)
{
    statusBar()->showMessage(message, timeoutMs);
}

QString MainWindow::statusText() const
{
    return m_summary->text();
}

bool MainWindow::selectSlot(quint32 slot)
{
    SlotTableModel *model = m_proxy->slotModel();
    if (!model || int(slot) >= model->rowCount() || slot > quint32(INT_MAX))
        return false;
    QModelIndex index = m_proxy->indexForSlot(slot);
    if (!index.isValid()) {
        // Filtered out: show its state, and drop a key filter that hides it.
        const auto state
            = SlotTableModel::SlotState(model->index(int(slot), 0).data(SlotTableModel::StateRole).toInt());
        for (QAction *action : std::as_const(m_stateActions)) {
            if (SlotTableModel::SlotState(action->data().toInt()) == state)
                action->setChecked(true);
        }
        index = m_proxy->indexForSlot(slot);
        if (!index.isValid()) {
            m_find->clear();
            index = m_proxy->indexForSlot(slot);
        }
    }
    if (!index.isValid())
        return false;
    m_table->setCurrentIndex(index);
    m_table->scrollTo(index, QAbstractItemView::PositionAtCenter);
    return true;
}

std::optional<quint32> MainWindow::selectedSlot() const
{
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid())
        return std::nullopt;
    return current.data(SlotTableModel::SlotRole).toUInt();
}

void MainWindow::onCurrentSlotChanged(const QModelIndex &current)
{
    m_preview->showEntry(current);
    const std::optional<quint32> slot
        = current.isValid() ? std::optional<quint32>(current.data(SlotTableModel::SlotRole).toUInt()) : std::nullopt;
    m_packMap->setSelectedSlot(slot);
    if (stagedAppendBytes()) {
        // Its slot on disk is blank (or stale) until the change is written.
        m_format->clearSlot();
    } else if (slot && m_shard.tableFile) {
        const QByteArray raw = readBytes(m_shard.tableFile.get(), quint64(*slot) * 32, 32);
        if (raw.size() == 32)
            m_format->setSlot(*slot, raw, m_shard.slotContext);
        else
            m_format->clearSlot();
    } else {
        m_format->clearSlot();
    }
    updateHexPane();
    if (slot)
        Q_EMIT slotSelected(*slot);
}

std::optional<QByteArray> MainWindow::stagedAppendBytes() const
{
    const QModelIndex current = m_table->currentIndex();
    EditSession *session = m_edit->session();
    if (!session || !current.isValid()
        || current.data(SlotTableModel::StateRole).toInt() != int(SlotTableModel::SlotState::PendingAppend))
        return std::nullopt;
    const int index = current.data(SlotTableModel::PendingIndexRole).toInt();
    if (index < 0 || index >= session->pendingAppends().size())
        return std::nullopt;
    return session->pendingAppends().at(index).data;
}

void MainWindow::setHexMode(HexMode mode)
{
    m_hexMode = mode;
    const int at = m_hexModeCombo->findData(int(mode));
    if (at >= 0)
        m_hexModeCombo->setCurrentIndex(at);
    updateHexPane();
}

void MainWindow::updateHexPane()
{
    const std::optional<quint32> slot = selectedSlot();
    std::optional<PackLayout::Extent> extent;
    if (slot && m_shard.packLayout)
        extent = m_shard.packLayout->extentOf(*slot);

    const std::optional<QByteArray> staged = stagedAppendBytes();
    if (staged)
        extent.reset();
    switch (m_hexMode) {
    case HexMode::Entry:
        if (staged) {
            m_hex->setSource(std::make_shared<BufferHexSource>(*staged));
            setHexAnnotator({});
            m_hexCaption->setText(tr("Slot %1: %2 staged bytes, not yet written").arg(*slot).arg(staged->size()));
            return;
        }
        if (!extent || !m_shard.packFile || extent->end > m_shard.packFile->size()) {
            m_hex->clear();
            m_hexCaption->setText(slot ? tr("Slot %1 has no bytes in the pack").arg(*slot) : QString());
            return;
        }
        m_hex->setSource(
            std::make_shared<SubrangeHexSource>(m_shard.packFile, extent->start, extent->end - extent->start),
            extent->start);
        setHexAnnotator([this, base = extent->start](quint64 offset) {
            const auto field
                = fieldAt(FormatFile::Pack, base + offset, FieldContext {m_shard.summary.tableLen, m_shard.packLayout});
            return field ? field->text : QString();
        });
        m_hexCaption->setText(tr("Slot %1: %2 bytes at %3 offset 0x%4")
                                  .arg(*slot)
                                  .arg(extent->end - extent->start)
                                  .arg(m_shard.packName)
                                  .arg(extent->start, 0, 16));
        return;
    case HexMode::Pack:
        if (!m_shard.packFile) {
            m_hex->clear();
            m_hexCaption->setText(tr("No pack file"));
            return;
        }
        m_hex->setSource(m_shard.packFile);
        setHexAnnotator([this](quint64 offset) {
            const auto field
                = fieldAt(FormatFile::Pack, offset, FieldContext {m_shard.summary.tableLen, m_shard.packLayout});
            return field ? field->text : QString();
        });
        if (extent && extent->end > extent->start) {
            m_hex->setHighlight(extent->start, extent->end - extent->start);
            m_hex->setCursorOffset(extent->start);
            m_hex->scrollToHighlight();
        }
        m_hexCaption->setText(m_shard.packName);
        return;
    case HexMode::Table:
        if (!m_shard.tableFile) {
            m_hex->clear();
            m_hexCaption->setText(tr("No table file"));
            return;
        }
        m_hex->setSource(m_shard.tableFile);
        setHexAnnotator([this](quint64 offset) {
            const auto field = fieldAt(FormatFile::Table, offset, FieldContext {m_shard.summary.tableLen, nullptr});
            return field ? field->text : QString();
        });
        if (slot) {
            m_hex->setHighlight(quint64(*slot) * 32, 32);
            m_hex->setCursorOffset(quint64(*slot) * 32);
            m_hex->scrollToHighlight();
        }
        m_hexCaption->setText(m_shard.tableName);
        return;
    case HexMode::Manifest:
        if (!m_shard.manifestFile) {
            m_hex->clear();
            m_hexCaption->setText(tr("No MF: a fresh shard"));
            return;
        }
        m_hex->setSource(m_shard.manifestFile);
        setHexAnnotator([](quint64 offset) {
            const auto field = fieldAt(FormatFile::Manifest, offset);
            return field ? field->text : QString();
        });
        m_hex->setHighlight(quint64(m_shard.manifest.active) * 32, 32);
        m_hexCaption->setText(tr("MF, active copy highlighted"));
        return;
    }
}

void MainWindow::setHexAnnotator(HexFieldAnnotator annotator)
{
    m_hexAnnotator = annotator;
    m_hex->setFieldAnnotator(std::move(annotator));
}

void MainWindow::showFileOffset(FormatFile file, quint64 offset)
{
    setHexMode(file == FormatFile::Manifest ? HexMode::Manifest
            : file == FormatFile::Table     ? HexMode::Table
                                            : HexMode::Pack);
    if (offset < m_hex->size()) {
        m_hex->setCursorOffset(offset);
        m_hex->ensureVisible(offset);
    }
    m_tabs->setCurrentIndex(HexTab);
}

void MainWindow::selectRightTab(int index)
{
    m_tabs->setCurrentIndex(index);
}

void MainWindow::setAutoReload(bool on)
{
    m_autoReload->setChecked(on);
}

bool MainWindow::autoReload() const
{
    return m_autoReload->isChecked();
}

void MainWindow::updateFilterSummary()
{
    SlotTableModel *model = m_proxy->slotModel();
    if (!model) {
        m_filterSummary->clear();
        return;
    }
    QStringList hidden;
    for (const QAction *action : std::as_const(m_stateActions)) {
        if (!action->isChecked())
            hidden << action->text().toLower();
    }
    QString text = tr("%1 of %2 slots shown").arg(m_proxy->rowCount()).arg(model->rowCount());
    if (!hidden.isEmpty())
        text += tr("; hidden: %1").arg(hidden.join(QStringLiteral(", ")));
    if (!m_proxy->keyPrefix().isEmpty())
        text += tr("; key starts with %1").arg(m_proxy->keyPrefix());
    m_filterSummary->setText(text);
}

void MainWindow::findKey()
{
    // Enter in the find box jumps to the first match.
    if (m_proxy->rowCount() > 0) {
        m_table->setCurrentIndex(m_proxy->index(0, SlotTableModel::KeyColumn));
        m_table->setFocus();
    }
}

void MainWindow::goToSlot()
{
    bool ok = false;
    const QString text = m_goTo->text().trimmed();
    const qulonglong slot = text.startsWith(QLatin1String("0x"), Qt::CaseInsensitive) ? text.mid(2).toULongLong(&ok, 16)
                                                                                      : text.toULongLong(&ok, 10);
    if (!ok || slot > UINT32_MAX || !selectSlot(quint32(slot))) {
        showStatusMessage(tr("No slot %1 in this shard").arg(text), 4000);
        return;
    }
    m_table->setFocus();
}

void MainWindow::restoreSettings()
{
    const QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        resize(1280, 800);
    restoreState(settings.value(kStateKey).toByteArray());
    m_splitterRestored = m_splitter->restoreState(settings.value(kSplitterKey).toByteArray());
    if (!m_splitterRestored)
        m_splitter->setSizes({200, 700, 560});
    const int mode = settings.value(kHexModeKey, int(HexMode::Entry)).toInt();
    if (mode >= int(HexMode::Entry) && mode <= int(HexMode::Manifest))
        setHexMode(HexMode(mode));
    const QStringList hiddenStates = settings.value(kHiddenStatesKey).toStringList();
    if (settings.contains(kHiddenStatesKey)) {
        for (QAction *action : std::as_const(m_stateActions))
            action->setChecked(!hiddenStates.contains(QString::number(action->data().toInt())));
    }
    m_autoReload->setChecked(settings.value(kAutoReloadKey, false).toBool());
}

void MainWindow::sizeColumns()
{
    // From the widest text each column can hold, not from the rows: measuring
    // rows would sniff and format a thousand entries before the first paint.
    const SlotTableModel *model = m_proxy->slotModel();
    QFont fixedFont = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    if (m_table->font().pointSizeF() > 0)
        fixedFont.setPointSizeF(m_table->font().pointSizeF());
    const QFontMetrics plain = m_table->fontMetrics();
    const QFontMetrics fixed(fixedFont);
    const int slotDigits = int(QString::number(model ? std::max(model->rowCount(), 1) : 1).size());
    QString widestState;
    for (const auto state : {SlotTableModel::SlotState::Live, SlotTableModel::SlotState::Tombstone,
             SlotTableModel::SlotState::Damaged, SlotTableModel::SlotState::Uncommitted,
             SlotTableModel::SlotState::PendingAppend, SlotTableModel::SlotState::PendingDelete}) {
        const QString name = SlotTableModel::stateName(state);
        if (plain.horizontalAdvance(name) > plain.horizontalAdvance(widestState))
            widestState = name;
    }
    const QList<QPair<const QFontMetrics *, QString>> widest {
        {&plain, QString(slotDigits, QLatin1Char('8'))},
        {&plain, widestState},
        {&fixed, QString(48, QLatin1Char('f'))},
        {&fixed, QStringLiteral("0xffffffff")},
        {&plain, QStringLiteral("4294967295")},
        {&plain, QStringLiteral("4294967295")},
        {&plain, QStringLiteral("Markdown")},
    };
    const int padding = 3 * m_table->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, m_table) + 8;
    for (int column = 0; column < widest.size() && column < m_proxy->columnCount(); ++column) {
        const int text = widest[column].first->horizontalAdvance(widest[column].second) + padding;
        m_table->setColumnWidth(column, std::max(text, m_table->horizontalHeader()->sectionSizeHint(column)));
    }
}

void MainWindow::fitTableWidth()
{
    m_fitTablePending = false;
    // Give the table what its columns need as long as the panes keep a
    // useful width; the user's own split wins.
    const QList<int> sizes = m_splitter->sizes();
    if (sizes.size() != 3)
        return;
    const int needed = m_table->horizontalHeader()->length() + 2 * m_table->frameWidth()
        + m_table->verticalScrollBar()->sizeHint().width();
    const int total = m_splitter->width();
    const int tree = std::min(sizes[0], total / 7);
    // The hex pane wants its full rows (offset, hex and text columns); the
    // table gives way to it first, down to half of what is left.
    const int hexWidth = m_hex->sizeHint().width() + 2 * m_tabs->style()->pixelMetric(QStyle::PM_DefaultFrameWidth);
    const int table = std::max(std::min(needed, total - tree - hexWidth), (total - tree) / 2);
    m_splitter->setSizes({tree, table, total - tree - table});
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    settings.setValue(kSplitterKey, m_splitter->saveState());
    settings.setValue(kHexModeKey, int(m_hexMode));
    QStringList hidden;
    for (const QAction *action : std::as_const(m_stateActions)) {
        if (!action->isChecked())
            hidden << QString::number(action->data().toInt());
    }
    settings.setValue(kHiddenStatesKey, hidden);
    settings.setValue(kAutoReloadKey, m_autoReload->isChecked());
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    if (m_fitTablePending)
        fitTableWidth();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_edit->settlePendingChanges(tr("closing"))) {
        event->ignore();
        return;
    }
    saveSettings();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.first().isLocalFile() && QFileInfo(urls.first().toLocalFile()).isDir())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    Q_EMIT openRequested(urls.first().toLocalFile());
}

} // namespace shardscope
