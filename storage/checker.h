// The checker: an fsck for shards and stores. It opens everything read-only,
// never writes, and never trusts a length or offset it read before checking it
// against the file it points into. Each kind of damage has a stable code that
// scripts and the GUI key on.
//
// The codes, their severity, and where `offset` points (`file` is always
// the file named in the second column, relative to the checked path):
//
// | code                       | sev.    | file      | offset                                   |
// |----------------------------|---------|-----------|------------------------------------------|
// | manifest-missing           | info    | MF        | none: no MF, a fresh shard (gen 0)       |
// | manifest-truncated         | error   | MF        | the file's size (where bytes are missing)|
// | manifest-oversized         | info    | MF        | 64: bytes past both copies are ignored   |
// | manifest-reserved-nonzero  | warning | MF        | first non-zero byte in 16..31 of a copy  |
// | manifest-copy-misplaced    | warning | MF        | the copy's start (0 or 32): its nonce's  |
// |                            |         |           | parity does not match (A even, B odd)    |
// | manifest-nonce-tie         | warning | MF        | 32: both copies share a nonce but differ;|
// |                            |         |           | readers take A                           |
// | previous-manifest-usable   | info    | MF        | the inactive copy's start: the active    |
// |                            |         |           | copy's generation is unusable and this   |
// |                            |         |           | copy names one whose files are sound     |
// | table-missing              | error   | NNNN.slot | none                                     |
// | pack-missing               | error   | NNNN.pack | none                                     |
// | table-size-invalid         | error   | NNNN.slot | 0 when empty; the start of the cut slot  |
// |                            |         |           | when not a multiple of 32; 4294967264    |
// |                            |         |           | (first slot past u32 reach) when larger  |
// | pack-size-invalid          | warning | NNNN.pack | 4294967295: no u32 entry reaches a byte  |
// |                            |         |           | from there on (pack larger than 4 GiB)   |
// | table-len-exceeds-capacity | error   | MF        | the active copy's table_len (copy + 12)  |
// | entry-out-of-bounds        | error   | NNNN.slot | slot*32 + 24 (the offset field)          |
// | entries-overlap            | error   | NNNN.pack | where the overlap starts (the later      |
// |                            |         |           | start); `slot` starts there, `otherSlot` |
// |                            |         |           | is the entry reaching furthest before it |
// | zero-key                   | error   | NNNN.slot | slot*32                                  |
// | duplicate-key              | warning | NNNN.slot | slot*32 of the later slot; `otherSlot`   |
// |                            |         |           | is the first one, the one readers see    |
// | tombstone-dirty            | warning | NNNN.slot | slot*32 (key set) or slot*32 + 28 (len)  |
// | uncommitted-slots          | warning | NNNN.slot | first non-blank slot at/after table_len; |
// |                            |         |           | `slot` is that slot                      |
// | pack-tail-garbage          | info    | NNNN.pack | first non-zero byte past every entry     |
// | stale-generation           | info    | NNNN.x    | none: one per table/pack of another gen  |
// | temporary-file             | info    | NNNN.x.tmp| none: left by a compaction that stopped  |
// | path-escapes-shard         | error   | the name  | none: a symlink, never followed or read  |
// | file-not-regular           | error   | the name  | none: MF/table/pack is a dir, FIFO, ...  |
// | io-error                   | error   | the name  | where the read failed, if known; for a   |
// |                            |         |           | file that shrank while it was checked,   |
// |                            |         |           | its new size                             |
// | child-shards-not-checked   | info    | (empty)   | none: checkShard on a store's root       |
// | invalid-child-name         | warning | the dir   | none (stores): not two lower-case hex    |
// | child-not-directory        | warning | the name  | none (stores): a hex name that is a file |
// | child-too-deep             | warning | the dir   | none (stores): below depth 8, unreachable|
//
// Entry checks look at committed slots [0, min(table_len, capacity)) only;
// a table that is not a multiple of 32 is read as its whole slots, an empty
// one is not read. Tombstones (offset 0xFFFFFFFF) have no pack bytes.
// entry-out-of-bounds covers offset+len beyond the pack and beyond u32 (no
// wrap-around); such entries take no part in the overlap search.
// entries-overlap is found by sorting: every live in-bounds entry of non-zero
// length (zero-keyed ones included) that shares a byte with another appears
// in at least one overlap diagnostic (as `slot` or `otherSlot`), without
// listing all pairs. pack-tail-garbage counts bytes past the end of every
// committed live entry and of every uncommitted one whose range is intact
// (in bounds, clear of committed entries: uncommitted-slots names those).
// Without MF, the shard is fresh: a missing generation-0 table or pack is
// no error (Hydrate creates them), the manifest-missing message names it.
#pragma once

#include "error.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shardscope {

enum class Severity { Info, Warning, Error };

[[nodiscard]] const char *severityName(Severity severity); // "info", "warning", "error"

struct Diagnostic {
    std::string code; // kebab-case, stable: "entries-overlap", "manifest-missing", ...
    Severity severity = Severity::Error;
    // The file concerned, relative to the checked path: "00000000.pack" for a
    // shard, "ab/00000000.pack" for a child shard of a checked store. Empty
    // when the diagnostic concerns a directory as a whole.
    std::string file;
    std::optional<uint64_t> offset; // byte offset in that file
    std::optional<uint32_t> slot;
    std::optional<uint32_t> otherSlot;
    std::string message; // one line a person understands
    // The shard directory the diagnostic belongs to, relative to the checked
    // path ("" for the checked shard or the store's root shard, "ab", "ab/cd").
    std::string shard;
};

struct CheckReport {
    std::string path; // as given
    std::vector<Diagnostic> diagnostics;

    [[nodiscard]] size_t count(Severity severity) const;
    // 0 no errors or warnings, 1 only warnings, 2 any error (the CLI's exit status).
    [[nodiscard]] int exitStatus() const;
    // Diagnostics with this code, in report order.
    [[nodiscard]] std::vector<const Diagnostic *> withCode(const std::string &code) const;
};

// An error only when the path cannot be checked at all (not a directory, no
// permission to list it); damage inside is reported as diagnostics.
[[nodiscard]] Result<CheckReport> checkShard(const std::string &path);
[[nodiscard]] Result<CheckReport> checkStore(const std::string &path);

// The same checks over a shard directory held in memory: file name ("MF",
// "00000000.slot", "00000000.pack", "00000001.slot.tmp", ...) to its bytes.
// Names not in the map do not exist. Nothing is a symlink or unreadable.
// For fuzzing and tests; `path` is only copied into the report.
using ShardFileImages = std::map<std::string, std::vector<uint8_t>>;
[[nodiscard]] Result<CheckReport> checkShardFiles(ShardFileImages files, std::string path = "(memory)");

// Shorthand for the three files that matter: MF, and the table and pack of
// the generation MF's active copy names (generation 0 when there is no MF or
// it is too short to name one). nullopt: that file does not exist.
[[nodiscard]] Result<CheckReport> checkShardBytes(std::optional<std::vector<uint8_t>> manifest,
    std::optional<std::vector<uint8_t>> table, std::optional<std::vector<uint8_t>> pack);

} // namespace shardscope
