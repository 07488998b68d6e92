// Repairs: each damage is made with our own writer plus byte surgery, then
// repaired. A repaired shard must check clean (infos only), the independent
// FORMAT.md reader must read every valid entry's bytes intact, the salvage
// folder must hold what was left out byte for byte, the old generation's
// files and the old manifest copy must not change, and a dry run must change
// nothing at all.
#include "test_support.h"

#include "checker.h"
#include "entry.h"
#include "independent_reader.h"
#include "repair.h"
#include "shard.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace shardscope;
using namespace testsupport;

namespace {

constexpr uint32_t kSlots = 16;
constexpr uint32_t kPack = 4096;

enum class Damage {
    None,
    Overlap,
    OutOfBounds,
    OffsetOverflow,
    ZeroKey,
    DuplicateKey,
    TableLenBeyondCapacity,
    DirtyTombstone,
    UncommittedIntact,
    UncommittedMixed,
    UncommittedOverlapEachOther,
    UncommittedDuplicates,
    NoManifest,
    UncommittedWithDamagedCommitted,
    ActiveTableMissing,
    ActivePackMissing,
    ActiveGenerationNeverWritten,
};

struct Blob {
    Key key;
    QByteArray data;
};

// What a repair is expected to do.
struct Expected {
    uint32_t generation = 0; // current afterwards
    std::vector<int> live; // slots of the old table whose entries are live afterwards
    std::vector<int> salvaged; // slots salvaged, ascending
    QStringList codes; // their codes, same order
};

QByteArray entryBytes(const Entry &e)
{
    QByteArray b(32, '\0');
    e.encodeTo(reinterpret_cast<uint8_t *>(b.data()));
    return b;
}

// The copy readers take: the greater nonce, A on a tie.
int activeCopy(const QByteArray &mf)
{
    return readU64(mf, 32) > readU64(mf, 0) ? 1 : 0;
}

class Fixture
{
public:
    explicit Fixture(const QTemporaryDir &tmp) : root(tmp.path()), dir(tmp.filePath(QStringLiteral("shard"))) { }

    // A shard of 16 slots and a 4 KiB pack holding `count` entries, flushed.
    bool make(int count, bool compactOnce)
    {
        if (!QDir(root).mkdir(QStringLiteral("shard")))
            return false;
        auto shard = Shard::hydrate(str(dir), {kSlots, kPack});
        if (!shard)
            return false;
        std::mt19937_64 rng(count * 7919 + 1);
        const int lens[] = {40, 70, 0, 120, 33, 90, 64, 10, 25, 17, 80, 5, 60, 44, 12, 9};
        for (int i = 0; i < count; ++i) {
            Blob b {randomKey(rng), toByteArray(randomBytes(rng, size_t(lens[i])))};
            if (!shard->append(b.key, bytesOf(b.data)).value_or(false))
                return false;
            blobs.push_back(b);
        }
        if (!shard->flush())
            return false;
        if (compactOnce && !shard->compact())
            return false;
        return true;
    }

    QString file(const QString &name) const { return dir + u'/' + name; }
    QString table(uint32_t gen = 0) const { return file(QString::fromStdString(tableFileName(gen))); }
    QString pack(uint32_t gen = 0) const { return file(QString::fromStdString(packFileName(gen))); }

    Entry slot(int i) const
    {
        const QByteArray t = readFile(table());
        return Entry::decode(reinterpret_cast<const uint8_t *>(t.constData()) + i * 32);
    }
    bool setSlot(int i, const Entry &e) const { return patchFile(table(), qint64(i) * 32, entryBytes(e)); }
    bool setTableLen(uint32_t len) const
    {
        const QByteArray mf = readFile(file(QStringLiteral("MF")));
        return patchFile(file(QStringLiteral("MF")), activeCopy(mf) * 32 + 12, u32le(len));
    }

    QString root;
    QString dir;
    std::vector<Blob> blobs; // blobs[i] went to slot i of generation 0
};

// Damages the fixture; returns what the repair of `kind` should leave.
bool applyDamage(Fixture &f, Damage d, RepairKind kind, Expected &x)
{
    auto all = [](int n) {
        std::vector<int> v(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i)
            v[size_t(i)] = i;
        return v;
    };
    auto without = [](std::vector<int> v, std::initializer_list<int> drop) {
        for (int s : drop)
            v.erase(std::remove(v.begin(), v.end(), s), v.end());
        return v;
    };
    x.generation = 1;
    switch (d) {
    case Damage::None:
        x.generation = 0;
        x.live = all(8);
        return f.make(8, false);
    case Damage::Overlap: {
        if (!f.make(8, false))
            return false;
        // Slot 5 takes slot 1's bytes: both sides are left out.
        Entry e = f.slot(5);
        e.offset = f.slot(1).offset;
        e.len = f.slot(1).len;
        x.live = without(all(8), {1, 5});
        x.salvaged = {1, 5};
        x.codes = {QStringLiteral("entries-overlap"), QStringLiteral("entries-overlap")};
        return f.setSlot(5, e);
    }
    case Damage::OutOfBounds: {
        if (!f.make(8, false))
            return false;
        Entry e = f.slot(3);
        e.len = kPack; // from offset 110: past the end, 3986 bytes readable
        x.live = without(all(8), {3});
        x.salvaged = {3};
        x.codes = {QStringLiteral("entry-out-of-bounds")};
        return f.setSlot(3, e);
    }
    case Damage::OffsetOverflow: {
        if (!f.make(8, false))
            return false;
        Entry e = f.slot(6);
        e.offset = 0xFFFFFFF0u;
        e.len = 0x20;
        x.live = without(all(8), {6});
        x.salvaged = {6};
        x.codes = {QStringLiteral("entry-out-of-bounds")};
        return f.setSlot(6, e);
    }
    case Damage::ZeroKey: {
        if (!f.make(8, false))
            return false;
        Entry e = f.slot(4);
        e.key = Key {};
        x.live = without(all(8), {4});
        x.salvaged = {4};
        x.codes = {QStringLiteral("zero-key")};
        return f.setSlot(4, e);
    }
    case Damage::DuplicateKey: {
        if (!f.make(8, false))
            return false;
        // Slot 6 repeats slot 1's key: readers see slot 1, and so does the new generation.
        Entry e = f.slot(6);
        e.key = f.slot(1).key;
        x.live = without(all(8), {6});
        x.salvaged = {6};
        x.codes = {QStringLiteral("duplicate-key")};
        return f.setSlot(6, e);
    }
    case Damage::TableLenBeyondCapacity:
        // The reference writer's failed append on a full table.
        x.live = all(int(kSlots));
        return f.make(int(kSlots), false) && f.setTableLen(kSlots + 1);
    case Damage::DirtyTombstone: {
        if (!f.make(8, false))
            return false;
        Entry t = Entry::tombstone();
        t.len = 7;
        x.live = without(all(8), {2});
        return f.setSlot(2, t);
    }
    case Damage::UncommittedIntact:
        // Slots 5..7 written, never committed.
        x.live = kind == RepairKind::AdoptUncommitted ? all(8) : all(5);
        if (kind != RepairKind::AdoptUncommitted)
            x.generation = 0; // rebuild finds nothing to mend
        return f.make(8, false) && f.setTableLen(5);
    case Damage::UncommittedMixed: {
        if (!f.make(8, false) || !f.setTableLen(4))
            return false;
        Entry oob = f.slot(5);
        oob.len = kPack;
        Entry overlapping = f.slot(6);
        overlapping.offset = f.slot(1).offset + 3;
        Entry zero = f.slot(7);
        zero.key = Key {};
        x.live = {0, 1, 2, 3, 4};
        x.salvaged = {5, 6, 7};
        x.codes
            = {QStringLiteral("entry-out-of-bounds"), QStringLiteral("entries-overlap"), QStringLiteral("zero-key")};
        return f.setSlot(5, oob) && f.setSlot(6, overlapping) && f.setSlot(7, zero);
    }
    case Damage::UncommittedOverlapEachOther: {
        if (!f.make(8, false) || !f.setTableLen(5))
            return false;
        Entry e = f.slot(6);
        e.offset = f.slot(5).offset + 10;
        x.live = without(all(8), {5, 6});
        x.salvaged = {5, 6};
        x.codes = {QStringLiteral("entries-overlap"), QStringLiteral("entries-overlap")};
        return f.setSlot(6, e);
    }
    case Damage::UncommittedDuplicates: {
        if (!f.make(8, false) || !f.setTableLen(5))
            return false;
        Entry committedKey = f.slot(6);
        committedKey.key = f.slot(2).key;
        Entry sameAsFive = f.slot(7);
        sameAsFive.key = f.slot(5).key;
        x.live = {0, 1, 2, 3, 4, 5};
        x.salvaged = {6, 7};
        x.codes = {QStringLiteral("duplicate-key"), QStringLiteral("duplicate-key")};
        return f.setSlot(6, committedKey) && f.setSlot(7, sameAsFive);
    }
    case Damage::NoManifest:
        // Appends of a writer that stopped before its first flush.
        x.live = all(8);
        return f.make(8, false) && QFile::remove(f.file(QStringLiteral("MF")));
    case Damage::UncommittedWithDamagedCommitted: {
        if (!f.make(8, false) || !f.setTableLen(6))
            return false;
        Entry e = f.slot(3);
        e.len = kPack;
        x.live = without(all(kind == RepairKind::AdoptUncommitted ? 8 : 6), {3});
        x.salvaged = {3};
        x.codes = {QStringLiteral("entry-out-of-bounds")};
        return f.setSlot(3, e);
    }
    case Damage::ActiveTableMissing:
        x.generation = 0;
        x.live = all(8);
        return f.make(8, true) && QFile::remove(f.table(1));
    case Damage::ActivePackMissing:
        x.generation = 0;
        x.live = all(8);
        return f.make(8, true) && QFile::remove(f.pack(1));
    case Damage::ActiveGenerationNeverWritten: {
        if (!f.make(8, true))
            return false;
        // The active copy names generation 7, of which nothing exists.
        const QByteArray mf = readFile(f.file(QStringLiteral("MF")));
        x.generation = 0;
        x.live = all(8);
        return patchFile(f.file(QStringLiteral("MF")), activeCopy(mf) * 32 + 8, u32le(7));
    }
    }
    return false;
}

// The output directory a repair made beside the shard, if any.
QString siblingOutDir(const Fixture &f)
{
    const QStringList found
        = QDir(f.root).entryList({QStringLiteral("shard.repair-*")}, QDir::Dirs | QDir::NoDotAndDotDot);
    return found.size() == 1 ? f.root + u'/' + found.first() : QString();
}

} // namespace

Q_DECLARE_METATYPE(Damage)
Q_DECLARE_METATYPE(RepairKind)

class TestRepair : public QObject
{
    Q_OBJECT

private slots:
    void repair_data();
    void repair();
    void nothingToRepair_data();
    void nothingToRepair();
    void refusesWithoutUsableGeneration();
    void previousManifestNeedsASoundCopy();
    void outDirMustNotBeInsideShard();
    void outDirMustBeEmpty();
    void explicitOutDir();
    void newGenerationSkipsExistingFiles();
    void refusesWhenShardChangedSincePlan();
    void repairedShardTakesWrites();
};

void TestRepair::repair_data()
{
    QTest::addColumn<Damage>("damage");
    QTest::addColumn<RepairKind>("kind");

    QTest::newRow("rebuild: overlap") << Damage::Overlap << RepairKind::Rebuild;
    QTest::newRow("rebuild: out of bounds") << Damage::OutOfBounds << RepairKind::Rebuild;
    QTest::newRow("rebuild: offset+len overflows u32") << Damage::OffsetOverflow << RepairKind::Rebuild;
    QTest::newRow("rebuild: zero key") << Damage::ZeroKey << RepairKind::Rebuild;
    QTest::newRow("rebuild: duplicate key") << Damage::DuplicateKey << RepairKind::Rebuild;
    QTest::newRow("rebuild: table_len beyond capacity") << Damage::TableLenBeyondCapacity << RepairKind::Rebuild;
    QTest::newRow("rebuild: dirty tombstone") << Damage::DirtyTombstone << RepairKind::Rebuild;
    QTest::newRow("rebuild: damaged committed, uncommitted left")
        << Damage::UncommittedWithDamagedCommitted << RepairKind::Rebuild;
    QTest::newRow("adopt: intact uncommitted") << Damage::UncommittedIntact << RepairKind::AdoptUncommitted;
    QTest::newRow("adopt: out of bounds, overlapping committed, zero key")
        << Damage::UncommittedMixed << RepairKind::AdoptUncommitted;
    QTest::newRow("adopt: uncommitted overlap each other")
        << Damage::UncommittedOverlapEachOther << RepairKind::AdoptUncommitted;
    QTest::newRow("adopt: duplicate keys") << Damage::UncommittedDuplicates << RepairKind::AdoptUncommitted;
    QTest::newRow("adopt: no MF yet") << Damage::NoManifest << RepairKind::AdoptUncommitted;
    QTest::newRow("adopt: table_len beyond capacity") << Damage::TableLenBeyondCapacity << RepairKind::AdoptUncommitted;
    QTest::newRow("adopt: damaged committed too")
        << Damage::UncommittedWithDamagedCommitted << RepairKind::AdoptUncommitted;
    QTest::newRow("previous manifest: table missing") << Damage::ActiveTableMissing << RepairKind::PreviousManifest;
    QTest::newRow("previous manifest: pack missing") << Damage::ActivePackMissing << RepairKind::PreviousManifest;
    QTest::newRow("previous manifest: generation never written")
        << Damage::ActiveGenerationNeverWritten << RepairKind::PreviousManifest;
}

void TestRepair::repair()
{
    QFETCH(Damage, damage);
    QFETCH(RepairKind, kind);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    Fixture f(tmp);
    Expected x;
    QVERIFY(applyDamage(f, damage, kind, x));

    // Everything as it was before the repair.
    const QByteArray oldTable = readFile(f.table());
    const QByteArray oldPack = readFile(f.pack());
    const QByteArray oldMf = readFile(f.file(QStringLiteral("MF")));
    const auto before = snapshotTree(f.root);

    auto plan = planRepair(str(f.dir), kind);
    CHECK_OK(plan);
    QVERIFY(!plan->describe().empty());
    for (int s : x.salvaged)
        QVERIFY2(plan->describe().find("slot " + std::to_string(s)) != std::string::npos, plan->describe().c_str());
    QVERIFY2(snapshotTree(f.root) == before, "the dry run changed a file");
    QCOMPARE(plan->nothingToDo, x.generation == plan->generation && kind != RepairKind::PreviousManifest);

    auto result = applyRepair(*plan);
    CHECK_OK(result);
    QCOMPARE(result->generation, x.generation);

    // Checks clean: at most infos (the old generation's files are stale now).
    auto report = checkShard(str(f.dir));
    CHECK_OK(report);
    for (const Diagnostic &d : report->diagnostics)
        QVERIFY2(d.severity == Severity::Info, (d.code + ": " + d.message).c_str());

    // The independent reader sees exactly the valid entries, bytes intact.
    independent::ShardImage image;
    std::string error;
    QVERIFY2(independent::readShard(str(f.dir), image, error), error.c_str());
    QCOMPARE(image.gen, x.generation);
    QCOMPARE(image.entries.size(), x.live.size());
    std::set<QByteArray> liveKeys;
    for (int s : x.live) {
        const Blob &b = f.blobs[size_t(s)];
        independent::KeyBytes k {};
        b.key.toBytes(k.data());
        const independent::Slot *found = image.find(k);
        QVERIFY2(found, qPrintable(QStringLiteral("slot %1's key is not readable").arg(s)));
        QVERIFY(found->inPack);
        QCOMPARE(toByteArray(found->data), b.data);
        liveKeys.insert(toByteArray(k));
    }

    // The salvage holds what was left out, byte for byte.
    const QString out = siblingOutDir(f);
    QCOMPARE(out.isEmpty(), x.salvaged.empty());
    if (!x.salvaged.empty()) {
        QCOMPARE(result->outDir, str(out));
        const QJsonObject json = QJsonDocument::fromJson(readFile(out + QStringLiteral("/report.json"))).object();
        QCOMPARE(json.value(QStringLiteral("repair")).toString(), QString::fromLatin1(repairKindName(kind)));
        QCOMPARE(json.value(QStringLiteral("new_generation")).toInt(), int(x.generation));
        const QJsonArray items = json.value(QStringLiteral("salvaged")).toArray();
        QCOMPARE(items.size(), qsizetype(x.salvaged.size()));
        std::vector<int> salvagedSlots;
        QStringList codes;
        for (const QJsonValue &v : items) {
            const QJsonObject item = v.toObject();
            const int s = item.value(QStringLiteral("slot")).toInt();
            salvagedSlots.push_back(s);
            codes << item.value(QStringLiteral("code")).toString();
            const QByteArray raw = oldTable.mid(qsizetype(s) * 32, 32);
            QCOMPARE(readFile(out + u'/' + item.value(QStringLiteral("entry_file")).toString()), raw);
            const uint64_t offset = readU32(raw, 24);
            const uint64_t len = readU32(raw, 28);
            const uint64_t readable
                = offset < uint64_t(oldPack.size()) ? std::min<uint64_t>(len, uint64_t(oldPack.size()) - offset) : 0;
            QCOMPARE(uint64_t(item.value(QStringLiteral("bytes_len")).toInteger()), readable);
            QCOMPARE(item.value(QStringLiteral("complete")).toBool(), readable == len);
            if (readable > 0) {
                const QByteArray bytes = readFile(out + u'/' + item.value(QStringLiteral("bytes_file")).toString());
                QCOMPARE(bytes, oldPack.mid(qsizetype(offset), qsizetype(readable)));
                QCOMPARE(item.value(QStringLiteral("sha256")).toString().toLatin1(), sha256Hex(bytes));
            } else {
                QVERIFY(item.value(QStringLiteral("bytes_file")).isNull());
            }
        }
        std::sort(salvagedSlots.begin(), salvagedSlots.end());
        QCOMPARE(salvagedSlots, x.salvaged);
        QCOMPARE(codes, x.codes);
    }

    // The old generation's files and the old active manifest copy are untouched.
    QCOMPARE(readFile(f.table()), oldTable);
    QCOMPARE(readFile(f.pack()), oldPack);
    if (!oldMf.isEmpty()) {
        const QByteArray mf = readFile(f.file(QStringLiteral("MF")));
        const int was = activeCopy(oldMf);
        QCOMPARE(mf.mid(was * 32, 32), oldMf.mid(was * 32, 32));
        if (!plan->nothingToDo) {
            // The new commit went to the other copy, with a nonce above both.
            QCOMPARE(activeCopy(mf), 1 - was);
            QVERIFY(readU64(mf, (1 - was) * 32) > readU64(oldMf, 0));
            QVERIFY(readU64(mf, (1 - was) * 32) > readU64(oldMf, 32));
            QCOMPARE(int(readU64(mf, (1 - was) * 32) & 1), 1 - was);
        }
    }
}

void TestRepair::nothingToRepair_data()
{
    QTest::addColumn<RepairKind>("kind");
    QTest::newRow("adopt") << RepairKind::AdoptUncommitted;
    QTest::newRow("rebuild") << RepairKind::Rebuild;
    QTest::newRow("previous manifest") << RepairKind::PreviousManifest;
}

void TestRepair::nothingToRepair()
{
    QFETCH(RepairKind, kind);
    QTemporaryDir tmp;
    Fixture f(tmp);
    QVERIFY(f.make(8, false));
    // A tombstone is no damage: rebuild is not a compaction.
    {
        auto shard = Shard::openForWriting(str(f.dir));
        CHECK_OK(shard);
        COMPARE_OK(shard->remove(f.blobs[2].key), true);
        CHECK_OK(shard->flush());
    }
    const auto before = snapshotTree(f.root);
    auto plan = planRepair(str(f.dir), kind);
    CHECK_OK(plan);
    QVERIFY(plan->nothingToDo);
    QVERIFY2(plan->describe().find("nothing to repair") != std::string::npos, plan->describe().c_str());
    auto result = applyRepair(*plan);
    CHECK_OK(result);
    QCOMPARE(result->generation, 0u);
    QVERIFY(snapshotTree(f.root) == before);
}

void TestRepair::refusesWithoutUsableGeneration()
{
    QTemporaryDir tmp;
    Fixture f(tmp);
    Expected x;
    QVERIFY(applyDamage(f, Damage::ActiveTableMissing, RepairKind::Rebuild, x));
    const auto before = snapshotTree(f.root);
    for (RepairKind kind : {RepairKind::Rebuild, RepairKind::AdoptUncommitted}) {
        auto plan = planRepair(str(f.dir), kind);
        CHECK_ERROR(plan, ErrorKind::Corrupt);
        QVERIFY2(plan.error().message.find("--previous-manifest") != std::string::npos, plan.error().message.c_str());
        QCOMPARE(QString::fromStdString(plan.error().file), f.table(1));
    }
    QVERIFY(snapshotTree(f.root) == before);
}

void TestRepair::previousManifestNeedsASoundCopy()
{
    QTemporaryDir tmp;
    Fixture f(tmp);
    Expected x;
    QVERIFY(applyDamage(f, Damage::ActiveTableMissing, RepairKind::PreviousManifest, x));
    // Generation 0, which the other copy names, is gone too.
    QVERIFY(QFile::remove(f.pack(0)));
    const auto before = snapshotTree(f.root);
    auto plan = planRepair(str(f.dir), RepairKind::PreviousManifest);
    CHECK_ERROR(plan, ErrorKind::Corrupt);
    QVERIFY(snapshotTree(f.root) == before);
}

void TestRepair::outDirMustNotBeInsideShard()
{
    QTemporaryDir tmp;
    Fixture f(tmp);
    Expected x;
    QVERIFY(applyDamage(f, Damage::Overlap, RepairKind::Rebuild, x));
    const auto before = snapshotTree(f.root);
    for (const QString &out : {f.dir, f.dir + QStringLiteral("/salvage"), f.dir + QStringLiteral("/a/b/../..")}) {
        auto plan = planRepair(str(f.dir), RepairKind::Rebuild, {str(out)});
        CHECK_ERROR(plan, ErrorKind::Invalid);
    }
    QVERIFY(snapshotTree(f.root) == before);
}

void TestRepair::outDirMustBeEmpty()
{
    QTemporaryDir tmp;
    Fixture f(tmp);
    Expected x;
    QVERIFY(applyDamage(f, Damage::ZeroKey, RepairKind::Rebuild, x));
    const QString out = tmp.filePath(QStringLiteral("out"));
    QVERIFY(QDir().mkpath(out));
    QVERIFY(writeFile(out + QStringLiteral("/keep.txt"), "mine"));
    auto plan = planRepair(str(f.dir), RepairKind::Rebuild, {str(out)});
    CHECK_ERROR(plan, ErrorKind::Invalid);
    QCOMPARE(listDir(out), QStringList {QStringLiteral("keep.txt")});
}

void TestRepair::explicitOutDir()
{
    QTemporaryDir tmp;
    Fixture f(tmp);
    Expected x;
    QVERIFY(applyDamage(f, Damage::ZeroKey, RepairKind::Rebuild, x));
    const QString out = tmp.filePath(QStringLiteral("rescued"));
    auto plan = planRepair(str(f.dir), RepairKind::Rebuild, {str(out)});
    CHECK_OK(plan);
    QVERIFY(!QFileInfo::exists(out));
    auto result = applyRepair(*plan);
    CHECK_OK(result);
    QCOMPARE(listDir(out), (QStringList {QStringLiteral("report.json"), QStringLiteral("salvage")}));
    QCOMPARE(listDir(out + QStringLiteral("/salvage")),
        (QStringList {QStringLiteral("slot-00000004.bytes"), QStringLiteral("slot-00000004.entry")}));
    QCOMPARE(result->salvageFiles,
        (std::vector<std::string> {"report.json", "salvage/slot-00000004.entry", "salvage/slot-00000004.bytes"}));
    QVERIFY(siblingOutDir(f).isEmpty());
}

void TestRepair::newGenerationSkipsExistingFiles()
{
    QTemporaryDir tmp;
    Fixture f(tmp);
    Expected x;
    QVERIFY(applyDamage(f, Damage::Overlap, RepairKind::Rebuild, x));
    // A table of generation 1 that someone may still want (left by an
    // earlier --previous-manifest, say), and a pack of generation 2 half
    // written by a compaction that stopped before its commit.
    QVERIFY(writeFile(f.table(1), QByteArray(64, 'x')));
    QVERIFY(writeFile(f.pack(2) + QStringLiteral(".tmp"), "partial"));
    auto plan = planRepair(str(f.dir), RepairKind::Rebuild);
    CHECK_OK(plan);
    QCOMPARE(plan->newGeneration, 2u);
    auto result = applyRepair(*plan);
    CHECK_OK(result);
    QCOMPARE(result->generation, 2u);
    QCOMPARE(readFile(f.table(1)), QByteArray(64, 'x'));
    QVERIFY(!QFileInfo::exists(f.pack(2) + QStringLiteral(".tmp")));
    // Compaction takes the next free number the same way.
    auto shard = Shard::openForWriting(str(f.dir));
    CHECK_OK(shard);
    QVERIFY(writeFile(f.pack(3), "someone's"));
    auto compacted = shard->compact();
    CHECK_OK(compacted);
    QCOMPARE(compacted->newGeneration, 4u);
    QCOMPARE(readFile(f.pack(3)), QByteArray("someone's"));
}

void TestRepair::refusesWhenShardChangedSincePlan()
{
    QTemporaryDir tmp;
    Fixture f(tmp);
    Expected x;
    QVERIFY(applyDamage(f, Damage::UncommittedIntact, RepairKind::AdoptUncommitted, x));
    auto plan = planRepair(str(f.dir), RepairKind::AdoptUncommitted);
    CHECK_OK(plan);
    QVERIFY(!plan->nothingToDo);
    // Someone commits in between (here: table_len moved by hand).
    QVERIFY(f.setTableLen(6));
    const auto before = snapshotTree(f.root);
    CHECK_ERROR(applyRepair(*plan), ErrorKind::Invalid);
    QVERIFY(snapshotTree(f.root) == before);
}

void TestRepair::repairedShardTakesWrites()
{
    QTemporaryDir tmp;
    Fixture f(tmp);
    Expected x;
    QVERIFY(applyDamage(f, Damage::TableLenBeyondCapacity, RepairKind::Rebuild, x));
    // Our writer refuses a table_len beyond the table until it is repaired.
    CHECK_ERROR(Shard::openForWriting(str(f.dir)), ErrorKind::Corrupt);
    auto plan = planRepair(str(f.dir), RepairKind::Rebuild);
    CHECK_OK(plan);
    CHECK_OK(applyRepair(*plan));
    auto shard = Shard::openForWriting(str(f.dir));
    CHECK_OK(shard);
    QCOMPARE(shard->tableLen(), kSlots);
    CHECK_OK(shard->remove(f.blobs[0].key));
    CHECK_OK(shard->flush());
    CHECK_OK(shard->compact());
    CHECK_OK(shard->append(f.blobs[0].key, bytesOf(f.blobs[0].data)));
    CHECK_OK(shard->flush());
}

QTEST_GUILESS_MAIN(TestRepair)
#include "tst_repair.moc"
