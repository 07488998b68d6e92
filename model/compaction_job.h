// What the compaction dialog needs from whoever compacts: a preview of the
// result before anything is written, and a job that runs the compaction
// elsewhere (the application does it on a thread) and reports back by
// signals. The dialog only ever sees this interface, so it never touches the
// shard's files and can be tested with a fake job.
#pragma once

#include <QObject>
#include <QString>

namespace shardscope {

// The shard as it is and what compacting it would produce, computed by the
// application from the open shard without writing.
struct CompactionPreview {
    quint32 currentGeneration = 0;
    quint32 newGeneration = 0;
    quint32 liveEntries = 0; // committed live entries, all kept
    quint32 tombstones = 0; // committed tombstones, all dropped
    quint32 uncommittedSlots = 0; // slots past table_len, not carried over
    quint64 liveBytes = 0; // pack bytes the live entries reference
    quint64 reclaimedBytes = 0; // pack bytes of the current generation no longer referenced
    quint32 tableSlots = 0; // capacity of the current table
    quint64 packSize = 0; // size of the current pack
};

class CompactionJob : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;
    ~CompactionJob() override;

    // Starts compacting into a new generation with these sizes (the preview's
    // when the user kept them). Progress and the outcome come as signals,
    // which must be delivered on the thread the job lives in.
    virtual void start(quint32 tableSlots, quint64 packSize) = 0;
    // Asks the running job to stop. It is honoured up to the manifest flip:
    // a cancelled job leaves the shard as it was and finishes with
    // cancelled = true; one past the flip finishes with ok = true.
    virtual void cancel() = 0;
    // Removes the table and pack of a generation that is not current (the
    // one a finished compaction replaced). false with a message on failure.
    [[nodiscard]] virtual bool removeOldGeneration(quint32 gen, QString *error) = 0;

Q_SIGNALS:
    void progressed(quint64 done, quint64 total);
    // Exactly one per start(). ok: the new generation is committed.
    // cancelled: nothing changed. Neither: failed, the message says why (the
    // shard is then as it was before start()).
    void finished(bool ok, bool cancelled, const QString &message, quint32 oldGeneration, quint32 newGeneration);
};

} // namespace shardscope
