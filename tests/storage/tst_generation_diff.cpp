// Generation diff: shards built with the storage API (append, compact,
// delete, append again) where the test knows what each key went through, and
// a copy of the reference's compacted fixture compared against the
// independent reader's view of both generations.
#include "directory.h"
#include "format.h"
#include "generation_diff.h"
#include "shard.h"
#include "test_support.h"

#include "independent_reader.h"

#include <QTemporaryDir>

#include <map>

using namespace shardscope;
using namespace testsupport;

Q_DECLARE_METATYPE(shardscope::DiffKind)

namespace shardscope {
inline char *toString(DiffKind kind)
{
    return qstrdup(diffKindName(kind));
}
} // namespace shardscope

namespace {

constexpr ShardGeometry kSmall {128, 64 * 1024};

// Keys whose format order is their number: word 0 decides.
Key key(uint64_t n)
{
    return Key({n, 0x5eed, n * 31 + 7});
}

std::vector<uint8_t> bytes(const std::string &s)
{
    return {s.begin(), s.end()};
}

const DiffEntry *entryFor(const GenerationDiff &diff, const Key &k)
{
    for (const DiffEntry &e : diff.entries) {
        if (e.key == k)
            return &e;
    }
    return nullptr;
}

// Where a live key sits in the shard as it is now (slot, offset, len).
std::optional<DiffSlot> placeOf(const QString &path, const Key &k)
{
    auto shard = Shard::openReadOnly(str(path));
    if (!shard)
        return std::nullopt;
    const auto slot = shard->find(k);
    if (!slot)
        return std::nullopt;
    const Entry e = shard->entry(*slot);
    return DiffSlot {*slot, e.offset, e.len};
}

} // namespace

class TestGenerationDiff : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsGenerations();
    void listSkipsIncompleteAndForeignNames_data();
    void listSkipsIncompleteAndForeignNames();
    void builtShard_data();
    void builtShard();
    void builtShardCounts();
    void sameGenerationIsUnchanged();
    void otherGenerationSlotsPastTableLen();
    void damagedRangeIsCounted();
    void zeroKeyIsDamaged();
    void shadowedDuplicates();
    void missingGeneration();
    void referenceCompacted();

private:
    // Builds the scenario below once per test function that needs it.
    QString buildShard(QTemporaryDir &tmp);
    std::map<uint64_t, std::optional<DiffSlot>> m_gen0; // where each key sat when generation 0 was current
};

// gen 0: append 1, 9, 5, 3, 7, 2; delete 5.
// compact -> gen 1 (sorted: 1 2 3 7 9).
// gen 1: delete 9; delete 7 and append 7 with other bytes; append 4.
// So from 0 to 1: 1 unchanged (slot 0, offset 0 in both), 2 and 3 moved,
// 7 changed, 9 removed, 4 added, 5 in neither (a tombstone is no entry).
QString TestGenerationDiff::buildShard(QTemporaryDir &tmp)
{
    const QString path = tmp.path() + QStringLiteral("/shard");
    if (!QDir().mkpath(path))
        return {};
    auto shard = Shard::hydrate(str(path), kSmall);
    if (!shard)
        return {};
    const std::vector<std::pair<uint64_t, std::string>> first {
        {1, "first entry"}, {9, "nine"}, {5, "five, soon gone"}, {3, "three three"}, {7, "seven"}, {2, "two"}};
    for (const auto &[n, text] : first) {
        if (!shard->append(key(n), bytes(text)).value_or(false))
            return {};
    }
    if (!shard->flush() || !shard->remove(key(5)).value_or(false) || !shard->flush())
        return {};
    m_gen0.clear();
    for (const auto &[n, text] : first)
        m_gen0[n] = placeOf(path, key(n));
    if (!shard->compact())
        return {};
    if (!shard->remove(key(9)).value_or(false) || !shard->remove(key(7)).value_or(false))
        return {};
    if (!shard->append(key(7), bytes("seven, rewritten")).value_or(false)
        || !shard->append(key(4), bytes("four")).value_or(false))
        return {};
    if (!shard->flush())
        return {};
    return path;
}

void TestGenerationDiff::listsGenerations()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = buildShard(tmp);
    QVERIFY(!path.isEmpty());
    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    COMPARE_OK(listGenerations(*dir), (std::vector<uint32_t> {0, 1}));
}

void TestGenerationDiff::listSkipsIncompleteAndForeignNames_data()
{
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<QStringList>("dirs");
    QTest::addColumn<std::vector<uint32_t>>("expected");

    QTest::newRow("none") << QStringList {QStringLiteral("MF")} << QStringList {} << std::vector<uint32_t> {};
    QTest::newRow("pairs, unsorted creation") << QStringList {QStringLiteral("0000000a.pack"),
        QStringLiteral("0000000a.slot"), QStringLiteral("00000002.slot"), QStringLiteral("00000002.pack")}
                                              << QStringList {} << std::vector<uint32_t> {2, 10};
    QTest::newRow("table without pack and pack without table") << QStringList {QStringLiteral("00000001.slot"),
        QStringLiteral("00000003.pack"), QStringLiteral("00000004.slot"), QStringLiteral("00000004.pack")}
                                                               << QStringList {} << std::vector<uint32_t> {4};
    QTest::newRow("upper-case hex, short names, temporaries") << QStringList {QStringLiteral("0000000A.slot"),
        QStringLiteral("0000000A.pack"), QStringLiteral("0001.slot"), QStringLiteral("0001.pack"),
        QStringLiteral("00000005.slot.tmp"), QStringLiteral("00000005.pack"), QStringLiteral("ffffffff.slot"),
        QStringLiteral("ffffffff.pack")} << QStringList {} << std::vector<uint32_t> {0xffffffffu};
    QTest::newRow("a directory named like a table")
        << QStringList {QStringLiteral("00000006.pack")}
        << QStringList {QStringLiteral("00000006.slot"), QStringLiteral("ab")} << std::vector<uint32_t> {};
}

void TestGenerationDiff::listSkipsIncompleteAndForeignNames()
{
    QFETCH(QStringList, files);
    QFETCH(QStringList, dirs);
    QFETCH(std::vector<uint32_t>, expected);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    for (const QString &f : files)
        QVERIFY(writeFile(tmp.path() + u'/' + f, QByteArray(32, '\0')));
    for (const QString &d : dirs)
        QVERIFY(QDir(tmp.path()).mkdir(d));
    auto dir = Directory::open(str(tmp.path()));
    CHECK_OK(dir);
    COMPARE_OK(listGenerations(*dir), expected);
}

void TestGenerationDiff::builtShard_data()
{
    QTest::addColumn<quint64>("n");
    QTest::addColumn<DiffKind>("kind");
    QTest::newRow("1: same slot and offset") << quint64(1) << DiffKind::Unchanged;
    QTest::newRow("2: compaction moved it") << quint64(2) << DiffKind::Moved;
    QTest::newRow("3: compaction moved it") << quint64(3) << DiffKind::Moved;
    QTest::newRow("7: deleted and appended again") << quint64(7) << DiffKind::Changed;
    QTest::newRow("9: deleted after compaction") << quint64(9) << DiffKind::Removed;
    QTest::newRow("4: appended after compaction") << quint64(4) << DiffKind::Added;
}

void TestGenerationDiff::builtShard()
{
    QFETCH(quint64, n);
    QFETCH(DiffKind, kind);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = buildShard(tmp);
    QVERIFY(!path.isEmpty());
    const auto before = snapshotTree(path);
    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    auto diff = diffGenerations(*dir, 0, 1);
    CHECK_OK(diff);
    QCOMPARE(snapshotTree(path), before); // read-only: not even an mtime changed

    const DiffEntry *e = entryFor(*diff, key(n));
    QVERIFY(e);
    QCOMPARE(e->kind, kind);
    QVERIFY(!e->problem);
    const auto oldPlace = m_gen0.count(n) ? m_gen0[n] : std::nullopt;
    const auto newPlace = placeOf(path, key(n));
    QCOMPARE(e->oldSlot.has_value(), kind != DiffKind::Added);
    QCOMPARE(e->newSlot.has_value(), kind != DiffKind::Removed);
    if (e->oldSlot) {
        QVERIFY(oldPlace);
        QCOMPARE(e->oldSlot->slot, oldPlace->slot);
        QCOMPARE(e->oldSlot->offset, oldPlace->offset);
        QCOMPARE(e->oldSlot->len, oldPlace->len);
    }
    if (e->newSlot) {
        QVERIFY(newPlace);
        QCOMPARE(e->newSlot->slot, newPlace->slot);
        QCOMPARE(e->newSlot->offset, newPlace->offset);
        QCOMPARE(e->newSlot->len, newPlace->len);
    }

    // The other way round, added and removed swap places; the rest keep their kind.
    auto back = diffGenerations(*dir, 1, 0);
    CHECK_OK(back);
    const DiffEntry *r = entryFor(*back, key(n));
    QVERIFY(r);
    const DiffKind reversed
        = kind == DiffKind::Added ? DiffKind::Removed : (kind == DiffKind::Removed ? DiffKind::Added : kind);
    QCOMPARE(r->kind, reversed);
    QCOMPARE(r->oldSlot, e->newSlot);
    QCOMPARE(r->newSlot, e->oldSlot);
}

void TestGenerationDiff::builtShardCounts()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = buildShard(tmp);
    QVERIFY(!path.isEmpty());
    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    auto diff = diffGenerations(*dir, 0, 1);
    CHECK_OK(diff);
    QCOMPARE(diff->count(DiffKind::Added), 1u);
    QCOMPARE(diff->count(DiffKind::Removed), 1u);
    QCOMPARE(diff->count(DiffKind::Moved), 2u);
    QCOMPARE(diff->count(DiffKind::Changed), 1u);
    QCOMPARE(diff->count(DiffKind::Unchanged), 1u);
    QCOMPARE(diff->count(DiffKind::Damaged), 0u);
    QCOMPARE(diff->entries.size(), size_t(6));
    // The deleted key 5 is a tombstone in generation 0: no entry at all.
    QVERIFY(!entryFor(*diff, key(5)));
    // Sorted by key.
    for (size_t i = 1; i < diff->entries.size(); ++i)
        QVERIFY(diff->entries[i - 1].key < diff->entries[i].key);

    // Generation 1 is current: its manifest's table_len (5 compacted, then
    // 2 appends) bounds it; generation 0 is looked at up to its capacity.
    auto shard = Shard::openReadOnly(str(path));
    CHECK_OK(shard);
    QCOMPARE(shard->generation(), 1u);
    QVERIFY(diff->newByTableLen);
    QCOMPARE(diff->newSlotsScanned, shard->tableLen());
    QCOMPARE(diff->newSlotsScanned, 7u);
    QVERIFY(!diff->oldByTableLen);
    QCOMPARE(diff->oldSlotsScanned, kSmall.tableSlots);
    QCOMPARE(diff->oldGeneration, 0u);
    QCOMPARE(diff->newGeneration, 1u);
}

void TestGenerationDiff::sameGenerationIsUnchanged()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = buildShard(tmp);
    QVERIFY(!path.isEmpty());
    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    auto diff = diffGenerations(*dir, 1, 1);
    CHECK_OK(diff);
    // 1 2 3 4 7 live in generation 1.
    QCOMPARE(diff->entries.size(), size_t(5));
    QCOMPARE(diff->count(DiffKind::Unchanged), 5u);
}

void TestGenerationDiff::otherGenerationSlotsPastTableLen()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = buildShard(tmp);
    QVERIFY(!path.isEmpty());
    // An append generation 0's writer made and never committed: slot 40,
    // far past the six committed slots, pointing at bytes of key 1.
    QByteArray slot(32, '\0');
    const Key stray = key(100);
    stray.toBytes(reinterpret_cast<uint8_t *>(slot.data()));
    slot.replace(24, 4, u32le(0));
    slot.replace(28, 4, u32le(5));
    QVERIFY(patchFile(path + QStringLiteral("/00000000.slot"), 40 * 32, slot));

    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    // By the rule for a generation that is not current: every non-blank slot.
    auto all = diffGenerations(*dir, 0, 1);
    CHECK_OK(all);
    const DiffEntry *e = entryFor(*all, stray);
    QVERIFY(e);
    QCOMPARE(e->kind, DiffKind::Removed);
    QCOMPARE(e->oldSlot->slot, 40u);
    // With generation 0's own table_len (6) the stray slot is not looked at.
    auto bounded = diffGenerations(*dir, 0, 6u, 1, std::nullopt);
    CHECK_OK(bounded);
    QVERIFY(!entryFor(*bounded, stray));
    QCOMPARE(bounded->oldSlotsScanned, 6u);
    QVERIFY(bounded->oldByTableLen);
    QCOMPARE(bounded->count(DiffKind::Removed), 1u);
    // A table_len past the capacity is capped, not read past the table.
    auto capped = diffGenerations(*dir, 0, 100000u, 1, 100000u);
    CHECK_OK(capped);
    QCOMPARE(capped->oldSlotsScanned, kSmall.tableSlots);
}

void TestGenerationDiff::damagedRangeIsCounted()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = buildShard(tmp);
    QVERIFY(!path.isEmpty());
    // Key 2's slot in generation 0 points past the 64 KiB pack.
    const auto place = m_gen0[2];
    QVERIFY(place);
    const uint32_t badOffset = 70000;
    QVERIFY(patchFile(path + QStringLiteral("/00000000.slot"), qint64(place->slot) * 32 + 24, u32le(badOffset)));
    // And key 3's slot in generation 1 ends one byte past it.
    const auto place3 = placeOf(path, key(3));
    QVERIFY(place3);
    const uint32_t nearEnd = kSmall.packSize - place3->len + 1;
    QVERIFY(patchFile(path + QStringLiteral("/00000001.slot"), qint64(place3->slot) * 32 + 24, u32le(nearEnd)));

    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    auto diff = diffGenerations(*dir, 0, 1);
    CHECK_OK(diff);
    QCOMPARE(diff->count(DiffKind::Damaged), 2u);
    QCOMPARE(diff->count(DiffKind::Moved), 0u);

    const DiffEntry *two = entryFor(*diff, key(2));
    QVERIFY(two);
    QCOMPARE(two->kind, DiffKind::Damaged);
    QVERIFY(two->problem);
    QCOMPARE(two->problem->file, dir->filePath(packFileName(0)));
    QCOMPARE(two->problem->offset, std::optional<uint64_t>(badOffset));
    QCOMPARE(two->oldSlot->offset, badOffset);
    QVERIFY(two->newSlot);

    const DiffEntry *three = entryFor(*diff, key(3));
    QVERIFY(three);
    QCOMPARE(three->kind, DiffKind::Damaged);
    QCOMPARE(three->problem->file, dir->filePath(packFileName(1)));
    QCOMPARE(three->problem->offset, std::optional<uint64_t>(nearEnd));
}

void TestGenerationDiff::zeroKeyIsDamaged()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = buildShard(tmp);
    QVERIFY(!path.isEmpty());
    // A slot in generation 1 with a zero key and a valid range.
    QByteArray slot(32, '\0');
    slot.replace(24, 4, u32le(0));
    slot.replace(28, 4, u32le(3));
    QVERIFY(patchFile(path + QStringLiteral("/00000001.slot"), 2 * 32, slot));
    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    auto diff = diffGenerations(*dir, 0, 1);
    CHECK_OK(diff);
    QCOMPARE(diff->count(DiffKind::Damaged), 1u);
    const DiffEntry &first = diff->entries.front(); // the zero key sorts first
    QCOMPARE(first.kind, DiffKind::Damaged);
    QVERIFY(first.key.isZero());
    QCOMPARE(first.newSlot->slot, 2u);
    QCOMPARE(first.problem->file, dir->filePath(tableFileName(1)));
    QCOMPARE(first.problem->offset, std::optional<uint64_t>(2 * 32));
    // Key 3 sat in slot 2 and is gone from generation 1 now: removed.
    QCOMPARE(entryFor(*diff, key(3))->kind, DiffKind::Removed);
}

void TestGenerationDiff::shadowedDuplicates()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = buildShard(tmp);
    QVERIFY(!path.isEmpty());
    // Slot 10 of generation 0 repeats key 1 with other bytes: a lookup
    // finds slot 0 first, so the diff must too.
    QByteArray slot(32, '\0');
    key(1).toBytes(reinterpret_cast<uint8_t *>(slot.data()));
    slot.replace(24, 4, u32le(2));
    slot.replace(28, 4, u32le(4));
    QVERIFY(patchFile(path + QStringLiteral("/00000000.slot"), 10 * 32, slot));
    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    auto diff = diffGenerations(*dir, 0, 1);
    CHECK_OK(diff);
    QCOMPARE(diff->shadowed, 1u);
    QCOMPARE(entryFor(*diff, key(1))->kind, DiffKind::Unchanged);
    QCOMPARE(entryFor(*diff, key(1))->oldSlot->slot, 0u);
}

void TestGenerationDiff::missingGeneration()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = buildShard(tmp);
    QVERIFY(!path.isEmpty());
    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    auto diff = diffGenerations(*dir, 0, 7);
    QVERIFY(!diff);
    QCOMPARE(diff.error().file, dir->filePath(tableFileName(7)));
    // Only the pack missing: that file is named.
    QVERIFY(QFile::remove(path + QStringLiteral("/00000000.pack")));
    auto noPack = diffGenerations(*dir, 0, 1);
    QVERIFY(!noPack);
    QCOMPARE(noPack.error().file, dir->filePath(packFileName(0)));
    COMPARE_OK(listGenerations(*dir), std::vector<uint32_t> {1});
}

void TestGenerationDiff::referenceCompacted()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = copyFixture(tmp.path(), QStringLiteral("compacted"));
    QVERIFY(!path.isEmpty());
    const auto before = snapshotTree(path);
    auto dir = Directory::open(str(path));
    CHECK_OK(dir);
    COMPARE_OK(listGenerations(*dir), (std::vector<uint32_t> {0, 1}));
    auto diff = diffGenerations(*dir, 0, 1);
    CHECK_OK(diff);
    QCOMPARE(snapshotTree(path), before);

    // What the independent reader sees: generation 1 up to the manifest's
    // table_len, generation 0 over its whole table (blank slots skipped).
    independent::ShardImage current;
    std::string error;
    QVERIFY2(independent::readShard(str(path), current, error), error.c_str());
    QCOMPARE(current.gen, 1u);
    independent::ShardImage old;
    // A count past the capacity reads the whole table.
    QVERIFY2(independent::readGeneration(str(path), 0, UINT32_MAX, old, error), error.c_str());

    auto liveOf = [](const independent::ShardImage &img) {
        std::map<std::string, const independent::Slot *> out;
        for (const auto &s : img.entries) {
            const bool blank = s.offset == 0 && s.len == 0 && s.key == independent::KeyBytes {};
            if (s.tombstone || blank)
                continue;
            out.emplace(independent::hex(s.key.data(), s.key.size()), &s);
        }
        return out;
    };
    const auto oldLive = liveOf(old);
    const auto newLive = liveOf(current);
    QCOMPARE(oldLive.size(), size_t(40)); // 60 slots, 20 of them tombstones
    QCOMPARE(newLive.size(), size_t(40));

    std::array<uint32_t, kDiffKindCount> expected {};
    for (const auto &[hexKey, slot] : newLive) {
        const auto it = oldLive.find(hexKey);
        DiffKind kind = DiffKind::Added;
        if (it != oldLive.end()) {
            const auto *o = it->second;
            if (o->data != slot->data)
                kind = DiffKind::Changed;
            else if (o->index == slot->index && o->offset == slot->offset)
                kind = DiffKind::Unchanged;
            else
                kind = DiffKind::Moved;
        }
        ++expected[size_t(kind)];
        auto k = Key::fromHex(hexKey);
        QVERIFY(k);
        const DiffEntry *e = entryFor(*diff, *k);
        QVERIFY2(e, hexKey.c_str());
        QCOMPARE(e->kind, kind);
        QCOMPARE(e->newSlot->slot, slot->index);
        QCOMPARE(e->newSlot->offset, slot->offset);
        QCOMPARE(e->newSlot->len, slot->len);
        if (it != oldLive.end()) {
            QCOMPARE(e->oldSlot->slot, it->second->index);
            QCOMPARE(e->oldSlot->offset, it->second->offset);
        }
    }
    for (const auto &[hexKey, slot] : oldLive) {
        if (!newLive.count(hexKey))
            ++expected[size_t(DiffKind::Removed)];
    }
    QCOMPARE(diff->counts, expected);
    // Compaction keeps every live entry's bytes: nothing added, removed or changed.
    QCOMPARE(diff->count(DiffKind::Added) + diff->count(DiffKind::Removed) + diff->count(DiffKind::Changed), 0u);
    QCOMPARE(diff->count(DiffKind::Moved) + diff->count(DiffKind::Unchanged), 40u);
}

QTEST_GUILESS_MAIN(TestGenerationDiff)
#include "tst_generation_diff.moc"
