// Crash safety, step by step. For each write operation the storage library
// offers (appends + flush, deletes and mixed change sets through
// commitChanges, compaction (with the new pack assembled in memory, and
// gathered from the old pack's mapping as for a pack too large to assemble),
// compaction that retires the old generation, a fresh hydrate, and the three repairs of repair.h on damaged shards),
// the operation is run once with a counting hook to learn its N write steps (every file write, sync, create, rename,
// remove, directory sync and manifest write goes through the fault hook of storage/fault_injection.h). Then, for every
// k in 1..N, a pristine copy of the shard is handed to a forked child that runs the operation with a hook that, at step
// k:
//   kill        - SIGKILLs the child (the page cache keeps every write made);
//   kill-drop   - first undoes what a power cut could lose, as LevelDB's and
//                 SQLite's crash tests do: bytes written to a file since its
//                 last fsync/fdatasync go back to what they were, and names
//                 created, renamed or removed since the directory's last
//                 fsync are undone; then SIGKILLs the child;
//   kill-tear   - a power cut that lost only part of it, as SQLite's crash
//                 VFS models: each 4 KiB page of an unsynced write is kept or
//                 undone at random (a page past the synced end reads as zeros
//                 when undone, and the file's growth is kept or not), and a
//                 random first part of each directory's unsynced name changes
//                 stays (a journaling file system commits them in order);
//                 then SIGKILLs the child;
//   EIO/ENOSPC  - fails that one call with the errno, once;
//   EIO-always  - fails that call and every one after it.
// The parent then proves: the checker finds no error (but, for a repair,
// the damage it started from while the old state stands); the live entries
// (key -> sha256 of the bytes, read by the independent FORMAT.md reader) are
// exactly the old set or exactly the new set; the shard opens for writing
// again. An injected error must come back as an error naming the file of the
// failed call (and for writes its offset), the child must not crash, and an
// error before the manifest write must leave every file the old manifest
// names byte for byte as it was (for in-place appends: the committed bytes)
// and no new file behind.
#include "test_support.h"

#include "checker.h"
#include "crash_harness.h"
#include "fault_injection.h"
#include "repair.h"
#include "shard.h"
#include "shard_changes.h"
#include "store.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <set>

using namespace shardscope;
using namespace testsupport;
using crashtest::LiveSet;

namespace {

enum class Op {
    AppendFlush,
    AppendCommit, // commitChanges with appends only: in place, as the CLI and the editor append
    DeleteCommit,
    MixedCommit,
    Compact,
    CompactRemoveOld,
    // Compaction with no memory to assemble the new pack in: the path a pack
    // of more live bytes than the copy memory limit takes, gathered from the
    // old pack's mapping.
    CompactGathered,
    HydrateNew,
    // Repairs of damaged shards (repair.h): plan, then apply.
    RepairRebuild,
    RepairAdopt,
    RepairPreviousManifest,
    // A blob put into a store whose root shard is full: a child shard is
    // made, hydrated and written.
    StorePut,
    // A store change set as the editor writes it: puts that make two child
    // shards and a delete from the root, each shard committed on its own.
    StoreCommit,
    // A writer that breaks DURABILITY.md's rule 1, for proving the harness:
    // it compacts over the files the active manifest names.
    UnsafeCompactInPlace,
};
enum class Mode { Kill, KillDropUnsynced, KillTearUnsynced, ErrorOnce, ErrorAlways };

// Each way a run is stopped, with the errno it injects.
constexpr std::pair<Mode, int> kStopModes[] = {
    {Mode::Kill, 0},
    {Mode::KillDropUnsynced, 0},
    {Mode::KillTearUnsynced, 0},
    {Mode::ErrorOnce, EIO},
    {Mode::ErrorOnce, ENOSPC},
    {Mode::ErrorAlways, EIO},
};

bool killsTheChild(Mode m)
{
    return m == Mode::Kill || m == Mode::KillDropUnsynced || m == Mode::KillTearUnsynced;
}

const char *modeName(Mode m, int err)
{
    switch (m) {
    case Mode::Kill:
        return "kill";
    case Mode::KillDropUnsynced:
        return "kill-drop-unsynced";
    case Mode::KillTearUnsynced:
        return "kill-tear-unsynced";
    case Mode::ErrorOnce:
        return err == ENOSPC ? "ENOSPC-once" : "EIO-once";
    case Mode::ErrorAlways:
        return "EIO-always";
    }
    return "?";
}

// What the operation is given: decided in the parent, inherited by the child.
struct OpInput {
    Op op = Op::AppendFlush;
    std::vector<StagedAppend> appends;
    std::vector<Key> deletes;
    ShardGeometry geometry; // HydrateNew only
    StoreChanges store; // StorePut (its one put), StoreCommit
};

bool isRepair(Op op)
{
    return op == Op::RepairRebuild || op == Op::RepairAdopt || op == Op::RepairPreviousManifest;
}

std::string keyHex(const Key &k)
{
    const auto b = k.bytes();
    return independent::hex(b.data(), b.size());
}

// The step a hook saw, as text for the report: "write 00000000.pack @4096+512".
std::string stepText(const IoEvent &e)
{
    const auto slash = e.path.rfind('/');
    std::string s
        = std::string(ioStepName(e.step)) + " " + (slash == std::string::npos ? e.path : e.path.substr(slash + 1));
    if (e.step == IoStep::Write || e.step == IoStep::CopyRange)
        s += " @" + std::to_string(e.offset) + "+" + std::to_string(e.length);
    if (e.step == IoStep::Truncate)
        s += " to " + std::to_string(e.length);
    return s;
}

std::string oneLine(std::string s)
{
    for (char &c : s) {
        if (c == '\n' || c == '\t')
            c = ' ';
    }
    return s;
}

// ---------------------------------------------------------------------------
// The crash file system: what a power cut at this moment could take away.

class UnsyncedState
{
public:
    explicit UnsyncedState(std::string backupDir) : m_backupDir(std::move(backupDir)) { }

    // Called for a step that is about to go on.
    void record(const IoEvent &e)
    {
        std::lock_guard lock(m_mutex);
        switch (e.step) {
        case IoStep::CreateFile:
            m_created.insert(e.path);
            m_names[parentOf(e.path)].push_back({NameOp::Created, e.path, {}, {}});
            break;
        case IoStep::MakeDirectory:
            m_names[parentOf(e.path)].push_back({NameOp::MadeDirectory, e.path, {}, {}});
            break;
        case IoStep::Truncate:
            track(e);
            break;
        case IoStep::Write:
        case IoStep::CopyRange: {
            FileUndo *f = track(e);
            if (!f)
                break;
            struct stat st {
            };
            ::fstat(e.fd, &st);
            const uint64_t size = uint64_t(st.st_size);
            if (e.offset < size) {
                std::vector<uint8_t> old(size_t(std::min<uint64_t>(e.length, size - e.offset)));
                const ssize_t n = ::pread(e.fd, old.data(), old.size(), off_t(e.offset));
                old.resize(n > 0 ? size_t(n) : 0);
                f->writes.push_back({e.offset, std::move(old)});
            }
            break;
        }
        case IoStep::SyncFile:
        case IoStep::SyncData: {
            struct stat st {
            };
            if (::fstat(e.fd, &st) != 0)
                break;
            auto it = m_files.find({st.st_dev, st.st_ino});
            if (it == m_files.end())
                break;
            it->second.writes.clear();
            it->second.syncedSize = uint64_t(st.st_size);
            break;
        }
        case IoStep::Rename: {
            std::string backup;
            if (::access(e.path.c_str(), F_OK) == 0)
                backup = keep(e.path);
            m_names[parentOf(e.path)].push_back({NameOp::Renamed, e.path, e.from, backup});
            break;
        }
        case IoStep::Remove:
            if (::access(e.path.c_str(), F_OK) == 0)
                m_names[parentOf(e.path)].push_back({NameOp::Removed, e.path, {}, keep(e.path)});
            break;
        case IoStep::SyncDirectory:
            m_names[e.path].clear();
            break;
        }
    }

    // Undoes everything not yet durable, or with `tear` a random part of
    // it. The lock stays held: no other thread's step gets past its hook
    // before the process dies.
    void loseUnsynced(std::optional<uint64_t> tear = std::nullopt)
    {
        m_mutex.lock();
        std::mt19937_64 rng(tear.value_or(0));
        auto undo = [&]() { return !tear || rng() % 2 == 0; };
        constexpr uint64_t kPage = 4096;
        for (auto &[id, f] : m_files) {
            struct stat st {
            };
            const uint64_t size = ::fstat(f.fd, &st) == 0 ? uint64_t(st.st_size) : 0;
            if (tear) {
                // Pages past the synced end: never on disk before, so an
                // undone one reads as zeros if the growth itself stays.
                const std::vector<uint8_t> zeros(kPage, 0);
                for (uint64_t at = f.syncedSize; at < size; at = (at / kPage + 1) * kPage) {
                    if (undo())
                        (void)!::pwrite(
                            f.fd, zeros.data(), size_t(std::min((at / kPage + 1) * kPage, size) - at), off_t(at));
                }
            }
            for (auto it = f.writes.rbegin(); it != f.writes.rend(); ++it) {
                const uint64_t from = it->first;
                const uint64_t to = from + it->second.size();
                for (uint64_t at = from; at < to; at = (at / kPage + 1) * kPage) {
                    const uint64_t end = std::min((at / kPage + 1) * kPage, to);
                    if (undo())
                        (void)!::pwrite(f.fd, it->second.data() + (at - from), size_t(end - at), off_t(at));
                }
            }
            if (size > f.syncedSize && undo())
                (void)!::ftruncate(f.fd, off_t(f.syncedSize));
        }
        for (auto &[dir, ops] : m_names) {
            // Torn: the changes after a random point are lost, those before it stay.
            const size_t kept = tear ? size_t(rng() % (ops.size() + 1)) : 0;
            for (auto it = ops.rbegin(); it != ops.rend() - ptrdiff_t(kept); ++it) {
                switch (it->kind) {
                case NameOp::Created:
                    ::unlink(it->path.c_str());
                    break;
                case NameOp::MadeDirectory:
                    QDir(QString::fromStdString(it->path)).removeRecursively();
                    break;
                case NameOp::Renamed:
                    ::rename(it->path.c_str(), it->from.c_str());
                    if (!it->backup.empty())
                        ::link(it->backup.c_str(), it->path.c_str());
                    break;
                case NameOp::Removed:
                    ::link(it->backup.c_str(), it->path.c_str());
                    break;
                }
            }
        }
    }

private:
    struct FileUndo {
        int fd = -1; // a duplicate, valid whatever the file is renamed to
        uint64_t syncedSize = 0;
        std::vector<std::pair<uint64_t, std::vector<uint8_t>>> writes;
    };
    struct NameOp {
        enum Kind { Created, MadeDirectory, Renamed, Removed } kind;
        std::string path;
        std::string from;
        std::string backup; // a hard link to what the name held before
    };

    static std::string parentOf(const std::string &path)
    {
        const auto slash = path.rfind('/');
        return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
    }

    FileUndo *track(const IoEvent &e)
    {
        struct stat st {
        };
        if (e.fd < 0 || ::fstat(e.fd, &st) != 0)
            return nullptr;
        auto [it, inserted] = m_files.try_emplace({st.st_dev, st.st_ino});
        if (inserted) {
            it->second.fd = ::dup(e.fd);
            // A file this operation created was empty on disk; any other was
            // durable as the test found it.
            it->second.syncedSize = m_created.contains(e.path) ? 0 : uint64_t(st.st_size);
        }
        return &it->second;
    }

    std::string keep(const std::string &path)
    {
        const std::string backup = m_backupDir + "/" + std::to_string(m_backups++);
        ::link(path.c_str(), backup.c_str());
        return backup;
    }

    std::mutex m_mutex;
    std::string m_backupDir;
    int m_backups = 0;
    std::set<std::string> m_created;
    std::map<std::pair<dev_t, ino_t>, FileUndo> m_files;
    std::map<std::string, std::vector<NameOp>> m_names;
};

// ---------------------------------------------------------------------------
// The operations, as the editor and the command line run them.

// Compaction written over the live pack and table, then committed: what a
// careless writer does. Only the harness's own test runs it.
Result<void> compactInPlace(const std::string &dir)
{
    std::vector<uint8_t> pack;
    std::vector<uint8_t> table;
    uint32_t gen = 0;
    uint32_t n = 0;
    std::optional<ManifestCopies> copies;
    {
        auto shard = Shard::openForWriting(dir);
        if (!shard)
            return std::unexpected(shard.error());
        gen = shard->generation();
        copies = shard->manifestCopies();
        for (uint32_t i = 0; i < shard->slotCount(); ++i) {
            const Entry e = shard->entry(i);
            if (e.isTombstone())
                continue;
            auto bytes = shard->data(e);
            if (!bytes)
                return std::unexpected(bytes.error());
            const Entry moved {e.key, uint32_t(pack.size()), e.len};
            table.resize(table.size() + kTableEntrySize);
            moved.encodeTo(table.data() + table.size() - kTableEntrySize);
            pack.insert(pack.end(), bytes->begin(), bytes->end());
            ++n;
        }
    }
    auto d = Directory::open(dir);
    if (!d)
        return std::unexpected(d.error());
    auto packFd = d->openForWriting(packFileName(gen));
    auto tableFd = d->openForWriting(tableFileName(gen));
    if (!packFd || !tableFd)
        return std::unexpected(!packFd ? packFd.error() : tableFd.error());
    const std::span<const uint8_t> all(pack);
    const size_t half = pack.size() / 2;
    for (auto part : {all.first(half), all.subspan(half)}) {
        if (auto r = writeAll(packFd->get(), part, uint64_t(part.data() - pack.data()), d->filePath(packFileName(gen)));
            !r)
            return r;
    }
    if (auto r = writeAll(tableFd->get(), table, 0, d->filePath(tableFileName(gen))); !r)
        return r;
    if (auto r = syncData(packFd->get(), d->filePath(packFileName(gen))); !r)
        return r;
    if (auto r = syncData(tableFd->get(), d->filePath(tableFileName(gen))); !r)
        return r;
    auto saved = ManifestFile::save(*d, copies, gen, n);
    if (!saved)
        return std::unexpected(saved.error());
    return {};
}

Result<void> runOperation(const OpInput &in, const std::string &dir)
{
    if (in.op == Op::UnsafeCompactInPlace)
        return compactInPlace(dir);
    if (in.op == Op::HydrateNew) {
        auto shard = Shard::hydrate(dir, in.geometry);
        if (!shard)
            return std::unexpected(shard.error());
        return shard->flush();
    }
    if (in.op == Op::StorePut || in.op == Op::StoreCommit) {
        auto store = Store::open(dir, Store::Access::ReadWrite);
        if (!store)
            return std::unexpected(store.error());
        if (in.op == Op::StoreCommit)
            return commitStoreChanges(*store, in.store);
        auto put = store->put(in.store.puts.front().first, in.store.puts.front().second);
        if (!put)
            return std::unexpected(put.error());
        if (!*put)
            return fail(ErrorKind::Invalid, dir, "the blob was already stored");
        return {};
    }
    if (isRepair(in.op)) {
        const RepairKind kind = in.op == Op::RepairRebuild ? RepairKind::Rebuild
            : in.op == Op::RepairAdopt                     ? RepairKind::AdoptUncommitted
                                                           : RepairKind::PreviousManifest;
        auto plan = planRepair(dir, kind);
        if (!plan)
            return std::unexpected(plan.error());
        if (plan->nothingToDo)
            return fail(ErrorKind::Invalid, dir, "the test shard has nothing to repair: " + plan->describe());
        auto r = applyRepair(*plan);
        if (!r)
            return std::unexpected(r.error());
        return {};
    }
    auto shard = Shard::openForWriting(dir);
    if (!shard)
        return std::unexpected(shard.error());
    switch (in.op) {
    case Op::AppendFlush:
        for (const auto &a : in.appends) {
            auto r = shard->append(a.key, a.data);
            if (!r)
                return std::unexpected(r.error());
            if (!*r)
                return fail(ErrorKind::Invalid, dir, "append refused: key " + a.key.toHex() + " already present");
        }
        return shard->flush();
    case Op::AppendCommit:
    case Op::DeleteCommit:
    case Op::MixedCommit: {
        ShardChanges changes;
        changes.appends = in.appends;
        changes.deletes = in.deletes;
        auto r = commitChanges(*shard, changes);
        if (!r)
            return std::unexpected(r.error());
        return {};
    }
    case Op::Compact:
    case Op::CompactRemoveOld:
    case Op::CompactGathered: {
        CompactionOptions options;
        if (in.op == Op::CompactGathered)
            options.copyMemoryLimit = 0;
        auto r = shard->compact(options);
        if (!r)
            return std::unexpected(r.error());
        if (in.op == Op::CompactRemoveOld)
            return shard->removeGeneration(r->oldGeneration);
        return {};
    }
    default:
        break;
    }
    return {};
}

struct ChildPlan {
    Mode mode = Mode::Kill;
    int err = 0;
    int step = 0; // 0: count only
    std::string backupDir; // KillDropUnsynced, KillTearUnsynced
    uint64_t tearSeed = 0; // KillTearUnsynced
};

// The child's body: runs the operation under the plan's hook and reports.
// Report lines: "STEP text" per step (counting run), "INJECTED step\tpath\toffset",
// then "OK" or "ERROR kind\tfile\toffset\tmessage".
int childMain(const OpInput &in, const std::string &dir, const ChildPlan &plan, int reportFd)
{
    std::atomic<int> counter {0};
    std::mutex stepsMutex;
    std::string report;
    UnsyncedState unsynced(plan.backupDir);
    std::mutex injectedMutex;
    std::optional<IoEvent> injected;

    setFaultHook([&](const IoEvent &e) -> int {
        const int n = ++counter;
        if (plan.step == 0) {
            std::lock_guard lock(stepsMutex);
            report += "STEP " + oneLine(stepText(e)) + "\n";
            return 0;
        }
        switch (plan.mode) {
        case Mode::Kill:
            if (n == plan.step)
                ::raise(SIGKILL);
            return 0;
        case Mode::KillDropUnsynced:
        case Mode::KillTearUnsynced:
            if (n == plan.step) {
                if (plan.mode == Mode::KillTearUnsynced)
                    unsynced.loseUnsynced(plan.tearSeed);
                else
                    unsynced.loseUnsynced();
                ::raise(SIGKILL);
            }
            unsynced.record(e);
            return 0;
        case Mode::ErrorOnce:
        case Mode::ErrorAlways:
            if (n == plan.step || (plan.mode == Mode::ErrorAlways && n > plan.step)) {
                std::lock_guard lock(injectedMutex);
                if (!injected)
                    injected = e;
                return plan.err;
            }
            return 0;
        }
        return 0;
    });
    const auto result = runOperation(in, dir);
    clearFaultHook();
    if (injected) {
        report += "INJECTED " + std::string(ioStepName(injected->step)) + "\t" + oneLine(injected->path) + "\t"
            + std::to_string(injected->offset) + "\n";
    }
    if (result) {
        report += "OK\n";
    } else {
        const Error &e = result.error();
        report += "ERROR " + std::string(errorKindName(e.kind)) + "\t" + oneLine(e.file) + "\t"
            + (e.offset ? std::to_string(*e.offset) : std::string("-")) + "\t" + oneLine(e.message) + "\n";
    }
    crashtest::writeReport(reportFd, report);
    return 0;
}

struct ParsedReport {
    std::vector<std::string> steps;
    bool ok = false;
    bool error = false;
    std::string errorKind, errorFile, errorOffset, errorMessage;
    bool injected = false;
    std::string injectedStep, injectedPath, injectedOffset;
};

std::vector<std::string> splitTabs(const std::string &s)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        const auto tab = s.find('\t', start);
        out.push_back(s.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos)
            return out;
        start = tab + 1;
    }
}

ParsedReport parseReport(const std::string &text)
{
    ParsedReport r;
    size_t start = 0;
    while (start < text.size()) {
        auto nl = text.find('\n', start);
        if (nl == std::string::npos)
            nl = text.size();
        const std::string line = text.substr(start, nl - start);
        start = nl + 1;
        if (line.starts_with("STEP ")) {
            r.steps.push_back(line.substr(5));
        } else if (line == "OK") {
            r.ok = true;
        } else if (line.starts_with("ERROR ")) {
            const auto f = splitTabs(line.substr(6));
            r.error = true;
            r.errorKind = f.size() > 0 ? f[0] : "";
            r.errorFile = f.size() > 1 ? f[1] : "";
            r.errorOffset = f.size() > 2 ? f[2] : "";
            r.errorMessage = f.size() > 3 ? f[3] : "";
        } else if (line.starts_with("INJECTED ")) {
            const auto f = splitTabs(line.substr(9));
            r.injected = true;
            r.injectedStep = f.size() > 0 ? f[0] : "";
            r.injectedPath = f.size() > 1 ? f[1] : "";
            r.injectedOffset = f.size() > 2 ? f[2] : "";
        }
    }
    return r;
}

// The counting run: the operation in a child on `countDir`, with a hook that
// only lists its steps. Fails the test when the operation itself fails.
void countSteps(const OpInput &in, const QString &countDir, ParsedReport &counted)
{
    const ChildPlan countPlan;
    auto end = crashtest::runInChild(
        [&](int fd) { return childMain(in, str(countDir), countPlan, fd); }, std::chrono::seconds(60));
    QVERIFY2(end.exited && end.code == 0, end.describe().c_str());
    counted = parseReport(end.output);
    QVERIFY2(counted.ok, ("the operation itself fails: " + counted.errorFile + ": " + counted.errorMessage).c_str());
    QVERIFY(!counted.steps.empty());
}

// The operation in a child on `dir`, stopped at step k the way `m` says;
// `backup` holds what a power cut would undo, `seedSalt` varies the tear.
crashtest::ChildEnd runStoppedAt(
    const OpInput &in, const QString &dir, const QString &backup, Mode m, int err, int k, uint64_t seedSalt)
{
    ChildPlan plan;
    plan.mode = m;
    plan.err = err;
    plan.step = k;
    plan.backupDir = str(backup);
    plan.tearSeed = uint64_t(k) * 0x9E3779B97F4A7C15ull + seedSalt;
    return crashtest::runInChild([&](int fd) { return childMain(in, str(dir), plan, fd); }, std::chrono::seconds(60));
}

// The bytes the old manifest names, to prove an early error changed nothing.
struct OldFiles {
    std::map<QString, QByteArray> bytes; // MF, table and pack of the old generation
    QStringList names; // every entry of the directory
    uint64_t tableCommitted = 0; // bytes of committed slots
    uint64_t packCommitted = 0; // end of the last committed entry
    QString tableName, packName;
};

struct Figures {
    int operations = 0;
    int rounds = 0;
    int failures = 0;
    int killedBeforeCommit = 0;
    int errorsReturned = 0;
    int residue = 0; // files an early error of an in-place append left with uncommitted bytes past the committed end
    int quietAfterCommit = 0; // errors after the commit the operation did not report
};

Figures g_total;

} // namespace

class tst_FaultInjection : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void noHookCostsNothingAndChangesNothing();
    void injectedErrorNamesFileAndOffset_data();
    void injectedErrorNamesFileAndOffset();
    void everyStep_data();
    void everyStep();
    void harnessCatchesAnUnsafeWriter_data();
    void harnessCatchesAnUnsafeWriter();
    void storeEveryStep_data();
    void storeEveryStep();
    void cleanupTestCase();

private:
    QString makePristine(
        const QString &name, int entries, int tombstones, uint32_t tableSlots, uint32_t pack, uint64_t seed);
    void runRounds(Op operation, const QString &pristine, Mode m, int err, Figures &fig, QStringList &failures);
    bool inputFor(Op op, const QString &pristine, OpInput &in, LiveSet &expectedNew, std::string &why);

    QTemporaryDir m_tmp;
    std::map<QString, QString> m_pristine; // name -> directory
    // The pristine store's blobs, all in its full root shard.
    std::vector<std::pair<ContentId, std::vector<uint8_t>>> m_storeBlobs;
};

QString tst_FaultInjection::makePristine(
    const QString &name, int entries, int tombstones, uint32_t tableSlots, uint32_t pack, uint64_t seed)
{
    const QString dir = m_tmp.filePath(QStringLiteral("pristine-") + name);
    if (!QDir().mkpath(dir))
        return {};
    std::mt19937_64 rng(seed);
    auto shard = Shard::hydrate(str(dir), ShardGeometry {tableSlots, pack});
    if (!shard)
        return {};
    std::vector<Key> keys;
    for (int i = 0; i < entries; ++i) {
        const Key k = randomKey(rng);
        // Sizes from empty to a dozen KiB, so a compaction's pack takes more than one write.
        const size_t len = i == 3 ? 0 : size_t(rng() % 12000);
        auto r = shard->append(k, randomBytes(rng, len));
        if (!r || !*r)
            return {};
        keys.push_back(k);
    }
    if (!shard->flush())
        return {};
    for (int i = 0; i < tombstones; ++i) {
        auto r = shard->remove(keys[size_t(i) * keys.size() / size_t(tombstones) + 1]);
        if (!r || !*r)
            return {};
    }
    if (!shard->flush())
        return {};
    return dir;
}

void tst_FaultInjection::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    clearFaultHook();
    const QString built = makePristine(QStringLiteral("built"), 60, 6, 256, 4u << 20, 20261125);
    QVERIFY(!built.isEmpty());
    m_pristine[QStringLiteral("built")] = built;
    for (const QString &fixture :
        {QStringLiteral("basic"), QStringLiteral("tombstones"), QStringLiteral("compacted")}) {
        const QString copy = copyFixture(m_tmp.path(), fixture);
        QVERIFY(!copy.isEmpty());
        m_pristine[fixture] = copy;
    }
    const QString empty = m_tmp.filePath(QStringLiteral("pristine-empty"));
    QVERIFY(QDir().mkpath(empty));
    m_pristine[QStringLiteral("empty")] = empty;

    // Damaged shards for the repairs: our writer plus byte surgery.
    // overlap: slot 5 starts where slot 4 does (rebuild salvages slot 5).
    const QString overlap = makePristine(QStringLiteral("overlap"), 40, 0, 256, 1u << 20, 7001);
    QVERIFY(!overlap.isEmpty());
    {
        const QString table = overlap + QStringLiteral("/00000000.slot");
        const QByteArray t = readFile(table);
        auto slot = [&](int i) { return Entry::decode(reinterpret_cast<const uint8_t *>(t.constData()) + i * 32); };
        QVERIFY(slot(4).len > 1 && slot(5).len > 0);
        Entry moved = slot(5);
        moved.offset = slot(4).offset;
        QByteArray bytes(32, '\0');
        moved.encodeTo(reinterpret_cast<uint8_t *>(bytes.data()));
        QVERIFY(patchFile(table, 5 * 32, bytes));
    }
    m_pristine[QStringLiteral("overlap")] = overlap;
    // uncommitted: six intact slots past table_len, as a flush cut short
    // before its manifest save leaves them.
    const QString uncommitted = makePristine(QStringLiteral("uncommitted"), 40, 0, 256, 1u << 20, 7002);
    QVERIFY(!uncommitted.isEmpty());
    {
        auto shard = Shard::openForWriting(str(uncommitted));
        CHECK_OK(shard);
        std::mt19937_64 rng(7003);
        for (int i = 0; i < 6; ++i)
            QVERIFY(shard->append(randomKey(rng), randomBytes(rng, 500 + size_t(i) * 100)).value_or(false));
        CHECK_OK(shard->flush());
    }
    {
        const QString mf = uncommitted + QStringLiteral("/MF");
        const QByteArray bytes = readFile(mf);
        const int active = readU64(bytes, 32) > readU64(bytes, 0) ? 1 : 0;
        QCOMPARE(readU32(bytes, active * 32 + 12), 46u);
        QVERIFY(patchFile(mf, active * 32 + 12, u32le(40)));
    }
    m_pristine[QStringLiteral("uncommitted")] = uncommitted;
    // lost-generation: the active copy names generation 1, whose pack is
    // gone; the other copy names generation 0, still whole.
    const QString lost = makePristine(QStringLiteral("lost-generation"), 40, 4, 256, 1u << 20, 7004);
    QVERIFY(!lost.isEmpty());
    {
        auto shard = Shard::openForWriting(str(lost));
        CHECK_OK(shard);
        CHECK_OK(shard->compact());
    }
    QVERIFY(QFile::remove(lost + QStringLiteral("/00000001.pack")));
    m_pristine[QStringLiteral("lost-generation")] = lost;

    // A store whose root shard (8 slots) is full, with no child yet.
    const QString store = m_tmp.filePath(QStringLiteral("pristine-store"));
    QVERIFY(QDir().mkpath(store));
    {
        auto root = Shard::hydrate(str(store), ShardGeometry {8, 64u << 10});
        CHECK_OK(root);
        CHECK_OK(root->flush());
    }
    {
        auto opened = Store::open(str(store), Store::Access::ReadWrite);
        CHECK_OK(opened);
        std::mt19937_64 rng(7005);
        for (int i = 0; i < 8; ++i) {
            ContentId cid = randomCid(rng);
            cid[0] = uint8_t(i); // never 0xab, the put's child
            m_storeBlobs.push_back({cid, randomBytes(rng, 300 + size_t(i) * 50)});
            auto put = opened->put(cid, m_storeBlobs.back().second);
            CHECK_OK(put);
            QVERIFY(*put);
        }
        auto children = opened->children("");
        CHECK_OK(children);
        QVERIFY(children->empty());
    }
    m_pristine[QStringLiteral("store")] = store;
}

// Without a hook the primitives act as before and the hook is never asked.
void tst_FaultInjection::noHookCostsNothingAndChangesNothing()
{
    QVERIFY(!faultHookInstalled());
    int calls = 0;
    setFaultHook([&](const IoEvent &) {
        ++calls;
        return 0;
    });
    QVERIFY(faultHookInstalled());
    clearFaultHook();
    QVERIFY(!faultHookInstalled());
    const QString dir = m_tmp.filePath(QStringLiteral("nohook"));
    QVERIFY(crashtest::copyShardDir(m_pristine[QStringLiteral("built")], dir));
    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        std::mt19937_64 rng(7);
        COMPARE_OK(shard->append(randomKey(rng), randomBytes(rng, 100)), true);
        CHECK_OK(shard->flush());
        CHECK_OK(shard->compact());
    }
    QCOMPARE(calls, 0);
    auto report = checkShard(str(dir));
    CHECK_OK(report);
    QCOMPARE(report->count(Severity::Error), size_t(0));
}

// An injected errno comes back as the Error a real failure gives: the file
// of the call, the offset for writes, the errno's text.
void tst_FaultInjection::injectedErrorNamesFileAndOffset_data()
{
    QTest::addColumn<int>("step");
    QTest::addColumn<int>("err");
    QTest::newRow("write EIO") << int(IoStep::Write) << EIO;
    QTest::newRow("write ENOSPC") << int(IoStep::Write) << ENOSPC;
    QTest::newRow("fdatasync EIO") << int(IoStep::SyncData) << EIO;
    QTest::newRow("fsync EIO") << int(IoStep::SyncFile) << EIO;
    QTest::newRow("create ENOSPC") << int(IoStep::CreateFile) << ENOSPC;
    QTest::newRow("truncate ENOSPC") << int(IoStep::Truncate) << ENOSPC;
    QTest::newRow("rename EIO") << int(IoStep::Rename) << EIO;
    QTest::newRow("fsync-dir EIO") << int(IoStep::SyncDirectory) << EIO;
}

void tst_FaultInjection::injectedErrorNamesFileAndOffset()
{
    QFETCH(int, step);
    QFETCH(int, err);
    const QString dir = m_tmp.filePath(QStringLiteral("direct-%1-%2").arg(step).arg(err));
    QVERIFY(QDir().mkpath(dir));
    auto d = Directory::open(str(dir));
    CHECK_OK(d);
    std::optional<IoEvent> seen;
    auto failStep = [&](IoStep s) {
        setFaultHook([&, s](const IoEvent &e) {
            if (e.step != s)
                return 0;
            seen = e;
            return err;
        });
    };
    failStep(IoStep(step));
    Result<void> r;
    std::string expectedFile;
    std::optional<uint64_t> expectedOffset;
    switch (IoStep(step)) {
    case IoStep::Write: {
        auto fd = d->createFile("f", 0);
        CHECK_OK(fd);
        const std::vector<uint8_t> bytes(100, 1);
        r = writeAll(fd->get(), bytes, 4096, d->filePath("f"));
        expectedFile = d->filePath("f");
        expectedOffset = 4096;
        break;
    }
    case IoStep::SyncData:
    case IoStep::SyncFile: {
        clearFaultHook();
        auto fd = d->createFile("f", 10);
        CHECK_OK(fd);
        failStep(IoStep(step));
        r = IoStep(step) == IoStep::SyncData ? syncData(fd->get(), d->filePath("f"))
                                             : syncFile(fd->get(), d->filePath("f"));
        expectedFile = d->filePath("f");
        break;
    }
    case IoStep::CreateFile:
    case IoStep::Truncate: {
        auto fd = d->createFile("f", 1000);
        r = fd ? Result<void>() : Result<void>(std::unexpected(fd.error()));
        expectedFile = d->filePath("f");
        break;
    }
    case IoStep::Rename: {
        clearFaultHook();
        CHECK_OK(d->createFile("a", 0));
        failStep(IoStep::Rename);
        r = d->rename("a", "b");
        expectedFile = d->filePath("b");
        break;
    }
    default:
        r = d->sync();
        expectedFile = dir.toStdString();
        break;
    }
    clearFaultHook();
    QVERIFY(seen.has_value());
    QVERIFY(!r.has_value());
    QCOMPARE(r.error().kind, ErrorKind::Io);
    QCOMPARE(r.error().file, expectedFile);
    QCOMPARE(r.error().offset, expectedOffset);
    QVERIFY2(r.error().message.find(std::strerror(err)) != std::string::npos, r.error().message.c_str());
    if (IoStep(step) == IoStep::CreateFile || IoStep(step) == IoStep::Truncate) {
        // A failed create leaves no file behind.
        QVERIFY(!QFile::exists(dir + QStringLiteral("/f")));
    }
    if (IoStep(step) == IoStep::Rename) {
        QVERIFY(QFile::exists(dir + QStringLiteral("/a")));
        QVERIFY(!QFile::exists(dir + QStringLiteral("/b")));
    }
}

bool tst_FaultInjection::inputFor(Op op, const QString &pristine, OpInput &in, LiveSet &expectedNew, std::string &why)
{
    LiveSet old;
    uint32_t gen = 0;
    if (isRepair(op)) {
        // What a repair leaves is the counting run's result, checked there.
        in.op = op;
        expectedNew.clear();
        return true;
    }
    if (op == Op::HydrateNew) {
        in.op = op;
        in.geometry = ShardGeometry {128, 64u << 10};
        expectedNew.clear();
        return true;
    }
    if (!crashtest::readLiveSet(pristine, old, gen, why))
        return false;
    in.op = op;
    std::mt19937_64 rng(uint64_t(op) * 1000003 + 11);
    auto addAppend = [&](size_t len) {
        StagedAppend a {randomKey(rng), randomBytes(rng, len)};
        in.appends.push_back(a);
    };
    expectedNew = old;
    switch (op) {
    case Op::AppendFlush:
    case Op::AppendCommit: {
        QFileInfo pack(pristine + QStringLiteral("/00000000.pack"));
        // On a big pack: small ones, one past the 1 MiB batch (written on its
        // own), then more small ones, so the flush writes in several pieces.
        const bool big = pack.size() >= (4 << 20);
        for (size_t len : big ? std::vector<size_t> {300, 0, 5000, (1u << 20) + 4321, 77, 9000}
                              : std::vector<size_t> {300, 0, 500, 1200, 77})
            addAppend(len);
        break;
    }
    case Op::DeleteCommit:
    case Op::MixedCommit: {
        int n = 0;
        for (const auto &[key, sha] : old) {
            if (n++ % 7 != 2)
                continue;
            auto k = Key::fromHex(key);
            if (!k) {
                why = "bad key hex";
                return false;
            }
            in.deletes.push_back(*k);
        }
        if (op == Op::MixedCommit) {
            for (size_t len : {700, 0, 3000})
                addAppend(len);
            // A replacement: the same key deleted and appended with new bytes.
            in.appends.push_back({in.deletes.front(), randomBytes(rng, 222)});
        }
        break;
    }
    default:
        break;
    }
    for (const auto &k : in.deletes)
        expectedNew.erase(keyHex(k));
    for (const auto &a : in.appends)
        expectedNew[keyHex(a.key)] = sha256Hex(a.data);
    return true;
}

void tst_FaultInjection::everyStep_data()
{
    QTest::addColumn<int>("op");
    QTest::addColumn<QString>("pristine");
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("err");
    struct Row {
        const char *name;
        Op op;
        const char *pristine;
    };
    const Row rows[] = {
        {"append+flush (built)", Op::AppendFlush, "built"},
        {"append+flush (reference basic)", Op::AppendFlush, "basic"},
        {"append commit (built)", Op::AppendCommit, "built"},
        {"delete commit (built)", Op::DeleteCommit, "built"},
        {"mixed commit (built)", Op::MixedCommit, "built"},
        {"mixed commit (reference tombstones)", Op::MixedCommit, "tombstones"},
        {"compact (built)", Op::Compact, "built"},
        {"compact (reference tombstones)", Op::Compact, "tombstones"},
        {"compact (reference compacted, stale gen 0 beside)", Op::Compact, "compacted"},
        {"compact --remove-old (built)", Op::CompactRemoveOld, "built"},
        {"compact, pack gathered from the mapping (built)", Op::CompactGathered, "built"},
        {"compact, pack gathered from the mapping (reference tombstones)", Op::CompactGathered, "tombstones"},
        {"hydrate new shard + flush", Op::HydrateNew, "empty"},
        {"repair --rebuild (overlapping entries)", Op::RepairRebuild, "overlap"},
        {"repair --adopt-uncommitted", Op::RepairAdopt, "uncommitted"},
        {"repair --previous-manifest (lost generation)", Op::RepairPreviousManifest, "lost-generation"},
    };
    for (const auto &row : rows) {
        for (const auto &[mode, err] : kStopModes) {
            QTest::addRow("%s, %s", row.name, modeName(mode, err))
                << int(row.op) << QString::fromLatin1(row.pristine) << int(mode) << err;
        }
    }
}

void tst_FaultInjection::everyStep()
{
    QFETCH(int, op);
    QFETCH(QString, pristine);
    QFETCH(int, mode);
    QFETCH(int, err);
    Figures fig;
    QStringList failures;
    runRounds(Op(op), pristine, Mode(mode), err, fig, failures);
    if (QTest::currentTestFailed())
        return;
    g_total.operations += fig.operations;
    g_total.rounds += fig.rounds;
    g_total.failures += fig.failures;
    g_total.errorsReturned += fig.errorsReturned;
    g_total.residue += fig.residue;
    g_total.quietAfterCommit += fig.quietAfterCommit;
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QStringLiteral("\n  "))));
}

// The harness must be able to fail: a writer that compacts over the live
// files is caught, killed with the page cache kept, with unsynced data lost,
// or with part of it lost.
void tst_FaultInjection::harnessCatchesAnUnsafeWriter_data()
{
    QTest::addColumn<int>("mode");
    QTest::newRow("kill") << int(Mode::Kill);
    QTest::newRow("kill-drop-unsynced") << int(Mode::KillDropUnsynced);
    QTest::newRow("kill-tear-unsynced") << int(Mode::KillTearUnsynced);
}

void tst_FaultInjection::harnessCatchesAnUnsafeWriter()
{
    QFETCH(int, mode);
    Figures fig;
    QStringList failures;
    runRounds(Op::UnsafeCompactInPlace, QStringLiteral("built"), Mode(mode), 0, fig, failures);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(fig.rounds >= 5);
    QVERIFY2(fig.failures > 0, "a writer breaking rule 1 went unnoticed");
    qInfo("the unsafe writer was caught in %d of %d rounds, e.g. %s", fig.failures, fig.rounds,
        qPrintable(failures.value(0)));
}

// A store put that has to make a child shard, and a change set that makes
// two and deletes from the root, stopped at each of their steps in each way.
// Afterwards the store must still give every blob it held and did not
// delete, byte for byte; give each new blob whole or not at all, and a
// deleted one whole or not at all (all done when the write said it
// succeeded); have every shard check without error; and take the same
// changes again, less the deletes already done, as the editor retries them:
// a child left half made is finished, not in the way.
void tst_FaultInjection::storeEveryStep_data()
{
    QTest::addColumn<int>("op");
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("err");
    for (const auto &[op, name] :
        {std::pair {Op::StorePut, "store put into a new child"}, {Op::StoreCommit, "store change set"}}) {
        for (const auto &[mode, err] : kStopModes)
            QTest::addRow("%s, %s", name, modeName(mode, err)) << int(op) << int(mode) << err;
    }
}

void tst_FaultInjection::storeEveryStep()
{
    QFETCH(int, op);
    QFETCH(int, mode);
    QFETCH(int, err);
    const Mode m = Mode(mode);
    const QString pristine = m_pristine[QStringLiteral("store")];
    QVERIFY(!pristine.isEmpty());
    OpInput in;
    in.op = Op(op);
    std::mt19937_64 rng(7006);
    for (uint8_t first : in.op == Op::StorePut ? std::vector<uint8_t> {0xab} : std::vector<uint8_t> {0xab, 0xcd}) {
        ContentId cid = randomCid(rng);
        cid[0] = first;
        in.store.puts.push_back({cid, randomBytes(rng, 4000)});
    }
    if (in.op == Op::StoreCommit)
        in.store.deletes.push_back(m_storeBlobs[2].first);
    auto deleted
        = [&](const ContentId &cid) { return std::ranges::find(in.store.deletes, cid) != in.store.deletes.end(); };

    const QString work = m_tmp.filePath(QStringLiteral("store-run-%1-%2-%3").arg(op).arg(mode).arg(err));
    QDir(work).removeRecursively();
    QVERIFY(QDir().mkpath(work));
    const QString countDir = work + QStringLiteral("/count");
    QVERIFY(copyTree(pristine, countDir));
    ParsedReport counted;
    countSteps(in, countDir, counted);
    if (QTest::currentTestFailed())
        return;
    const int steps = int(counted.steps.size());
    QVERIFY(QDir(countDir + QStringLiteral("/ab")).exists());

    // "" when the store is as it must be; every change must be done when the
    // write said it succeeded.
    auto checkStore = [&](const QString &dir, bool allDone) -> std::string {
        const auto before = snapshotTree(dir);
        {
            auto opened = Store::open(str(dir), Store::Access::ReadOnly);
            if (!opened)
                return "cannot open the store: " + opened.error().describe();
            for (const auto &[cid, bytes] : m_storeBlobs) {
                auto got = opened->get(cid);
                if (!got)
                    return "reading a blob it held fails: " + got.error().describe();
                if (*got && **got != bytes)
                    return "a blob it held has other bytes";
                if (!*got && !deleted(cid))
                    return "a blob it held is lost";
                if (*got && deleted(cid) && allDone)
                    return "the write said it succeeded, but a deleted blob is still there";
            }
            for (const auto &[cid, bytes] : in.store.puts) {
                auto got = opened->get(cid);
                if (!got)
                    return "reading a new blob fails: " + got.error().describe();
                if (*got && **got != bytes)
                    return "a new blob is there with other bytes";
                if (!*got && allDone)
                    return "the write said it succeeded, but a new blob is not there";
            }
            auto children = opened->children("");
            if (!children)
                return "cannot list the children: " + children.error().describe();
            std::vector<std::string> shards {str(dir)};
            for (const auto &c : *children)
                shards.push_back(str(dir) + "/" + c);
            for (const auto &path : shards) {
                auto report = checkShard(path);
                if (!report)
                    return "cannot check " + path + ": " + report.error().describe();
                for (const auto &d : report->diagnostics) {
                    if (d.severity == Severity::Error)
                        return "checker error in " + path + ": " + d.code + " (" + d.message + ")";
                }
            }
        }
        if (snapshotTree(dir) != before)
            return "reading the store changed it";
        auto opened = Store::open(str(dir), Store::Access::ReadWrite);
        if (!opened)
            return "cannot open the store for writing: " + opened.error().describe();
        StoreChanges again;
        again.puts = in.store.puts;
        for (const ContentId &cid : in.store.deletes) {
            auto where = opened->locate(cid);
            if (!where)
                return "cannot look a deleted blob up: " + where.error().describe();
            if (*where)
                again.deletes.push_back(cid);
        }
        if (auto r = commitStoreChanges(*opened, again); !r)
            return "the same changes again fail: " + r.error().describe();
        for (const auto &[cid, bytes] : in.store.puts) {
            auto got = opened->get(cid);
            if (!got || !*got || **got != bytes)
                return "after the changes again a new blob is not there whole";
        }
        for (const auto &[cid, bytes] : m_storeBlobs) {
            auto old = opened->get(cid);
            if (!old || (deleted(cid) ? old->has_value() : (!*old || **old != bytes)))
                return "after the changes again the blobs it held are not as they must be";
        }
        return {};
    };
    const std::string countState = checkStore(countDir, true);
    QVERIFY2(countState.empty(), countState.c_str());

    QStringList failures;
    int errorsReturned = 0;
    for (int k = 1; k <= steps; ++k) {
        const QString dir = work + QStringLiteral("/k%1").arg(k);
        const QString backup = work + QStringLiteral("/k%1-undo").arg(k);
        QVERIFY(copyTree(pristine, dir));
        QVERIFY(QDir().mkpath(backup));
        const auto end = runStoppedAt(in, dir, backup, m, err, k, 99);
        const ParsedReport rep = parseReport(end.output);
        const QString step = QString::fromStdString(counted.steps[size_t(k - 1)]);
        const bool crashMode = killsTheChild(m);
        if (crashMode && !(end.signalled && end.signal == SIGKILL)) {
            failures << QStringLiteral("step %1 (%2): not killed: %3")
                            .arg(k)
                            .arg(step, QString::fromStdString(end.describe()));
            continue;
        }
        if (!crashMode) {
            if (!end.exited || end.code != 0) {
                failures << QStringLiteral("step %1 (%2): the child did not survive: %3")
                                .arg(k)
                                .arg(step, QString::fromStdString(end.describe()));
                continue;
            }
            if (rep.error) {
                ++errorsReturned;
                if (rep.errorFile.empty())
                    failures << QStringLiteral("step %1 (%2): the error names no file").arg(k).arg(step);
            } else if (!rep.ok) {
                failures << QStringLiteral("step %1 (%2): no report").arg(k).arg(step);
            }
        }
        const std::string state = checkStore(dir, !crashMode && rep.ok);
        if (!state.empty())
            failures << QStringLiteral("step %1 (%2): %3").arg(k).arg(step, QString::fromStdString(state));
    }
    g_total.operations += 1;
    g_total.rounds += steps;
    g_total.errorsReturned += errorsReturned;
    g_total.failures += int(failures.size());
    QStringList stepList;
    for (int i = 0; i < steps; ++i)
        stepList << QStringLiteral("%1:%2").arg(i + 1).arg(QString::fromStdString(counted.steps[size_t(i)]));
    qInfo("%s: %d steps [%s]; %d errors returned, %d failures", QTest::currentDataTag(), steps,
        qPrintable(stepList.join(QStringLiteral(", "))), errorsReturned, int(failures.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QStringLiteral("\n  "))));
    QDir(work).removeRecursively();
}

void tst_FaultInjection::runRounds(
    Op operation, const QString &pristine, Mode m, int err, Figures &fig, QStringList &failures)
{
    const int op = int(operation);
    const int mode = int(m);
    const QString pristineDir = m_pristine[pristine];
    QVERIFY(!pristineDir.isEmpty());

    OpInput in;
    LiveSet expectedNew;
    std::string why;
    QVERIFY2(inputFor(operation, pristineDir, in, expectedNew, why), why.c_str());
    LiveSet expectedOld;
    uint32_t oldGen = 0;
    // A shard damaged past reading (a repair's) is old when MF is as it was.
    bool oldReadable = true;
    if (operation != Op::HydrateNew) {
        oldReadable = crashtest::readLiveSet(pristineDir, expectedOld, oldGen, why);
        QVERIFY2(oldReadable || isRepair(operation), why.c_str());
    }
    // The damage a repair starts from (errors, or for uncommitted slots
    // warnings only): the old state may show it again.
    std::set<std::string> oldErrorCodes;
    if (isRepair(operation)) {
        auto report = checkShard(str(pristineDir));
        CHECK_OK(report);
        for (const auto &d : report->diagnostics) {
            if (d.severity == Severity::Error)
                oldErrorCodes.insert(d.code);
        }
    }
    bool oldOpens = true;
    if (isRepair(operation)) {
        const QString probe = m_tmp.filePath(QStringLiteral("probe"));
        QDir(probe).removeRecursively();
        QVERIFY(crashtest::copyShardDir(pristineDir, probe));
        oldOpens = Shard::openForWriting(str(probe)).has_value();
        QDir(probe).removeRecursively();
    }

    // What the old manifest names, byte for byte; for a repair, every file:
    // none may change before the commit.
    OldFiles old;
    old.names = listDir(pristineDir);
    if (isRepair(operation)) {
        for (const QString &n : old.names)
            old.bytes[n] = readFile(pristineDir + u'/' + n);
    } else if (operation != Op::HydrateNew) {
        independent::ShardImage image;
        QVERIFY2(independent::readShard(str(pristineDir), image, why), why.c_str());
        old.tableName = QString::asprintf("%08x.slot", image.gen);
        old.packName = QString::asprintf("%08x.pack", image.gen);
        for (const QString &n : {QStringLiteral("MF"), old.tableName, old.packName})
            old.bytes[n] = readFile(pristineDir + u'/' + n);
        old.tableCommitted = uint64_t(image.tableLen) * 32;
        for (const auto &s : image.entries) {
            if (!s.tombstone)
                old.packCommitted = std::max<uint64_t>(old.packCommitted, uint64_t(s.offset) + s.len);
        }
    }
    const bool inPlace = operation == Op::AppendFlush || operation == Op::AppendCommit;
    QElapsedTimer timer;
    timer.start();

    // The counting run: the steps, and the new state it leaves.
    const QString work = m_tmp.filePath(QStringLiteral("run-%1-%2-%3").arg(op).arg(mode).arg(err));
    QDir(work).removeRecursively();
    QVERIFY(QDir().mkpath(work));
    const QString countDir = work + QStringLiteral("/count");
    QVERIFY(crashtest::copyShardDir(pristineDir, countDir));
    ParsedReport counted;
    countSteps(in, countDir, counted);
    if (QTest::currentTestFailed())
        return;
    const int steps = int(counted.steps.size());
    LiveSet countNew;
    uint32_t newGen = 0;
    QVERIFY2(crashtest::readLiveSet(countDir, countNew, newGen, why), why.c_str());
    if (isRepair(operation)) {
        auto report = checkShard(str(countDir));
        CHECK_OK(report);
        QCOMPARE(report->count(Severity::Error), size_t(0));
        QVERIFY(!oldReadable || countNew != expectedOld);
        expectedNew = countNew;
    }
    QVERIFY(countNew == expectedNew);
    // The commit point: the step that writes the manifest.
    int commitStep = 0;
    for (int i = 0; i < steps && commitStep == 0; ++i) {
        const std::string &text = counted.steps[size_t(i)];
        // An existing MF is written in place; a new one is renamed into place.
        if (text.starts_with("write MF @") || text == "rename MF")
            commitStep = i + 1;
    }
    QVERIFY2(commitStep > 0, "no manifest write among the steps");

    std::string stepList;
    for (int i = 0; i < steps; ++i)
        stepList += (i ? ", " : "") + std::to_string(i + 1) + ":" + counted.steps[size_t(i)];

    fig.operations = 1;
    auto failure = [&](int k, const std::string &what) {
        ++fig.failures;
        if (failures.size() < 12)
            failures << QStringLiteral("step %1 (%2): %3")
                            .arg(k)
                            .arg(QString::fromStdString(counted.steps[size_t(k - 1)]), QString::fromStdString(what));
    };

    for (int k = 1; k <= steps; ++k) {
        ++fig.rounds;
        const QString dir = work + QStringLiteral("/k%1").arg(k);
        const QString backup = work + QStringLiteral("/k%1-undo").arg(k);
        QVERIFY(crashtest::copyShardDir(pristineDir, dir));
        QVERIFY(QDir().mkpath(backup));
        const auto end = runStoppedAt(in, dir, backup, m, err, k, uint64_t(op));
        const ParsedReport rep = parseReport(end.output);
        const bool crashMode = killsTheChild(m);
        if (crashMode) {
            if (!(end.signalled && end.signal == SIGKILL)) {
                failure(k, "the child was to be killed at this step but " + end.describe());
                continue;
            }
            if (k <= commitStep)
                ++fig.killedBeforeCommit;
        } else {
            if (!end.exited || end.code != 0) {
                failure(k, "the child did not survive the injected error: " + end.describe());
                continue;
            }
            if (!rep.error && rep.ok && k > commitStep + 1) {
                // After the commit is durable, retiring the replaced files is
                // tidying up; a writer may let it fail quietly (the files
                // stay as a stale generation). Counted, and the state must
                // be the new one (checked below).
                ++fig.quietAfterCommit;
            } else if (!rep.error) {
                failure(k,
                    std::string("an injected ") + std::strerror(err)
                        + " at this step was not reported: " + (rep.ok ? "the operation succeeded" : "no report"));
            } else {
                ++fig.errorsReturned;
                if (rep.errorFile.empty())
                    failure(k, "the error names no file: " + rep.errorMessage);
                else if (m == Mode::ErrorOnce && rep.errorFile != rep.injectedPath)
                    failure(k, "the error names " + rep.errorFile + " but the failed call was on " + rep.injectedPath);
                if (m == Mode::ErrorOnce && rep.errorMessage.find(std::strerror(err)) == std::string::npos)
                    failure(k, "the error does not say " + std::string(std::strerror(err)) + ": " + rep.errorMessage);
                if (m == Mode::ErrorOnce && rep.injectedStep == "write" && rep.errorOffset != rep.injectedOffset)
                    failure(k,
                        "the error's offset " + rep.errorOffset + " is not the failed write's " + rep.injectedOffset);
            }
        }

        // The shard afterwards.
        LiveSet live;
        uint32_t gen = 0;
        const bool readable = crashtest::readLiveSet(dir, live, gen, why);
        if (!readable && oldReadable) {
            failure(k, "the independent reader fails: " + why);
            continue;
        }
        const bool isOld = readable ? oldReadable && live == expectedOld
                                    : readFile(dir + QStringLiteral("/MF")) == old.bytes[QStringLiteral("MF")];
        const bool isNew = readable && live == expectedNew;
        auto report = checkShard(str(dir));
        if (!report) {
            failure(k, "cannot check: " + report.error().describe());
            continue;
        }
        // No error, but the damage a repair started from while it has not
        // been committed.
        std::string codes;
        for (const auto &d : report->diagnostics) {
            if (d.severity == Severity::Error && !(isOld && oldErrorCodes.contains(d.code)))
                codes += " " + d.code + " (" + d.file + ": " + d.message + ")";
        }
        if (!codes.empty())
            failure(k, "checker errors:" + codes);
        if (k > commitStep + 1 && !isNew)
            failure(k, "a step after the manifest was synced did not leave the new state");
        if (!isOld && !isNew)
            failure(k,
                "the live set is neither the old one (" + std::to_string(expectedOld.size())
                    + " entries) nor the new one (" + std::to_string(expectedNew.size()) + "): it has "
                    + std::to_string(live.size()));
        if (operation != Op::HydrateNew && readable && gen != oldGen && gen != newGen)
            failure(k, "generation " + std::to_string(gen) + " is neither the old nor the new one");

        // An error before the commit leaves the shard as it was.
        if (!crashMode && k <= commitStep && operation != Op::HydrateNew) {
            if (!isOld || gen != oldGen)
                failure(k, "an error before the manifest write did not leave the old state");
            for (const auto &[name, bytes] : old.bytes) {
                const QByteArray now = readFile(dir + u'/' + name);
                if (now == bytes)
                    continue;
                if (inPlace && name != QStringLiteral("MF") && now.size() == bytes.size()) {
                    const uint64_t committed = name == old.tableName ? old.tableCommitted : old.packCommitted;
                    if (now.left(qsizetype(committed)) == bytes.left(qsizetype(committed))) {
                        ++fig.residue;
                        continue;
                    }
                }
                failure(k, "an error before the manifest write changed " + name.toStdString());
            }
            // The manifest write itself may have reached the disk when it
            // reports failure, so from there on the new files stay.
            if (m == Mode::ErrorOnce && k < commitStep && listDir(dir) != old.names)
                failure(k,
                    "an error before the manifest write left files behind: " + listDir(dir).join(u' ').toStdString());
        }

        // And it can be written again.
        if (operation == Op::HydrateNew) {
            auto again = Shard::hydrate(str(dir), in.geometry);
            if (!again)
                failure(k, "hydrate again fails: " + again.error().describe());
        } else if (oldOpens || !isOld) {
            auto again = Shard::openForWriting(str(dir));
            if (!again)
                failure(k, "cannot open for writing again: " + again.error().describe());
        }
        if (fig.failures == 0) {
            QDir(dir).removeRecursively();
            QDir(backup).removeRecursively();
        }
    }

    qInfo("%s: %d steps [%s]; %d rounds, %d killed at or before the commit, %d errors returned, "
          "%d errors after the commit not reported, %d files kept uncommitted bytes past the committed end after an "
          "early error, "
          "%d failures, %lld ms",
        QTest::currentDataTag(), steps, stepList.c_str(), fig.rounds, fig.killedBeforeCommit, fig.errorsReturned,
        fig.quietAfterCommit, fig.residue, fig.failures, (long long)timer.elapsed());
    QDir(work).removeRecursively();
}

void tst_FaultInjection::cleanupTestCase()
{
    clearFaultHook();
    qInfo("fault injection total: %d rows (operation x mode), %d rounds, %d errors returned, %d errors after the "
          "commit not reported, %d failures",
        g_total.operations, g_total.rounds, g_total.errorsReturned, g_total.quietAfterCommit, g_total.failures);
}

QTEST_GUILESS_MAIN(tst_FaultInjection)
#include "tst_fault_injection.moc"
