#include "edit_session.h"

#include "format.h"

#include <QLocale>
#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>

namespace shardscope {

namespace {

// Enough of the key to tell entries apart in a menu.
QString shortKey(const Key &key)
{
    return QString::fromStdString(key.toHex()).left(4) + QChar(0x2026);
}

QString fullKey(const Key &key)
{
    return QString::fromStdString(key.toHex());
}

QString shortCid(const ContentId &cid)
{
    return QString::fromStdString(toHex(cid)).left(8) + QChar(0x2026);
}

} // namespace

// ---- the shard session's undo commands ----

class EditSession::AppendCommand : public QUndoCommand
{
public:
    AppendCommand(EditSession *session, int index, PendingAppend append)
        : QUndoCommand(tr("Append %1 as %2").arg(sizeText(quint64(append.data.size())), shortKey(append.key)))
        , m_session(session)
        , m_index(index)
        , m_append(std::move(append))
    { }
    void redo() override { m_session->insertAppend(m_index, m_append); }
    void undo() override { m_session->removeAppend(m_index); }

private:
    EditSession *m_session;
    int m_index;
    PendingAppend m_append;
};

class EditSession::UnstageAppendCommand : public QUndoCommand
{
public:
    UnstageAppendCommand(EditSession *session, int index, PendingAppend append)
        : QUndoCommand(tr("Drop staged append of %1").arg(shortKey(append.key)))
        , m_session(session)
        , m_index(index)
        , m_append(std::move(append))
    { }
    void redo() override { m_session->removeAppend(m_index); }
    void undo() override { m_session->insertAppend(m_index, m_append); }

private:
    EditSession *m_session;
    int m_index;
    PendingAppend m_append;
};

class EditSession::DeleteCommand : public QUndoCommand
{
public:
    DeleteCommand(EditSession *session, QList<uint32_t> slotList, bool mark)
        : m_session(session), m_slotList(std::move(slotList)), m_mark(mark)
    {
        const auto n = m_slotList.size();
        if (mark)
            setText(n == 1 ? tr("Delete slot %1").arg(m_slotList.front()) : tr("Delete %1 entries").arg(n));
        else
            setText(n == 1 ? tr("Keep slot %1").arg(m_slotList.front()) : tr("Keep %1 entries").arg(n));
    }
    void redo() override { m_session->setMarks(m_slotList, m_mark); }
    void undo() override { m_session->setMarks(m_slotList, !m_mark); }

private:
    EditSession *m_session;
    QList<uint32_t> m_slotList;
    bool m_mark;
};

class EditSession::RevertCommand : public QUndoCommand
{
public:
    RevertCommand(EditSession *session)
        : QUndoCommand(tr("Revert changes"))
        , m_session(session)
        , m_appends(session->m_appends)
        , m_deletes(session->m_deletes)
    { }
    void redo() override { m_session->replaceAll({}, {}); }
    void undo() override { m_session->replaceAll(m_appends, m_deletes); }

private:
    EditSession *m_session;
    QList<PendingAppend> m_appends;
    std::set<uint32_t> m_deletes;
};

// ---- EditSession ----

EditSession::EditSession(QObject *parent) : QObject(parent), m_stack(new QUndoStack(this))
{ }

EditSession::~EditSession() = default;

QString EditSession::sizeText(quint64 bytes)
{
    if (bytes < 1024)
        return bytes == 1 ? tr("1 byte") : tr("%1 bytes").arg(bytes);
    return QLocale::c().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeIecFormat);
}

void EditSession::setShard(const Shard *shard)
{
    Q_EMIT sessionAboutToBeReset();
    // The commands refer to the staged lists, which are about to go.
    m_stack->clear();
    m_shard = shard;
    m_appends.clear();
    m_deletes.clear();
    m_stagedBytes = 0;
    m_relativeOffsets.clear();
    Q_EMIT sessionReset();
    Q_EMIT changesChanged();
}

quint64 EditSession::freePackBytes() const
{
    if (!m_shard)
        return 0;
    // Offsets are u32 and 0xFFFFFFFF marks a tombstone: no entry starts
    // there, however large the pack file is.
    const uint64_t limit = std::min<uint64_t>(m_shard->packSize(), kTombstoneOffset);
    const uint64_t used = m_shard->nextOffset() + m_stagedBytes;
    return limit > used ? limit - used : 0;
}

quint64 EditSession::freeTableSlots() const
{
    if (!m_shard)
        return 0;
    // table_len can exceed the capacity in a damaged shard.
    const uint64_t used = uint64_t(m_shard->tableLen()) + uint64_t(m_appends.size());
    return m_shard->capacity() > used ? m_shard->capacity() - used : 0;
}

uint32_t EditSession::pendingSlot(int index) const
{
    return m_shard ? m_shard->tableLen() + uint32_t(index) : uint32_t(index);
}

uint64_t EditSession::pendingOffset(int index) const
{
    return (m_shard ? m_shard->nextOffset() : 0) + m_relativeOffsets[size_t(index)];
}

QList<uint32_t> EditSession::markedForDeletion() const
{
    return QList<uint32_t>(m_deletes.begin(), m_deletes.end());
}

QString EditSession::appendProblem(const Key &key, quint64 size) const
{
    if (!m_shard)
        return tr("No shard is open for editing.");
    if (key.isZero())
        return tr("The all-zero key is not a valid key.");
    for (const PendingAppend &a : m_appends) {
        if (a.key == key)
            return tr("Key %1 is already staged for appending.").arg(fullKey(key));
    }
    if (const auto slot = m_shard->find(key); slot && !isMarkedForDeletion(*slot))
        return tr("Slot %1 already holds key %2. Mark it for deletion first to replace it.")
            .arg(*slot)
            .arg(fullKey(key));
    if (freeTableSlots() == 0)
        return tr("The table is full: all %1 slotList are used or staged.").arg(m_shard->capacity());
    if (size > freePackBytes())
        return tr("%1 do not fit: %2 of the pack are free after the staged appends.")
            .arg(sizeText(size), sizeText(freePackBytes()));
    return {};
}

bool EditSession::stageAppend(const Key &key, const QByteArray &data, QString *reason)
{
    const QString problem = appendProblem(key, quint64(data.size()));
    if (!problem.isEmpty()) {
        if (reason)
            *reason = problem;
        return false;
    }
    m_stack->push(new AppendCommand(this, int(m_appends.size()), PendingAppend {key, data}));
    return true;
}

bool EditSession::unstageAppend(int index)
{
    if (index < 0 || index >= m_appends.size())
        return false;
    m_stack->push(new UnstageAppendCommand(this, index, m_appends[index]));
    return true;
}

QString EditSession::deleteProblem(uint32_t slot) const
{
    if (slot >= m_shard->slotCount())
        return tr("Slot %1 is not a committed slot (the table has %2).").arg(slot).arg(m_shard->slotCount());
    const Entry e = m_shard->entry(slot);
    if (e.isTombstone())
        return tr("Slot %1 is a tombstone: there is nothing to delete.").arg(slot);
    if (e.key.isZero())
        return tr("Slot %1 has the all-zero key, which no delete can name.").arg(slot);
    const auto first = m_shard->find(e.key);
    if (first != slot)
        return tr("Slot %1 repeats the key of slot %2; a delete by key would remove slot %2.")
            .arg(slot)
            .arg(first ? QString::number(*first) : QStringLiteral("?"));
    return {};
}

bool EditSession::stageDelete(const QList<uint32_t> &slotList, QString *reason)
{
    auto refuse = [reason](const QString &why) {
        if (reason)
            *reason = why;
        return false;
    };
    if (!m_shard)
        return refuse(tr("No shard is open for editing."));
    if (slotList.isEmpty())
        return refuse(tr("No slot is selected."));
    std::set<uint32_t> fresh;
    for (uint32_t slot : slotList) {
        if (const QString problem = deleteProblem(slot); !problem.isEmpty())
            return refuse(problem);
        if (!isMarkedForDeletion(slot))
            fresh.insert(slot);
    }
    if (fresh.empty())
        return refuse(slotList.size() == 1 ? tr("Slot %1 is already marked for deletion.").arg(slotList.front())
                                           : tr("These slotList are already marked for deletion."));
    m_stack->push(new DeleteCommand(this, QList<uint32_t>(fresh.begin(), fresh.end()), true));
    return true;
}

bool EditSession::unstageDelete(const QList<uint32_t> &slotList)
{
    std::set<uint32_t> marked;
    for (uint32_t slot : slotList) {
        if (!isMarkedForDeletion(slot))
            continue;
        // Keeping an entry whose key a staged append replaces would leave
        // the key twice; drop the append first.
        const Key key = m_shard->entry(slot).key;
        if (std::any_of(m_appends.begin(), m_appends.end(), [&key](const PendingAppend &a) { return a.key == key; }))
            return false;
        marked.insert(slot);
    }
    if (marked.empty())
        return false;
    m_stack->push(new DeleteCommand(this, QList<uint32_t>(marked.begin(), marked.end()), false));
    return true;
}

void EditSession::revert()
{
    if (!hasChanges())
        return;
    m_stack->push(new RevertCommand(this));
}

ShardChanges EditSession::changes() const
{
    ShardChanges out;
    out.appends.reserve(size_t(m_appends.size()));
    for (const PendingAppend &a : m_appends)
        out.appends.push_back(StagedAppend {a.key, std::vector<uint8_t>(a.data.begin(), a.data.end())});
    if (m_shard) {
        out.deletes.reserve(m_deletes.size());
        for (uint32_t slot : m_deletes)
            out.deletes.push_back(m_shard->entry(slot).key);
    }
    return out;
}

QString EditSession::validate() const
{
    if (!m_shard)
        return tr("No shard is open for editing.");
    const auto ok = validateChanges(*m_shard, changes());
    return ok ? QString() : QString::fromStdString(ok.error().describe());
}

void EditSession::insertAppend(int index, const PendingAppend &append)
{
    Q_EMIT appendsAboutToBeInserted(index, index);
    m_appends.insert(index, append);
    m_stagedBytes += quint64(append.data.size());
    m_relativeOffsets.insert(m_relativeOffsets.begin() + index, 0);
    for (size_t i = size_t(index); i < m_relativeOffsets.size(); ++i)
        m_relativeOffsets[i]
            = i == 0 ? 0 : m_relativeOffsets[i - 1] + uint64_t(m_appends[qsizetype(i - 1)].data.size());
    Q_EMIT appendsInserted(index, index);
    Q_EMIT changesChanged();
}

void EditSession::removeAppend(int index)
{
    Q_EMIT appendsAboutToBeRemoved(index, index);
    m_stagedBytes -= quint64(m_appends[index].data.size());
    m_appends.removeAt(index);
    m_relativeOffsets.erase(m_relativeOffsets.begin() + index);
    for (size_t i = size_t(index); i < m_relativeOffsets.size(); ++i)
        m_relativeOffsets[i]
            = i == 0 ? 0 : m_relativeOffsets[i - 1] + uint64_t(m_appends[qsizetype(i - 1)].data.size());
    Q_EMIT appendsRemoved(index, index);
    Q_EMIT changesChanged();
}

void EditSession::setMarks(const QList<uint32_t> &slotList, bool marked)
{
    for (uint32_t slot : slotList) {
        if (marked)
            m_deletes.insert(slot);
        else
            m_deletes.erase(slot);
    }
    Q_EMIT deletionMarksChanged(slotList);
    Q_EMIT changesChanged();
}

void EditSession::replaceAll(const QList<PendingAppend> &appends, const std::set<uint32_t> &deletes)
{
    if (!m_appends.isEmpty()) {
        const int last = int(m_appends.size()) - 1;
        Q_EMIT appendsAboutToBeRemoved(0, last);
        m_appends.clear();
        m_relativeOffsets.clear();
        m_stagedBytes = 0;
        Q_EMIT appendsRemoved(0, last);
    }
    if (!appends.isEmpty()) {
        const int last = int(appends.size()) - 1;
        Q_EMIT appendsAboutToBeInserted(0, last);
        m_appends = appends;
        uint64_t offset = 0;
        for (const PendingAppend &a : m_appends) {
            m_relativeOffsets.push_back(offset);
            offset += uint64_t(a.data.size());
        }
        m_stagedBytes = offset;
        Q_EMIT appendsInserted(0, last);
    }
    QList<uint32_t> changed;
    std::set_symmetric_difference(
        m_deletes.begin(), m_deletes.end(), deletes.begin(), deletes.end(), std::back_inserter(changed));
    m_deletes = deletes;
    if (!changed.isEmpty())
        Q_EMIT deletionMarksChanged(changed);
    Q_EMIT changesChanged();
}

// ---- StoreEditSession ----

class StoreEditSession::SnapshotCommand : public QUndoCommand
{
public:
    SnapshotCommand(StoreEditSession *session, const QString &text, QList<PendingPut> puts, QList<ContentId> removes)
        : QUndoCommand(text)
        , m_session(session)
        , m_beforePuts(session->m_puts)
        , m_beforeRemoves(session->m_removes)
        , m_afterPuts(std::move(puts))
        , m_afterRemoves(std::move(removes))
    { }
    void redo() override { m_session->restore(m_afterPuts, m_afterRemoves); }
    void undo() override { m_session->restore(m_beforePuts, m_beforeRemoves); }

private:
    StoreEditSession *m_session;
    QList<PendingPut> m_beforePuts;
    QList<ContentId> m_beforeRemoves;
    QList<PendingPut> m_afterPuts;
    QList<ContentId> m_afterRemoves;
};

StoreEditSession::StoreEditSession(QObject *parent) : QObject(parent), m_stack(new QUndoStack(this))
{ }

StoreEditSession::~StoreEditSession() = default;

quint64 StoreEditSession::maxBlobSize() const
{
    if (!m_store)
        return 0;
    auto root = m_store->shard("");
    return root && *root ? (*root)->packSize() : 0;
}

Result<std::vector<StorePlacement>> StoreEditSession::plan(const std::optional<PlannedPut> &extra) const
{
    if (!m_store)
        return fail(ErrorKind::Invalid, std::string(), "no store is open for editing");
    const std::vector<ContentId> removes(m_removes.begin(), m_removes.end());
    // By size: a plan needs no copy of the staged bytes.
    std::vector<PlannedPut> puts;
    puts.reserve(size_t(m_puts.size()) + 1);
    for (const PendingPut &p : m_puts)
        puts.push_back({p.cid, uint64_t(p.data.size())});
    if (extra)
        puts.push_back(*extra);
    return placeStoreChanges(*m_store, removes, puts);
}

Result<std::vector<StorePlacement>> StoreEditSession::placements() const
{
    return plan(std::nullopt);
}

QString StoreEditSession::placementOfPut(const ContentId &cid, quint64 size) const
{
    if (!m_store)
        return {};
    auto placed = plan(PlannedPut {cid, size});
    if (!placed)
        return tr("nowhere: writing it would be refused (%1)").arg(QString::fromStdString(placed.error().describe()));
    const StorePlacement &p = placed->back();
    const QString shard
        = p.relPath.empty() ? tr("the root shard") : tr("shard %1").arg(QString::fromStdString(p.relPath));
    switch (p.kind) {
    case StorePlacement::Kind::PutIntoNewShard:
        return tr("%1, a shard the write makes").arg(shard);
    case StorePlacement::Kind::AlreadyStored:
        return tr("nowhere: %1 holds it already").arg(shard);
    default:
        return shard;
    }
}

void StoreEditSession::setStore(Store *store)
{
    m_stack->clear();
    m_store = store;
    m_puts.clear();
    m_removes.clear();
    Q_EMIT changesChanged();
}

QString StoreEditSession::lookup(const ContentId &cid, bool *stored) const
{
    auto where = m_store->locate(cid);
    if (!where)
        return tr("Cannot look up %1: %2")
            .arg(QString::fromStdString(toHex(cid)), QString::fromStdString(where.error().describe()));
    *stored = where->has_value();
    return {};
}

bool StoreEditSession::stagePut(const ContentId &cid, const QByteArray &data, QString *reason)
{
    auto refuse = [reason](const QString &why) {
        if (reason)
            *reason = why;
        return false;
    };
    if (!m_store)
        return refuse(tr("No store is open for editing."));
    const QString hex = QString::fromStdString(toHex(cid));
    if (std::any_of(m_puts.begin(), m_puts.end(), [&cid](const PendingPut &p) { return p.cid == cid; }))
        return refuse(tr("Blob %1 is already staged for writing.").arg(hex));
    bool stored = false;
    if (const QString problem = lookup(cid, &stored); !problem.isEmpty())
        return refuse(problem);
    if (stored && !isMarkedForRemoval(cid))
        return refuse(tr("The store already holds blob %1.").arg(hex));
    auto puts = m_puts;
    puts.append(PendingPut {cid, data});
    pushSnapshot(
        tr("Put %1 as %2").arg(EditSession::sizeText(quint64(data.size())), shortCid(cid)), std::move(puts), m_removes);
    return true;
}

bool StoreEditSession::stageRemove(const ContentId &cid, QString *reason)
{
    auto refuse = [reason](const QString &why) {
        if (reason)
            *reason = why;
        return false;
    };
    if (!m_store)
        return refuse(tr("No store is open for editing."));
    const QString hex = QString::fromStdString(toHex(cid));
    if (isMarkedForRemoval(cid))
        return refuse(tr("Blob %1 is already marked for removal.").arg(hex));
    bool stored = false;
    if (const QString problem = lookup(cid, &stored); !problem.isEmpty())
        return refuse(problem);
    if (!stored)
        return refuse(tr("The store does not hold blob %1.").arg(hex));
    auto removes = m_removes;
    removes.append(cid);
    pushSnapshot(tr("Remove %1").arg(shortCid(cid)), m_puts, std::move(removes));
    return true;
}

int StoreEditSession::stageUnwritten(
    const QList<PendingPut> &puts, const QList<ContentId> &removes, QStringList *refused)
{
    int written = 0;
    // Carried out when the store's state is the one the change leaves.
    auto stage = [&](const ContentId &cid, bool storedWhenDone, auto &&again) {
        bool stored = false;
        QString why = m_store ? lookup(cid, &stored) : tr("No store is open for editing.");
        if (why.isEmpty() && stored == storedWhenDone) {
            ++written;
            return;
        }
        if (why.isEmpty() && again(&why))
            return;
        if (refused)
            *refused << why;
    };
    for (const ContentId &cid : removes)
        stage(cid, false, [&](QString *why) { return stageRemove(cid, why); });
    for (const PendingPut &p : puts)
        stage(p.cid, true, [&](QString *why) { return stagePut(p.cid, p.data, why); });
    return written;
}

bool StoreEditSession::unstagePut(int index)
{
    if (index < 0 || index >= m_puts.size())
        return false;
    auto puts = m_puts;
    const ContentId cid = puts.takeAt(index).cid;
    pushSnapshot(tr("Drop staged put of %1").arg(shortCid(cid)), std::move(puts), m_removes);
    return true;
}

bool StoreEditSession::unstageRemove(const ContentId &cid)
{
    if (!isMarkedForRemoval(cid))
        return false;
    // Keeping a blob a staged put replaces would store it twice.
    if (std::any_of(m_puts.begin(), m_puts.end(), [&cid](const PendingPut &p) { return p.cid == cid; }))
        return false;
    auto removes = m_removes;
    removes.removeAll(cid);
    pushSnapshot(tr("Keep %1").arg(shortCid(cid)), m_puts, std::move(removes));
    return true;
}

void StoreEditSession::revert()
{
    if (hasChanges())
        pushSnapshot(tr("Revert changes"), {}, {});
}

StoreChanges StoreEditSession::changes() const
{
    StoreChanges out;
    for (const PendingPut &p : m_puts)
        out.puts.emplace_back(p.cid, std::vector<uint8_t>(p.data.begin(), p.data.end()));
    out.deletes.assign(m_removes.begin(), m_removes.end());
    return out;
}

void StoreEditSession::pushSnapshot(const QString &text, QList<PendingPut> puts, QList<ContentId> removes)
{
    m_stack->push(new SnapshotCommand(this, text, std::move(puts), std::move(removes)));
}

void StoreEditSession::restore(const QList<PendingPut> &puts, const QList<ContentId> &removes)
{
    m_puts = puts;
    m_removes = removes;
    Q_EMIT changesChanged();
}

} // namespace shardscope
