// HugePageMemory and HugePageAllocator (storage/huge_page_memory.h): the
// working memory of compaction and of the lookup index. Whether the kernel
// backs it with huge pages is its own business; what is checked here is what
// the callers rely on: sizes, alignment, ownership, and that memory handed
// back is really unmapped.
#include "test_support.h"

#include "huge_page_memory.h"

#include <QTest>

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <utility>
#include <vector>

using namespace shardscope;
using namespace testsupport;

namespace {

constexpr size_t kHuge = HugePageMemory::kHugePage;

bool hugeAligned(const void *p)
{
    return reinterpret_cast<uintptr_t>(p) % kHuge == 0;
}

// Whether every page of [p, p + length) is mapped in this process.
bool mapped(const void *p, size_t length)
{
    const size_t page = size_t(::sysconf(_SC_PAGESIZE));
    const uintptr_t from = reinterpret_cast<uintptr_t>(p) & ~(page - 1);
    // Static: an allocation here could be handed the very pages asked about.
    static std::array<unsigned char, 8192> residency;
    if ((length + page - 1) / page + 1 > residency.size())
        return false;
    return ::mincore(reinterpret_cast<void *>(from), length, residency.data()) == 0;
}

// Writes a pattern over [p, p + length) and reads it back.
bool holdsWhatIsWritten(uint8_t *p, size_t length, uint8_t seed)
{
    for (size_t i = 0; i < length; i += 4093)
        p[i] = uint8_t(seed + i);
    if (length > 0)
        p[length - 1] = seed;
    for (size_t i = 0; i < length; i += 4093) {
        if (p[i] != uint8_t(seed + i) && i != length - 1)
            return false;
    }
    return length == 0 || p[length - 1] == seed;
}

template<typename T> using HugeVector = std::vector<T, HugePageAllocator<T>>;

struct alignas(64) Wide {
    uint64_t value = 0;
};

} // namespace

class tst_HugePageMemory : public QObject
{
    Q_OBJECT

private slots:
    void sizeCapacityAlignment_data();
    void sizeCapacityAlignment();
    void zeroSize();
    void moveHandsOverTheMapping();
    void moveAssignmentReleasesTheOldMapping();
    void destructorUnmaps();
    void allocatorBelowAndAboveThreshold_data();
    void allocatorBelowAndAboveThreshold();
    void vectorGrowsAcrossTheThreshold();
    void vectorShrinksAcrossTheThreshold();
    void detailAllocateWholeHugePages();
};

void tst_HugePageMemory::sizeCapacityAlignment_data()
{
    QTest::addColumn<qulonglong>("size");
    QTest::addColumn<bool>("populate");

    for (const bool populate : {true, false}) {
        const char *how = populate ? "populated" : "not populated";
        QTest::addRow("1 byte, %s", how) << qulonglong(1) << populate;
        QTest::addRow("4 KiB, %s", how) << qulonglong(4096) << populate;
        QTest::addRow("one huge page less a byte, %s", how) << qulonglong(kHuge - 1) << populate;
        QTest::addRow("one huge page, %s", how) << qulonglong(kHuge) << populate;
        QTest::addRow("one huge page and a byte, %s", how) << qulonglong(kHuge + 1) << populate;
        QTest::addRow("5 MiB and 3 bytes, %s", how) << qulonglong((5 << 20) + 3) << populate;
    }
}

void tst_HugePageMemory::sizeCapacityAlignment()
{
    QFETCH(qulonglong, size);
    QFETCH(bool, populate);

    HugePageMemory memory(size_t(size), populate);
    QVERIFY(memory.valid());
    QVERIFY(memory.data() != nullptr);
    QCOMPARE(memory.size(), size_t(size));
    const size_t capacity = (size_t(size) + kHuge - 1) / kHuge * kHuge;
    QCOMPARE(memory.capacity(), capacity);
    QVERIFY(hugeAligned(memory.data()));
    QVERIFY(mapped(memory.data(), memory.capacity()));
    if (!populate)
        memory.populate(0, memory.size());
    // All of the capacity is usable, not only the size asked for.
    QVERIFY(holdsWhatIsWritten(memory.data(), memory.capacity(), 17));
    const auto part = memory.span(3, 10);
    QCOMPARE(part.data(), memory.data() + 3);
    QCOMPARE(part.size(), size_t(10));
}

void tst_HugePageMemory::zeroSize()
{
    HugePageMemory none;
    QVERIFY(none.valid());
    QVERIFY(none.data() == nullptr);
    QCOMPARE(none.size(), size_t(0));
    QCOMPARE(none.capacity(), size_t(0));
    none.populate(0, 100); // nothing to populate, nothing to crash on

    HugePageMemory empty(0);
    QVERIFY(empty.valid());
    QVERIFY(empty.data() == nullptr);
    QCOMPARE(empty.size(), size_t(0));
    QCOMPARE(empty.capacity(), size_t(0));
}

void tst_HugePageMemory::moveHandsOverTheMapping()
{
    HugePageMemory a(3 * kHuge);
    QVERIFY(a.valid());
    uint8_t *const data = a.data();
    data[0] = 42;
    data[3 * kHuge - 1] = 43;

    HugePageMemory b(std::move(a));
    QCOMPARE(b.data(), data);
    QCOMPARE(b.size(), 3 * kHuge);
    QCOMPARE(b.capacity(), 3 * kHuge);
    QCOMPARE(b.data()[0], uint8_t(42));
    QCOMPARE(b.data()[3 * kHuge - 1], uint8_t(43));
    // The moved-from object owns nothing, and unmaps nothing when it goes.
    QVERIFY(a.data() == nullptr); // NOLINT(bugprone-use-after-move): checking the moved-from state
    QCOMPARE(a.size(), size_t(0));
    QCOMPARE(a.capacity(), size_t(0));
    QVERIFY(a.valid());
    {
        HugePageMemory gone(std::move(b));
        QCOMPARE(gone.data(), data);
        QVERIFY(b.data() == nullptr); // NOLINT(bugprone-use-after-move)
    }
    QVERIFY(!mapped(data, 3 * kHuge));
}

void tst_HugePageMemory::moveAssignmentReleasesTheOldMapping()
{
    HugePageMemory target(kHuge + 5);
    HugePageMemory source(2 * kHuge);
    uint8_t *const oldData = target.data();
    uint8_t *const newData = source.data();
    QVERIFY(oldData && newData);
    newData[100] = 7;

    target = std::move(source);
    QCOMPARE(target.data(), newData);
    QCOMPARE(target.size(), 2 * kHuge);
    QCOMPARE(target.capacity(), 2 * kHuge);
    QCOMPARE(target.data()[100], uint8_t(7));
    QVERIFY(source.data() == nullptr); // NOLINT(bugprone-use-after-move)
    QCOMPARE(source.capacity(), size_t(0));
    QVERIFY2(!mapped(oldData, 2 * kHuge), "the memory the target held before is still mapped");
    QVERIFY(mapped(newData, 2 * kHuge));

    // Assigning an object to itself keeps its memory.
    HugePageMemory &same = target;
    target = std::move(same);
    QCOMPARE(target.data(), newData);
    QCOMPARE(target.data()[100], uint8_t(7));

    // Assigning empty memory releases what was held.
    target = HugePageMemory();
    QVERIFY(target.data() == nullptr);
    QVERIFY(!mapped(newData, 2 * kHuge));
}

void tst_HugePageMemory::destructorUnmaps()
{
    uint8_t *data = nullptr;
    size_t capacity = 0;
    {
        HugePageMemory memory((3 << 20) + 1);
        data = memory.data();
        capacity = memory.capacity();
        QVERIFY(mapped(data, capacity));
    }
    QCOMPARE(capacity, 2 * kHuge);
    QVERIFY(!mapped(data, capacity));
}

void tst_HugePageMemory::allocatorBelowAndAboveThreshold_data()
{
    QTest::addColumn<qulonglong>("count"); // of uint64_t
    QTest::addColumn<bool>("fromHugePages");

    constexpr size_t kAt = HugePageAllocator<uint64_t>::kFrom / sizeof(uint64_t);
    QTest::newRow("one element") << qulonglong(1) << false;
    QTest::newRow("1000 elements") << qulonglong(1000) << false;
    QTest::newRow("one element below the threshold") << qulonglong(kAt - 1) << false;
    QTest::newRow("exactly the threshold") << qulonglong(kAt) << true;
    QTest::newRow("one element above") << qulonglong(kAt + 1) << true;
    QTest::newRow("5 MiB") << qulonglong((5 << 20) / 8) << true;
}

void tst_HugePageMemory::allocatorBelowAndAboveThreshold()
{
    QFETCH(qulonglong, count);
    QFETCH(bool, fromHugePages);

    const uint64_t *data = nullptr;
    {
        HugeVector<uint64_t> v(static_cast<size_t>(count));
        QCOMPARE(v.size(), size_t(count));
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = i * 2654435761u;
        data = v.data();
        if (fromHugePages)
            QVERIFY(hugeAligned(data));
        // Copies and moves keep the values.
        HugeVector<uint64_t> copy = v;
        QCOMPARE(copy.size(), v.size());
        QVERIFY(copy.data() != v.data());
        HugeVector<uint64_t> moved = std::move(copy);
        for (size_t i = 0; i < moved.size(); ++i)
            QCOMPARE(moved[i], uint64_t(i * 2654435761u));
    }
    if (fromHugePages) {
        // Given back to the kernel, not kept in a heap.
        QVERIFY(!mapped(data, size_t(count) * sizeof(uint64_t)));
    }

    // Alignment above the default is kept on the operator-new side too.
    HugeVector<Wide> wide(static_cast<size_t>(count) % 100 + 1);
    QCOMPARE(reinterpret_cast<uintptr_t>(wide.data()) % alignof(Wide), uintptr_t(0));
    // Allocators of any type compare equal (memory from one can go to another).
    QVERIFY(HugePageAllocator<uint64_t>() == HugePageAllocator<Wide>());
    const HugePageAllocator<Wide> rebound {HugePageAllocator<uint64_t>()};
    QVERIFY(rebound == HugePageAllocator<uint64_t>());
}

void tst_HugePageMemory::vectorGrowsAcrossTheThreshold()
{
    HugeVector<uint64_t> v;
    bool sawHuge = false;
    const size_t count = (3 << 20) / sizeof(uint64_t) + 11; // past the threshold and past one huge page
    for (size_t i = 0; i < count; ++i) {
        const size_t capacityBefore = v.capacity();
        v.push_back(i ^ 0x5555);
        if (v.capacity() != capacityBefore) {
            // Every reallocation carried over what was there.
            for (size_t j = 0; j <= i; j += 997)
                QCOMPARE(v[j], uint64_t(j ^ 0x5555));
            if (v.capacity() * sizeof(uint64_t) >= HugePageAllocator<uint64_t>::kFrom) {
                QVERIFY(hugeAligned(v.data()));
                sawHuge = true;
            }
        }
    }
    QVERIFY(sawHuge);
    for (size_t i = 0; i < count; ++i) {
        if (v[i] != (i ^ 0x5555))
            QFAIL(qPrintable(QStringLiteral("element %1 changed").arg(i)));
    }
}

void tst_HugePageMemory::vectorShrinksAcrossTheThreshold()
{
    HugeVector<uint32_t> v(1 << 20);
    for (size_t i = 0; i < v.size(); ++i)
        v[i] = uint32_t(i * 7);
    const uint32_t *hugeData = v.data();
    QVERIFY(hugeAligned(hugeData));
    v.resize(1000);
    v.shrink_to_fit();
    QCOMPARE(v.size(), size_t(1000));
    QVERIFY(v.data() != hugeData);
    for (size_t i = 0; i < v.size(); ++i)
        QCOMPARE(v[i], uint32_t(i * 7));
    QVERIFY(!mapped(hugeData, (1 << 20) * sizeof(uint32_t)));
}

void tst_HugePageMemory::detailAllocateWholeHugePages()
{
    void *p = huge_page_detail::allocate(1);
    QVERIFY(p != nullptr);
    QVERIFY(hugeAligned(p));
    // A whole huge page is there to use.
    QVERIFY(mapped(p, kHuge));
    QVERIFY(holdsWhatIsWritten(static_cast<uint8_t *>(p), kHuge, 3));
    huge_page_detail::deallocate(p, 1);
    QVERIFY(!mapped(p, kHuge));
    huge_page_detail::deallocate(nullptr, 100); // no-op

    // More than the address space holds: bad_alloc, as operator new throws.
    bool threw = false;
    try {
        (void)huge_page_detail::allocate(size_t(1) << 62);
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    QVERIFY(threw);
    QVERIFY(!HugePageMemory(size_t(1) << 62).valid());
    // Sizes whose rounding up to whole huge pages would wrap around.
    for (const size_t size : {SIZE_MAX, SIZE_MAX - kHuge + 2}) {
        QVERIFY(!HugePageMemory(size).valid());
        bool refused = false;
        try {
            (void)huge_page_detail::allocate(size);
        } catch (const std::bad_alloc &) {
            refused = true;
        }
        QVERIFY(refused);
    }
}

QTEST_GUILESS_MAIN(tst_HugePageMemory)
#include "tst_huge_page_memory.moc"
