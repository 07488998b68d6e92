// The compaction dialog's job for a real shard: Shard::compact on a thread of
// its own, with progress and the outcome posted back to the GUI thread. The
// caller lets go of every view of the shard before start() (compaction swaps
// the shard's files at the manifest flip) and shows it again on finished().
#pragma once

#include "compaction_job.h"

#include <atomic>
#include <functional>
#include <thread>

namespace shardscope {

class Shard;
struct CompactionPreview;

class ShardCompactionJob final : public CompactionJob
{
    Q_OBJECT

public:
    // The shard must be writable and outlive the job.
    explicit ShardCompactionJob(Shard &shard, QObject *parent = nullptr);
    ~ShardCompactionJob() override;

    // What compacting the shard as it is now would produce; reads only.
    [[nodiscard]] static CompactionPreview preview(const Shard &shard);

    void start(quint32 tableSlots, quint64 packSize) override;
    void cancel() override;
    [[nodiscard]] bool removeOldGeneration(quint32 gen, QString *error) override;
    [[nodiscard]] bool running() const { return m_thread.joinable() && !m_done.load(); }
    [[nodiscard]] bool hasStarted() const { return m_started; }
    // Called on the caller's thread right before the compaction thread starts.
    void setAboutToStart(std::function<void()> fn) { m_aboutToStart = std::move(fn); }

private:
    void join();

    Shard &m_shard;
    std::function<void()> m_aboutToStart;
    bool m_started = false;
    std::thread m_thread;
    std::atomic<bool> m_cancel {false};
    std::atomic<bool> m_done {false};
};

} // namespace shardscope
