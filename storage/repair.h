// Repairs of a damaged shard, decided from the checker's diagnostics. None
// works in place: --adopt-uncommitted and --rebuild write a new generation
// (generation_writer.h) and commit it by saving the inactive manifest copy;
// --previous-manifest makes the other manifest copy active again by
// rewriting it with a higher nonce. The current generation's files and the
// live manifest copy are never modified, and old files stay for the user to
// remove. Whatever a repair does not carry over (an entry out of bounds,
// overlapping another, zero-keyed, a later duplicate, or an uncommitted slot
// that fails validation) goes to a salvage folder first, raw slot bytes and
// every readable pack byte, so nothing is lost.
//
// Every repair is a plan (planRepair: a dry run, it writes nothing) and then
// its application (applyRepair), which refuses if MF changed in between.
//
// Salvage: an output directory (by default the sibling `<shard>.repair-
// <YYYYmmdd-HHMMSS>` of the shard directory, never inside it) written only
// when something is salvaged:
//   report.json                 what was done, and every salvaged slot
//   salvage/slot-NNNNNNNN.entry the slot's 32 raw bytes (NNNNNNNN: slot
//                               number, 8 decimal digits, of the old table)
//   salvage/slot-NNNNNNNN.bytes the pack bytes of [offset, offset+len) that
//                               lie inside the old pack (absent when none do)
#pragma once

#include "checker.h"
#include "entry.h"
#include "error.h"
#include "generation_writer.h"
#include "manifest.h"
#include "shard.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace shardscope {

enum class RepairKind { AdoptUncommitted, Rebuild, PreviousManifest };

// "adopt-uncommitted", "rebuild", "previous-manifest" (the CLI's option names).
[[nodiscard]] const char *repairKindName(RepairKind kind);

struct RepairAction {
    enum class Kind {
        Carry, // committed live entries carried into the new generation
        Exclude, // a committed entry not carried over (salvaged)
        Adopt, // an uncommitted slot committed in the new generation
        Reject, // an uncommitted slot that failed validation (salvaged)
        Clamp, // table_len beyond the table's capacity
        Drop, // tombstones and uncommitted slots that stay behind in the old files
        WriteGeneration,
        RestoreManifest,
        Salvage,
    };
    Kind kind = Kind::Carry;
    std::optional<uint32_t> slot; // in the current table
    std::optional<uint32_t> otherSlot; // the other side of an overlap or duplicate
    std::string code; // the checker's code behind an Exclude or Reject, if any
    std::string text; // one line a person understands
};

// A slot that is not carried over, and what of it can be read.
struct SalvageItem {
    uint32_t slot = 0;
    bool committed = true; // false: an uncommitted slot that failed validation
    std::array<uint8_t, Entry::kEncodedSize> raw {};
    Entry entry;
    std::string code; // why: entries-overlap, entry-out-of-bounds, zero-key, duplicate-key, ...
    std::string reason; // the same for a person
    uint64_t readableLen = 0; // bytes from entry.offset that lie inside the pack
};

struct RepairPlan {
    RepairKind kind = RepairKind::Rebuild;
    std::string path; // the shard directory
    std::optional<ManifestCopies> manifest; // MF as planned on; apply refuses if it changed
    uint32_t generation = 0; // current
    uint32_t tableLen = 0; // the active copy's, as stored
    uint32_t capacity = 0;
    uint64_t packSize = 0;

    // Nothing to do: the shard has none of the damage this repair mends.
    bool nothingToDo = false;
    std::vector<RepairAction> actions;

    // Adopt and rebuild: the new generation, its entries in slot order
    // (sorted by key) and the old slot each comes from.
    uint32_t newGeneration = 0;
    ShardGeometry geometry;
    std::vector<GenerationEntry> entries;
    std::vector<uint32_t> sourceSlots;
    std::vector<SalvageItem> salvage;
    std::string outDir; // where report.json and salvage/ go when salvage is not empty

    // Previous manifest: the copy made active again.
    std::optional<Manifest> restore;

    // The dry run's text: what would be done, one action per line.
    [[nodiscard]] std::string describe() const;
};

struct RepairOptions {
    // The salvage output directory; by default the shard's sibling
    // `<shard>.repair-<timestamp>`. It must not exist, or be empty, and must
    // not lie inside the shard directory.
    std::optional<std::string> outDir;
};

// Reads the shard (read-only, through the checker) and works out the repair.
// An error when the shard cannot be repaired this way (its current table or
// pack is missing or unreadable, MF is cut short, ...): the message says why
// and which repair may help.
[[nodiscard]] Result<RepairPlan> planRepair(
    const std::string &path, RepairKind kind, const RepairOptions &options = {});

// The same plan over a shard directory held in memory (checker.h), for the
// fuzzer: the bytes are never written, and such a plan cannot be applied.
[[nodiscard]] Result<RepairPlan> planRepairFiles(const ShardFileImages &files, RepairKind kind);

struct RepairResult {
    uint32_t generation = 0; // current after the repair
    uint32_t tableLen = 0;
    uint64_t nonce = 0; // of the manifest copy written
    std::string outDir; // "" when nothing was salvaged
    std::vector<std::string> salvageFiles; // relative to outDir
};

// Carries the plan out. Nothing happens for a plan with nothingToDo.
[[nodiscard]] Result<RepairResult> applyRepair(const RepairPlan &plan);

} // namespace shardscope
