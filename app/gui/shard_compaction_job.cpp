#include "shard_compaction_job.h"

#include "generation_writer.h"
#include "shard.h"

#include <QMetaObject>
#include <QPointer>

namespace shardscope {

ShardCompactionJob::ShardCompactionJob(Shard &shard, QObject *parent) : CompactionJob(parent), m_shard(shard)
{ }

ShardCompactionJob::~ShardCompactionJob()
{
    // The thread writes through m_shard: it must end before the shard can go.
    m_cancel = true;
    join();
}

void ShardCompactionJob::join()
{
    if (m_thread.joinable())
        m_thread.join();
}

CompactionPreview ShardCompactionJob::preview(const Shard &shard)
{
    CompactionPreview p;
    p.currentGeneration = shard.generation();
    p.newGeneration = shard.generation() + 1;
    p.tableSlots = shard.capacity();
    p.packSize = shard.packSize();
    for (uint32_t i = 0; i < shard.slotCount(); ++i) {
        const Entry e = shard.entry(i);
        if (e.isTombstone()) {
            ++p.tombstones;
            continue;
        }
        if (e.key.isZero() || uint64_t(e.offset) + e.len > shard.packSize())
            continue; // damaged: compaction refuses or drops it; not counted as kept
        ++p.liveEntries;
        p.liveBytes += e.len;
    }
    // Slots past table_len that hold bytes are uncommitted appends; they are
    // not carried over.
    for (uint32_t i = shard.slotCount(); i < shard.capacity(); ++i) {
        const Entry e = shard.entry(i);
        if (!e.isBlank())
            ++p.uncommittedSlots;
    }
    p.reclaimedBytes = shard.nextOffset() > p.liveBytes ? shard.nextOffset() - p.liveBytes : 0;
    return p;
}

void ShardCompactionJob::start(quint32 tableSlots, quint64 packSize)
{
    if (m_thread.joinable())
        return;
    m_cancel = false;
    m_done = false;
    CompactionOptions options;
    options.tableSlots = tableSlots;
    options.packSize = uint32_t(std::min<quint64>(packSize, UINT32_MAX));
    m_started = true;
    if (m_aboutToStart)
        m_aboutToStart();
    QPointer<ShardCompactionJob> self(this);
    m_thread = std::thread([this, self, options]() {
        auto progress = [this, self](const CompactionProgress &p) {
            const quint64 done = p.bytesTotal ? p.bytesDone : p.entriesDone;
            const quint64 total = p.bytesTotal ? p.bytesTotal : p.entriesTotal;
            QMetaObject::invokeMethod(
                this,
                [self, done, total]() {
                    if (self)
                        Q_EMIT self->progressed(done, total);
                },
                Qt::QueuedConnection);
            return !m_cancel.load();
        };
        auto result = m_shard.compact(options, progress);
        // The window compacts now and then, not shard after shard: the
        // memory the copy keeps for a next one is given back at once.
        releaseCopyMemory();
        bool ok = false;
        bool cancelled = false;
        QString message;
        quint32 oldGen = m_shard.generation();
        quint32 newGen = oldGen;
        if (result) {
            ok = true;
            oldGen = result->oldGeneration;
            newGen = result->newGeneration;
            message = tr("%1 entries kept, %2 tombstones dropped, %3 bytes reclaimed.")
                          .arg(result->entries)
                          .arg(result->tombstonesDropped)
                          .arg(result->bytesReclaimed);
        } else {
            cancelled = result.error().kind == ErrorKind::Cancelled;
            message = QString::fromStdString(result.error().describe());
        }
        m_done = true;
        QMetaObject::invokeMethod(
            this,
            [self, ok, cancelled, message, oldGen, newGen]() {
                if (!self)
                    return;
                self->join();
                Q_EMIT self->finished(ok, cancelled, message, oldGen, newGen);
            },
            Qt::QueuedConnection);
    });
}

void ShardCompactionJob::cancel()
{
    m_cancel = true;
}

bool ShardCompactionJob::removeOldGeneration(quint32 gen, QString *error)
{
    if (running()) {
        if (error)
            *error = tr("The compaction is still running.");
        return false;
    }
    auto removed = m_shard.removeGeneration(gen);
    if (!removed && error)
        *error = QString::fromStdString(removed.error().describe());
    return bool(removed);
}

} // namespace shardscope
