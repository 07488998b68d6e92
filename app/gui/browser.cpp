#include "browser.h"

#include "busy_dialog.h"
#include "byte_source.h"
#include "compact_dialog.h"
#include "diagnostics_model.h"
#include "directory.h"
#include "edit_actions.h"
#include "edit_session.h"
#include "format_description.h"
#include "generation_diff.h"
#include "generation_diff_dialog.h"
#include "generation_writer.h"
#include "hex_source.h"
#include "hydrate_dialog.h"
#include "main_window.h"
#include "shard_changes.h"
#include "shard_compaction_job.h"
#include "shard_summary.h"
#include "store_tree_model.h"

#include <QApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>

#include <cstring>

namespace shardscope {

// What one open location holds: the store (a lone shard is a store without
// children) with its shards, and the raw MF of the shard shown. Byte sources
// handed to the window share it, so a reload cannot unmap what they read.
struct Browser::Document {
    std::unique_ptr<Store> store;
    Shard *shard = nullptr; // owned by the store
    QByteArray manifestBytes;
    bool hasManifest = false;
};

namespace {

// A file of the shown shard, read through its bounds-checked ByteSource.
class ShardFileHexSource final : public HexSource
{
public:
    ShardFileHexSource(std::shared_ptr<const void> keepAlive, const ShardFile &file)
        : m_keepAlive(std::move(keepAlive)), m_file(file)
    { }
    [[nodiscard]] quint64 size() const override { return m_file.size(); }
    [[nodiscard]] bool read(quint64 offset, qint64 length, char *out) const override
    {
        if (length < 0)
            return false;
        auto got = m_file.bytes().read(offset, quint64(length));
        if (!got)
            return false;
        // Past the end of a file that shrank under us the mapping reads as
        // zeros; "??" says the truth, that those bytes are gone.
        if (m_file.truncatedSinceMapped()) {
            const std::optional<uint64_t> now = m_file.currentSize();
            if (!now || offset + quint64(length) > *now)
                return false;
        }
        if (length > 0)
            std::memcpy(out, got->data(), size_t(length));
        return true;
    }

private:
    std::shared_ptr<const void> m_keepAlive;
    const ShardFile &m_file;
};

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

// The MF as it is on disk, at most a little more than the 64 bytes a reader
// looks at (a damaged one may be longer).
std::optional<QByteArray> readManifest(const std::string &shardPath)
{
    auto dir = Directory::open(shardPath);
    if (!dir)
        return std::nullopt;
    auto fd = dir->openForReading(std::string(kManifestFileName));
    if (!fd)
        return std::nullopt;
    auto status = dir->status(std::string(kManifestFileName));
    if (!status)
        return std::nullopt;
    const uint64_t size = std::min<uint64_t>(status->size, 4096);
    QByteArray bytes(qsizetype(size), Qt::Uninitialized);
    if (size > 0
        && !readAll(fd->get(), {reinterpret_cast<uint8_t *>(bytes.data()), size_t(size)}, 0, dir->filePath("MF")))
        return std::nullopt;
    return bytes;
}

} // namespace

Browser::Browser(MainWindow &window, QObject *parent) : QObject(parent), m_window(window)
{
    m_changeDelay.setSingleShot(true);
    // A writer touches MF, table and pack in a burst; one reload covers it.
    m_changeDelay.setInterval(300);
    connect(&m_changeDelay, &QTimer::timeout, this, &Browser::onFilesChanged);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, &m_changeDelay, qOverload<>(&QTimer::start));
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, &m_changeDelay, qOverload<>(&QTimer::start));

    connect(&window, &MainWindow::openRequested, this, [this](const QString &path) { open(path); });
    connect(&window, &MainWindow::reloadRequested, this, &Browser::reload);
    connect(&window, &MainWindow::shardActivated, this, [this](const QString &relPath) {
        if (relPath != m_relPath)
            showShard(relPath);
    });
    connect(&window, &MainWindow::diagnosticActivated, this, &Browser::onDiagnosticActivated);

    EditActions *edit = window.editActions();
    connect(edit, &EditActions::editModeRequested, this, &Browser::requestEditMode);
    connect(edit, &EditActions::writeRequested, this, [this] { writeChanges(); });
    connect(edit, &EditActions::compactRequested, this, &Browser::compact);
    connect(edit, &EditActions::newShardRequested, this, &Browser::newShard);
    connect(edit, &EditActions::compareGenerationsRequested, this, &Browser::compareGenerations);
}

Browser::~Browser()
{
    // A checker still running posts to this object: wait for it first.
    for (Checker &c : m_checkers)
        c.thread.join();
    releaseDocument();
}

void Browser::releaseDocument()
{
    // The window lets go of models and sources before what they read goes.
    m_window.setEditSession(nullptr);
    m_window.setStoreEditSession(nullptr);
    m_slots.setEditSession(nullptr);
    m_session.reset();
    m_storeSession.reset();
    m_window.clearShard();
    m_window.setStoreModel(nullptr);
    m_window.setDiagnosticsModel(nullptr);
    m_slots.setShard(nullptr);
    m_layout = PackLayout();
    m_tree.reset();
    m_diagnostics.reset();
    m_doc.reset();
    if (!m_watcher.files().isEmpty())
        m_watcher.removePaths(m_watcher.files());
    if (!m_watcher.directories().isEmpty())
        m_watcher.removePaths(m_watcher.directories());
}

bool Browser::open(const QString &path, QString *error)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    releaseDocument();
    m_path = absolute;
    m_relPath.clear();
    m_window.setLocation(absolute);
    runChecker();

    auto store = Store::open(absolute.toStdString(), m_access);
    QString why;
    if (store) {
        auto doc = std::make_shared<Document>();
        doc->store = std::make_unique<Store>(std::move(*store));
        m_doc = std::move(doc);
        m_tree = std::make_unique<StoreTreeModel>();
        m_tree->setStore(m_doc->store.get());
        m_window.setStoreModel(m_tree.get());
        if (showShard(QString(), &why)) {
            if (editMode()) {
                m_storeSession = std::make_unique<StoreEditSession>();
                m_storeSession->setStore(m_doc->store.get());
                m_window.setStoreEditSession(m_storeSession.get());
            }
            watchFiles();
            m_window.addRecentLocation(absolute);
            Q_EMIT opened(absolute);
            return true;
        }
    } else {
        why = fromStd(store.error().describe());
    }
    if (const std::optional<quint32> gen = missingGeneration(absolute))
        why += tr(" (generation %1's table or pack is missing: File > New Shard can create them)").arg(*gen);
    m_window.showStatusMessage(tr("Cannot open %1: %2").arg(QDir::toNativeSeparators(absolute), why));
    if (error)
        *error = why;
    Q_EMIT openFailed(absolute, why);
    return false;
}

bool Browser::showShard(const QString &relPath, QString *error)
{
    if (!m_doc)
        return false;
    if (m_session && relPath != m_relPath
        && !m_window.editActions()->settlePendingChanges(tr("showing another shard"))) {
        selectTreeRow(m_relPath); // the shard shown stays, and so does its row
        return false;
    }
    auto shard = m_doc->store->shard(relPath.toStdString());
    m_window.setEditSession(nullptr);
    m_slots.setEditSession(nullptr);
    m_session.reset();
    m_window.clearShard();
    m_relPath = relPath;
    if (!shard) {
        showShardProblem(shard.error());
        if (error)
            *error = fromStd(shard.error().describe());
        return false;
    }
    m_doc->shard = *shard;
    presentShard();
    selectTreeRow(relPath);
    if (editMode())
        startSession();
    return true;
}

void Browser::showShardProblem(const Error &openError)
{
    withdrawShard();
    m_doc->shard = nullptr;
    const QString name = m_relPath.isEmpty() ? tr("The root shard") : tr("Shard %1").arg(m_relPath);
    const QString why = fromStd(openError.describe());
    QString message = why;
    const Result<bool> nothing = m_doc->store->committedNothing(m_relPath.toStdString(), openError);
    if (nothing && *nothing && !m_relPath.isEmpty()) {
        message += QLatin1Char('\n')
            + tr("This directory has no MF, so it has committed nothing: a writer made it and stopped before "
                 "its first commit. Reads of the store pass it by, and the next put whose content ID leads "
                 "here makes it a shard, keeping the files already there.");
    } else if (const std::optional<quint32> gen = m_relPath.isEmpty() ? missingGeneration(m_path) : std::nullopt) {
        message += QLatin1Char('\n')
            + tr("Generation %1's table or pack is missing: File > New Shard can create them.").arg(*gen);
    }
    message += QLatin1Char('\n') + tr("The Diagnostics pane lists what the checker found.");
    m_window.showShardProblem(tr("%1 cannot be shown").arg(name), message);
    m_window.showStatusMessage(tr("Cannot open %1: %2").arg(name.toLower(), why));
    showShardTitle();
    selectTreeRow(m_relPath);
}

QString Browser::shardLocation() const
{
    return m_relPath.isEmpty() ? m_path : m_path + QLatin1Char('/') + m_relPath;
}

void Browser::showShardTitle()
{
    m_window.setWindowTitle(
        tr("%1%2 - ShardScope")
            .arg(QDir::toNativeSeparators(shardLocation()), editMode() ? tr(" [editing]") : QString()));
}

void Browser::selectTreeRow(const QString &relPath)
{
    if (m_tree)
        m_window.setCurrentShard(m_tree->indexForRelPath(relPath));
}

void Browser::presentShard()
{
    const Shard &s = *m_doc->shard;
    const std::optional<QByteArray> mf = readManifest(s.path());
    m_doc->manifestBytes = mf.value_or(QByteArray());
    m_doc->hasManifest = mf.has_value();

    m_slots.setShard(&s);
    m_layout = PackLayout::fromShard(s);

    ShardPresentation view;
    view.title = shardLocation();
    view.slotModel = &m_slots;
    view.summary = ShardSummary::fromShard(s);
    view.packLayout = &m_layout;
    view.manifest = mf
        ? ManifestDescription::fromBytes({reinterpret_cast<const uint8_t *>(mf->constData()), size_t(mf->size())})
        : ManifestDescription::fromCopies(std::nullopt);
    view.tableName = QString::fromStdString(tableFileName(s.generation()));
    view.packName = QString::fromStdString(packFileName(s.generation()));
    view.slotContext = SlotContext {s.tableLen(), s.packSize(), view.packName};
    view.manifestFile = mf ? std::make_shared<BufferHexSource>(*mf) : nullptr;
    view.tableFile = std::make_shared<ShardFileHexSource>(m_doc, s.table().file());
    view.packFile = std::make_shared<ShardFileHexSource>(m_doc, s.pack().file());
    m_window.showShard(view);
    showShardTitle();
}

void Browser::withdrawShard()
{
    m_window.clearShard();
    m_slots.setShard(nullptr);
    m_layout = PackLayout();
}

void Browser::startSession()
{
    m_session = std::make_unique<EditSession>();
    m_session->setShard(m_doc->shard);
    m_slots.setEditSession(m_session.get());
    m_window.setEditSession(m_session.get());
}

void Browser::requestEditMode(bool on)
{
    QString why;
    if (!setEditMode(on, &why) && !why.isEmpty())
        reportError(on ? tr("Edit Mode") : tr("Leave Edit Mode"), why);
}

void Browser::reportError(const QString &title, const QString &message)
{
    m_window.showStatusMessage(message, 10'000);
    if (qobject_cast<QApplication *>(QCoreApplication::instance()) && m_window.isVisible())
        QMessageBox::warning(&m_window, title, message);
}

bool Browser::setEditMode(bool on, QString *error)
{
    const Store::Access wanted = on ? Store::Access::ReadWrite : Store::Access::ReadOnly;
    if (m_path.isEmpty() || wanted == m_access)
        return !m_path.isEmpty();
    const QString relPath = m_relPath;
    const std::optional<quint32> slot = m_window.selectedSlot();
    m_access = wanted;
    QString why;
    bool ok = open(m_path, &why) && (relPath.isEmpty() || showShard(relPath, &why));
    if (!ok && on) {
        // Most often the lock: another writer has the shard. Stay read-only.
        m_access = Store::Access::ReadOnly;
        open(m_path);
        if (!relPath.isEmpty())
            showShard(relPath);
        if (error)
            *error = tr("The shard cannot be opened for writing: %1").arg(why);
    } else if (!ok && error) {
        *error = why;
    }
    if (slot)
        m_window.selectSlot(*slot);
    if (ok)
        m_window.showStatusMessage(
            on ? tr("Edit mode: changes are staged until you write them (Ctrl+S)") : tr("Read-only again"), 5000);
    return ok;
}

bool Browser::writeStoreChanges(QString *error)
{
    const StoreChanges changes = m_storeSession->changes();
    const QString relPath = m_relPath;
    m_window.setEditSession(nullptr);
    m_slots.setEditSession(nullptr);
    withdrawShard();
    std::optional<Result<void>> result;
    runWrite(tr("Writing %n change(s) to the store…", nullptr, int(changes.puts.size() + changes.deletes.size())),
        [&] { result = commitStoreChanges(*m_doc->store, changes); });
    if (!*result) {
        // Each shard holds all of its changes or none, but the shards
        // written before the failure hold theirs: the store is read again
        // and only what is not on disk is staged again, so that writing once
        // more does the rest instead of refusing what is already done.
        const QList<StoreEditSession::PendingPut> puts = m_storeSession->pendingPuts();
        const QList<ContentId> removes = m_storeSession->pendingRemoves();
        const QString why = fromStd(result->error().describe());
        open(m_path);
        if (!relPath.isEmpty())
            showShard(relPath);
        QStringList dropped;
        const int written = m_storeSession ? m_storeSession->stageUnwritten(puts, removes, &dropped) : 0;
        if (!m_storeSession)
            dropped << tr("The store could not be opened again.");
        if (error)
            *error = why;
        QString message = tr("The store changes were not all written: %1\nEach shard holds either all of its changes "
                             "or none. %n change(s) reached the disk; the rest stay staged.",
            nullptr, written)
                              .arg(why);
        if (!dropped.isEmpty())
            message += u'\n' + tr("Could not be staged again: %1").arg(dropped.join(QStringLiteral("; ")));
        reportError(tr("Write Changes"), message);
        return false;
    }
    // New child shards may have appeared: the tree and every view start again.
    const int puts = int(changes.puts.size());
    const int removes = int(changes.deletes.size());
    open(m_path);
    if (!relPath.isEmpty())
        showShard(relPath);
    m_window.showStatusMessage(tr("Wrote %1 put(s) and %2 removal(s) to the store").arg(puts).arg(removes), 10'000);
    return true;
}

void Browser::runWrite(const QString &label, const std::function<void()> &work)
{
    if (!qobject_cast<QApplication *>(QCoreApplication::instance())) {
        work();
        return;
    }
    QApplication::setOverrideCursor(Qt::WaitCursor);
    BusyDialog::run(&m_window, label, work);
    QApplication::restoreOverrideCursor();
}

bool Browser::writeChanges(QString *error)
{
    if (m_storeSession && m_storeSession->hasChanges() && !(m_session && m_session->hasChanges()))
        return writeStoreChanges(error);
    if (!m_session || !m_doc || !m_doc->shard)
        return false;
    const ShardChanges changes = m_session->changes();
    if (changes.empty())
        return true;
    const std::optional<quint32> slot = m_window.selectedSlot();
    // A commit with deletes swaps the shard's files for a new generation's:
    // nothing may still read the old mappings.
    m_window.setEditSession(nullptr);
    m_slots.setEditSession(nullptr);
    withdrawShard();
    std::optional<Result<CommitResult>> committed;
    runWrite(tr("Writing %n change(s) to %1…", nullptr, int(changes.appends.size() + changes.deletes.size()))
                 .arg(QDir::toNativeSeparators(QString::fromStdString(m_doc->shard->path()))),
        [&] { committed = commitChanges(*m_doc->shard, changes); });
    auto &result = *committed;
    m_watcher.removePaths(m_watcher.files());
    presentShard();
    watchFiles();
    if (!result) {
        // The changes stay staged; the shard is as it was.
        m_slots.setEditSession(m_session.get());
        m_window.setEditSession(m_session.get());
        const QString why = fromStd(result.error().describe());
        if (error)
            *error = why;
        reportError(tr("Write Changes"), tr("Nothing was written: %1").arg(why));
        return false;
    }
    startSession();
    if (slot)
        m_window.selectSlot(*slot);
    runChecker();
    QString how = result->method == CommitMethod::InPlace
        ? tr("appended past the committed end")
        : tr("as generation %1 (copy-on-write)").arg(result->newGeneration);
    m_window.showStatusMessage(
        tr("Wrote %1 append(s) and %2 delete(s) %3").arg(result->appended).arg(result->deleted).arg(how), 10'000);
    if (result->retireError)
        reportError(tr("Write Changes"),
            tr("The changes are written, but the replaced generation's files could not all be removed: %1")
                .arg(fromStd(result->retireError->describe())));
    // The shard's own edits first; the store's puts and removals are planned
    // again against what is now on disk.
    if (m_storeSession && m_storeSession->hasChanges())
        return writeStoreChanges(error);
    return true;
}

void Browser::compact()
{
    if (!m_doc || !m_doc->shard || !editMode())
        return;
    Shard &shard = *m_doc->shard;
    CompactionPreview preview = ShardCompactionJob::preview(shard);
    if (auto dir = Directory::open(shard.path())) {
        if (auto next = nextFreeGeneration(*dir, shard.generation()))
            preview.newGeneration = *next;
    }
    ShardCompactionJob job(shard);
    // The flip swaps the shard's files: the views let go of them first.
    job.setAboutToStart([this] {
        m_window.setEditSession(nullptr);
        m_slots.setEditSession(nullptr);
        withdrawShard();
        m_window.showStatusMessage(tr("Compacting..."));
    });
    CompactDialog dialog(preview, &job, &m_window);
    dialog.exec();
    if (!job.hasStarted())
        return;
    m_watcher.removePaths(m_watcher.files());
    presentShard();
    watchFiles();
    startSession();
    runChecker();
}

QString Browser::newShardProblem(const QString &path)
{
    if (path.trimmed().isEmpty())
        return tr("Name the directory for the new shard.");
    const QFileInfo info(path);
    if (info.exists() && !info.isDir())
        return tr("%1 exists and is not a directory.").arg(QDir::toNativeSeparators(path));
    if (!info.exists() && !QFileInfo(info.absolutePath()).isDir())
        return tr("The parent directory %1 does not exist.").arg(QDir::toNativeSeparators(info.absolutePath()));
    if (info.isDir() && QDir(path).exists(QStringLiteral("MF")))
        return tr("%1 already holds a shard (it has an MF file).").arg(QDir::toNativeSeparators(path));
    if (info.isDir()
        && (QDir(path).exists(QString::fromStdString(tableFileName(0)))
            || QDir(path).exists(QString::fromStdString(packFileName(0)))))
        return tr("%1 already holds generation 0's files.").arg(QDir::toNativeSeparators(path));
    return {};
}

bool Browser::createShard(const QString &path, const ShardGeometry &geometry, QString *error)
{
    const QString problem = newShardProblem(path);
    QString why = problem;
    if (why.isEmpty()) {
        const std::string p = QFileInfo(path).absoluteFilePath().toStdString();
        auto dir = Directory::create(p);
        if (!dir) {
            why = fromStd(dir.error().describe());
        } else {
            // Hydrating creates the table and pack; the shard is then closed
            // (and its lock let go) before it is opened for the window.
            auto shard = Shard::hydrate(p, geometry);
            if (!shard)
                why = fromStd(shard.error().describe());
        }
    }
    if (!why.isEmpty()) {
        if (error)
            *error = why;
        return false;
    }
    return open(path, error);
}

std::optional<quint32> Browser::missingGeneration(const QString &path)
{
    auto dir = Directory::open(QFileInfo(path).absoluteFilePath().toStdString());
    if (!dir)
        return std::nullopt;
    auto manifest = ManifestFile::load(*dir);
    if (!manifest || !manifest->has_value())
        return std::nullopt; // without MF it is a new shard, not a missing generation
    const uint32_t gen = (*manifest)->active().gen;
    auto table = dir->status(tableFileName(gen));
    auto pack = dir->status(packFileName(gen));
    if (!table || !pack)
        return std::nullopt;
    if (table->type == EntryType::Missing || pack->type == EntryType::Missing)
        return gen;
    return std::nullopt;
}

bool Browser::initialiseGeneration(const QString &path, const ShardGeometry &geometry, QString *error)
{
    {
        // Like the reference's Hydrate: the missing files are created at these
        // sizes; the shard is closed (its lock let go) before it is shown.
        auto shard = Shard::hydrate(QFileInfo(path).absoluteFilePath().toStdString(), geometry);
        if (!shard) {
            if (error)
                *error = fromStd(shard.error().describe());
            return false;
        }
    }
    return open(path, error);
}

void Browser::newShard()
{
    if (!m_window.editActions()->settlePendingChanges(tr("creating a new shard")))
        return;
    // A location that failed to open for want of its generation's files is
    // offered those files first.
    if (!m_doc && !m_path.isEmpty()) {
        if (const std::optional<quint32> gen = missingGeneration(m_path)) {
            HydrateDialog dialog(HydrateDialog::Mode::MissingGeneration, m_path, *gen, {}, &m_window);
            if (dialog.exec() != QDialog::Accepted)
                return;
            QString why;
            if (!initialiseGeneration(m_path, dialog.geometry(), &why))
                reportError(tr("Initialise Generation"), tr("Cannot create the files: %1").arg(why));
            return;
        }
    }
    HydrateDialog dialog(HydrateDialog::Mode::NewShard, {}, 0, &Browser::newShardProblem, &m_window);
    if (dialog.exec() != QDialog::Accepted)
        return;
    QString why;
    if (!createShard(dialog.directory(), dialog.geometry(), &why))
        reportError(tr("New Shard"), tr("Cannot create the shard: %1").arg(why));
}

void Browser::compareGenerations()
{
    if (!m_doc || !m_doc->shard)
        return;
    const std::string shardPath = m_doc->shard->path();
    auto dir = Directory::open(shardPath);
    auto gens = dir ? listGenerations(*dir) : Result<std::vector<uint32_t>>(std::unexpected(dir.error()));
    if (!gens) {
        reportError(tr("Compare Generations"), fromStd(gens.error().describe()));
        return;
    }
    if (gens->size() < 2) {
        reportError(tr("Compare Generations"),
            tr("This shard directory holds only one generation's files; there is nothing to compare. A compaction "
               "keeps the old generation until you delete it."));
        return;
    }
    QList<uint32_t> list(gens->begin(), gens->end());
    GenerationDiffDialog dialog(
        list, m_doc->shard->generation(),
        [shardPath](uint32_t oldGen, uint32_t newGen) -> Result<GenerationDiff> {
            // Read-only, through a directory of its own.
            auto d = Directory::open(shardPath);
            if (!d)
                return std::unexpected(d.error());
            return diffGenerations(*d, oldGen, newGen);
        },
        &m_window);
    dialog.exec();
}

void Browser::runChecker()
{
    // The checker walks every shard of a store: on a thread of its own, so a
    // big store does not freeze the window. A result for a location no
    // longer open is dropped.
    const quint64 run = ++m_checkRun;
    m_checking = true;
    m_report = CheckReport {m_path.toStdString(), {}};
    m_diagnostics = std::make_unique<DiagnosticsModel>();
    m_window.setDiagnosticsModel(m_diagnostics.get());
    m_window.setDiagnosticsStatus(tr("Checking %1...").arg(QDir::toNativeSeparators(m_path)));
    // Threads of earlier runs that are done are joined here, not left to pile up.
    std::erase_if(m_checkers, [](Checker &c) {
        if (!c.done->load())
            return false;
        c.thread.join();
        return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    m_checkers.push_back({{}, done});
    m_checkers.back().thread = std::thread([this, run, done, path = m_path.toStdString()]() {
        auto result = checkStore(path);
        CheckReport report;
        if (result) {
            report = std::move(*result);
        } else {
            report = CheckReport {path, {}};
            report.diagnostics.push_back(Diagnostic {
                "io-error", Severity::Error, {}, result.error().offset, {}, {}, result.error().describe(), {}});
        }
        QMetaObject::invokeMethod(
            this, [this, run, report = std::move(report)]() mutable { finishCheck(run, std::move(report)); },
            Qt::QueuedConnection);
        done->store(true);
    });
}

void Browser::finishCheck(quint64 run, CheckReport report)
{
    if (run != m_checkRun)
        return;
    m_checking = false;
    m_report = std::move(report);
    m_diagnostics = std::make_unique<DiagnosticsModel>();
    m_diagnostics->setReport(m_report);
    m_window.setDiagnosticsModel(m_diagnostics.get());
    m_window.setDiagnosticsStatus({});
    Q_EMIT checkFinished();
}

bool Browser::waitForCheck(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (m_checking && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    return !m_checking;
}

void Browser::reload()
{
    if (m_path.isEmpty())
        return;
    const QString relPath = m_relPath;
    const std::optional<quint32> slot = m_window.selectedSlot();
    if (!open(m_path))
        return;
    if (!relPath.isEmpty())
        showShard(relPath);
    if (slot)
        m_window.selectSlot(*slot);
    m_window.showStatusMessage(tr("Reloaded"), 3000);
    Q_EMIT reloaded();
}

void Browser::watchFiles()
{
    if (!m_doc || !m_doc->shard)
        return;
    const QDir dir(QString::fromStdString(m_doc->shard->path()));
    QStringList paths {dir.path()};
    for (const QString &name : {QStringLiteral("MF"), QString::fromStdString(tableFileName(m_doc->shard->generation())),
             QString::fromStdString(packFileName(m_doc->shard->generation()))}) {
        if (dir.exists(name))
            paths << dir.filePath(name);
    }
    m_watcher.addPaths(paths);
}

void Browser::onFilesChanged()
{
    if (!m_doc || !m_doc->shard)
        return;
    // In edit mode we hold the write lock and the changes are our own; a
    // reload would drop what is staged.
    if (editMode())
        return;
    // A file that shrank under the mappings reads as zeros past its new end
    // (the storage library's SIGBUS guard); say so rather than show them.
    bool shrank = false;
    for (const ShardFile *file : {&m_doc->shard->table().file(), &m_doc->shard->pack().file()}) {
        const std::optional<uint64_t> now = file->currentSize();
        if (file->truncatedSinceMapped() || (now && *now < file->size()))
            shrank = true;
        // Unlinked: the descriptor still reads the old inode; the name is gone.
        if (!QFileInfo::exists(QString::fromStdString(file->path())))
            shrank = true;
    }
    if (m_window.autoReload()) {
        reload();
        return;
    }
    m_window.showStatusMessage(shrank ? tr("A shard file shrank or vanished on disk: what is shown may be stale or "
                                           "zeros. Press F5 to reload.")
                                      : tr("The shard changed on disk. Press F5 to reload."));
}

void Browser::onDiagnosticActivated(const QModelIndex &index)
{
    if (!index.isValid())
        return;
    const QString shard = index.data(DiagnosticsModel::ShardRole).toString();
    if (shard != m_relPath && !showShard(shard))
        return;
    const QVariant slot = index.data(DiagnosticsModel::SlotRole);
    if (slot.isValid() && !slot.isNull())
        m_window.selectSlot(slot.toUInt());
    const QVariant offset = index.data(DiagnosticsModel::OffsetRole);
    const QString file = QFileInfo(index.data(DiagnosticsModel::FileRole).toString()).fileName();
    if (offset.isValid() && !offset.isNull() && !file.isEmpty()) {
        const FormatFile kind = file == QLatin1String("MF") ? FormatFile::Manifest
            : file.endsWith(QLatin1String(".slot"))         ? FormatFile::Table
                                                            : FormatFile::Pack;
        m_window.showFileOffset(kind, offset.toULongLong());
    }
}

} // namespace shardscope
