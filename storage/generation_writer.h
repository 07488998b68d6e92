// Writing a whole new generation of a shard from entries of an existing pack,
// and committing it: the one copy path that compaction and the repairs share.
// It follows DURABILITY.md: the new table and pack are written under
// temporary names, read back and compared, synced, renamed into place, the
// directory synced, and only then is the inactive manifest copy saved. The
// files the active manifest copy names are never written.
#pragma once

#include "directory.h"
#include "key.h"
#include "manifest.h"
#include "shard.h"
#include "shard_file.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace shardscope {

// Removes the files of a new generation on every path that does not commit
// it (compaction, repairs and change sets alike); keep() once the manifest
// names them.
class UncommittedFiles
{
public:
    UncommittedFiles(const Directory &dir, std::vector<std::string> names) : m_dir(dir), m_names(std::move(names)) { }
    ~UncommittedFiles()
    {
        if (m_kept)
            return;
        for (const auto &n : m_names)
            (void)m_dir.remove(n);
        (void)m_dir.sync();
    }
    UncommittedFiles(const UncommittedFiles &) = delete;
    UncommittedFiles &operator=(const UncommittedFiles &) = delete;
    void keep() { m_kept = true; }

private:
    const Directory &m_dir;
    std::vector<std::string> m_names;
    bool m_kept = false;
};

// One entry of the new generation: its key and where its bytes lie in the
// source pack.
struct GenerationEntry {
    Key key;
    uint32_t offset = 0;
    uint32_t len = 0;
};

struct WrittenGeneration {
    ManifestCopies manifest; // as now on disk, naming the new generation
    Table table; // the new files, opened with the access asked for
    Pack pack;
    uint64_t bytes = 0; // pack bytes written
};

struct GenerationWrite {
    uint32_t gen = 0; // the new generation; its files must not exist yet
    ShardGeometry geometry; // its table slots and pack size
    // Opened for the caller once committed.
    ShardFile::Access access = ShardFile::Access::ReadOnly;
    CompactionProgressFn progress; // may be empty; false cancels up to the commit
    uint64_t copyMemoryLimit = kDefaultCopyMemoryLimit; // see CompactionOptions
    std::string operation = "compaction"; // names what was cancelled in the error
};

// Writes `entries` in the given order to slots 0..n-1 of generation
// `write.gen`, their bytes back to back from pack offset 0, and commits it
// (table_len n) over `manifest`, the copies as they are on disk (nullopt: no
// MF yet). Any error before the commit removes the new files and leaves the
// shard as it was. `commitFailed` is set when the manifest save itself failed:
// what MF then holds is unknown, the new files are kept, and the caller must
// stop writing (DURABILITY.md, rule 7).
[[nodiscard]] Result<WrittenGeneration> writeGeneration(const Directory &dir, const Pack &source,
    const std::optional<ManifestCopies> &manifest, std::span<const GenerationEntry> entries,
    const GenerationWrite &write, bool *commitFailed = nullptr);

// A copy keeps the memory it assembled the new pack in (up to 128 MiB) for
// the next one; this gives it back. Call it when no more copies are coming
// soon (the window does after a compaction); any thread.
void releaseCopyMemory();

// The lowest generation above `current` whose table and pack do not exist
// in `dir`, so a new generation never replaces files a user may still want
// (temporary files of a write that stopped before its commit are replaced);
// a Full error when no number is left.
[[nodiscard]] Result<uint32_t> nextFreeGeneration(const Directory &dir, uint32_t current);

} // namespace shardscope
