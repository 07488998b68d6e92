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

// The table and pack of a generation being written, for compaction, repairs
// and change sets alike: made under temporary names (leftovers of an earlier
// attempt that stopped before its commit are removed first), renamed into
// place once written and synced, and removed on every path that does not
// commit them unless keep() was called once the manifest names them.
class NewGenerationFiles
{
public:
    NewGenerationFiles(const Directory &dir, uint32_t gen);
    ~NewGenerationFiles();
    NewGenerationFiles(const NewGenerationFiles &) = delete;
    NewGenerationFiles &operator=(const NewGenerationFiles &) = delete;

    // Creates both files at their sizes, under their temporary names.
    [[nodiscard]] Result<void> create(uint64_t tableSize, uint64_t packSize);
    [[nodiscard]] int tableFd() const { return m_tableFd.get(); }
    [[nodiscard]] int packFd() const { return m_packFd.get(); }
    // The temporary files' paths, for errors.
    [[nodiscard]] const std::string &tablePath() const { return m_tablePath; }
    [[nodiscard]] const std::string &packPath() const { return m_packPath; }
    // Closes both files, gives them their real names and syncs the directory.
    [[nodiscard]] Result<void> rename();
    void keep() { m_kept = true; }

private:
    const Directory &m_dir;
    std::string m_tableName;
    std::string m_packName;
    std::string m_tableTmp;
    std::string m_packTmp;
    std::string m_tablePath;
    std::string m_packPath;
    bool m_created = false; // set once the leftovers are gone: from then on a failure removes the names
    bool m_kept = false;
    UniqueFd m_tableFd;
    UniqueFd m_packFd;
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
