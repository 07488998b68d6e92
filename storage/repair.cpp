#include "repair.h"

#include "byte_source.h"
#include "checker.h"
#include "format.h"
#include "json_writer.h"
#include "sha256.h"
#include "shard_lock.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

namespace shardscope {

namespace fs = std::filesystem;

const char *repairKindName(RepairKind kind)
{
    switch (kind) {
    case RepairKind::AdoptUncommitted:
        return "adopt-uncommitted";
    case RepairKind::Rebuild:
        return "rebuild";
    case RepairKind::PreviousManifest:
        return "previous-manifest";
    }
    return "rebuild";
}

namespace {

std::string range(uint64_t begin, uint64_t end)
{
    return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

std::string count(uint64_t n, const char *one, const char *many)
{
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string slotFileStem(uint32_t slot)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "slot-%08u", slot);
    return buf;
}

// Diagnostics that leave the current generation unreadable: no repair that
// copies from it can start.
bool blocksCopy(const Diagnostic &d, uint32_t gen)
{
    static const std::set<std::string> fatal = {"manifest-truncated", "table-missing", "pack-missing",
        "table-size-invalid", "path-escapes-shard", "file-not-regular", "io-error"};
    if (!fatal.contains(d.code))
        return false;
    return d.file == kManifestFileName || d.file == tableFileName(gen) || d.file == packFileName(gen);
}

// The nonce ManifestFile::save gives the copy it writes over `m`.
uint64_t nextNonce(const ManifestCopies &m)
{
    const int target = 1 - m.activeIndex();
    uint64_t nonce = m.active().nonce + 1;
    if (int(nonce & 1) != target)
        ++nonce;
    return nonce;
}

bool sameManifest(const std::optional<ManifestCopies> &a, const std::optional<ManifestCopies> &b)
{
    if (a.has_value() != b.has_value())
        return false;
    return !a || (a->copies == b->copies && a->reservedZero == b->reservedZero);
}

// Where an absent --out puts the salvage: beside the shard, named after it.
Result<std::string> defaultOutDir(const std::string &shardPath)
{
    std::error_code ec;
    const fs::path shard = fs::weakly_canonical(fs::path(shardPath), ec);
    if (ec || !shard.has_parent_path() || shard.filename().empty())
        return fail(ErrorKind::Invalid, shardPath, "cannot name an output directory beside this shard; give --out");
    const std::time_t now = std::time(nullptr);
    std::tm tm {};
    ::localtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    const std::string base = shard.filename().string() + ".repair-" + stamp;
    fs::path candidate = shard.parent_path() / base;
    for (int i = 2; fs::exists(candidate, ec); ++i)
        candidate = shard.parent_path() / (base + "-" + std::to_string(i));
    return candidate.string();
}

// An output directory must not lie inside the shard (the shard's own files
// and a store's children live there) and must be new or empty.
Result<void> checkOutDir(const std::string &out, const std::string &shardPath)
{
    std::error_code ec;
    const fs::path o = fs::weakly_canonical(fs::path(out), ec);
    const fs::path s = fs::weakly_canonical(fs::path(shardPath), ec);
    if (ec)
        return fail(ErrorKind::Io, out, "cannot resolve the output directory: " + ec.message());
    const fs::path rel = o.lexically_relative(s);
    if (!rel.empty() && *rel.begin() != "..")
        return fail(ErrorKind::Invalid, out, "the output directory must not lie inside the shard directory");
    if (fs::exists(o, ec)) {
        if (!fs::is_directory(o, ec))
            return fail(ErrorKind::Invalid, out, "exists and is not a directory");
        if (!fs::is_empty(o, ec))
            return fail(ErrorKind::Invalid, out, "the output directory exists and is not empty");
    } else if (!fs::is_directory(o.parent_path(), ec)) {
        return fail(ErrorKind::NotFound, out, "the output directory's parent does not exist");
    }
    return {};
}

// Committed live ranges sorted by start, with the running maximum end, to
// find one that shares a byte with a given range in O(log n).
class RangeIndex
{
public:
    void add(uint64_t begin, uint64_t end, uint32_t slot)
    {
        if (end > begin)
            m_ranges.push_back({begin, end, slot});
    }
    void build()
    {
        std::sort(m_ranges.begin(), m_ranges.end(), [](const R &a, const R &b) { return a.begin < b.begin; });
        m_maxEnd.resize(m_ranges.size());
        for (size_t i = 0; i < m_ranges.size(); ++i)
            m_maxEnd[i] = i > 0 && m_ranges[m_maxEnd[i - 1]].end >= m_ranges[i].end ? m_maxEnd[i - 1] : i;
    }
    // A slot whose range shares a byte with [begin, end), if any.
    [[nodiscard]] std::optional<uint32_t> overlapping(uint64_t begin, uint64_t end) const
    {
        if (end <= begin)
            return std::nullopt;
        const auto it = std::lower_bound(
            m_ranges.begin(), m_ranges.end(), end, [](const R &r, uint64_t v) { return r.begin < v; });
        if (it == m_ranges.begin())
            return std::nullopt;
        const R &widest = m_ranges[m_maxEnd[size_t(it - m_ranges.begin()) - 1]];
        return widest.end > begin ? std::optional<uint32_t>(widest.slot) : std::nullopt;
    }

private:
    struct R {
        uint64_t begin;
        uint64_t end;
        uint32_t slot;
    };
    std::vector<R> m_ranges;
    std::vector<size_t> m_maxEnd; // index of the range reaching furthest among [0, i]
};

struct Candidate {
    Entry entry;
    uint32_t slot;
};

class Planner
{
public:
    Planner(RepairPlan &plan, const Table &table, const Pack &pack) : m_plan(plan), m_table(table), m_pack(pack) { }

    void salvage(uint32_t slot, bool committed, const std::string &code, const std::string &reason)
    {
        SalvageItem item;
        item.slot = slot;
        item.committed = committed;
        const uint8_t *raw = m_table.file().bytes().read(uint64_t(slot) * kTableEntrySize, kTableEntrySize)->data();
        std::copy(raw, raw + kTableEntrySize, item.raw.begin());
        item.entry = Entry::decode(raw);
        item.code = code;
        item.reason = reason;
        const uint64_t size = m_pack.size();
        item.readableLen = item.entry.offset < size ? std::min<uint64_t>(item.entry.len, size - item.entry.offset) : 0;
        m_plan.actions.push_back(
            {committed ? RepairAction::Kind::Exclude : RepairAction::Kind::Reject, slot, std::nullopt, code,
                std::string(committed ? "exclude" : "do not adopt") + " slot " + std::to_string(slot) + ": " + reason});
        m_plan.salvage.push_back(std::move(item));
    }

    [[nodiscard]] bool inPack(const Entry &e) const
    {
        return m_pack.file().bytes().contains(e.offset, e.len) && e.end() <= kTombstoneOffset;
    }

    RepairPlan &m_plan;
    const Table &m_table;
    const Pack &m_pack;
};

Result<void> planGeneration(RepairPlan &plan, const CheckReport &report, const Table &table, const Pack &pack)
{
    Planner planner(plan, table, pack);
    const uint32_t committed = std::min(plan.tableLen, plan.capacity);
    const std::string tableName = tableFileName(plan.generation);
    bool damage = false;

    if (plan.tableLen > plan.capacity) {
        damage = true;
        plan.actions.push_back({RepairAction::Kind::Clamp, std::nullopt, std::nullopt, "table-len-exceeds-capacity",
            "table_len " + std::to_string(plan.tableLen) + " is beyond the " + std::to_string(plan.capacity)
                + " slots of " + tableName + ": clamp it to " + std::to_string(plan.capacity)});
    }

    // The checker's verdict on committed entries: these are not carried over.
    std::map<uint32_t, std::pair<std::string, std::string>> excluded;
    for (const Diagnostic &d : report.diagnostics) {
        if (!d.slot || *d.slot >= committed)
            continue;
        if (d.code == "entry-out-of-bounds" || d.code == "zero-key") {
            excluded.try_emplace(*d.slot, d.code, d.message);
        } else if (d.code == "entries-overlap") {
            excluded.try_emplace(*d.slot, d.code, d.message);
            if (d.otherSlot && *d.otherSlot < committed)
                excluded.try_emplace(*d.otherSlot, d.code, d.message);
        } else if (d.code == "tombstone-dirty") {
            damage = true; // the new generation has no tombstones at all
        }
    }

    std::vector<Candidate> kept;
    std::unordered_map<Key, uint32_t, KeyHash> keptKeys;
    std::unordered_map<Key, uint32_t, KeyHash> committedKeys; // every live committed key, first slot
    RangeIndex committedRanges;
    uint32_t tombstones = 0;
    for (uint32_t i = 0; i < committed; ++i) {
        const Entry e = table.slot(i);
        if (e.isTombstone()) {
            ++tombstones;
            continue;
        }
        if (!e.key.isZero())
            committedKeys.try_emplace(e.key, i);
        if (planner.inPack(e))
            committedRanges.add(e.offset, e.end(), i);
        if (auto it = excluded.find(i); it != excluded.end()) {
            planner.salvage(i, true, it->second.first, it->second.second);
            continue;
        }
        // Readers see the first of a key; of those still valid, so does the new generation.
        if (auto [at, inserted] = keptKeys.try_emplace(e.key, i); !inserted) {
            planner.salvage(i, true, "duplicate-key",
                "slot " + std::to_string(i) + " has the same key as slot " + std::to_string(at->second)
                    + ", which is carried over (" + e.key.toHex() + ")");
            continue;
        }
        kept.push_back({e, i});
    }
    committedRanges.build();
    damage = damage || !plan.salvage.empty();

    // What the checker promised, checked again before anything is written.
    {
        std::vector<const Candidate *> byStart;
        for (const Candidate &c : kept) {
            if (c.entry.key.isZero() || !planner.inPack(c.entry)) {
                return fail(ErrorKind::Corrupt, table.file().path(),
                    "slot " + std::to_string(c.slot) + " is damaged but was not reported; refusing to repair",
                    uint64_t(c.slot) * kTableEntrySize);
            }
            if (c.entry.len > 0)
                byStart.push_back(&c);
        }
        std::sort(byStart.begin(), byStart.end(),
            [](const Candidate *a, const Candidate *b) { return a->entry.offset < b->entry.offset; });
        for (size_t i = 1; i < byStart.size(); ++i) {
            if (byStart[i]->entry.offset < byStart[i - 1]->entry.end()) {
                return fail(ErrorKind::Corrupt, table.file().path(),
                    "slots " + std::to_string(byStart[i - 1]->slot) + " and " + std::to_string(byStart[i]->slot)
                        + " overlap but were not reported; refusing to repair",
                    uint64_t(byStart[i]->slot) * kTableEntrySize);
            }
        }
    }

    plan.actions.insert(plan.actions.begin(),
        {RepairAction::Kind::Carry, std::nullopt, std::nullopt, {},
            "carry " + std::to_string(kept.size()) + " of the " + std::to_string(committed)
                + " committed slots into the new generation, sorted by key"
                + (tombstones ? " (" + count(tombstones, "tombstone", "tombstones") + " dropped)" : std::string())});

    // Slots past the commit point.
    std::vector<Candidate> uncommitted;
    uint32_t uncommittedTombstones = 0;
    for (uint32_t i = committed; i < plan.capacity; ++i) {
        const Entry e = table.slot(i);
        if (e.isBlank())
            continue;
        if (e.isTombstone())
            ++uncommittedTombstones;
        else
            uncommitted.push_back({e, i});
    }

    std::vector<Candidate> adopted;
    if (plan.kind == RepairKind::AdoptUncommitted) {
        std::vector<Candidate> passing;
        for (const Candidate &c : uncommitted) {
            const Entry &e = c.entry;
            const std::string what = "uncommitted slot " + std::to_string(c.slot) + " " + range(e.offset, e.end());
            if (e.key.isZero()) {
                planner.salvage(c.slot, false, "zero-key", what + " has the all-zero key");
            } else if (!planner.inPack(e)) {
                planner.salvage(c.slot, false, "entry-out-of-bounds",
                    what + " reaches past the end of " + packFileName(plan.generation) + " ("
                        + std::to_string(plan.packSize) + " bytes)");
            } else if (auto other = committedRanges.overlapping(e.offset, e.end())) {
                planner.salvage(c.slot, false, "entries-overlap",
                    what + " overlaps committed slot " + std::to_string(*other) + " "
                        + range(table.slot(*other).offset, table.slot(*other).end()));
            } else if (auto it = committedKeys.find(e.key); it != committedKeys.end()) {
                planner.salvage(c.slot, false, "duplicate-key",
                    what + " has the key of committed slot " + std::to_string(it->second) + " (" + e.key.toHex() + ")");
            } else {
                passing.push_back(c);
            }
        }
        // Against each other: both sides of an overlap fail, then the later of a key.
        // Sorted by start, a range overlaps an earlier one when the furthest
        // earlier end passes its start, and a later one when the next start
        // falls before its end.
        std::vector<size_t> byStart;
        for (size_t i = 0; i < passing.size(); ++i) {
            if (passing[i].entry.len > 0)
                byStart.push_back(i);
        }
        std::sort(byStart.begin(), byStart.end(),
            [&](size_t a, size_t b) { return passing[a].entry.offset < passing[b].entry.offset; });
        std::vector<std::optional<uint32_t>> overlapWith(passing.size());
        std::optional<size_t> furthest;
        for (size_t k = 0; k < byStart.size(); ++k) {
            const Candidate &c = passing[byStart[k]];
            if (furthest && passing[*furthest].entry.end() > c.entry.offset)
                overlapWith[byStart[k]] = passing[*furthest].slot;
            else if (k + 1 < byStart.size() && passing[byStart[k + 1]].entry.offset < c.entry.end())
                overlapWith[byStart[k]] = passing[byStart[k + 1]].slot;
            if (!furthest || c.entry.end() > passing[*furthest].entry.end())
                furthest = byStart[k];
        }
        std::unordered_map<Key, uint32_t, KeyHash> adoptedKeys;
        for (size_t i = 0; i < passing.size(); ++i) {
            const Candidate &c = passing[i];
            const std::string what
                = "uncommitted slot " + std::to_string(c.slot) + " " + range(c.entry.offset, c.entry.end());
            if (overlapWith[i]) {
                planner.salvage(c.slot, false, "entries-overlap",
                    what + " overlaps uncommitted slot " + std::to_string(*overlapWith[i]));
            } else if (auto [at, inserted] = adoptedKeys.try_emplace(c.entry.key, c.slot); !inserted) {
                planner.salvage(c.slot, false, "duplicate-key",
                    what + " has the key of uncommitted slot " + std::to_string(at->second) + ", which is adopted");
            } else {
                adopted.push_back(c);
                plan.actions.push_back({RepairAction::Kind::Adopt, c.slot, std::nullopt, {},
                    "adopt " + what + " (key " + c.entry.key.toHex() + ")"});
            }
        }
        if (uncommittedTombstones > 0) {
            plan.actions.push_back({RepairAction::Kind::Drop, std::nullopt, std::nullopt, {},
                count(uncommittedTombstones, "uncommitted tombstone has", "uncommitted tombstones have")
                    + " nothing to adopt"});
        }
        damage = damage || !adopted.empty() || !plan.salvage.empty();
    } else if (!uncommitted.empty()) {
        plan.actions.push_back({RepairAction::Kind::Drop, std::nullopt, std::nullopt, "uncommitted-slots",
            count(uncommitted.size(), "uncommitted slot past table_len is", "uncommitted slots past table_len are")
                + " not carried over; they stay in " + tableName
                + " (repair --adopt-uncommitted commits the valid ones)"});
    }

    if (!damage) {
        plan.nothingToDo = true;
        plan.actions.clear();
        plan.actions.push_back({RepairAction::Kind::Carry, std::nullopt, std::nullopt, {},
            plan.kind == RepairKind::AdoptUncommitted
                ? "nothing to repair: no uncommitted slot to adopt and no damaged committed slot"
                : "nothing to repair: every committed slot is valid and table_len fits the table"});
        return {};
    }

    std::vector<Candidate> all = std::move(kept);
    all.insert(all.end(), adopted.begin(), adopted.end());
    std::sort(all.begin(), all.end(), [](const Candidate &a, const Candidate &b) { return a.entry.key < b.entry.key; });
    uint64_t bytes = 0;
    for (const Candidate &c : all) {
        plan.entries.push_back({c.entry.key, c.entry.offset, c.entry.len});
        plan.sourceSlots.push_back(c.slot);
        bytes += c.entry.len;
    }
    plan.geometry = {plan.capacity, uint32_t(std::clamp<uint64_t>(plan.packSize, 1, UINT32_MAX))};

    if (!plan.salvage.empty()) {
        plan.actions.push_back({RepairAction::Kind::Salvage, std::nullopt, std::nullopt, {},
            "save the raw slot bytes and readable pack bytes of the " + count(plan.salvage.size(), "slot", "slots")
                + " not carried over to " + plan.outDir + "/salvage, listed in " + plan.outDir + "/report.json"});
    }
    const ManifestCopies m = plan.manifest.value_or(ManifestCopies {});
    const int target = plan.manifest ? 1 - m.activeIndex() : 1;
    plan.actions.push_back({RepairAction::Kind::WriteGeneration, std::nullopt, std::nullopt, {},
        "write generation " + std::to_string(plan.newGeneration) + " (" + tableFileName(plan.newGeneration) + ", "
            + std::to_string(plan.geometry.tableSlots) + " slots; " + packFileName(plan.newGeneration) + ", "
            + std::to_string(plan.geometry.packSize) + " bytes) with " + count(plan.entries.size(), "entry", "entries")
            + " (" + count(bytes, "byte", "bytes") + "), sync and verify it, then commit it in copy "
            + (target == 0 ? "A" : "B") + " of MF (nonce " + std::to_string(plan.manifest ? nextNonce(m) : 1)
            + ", table_len " + std::to_string(plan.entries.size()) + "); generation " + std::to_string(plan.generation)
            + "'s files and the active copy stay as they are"});
    return {};
}

Result<void> planPreviousManifest(RepairPlan &plan, const CheckReport &report)
{
    if (!plan.manifest)
        return fail(
            ErrorKind::Invalid, plan.path + "/MF", "there is no MF, so no previous manifest copy to go back to");
    const ManifestCopies &m = *plan.manifest;
    const int active = m.activeIndex();
    const int other = 1 - active;
    const char names[] = {'A', 'B'};
    auto usable = report.withCode("previous-manifest-usable");
    if (usable.empty()) {
        std::vector<std::string> why;
        for (const Diagnostic &d : report.diagnostics) {
            if (blocksCopy(d, plan.generation))
                why.push_back(d.message);
        }
        if (why.empty()) {
            plan.nothingToDo = true;
            plan.actions.push_back({RepairAction::Kind::RestoreManifest, std::nullopt, std::nullopt, {},
                "nothing to repair: the active copy " + std::string(1, names[active]) + " names generation "
                    + std::to_string(plan.generation) + ", whose table and pack are usable"});
            return {};
        }
        const Manifest &prev = m.copies[size_t(other)];
        return fail(ErrorKind::Corrupt, plan.path + "/MF",
            "the active copy names generation " + std::to_string(plan.generation) + ", which is unusable ("
                + why.front() + "), and copy " + std::string(1, names[other]) + " (nonce " + std::to_string(prev.nonce)
                + ", generation " + std::to_string(prev.gen) + ") names no sound generation either");
    }
    const Manifest prev = m.copies[size_t(other)];
    plan.restore = prev;
    plan.actions.push_back({RepairAction::Kind::RestoreManifest, std::nullopt, std::nullopt, "previous-manifest-usable",
        "copy " + std::string(1, names[active]) + " (nonce " + std::to_string(m.active().nonce) + ") names generation "
            + std::to_string(plan.generation) + ", which is unusable; copy " + std::string(1, names[other])
            + " names generation " + std::to_string(prev.gen) + ", whose files are sound: write generation "
            + std::to_string(prev.gen) + ", table_len " + std::to_string(prev.tableLen) + " into copy " + names[other]
            + " with nonce " + std::to_string(nextNonce(m)) + ", making it active; copy " + names[active]
            + " and every file stay as they are"});
    return {};
}

Result<void> writeFileDurably(const Directory &dir, const std::string &name, std::span<const uint8_t> bytes)
{
    auto fd = dir.createFile(name, 0);
    if (!fd)
        return std::unexpected(fd.error());
    const std::string path = dir.filePath(name);
    if (auto r = writeAll(fd->get(), bytes, 0, path); !r)
        return r;
    return syncFile(fd->get(), path);
}

// The salvage files, durable before the new generation is committed.
Result<std::vector<std::string>> writeSalvage(const RepairPlan &plan, const Directory &out, const Pack &pack)
{
    auto salvageDir = out.createChild("salvage");
    if (!salvageDir)
        return std::unexpected(salvageDir.error());
    std::vector<std::string> files;
    for (const SalvageItem &item : plan.salvage) {
        const std::string stem = slotFileStem(item.slot);
        if (auto r = writeFileDurably(*salvageDir, stem + ".entry", item.raw); !r)
            return std::unexpected(r.error());
        files.push_back("salvage/" + stem + ".entry");
        if (item.readableLen > 0) {
            auto bytes = pack.file().bytes().read(item.entry.offset, item.readableLen);
            if (!bytes)
                return std::unexpected(bytes.error());
            if (auto r = writeFileDurably(*salvageDir, stem + ".bytes", *bytes); !r)
                return std::unexpected(r.error());
            files.push_back("salvage/" + stem + ".bytes");
        }
    }
    if (auto r = salvageDir->sync(); !r)
        return std::unexpected(r.error());
    if (auto r = out.sync(); !r)
        return std::unexpected(r.error());
    return files;
}

std::string reportJson(const RepairPlan &plan, const RepairResult &result, const Pack &pack)
{
    JsonWriter w;
    w.beginObject();
    w.key("shard").value(plan.path);
    w.key("repair").value(repairKindName(plan.kind));
    w.key("old_generation").value(plan.generation);
    w.key("new_generation").value(result.generation);
    w.key("nonce").value(result.nonce);
    w.key("table_len").value(result.tableLen);
    w.key("actions").beginArray();
    for (const RepairAction &a : plan.actions)
        w.value(a.text);
    w.endArray();
    w.key("salvaged").beginArray();
    for (const SalvageItem &item : plan.salvage) {
        const std::string stem = "salvage/" + slotFileStem(item.slot);
        w.beginObject();
        w.key("slot").value(item.slot);
        w.key("committed").value(item.committed);
        w.key("code").value(item.code);
        w.key("reason").value(item.reason);
        w.key("key").value(item.entry.key.toHex());
        w.key("offset").value(item.entry.offset);
        w.key("len").value(item.entry.len);
        w.key("entry_file").value(stem + ".entry");
        w.key("bytes_file");
        if (item.readableLen > 0)
            w.value(stem + ".bytes");
        else
            w.null();
        w.key("bytes_len").value(item.readableLen);
        w.key("complete").value(item.readableLen == item.entry.len);
        w.key("sha256");
        auto bytes = pack.file().bytes().read(item.entry.offset, item.readableLen);
        if (item.readableLen > 0 && bytes)
            w.value(Sha256::hexHash(*bytes));
        else
            w.null();
        w.endObject();
    }
    w.endArray();
    w.endObject();
    return w.str() + "\n";
}

// Adopt and rebuild copy from the current generation: they cannot start
// when it cannot be read.
Result<void> refuseUnreadable(const RepairPlan &plan, const CheckReport &report, const Directory *dir)
{
    for (const Diagnostic &d : report.diagnostics) {
        if (!blocksCopy(d, plan.generation))
            continue;
        std::string message = "cannot " + std::string(repairKindName(plan.kind)) + ": " + d.message;
        if (!report.withCode("previous-manifest-usable").empty())
            message += "; the other manifest copy names a sound generation: try repair --previous-manifest";
        return fail(ErrorKind::Corrupt, dir ? dir->filePath(d.file) : d.file, message, d.offset);
    }
    return {};
}

} // namespace

std::string RepairPlan::describe() const
{
    std::string out = "repair --" + std::string(repairKindName(kind)) + " of " + path + " (generation "
        + std::to_string(generation) + ", table_len " + std::to_string(tableLen) + " of " + std::to_string(capacity)
        + " slots, pack " + std::to_string(packSize) + " bytes)\n";
    for (const RepairAction &a : actions)
        out += "  - " + a.text + "\n";
    return out;
}

Result<RepairPlan> planRepair(const std::string &path, RepairKind kind, const RepairOptions &options)
{
    auto dir = Directory::open(path);
    if (!dir)
        return std::unexpected(dir.error());
    auto report = checkShard(path);
    if (!report)
        return std::unexpected(report.error());
    auto manifest = ManifestFile::load(*dir);
    if (!manifest)
        return std::unexpected(manifest.error());

    RepairPlan plan;
    plan.kind = kind;
    plan.path = path;
    plan.manifest = *manifest;
    const Manifest active = plan.manifest ? plan.manifest->active() : Manifest {};
    plan.generation = active.gen;
    plan.tableLen = active.tableLen;

    if (kind == RepairKind::PreviousManifest) {
        if (auto r = planPreviousManifest(plan, *report); !r)
            return std::unexpected(r.error());
        return plan;
    }

    if (auto r = refuseUnreadable(plan, *report, &*dir); !r)
        return std::unexpected(r.error());
    auto table = Table::open(*dir, plan.generation, ShardFile::Access::ReadOnly);
    if (!table)
        return std::unexpected(table.error());
    auto pack = Pack::open(*dir, plan.generation, ShardFile::Access::ReadOnly);
    if (!pack)
        return std::unexpected(pack.error());
    plan.capacity = table->capacity();
    plan.packSize = pack->size();

    auto newGen = nextFreeGeneration(*dir, plan.generation);
    if (!newGen)
        return std::unexpected(newGen.error());
    plan.newGeneration = *newGen;
    if (options.outDir) {
        plan.outDir = *options.outDir;
    } else {
        auto out = defaultOutDir(path);
        if (!out)
            return std::unexpected(out.error());
        plan.outDir = *out;
    }

    if (auto r = planGeneration(plan, *report, *table, *pack); !r)
        return std::unexpected(r.error());
    if (!plan.salvage.empty()) {
        if (auto r = checkOutDir(plan.outDir, path); !r)
            return std::unexpected(r.error());
    }
    return plan;
}

Result<RepairPlan> planRepairFiles(const ShardFileImages &files, RepairKind kind)
{
    auto report = checkShardFiles(files);
    if (!report)
        return std::unexpected(report.error());
    RepairPlan plan;
    plan.kind = kind;
    plan.path = report->path;
    if (auto mf = files.find(kManifestFileName); mf != files.end()) {
        // A cut-short MF decodes to nothing; the checker's manifest-truncated stops the plan below.
        if (auto decoded = ManifestCopies::decode(mf->second, kManifestFileName))
            plan.manifest = *decoded;
    }
    const Manifest active = plan.manifest ? plan.manifest->active() : Manifest {};
    plan.generation = active.gen;
    plan.tableLen = active.tableLen;
    if (kind == RepairKind::PreviousManifest) {
        if (auto r = planPreviousManifest(plan, *report); !r)
            return std::unexpected(r.error());
        return plan;
    }
    if (auto r = refuseUnreadable(plan, *report, nullptr); !r)
        return std::unexpected(r.error());
    auto image = [&](const std::string &name) -> Result<ShardFile> {
        auto it = files.find(name);
        if (it == files.end())
            return fail(ErrorKind::NotFound, name, "does not exist");
        return ShardFile::fromSource(std::make_unique<MemoryByteSource>(it->second, name));
    };
    auto tableFile = image(tableFileName(plan.generation));
    if (!tableFile)
        return std::unexpected(tableFile.error());
    auto table = Table::fromFile(std::move(*tableFile));
    if (!table)
        return std::unexpected(table.error());
    auto packFile = image(packFileName(plan.generation));
    if (!packFile)
        return std::unexpected(packFile.error());
    auto pack = Pack::fromFile(std::move(*packFile));
    if (!pack)
        return std::unexpected(pack.error());
    plan.capacity = table->capacity();
    plan.packSize = pack->size();
    uint64_t gen = uint64_t(plan.generation) + 1;
    while (gen <= UINT32_MAX
        && (files.contains(tableFileName(uint32_t(gen))) || files.contains(packFileName(uint32_t(gen)))))
        ++gen;
    if (gen > UINT32_MAX)
        return fail(ErrorKind::Full, kManifestFileName, "no generation number is left after this one");
    plan.newGeneration = uint32_t(gen);
    plan.outDir = "(memory).repair";
    if (auto r = planGeneration(plan, *report, *table, *pack); !r)
        return std::unexpected(r.error());
    return plan;
}

Result<RepairResult> applyRepair(const RepairPlan &plan)
{
    RepairResult result;
    result.generation = plan.generation;
    result.tableLen = plan.tableLen;
    if (plan.nothingToDo)
        return result;

    auto dir = Directory::open(plan.path);
    if (!dir)
        return std::unexpected(dir.error());
    // A repair writes a generation and flips MF like any writer, so it waits
    // its turn behind the shard's write lock.
    auto lock = ShardLock::acquire(*dir);
    if (!lock)
        return std::unexpected(lock.error());
    auto manifest = ManifestFile::load(*dir);
    if (!manifest)
        return std::unexpected(manifest.error());
    if (!sameManifest(*manifest, plan.manifest)) {
        return fail(ErrorKind::Invalid, dir->filePath(kManifestFileName),
            "the manifest changed since the repair was planned; plan it again");
    }

    if (plan.kind == RepairKind::PreviousManifest) {
        auto saved = ManifestFile::save(*dir, plan.manifest, plan.restore->gen, plan.restore->tableLen);
        if (!saved)
            return std::unexpected(saved.error());
        result.generation = saved->active().gen;
        result.tableLen = saved->active().tableLen;
        result.nonce = saved->active().nonce;
        return result;
    }

    auto table = Table::open(*dir, plan.generation, ShardFile::Access::ReadOnly);
    if (!table)
        return std::unexpected(table.error());
    auto pack = Pack::open(*dir, plan.generation, ShardFile::Access::ReadOnly);
    if (!pack)
        return std::unexpected(pack.error());
    // The slots the plan copies from must still say what they said.
    bool same = table->capacity() == plan.capacity && pack->size() == plan.packSize;
    for (size_t i = 0; same && i < plan.entries.size(); ++i) {
        const Entry e = table->slot(plan.sourceSlots[i]);
        same = e.key == plan.entries[i].key && e.offset == plan.entries[i].offset && e.len == plan.entries[i].len;
    }
    for (size_t i = 0; same && i < plan.salvage.size(); ++i)
        same = table->slot(plan.salvage[i].slot) == plan.salvage[i].entry;
    if (!same) {
        return fail(
            ErrorKind::Invalid, table->file().path(), "the table changed since the repair was planned; plan it again");
    }
    for (const auto &name : {tableFileName(plan.newGeneration), packFileName(plan.newGeneration)}) {
        auto st = dir->status(name);
        if (!st)
            return std::unexpected(st.error());
        if (st->type != EntryType::Missing)
            return fail(
                ErrorKind::Invalid, dir->filePath(name), "appeared since the repair was planned; plan it again");
    }

    std::optional<Directory> out;
    if (!plan.salvage.empty()) {
        if (auto r = checkOutDir(plan.outDir, plan.path); !r)
            return std::unexpected(r.error());
        auto made = Directory::create(plan.outDir);
        if (!made)
            return std::unexpected(made.error());
        out = std::move(*made);
        auto files = writeSalvage(plan, *out, *pack);
        if (!files)
            return std::unexpected(files.error());
        result.salvageFiles = std::move(*files);
        result.salvageFiles.insert(result.salvageFiles.begin(), "report.json");
        result.outDir = plan.outDir;
        // The new directory's own name, durable in its parent.
        std::error_code ec;
        auto parent = Directory::open(fs::weakly_canonical(fs::path(plan.outDir), ec).parent_path().string());
        if (parent) {
            if (auto r = parent->sync(); !r)
                return std::unexpected(r.error());
        }
    }

    GenerationWrite write;
    write.gen = plan.newGeneration;
    write.geometry = plan.geometry;
    auto written = writeGeneration(*dir, *pack, plan.manifest, plan.entries, write);
    if (!written)
        return std::unexpected(written.error());
    result.generation = plan.newGeneration;
    result.tableLen = uint32_t(plan.entries.size());
    result.nonce = written->manifest.active().nonce;

    if (out) {
        const std::string json = reportJson(plan, result, *pack);
        const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t *>(json.data()), json.size());
        if (auto r = writeFileDurably(*out, "report.json", bytes); !r)
            return std::unexpected(r.error());
        if (auto r = out->sync(); !r)
            return std::unexpected(r.error());
    }
    return result;
}

} // namespace shardscope
