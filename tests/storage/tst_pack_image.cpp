// PackImage (storage/pack_image.h): the new pack of a compaction assembled in
// memory by scattered reads of the old one. What each image must hold is
// computed here from the bytes the test wrote into the pack file, never
// through the storage library's own reads.
#include "test_support.h"

#include "byte_source.h"
#include "directory.h"
#include "generation_writer.h"
#include "pack_image.h"
#include "shard_file.h"

#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <vector>

using namespace shardscope;
using namespace testsupport;

namespace {

constexpr uint32_t kSink = 64 * 1024; // pack_image.cpp reads dead gaps up to this into a sink
constexpr const char *kPackName = "00000000.pack";

struct Range {
    uint32_t offset = 0;
    uint32_t len = 0;
};

// Entries in their new order, and the size of the old pack they lie in.
struct Layout {
    std::vector<Range> ranges;
    uint32_t packSize = 0;
};

// Entries of `lens` laid out in the pack front to back, each after its gap
// of dead bytes, then a tail of dead bytes.
Layout inPackOrder(const std::vector<uint32_t> &lens, const std::vector<uint32_t> &gaps, uint32_t tail = 100)
{
    Layout out;
    uint32_t at = 0;
    for (size_t i = 0; i < lens.size(); ++i) {
        at += gaps.empty() ? 0 : gaps[i % gaps.size()];
        out.ranges.push_back({at, lens[i]});
        at += lens[i];
    }
    out.packSize = at + tail;
    return out;
}

// The new order is the keys' order, which is random in the old pack.
Layout shuffled(Layout layout, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::shuffle(layout.ranges.begin(), layout.ranges.end(), rng);
    return layout;
}

Layout reversed(Layout layout)
{
    std::reverse(layout.ranges.begin(), layout.ranges.end());
    return layout;
}

Layout withRanges(std::vector<Range> ranges, uint32_t packSize)
{
    return {std::move(ranges), packSize};
}

std::vector<uint32_t> repeat(uint32_t value, size_t count)
{
    return std::vector<uint32_t>(count, value);
}

// A pack file of random bytes, opened the way compaction opens the old pack.
struct PackFile {
    QTemporaryDir tmp;
    QByteArray bytes; // as written
    std::optional<Directory> dir;
    std::optional<ShardFile> file;
    std::string path;

    bool create(uint32_t size, uint64_t seed)
    {
        std::mt19937_64 rng(seed);
        bytes = toByteArray(randomBytes(rng, size));
        if (!tmp.isValid() || !writeFile(tmp.filePath(kPackName), bytes))
            return false;
        auto d = Directory::open(str(tmp.path()));
        if (!d)
            return false;
        dir.emplace(std::move(*d));
        auto f = ShardFile::open(*dir, kPackName, ShardFile::Access::ReadOnly);
        if (!f)
            return false;
        file.emplace(std::move(*f));
        path = dir->filePath(kPackName);
        return true;
    }
};

std::vector<GenerationEntry> entriesOf(const Layout &layout, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::vector<GenerationEntry> out;
    for (const Range &r : layout.ranges)
        out.push_back({randomKey(rng), r.offset, r.len});
    return out;
}

uint64_t liveBytesOf(const std::vector<GenerationEntry> &entries)
{
    uint64_t n = 0;
    for (const GenerationEntry &e : entries)
        n += e.len;
    return n;
}

// The entries' bytes back to back in their given order, cut from `pack`.
QByteArray expectedImage(const QByteArray &pack, const std::vector<GenerationEntry> &entries)
{
    QByteArray out;
    for (const GenerationEntry &e : entries)
        out += pack.mid(qsizetype(e.offset), qsizetype(e.len));
    return out;
}

// Empty when `image` holds exactly `expected`; otherwise where it differs,
// named by the entry whose bytes lie there.
QString differences(const PackImage &image, const QByteArray &expected, const std::vector<GenerationEntry> &entries)
{
    if (image.size() != uint64_t(expected.size()))
        return QStringLiteral("image of %1 bytes, expected %2").arg(image.size()).arg(expected.size());
    const auto got = image.bytes(0, image.size());
    const auto *want = reinterpret_cast<const uint8_t *>(expected.constData());
    const auto at = std::mismatch(got.begin(), got.end(), want).first - got.begin();
    if (size_t(at) == got.size())
        return {};
    uint64_t start = 0;
    size_t index = 0;
    while (index < entries.size() && start + entries[index].len <= uint64_t(at))
        start += entries[index++].len;
    return QStringLiteral("image byte %1 differs: entry %2 (old offset %3, %4 bytes), byte %5 of it")
        .arg(at)
        .arg(index)
        .arg(index < entries.size() ? entries[index].offset : 0)
        .arg(index < entries.size() ? entries[index].len : 0)
        .arg(uint64_t(at) - start);
}

// Overwrites one byte of the file through a descriptor of its own, as
// another process would.
bool flipByte(const std::string &path, uint64_t offset)
{
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    uint8_t b = 0;
    bool ok = ::pread(fd, &b, 1, off_t(offset)) == 1;
    b ^= 0x5A;
    ok = ok && ::pwrite(fd, &b, 1, off_t(offset)) == 1;
    return ::close(fd) == 0 && ok;
}

bool truncateFile(const std::string &path, uint64_t size)
{
    return ::truncate(path.c_str(), off_t(size)) == 0;
}

} // namespace

Q_DECLARE_METATYPE(Layout)

class tst_PackImage : public QObject
{
    Q_OBJECT

private slots:
    void loadGivesEntriesInOrder_data();
    void loadGivesEntriesInOrder();
    void loadOverlappingEntries_data();
    void loadOverlappingEntries();
    void imagesAliveTogetherStaySeparate();
    void verifyNamesTheChangedByte_data();
    void verifyNamesTheChangedByte();
    void verifyStopsWhenToldTo_data();
    void verifyStopsWhenToldTo();
    void verifyRefusesAnEmptyWindow();
    void loadFailsOnTruncatedPack_data();
    void loadFailsOnTruncatedPack();
    void fitsOnlyFilesUpToTheLimit();

private:
    void loadAndCompare(const Layout &layout);
};

// Loads the layout's entries from a pack of random bytes, compares the image
// with the bytes cut from the file, and checks that verifyAgainst agrees
// whatever window it reads through.
void tst_PackImage::loadAndCompare(const Layout &layout)
{
    PackFile pack;
    QVERIFY(pack.create(layout.packSize, layout.packSize + layout.ranges.size()));
    const std::vector<GenerationEntry> entries = entriesOf(layout, 7);
    const uint64_t live = liveBytesOf(entries);
    QVERIFY(PackImage::fits(*pack.file, live, kDefaultCopyMemoryLimit));
    const QByteArray expected = expectedImage(pack.bytes, entries);

    auto image = PackImage::load(*pack.file, entries, live);
    CHECK_OK(image);
    const QString why = differences(*image, expected, entries);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QVERIFY(!pack.file->truncatedSinceMapped());

    // Windows smaller than many entries (an odd size, so entries and windows
    // never line up) and the size compaction uses.
    for (const size_t windowSize : {size_t(4093), size_t(512 * 1024)}) {
        std::vector<uint8_t> window(windowSize);
        int asked = 0;
        auto verified = image->verifyAgainst(*pack.file, window, [&]() {
            ++asked;
            return true;
        });
        CHECK_OK(verified);
        // It read the old pack itself rather than trusting the image.
        QCOMPARE(asked > 0, live > 0);
    }
}

void tst_PackImage::loadGivesEntriesInOrder_data()
{
    QTest::addColumn<Layout>("layout");

    QTest::newRow("no entries") << withRanges({}, 4096);
    QTest::newRow("no entries, empty pack") << withRanges({}, 0);
    QTest::newRow("an empty entry in an empty pack") << withRanges({{0, 0}}, 0);
    QTest::newRow("one entry") << withRanges({{100, 5000}}, 8192);
    QTest::newRow("one empty entry") << withRanges({{70, 0}}, 100);
    QTest::newRow("one entry that is the whole pack") << withRanges({{0, 300000}}, 300000);
    QTest::newRow("one entry larger than the sink") << withRanges({{3, kSink + 1}}, kSink + 10);
    QTest::newRow("two entries") << shuffled(inPackOrder({10, 20}, {5}), 1);
    QTest::newRow("odd count: 7 entries") << shuffled(inPackOrder({1, 2, 3, 4, 5, 6, 7}, {0, 3}), 2);
    QTest::newRow("odd count: 1001 entries") << shuffled(inPackOrder(repeat(33, 1001), {0, 1, 70000}), 3);
    QTest::newRow("empty entries among others, one at the pack's end")
        << shuffled(inPackOrder({0, 10, 0, 0, 300, 0, 5, 0}, {0, 7}, 0), 4);
    QTest::newRow("3001 one-byte entries back to back") << shuffled(inPackOrder(repeat(1, 3001), {}), 5);
    QTest::newRow("2000 entries back to back, in pack order") << inPackOrder(repeat(17, 2000), {});
    QTest::newRow("2000 entries back to back, in reverse") << reversed(inPackOrder(repeat(17, 2000), {}));
    // A run of 1500 entries with dead bytes between: 3000 parts, three reads.
    QTest::newRow("1500 entries, small gaps, one run") << shuffled(inPackOrder(repeat(5, 1500), {3}), 6);
    QTest::newRow("entries around the sink's size")
        << shuffled(inPackOrder({kSink - 1, kSink, kSink + 1, 200000, 1 << 20, 3}, {}), 7);
    QTest::newRow("dead gaps up to the sink")
        << shuffled(inPackOrder(repeat(100, 12), {1, 100, 4095, kSink - 1, kSink, 0}), 8);
    QTest::newRow("dead gaps past the sink") << shuffled(inPackOrder(repeat(100, 9), {kSink + 1, 100000, 1 << 20}), 9);
    QTest::newRow("dead gaps either side of the sink")
        << shuffled(inPackOrder({1, 70000, 2, 65536, 3, 65537, 4}, {kSink, kSink + 1}), 10);
    for (const uint64_t seed : {11u, 12u, 13u}) {
        // Lengths and gaps skewed small with a few large ones, as in real packs.
        std::mt19937_64 rng(seed);
        std::vector<uint32_t> lens;
        std::vector<uint32_t> gaps;
        for (int i = 0; i < 600; ++i) {
            lens.push_back(rng() % 8 == 0 ? uint32_t(rng() % 150000) : uint32_t(rng() % 3000));
            gaps.push_back(rng() % 3 == 0 ? (rng() % 10 == 0 ? uint32_t(rng() % 200000) : uint32_t(rng() % 50)) : 0);
        }
        QTest::addRow("random mix, seed %d", int(seed)) << shuffled(inPackOrder(lens, gaps), seed);
    }
}

void tst_PackImage::loadGivesEntriesInOrder()
{
    QFETCH(Layout, layout);
    loadAndCompare(layout);
}

void tst_PackImage::loadOverlappingEntries_data()
{
    QTest::addColumn<Layout>("layout");

    QTest::newRow("two entries overlapping in part") << withRanges({{500, 1000}, {0, 1000}}, 2000);
    QTest::newRow("two entries overlapping in part, other order") << withRanges({{0, 1000}, {500, 1000}}, 2000);
    QTest::newRow("entries inside a larger one, one right after it")
        << shuffled(withRanges({{0, 100000}, {1000, 1000}, {99000, 1000}, {100000, 100}, {0, 1}}, 100200), 20);
    QTest::newRow("the same range twice") << withRanges({{10, 5000}, {10, 5000}}, 6000);
    QTest::newRow("the same range three times, an empty entry at its start")
        << withRanges({{10, 5000}, {10, 0}, {10, 5000}, {10, 5000}}, 6000);
    QTest::newRow("an entry across two neighbours") << shuffled(withRanges({{0, 100}, {100, 100}, {50, 100}}, 300), 21);
    QTest::newRow("an overlap after a gap past the sink")
        << shuffled(withRanges({{0, 100}, {200000, 50000}, {210000, 100}, {260000, 10}, {259995, 10}}, 270000), 22);
    {
        // Each entry overlaps the one before it in the old pack.
        std::vector<Range> chain;
        for (uint32_t i = 0; i < 1501; ++i)
            chain.push_back({i * 10, 20});
        QTest::newRow("a chain of 1501 overlapping entries") << shuffled(withRanges(chain, 15100), 23);
    }
    {
        // The whole pack and 300 random pieces of it.
        std::mt19937_64 rng(24);
        const uint32_t size = 400000;
        std::vector<Range> pieces {{0, size}};
        for (int i = 0; i < 300; ++i) {
            const uint32_t at = uint32_t(rng() % size);
            pieces.push_back({at, uint32_t(rng() % (size - at + 1))});
        }
        QTest::newRow("the whole pack and 300 pieces of it") << shuffled(withRanges(pieces, size), 25);
    }
}

void tst_PackImage::loadOverlappingEntries()
{
    QFETCH(Layout, layout);
    loadAndCompare(layout);
}

// An image keeps its memory until it goes; a second one loaded meanwhile
// must not be handed the same memory (images are kept for reuse).
void tst_PackImage::imagesAliveTogetherStaySeparate()
{
    const Layout first = shuffled(inPackOrder(repeat(5000, 300), {0, 700}), 30);
    const Layout second = shuffled(inPackOrder(repeat(7000, 200), {1}), 31);
    PackFile a;
    PackFile b;
    QVERIFY(a.create(first.packSize, 1));
    QVERIFY(b.create(second.packSize, 2));
    const auto entriesA = entriesOf(first, 1);
    const auto entriesB = entriesOf(second, 2);
    for (int round = 0; round < 2; ++round) {
        auto imageA = PackImage::load(*a.file, entriesA, liveBytesOf(entriesA));
        CHECK_OK(imageA);
        auto imageB = PackImage::load(*b.file, entriesB, liveBytesOf(entriesB));
        CHECK_OK(imageB);
        QString why = differences(*imageA, expectedImage(a.bytes, entriesA), entriesA);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        why = differences(*imageB, expectedImage(b.bytes, entriesB), entriesB);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        // The second round starts with nothing kept.
        releaseCopyMemory();
    }
}

void tst_PackImage::verifyNamesTheChangedByte_data()
{
    QTest::addColumn<Layout>("layout");
    QTest::addColumn<QList<qint64>>("changed"); // old-pack offsets changed after the load
    QTest::addColumn<qint64>("reported"); // -1: no difference to report

    const Layout scattered = shuffled(inPackOrder({300, 0, 20000, 1, 9000, 70000}, {50, 100000}), 40);
    // That pack, front to back: [50, 350), an empty entry at 100350,
    // [100400, 120400), [220400, 220401), [220451, 229451), [329451, 399451),
    // then 100 dead bytes.
    QTest::newRow("first byte of the lowest entry") << scattered << QList<qint64> {50} << qint64(50);
    QTest::newRow("last byte of the highest entry") << scattered << QList<qint64> {399450} << qint64(399450);
    QTest::newRow("a one-byte entry") << scattered << QList<qint64> {220400} << qint64(220400);
    QTest::newRow("deep inside an entry, many windows in") << scattered << QList<qint64> {380000} << qint64(380000);
    QTest::newRow("two changes: the lower is named") << scattered << QList<qint64> {380000, 100401} << qint64(100401);
    QTest::newRow("dead bytes, and where the empty entry points: no difference")
        << scattered << QList<qint64> {0, 49, 350, 100350, 100399, 399451} << qint64(-1);

    const Layout overlapping = shuffled(withRanges({{0, 10000}, {4000, 100}, {4050, 9000}, {20000, 5}}, 30000), 41);
    QTest::newRow("a byte entries share") << overlapping << QList<qint64> {4060} << qint64(4060);
    QTest::newRow("a byte only the later overlapping entry has")
        << overlapping << QList<qint64> {12000} << qint64(12000);
}

void tst_PackImage::verifyNamesTheChangedByte()
{
    QFETCH(Layout, layout);
    QFETCH(QList<qint64>, changed);
    QFETCH(qint64, reported);

    PackFile pack;
    QVERIFY(pack.create(layout.packSize, 42));
    const auto entries = entriesOf(layout, 42);
    auto image = PackImage::load(*pack.file, entries, liveBytesOf(entries));
    CHECK_OK(image);
    // The old pack changes on disk after the load (another process, or a
    // disk returning other bytes the second time).
    for (const qint64 at : changed)
        QVERIFY(flipByte(pack.path, uint64_t(at)));

    std::vector<uint8_t> window(4093);
    auto verified = image->verifyAgainst(*pack.file, window, []() { return true; });
    if (reported < 0) {
        CHECK_OK(verified);
        return;
    }
    QVERIFY2(!verified, "the changed byte went unnoticed");
    QCOMPARE(verified.error().kind, ErrorKind::Io);
    QCOMPARE(verified.error().file, pack.path);
    QCOMPARE(verified.error().offset, std::optional<uint64_t>(uint64_t(reported)));
}

void tst_PackImage::verifyStopsWhenToldTo_data()
{
    QTest::addColumn<int>("allowed"); // keepGoing says true this many times, then false
    QTest::addColumn<bool>("fails");
    QTest::addColumn<int>("asked");

    // One entry of ten windows; its last window holds a changed byte.
    QTest::newRow("stopped at once") << 0 << false << 1;
    QTest::newRow("stopped halfway") << 5 << false << 6;
    QTest::newRow("stopped before the window with the change") << 9 << false << 10;
    QTest::newRow("never stopped") << 10 << true << 10;
}

void tst_PackImage::verifyStopsWhenToldTo()
{
    QFETCH(int, allowed);
    QFETCH(bool, fails);
    QFETCH(int, asked);

    constexpr uint32_t kWindow = 4096;
    PackFile pack;
    QVERIFY(pack.create(10 * kWindow, 50));
    const std::vector<GenerationEntry> entries {{Key({1, 2, 3}), 0, 10 * kWindow}};
    auto image = PackImage::load(*pack.file, entries, 10 * kWindow);
    CHECK_OK(image);
    QVERIFY(flipByte(pack.path, 9 * kWindow + 5));

    std::vector<uint8_t> window(kWindow);
    int calls = 0;
    auto verified = image->verifyAgainst(*pack.file, window, [&]() { return calls++ < allowed; });
    QCOMPARE(calls, asked);
    if (!fails) {
        CHECK_OK(verified);
        return;
    }
    QVERIFY(!verified);
    QCOMPARE(verified.error().file, pack.path);
    QCOMPARE(verified.error().offset, std::optional<uint64_t>(9 * kWindow + 5));
}

void tst_PackImage::verifyRefusesAnEmptyWindow()
{
    PackFile pack;
    QVERIFY(pack.create(4096, 51));
    const std::vector<GenerationEntry> entries {{Key({1, 2, 3}), 0, 4096}};
    auto image = PackImage::load(*pack.file, entries, 4096);
    CHECK_OK(image);
    int calls = 0;
    auto verified = image->verifyAgainst(*pack.file, {}, [&]() { return ++calls < 100; });
    QVERIFY(!verified);
    QCOMPARE(verified.error().kind, ErrorKind::Invalid);
    QCOMPARE(verified.error().file, pack.path);
    QCOMPARE(calls, 0);
}

void tst_PackImage::loadFailsOnTruncatedPack_data()
{
    QTest::addColumn<Layout>("layout");
    QTest::addColumn<qint64>("newSize");
    QTest::addColumn<bool>("fails");
    QTest::addColumn<qint64>("offset"); // the offset the error names; -1: any at or past newSize

    const uint32_t size = 1 << 20;
    QTest::newRow("one entry across the new end")
        << withRanges({{400000, 200000}}, size) << qint64(500000) << true << qint64(500000);
    QTest::newRow("one entry past the new end")
        << withRanges({{700000, 1000}}, size) << qint64(500000) << true << qint64(700000);
    QTest::newRow("truncated to nothing") << withRanges({{0, 10}}, size) << qint64(0) << true << qint64(0);
    QTest::newRow("many entries, some past the new end")
        << shuffled(inPackOrder(repeat(3000, 300), {100}), 60) << qint64(600000) << true << qint64(-1);
    QTest::newRow("every entry before the new end")
        << shuffled(withRanges({{0, 1000}, {5000, 100000}, {200000, 300000}}, size), 61) << qint64(500000) << false
        << qint64(-1);
}

// The image is read through the descriptor: a pack another process shrank
// after it was opened (and mapped at its old size) gives an error naming it,
// never the zeros the mapping would show past the new end.
void tst_PackImage::loadFailsOnTruncatedPack()
{
    QFETCH(Layout, layout);
    QFETCH(qint64, newSize);
    QFETCH(bool, fails);
    QFETCH(qint64, offset);

    PackFile pack;
    QVERIFY(pack.create(layout.packSize, 62));
    QVERIFY(truncateFile(pack.path, uint64_t(newSize)));
    QCOMPARE(pack.file->size(), uint64_t(layout.packSize)); // still mapped at the old size
    const auto entries = entriesOf(layout, 62);
    auto image = PackImage::load(*pack.file, entries, liveBytesOf(entries));
    QVERIFY(!pack.file->truncatedSinceMapped());
    if (!fails) {
        CHECK_OK(image);
        const QString why = differences(*image, expectedImage(pack.bytes, entries), entries);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        return;
    }
    QVERIFY2(!image, "a load past the end of the file succeeded");
    QCOMPARE(image.error().file, pack.path);
    QVERIFY(image.error().offset.has_value());
    if (offset >= 0) {
        QCOMPARE(*image.error().offset, uint64_t(offset));
    } else {
        QVERIFY2(*image.error().offset >= uint64_t(newSize) && *image.error().offset < layout.packSize,
            image.error().describe().c_str());
    }
}

void tst_PackImage::fitsOnlyFilesUpToTheLimit()
{
    constexpr uint64_t kLimit = kDefaultCopyMemoryLimit;
    PackFile pack;
    QVERIFY(pack.create(4096, 70));
    QVERIFY(PackImage::fits(*pack.file, 0, kLimit));
    QVERIFY(PackImage::fits(*pack.file, 4096, kLimit));
    QVERIFY(PackImage::fits(*pack.file, kLimit, kLimit));
    QVERIFY(!PackImage::fits(*pack.file, kLimit + 1, kLimit));
    QVERIFY(!PackImage::fits(*pack.file, UINT64_MAX, kLimit));
    // A smaller limit asked for (compact --copy-memory).
    QVERIFY(PackImage::fits(*pack.file, 4096, 4096));
    QVERIFY(!PackImage::fits(*pack.file, 4097, 4096));
    QVERIFY(PackImage::fits(*pack.file, 0, 0));
    QVERIFY(!PackImage::fits(*pack.file, 1, 0));

    // Bytes not read from a file have no descriptor to read through.
    const ShardFile memory = ShardFile::fromSource(
        std::make_unique<MemoryByteSource>(std::vector<uint8_t>(4096, 1), std::string("in memory")));
    QVERIFY(!PackImage::fits(memory, 0, kLimit));
    QVERIFY(!PackImage::fits(memory, 4096, kLimit));
    const std::vector<GenerationEntry> entries {{Key({1, 2, 3}), 10, 100}};
    auto image = PackImage::load(memory, entries, 100);
    QVERIFY2(!image, "a load without a descriptor succeeded");
    QCOMPARE(image.error().file, std::string("in memory"));
}

QTEST_GUILESS_MAIN(tst_PackImage)
#include "tst_pack_image.moc"
