#include "generation_diff.h"

#include "entry.h"
#include "format.h"
#include "manifest.h"
#include "shard_file.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <unordered_map>

namespace shardscope {

namespace {

// "%08x" in lower case, the only spelling the format gives a generation.
std::optional<uint32_t> generationOf(std::string_view name, std::string_view suffix)
{
    if (name.size() != 8 + suffix.size() || !name.ends_with(suffix))
        return std::nullopt;
    uint32_t gen = 0;
    for (size_t i = 0; i < 8; ++i) {
        const char c = name[i];
        uint32_t nibble = 0;
        if (c >= '0' && c <= '9')
            nibble = uint32_t(c - '0');
        else if (c >= 'a' && c <= 'f')
            nibble = uint32_t(c - 'a' + 10);
        else
            return std::nullopt;
        gen = gen << 4 | nibble;
    }
    return gen;
}

struct Side {
    uint32_t gen = 0;
    Table table;
    Pack pack;
};

struct Item {
    Key key;
    DiffSlot where;
    std::span<const uint8_t> bytes;
    std::optional<Error> problem;
};

struct Scan {
    std::vector<Item> items; // first live slot of each non-zero key, in slot order
    std::vector<Item> zeroKeys; // live slots with the zero key
    uint32_t scanned = 0;
    uint32_t shadowed = 0;
};

Result<Side> openSide(const Directory &dir, uint32_t gen)
{
    auto table = Table::open(dir, gen, ShardFile::Access::ReadOnly);
    if (!table)
        return std::unexpected(table.error());
    auto pack = Pack::open(dir, gen, ShardFile::Access::ReadOnly);
    if (!pack)
        return std::unexpected(pack.error());
    return Side {gen, std::move(*table), std::move(*pack)};
}

Scan scanSide(const Side &side, std::optional<uint32_t> tableLen)
{
    Scan out;
    const uint32_t capacity = side.table.capacity();
    const uint32_t end = tableLen ? std::min(*tableLen, capacity) : capacity;
    std::unordered_map<Key, size_t, KeyHash> seen;
    for (uint32_t slot = 0; slot < end; ++slot) {
        const Entry e = side.table.slot(slot);
        // Blank slots are the table's never-written space; they only occur
        // inside a table_len in damaged shards and are no entry either way.
        if (e.isTombstone() || e.isBlank())
            continue;
        Item item {e.key, DiffSlot {slot, e.offset, e.len}, {}, {}};
        if (auto bytes = side.pack.read(e.offset, e.len))
            item.bytes = *bytes;
        else
            item.problem = bytes.error();
        if (e.key.isZero()) {
            if (!item.problem) {
                item.problem = Error {ErrorKind::Corrupt, side.table.file().path(), uint64_t(slot) * kTableEntrySize,
                    "slot " + std::to_string(slot) + " holds the zero key, which no lookup can find"};
            }
            out.zeroKeys.push_back(std::move(item));
            continue;
        }
        if (!seen.emplace(e.key, out.items.size()).second) {
            ++out.shadowed;
            continue;
        }
        out.items.push_back(std::move(item));
    }
    out.scanned = end;
    return out;
}

bool sameBytes(std::span<const uint8_t> a, std::span<const uint8_t> b)
{
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

} // namespace

const char *diffKindName(DiffKind kind)
{
    switch (kind) {
    case DiffKind::Added:
        return "added";
    case DiffKind::Removed:
        return "removed";
    case DiffKind::Moved:
        return "moved";
    case DiffKind::Changed:
        return "changed";
    case DiffKind::Unchanged:
        return "unchanged";
    case DiffKind::Damaged:
        return "damaged";
    }
    return "?";
}

Result<std::vector<uint32_t>> listGenerations(const Directory &dir)
{
    auto names = dir.list();
    if (!names)
        return std::unexpected(names.error());
    std::vector<uint32_t> out;
    for (const std::string &name : *names) {
        const auto gen = generationOf(name, ".slot");
        if (!gen)
            continue;
        // A symlink or a directory with the right name is not a table: the
        // shard's reader would refuse it, so the list must not offer it.
        auto table = dir.status(name);
        if (!table)
            return std::unexpected(table.error());
        auto pack = dir.status(packFileName(*gen));
        if (!pack)
            return std::unexpected(pack.error());
        if (table->type == EntryType::Regular && pack->type == EntryType::Regular)
            out.push_back(*gen);
    }
    // list() sorts names, and "%08x" sorts like the numbers, but do not
    // depend on either.
    std::sort(out.begin(), out.end());
    return out;
}

Result<GenerationDiff> diffGenerations(const Directory &dir, uint32_t oldGen, std::optional<uint32_t> oldTableLen,
    uint32_t newGen, std::optional<uint32_t> newTableLen)
{
    auto oldSide = openSide(dir, oldGen);
    if (!oldSide)
        return std::unexpected(oldSide.error());
    auto newSide = openSide(dir, newGen);
    if (!newSide)
        return std::unexpected(newSide.error());

    Scan before = scanSide(*oldSide, oldTableLen);
    Scan after = scanSide(*newSide, newTableLen);

    GenerationDiff diff;
    diff.oldGeneration = oldGen;
    diff.newGeneration = newGen;
    diff.oldSlotsScanned = before.scanned;
    diff.newSlotsScanned = after.scanned;
    diff.oldByTableLen = oldTableLen.has_value();
    diff.newByTableLen = newTableLen.has_value();
    diff.shadowed = before.shadowed + after.shadowed;

    std::unordered_map<Key, size_t, KeyHash> oldIndex;
    oldIndex.reserve(before.items.size());
    for (size_t i = 0; i < before.items.size(); ++i)
        oldIndex.emplace(before.items[i].key, i);
    std::vector<bool> matched(before.items.size(), false);

    auto add = [&diff](DiffEntry entry) {
        ++diff.counts[size_t(entry.kind)];
        diff.entries.push_back(std::move(entry));
    };

    for (Item &item : after.items) {
        const auto it = oldIndex.find(item.key);
        if (it == oldIndex.end()) {
            const DiffKind kind = item.problem ? DiffKind::Damaged : DiffKind::Added;
            add(DiffEntry {kind, item.key, std::nullopt, item.where, std::move(item.problem)});
            continue;
        }
        Item &old = before.items[it->second];
        matched[it->second] = true;
        if (old.problem || item.problem) {
            // The old side's problem first: it is the one that was there before.
            auto problem = old.problem ? std::move(old.problem) : std::move(item.problem);
            add(DiffEntry {DiffKind::Damaged, item.key, old.where, item.where, std::move(problem)});
            continue;
        }
        DiffKind kind = DiffKind::Changed;
        if (sameBytes(old.bytes, item.bytes)) {
            const bool samePlace = old.where.slot == item.where.slot && old.where.offset == item.where.offset;
            kind = samePlace ? DiffKind::Unchanged : DiffKind::Moved;
        }
        add(DiffEntry {kind, item.key, old.where, item.where, std::nullopt});
    }
    for (size_t i = 0; i < before.items.size(); ++i) {
        if (matched[i])
            continue;
        Item &item = before.items[i];
        const DiffKind kind = item.problem ? DiffKind::Damaged : DiffKind::Removed;
        add(DiffEntry {kind, item.key, item.where, std::nullopt, std::move(item.problem)});
    }
    for (Item &item : before.zeroKeys)
        add(DiffEntry {DiffKind::Damaged, item.key, item.where, std::nullopt, std::move(item.problem)});
    for (Item &item : after.zeroKeys)
        add(DiffEntry {DiffKind::Damaged, item.key, std::nullopt, item.where, std::move(item.problem)});

    // Key order, then the old slot before the new one for the zero keys that
    // share a key: the same order on every run.
    auto slotOf = [](const DiffEntry &e) {
        return std::pair(e.oldSlot ? 0 : 1, e.oldSlot ? e.oldSlot->slot : e.newSlot->slot);
    };
    std::sort(diff.entries.begin(), diff.entries.end(), [&slotOf](const DiffEntry &a, const DiffEntry &b) {
        if (a.key != b.key)
            return a.key < b.key;
        return slotOf(a) < slotOf(b);
    });
    return diff;
}

Result<GenerationDiff> diffGenerations(const Directory &dir, uint32_t oldGen, uint32_t newGen)
{
    auto manifest = ManifestFile::load(dir);
    if (!manifest)
        return std::unexpected(manifest.error());
    auto tableLenOf = [&manifest](uint32_t gen) -> std::optional<uint32_t> {
        if (*manifest && (*manifest)->active().gen == gen)
            return (*manifest)->active().tableLen;
        return std::nullopt;
    };
    return diffGenerations(dir, oldGen, tableLenOf(oldGen), newGen, tableLenOf(newGen));
}

} // namespace shardscope
