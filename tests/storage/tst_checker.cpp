// The checker: one crafted fixture per diagnostic code, made with our own
// writer plus byte surgery, each asserting the code, severity, file, offset
// and slots; clean shards (the reference fixtures and our own) that must
// produce nothing but the expected infos; and a checker that changes nothing.
#include "test_support.h"

#include "checker.h"
#include "format.h"
#include "shard.h"
#include "store.h"

#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>

using namespace shardscope;
using namespace testsupport;

namespace {

// Damages the shard (or store) below the directory it is given.
using Damage = std::function<bool(const QString &dir)>;

struct Expected {
    Expected() = default;
    Expected(const char *code, Severity severity, const char *file, qint64 offset = -1, qint64 slot = -1,
        qint64 otherSlot = -1, const char *shard = "")
        : code(QString::fromLatin1(code))
        , severity(severity)
        , file(QString::fromLatin1(file))
        , offset(offset)
        , slot(slot)
        , otherSlot(otherSlot)
        , shard(QString::fromLatin1(shard))
    { }

    QString code;
    Severity severity = Severity::Error;
    QString file;
    qint64 offset = -1; // -1: none
    qint64 slot = -1;
    qint64 otherSlot = -1;
    QString shard;
};

} // namespace

Q_DECLARE_METATYPE(Damage)
Q_DECLARE_METATYPE(Expected)

namespace {

constexpr uint32_t kSlots = 16;
constexpr uint32_t kPackSize = 4096;

Key keyOf(uint32_t i)
{
    return Key({0x0101010101010101ull * (i + 1), 0x1111, 0x2222});
}

// Entry i holds (i+1)*10 bytes of value i+1, appended in order: with four
// entries, slots [0,10) [10,30) [30,60) [60,100).
QByteArray dataOf(uint32_t i)
{
    return QByteArray(int(i + 1) * 10, char(i + 1));
}

// A committed shard of our own writer with `entries` entries (flushed once,
// so MF holds copy B, nonce 1, and a blank copy A).
bool makeShard(const QString &dir, uint32_t entries = 4, uint32_t tableSlots = kSlots, uint32_t packSize = kPackSize)
{
    if (!QDir().mkpath(dir))
        return false;
    auto shard = Shard::hydrate(str(dir), ShardGeometry {tableSlots, packSize});
    if (!shard)
        return false;
    for (uint32_t i = 0; i < entries; ++i) {
        const QByteArray d = dataOf(i);
        auto r = shard->append(keyOf(i), bytesOf(d));
        if (!r || !*r)
            return false;
    }
    return shard->flush().has_value();
}

QString mf(const QString &dir)
{
    return dir + "/MF";
}
QString table(const QString &dir, uint32_t gen = 0)
{
    return dir + u'/' + QString::fromStdString(tableFileName(gen));
}
QString pack(const QString &dir, uint32_t gen = 0)
{
    return dir + u'/' + QString::fromStdString(packFileName(gen));
}

QByteArray slotBytes(const Key &key, uint32_t offset, uint32_t len)
{
    const auto k = key.bytes();
    return QByteArray(reinterpret_cast<const char *>(k.data()), int(k.size())) + u32le(offset) + u32le(len);
}

bool resize(const QString &path, qint64 size)
{
    return ::truncate(QFile::encodeName(path).constData(), off_t(size)) == 0;
}

// Sorted codes of a report, one per diagnostic.
QStringList codesOf(const CheckReport &report)
{
    QStringList codes;
    for (const Diagnostic &d : report.diagnostics)
        codes << QString::fromStdString(d.code);
    codes.sort();
    return codes;
}

QString describe(const CheckReport &report)
{
    QString text;
    for (const Diagnostic &d : report.diagnostics)
        text += QStringLiteral("\n  %1 %2 [%3] %4")
                    .arg(QString::fromStdString(d.code), QString::fromStdString(d.file),
                        d.offset ? QString::number(*d.offset) : QStringLiteral("-"), QString::fromStdString(d.message));
    return text;
}

void compareDiagnostic(const Diagnostic &d, const Expected &e)
{
    QCOMPARE(QString::fromStdString(d.code), e.code);
    QCOMPARE(int(d.severity), int(e.severity));
    QCOMPARE(QString::fromStdString(d.file), e.file);
    QCOMPARE(d.offset ? qint64(*d.offset) : -1, e.offset);
    QCOMPARE(d.slot ? qint64(*d.slot) : -1, e.slot);
    QCOMPARE(d.otherSlot ? qint64(*d.otherSlot) : -1, e.otherSlot);
    QCOMPARE(QString::fromStdString(d.shard), e.shard);
    QVERIFY(!d.message.empty());
    QVERIFY2(d.message.find('\n') == std::string::npos, d.message.c_str());
}

// Reads every regular file of a shard directory into memory.
ShardFileImages imagesOf(const QString &dir)
{
    ShardFileImages files;
    for (const QFileInfo &fi : QDir(dir).entryInfoList(QDir::Files | QDir::NoDotAndDotDot)) {
        const QByteArray b = readFile(fi.filePath());
        files[fi.fileName().toStdString()] = std::vector<uint8_t>(b.begin(), b.end());
    }
    return files;
}

// Runs `fn` with the effective user of nobody when running as root, so that
// a file of mode 000 cannot be opened.
template<typename F> auto asUnprivileged(F fn)
{
    const bool root = ::geteuid() == 0;
    if (root && ::seteuid(65534) != 0)
        qFatal("cannot drop privileges to test an unreadable file");
    auto result = fn();
    if (root && ::seteuid(0) != 0)
        qFatal("cannot regain privileges");
    return result;
}

} // namespace

class tst_Checker : public QObject
{
    Q_OBJECT

private slots:
    void eachCode_data();
    void eachCode();
    void inMemoryMatchesDirectory_data();
    void inMemoryMatchesDirectory();
    void unreadableFileIsIoError();
    void storeCodes_data();
    void storeCodes();
    void referenceFixturesCheckClean_data();
    void referenceFixturesCheckClean();
    void storeFixtureChecksClean();
    void ourShardsCheckClean();
    void ourStoreChecksClean();
    void referenceQuirkTableLenBeyondCapacity();
    void referenceQuirkOverlapAfterTombstone();
    void overlapsMatchBruteForce();
    void largeTableChecksCleanly();
    void checkerChangesNothing();
    void pathThatCannotBeChecked();
    void garbageBytesNeverCrash();
};

void tst_Checker::eachCode_data()
{
    QTest::addColumn<Damage>("damage");
    QTest::addColumn<Expected>("expected"); // the first diagnostic with that code
    QTest::addColumn<QStringList>("codes"); // every code reported, sorted

    const uint32_t b = kManifestCopySize; // copy B, the active one after one flush
    auto row = [](const char *name, Damage damage, Expected expected, QStringList codes) {
        codes.sort();
        QTest::newRow(name) << damage << expected << codes;
    };

    row("manifest-missing: hydrated, never flushed",
        [](const QString &dir) {
            return QDir().mkpath(dir) && Shard::hydrate(str(dir), ShardGeometry {kSlots, kPackSize}).has_value();
        },
        {"manifest-missing", Severity::Info, "MF"}, {"manifest-missing"});
    row("manifest-missing: empty directory", [](const QString &dir) { return QDir().mkpath(dir); },
        {"manifest-missing", Severity::Info, "MF"}, {"manifest-missing"});
    row("manifest-truncated to 40 bytes", [](const QString &dir) { return makeShard(dir) && resize(mf(dir), 40); },
        {"manifest-truncated", Severity::Error, "MF", 40}, {"manifest-truncated"});
    row("manifest-truncated to 0 bytes", [](const QString &dir) { return makeShard(dir) && resize(mf(dir), 0); },
        {"manifest-truncated", Severity::Error, "MF", 0}, {"manifest-truncated"});
    row("manifest-oversized by 10 bytes",
        [](const QString &dir) { return makeShard(dir) && patchFile(mf(dir), 64, QByteArray(10, 'x')); },
        {"manifest-oversized", Severity::Info, "MF", 64}, {"manifest-oversized"});
    row("manifest-reserved-nonzero in copy B",
        [b](const QString &dir) { return makeShard(dir) && patchFile(mf(dir), b + 20, "\xab"); },
        {"manifest-reserved-nonzero", Severity::Warning, "MF", b + 20}, {"manifest-reserved-nonzero"});
    row("manifest-copy-misplaced: even nonce in copy B",
        [b](const QString &dir) { return makeShard(dir) && patchFile(mf(dir), b, u64le(2)); },
        {"manifest-copy-misplaced", Severity::Warning, "MF", b}, {"manifest-copy-misplaced"});
    row("manifest-nonce-tie: copy A with B's nonce and an older table_len",
        [](const QString &dir) { return makeShard(dir) && patchFile(mf(dir), 0, u64le(1) + u32le(0) + u32le(2)); },
        {"manifest-nonce-tie", Severity::Warning, "MF", b},
        // A wins the tie: its table_len 2 leaves slots 2 and 3 uncommitted,
        // and its odd nonce belongs in B.
        {"manifest-nonce-tie", "manifest-copy-misplaced", "uncommitted-slots"});
    row("table-missing", [](const QString &dir) { return makeShard(dir) && QFile::remove(table(dir)); },
        {"table-missing", Severity::Error, "00000000.slot"}, {"table-missing"});
    row("pack-missing", [](const QString &dir) { return makeShard(dir) && QFile::remove(pack(dir)); },
        {"pack-missing", Severity::Error, "00000000.pack"}, {"pack-missing"});
    row("table-missing for generation 5",
        [](const QString &dir) { return makeShard(dir) && patchFile(mf(dir), kManifestCopySize + 8, u32le(5)); },
        {"table-missing", Severity::Error, "00000005.slot"},
        {"table-missing", "pack-missing", "stale-generation", "stale-generation"});
    row("table-size-invalid: cut inside the last slot",
        [](const QString &dir) { return makeShard(dir) && resize(table(dir), kSlots * 32 - 5); },
        {"table-size-invalid", Severity::Error, "00000000.slot", (kSlots - 1) * 32}, {"table-size-invalid"});
    row("table-size-invalid: empty", [](const QString &dir) { return makeShard(dir) && resize(table(dir), 0); },
        {"table-size-invalid", Severity::Error, "00000000.slot", 0}, {"table-size-invalid"});
    row("table-size-invalid: 4 GiB, beyond a u32 size (sparse)",
        [](const QString &dir) { return makeShard(dir) && resize(table(dir), 4294967296ll); },
        {"table-size-invalid", Severity::Error, "00000000.slot", 4294967264ll}, {"table-size-invalid"});
    row("pack-size-invalid: larger than 4 GiB (sparse)",
        [](const QString &dir) { return makeShard(dir) && resize(pack(dir), 4294967296ll + 4096); },
        {"pack-size-invalid", Severity::Warning, "00000000.pack", 4294967295ll}, {"pack-size-invalid"});
    row("table-len-exceeds-capacity by one",
        [b](const QString &dir) { return makeShard(dir, kSlots) && patchFile(mf(dir), b + 12, u32le(kSlots + 1)); },
        {"table-len-exceeds-capacity", Severity::Error, "MF", b + 12}, {"table-len-exceeds-capacity"});
    row("entry-out-of-bounds: len past the pack's end",
        [](const QString &dir) { return makeShard(dir) && patchFile(table(dir), 2 * 32 + 28, u32le(5000)); },
        {"entry-out-of-bounds", Severity::Error, "00000000.slot", 2 * 32 + 24, 2}, {"entry-out-of-bounds"});
    row("entry-out-of-bounds: offset+len overflows u32",
        [](const QString &dir) {
            return makeShard(dir) && patchFile(table(dir), 2 * 32 + 24, u32le(0xFFFFFF00u) + u32le(0x200));
        },
        {"entry-out-of-bounds", Severity::Error, "00000000.slot", 2 * 32 + 24, 2}, {"entry-out-of-bounds"});
    row("entries-overlap: slot 3 moved onto slot 2",
        [](const QString &dir) { return makeShard(dir) && patchFile(table(dir), 3 * 32 + 24, u32le(30)); },
        // Slot 3's old bytes [70, 100) are now referenced by nothing.
        {"entries-overlap", Severity::Error, "00000000.pack", 30, 3, 2}, {"entries-overlap", "pack-tail-garbage"});
    row("zero-key",
        [](const QString &dir) { return makeShard(dir) && patchFile(table(dir), 1 * 32, QByteArray(24, '\0')); },
        {"zero-key", Severity::Error, "00000000.slot", 32, 1}, {"zero-key"});
    row("duplicate-key: slot 3 takes slot 0's key",
        [](const QString &dir) {
            const auto k = keyOf(0).bytes();
            return makeShard(dir)
                && patchFile(table(dir), 3 * 32, QByteArray(reinterpret_cast<const char *>(k.data()), 24));
        },
        {"duplicate-key", Severity::Warning, "00000000.slot", 96, 3, 0}, {"duplicate-key"});
    auto deleteSlot1 = [](const QString &dir) {
        if (!makeShard(dir))
            return false;
        auto shard = Shard::openForWriting(str(dir));
        return shard && shard->remove(keyOf(1)).value_or(false) && shard->flush().has_value();
    };
    row("tombstone-dirty: key left in place",
        [deleteSlot1](const QString &dir) { return deleteSlot1(dir) && patchFile(table(dir), 32, "\x07"); },
        {"tombstone-dirty", Severity::Warning, "00000000.slot", 32, 1}, {"tombstone-dirty"});
    row("tombstone-dirty: len left in place",
        [deleteSlot1](const QString &dir) { return deleteSlot1(dir) && patchFile(table(dir), 32 + 28, u32le(20)); },
        {"tombstone-dirty", Severity::Warning, "00000000.slot", 32 + 28, 1}, {"tombstone-dirty"});
    row("uncommitted-slots: table_len cut from 4 to 2",
        [b](const QString &dir) { return makeShard(dir) && patchFile(mf(dir), b + 12, u32le(2)); },
        // Their pack bytes are intact, so they explain the pack's tail.
        {"uncommitted-slots", Severity::Warning, "00000000.slot", 64, 2}, {"uncommitted-slots"});
    row("pack-tail-garbage", [](const QString &dir) { return makeShard(dir) && patchFile(pack(dir), 1000, "junk"); },
        {"pack-tail-garbage", Severity::Info, "00000000.pack", 1000}, {"pack-tail-garbage"});
    row("stale-generation after our compaction",
        [](const QString &dir) {
            if (!makeShard(dir))
                return false;
            auto shard = Shard::openForWriting(str(dir));
            return shard && shard->compact().has_value();
        },
        {"stale-generation", Severity::Info, "00000000.pack"}, {"stale-generation", "stale-generation"});
    row("previous-manifest-usable: the compacted generation's pack is gone",
        [](const QString &dir) {
            if (!makeShard(dir))
                return false;
            auto shard = Shard::openForWriting(str(dir));
            return shard && shard->compact().has_value() && QFile::remove(pack(dir, 1));
        },
        // Compaction wrote copy A (nonce 2, gen 1); copy B still names gen 0.
        {"previous-manifest-usable", Severity::Info, "MF", b},
        {"pack-missing", "previous-manifest-usable", "stale-generation", "stale-generation"});
    row("temporary-file left by a compaction",
        [](const QString &dir) { return makeShard(dir) && writeFile(dir + "/00000001.slot.tmp", "x"); },
        {"temporary-file", Severity::Info, "00000001.slot.tmp"}, {"temporary-file"});
    row("path-escapes-shard: pack is a symlink to a file outside",
        [](const QString &dir) {
            return makeShard(dir) && makeShard(dir + ".outside") && QFile::remove(pack(dir))
                && QFile::link(pack(dir + ".outside"), pack(dir));
        },
        {"path-escapes-shard", Severity::Error, "00000000.pack"}, {"path-escapes-shard"});
    row("path-escapes-shard: MF is a symlink",
        [](const QString &dir) {
            return makeShard(dir) && QFile::rename(mf(dir), dir + "/real-MF") && QFile::link("real-MF", mf(dir));
        },
        {"path-escapes-shard", Severity::Error, "MF"}, {"path-escapes-shard"});
    row("file-not-regular: pack is a directory",
        [](const QString &dir) { return makeShard(dir) && QFile::remove(pack(dir)) && QDir().mkdir(pack(dir)); },
        {"file-not-regular", Severity::Error, "00000000.pack"}, {"file-not-regular"});
    row("file-not-regular: MF is a FIFO (must not hang)",
        [](const QString &dir) {
            return makeShard(dir) && QFile::remove(mf(dir))
                && ::mkfifo(QFile::encodeName(mf(dir)).constData(), 0644) == 0;
        },
        {"file-not-regular", Severity::Error, "MF"}, {"file-not-regular"});
    row("child-shards-not-checked: a store's root checked as a shard",
        [](const QString &dir) { return makeShard(dir) && makeShard(dir + "/ab"); },
        {"child-shards-not-checked", Severity::Info, ""}, {"child-shards-not-checked"});
}

void tst_Checker::eachCode()
{
    QFETCH(Damage, damage);
    QFETCH(Expected, expected);
    QFETCH(QStringList, codes);

    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString dir = tmp.filePath("shard");
    QVERIFY(damage(dir));

    auto report = checkShard(str(dir));
    CHECK_OK(report);
    QCOMPARE(report->path, str(dir));
    QVERIFY2(codesOf(*report) == codes, qPrintable(describe(*report)));
    const auto found = report->withCode(str(expected.code));
    QVERIFY(!found.empty());
    compareDiagnostic(*found.front(), expected);
    const bool error = std::ranges::any_of(report->diagnostics, [](auto &d) { return d.severity == Severity::Error; });
    const bool warning
        = std::ranges::any_of(report->diagnostics, [](auto &d) { return d.severity == Severity::Warning; });
    QCOMPARE(report->exitStatus(), error ? 2 : warning ? 1 : 0);
}

void tst_Checker::inMemoryMatchesDirectory_data()
{
    QTest::addColumn<QString>("damage");
    for (const char *name : {"clean", "overlap", "uncommitted", "table-len", "compacted", "pack-gone", "tombstone"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

// The fuzzer checks bytes in memory; they must meet the same checks as files.
void tst_Checker::inMemoryMatchesDirectory()
{
    QFETCH(QString, damage);
    QTemporaryDir tmp;
    const QString dir = tmp.filePath("shard");
    QVERIFY(makeShard(dir, 6));
    if (damage == u"overlap") {
        QVERIFY(patchFile(table(dir), 3 * 32 + 24, u32le(5)));
        QVERIFY(patchFile(table(dir), 5 * 32 + 24, u32le(4000)));
    } else if (damage == u"uncommitted") {
        QVERIFY(patchFile(mf(dir), 32 + 12, u32le(3)));
        QVERIFY(patchFile(table(dir), 4 * 32 + 24, u32le(9)));
    } else if (damage == u"table-len") {
        QVERIFY(patchFile(mf(dir), 32 + 12, u32le(99)));
    } else if (damage == u"compacted" || damage == u"pack-gone") {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        CHECK_OK(shard->compact());
        if (damage == u"pack-gone")
            QVERIFY(QFile::remove(pack(dir, 1)));
    } else if (damage == u"tombstone") {
        QVERIFY(patchFile(table(dir), 2 * 32, QByteArray(24, '\x05') + u32le(0xFFFFFFFFu) + u32le(3)));
    }
    auto onDisk = checkShard(str(dir));
    CHECK_OK(onDisk);
    auto inMemory = checkShardFiles(imagesOf(dir));
    CHECK_OK(inMemory);
    QCOMPARE(inMemory->diagnostics.size(), onDisk->diagnostics.size());
    QCOMPARE(damage == u"clean", onDisk->diagnostics.empty());
    for (size_t i = 0; i < onDisk->diagnostics.size(); ++i) {
        const Diagnostic &d = onDisk->diagnostics[i];
        compareDiagnostic(inMemory->diagnostics[i],
            Expected(d.code.c_str(), d.severity, d.file.c_str(), d.offset ? qint64(*d.offset) : -1,
                d.slot ? qint64(*d.slot) : -1, d.otherSlot ? qint64(*d.otherSlot) : -1));
        QCOMPARE(inMemory->diagnostics[i].message, d.message);
    }

    // The three-file shorthand sees the current generation's files.
    auto files = imagesOf(dir);
    const Manifest active = ManifestCopies::decode(files.at("MF"), "MF")->active();
    auto take = [&](const std::string &name) -> std::optional<std::vector<uint8_t>> {
        auto it = files.find(name);
        return it == files.end() ? std::nullopt : std::optional(it->second);
    };
    auto bytes = checkShardBytes(take("MF"), take(tableFileName(active.gen)), take(packFileName(active.gen)));
    CHECK_OK(bytes);
    QStringList expected = codesOf(*onDisk);
    expected.removeAll(QStringLiteral("stale-generation"));
    // Without the other generation's files it cannot name a previous copy.
    expected.removeAll(QStringLiteral("previous-manifest-usable"));
    QCOMPARE(codesOf(*bytes), expected);
}

void tst_Checker::unreadableFileIsIoError()
{
    QTemporaryDir tmp;
    const QString dir = tmp.filePath("shard");
    QVERIFY(makeShard(dir));
    // nobody must be able to reach the directory and list it.
    QVERIFY(QFile::setPermissions(tmp.path(), QFileDevice::Permissions(0x7755)));
    QVERIFY(QFile::setPermissions(dir, QFileDevice::Permissions(0x7755)));
    QVERIFY(QFile::setPermissions(pack(dir), QFileDevice::Permissions()));
    auto report = asUnprivileged([&] { return checkShard(str(dir)); });
    QVERIFY(QFile::setPermissions(pack(dir), QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    CHECK_OK(report);
    QVERIFY2(codesOf(*report) == QStringList {QStringLiteral("io-error")}, qPrintable(describe(*report)));
    compareDiagnostic(report->diagnostics.front(), {"io-error", Severity::Error, "00000000.pack"});
    QVERIFY2(report->diagnostics.front().message.find("ermission") != std::string::npos,
        report->diagnostics.front().message.c_str());
}

void tst_Checker::storeCodes_data()
{
    QTest::addColumn<Damage>("damage");
    QTest::addColumn<Expected>("expected");
    QTest::addColumn<QStringList>("codes");

    auto row = [](const char *name, Damage damage, Expected expected, QStringList codes) {
        codes.sort();
        QTest::newRow(name) << damage << expected << codes;
    };
    row("invalid-child-name: upper-case hex", [](const QString &dir) { return makeShard(dir + "/AB"); },
        {"invalid-child-name", Severity::Warning, "AB"}, {"invalid-child-name"});
    row("invalid-child-name: three digits", [](const QString &dir) { return QDir().mkpath(dir + "/abc"); },
        {"invalid-child-name", Severity::Warning, "abc"}, {"invalid-child-name"});
    row("child-not-directory: a file named like a child",
        [](const QString &dir) { return writeFile(dir + "/cd", "not a shard"); },
        {"child-not-directory", Severity::Warning, "cd"}, {"child-not-directory"});
    row("path-escapes-shard: a child is a symlink",
        [](const QString &dir) { return makeShard(dir + ".other") && QFile::link(dir + ".other", dir + "/ef"); },
        {"path-escapes-shard", Severity::Error, "ef"}, {"path-escapes-shard"});
    row("child-too-deep: nine levels",
        [](const QString &dir) {
            QString deep = dir;
            for (int i = 0; i < 8; ++i) {
                deep += "/0" + QString::number(i);
                if (!makeShard(deep, 0))
                    return false;
            }
            return QDir().mkpath(deep + "/ff");
        },
        {"child-too-deep", Severity::Warning, "00/01/02/03/04/05/06/07/ff", -1, -1, -1, "00/01/02/03/04/05/06/07"},
        {"child-too-deep"});
    row("empty child directory: a fresh shard", [](const QString &dir) { return QDir().mkpath(dir + "/12"); },
        {"manifest-missing", Severity::Info, "12/MF", -1, -1, -1, "12"}, {"manifest-missing"});
    row("damage inside a child is named by its path",
        [](const QString &dir) {
            return makeShard(dir + "/ab") && makeShard(dir + "/ab/cd")
                && patchFile(table(dir + "/ab/cd"), 3 * 32 + 24, u32le(30));
        },
        {"entries-overlap", Severity::Error, "ab/cd/00000000.pack", 30, 3, 2, "ab/cd"},
        {"entries-overlap", "pack-tail-garbage"});
}

void tst_Checker::storeCodes()
{
    QFETCH(Damage, damage);
    QFETCH(Expected, expected);
    QFETCH(QStringList, codes);

    QTemporaryDir tmp;
    const QString dir = tmp.filePath("store");
    QVERIFY(makeShard(dir));
    QVERIFY(damage(dir));
    auto report = checkStore(str(dir));
    CHECK_OK(report);
    QVERIFY2(codesOf(*report) == codes, qPrintable(describe(*report)));
    const auto found = report->withCode(str(expected.code));
    QVERIFY(!found.empty());
    compareDiagnostic(*found.front(), expected);
}

void tst_Checker::referenceFixturesCheckClean_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("codes");
    QTest::newRow("basic") << "basic" << QStringList();
    QTest::newRow("empty") << "empty" << QStringList();
    QTest::newRow("tombstones") << "tombstones" << QStringList();
    QTest::newRow("compacted") << "compacted"
                               << QStringList {QStringLiteral("stale-generation"), QStringLiteral("stale-generation")};
}

void tst_Checker::referenceFixturesCheckClean()
{
    QFETCH(QString, name);
    QFETCH(QStringList, codes);
    auto report = checkShard(str(dataPath(name)));
    CHECK_OK(report);
    QVERIFY2(codesOf(*report) == codes, qPrintable(describe(*report)));
    QCOMPARE(report->exitStatus(), 0);
    if (name == u"compacted") {
        QCOMPARE(report->diagnostics[0].file, std::string("00000000.pack"));
        QCOMPARE(report->diagnostics[1].file, std::string("00000000.slot"));
    }
}

void tst_Checker::storeFixtureChecksClean()
{
    auto report = checkStore(str(dataPath("store")));
    CHECK_OK(report);
    QVERIFY2(report->diagnostics.empty(), qPrintable(describe(*report)));
    // Checked as a plain shard, its root says that children were left out.
    auto root = checkShard(str(dataPath("store")));
    CHECK_OK(root);
    QCOMPARE(codesOf(*root), QStringList {QStringLiteral("child-shards-not-checked")});
    QCOMPARE(root->exitStatus(), 0);
}

void tst_Checker::ourShardsCheckClean()
{
    QTemporaryDir tmp;
    const QString dir = tmp.filePath("shard");
    QVERIFY(QDir().mkpath(dir));
    std::mt19937_64 rng(7);
    {
        auto shard = Shard::hydrate(str(dir), ShardGeometry {256, 1 << 16});
        CHECK_OK(shard);
        CHECK_OK(shard->flush());
    }
    auto fresh = checkShard(str(dir));
    CHECK_OK(fresh);
    QVERIFY2(fresh->diagnostics.empty(), qPrintable(describe(*fresh)));

    std::vector<Key> keys;
    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        for (int i = 0; i < 200; ++i) {
            keys.push_back(randomKey(rng));
            COMPARE_OK(shard->append(keys.back(), randomBytes(rng, rng() % 300)), true);
        }
        for (size_t i = 0; i < keys.size(); i += 3)
            COMPARE_OK(shard->remove(keys[i]), true);
        CHECK_OK(shard->flush());
        // Appends after deletes land past the last live entry.
        for (int i = 0; i < 10; ++i)
            COMPARE_OK(shard->append(randomKey(rng), randomBytes(rng, 50)), true);
        CHECK_OK(shard->flush());
    }
    auto filled = checkShard(str(dir));
    CHECK_OK(filled);
    QVERIFY2(filled->diagnostics.empty(), qPrintable(describe(*filled)));

    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        CHECK_OK(shard->compact());
    }
    auto compacted = checkShard(str(dir));
    CHECK_OK(compacted);
    QCOMPARE(
        codesOf(*compacted), (QStringList {QStringLiteral("stale-generation"), QStringLiteral("stale-generation")}));
    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        CHECK_OK(shard->removeGeneration(0));
    }
    auto cleaned = checkShard(str(dir));
    CHECK_OK(cleaned);
    QVERIFY2(cleaned->diagnostics.empty(), qPrintable(describe(*cleaned)));
}

void tst_Checker::ourStoreChecksClean()
{
    QTemporaryDir tmp;
    const QString root = tmp.filePath("store");
    QVERIFY(QDir().mkpath(root));
    {
        auto shard = Shard::hydrate(str(root), ShardGeometry {4, 1024});
        CHECK_OK(shard);
        CHECK_OK(shard->flush());
    }
    std::mt19937_64 rng(3);
    {
        auto store = Store::open(str(root), Store::Access::ReadWrite);
        CHECK_OK(store);
        for (int i = 0; i < 48; ++i) {
            ContentId cid;
            for (auto &byte : cid)
                byte = uint8_t(rng());
            // Few first bytes, so children fill and grandchildren appear.
            cid[0] = uint8_t(cid[0] % 2);
            COMPARE_OK(store->put(cid, randomBytes(rng, 1 + rng() % 100)), true);
        }
    }
    QVERIFY(QFileInfo(root + "/00").isDir());
    QVERIFY(!QDir(root + "/00").entryList({QStringLiteral("??")}, QDir::Dirs).isEmpty());
    auto report = checkStore(str(root));
    CHECK_OK(report);
    QVERIFY2(report->diagnostics.empty(), qPrintable(describe(*report)));
}

// FORMAT.md quirk 2: a failed append on a full table still counts, and the
// manifest saved afterwards says table_len = capacity + 1.
void tst_Checker::referenceQuirkTableLenBeyondCapacity()
{
    QTemporaryDir tmp;
    const QString dir = tmp.filePath("shard");
    QVERIFY(makeShard(dir, kSlots));
    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        CHECK_ERROR(shard->append(keyOf(99), bytesOf(QByteArray("no room"))), ErrorKind::Full);
    }
    // What the reference's next save writes: the other copy, nonce 2.
    QVERIFY(patchFile(mf(dir), 0, u64le(2) + u32le(0) + u32le(kSlots + 1)));
    auto report = checkShard(str(dir));
    CHECK_OK(report);
    QCOMPARE(codesOf(*report), QStringList {QStringLiteral("table-len-exceeds-capacity")});
    compareDiagnostic(report->diagnostics[0], {"table-len-exceeds-capacity", Severity::Error, "MF", 12});
    QCOMPARE(report->exitStatus(), 2);
}

// FORMAT.md quirk 1: reopened with a tombstone, the reference's next offset
// wraps and a later append lands on a live entry's bytes.
void tst_Checker::referenceQuirkOverlapAfterTombstone()
{
    QTemporaryDir tmp;
    const QString dir = tmp.filePath("shard");
    QVERIFY(makeShard(dir, 3)); // [0,10) [10,30) [30,60)
    {
        auto shard = Shard::openForWriting(str(dir));
        CHECK_OK(shard);
        COMPARE_OK(shard->remove(keyOf(0)), true);
        CHECK_OK(shard->flush());
    }
    // Append of 10 bytes at offset 12 (inside slot 1) into slot 3, committed.
    const Key clobber({0xC10BBE5ull, 1, 2});
    QVERIFY(patchFile(pack(dir), 12, QByteArray(10, 'Z')));
    QVERIFY(patchFile(table(dir), 3 * 32, slotBytes(clobber, 12, 10)));
    // The reference's next save: copy B, nonce 3.
    QVERIFY(patchFile(mf(dir), 32, u64le(3) + u32le(0) + u32le(4)));
    auto report = checkShard(str(dir));
    CHECK_OK(report);
    QCOMPARE(codesOf(*report), QStringList {QStringLiteral("entries-overlap")});
    compareDiagnostic(report->diagnostics[0], {"entries-overlap", Severity::Error, "00000000.pack", 12, 3, 1});
    QCOMPARE(report->diagnostics[0].message, std::string("slot 3 [12, 22) overlaps slot 1 [10, 30) in 00000000.pack"));
}

// Random ranges in memory against an all-pairs search: every entry that shares
// a byte with another shows up, and every reported pair does share bytes.
void tst_Checker::overlapsMatchBruteForce()
{
    std::mt19937_64 rng(11);
    for (int round = 0; round < 40; ++round) {
        const uint32_t n = 1 + uint32_t(rng() % 200);
        const uint32_t packSize = 2000;
        std::vector<uint8_t> tableBytes(size_t(n) * 32);
        std::vector<std::pair<uint32_t, uint32_t>> ranges;
        for (uint32_t i = 0; i < n; ++i) {
            const uint32_t off = uint32_t(rng() % packSize);
            const uint32_t len = rng() % 4 == 0 ? 0 : uint32_t(rng() % std::min<uint32_t>(60, packSize - off + 1));
            Entry {randomKey(rng), off, len}.encodeTo(tableBytes.data() + size_t(i) * 32);
            ranges.push_back({off, off + len});
        }
        std::vector<uint8_t> manifest(64);
        Manifest {1, 0, n}.encodeTo(manifest.data() + 32);
        auto report = checkShardBytes(manifest, tableBytes, std::vector<uint8_t>(packSize));
        CHECK_OK(report);

        std::set<uint32_t> expected;
        for (uint32_t i = 0; i < n; ++i) {
            for (uint32_t j = i + 1; j < n; ++j) {
                if (std::max(ranges[i].first, ranges[j].first) < std::min(ranges[i].second, ranges[j].second)) {
                    expected.insert(i);
                    expected.insert(j);
                }
            }
        }
        std::set<uint32_t> reported;
        for (const Diagnostic *d : report->withCode("entries-overlap")) {
            const auto &a = ranges[*d->slot];
            const auto &b = ranges[*d->otherSlot];
            QVERIFY(std::max(a.first, b.first) < std::min(a.second, b.second));
            QCOMPARE(*d->offset, uint64_t(std::max(a.first, b.first)));
            QCOMPARE(*d->offset, uint64_t(a.first));
            reported.insert(*d->slot);
            reported.insert(*d->otherSlot);
        }
        QCOMPARE(reported, expected);
        QVERIFY(report->withCode("entries-overlap").size() < std::max<size_t>(expected.size(), 1));
    }
}

// A million committed slots: sorting, not pairs, keeps this quick.
void tst_Checker::largeTableChecksCleanly()
{
    const uint32_t n = 1u << 20;
    std::vector<uint8_t> tableBytes(size_t(n) * 32);
    std::mt19937_64 rng(5);
    for (uint32_t i = 0; i < n; ++i)
        Entry {Key({rng() | 1, rng(), i}), i * 4, 4}.encodeTo(tableBytes.data() + size_t(i) * 32);
    // Two planted problems among them.
    Entry {Key({7, 7, 7}), 40, 4}.encodeTo(tableBytes.data() + size_t(n - 1) * 32);
    std::copy_n(tableBytes.data(), 24, tableBytes.data() + size_t(n / 2) * 32);
    std::vector<uint8_t> manifest(64);
    Manifest {1, 0, n}.encodeTo(manifest.data() + 32);
    auto report = checkShardBytes(manifest, tableBytes, std::vector<uint8_t>(size_t(n) * 4));
    CHECK_OK(report);
    QCOMPARE(codesOf(*report), (QStringList {QStringLiteral("duplicate-key"), QStringLiteral("entries-overlap")}));
    compareDiagnostic(*report->withCode("duplicate-key").front(),
        {"duplicate-key", Severity::Warning, "00000000.slot", qint64(n / 2) * 32, n / 2, 0});
    compareDiagnostic(*report->withCode("entries-overlap").front(),
        {"entries-overlap", Severity::Error, "00000000.pack", 40, n - 1, 10});
}

void tst_Checker::checkerChangesNothing()
{
    QTemporaryDir tmp;
    const QString dir = tmp.filePath("store");
    QVERIFY(makeShard(dir, 6));
    QVERIFY(patchFile(table(dir), 3 * 32 + 24, u32le(5))); // overlap
    QVERIFY(patchFile(mf(dir), 32 + 12, u32le(5))); // one uncommitted slot
    QVERIFY(patchFile(pack(dir), 3000, "tail"));
    QVERIFY(writeFile(dir + "/00000007.pack", "stale"));
    QVERIFY(makeShard(dir + "/ab"));
    QVERIFY(resize(mf(dir + "/ab"), 50));
    QVERIFY(QFile::link(pack(dir), dir + "/ab/00000000.pack.link"));
    const auto before = snapshotTree(dir);
    auto shardReport = checkShard(str(dir));
    auto storeReport = checkStore(str(dir));
    CHECK_OK(shardReport);
    CHECK_OK(storeReport);
    QVERIFY(storeReport->diagnostics.size() > 4);
    QVERIFY(snapshotTree(dir) == before);
    QCOMPARE(listDir(dir), (QStringList {"00000000.pack", "00000000.slot", "00000007.pack", "MF", "ab"}));
}

void tst_Checker::pathThatCannotBeChecked()
{
    QTemporaryDir tmp;
    CHECK_ERROR(checkShard(str(tmp.filePath("missing"))), ErrorKind::NotFound);
    CHECK_ERROR(checkStore(str(tmp.filePath("missing"))), ErrorKind::NotFound);
    QVERIFY(writeFile(tmp.filePath("file"), "x"));
    CHECK_ERROR(checkShard(str(tmp.filePath("file"))), ErrorKind::Invalid);
    CHECK_ERROR(checkStore(str(tmp.filePath("file"))), ErrorKind::Invalid);
}

// Random and mutated files in memory: a report always comes back (ASan
// catches any out-of-bounds read in the sanitizer build).
void tst_Checker::garbageBytesNeverCrash()
{
    QTemporaryDir tmp;
    const QString dir = tmp.filePath("shard");
    QVERIFY(makeShard(dir, 6));
    const ShardFileImages base = imagesOf(dir);
    std::mt19937_64 rng(99);
    for (int round = 0; round < 3000; ++round) {
        ShardFileImages files = base;
        for (auto &[name, bytes] : files) {
            if (rng() % 4 == 0)
                bytes.resize(rng() % (bytes.size() + 70));
            const int flips = int(rng() % 6);
            for (int f = 0; f < flips && !bytes.empty(); ++f)
                bytes[rng() % std::min<size_t>(bytes.size(), 600)] = uint8_t(rng());
        }
        if (rng() % 8 == 0)
            files.erase(files.begin());
        auto report = checkShardFiles(std::move(files));
        CHECK_OK(report);
        for (const Diagnostic &d : report->diagnostics)
            QVERIFY(!d.code.empty() && !d.message.empty());
    }
}

QTEST_GUILESS_MAIN(tst_Checker)
#include "tst_checker.moc"
