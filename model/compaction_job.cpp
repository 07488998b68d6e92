#include "compaction_job.h"

namespace shardscope {

// Out of line so the vtable and the moc output live in one object file.
CompactionJob::~CompactionJob() = default;

} // namespace shardscope
