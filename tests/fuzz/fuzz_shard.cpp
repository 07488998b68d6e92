// The libFuzzer target over everything that reads untrusted shard bytes:
// manifest decoding, Shard::fromBytes, the dumps, lookups, the checker over
// in-memory files, and the name and hex parsers of the store. fuzz_input.h describes how an input becomes MF,
// table and pack.
//
// Besides "no crash, no UB, no leak", it checks what readers promise, so that
// a wrong answer counts as a finding too: a lookup returns the first live
// committed slot with the key and never an uncommitted one, a get returns
// exactly that slot's bytes, and the counts add up; the checker's codes and
// severities are those of its contract, and its findings on committed slots
// match a slow, independent recount.
//
// The same function runs in ctest (replay_main.cpp) over the committed
// corpus and regressions, with or without libFuzzer.
#include "fuzz_input.h"

#include "checker.h"
#include "entry.h"
#include "format.h"
#include "key.h"
#include "manifest.h"
#include "repair.h"
#include "shard.h"
#include "shard_dump.h"
#include "store.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <unordered_set>

using namespace shardscope;

namespace {

// A broken promise is a finding: stop the way a crash does, so that libFuzzer
// saves the input and the replay test fails.
[[noreturn]] void broken(const char *what, int line)
{
    std::fprintf(stderr, "fuzz_shard.cpp:%d: broken invariant: %s\n", line, what);
    __builtin_trap();
}
#define FUZZ_CHECK(cond)                                                                                               \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            broken(#cond, __LINE__);                                                                                   \
    } while (false)

void exerciseParsers(std::span<const uint8_t> input)
{
    const std::string_view text(reinterpret_cast<const char *>(input.data()), input.size());

    const std::string_view name = text.substr(0, 2);
    const bool lowerHex = name.size() == 2 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
    FUZZ_CHECK(isChildShardName(name) == lowerHex);

    if (auto key = Key::fromHex(text.substr(0, 2 * Key::kSize))) {
        // Round trip: the hex names the same 24 bytes (the output is lower case).
        auto again = Key::fromHex(key->toHex());
        FUZZ_CHECK(again && *again == *key);
        FUZZ_CHECK(Key::fromBytes(key->bytes()) == *key);
    }
    if (auto cid = contentIdFromHex(text.substr(0, 64))) {
        for (int depth = 0; depth <= Store::kMaxDepth; ++depth) {
            const Key k = keyAtDepth(*cid, depth);
            FUZZ_CHECK(std::memcmp(k.bytes().data(), cid->data() + depth, Key::kSize) == 0);
        }
    }
}

void exerciseManifest(const std::vector<uint8_t> &bytes)
{
    auto decoded = ManifestCopies::decode(bytes, kManifestFileName);
    if (!decoded) {
        FUZZ_CHECK(bytes.size() < ManifestCopies::kEncodedSizeOfFile);
        return;
    }
    FUZZ_CHECK(bytes.size() >= ManifestCopies::kEncodedSizeOfFile);
    const auto &c = decoded->copies;
    // The greater nonce wins; A on a tie.
    FUZZ_CHECK(decoded->activeIndex() == (c[1].nonce > c[0].nonce ? 1 : 0));
    for (int i = 0; i < 2; ++i) {
        std::array<uint8_t, Manifest::kEncodedSize> again {};
        c[size_t(i)].encodeTo(again.data());
        // Encoding writes the reserved bytes as zero; the rest round-trips.
        FUZZ_CHECK(std::memcmp(again.data(), bytes.data() + size_t(i) * Manifest::kEncodedSize, 16) == 0);
    }
}

void exerciseShard(const Shard &shard, const fuzzing::ShardFiles &files, std::span<const uint8_t> input)
{
    FUZZ_CHECK(shard.capacity() == files.table.size() / kTableEntrySize);
    FUZZ_CHECK(shard.packSize() == files.pack.size());
    FUZZ_CHECK(shard.slotCount() == std::min(shard.tableLen(), shard.capacity()));
    FUZZ_CHECK(!shard.writable());

    const std::string json = dumpJson(shard);
    FUZZ_CHECK(!json.empty() && json.front() == '{');
    (void)dumpText(shard);
    (void)infoText(shard);
    const ShardCounts counts = countSlots(shard);
    FUZZ_CHECK(uint64_t(counts.live) + counts.tombstones == shard.slotCount());

    FUZZ_CHECK(!shard.find(Key {}).has_value());

    std::unordered_set<Key, KeyHash> committedKeys;
    for (uint32_t i = 0; i < shard.slotCount(); ++i) {
        const Entry e = shard.entry(i);
        FUZZ_CHECK(e == Entry::decode(files.table.data() + size_t(i) * kTableEntrySize));
        if (e.isTombstone() || e.key.isZero())
            continue;
        const bool first = committedKeys.insert(e.key).second;
        const auto found = shard.find(e.key);
        FUZZ_CHECK(found.has_value());
        FUZZ_CHECK(first ? *found == i : *found < i);
        const Entry hit = shard.entry(*found);
        FUZZ_CHECK(hit.key == e.key && !hit.isTombstone());
        if (!first)
            continue;
        auto got = shard.get(e.key);
        const bool inPack = e.end() <= files.pack.size();
        FUZZ_CHECK(got.has_value() == inPack);
        if (got) {
            FUZZ_CHECK(got->has_value() && (*got)->size() == e.len);
            FUZZ_CHECK(e.len == 0 || std::memcmp((*got)->data(), files.pack.data() + e.offset, e.len) == 0);
        }
    }
    // Slots past the commit point are never answered.
    for (uint32_t i = shard.slotCount(); i < shard.capacity(); ++i) {
        const Entry e = shard.entry(i);
        if (!e.isTombstone() && !e.key.isZero() && !committedKeys.contains(e.key))
            FUZZ_CHECK(!shard.find(e.key).has_value());
    }
    // A key made of the input's last bytes: usually a miss.
    if (input.size() >= Key::kSize) {
        const Key k = Key::fromBytes(input.data() + input.size() - Key::kSize);
        FUZZ_CHECK(shard.find(k).has_value() == committedKeys.contains(k));
        (void)shard.get(k);
    }
}

// The codes and severities of checker.h's table: a code outside it, or with
// another severity, breaks the contract that scripts and the GUI key on.
Severity expectedSeverity(const std::string &code)
{
    static const std::map<std::string, Severity> table = {
        {"manifest-missing", Severity::Info},
        {"manifest-truncated", Severity::Error},
        {"manifest-oversized", Severity::Info},
        {"manifest-reserved-nonzero", Severity::Warning},
        {"manifest-copy-misplaced", Severity::Warning},
        {"manifest-nonce-tie", Severity::Warning},
        {"previous-manifest-usable", Severity::Info},
        {"table-missing", Severity::Error},
        {"pack-missing", Severity::Error},
        {"table-size-invalid", Severity::Error},
        {"pack-size-invalid", Severity::Warning},
        {"table-len-exceeds-capacity", Severity::Error},
        {"entry-out-of-bounds", Severity::Error},
        {"entries-overlap", Severity::Error},
        {"zero-key", Severity::Error},
        {"duplicate-key", Severity::Warning},
        {"tombstone-dirty", Severity::Warning},
        {"uncommitted-slots", Severity::Warning},
        {"pack-tail-garbage", Severity::Info},
        {"stale-generation", Severity::Info},
        {"temporary-file", Severity::Info},
    };
    auto it = table.find(code);
    if (it == table.end()) {
        std::fprintf(stderr, "unknown diagnostic code '%s'\n", code.c_str());
        broken("the code is in checker.h's table", __LINE__);
    }
    return it->second;
}

std::set<uint32_t> slotsWithCode(const CheckReport &report, const char *code, bool withOther)
{
    std::set<uint32_t> out;
    for (const Diagnostic *d : report.withCode(code)) {
        FUZZ_CHECK(d->slot.has_value());
        out.insert(*d->slot);
        if (withOther) {
            FUZZ_CHECK(d->otherSlot.has_value());
            out.insert(*d->otherSlot);
        }
    }
    return out;
}

// The checker's findings on the committed slots, worked out again here the
// slow and obvious way (FORMAT.md and checker.h's notes), and compared.
void compareEntryFindings(const CheckReport &report, const fuzzing::ShardFiles &files, uint32_t tableLen)
{
    const uint32_t capacity = uint32_t(files.table.size() / kTableEntrySize);
    const uint32_t committed = std::min(tableLen, capacity);
    FUZZ_CHECK(report.withCode("table-len-exceeds-capacity").size() == (tableLen > capacity ? 1u : 0u));

    std::set<uint32_t> outOfBounds, zeroKey, duplicates, overlapping;
    std::vector<std::pair<Entry, uint32_t>> ranges;
    std::unordered_set<Key, KeyHash> seen;
    for (uint32_t i = 0; i < committed; ++i) {
        const Entry e = Entry::decode(files.table.data() + size_t(i) * kTableEntrySize);
        if (e.isTombstone())
            continue;
        if (e.key.isZero())
            zeroKey.insert(i);
        else if (!seen.insert(e.key).second)
            duplicates.insert(i);
        if (e.end() > files.pack.size() || e.end() > kTombstoneOffset)
            outOfBounds.insert(i);
        else if (e.len > 0)
            ranges.emplace_back(e, i);
    }
    // Pairwise, so as not to share the checker's sweep; big tables skip it.
    if (ranges.size() <= 512) {
        for (size_t a = 0; a < ranges.size(); ++a) {
            for (size_t b = a + 1; b < ranges.size(); ++b) {
                const Entry &x = ranges[a].first;
                const Entry &y = ranges[b].first;
                if (x.offset < y.end() && y.offset < x.end()) {
                    overlapping.insert(ranges[a].second);
                    overlapping.insert(ranges[b].second);
                }
            }
        }
        FUZZ_CHECK(slotsWithCode(report, "entries-overlap", true) == overlapping);
    }
    FUZZ_CHECK(slotsWithCode(report, "entry-out-of-bounds", false) == outOfBounds);
    FUZZ_CHECK(slotsWithCode(report, "zero-key", false) == zeroKey);
    FUZZ_CHECK(slotsWithCode(report, "duplicate-key", false) == duplicates);
}

// Plans a rebuild and an adoption. Whatever the damage, when the current
// generation can be read the plan must exist, lose no live or uncommitted
// slot (each is either carried over or salvaged), and describe a generation
// that the checker finds clean.
void exerciseRepair(const ShardFileImages &images, const fuzzing::ShardFiles &files, const CheckReport &report,
    const Manifest &active, bool readable)
{
    for (RepairKind kind : {RepairKind::Rebuild, RepairKind::AdoptUncommitted, RepairKind::PreviousManifest}) {
        auto plan = planRepairFiles(images, kind);
        (void)(plan ? plan->describe() : plan.error().describe());
        if (kind == RepairKind::PreviousManifest) {
            // It goes back exactly when the checker says it can.
            FUZZ_CHECK(!plan || plan->nothingToDo || plan->restore.has_value());
            FUZZ_CHECK(!plan || !plan->restore || !report.withCode("previous-manifest-usable").empty());
            continue;
        }
        if (!readable)
            continue;
        FUZZ_CHECK(plan.has_value() || plan.error().kind == ErrorKind::Full);
        if (!plan)
            continue;
        const uint32_t capacity = uint32_t(files.table.size() / kTableEntrySize);
        const uint32_t committed = std::min(active.tableLen, capacity);
        std::set<uint32_t> carried(plan->sourceSlots.begin(), plan->sourceSlots.end());
        std::set<uint32_t> salvaged;
        for (const SalvageItem &item : plan->salvage)
            FUZZ_CHECK(salvaged.insert(item.slot).second && !carried.contains(item.slot));
        FUZZ_CHECK(carried.size() == plan->sourceSlots.size() && carried.size() == plan->entries.size());
        if (plan->nothingToDo) {
            for (const char *code : {"entry-out-of-bounds", "entries-overlap", "zero-key", "duplicate-key",
                     "table-len-exceeds-capacity", "tombstone-dirty"})
                FUZZ_CHECK(report.withCode(code).empty());
            continue;
        }
        for (uint32_t i = 0; i < capacity; ++i) {
            const Entry e = Entry::decode(files.table.data() + size_t(i) * kTableEntrySize);
            const bool mustKeep = i < committed
                ? !e.isTombstone()
                : kind == RepairKind::AdoptUncommitted && !e.isBlank() && !e.isTombstone();
            FUZZ_CHECK(!mustKeep || carried.contains(i) || salvaged.contains(i));
            FUZZ_CHECK(mustKeep || (!carried.contains(i) && !salvaged.contains(i)));
        }
        // The generation the plan would write, checked like any other.
        std::vector<uint8_t> table(size_t(plan->geometry.tableSlots) * kTableEntrySize);
        std::vector<uint8_t> pack(plan->geometry.packSize);
        FUZZ_CHECK(plan->entries.size() <= plan->geometry.tableSlots);
        uint64_t at = 0;
        for (size_t i = 0; i < plan->entries.size(); ++i) {
            const GenerationEntry &g = plan->entries[i];
            FUZZ_CHECK(uint64_t(g.offset) + g.len <= files.pack.size() && at + g.len <= pack.size());
            if (g.len > 0)
                std::memcpy(pack.data() + at, files.pack.data() + g.offset, g.len);
            Entry {g.key, uint32_t(at), g.len}.encodeTo(table.data() + i * kTableEntrySize);
            at += g.len;
        }
        std::vector<uint8_t> mf(ManifestCopies::kEncodedSizeOfFile);
        Manifest {1, plan->newGeneration, uint32_t(plan->entries.size())}.encodeTo(mf.data() + Manifest::kEncodedSize);
        ShardFileImages repaired {{kManifestFileName, mf}, {tableFileName(plan->newGeneration), table},
            {packFileName(plan->newGeneration), pack}};
        auto again = checkShardFiles(repaired);
        FUZZ_CHECK(again.has_value());
        for (const Diagnostic &d : again->diagnostics) {
            if (d.severity != Severity::Info)
                std::fprintf(stderr, "after repair: %s: %s\n", d.code.c_str(), d.message.c_str());
            FUZZ_CHECK(d.severity == Severity::Info);
        }
    }
}

void exerciseChecker(const fuzzing::ShardFiles &files)
{
    // The generation MF names, as a reader finds it (0 without a usable MF).
    std::optional<ManifestCopies> copies;
    if (files.hasManifest) {
        if (auto decoded = ManifestCopies::decode(files.manifest, kManifestFileName))
            copies = *decoded;
    }
    const Manifest active = copies ? copies->active() : Manifest {};
    ShardFileImages images;
    if (files.hasManifest)
        images[kManifestFileName] = files.manifest;
    if (files.hasTable)
        images[tableFileName(active.gen)] = files.table;
    if (files.hasPack)
        images[packFileName(active.gen)] = files.pack;
    if (files.staleGeneration) {
        images[tableFileName(active.gen ^ 1)] = files.table;
        images[packFileName(active.gen ^ 1)] = {};
    }
    if (files.temporaryFile)
        images[tableFileName(active.gen + 1) + ".tmp"] = files.pack;

    auto report = checkShardFiles(images);
    FUZZ_CHECK(report.has_value());
    for (const Diagnostic &d : report->diagnostics) {
        FUZZ_CHECK(d.severity == expectedSeverity(d.code));
        FUZZ_CHECK(!d.message.empty() && d.message.find('\n') == std::string::npos);
        FUZZ_CHECK(d.shard.empty());
    }
    FUZZ_CHECK(report->count(Severity::Error) + report->count(Severity::Warning) + report->count(Severity::Info)
        == report->diagnostics.size());
    FUZZ_CHECK(report->withCode("manifest-missing").size() == (files.hasManifest ? 0u : 1u));
    FUZZ_CHECK(report->withCode("stale-generation").empty() || files.staleGeneration);

    const bool manifestUsable = !files.hasManifest || copies.has_value();
    FUZZ_CHECK(report->withCode("manifest-truncated").size() == (manifestUsable ? 0u : 1u));
    if (!manifestUsable) {
        exerciseRepair(images, files, *report, active, false);
        return;
    }
    FUZZ_CHECK(report->withCode("table-missing").size() == (files.hasManifest && !files.hasTable ? 1u : 0u));
    FUZZ_CHECK(report->withCode("pack-missing").size() == (files.hasManifest && !files.hasPack ? 1u : 0u));
    const bool tableUsable = files.hasTable && !files.table.empty() && files.table.size() % kTableEntrySize == 0;
    FUZZ_CHECK(report->withCode("table-size-invalid").size() == (files.hasTable && !tableUsable ? 1u : 0u));
    if (tableUsable && files.hasPack)
        compareEntryFindings(*report, files, active.tableLen);
    exerciseRepair(images, files, *report, active, tableUsable && files.hasPack);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::span<const uint8_t> input(data, size);
    exerciseParsers(input);

    const fuzzing::ShardFiles files = fuzzing::splitInput(data, size);
    if (files.hasManifest)
        exerciseManifest(files.manifest);

    // fromBytes reads an empty manifest as "no MF"; an MF that exists but
    // is too short must fail instead, and ManifestCopies::decode said so above.
    const bool manifestUsable = !files.hasManifest || files.manifest.size() >= ManifestCopies::kEncodedSizeOfFile;
    if (manifestUsable && files.hasTable && files.hasPack) {
        auto shard
            = Shard::fromBytes(files.hasManifest ? files.manifest : std::vector<uint8_t> {}, files.table, files.pack);
        if (shard) {
            exerciseShard(*shard, files, input);
        } else {
            // The only way to fail here: a table that is not whole slots.
            FUZZ_CHECK(files.table.empty() || files.table.size() % kTableEntrySize != 0);
        }
    }
    exerciseChecker(files);
    return 0;
}
