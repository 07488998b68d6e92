#include "checker.h"

#include "byte_source.h"
#include "directory.h"
#include "entry.h"
#include "format.h"
#include "manifest.h"
#include "store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <span>

namespace shardscope {

const char *severityName(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return "info";
    case Severity::Warning:
        return "warning";
    case Severity::Error:
        return "error";
    }
    return "error";
}

size_t CheckReport::count(Severity severity) const
{
    return size_t(std::count_if(
        diagnostics.begin(), diagnostics.end(), [&](const Diagnostic &d) { return d.severity == severity; }));
}

int CheckReport::exitStatus() const
{
    if (count(Severity::Error) > 0)
        return 2;
    if (count(Severity::Warning) > 0)
        return 1;
    return 0;
}

std::vector<const Diagnostic *> CheckReport::withCode(const std::string &code) const
{
    std::vector<const Diagnostic *> out;
    for (const Diagnostic &d : diagnostics) {
        if (d.code == code)
            out.push_back(&d);
    }
    return out;
}

namespace {

// One file of a shard directory as the checker found it. Only a Present file
// is ever read.
struct Probe {
    enum class State { Missing, Present, Symlink, NotRegular, Unreadable };
    State state = State::Missing;
    std::unique_ptr<ByteSource> bytes;
    // The descriptor behind `bytes` when it is a file: lets scans skip holes.
    UniqueFd fd;
    // `bytes` when it maps a file, to ask whether the file shrank under us.
    const MappedFile *mapped = nullptr;
    std::string error;
    std::optional<uint64_t> errorOffset;
    EntryType type = EntryType::Missing;

    [[nodiscard]] bool present() const { return state == State::Present; }
};

// What the checks see of a shard directory: its names and its files. One
// implementation reads a real directory, the other a map of byte images, so
// the fuzzer and tests drive the very same checks without a file system.
class ShardSource
{
public:
    virtual ~ShardSource() = default;
    [[nodiscard]] virtual Probe open(const std::string &name) const = 0;
    [[nodiscard]] virtual EntryType typeOf(const std::string &name) const = 0;
    [[nodiscard]] virtual const std::vector<std::string> &names() const = 0;
};

class DirectorySource final : public ShardSource
{
public:
    DirectorySource(const Directory &dir, std::vector<std::string> names) : m_dir(dir), m_names(std::move(names)) { }

    [[nodiscard]] Probe open(const std::string &name) const override
    {
        Probe p;
        auto st = m_dir.status(name);
        if (!st) {
            p.state = Probe::State::Unreadable;
            p.error = st.error().message;
            return p;
        }
        p.type = st->type;
        switch (st->type) {
        case EntryType::Missing:
            return p;
        case EntryType::Symlink:
            p.state = Probe::State::Symlink;
            return p;
        case EntryType::Directory:
        case EntryType::Other:
            p.state = Probe::State::NotRegular;
            return p;
        case EntryType::Regular:
            break;
        }
        auto fd = m_dir.openForReading(name);
        if (!fd) {
            // The name changed between the stat and the open.
            if (fd.error().kind == ErrorKind::Unsafe)
                p.state = Probe::State::Symlink;
            else if (fd.error().kind == ErrorKind::Invalid)
                p.state = Probe::State::NotRegular;
            else if (fd.error().kind == ErrorKind::NotFound)
                p.state = Probe::State::Missing;
            else {
                p.state = Probe::State::Unreadable;
                p.error = fd.error().message;
            }
            return p;
        }
        auto mapped = MappedFile::map(fd->get(), m_dir.filePath(name));
        if (!mapped) {
            p.state = Probe::State::Unreadable;
            p.error = mapped.error().message;
            return p;
        }
        p.state = Probe::State::Present;
        auto owned = std::make_unique<MappedFile>(std::move(*mapped));
        p.mapped = owned.get();
        p.bytes = std::move(owned);
        p.fd = std::move(*fd);
        return p;
    }

    [[nodiscard]] EntryType typeOf(const std::string &name) const override
    {
        auto st = m_dir.status(name);
        return st ? st->type : EntryType::Other;
    }

    [[nodiscard]] const std::vector<std::string> &names() const override { return m_names; }

private:
    const Directory &m_dir;
    std::vector<std::string> m_names;
};

// Bytes owned elsewhere (by a MemorySource), read without a copy.
class SpanByteSource final : public ByteSource
{
public:
    SpanByteSource(std::span<const uint8_t> bytes, std::string name) : m_bytes(bytes), m_name(std::move(name)) { }
    [[nodiscard]] uint64_t size() const override { return m_bytes.size(); }
    [[nodiscard]] const std::string &name() const override { return m_name; }

private:
    [[nodiscard]] const uint8_t *at(uint64_t offset) const override { return m_bytes.data() + offset; }
    std::span<const uint8_t> m_bytes;
    std::string m_name;
};

class MemorySource final : public ShardSource
{
public:
    explicit MemorySource(ShardFileImages files) : m_files(std::move(files))
    {
        for (const auto &[name, bytes] : m_files)
            m_names.push_back(name);
    }

    [[nodiscard]] Probe open(const std::string &name) const override
    {
        Probe p;
        auto it = m_files.find(name);
        if (it == m_files.end())
            return p;
        p.state = Probe::State::Present;
        p.type = EntryType::Regular;
        p.bytes = std::make_unique<SpanByteSource>(it->second, name);
        return p;
    }

    [[nodiscard]] EntryType typeOf(const std::string &name) const override
    {
        return m_files.contains(name) ? EntryType::Regular : EntryType::Missing;
    }

    [[nodiscard]] const std::vector<std::string> &names() const override { return m_names; }

private:
    ShardFileImages m_files;
    std::vector<std::string> m_names;
};

// Calls `fn(begin, end)` for the parts of [from, to) that may hold data. A
// file's holes read as zeros, so skipping them (SEEK_DATA) changes no result
// and spares the scan of a mostly empty 64 MiB pack.
void forEachDataExtent(const Probe &p, uint64_t from, uint64_t to, const std::function<void(uint64_t, uint64_t)> &fn)
{
    to = std::min(to, p.bytes->size());
    if (from >= to)
        return;
    if (!p.fd.valid()) {
        fn(from, to);
        return;
    }
    uint64_t at = from;
    while (at < to) {
        const off_t data = ::lseek(p.fd.get(), off_t(at), SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO) // no data past `at`
                return;
            fn(at, to); // SEEK_DATA unsupported: read it all
            return;
        }
        if (uint64_t(data) >= to)
            return;
        off_t hole = ::lseek(p.fd.get(), data, SEEK_HOLE);
        uint64_t end = hole < 0 ? to : std::min<uint64_t>(uint64_t(hole), to);
        if (end <= uint64_t(data)) // the file changed under us; be safe
            end = to;
        fn(uint64_t(data), end);
        at = end;
    }
}

std::string range(uint64_t begin, uint64_t end)
{
    return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

char copyName(int index)
{
    return index == 0 ? 'A' : 'B';
}

bool isBlankCopy(const ManifestCopies &m, int index)
{
    const Manifest &c = m.copies[size_t(index)];
    return c.nonce == 0 && c.gen == 0 && c.tableLen == 0 && m.reservedZero[size_t(index)];
}

// "%08x.slot" / "%08x.pack" (lower-case hex): the generation, else nullopt.
std::optional<uint32_t> generationOf(std::string_view name, std::string_view ext)
{
    if (name.size() != 9 + ext.size() || name[8] != '.' || name.substr(9) != ext)
        return std::nullopt;
    uint32_t gen = 0;
    for (size_t i = 0; i < 8; ++i) {
        const char c = name[i];
        uint32_t digit = 0;
        if (c >= '0' && c <= '9')
            digit = uint32_t(c - '0');
        else if (c >= 'a' && c <= 'f')
            digit = uint32_t(c - 'a' + 10);
        else
            return std::nullopt;
        gen = gen << 4 | digit;
    }
    return gen;
}

// Tables run to millions of slots, and on some machines every page of a new
// buffer costs a fault: so the sort keys are kept small. An in-bounds entry
// ends at or below 0xFFFFFFFF, so its range fits in u32s.
struct Range {
    uint32_t begin;
    uint32_t end;
    uint32_t slot;

    [[nodiscard]] uint64_t order() const { return uint64_t(begin) << 32 | slot; }
};

// A key's first word; equal first words are told apart from the table.
struct KeySlot {
    uint64_t word0;
    uint32_t slot;
};

class ShardChecker
{
public:
    ShardChecker(const ShardSource &source, std::string shardRel, std::vector<Diagnostic> &out)
        : m_source(source), m_shard(std::move(shardRel)), m_out(out)
    {
        m_prefix = m_shard.empty() ? std::string() : m_shard + "/";
    }

    void run(bool hintChildren)
    {
        if (checkManifest()) {
            checkGenerationFiles();
            checkOtherFiles();
        } else {
            checkTemporaryFiles();
        }
        if (hintChildren)
            hintAtChildren();
    }

private:
    void add(const char *code, Severity severity, const std::string &name, std::optional<uint64_t> offset,
        std::optional<uint32_t> slot, std::optional<uint32_t> otherSlot, std::string message)
    {
        Diagnostic d;
        d.code = code;
        d.severity = severity;
        d.file = name.empty() ? m_shard : m_prefix + name;
        d.offset = offset;
        d.slot = slot;
        d.otherSlot = otherSlot;
        d.message = std::move(message);
        d.shard = m_shard;
        m_out.push_back(std::move(d));
    }

    [[nodiscard]] std::string shown(const std::string &name) const { return m_prefix + name; }

    // Reports a file that exists but cannot be read; true when it can be.
    bool reportUnusable(const Probe &p, const std::string &name)
    {
        switch (p.state) {
        case Probe::State::Present:
        case Probe::State::Missing:
            return p.present();
        case Probe::State::Symlink:
            add("path-escapes-shard", Severity::Error, name, std::nullopt, std::nullopt, std::nullopt,
                shown(name) + " is a symlink; shard files are never followed through links, so it was not read");
            return false;
        case Probe::State::NotRegular:
            add("file-not-regular", Severity::Error, name, std::nullopt, std::nullopt, std::nullopt,
                shown(name) + (p.type == EntryType::Directory ? " is a directory" : " is a FIFO, socket or device")
                    + ", not a regular file; it was not read");
            return false;
        case Probe::State::Unreadable:
            add("io-error", Severity::Error, name, p.errorOffset, std::nullopt, std::nullopt,
                "cannot read " + shown(name) + ": " + p.error);
            return false;
        }
        return false;
    }

    // Another process truncated the file while it was checked: its mapping
    // then reads zeros past the new end, and what was said about those bytes
    // may be wrong.
    void reportIfShrank(const Probe &p, const std::string &name)
    {
        if (!p.mapped || !p.mapped->truncatedSinceMapped())
            return;
        std::optional<uint64_t> end;
        if (auto size = p.mapped->checkSize(p.fd.get()))
            end = size->fileSize;
        add("io-error", Severity::Error, name, end, std::nullopt, std::nullopt,
            shown(name)
                + " shrank while it was being checked; findings about its bytes past the new end are "
                  "unreliable, check again");
    }

    // False when the current generation cannot be known.
    bool checkManifest()
    {
        const std::string name = kManifestFileName;
        Probe p = m_source.open(name);
        if (p.state == Probe::State::Missing) {
            m_manifestMissing = true;
            return true;
        }
        if (!reportUnusable(p, name))
            return false;
        const uint64_t size = p.bytes->size();
        if (size < kManifestFileSize) {
            add("manifest-truncated", Severity::Error, name, size, std::nullopt, std::nullopt,
                shown(name) + " is " + std::to_string(size)
                    + " bytes; it must hold two 32-byte copies (64 bytes), so no generation is committed");
            return false;
        }
        auto head = p.bytes->read(0, kManifestFileSize);
        if (!head)
            return false; // cannot happen: the size was checked
        auto decoded = ManifestCopies::decode(*head, name);
        if (!decoded)
            return false;
        m_copies = *decoded;
        const ManifestCopies &m = *m_copies;
        if (size > kManifestFileSize) {
            add("manifest-oversized", Severity::Info, name, kManifestFileSize, std::nullopt, std::nullopt,
                shown(name) + " is " + std::to_string(size) + " bytes; the " + std::to_string(size - kManifestFileSize)
                    + " bytes past its two copies are ignored");
        }
        for (int i = 0; i < 2; ++i) {
            const Manifest &c = m.copies[size_t(i)];
            const uint64_t start = uint64_t(i) * kManifestCopySize;
            if (!m.reservedZero[size_t(i)]) {
                uint64_t first = start + 16;
                while (first < start + kManifestCopySize && (*head)[first] == 0)
                    ++first;
                add("manifest-reserved-nonzero", Severity::Warning, name, first, std::nullopt, std::nullopt,
                    "copy " + std::string(1, copyName(i)) + " (nonce " + std::to_string(c.nonce)
                        + "): reserved bytes 16..31 are not zero (first at byte " + std::to_string(first) + ")");
            }
            if (!isBlankCopy(m, i) && !m.placedByParity(i)) {
                add("manifest-copy-misplaced", Severity::Warning, name, start, std::nullopt, std::nullopt,
                    "copy " + std::string(1, copyName(i)) + " holds nonce " + std::to_string(c.nonce) + ", an "
                        + ((c.nonce & 1) ? "odd" : "even") + " nonce, which belongs in copy "
                        + copyName(int(c.nonce & 1)) + " (A even, B odd)");
            }
        }
        reportIfShrank(p, name);
        const Manifest &a = m.copies[0];
        const Manifest &b = m.copies[1];
        if (a.nonce == b.nonce && (a.gen != b.gen || a.tableLen != b.tableLen)) {
            add("manifest-nonce-tie", Severity::Warning, name, kManifestCopySize, std::nullopt, std::nullopt,
                "copies A and B both hold nonce " + std::to_string(a.nonce) + " but differ (gen "
                    + std::to_string(a.gen) + ", table_len " + std::to_string(a.tableLen) + " vs gen "
                    + std::to_string(b.gen) + ", table_len " + std::to_string(b.tableLen) + "); readers take copy A");
        }
        return true;
    }

    [[nodiscard]] Manifest active() const { return m_copies ? m_copies->active() : Manifest {}; }

    // Table and pack of a generation, opened: the checks of their sizes that
    // decide whether a reader can use them.
    struct GenerationFiles {
        Probe table;
        Probe pack;
        uint32_t capacity = 0;
        bool tableUsable = false; // size a positive multiple of 32, at most 4 GiB
    };

    [[nodiscard]] GenerationFiles openGeneration(uint32_t gen) const
    {
        GenerationFiles g;
        g.table = m_source.open(tableFileName(gen));
        g.pack = m_source.open(packFileName(gen));
        if (g.table.present()) {
            const uint64_t size = g.table.bytes->size();
            g.capacity = uint32_t(std::min<uint64_t>(size / kTableEntrySize, kMaxTableSlots));
            g.tableUsable = size > 0 && size % kTableEntrySize == 0 && size / kTableEntrySize <= kMaxTableSlots;
        }
        return g;
    }

    void checkGenerationFiles()
    {
        const Manifest cur = active();
        m_gen = cur.gen;
        const std::string tableName = tableFileName(cur.gen);
        const std::string packName = packFileName(cur.gen);
        GenerationFiles g = openGeneration(cur.gen);

        if (m_manifestMissing) {
            std::string message = "no MF: a fresh shard (generation 0, nothing committed)";
            std::vector<std::string> absent;
            if (g.table.state == Probe::State::Missing)
                absent.push_back(shown(tableName));
            if (g.pack.state == Probe::State::Missing)
                absent.push_back(shown(packName));
            if (absent.size() == 2)
                message += "; " + absent[0] + " and " + absent[1] + " do not exist yet";
            else if (absent.size() == 1)
                message += "; " + absent[0] + " does not exist yet";
            add("manifest-missing", Severity::Info, kManifestFileName, std::nullopt, std::nullopt, std::nullopt,
                message);
        }

        bool tableReadable = false;
        if (g.table.state == Probe::State::Missing) {
            // Without MF, Hydrate creates the files; no slot needs them yet.
            if (!m_manifestMissing) {
                add("table-missing", Severity::Error, tableName, std::nullopt, std::nullopt, std::nullopt,
                    "the manifest names generation " + std::to_string(cur.gen) + " but " + shown(tableName)
                        + " does not exist");
            }
        } else {
            tableReadable = reportUnusable(g.table, tableName);
        }
        bool packReadable = false;
        if (g.pack.state == Probe::State::Missing) {
            if (!m_manifestMissing) {
                add("pack-missing", Severity::Error, packName, std::nullopt, std::nullopt, std::nullopt,
                    "the manifest names generation " + std::to_string(cur.gen) + " but " + shown(packName)
                        + " does not exist");
            }
        } else {
            packReadable = reportUnusable(g.pack, packName);
        }

        if (tableReadable)
            checkTableSize(g.table, tableName);
        if (packReadable && g.pack.bytes->size() > kTombstoneOffset) {
            add("pack-size-invalid", Severity::Warning, packName, uint64_t(kTombstoneOffset), std::nullopt,
                std::nullopt,
                shown(packName) + " is " + std::to_string(g.pack.bytes->size()) + " bytes; bytes from "
                    + std::to_string(kTombstoneOffset) + " on lie beyond any u32 entry and are never read");
        }
        if (m_copies && !(g.table.present() && g.pack.present() && g.tableUsable))
            lookForPreviousManifest();

        // An empty table has been reported as such; measuring table_len or the
        // pack's tail against it would only repeat that.
        const bool tableHasSlots = tableReadable && g.capacity > 0;
        if (m_copies && tableHasSlots && cur.tableLen > g.capacity) {
            const int index = m_copies->activeIndex();
            add("table-len-exceeds-capacity", Severity::Error, kManifestFileName,
                uint64_t(index) * kManifestCopySize + 12, std::nullopt, std::nullopt,
                "table_len " + std::to_string(cur.tableLen) + " (copy " + copyName(index) + ", nonce "
                    + std::to_string(cur.nonce) + ") exceeds the " + std::to_string(g.capacity) + " slots of "
                    + shown(tableName) + "; readers use " + std::to_string(g.capacity));
        }
        if (tableHasSlots)
            checkEntries(g, cur.tableLen, packReadable);
        reportIfShrank(g.table, tableName);
        reportIfShrank(g.pack, packName);
    }

    void checkTableSize(const Probe &table, const std::string &name)
    {
        const uint64_t size = table.bytes->size();
        if (size == 0) {
            add("table-size-invalid", Severity::Error, name, 0, std::nullopt, std::nullopt,
                shown(name) + " is empty; a table holds at least one 32-byte slot");
        } else if (size % kTableEntrySize != 0) {
            add("table-size-invalid", Severity::Error, name, size - size % kTableEntrySize, std::nullopt, std::nullopt,
                shown(name) + " is " + std::to_string(size)
                    + " bytes, not a multiple of 32; the last slot is cut short");
        } else if (size / kTableEntrySize > kMaxTableSlots) {
            add("table-size-invalid", Severity::Error, name, uint64_t(kMaxTableSlots) * kTableEntrySize, std::nullopt,
                std::nullopt,
                shown(name) + " is " + std::to_string(size) + " bytes; slots past " + std::to_string(kMaxTableSlots)
                    + " lie beyond a u32 table size");
        }
    }

    // The active copy names a generation a reader cannot open; say whether
    // the other copy names one it can.
    void lookForPreviousManifest()
    {
        const ManifestCopies &m = *m_copies;
        const int other = 1 - m.activeIndex();
        if (isBlankCopy(m, other))
            return;
        const Manifest &prev = m.copies[size_t(other)];
        if (prev.gen == active().gen)
            return;
        GenerationFiles g = openGeneration(prev.gen);
        if (!g.table.present() || !g.pack.present() || !g.tableUsable || prev.tableLen > g.capacity)
            return;
        add("previous-manifest-usable", Severity::Info, kManifestFileName, uint64_t(other) * kManifestCopySize,
            std::nullopt, std::nullopt,
            "copy " + std::string(1, copyName(other)) + " (nonce " + std::to_string(prev.nonce) + ") names generation "
                + std::to_string(prev.gen) + ", whose table and pack are present (table_len "
                + std::to_string(prev.tableLen) + " of " + std::to_string(g.capacity)
                + " slots); repair --previous-manifest can make it active again");
    }

    void checkEntries(const GenerationFiles &g, uint32_t tableLen, bool packReadable)
    {
        const std::string tableName = tableFileName(m_gen);
        const std::string packName = packFileName(m_gen);
        const uint32_t capacity = g.capacity;
        const uint32_t committed = std::min(tableLen, capacity);
        auto whole = g.table.bytes->read(0, uint64_t(capacity) * kTableEntrySize);
        if (!whole)
            return;
        const uint8_t *base = whole->data();
        const std::optional<uint64_t> packSize
            = packReadable ? std::optional<uint64_t>(g.pack.bytes->size()) : std::nullopt;
        // An entry's bytes are readable when they lie inside the pack and
        // offset+len fits a u32, as the reference computes it.
        auto inBounds
            = [&](const Entry &e) { return packSize && e.end() <= *packSize && e.end() <= uint64_t(kTombstoneOffset); };

        std::vector<Range> ranges;
        std::vector<KeySlot> keys;
        ranges.reserve(committed);
        keys.reserve(committed);
        uint64_t lastEnd = 0;
        for (uint32_t i = 0; i < committed; ++i) {
            const uint64_t at = uint64_t(i) * kTableEntrySize;
            const Entry e = Entry::decode(base + at);
            if (e.isTombstone()) {
                if (!e.key.isZero() || e.len != 0) {
                    std::string what;
                    if (!e.key.isZero())
                        what = "a non-zero key";
                    if (e.len != 0)
                        what += (what.empty() ? "len " : " and len ") + std::to_string(e.len);
                    add("tombstone-dirty", Severity::Warning, tableName, e.key.isZero() ? at + 28 : at, i, std::nullopt,
                        "slot " + std::to_string(i) + " is a tombstone with " + what
                            + " (the writer zeroes key and len)");
                }
                continue;
            }
            if (e.key.isZero()) {
                add("zero-key", Severity::Error, tableName, at, i, std::nullopt,
                    "slot " + std::to_string(i) + " is live with the all-zero key, which no reader can look up");
            } else {
                keys.push_back({e.key.word(0), i});
            }
            if (!packSize)
                continue;
            if (!inBounds(e)) {
                std::string why = e.end() > uint64_t(kTombstoneOffset)
                    ? "offset " + std::to_string(e.offset) + " + len " + std::to_string(e.len)
                        + " overflows a u32 offset"
                    : "it reaches past the end of " + shown(packName) + " (" + std::to_string(*packSize) + " bytes)";
                add("entry-out-of-bounds", Severity::Error, tableName, at + 24, i, std::nullopt,
                    "slot " + std::to_string(i) + " " + range(e.offset, e.end()) + ": " + why);
                continue;
            }
            lastEnd = std::max(lastEnd, e.end());
            if (e.len > 0)
                ranges.push_back({e.offset, uint32_t(e.end()), i});
        }

        findOverlaps(ranges, packName);
        findDuplicates(keys, base, tableName);

        uint64_t tailStart = lastEnd;
        if (tableLen < capacity) {
            // Merged committed ranges, for the uncommitted slots' test.
            std::vector<std::pair<uint32_t, uint32_t>> covered;
            for (const Range &r : ranges) {
                if (!covered.empty() && r.begin <= covered.back().second)
                    covered.back().second = std::max(covered.back().second, r.end);
                else
                    covered.emplace_back(r.begin, r.end);
            }
            auto overlapsCommitted = [&](uint64_t b, uint64_t e) {
                if (e <= b)
                    return false;
                // The last merged range starting before e.
                auto it = std::lower_bound(covered.begin(), covered.end(), e,
                    [](const std::pair<uint32_t, uint32_t> &c, uint64_t v) { return c.first < v; });
                if (it == covered.begin())
                    return false;
                return std::prev(it)->second > b;
            };
            uint64_t count = 0, intact = 0, outside = 0, clobbered = 0, tombstones = 0;
            uint32_t first = 0, last = 0;
            forEachDataExtent(g.table, uint64_t(tableLen) * kTableEntrySize, uint64_t(capacity) * kTableEntrySize,
                [&](uint64_t from, uint64_t to) {
                    const uint32_t s0 = uint32_t(from / kTableEntrySize);
                    const uint32_t s1
                        = uint32_t(std::min<uint64_t>((to + kTableEntrySize - 1) / kTableEntrySize, capacity));
                    for (uint32_t i = std::max(s0, tableLen); i < s1; ++i) {
                        const Entry e = Entry::decode(base + uint64_t(i) * kTableEntrySize);
                        if (e.isBlank())
                            continue;
                        if (count == 0)
                            first = i;
                        last = i;
                        ++count;
                        if (e.isTombstone()) {
                            ++tombstones;
                        } else if (!packSize) {
                        } else if (!inBounds(e)) {
                            ++outside;
                        } else if (overlapsCommitted(e.offset, e.end())) {
                            ++clobbered;
                        } else {
                            ++intact;
                            tailStart = std::max(tailStart, e.end());
                        }
                    }
                });
            if (count > 0) {
                std::string message = std::to_string(count) + " non-blank slot" + (count == 1 ? "" : "s")
                    + " at or past table_len " + std::to_string(tableLen) + " (slots " + std::to_string(first) + ".."
                    + std::to_string(last) + ") " + (count == 1 ? "was" : "were") + " written but never committed";
                if (packSize) {
                    message += "; " + std::to_string(intact) + " with intact pack ranges, " + std::to_string(outside)
                        + " reaching past the pack, " + std::to_string(clobbered) + " overlapping committed entries";
                    if (tombstones > 0)
                        message += ", " + std::to_string(tombstones) + " tombstones";
                }
                add("uncommitted-slots", Severity::Warning, tableName, uint64_t(first) * kTableEntrySize, first,
                    std::nullopt, message);
            }
        }

        if (packSize)
            checkPackTail(g.pack, packName, tailStart);
    }

    void findOverlaps(std::vector<Range> &ranges, const std::string &packName)
    {
        std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) { return a.order() < b.order(); });
        // Sweep in order of start, keeping the entry that reaches furthest:
        // an entry starting before that reach shares bytes with it.
        const Range *reach = nullptr;
        for (const Range &r : ranges) {
            if (reach && r.begin < reach->end) {
                add("entries-overlap", Severity::Error, packName, r.begin, r.slot, reach->slot,
                    "slot " + std::to_string(r.slot) + " " + range(r.begin, r.end) + " overlaps slot "
                        + std::to_string(reach->slot) + " " + range(reach->begin, reach->end) + " in "
                        + shown(packName));
            }
            if (!reach || r.end > reach->end)
                reach = &r;
        }
    }

    void findDuplicates(std::vector<KeySlot> &keys, const uint8_t *table, const std::string &tableName)
    {
        std::sort(keys.begin(), keys.end(), [](const KeySlot &a, const KeySlot &b) {
            return a.word0 != b.word0 ? a.word0 < b.word0 : a.slot < b.slot;
        });
        std::vector<std::pair<Key, uint32_t>> run;
        for (size_t begin = 0, end = 0; begin < keys.size(); begin = end) {
            end = begin + 1;
            while (end < keys.size() && keys[end].word0 == keys[begin].word0)
                ++end;
            if (end - begin < 2)
                continue;
            run.clear();
            for (size_t i = begin; i < end; ++i)
                run.emplace_back(Key::fromBytes(table + uint64_t(keys[i].slot) * kTableEntrySize), keys[i].slot);
            std::sort(run.begin(), run.end());
            for (size_t i = 1, firstOfRun = 0; i < run.size(); ++i) {
                if (run[i].first != run[firstOfRun].first) {
                    firstOfRun = i;
                    continue;
                }
                const uint32_t seen = run[firstOfRun].second;
                const uint32_t slot = run[i].second;
                add("duplicate-key", Severity::Warning, tableName, uint64_t(slot) * kTableEntrySize, slot, seen,
                    "slot " + std::to_string(slot) + " has the same key as slot " + std::to_string(seen) + " ("
                        + run[i].first.toHex() + "); readers see only slot " + std::to_string(seen));
            }
        }
    }

    void checkPackTail(const Probe &pack, const std::string &packName, uint64_t tailStart)
    {
        uint64_t count = 0;
        uint64_t first = 0, last = 0;
        forEachDataExtent(pack, tailStart, pack.bytes->size(), [&](uint64_t from, uint64_t to) {
            auto bytes = pack.bytes->read(from, to - from);
            if (!bytes)
                return;
            const uint8_t *p = bytes->data();
            const size_t n = bytes->size();
            size_t i = 0;
            while (i < n) {
                // Zero runs are the common case: skip them eight bytes at a time.
                if (i + 8 <= n) {
                    uint64_t word;
                    std::memcpy(&word, p + i, 8);
                    if (word == 0) {
                        i += 8;
                        continue;
                    }
                }
                if (p[i] != 0) {
                    if (count == 0)
                        first = from + i;
                    last = from + i;
                    ++count;
                }
                ++i;
            }
        });
        if (count == 0)
            return;
        add("pack-tail-garbage", Severity::Info, packName, first, std::nullopt, std::nullopt,
            std::to_string(count) + " non-zero byte" + (count == 1 ? "" : "s") + " in " + range(first, last + 1)
                + " lie past the end of every entry (" + std::to_string(tailStart) + ") in " + shown(packName));
    }

    void checkOtherFiles()
    {
        for (const std::string &name : m_source.names()) {
            auto gen = generationOf(name, "slot");
            if (!gen)
                gen = generationOf(name, "pack");
            if (gen && *gen != m_gen) {
                add("stale-generation", Severity::Info, name, std::nullopt, std::nullopt, std::nullopt,
                    shown(name) + " belongs to generation " + std::to_string(*gen) + ", not the current generation "
                        + std::to_string(m_gen) + "; nothing reads it");
            }
        }
        checkTemporaryFiles();
    }

    void checkTemporaryFiles()
    {
        for (const std::string &name : m_source.names()) {
            const std::string_view n(name);
            if (!n.ends_with(".tmp"))
                continue;
            const std::string_view stem = n.substr(0, n.size() - 4);
            if (generationOf(stem, "slot") || generationOf(stem, "pack")) {
                add("temporary-file", Severity::Info, name, std::nullopt, std::nullopt, std::nullopt,
                    shown(name) + " was left by a compaction that stopped before its commit; nothing reads it");
            }
        }
    }

    void hintAtChildren()
    {
        size_t children = 0;
        for (const std::string &name : m_source.names()) {
            if (isChildShardName(name) && m_source.typeOf(name) == EntryType::Directory)
                ++children;
        }
        if (children > 0) {
            add("child-shards-not-checked", Severity::Info, "", std::nullopt, std::nullopt, std::nullopt,
                std::to_string(children) + " child shard director" + (children == 1 ? "y lies" : "ies lie")
                    + " below this shard; check it as a store to include them");
        }
    }

    const ShardSource &m_source;
    std::string m_shard;
    std::string m_prefix;
    std::vector<Diagnostic> &m_out;
    std::optional<ManifestCopies> m_copies;
    bool m_manifestMissing = false;
    uint32_t m_gen = 0;
};

void addDirectoryDiagnostic(std::vector<Diagnostic> &out, const std::string &shard, const char *code, Severity severity,
    const std::string &file, std::string message)
{
    Diagnostic d;
    d.code = code;
    d.severity = severity;
    d.file = file;
    d.message = std::move(message);
    d.shard = shard;
    out.push_back(std::move(d));
}

std::string joinRel(const std::string &rel, const std::string &name)
{
    return rel.empty() ? name : rel + "/" + name;
}

void checkStoreShard(const Directory &dir, const std::string &rel, int depth, std::vector<Diagnostic> &out)
{
    auto names = dir.list();
    if (!names) {
        addDirectoryDiagnostic(out, rel, "io-error", Severity::Error, rel,
            "cannot list " + (rel.empty() ? std::string("the store's root") : rel) + ": " + names.error().message);
        return;
    }
    DirectorySource source(dir, *names);
    ShardChecker(source, rel, out).run(false);
    for (const std::string &name : *names) {
        const bool childName = isChildShardName(name);
        const EntryType type = source.typeOf(name);
        const std::string childRel = joinRel(rel, name);
        if (type == EntryType::Directory) {
            if (!childName) {
                addDirectoryDiagnostic(out, rel, "invalid-child-name", Severity::Warning, childRel,
                    "sub-directory " + childRel
                        + " is not named by two lower-case hex digits, so it is no child shard; the store never reads "
                          "it");
                continue;
            }
            if (depth + 1 > Store::kMaxDepth) {
                addDirectoryDiagnostic(out, rel, "child-too-deep", Severity::Warning, childRel,
                    childRel + " lies at depth " + std::to_string(depth + 1) + ", below the deepest level ("
                        + std::to_string(Store::kMaxDepth) + ") a store looks at; it was not checked");
                continue;
            }
            auto child = dir.openChild(name);
            if (!child) {
                if (child.error().kind == ErrorKind::Unsafe) {
                    addDirectoryDiagnostic(out, rel, "path-escapes-shard", Severity::Error, childRel,
                        childRel + " is a symlink; child shards are never followed through links");
                } else {
                    addDirectoryDiagnostic(out, rel, "io-error", Severity::Error, childRel,
                        "cannot open " + childRel + ": " + child.error().message);
                }
                continue;
            }
            checkStoreShard(*child, childRel, depth + 1, out);
        } else if (childName && type == EntryType::Symlink) {
            addDirectoryDiagnostic(out, rel, "path-escapes-shard", Severity::Error, childRel,
                childRel + " is a symlink; child shards are never followed through links");
        } else if (childName && type != EntryType::Missing) {
            addDirectoryDiagnostic(out, rel, "child-not-directory", Severity::Warning, childRel,
                childRel + " has a child shard's name but is not a directory; a put that needs this child fails");
        }
    }
}

} // namespace

Result<CheckReport> checkShard(const std::string &path)
{
    auto dir = Directory::open(path);
    if (!dir)
        return std::unexpected(dir.error());
    auto names = dir->list();
    if (!names)
        return std::unexpected(names.error());
    CheckReport report;
    report.path = path;
    DirectorySource source(*dir, std::move(*names));
    ShardChecker(source, "", report.diagnostics).run(true);
    return report;
}

Result<CheckReport> checkStore(const std::string &path)
{
    auto dir = Directory::open(path);
    if (!dir)
        return std::unexpected(dir.error());
    // The root must at least be listable; deeper failures are diagnostics.
    if (auto names = dir->list(); !names)
        return std::unexpected(names.error());
    CheckReport report;
    report.path = path;
    checkStoreShard(*dir, "", 0, report.diagnostics);
    return report;
}

Result<CheckReport> checkShardFiles(ShardFileImages files, std::string path)
{
    CheckReport report;
    report.path = std::move(path);
    MemorySource source(std::move(files));
    ShardChecker(source, "", report.diagnostics).run(false);
    return report;
}

Result<CheckReport> checkShardBytes(std::optional<std::vector<uint8_t>> manifest,
    std::optional<std::vector<uint8_t>> table, std::optional<std::vector<uint8_t>> pack)
{
    uint32_t gen = 0;
    if (manifest && manifest->size() >= kManifestFileSize) {
        if (auto m = ManifestCopies::decode(*manifest, kManifestFileName))
            gen = m->active().gen;
    }
    ShardFileImages files;
    if (manifest)
        files[kManifestFileName] = std::move(*manifest);
    if (table)
        files[tableFileName(gen)] = std::move(*table);
    if (pack)
        files[packFileName(gen)] = std::move(*pack);
    return checkShardFiles(std::move(files));
}

} // namespace shardscope
