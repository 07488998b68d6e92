// shardscope-bench: figures for the storage library on a full shard of the
// default geometry (32768 slots, 64 MiB pack), next to the targets of the
// project and the reference Go package's figures, so a regression or a
// platform that misses a target shows at a glance.
//
// Everything it writes lives in a fresh directory made with mkdtemp, removed
// at the end unless --keep is given.

#include "error.h"
#include "format.h"
#include "key.h"
#include "shard.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <format>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace {

using namespace shardscope;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kMeanEntryLen = 1900;
constexpr uint32_t kEntryLenSpread = 256; // lengths are uniform in mean +- spread
constexpr size_t kSourceBytes = size_t(8) << 20;
constexpr size_t kMissKeys = 65536;
constexpr int kOpenRuns = 9;
constexpr size_t kPlainCopyChunk = size_t(1) << 20;

// Keeps the results of the measured loops alive: a store to a volatile cannot
// be dropped, so neither can the work that computed the value.
volatile uint64_t g_sink = 0;

struct BenchFailure {
    std::string message;
};

[[noreturn]] void failWith(std::string message)
{
    throw BenchFailure {std::move(message)};
}

template<typename T> T must(Result<T> r, std::string_view what)
{
    if (!r)
        failWith(std::format("{}: {}", what, r.error().describe()));
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// splitmix64: the same stream on every platform and standard library, which
// std::uniform_int_distribution does not promise.
class Prng
{
public:
    explicit Prng(uint64_t seed) : m_state(seed) { }
    uint64_t next()
    {
        uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // The modulo bias is far below anything a timing could show.
    uint64_t below(uint64_t n) { return next() % n; }
    Key key()
    {
        for (;;) {
            Key k({next(), next(), next()});
            if (!k.isZero())
                return k;
        }
    }

private:
    uint64_t m_state;
};

// What the fills append: made before any clock starts, so that the append
// figure is the shard's cost and not the generator's.
struct Workload {
    std::vector<Key> keys;
    std::vector<uint32_t> lengths;
    std::vector<uint32_t> sourceOffsets;
    std::vector<uint8_t> source;

    explicit Workload(uint32_t count)
    {
        Prng rng(0x5EED'0001);
        // Data drawn from a buffer larger than the caches, so appends copy
        // bytes that are not all hot.
        source.resize(kSourceBytes + kMeanEntryLen + kEntryLenSpread);
        for (size_t i = 0; i + 8 <= source.size(); i += 8) {
            const uint64_t v = rng.next();
            std::memcpy(source.data() + i, &v, 8);
        }
        keys.reserve(count);
        lengths.reserve(count);
        sourceOffsets.reserve(count);
        for (uint32_t i = 0; i < count; ++i) {
            keys.push_back(rng.key());
            lengths.push_back(uint32_t(kMeanEntryLen - kEntryLenSpread + rng.below(2 * kEntryLenSpread + 1)));
            sourceOffsets.push_back(uint32_t(rng.below(kSourceBytes)));
        }
    }

    [[nodiscard]] std::span<const uint8_t> data(size_t i) const
    {
        return std::span<const uint8_t>(source).subspan(sourceOffsets[i], lengths[i]);
    }
};

// The mkdtemp directory everything goes into; removed unless kept, also when
// a step fails.
class WorkDir
{
public:
    WorkDir(const std::string &parent, bool keep) : m_keep(keep)
    {
        std::string templ = parent + "/shardscope-bench-XXXXXX";
        if (!::mkdtemp(templ.data()))
            failWith(std::format("mkdtemp in {}: {}", parent, std::strerror(errno)));
        m_path = templ;
    }
    ~WorkDir()
    {
        if (m_keep) {
            std::fprintf(stderr, "shardscope-bench: kept %s\n", m_path.c_str());
            return;
        }
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
        if (ec)
            std::fprintf(stderr, "shardscope-bench: could not remove %s: %s\n", m_path.c_str(), ec.message().c_str());
    }
    WorkDir(const WorkDir &) = delete;
    WorkDir &operator=(const WorkDir &) = delete;

    [[nodiscard]] const std::string &path() const { return m_path; }
    [[nodiscard]] std::string sub(std::string_view name) const { return m_path + "/" + std::string(name); }

private:
    std::string m_path;
    bool m_keep;
};

// fsync costs everything on a disk and nothing on tmpfs, so the figures only
// mean something next to the filesystem they were taken on.
std::string filesystemName(const std::string &path)
{
    struct statfs s {
    };
    if (::statfs(path.c_str(), &s) != 0)
        return "unknown";
    switch (uint64_t(s.f_type)) {
    case 0xEF53:
        return "ext4";
    case 0x01021994:
        return "tmpfs";
    case 0x58465342:
        return "xfs";
    case 0x9123683E:
        return "btrfs";
    case 0x794C7630:
        return "overlayfs";
    case 0xF2F52010:
        return "f2fs";
    case 0x2FC12FC1:
        return "zfs";
    case 0x6969:
        return "nfs";
    default:
        return std::format("0x{:x}", uint64_t(s.f_type));
    }
}

struct FillRun {
    double hydrateMs = 0;
    double appendSeconds = 0;
    double flushMs = 0;
    uint32_t entries = 0;
    uint64_t bytes = 0;
};

// Appends the workload into a new shard until it is full, then commits.
FillRun fillShard(const std::string &path, const Workload &work)
{
    std::filesystem::create_directory(path);
    FillRun run;
    auto t = Clock::now();
    Shard shard = must(Shard::hydrate(path), "hydrate " + path);
    run.hydrateMs = secondsSince(t) * 1e3;

    t = Clock::now();
    for (size_t i = 0; i < work.keys.size(); ++i) {
        const auto data = work.data(i);
        auto appended = shard.append(work.keys[i], data);
        if (!appended) {
            if (appended.error().kind == ErrorKind::Full)
                break;
            failWith("append: " + appended.error().describe());
        }
        if (!*appended)
            failWith(std::format("append: key {} was already present", work.keys[i].toHex()));
        ++run.entries;
        run.bytes += data.size();
    }
    run.appendSeconds = secondsSince(t);

    t = Clock::now();
    must(shard.flush(), "flush " + path);
    run.flushMs = secondsSince(t) * 1e3;
    return run;
}

struct OpenFigures {
    double readOnlyMs = 0;
    double readOnlyFirstGetMs = 0;
    double forWritingMs = 0;
};

OpenFigures measureOpen(const std::string &path, const Key &someKey)
{
    // One untimed open first, so the runs all see the files' pages cached.
    {
        auto warm = must(Shard::openForWriting(path), "open " + path);
    }
    std::vector<double> ro, roGet, rw;
    for (int i = 0; i < kOpenRuns; ++i) {
        {
            const auto t = Clock::now();
            auto shard = must(Shard::openReadOnly(path), "open read-only " + path);
            ro.push_back(secondsSince(t) * 1e3);
        }
        {
            // A read-only shard builds its lookup index on the first lookup;
            // this is what a viewer pays before it can answer anything.
            const auto t = Clock::now();
            auto shard = must(Shard::openReadOnly(path), "open read-only " + path);
            g_sink = shard.exists(someKey);
            roGet.push_back(secondsSince(t) * 1e3);
        }
        {
            const auto t = Clock::now();
            auto shard = must(Shard::openForWriting(path), "open for writing " + path);
            rw.push_back(secondsSince(t) * 1e3);
        }
    }
    return {median(ro), median(roGet), median(rw)};
}

struct LookupFigures {
    double getHitNs = 0;
    double getMissNs = 0;
    double existsHitNs = 0;
    double existsMissNs = 0;
};

LookupFigures measureLookups(const std::string &path, const Workload &work, uint32_t entries, size_t lookups)
{
    const Shard shard = must(Shard::openReadOnly(path), "open read-only " + path);
    const std::span<const Key> present(work.keys.data(), entries);

    Prng rng(0x5EED'0002);
    std::vector<Key> missing;
    {
        const std::unordered_set<Key, KeyHash> known(present.begin(), present.end());
        while (missing.size() < kMissKeys) {
            const Key k = rng.key();
            if (!known.contains(k))
                missing.push_back(k);
        }
    }
    std::vector<uint32_t> hitOrder(lookups), missOrder(lookups);
    for (auto &i : hitOrder)
        i = uint32_t(rng.below(entries));
    for (auto &i : missOrder)
        i = uint32_t(rng.below(missing.size()));

    // The data is mapped: fault every page in first, so the figures are those
    // of a warm shard rather than of the page-fault handler.
    uint64_t sum = 0;
    for (const Key &k : present) {
        auto got = must(shard.get(k), "get");
        if (!got)
            failWith("get: a key that was appended is missing: " + k.toHex());
        for (size_t off = 0; off < got->size(); off += 512)
            sum += (*got)[off];
    }
    g_sink = sum;

    auto perOp = [&](auto &&body) {
        const auto t = Clock::now();
        const uint64_t s = body();
        const double ns = secondsSince(t) * 1e9 / double(lookups);
        g_sink = s;
        return ns;
    };
    LookupFigures f;
    f.getHitNs = perOp([&] {
        uint64_t s = 0;
        for (const uint32_t i : hitOrder) {
            auto got = shard.get(present[i]);
            if (!got || !*got)
                failWith("get: a present key was not found");
            const auto bytes = **got;
            s += bytes.size() + (bytes.empty() ? 0 : bytes.front() + bytes.back());
        }
        return s;
    });
    f.getMissNs = perOp([&] {
        uint64_t s = 0;
        for (const uint32_t i : missOrder) {
            auto got = shard.get(missing[i]);
            if (!got || *got)
                failWith("get: a missing key was found");
            s += got->has_value();
        }
        return s;
    });
    f.existsHitNs = perOp([&] {
        uint64_t s = 0;
        for (const uint32_t i : hitOrder)
            s += shard.exists(present[i]);
        if (s != lookups)
            failWith("exists: a present key was not found");
        return s;
    });
    f.existsMissNs = perOp([&] {
        uint64_t s = 0;
        for (const uint32_t i : missOrder)
            s += shard.exists(missing[i]);
        if (s != 0)
            failWith("exists: a missing key was found");
        return s;
    });
    return f;
}

struct CompactionRun {
    uint64_t bytes = 0;
    uint32_t deleted = 0;
    double compactSeconds = 0;
    double plainSeconds = 0;
    double compactCpuSeconds = 0; // every thread of the process, user + system
    double plainCpuSeconds = 0;
};

// CPU time of the whole process so far. On a busy machine the wall-clock
// figures mostly measure the scheduler; this one much less so.
double processCpuSeconds()
{
    rusage u {};
    ::getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// What compaction is measured against: the same number of bytes through
// read and write in 1 MiB chunks, then fsync, as compaction syncs its files.
double plainCopy(const std::string &from, const std::string &to, uint64_t bytes)
{
    const auto t = Clock::now();
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0)
        failWith(std::format("open {}: {}", from, std::strerror(errno)));
    const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        ::close(in);
        failWith(std::format("create {}: {}", to, std::strerror(errno)));
    }
    std::vector<uint8_t> chunk(kPlainCopyChunk);
    std::string error;
    for (uint64_t left = bytes; left > 0 && error.empty();) {
        const ssize_t n = ::read(in, chunk.data(), size_t(std::min<uint64_t>(left, chunk.size())));
        if (n <= 0) {
            error = n == 0 ? "unexpected end of " + from : std::format("read {}: {}", from, std::strerror(errno));
            break;
        }
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::write(out, chunk.data() + done, size_t(n - done));
            if (w < 0) {
                error = std::format("write {}: {}", to, std::strerror(errno));
                break;
            }
            done += w;
        }
        left -= uint64_t(n);
    }
    if (error.empty() && ::fsync(out) != 0)
        error = std::format("fsync {}: {}", to, std::strerror(errno));
    ::close(out);
    ::close(in);
    const double seconds = secondsSince(t);
    ::unlink(to.c_str());
    if (!error.empty())
        failWith(error);
    return seconds;
}

CompactionRun measureCompaction(
    const std::string &path, const std::string &scratchFile, const Workload &work, uint32_t entries, bool plainFirst)
{
    CompactionRun run;
    Shard shard = must(Shard::openForWriting(path), "open for writing " + path);
    Prng rng(0x5EED'0003);
    for (uint32_t i = 0; i < entries; ++i) {
        if (rng.below(10) != 0)
            continue;
        if (!must(shard.remove(work.keys[i]), "remove"))
            failWith("remove: a present key was not found");
        ++run.deleted;
    }
    must(shard.flush(), "flush " + path);

    const uint32_t oldGen = shard.generation();
    const std::string oldPack = path + "/" + packFileName(oldGen);
    uint64_t liveBytes = 0;
    for (uint32_t i = 0; i < shard.slotCount(); ++i) {
        const Entry e = shard.entry(i);
        if (!e.isTombstone())
            liveBytes += e.len;
    }
    // Alternating which goes first keeps whatever the first one leaves behind
    // (dirty pages, a busy disk) from always landing on the same side.
    auto timedPlainCopy = [&]() {
        const double cpu = processCpuSeconds();
        run.plainSeconds = plainCopy(oldPack, scratchFile, liveBytes);
        run.plainCpuSeconds = processCpuSeconds() - cpu;
    };
    if (plainFirst)
        timedPlainCopy();
    const double cpu = processCpuSeconds();
    const auto t = Clock::now();
    const CompactionResult result = must(shard.compact(), "compact " + path);
    run.compactSeconds = secondsSince(t);
    run.compactCpuSeconds = processCpuSeconds() - cpu;
    if (!plainFirst)
        timedPlainCopy();
    if (result.bytesCopied != liveBytes)
        failWith(std::format("compact copied {} bytes, expected {}", result.bytesCopied, liveBytes));
    run.bytes = result.bytesCopied;
    must(shard.removeGeneration(oldGen), "remove generation");
    return run;
}

struct Options {
    std::optional<std::string> dir;
    bool keep = false;
    bool json = false;
    int runs = 3;
    size_t lookups = 1'000'000;
};

void usage(FILE *to)
{
    std::fputs("usage: shardscope-bench [--dir D] [--keep] [--json] [--runs N] [--lookups N]\n"
               "\n"
               "Fills shards of 32768 slots and a 64 MiB pack with ~1900-byte entries and prints\n"
               "hydrate, append, flush, open, lookup and compaction figures next to their targets.\n"
               "\n"
               "  --dir D       make the work directory inside D (default: $TMPDIR or /tmp)\n"
               "  --keep        keep the work directory (its shards as compaction left them)\n"
               "  --json        also print the figures as JSON after the table\n"
               "  --runs N      full shards to fill and compact (default 3; medians are printed)\n"
               "  --lookups N   lookups per lookup figure (default 1000000)\n",
        to);
}

std::optional<Options> parseOptions(int argc, char **argv)
{
    Options o;
    auto number = [&](int &i, std::string_view name) -> std::optional<long long> {
        if (i + 1 >= argc) {
            std::fprintf(stderr, "shardscope-bench: %s needs a value\n", std::string(name).c_str());
            return std::nullopt;
        }
        char *end = nullptr;
        const long long v = std::strtoll(argv[++i], &end, 10);
        if (*end != '\0' || v < 1) {
            std::fprintf(stderr, "shardscope-bench: %s needs a positive number\n", std::string(name).c_str());
            return std::nullopt;
        }
        return v;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--dir" && i + 1 < argc) {
            o.dir = argv[++i];
        } else if (a == "--keep") {
            o.keep = true;
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--runs") {
            const auto v = number(i, a);
            if (!v)
                return std::nullopt;
            o.runs = int(std::min<long long>(*v, 100));
        } else if (a == "--lookups") {
            const auto v = number(i, a);
            if (!v)
                return std::nullopt;
            o.lookups = size_t(*v);
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            std::exit(0);
        } else {
            std::fprintf(stderr, "shardscope-bench: unknown argument: %s\n", argv[i]);
            usage(stderr);
            return std::nullopt;
        }
    }
    return o;
}

// One line of the table, and one member of the JSON object.
struct Figure {
    std::string name;
    std::string jsonKey;
    double value = 0;
    std::string unit;
    std::string target; // empty when the figure has none
    std::optional<bool> met; // nullopt when it has none
    std::string reference; // the Go package's figure, for context
};

std::string formatValue(double v)
{
    if (v >= 100)
        return std::format("{:.0f}", v);
    if (v >= 10)
        return std::format("{:.1f}", v);
    return std::format("{:.2f}", v);
}

// Digits grouped in threes, as throughput figures are hard to read otherwise.
std::string grouped(double v)
{
    std::string digits = std::format("{:.0f}", v);
    for (int i = int(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(size_t(i), ",");
    return digits;
}

void printTable(const std::vector<Figure> &figures)
{
    size_t nameW = std::string_view("figure").size();
    size_t valueW = 0;
    size_t targetW = std::string_view("target").size();
    std::vector<std::string> values;
    for (const Figure &f : figures) {
        values.push_back((f.value >= 10000 ? grouped(f.value) : formatValue(f.value)) + " " + f.unit);
        nameW = std::max(nameW, f.name.size());
        valueW = std::max(valueW, values.back().size());
        targetW = std::max(targetW, f.target.size());
    }
    std::string out = std::format("{:<{}}  {:>{}}  {:<{}}  {:<4}  {}\n", "figure", nameW, "value", valueW, "target",
        targetW, "", "reference (Go)");
    out += std::string(nameW + valueW + targetW + 4 + 24, '-') + "\n";
    for (size_t i = 0; i < figures.size(); ++i) {
        const Figure &f = figures[i];
        const char *status = !f.met ? "" : (*f.met ? "ok" : "MISS");
        std::string line = std::format("{:<{}}  {:>{}}  {:<{}}  {:<4}  {}", f.name, nameW, values[i], valueW, f.target,
            targetW, status, f.reference);
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    std::fputs(out.c_str(), stdout);
}

std::string jsonString(std::string_view s)
{
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

void printJson(const std::vector<std::pair<std::string, std::string>> &context, const std::vector<Figure> &figures)
{
    std::string out = "{\n";
    for (const auto &[k, v] : context)
        out += std::format("  {}: {},\n", jsonString(k), v);
    out += "  \"figures\": {\n";
    for (size_t i = 0; i < figures.size(); ++i) {
        const Figure &f = figures[i];
        out += std::format(
            "    {}: {{\"value\": {:.6g}, \"unit\": {}", jsonString(f.jsonKey), f.value, jsonString(f.unit));
        if (f.met)
            out += std::format(", \"target\": {}, \"met\": {}", jsonString(f.target), *f.met ? "true" : "false");
        out += i + 1 < figures.size() ? "},\n" : "}\n";
    }
    out += "  }\n}\n";
    std::fputs(out.c_str(), stdout);
}

int run(const Options &opt)
{
    std::string parent = opt.dir.value_or("");
    if (parent.empty()) {
        const char *tmp = std::getenv("TMPDIR");
        parent = tmp && *tmp ? tmp : "/tmp";
    }
    const ShardGeometry geometry;
    const Workload work(geometry.tableSlots);
    WorkDir dir(parent, opt.keep);
    const std::string fsName = filesystemName(dir.path());

    std::vector<FillRun> fills;
    for (int r = 0; r < opt.runs; ++r)
        fills.push_back(fillShard(dir.sub(std::format("shard{}", r)), work));
    const uint32_t entries = fills.front().entries;
    const uint64_t bytes = fills.front().bytes;
    const std::string mainShard = dir.sub("shard0");

    const OpenFigures open = measureOpen(mainShard, work.keys.front());
    const LookupFigures lookups = measureLookups(mainShard, work, entries, opt.lookups);

    std::vector<CompactionRun> compactions;
    for (int r = 0; r < opt.runs; ++r) {
        compactions.push_back(
            measureCompaction(dir.sub(std::format("shard{}", r)), dir.sub("plain-copy"), work, entries, r % 2 == 1));
    }

    std::vector<double> hydrateMs, appendPerS, flushMs, compactMBs, plainMBs, compactMs, plainMs, ratios;
    for (const FillRun &f : fills) {
        hydrateMs.push_back(f.hydrateMs);
        appendPerS.push_back(f.entries / f.appendSeconds);
        flushMs.push_back(f.flushMs);
    }
    for (const CompactionRun &c : compactions) {
        compactMBs.push_back(double(c.bytes) / 1e6 / c.compactSeconds);
        plainMBs.push_back(double(c.bytes) / 1e6 / c.plainSeconds);
        compactMs.push_back(c.compactSeconds * 1e3);
        plainMs.push_back(c.plainSeconds * 1e3);
        ratios.push_back(c.plainSeconds / c.compactSeconds);
    }
    const double appendRate = median(appendPerS);
    const double compactRate = median(compactMBs);
    const double plainRate = median(plainMBs);
    const double ratio = median(ratios);

    std::fputs(std::format("shardscope-bench: {} slots, {} MiB pack, entries of {}..{} bytes\n", geometry.tableSlots,
                   geometry.packSize >> 20, kMeanEntryLen - kEntryLenSpread, kMeanEntryLen + kEntryLenSpread)
                   .c_str(),
        stdout);
    std::fputs(std::format("directory: {} ({})\n", dir.path(), fsName).c_str(), stdout);
    std::fputs(std::format("filled: {} entries, {} bytes ({:.1f}% of the pack); {} run(s), medians shown\n", entries,
                   bytes, 100.0 * double(bytes) / geometry.packSize, opt.runs)
                   .c_str(),
        stdout);
    std::fputs(std::format("compaction: {} of {} entries deleted first, {:.1f} MB copied; "
                           "lookups: {} per figure, warm page cache\n",
                   compactions.front().deleted, entries, double(compactions.front().bytes) / 1e6, opt.lookups)
                   .c_str(),
        stdout);
    // Every run, so that a busy machine's outliers show and the minimum can
    // be read next to the median.
    std::string perRun = "compaction / plain copy per run (ms):";
    for (size_t r = 0; r < compactions.size(); ++r)
        perRun += std::format(" {:.1f}/{:.1f}", compactions[r].compactSeconds * 1e3, compactions[r].plainSeconds * 1e3);
    perRun += std::format("; min {:.1f}/{:.1f}\ncompaction / plain copy CPU time per run, all threads (ms):",
        *std::min_element(compactMs.begin(), compactMs.end()), *std::min_element(plainMs.begin(), plainMs.end()));
    for (size_t r = 0; r < compactions.size(); ++r) {
        perRun += std::format(
            " {:.1f}/{:.1f}", compactions[r].compactCpuSeconds * 1e3, compactions[r].plainCpuSeconds * 1e3);
    }
    perRun += "\n\n";
    std::fputs(perRun.c_str(), stdout);

    const auto under = [](double v, double limit) { return std::optional<bool>(v < limit); };
    std::vector<Figure> figures = {
        {"hydrate (create) empty shard", "hydrate_ms", median(hydrateMs), "ms", "", std::nullopt, ""},
        {"append, no flush", "append_per_s", appendRate, "appends/s", "> 200,000/s", appendRate > 200'000,
            "~5,000/s (0.2 ms each)"},
        {"append, per op", "append_us", 1e6 / appendRate, "us", "< 5 us", under(1e6 / appendRate, 5), "~200 us"},
        {"flush of the full shard", "flush_ms", median(flushMs), "ms", "", std::nullopt, ""},
        {"open read-only", "open_read_only_ms", open.readOnlyMs, "ms", "< 10 ms", under(open.readOnlyMs, 10), "~10 ms"},
        {"open read-only + first lookup", "open_read_only_first_lookup_ms", open.readOnlyFirstGetMs, "ms", "< 10 ms",
            under(open.readOnlyFirstGetMs, 10), "~10 ms"},
        {"open for writing", "open_for_writing_ms", open.forWritingMs, "ms", "< 10 ms", under(open.forWritingMs, 10),
            "~10 ms"},
        {"get, hit", "get_hit_ns", lookups.getHitNs, "ns/op", "< 1000 ns", under(lookups.getHitNs, 1000),
            "~200,000 ns"},
        {"get, miss", "get_miss_ns", lookups.getMissNs, "ns/op", "< 1000 ns", under(lookups.getMissNs, 1000),
            "~400,000 ns"},
        {"exists, hit", "exists_hit_ns", lookups.existsHitNs, "ns/op", "< 1000 ns", under(lookups.existsHitNs, 1000),
            "~200,000 ns"},
        {"exists, miss", "exists_miss_ns", lookups.existsMissNs, "ns/op", "< 1000 ns",
            under(lookups.existsMissNs, 1000), "~400,000 ns"},
        {"compaction (after 10% deleted)", "compaction_mb_per_s", compactRate, "MB/s", ">= plain copy",
            compactRate >= plainRate, "~350 MB/s"},
        {"plain copy, 1 MiB chunks + fsync", "plain_copy_mb_per_s", plainRate, "MB/s", "", std::nullopt, ""},
        {"compaction, time", "compaction_ms", median(compactMs), "ms", "", std::nullopt, ""},
        {"plain copy of as many bytes, time", "plain_copy_ms", median(plainMs), "ms", "", std::nullopt, ""},
        {"compaction speed / plain copy speed", "compaction_ratio", ratio, "x", ">= 1.00", ratio >= 1.0, ""},
    };
    printTable(figures);
    std::fputs("\n(MB = 10^6 bytes; ns = nanoseconds; us = microseconds)\n", stdout);

    if (opt.json) {
        std::fputs("\n", stdout);
        printJson(
            {{"directory", jsonString(dir.path())}, {"filesystem", jsonString(fsName)},
                {"table_slots", std::to_string(geometry.tableSlots)}, {"pack_size", std::to_string(geometry.packSize)},
                {"entries", std::to_string(entries)}, {"bytes", std::to_string(bytes)},
                {"runs", std::to_string(opt.runs)}, {"lookups", std::to_string(opt.lookups)}},
            figures);
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    const auto opt = parseOptions(argc, argv);
    if (!opt)
        return 2;
    try {
        return run(*opt);
    } catch (const BenchFailure &f) {
        std::fprintf(stderr, "shardscope-bench: %s\n", f.message.c_str());
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "shardscope-bench: %s\n", e.what());
        return 1;
    }
}
