// The checker: an fsck for shards and stores. It opens everything read-only,
// never writes, and never trusts a length or offset it read before checking it
// against the file it points into. Each kind of damage has a stable code that
// scripts and the GUI key on.
#pragma once

#include "error.h"

#include <cstdint>
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
};

// An error only when the path cannot be checked at all (not a directory, no
// permission to list it); damage inside is reported as diagnostics.
[[nodiscard]] Result<CheckReport> checkShard(const std::string &path);
[[nodiscard]] Result<CheckReport> checkStore(const std::string &path);

} // namespace shardscope
