// Damaged and hostile shard directories. Every case must end in an error
// value that names the file (and the byte, where one is to blame), never in a
// crash, a hang, or a read through a link that leads outside the shard.
#include "test_support.h"

#include "shard.h"
#include "shard_dump.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

using namespace shardscope;
using namespace testsupport;

namespace {

// Reports whether anything opened or read a file, through inotify: a read
// through a symlink would show up here even if its bytes were then rejected.
class AccessWatch
{
public:
    explicit AccessWatch(const QString &path)
    {
        m_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (m_fd >= 0)
            m_wd = ::inotify_add_watch(m_fd, QFile::encodeName(path).constData(), IN_OPEN | IN_ACCESS);
    }
    ~AccessWatch()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    AccessWatch(const AccessWatch &) = delete;
    AccessWatch &operator=(const AccessWatch &) = delete;

    [[nodiscard]] bool valid() const { return m_fd >= 0 && m_wd >= 0; }
    // True when an open or read event is pending; consumes the events.
    bool touched()
    {
        alignas(inotify_event) char buf[4096];
        bool any = false;
        while (true) {
            const ssize_t n = ::read(m_fd, buf, sizeof buf);
            if (n <= 0)
                return any;
            any = true;
        }
    }

private:
    int m_fd = -1;
    int m_wd = -1;
};

QByteArray mfCopy(uint64_t nonce, uint32_t gen, uint32_t tableLen)
{
    return u64le(nonce) + u32le(gen) + u32le(tableLen) + QByteArray(16, '\0');
}

QByteArray slotBytes(const QByteArray &key24, uint32_t offset, uint32_t len)
{
    return key24 + u32le(offset) + u32le(len);
}

} // namespace

class tst_BadInput : public QObject
{
    Q_OBJECT

private slots:
    void openFails_data();
    void openFails();
    void symlinkedShardDirectoryIsAllowed();
    void slotOutsidePack_data();
    void slotOutsidePack();
    void tableLenBeyondCapacity_data();
    void tableLenBeyondCapacity();
    void emptyPackMakesEveryEntryOutOfBounds();
    void fromBytesRejects_data();
    void fromBytesRejects();
    void fromBytesGarbageNeverCrashes();
    void flippedBytesNeverCrash();
};

void tst_BadInput::openFails_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<QString>("file"); // the error's file must end with "/" + this
    QTest::addColumn<qint64>("offset"); // -1: no offset expected

    QTest::newRow("empty directory (no MF, no table)") << "empty-dir" << ErrorKind::NotFound << "00000000.slot" << -1ll;
    QTest::newRow("MF truncated to 40 bytes") << "mf-40" << ErrorKind::Corrupt << "MF" << 40ll;
    QTest::newRow("MF empty") << "mf-0" << ErrorKind::Corrupt << "MF" << 0ll;
    QTest::newRow("MF one byte short") << "mf-63" << ErrorKind::Corrupt << "MF" << 63ll;
    QTest::newRow("table missing") << "table-missing" << ErrorKind::NotFound << "00000000.slot" << -1ll;
    QTest::newRow("table of odd size (4096+5)") << "table-odd" << ErrorKind::Corrupt << "00000000.slot" << 4096ll;
    QTest::newRow("table shorter than one slot") << "table-31" << ErrorKind::Corrupt << "00000000.slot" << 0ll;
    QTest::newRow("table empty") << "table-empty" << ErrorKind::Corrupt << "00000000.slot" << 0ll;
    QTest::newRow("pack missing") << "pack-missing" << ErrorKind::NotFound << "00000000.pack" << -1ll;
    QTest::newRow("manifest names generation 5, its files are missing")
        << "gen-5" << ErrorKind::NotFound << "00000005.slot" << -1ll;
    QTest::newRow("table is a symlink to a file outside")
        << "table-link-out" << ErrorKind::Unsafe << "00000000.slot" << -1ll;
    QTest::newRow("table is a symlink to a file inside")
        << "table-link-in" << ErrorKind::Unsafe << "00000000.slot" << -1ll;
    QTest::newRow("pack is a symlink to a file outside")
        << "pack-link-out" << ErrorKind::Unsafe << "00000000.pack" << -1ll;
    QTest::newRow("MF is a symlink to a file outside") << "mf-link-out" << ErrorKind::Unsafe << "MF" << -1ll;
    QTest::newRow("MF is a dangling symlink") << "mf-link-dangling" << ErrorKind::Unsafe << "MF" << -1ll;
    QTest::newRow("MF is a directory") << "mf-dir" << ErrorKind::Invalid << "MF" << -1ll;
    QTest::newRow("table is a directory") << "table-dir" << ErrorKind::Invalid << "00000000.slot" << -1ll;
    QTest::newRow("table is a FIFO (must not hang)") << "table-fifo" << ErrorKind::Invalid << "00000000.slot" << -1ll;
    QTest::newRow("pack is a FIFO (must not hang)") << "pack-fifo" << ErrorKind::Invalid << "00000000.pack" << -1ll;
}

void tst_BadInput::openFails()
{
    QFETCH(QString, damage);
    QFETCH(ErrorKind, kind);
    QFETCH(QString, file);
    QFETCH(qint64, offset);

    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    QString dir;
    if (damage == u"empty-dir") {
        dir = tmp.filePath("shard");
        QVERIFY(QDir().mkdir(dir));
    } else {
        dir = copyFixture(tmp.path(), "basic");
        QVERIFY(!dir.isEmpty());
    }
    const QString mf = dir + "/MF";
    const QString table = dir + "/00000000.slot";
    const QString pack = dir + "/00000000.pack";
    // Valid shard files of another shard, outside this one: followed, they would open fine.
    const QString outside = tmp.filePath("outside");
    QVERIFY(copyTree(dataPath("tombstones"), outside));
    QString watched;

    auto truncateTo = [](const QString &path, qint64 size) { return QFile::resize(path, size); };
    auto replaceWithLink
        = [](const QString &path, const QString &target) { return QFile::remove(path) && QFile::link(target, path); };
    if (damage == u"mf-40") {
        QVERIFY(truncateTo(mf, 40));
    } else if (damage == u"mf-0") {
        QVERIFY(truncateTo(mf, 0));
    } else if (damage == u"mf-63") {
        QVERIFY(truncateTo(mf, 63));
    } else if (damage == u"table-missing") {
        QVERIFY(QFile::remove(table));
    } else if (damage == u"table-odd") {
        QVERIFY(truncateTo(table, 4096 + 5));
    } else if (damage == u"table-31") {
        QVERIFY(truncateTo(table, 31));
    } else if (damage == u"table-empty") {
        QVERIFY(truncateTo(table, 0));
    } else if (damage == u"pack-missing") {
        QVERIFY(QFile::remove(pack));
    } else if (damage == u"gen-5") {
        QVERIFY(writeFile(mf, QByteArray(32, '\0') + mfCopy(1, 5, 10)));
    } else if (damage == u"table-link-out") {
        watched = outside + "/00000000.slot";
        QVERIFY(replaceWithLink(table, watched));
    } else if (damage == u"table-link-in") {
        QVERIFY(QFile::rename(table, dir + "/real.slot"));
        QVERIFY(QFile::link("real.slot", table));
    } else if (damage == u"pack-link-out") {
        watched = outside + "/00000000.pack";
        QVERIFY(replaceWithLink(pack, watched));
    } else if (damage == u"mf-link-out") {
        watched = outside + "/MF";
        QVERIFY(replaceWithLink(mf, watched));
    } else if (damage == u"mf-link-dangling") {
        QVERIFY(replaceWithLink(mf, tmp.filePath("no-such-file")));
    } else if (damage == u"mf-dir") {
        QVERIFY(QFile::remove(mf));
        QVERIFY(QDir().mkdir(mf));
    } else if (damage == u"table-dir") {
        QVERIFY(QFile::remove(table));
        QVERIFY(QDir().mkdir(table));
    } else if (damage == u"table-fifo" || damage == u"pack-fifo") {
        const QString target = damage == u"table-fifo" ? table : pack;
        QVERIFY(QFile::remove(target));
        QCOMPARE(::mkfifo(QFile::encodeName(target).constData(), 0644), 0);
    }

    std::optional<AccessWatch> watch;
    if (!watched.isEmpty()) {
        watch.emplace(watched);
        QVERIFY2(watch->valid(), "inotify is needed to prove the link target is not read");
    }
    const auto before = snapshotTree(dir);

    // Hydrate creates missing table and pack files by design, so it is tried
    // only where nothing is missing.
    const bool filesMissing = damage == u"empty-dir" || damage.endsWith(u"missing") || damage == u"gen-5";
    for (int mode = 0; mode < (filesMissing ? 2 : 3); ++mode) {
        auto opened = mode == 0 ? Shard::openReadOnly(str(dir))
            : mode == 1         ? Shard::openForWriting(str(dir))
                                : Shard::hydrate(str(dir), ShardGeometry {128, 65536});
        QVERIFY2(!opened, qPrintable(QStringLiteral("mode %1 opened the damaged shard").arg(mode)));
        const Error &e = opened.error();
        QVERIFY2(e.kind == kind,
            qPrintable(QStringLiteral("mode %1: %2").arg(mode).arg(QString::fromStdString(errorText(opened)))));
        QVERIFY2(QString::fromStdString(e.file).endsWith(u'/' + file),
            qPrintable(QStringLiteral("mode %1 names \"%2\"").arg(mode).arg(QString::fromStdString(e.file))));
        if (offset >= 0)
            QCOMPARE(e.offset, std::optional<uint64_t>(uint64_t(offset)));
        else
            QVERIFY2(!e.offset.has_value(), e.describe().c_str());
        QVERIFY(!e.message.empty());
    }

    if (watch) {
        QVERIFY2(!watch->touched(), "the file behind the symlink was opened or read");
        // The watch does work: opening the file ourselves is seen.
        QVERIFY(!readFile(watched).isEmpty());
        QVERIFY(watch->touched());
    }
    QCOMPARE(snapshotTree(dir), before);
}

void tst_BadInput::symlinkedShardDirectoryIsAllowed()
{
    // The path the user names may itself be a link; only what lies inside may not.
    QTemporaryDir tmp;
    const QString dir = copyFixture(tmp.path(), "basic");
    QVERIFY(QFile::link(dir, tmp.filePath("link")));
    auto shard = Shard::openReadOnly(str(tmp.filePath("link")));
    CHECK_OK(shard);
    QCOMPARE(shard->tableLen(), 100u);
}

void tst_BadInput::slotOutsidePack_data()
{
    QTest::addColumn<uint>("slot");
    QTest::addColumn<uint>("offset");
    QTest::addColumn<uint>("len");

    QTest::newRow("offset past the end") << 3u << 70000u << 10u;
    QTest::newRow("range crosses the end") << 3u << 65530u << 10u;
    QTest::newRow("empty entry past the end") << 0u << 65537u << 0u;
    // offset + len wraps to 0 in 32-bit arithmetic: a u32 bounds check passes it.
    QTest::newRow("offset + len wraps at 2^32") << 50u << 0xFFFFFFFEu << 2u;
    QTest::newRow("huge len") << 99u << 1u << 0xFFFFFFFFu;
}

void tst_BadInput::slotOutsidePack()
{
    QFETCH(uint, slot);
    QFETCH(uint, offset);
    QFETCH(uint, len);

    QTemporaryDir tmp;
    const QString dir = copyFixture(tmp.path(), "basic");
    const QByteArray table = readFile(dir + "/00000000.slot");
    const QByteArray key = table.mid(slot * 32, 24);
    QVERIFY(patchFile(dir + "/00000000.slot", slot * 32, slotBytes(key, offset, len)));

    auto shard = Shard::openReadOnly(str(dir));
    CHECK_OK(shard);
    const Entry e = shard->entry(slot);
    QCOMPARE(e.offset, uint32_t(offset));
    QCOMPARE(e.len, uint32_t(len));

    auto bytes = shard->data(e);
    QVERIFY(!bytes);
    QCOMPARE(bytes.error().kind, ErrorKind::Corrupt);
    QVERIFY2(QString::fromStdString(bytes.error().file).endsWith("/00000000.pack"), bytes.error().file.c_str());
    QCOMPARE(bytes.error().offset, std::optional<uint64_t>(offset));

    auto got = shard->get(e.key);
    QVERIFY(!got);
    QCOMPARE(got.error().kind, ErrorKind::Corrupt);

    // The dump lists the slot but cannot hash its data; the others keep their hashes.
    const QJsonObject dump = QJsonDocument::fromJson(QByteArray::fromStdString(dumpJson(*shard))).object();
    const QJsonArray entries = dump.value("entries").toArray();
    QCOMPARE(entries.size(), 100);
    for (qsizetype i = 0; i < entries.size(); ++i)
        QCOMPARE(entries[i].toObject().contains("sha256"), i != qsizetype(slot));
    QCOMPARE(entries[slot].toObject().value("offset").toInteger(), qint64(offset));
    QVERIFY(!dumpText(*shard).empty());

    // Other entries still read.
    const uint32_t other = slot == 0 ? 1 : 0;
    CHECK_OK(shard->data(shard->entry(other)));

    // Writing next to it could land over it or past the pack: refused.
    auto writable = Shard::openForWriting(str(dir));
    QVERIFY(!writable);
    QCOMPARE(writable.error().kind, ErrorKind::Corrupt);
    QVERIFY2(QString::fromStdString(writable.error().file).endsWith("/00000000.slot"), writable.error().file.c_str());
    QCOMPARE(writable.error().offset, std::optional<uint64_t>(uint64_t(slot) * 32 + 24));
    CHECK_ERROR(Shard::hydrate(str(dir), ShardGeometry {128, 65536}), ErrorKind::Corrupt);
}

void tst_BadInput::tableLenBeyondCapacity_data()
{
    QTest::addColumn<uint>("tableLen");

    QTest::newRow("capacity + 1 (the reference's failed append)") << 129u;
    QTest::newRow("u32 max") << 0xFFFFFFFFu;
}

void tst_BadInput::tableLenBeyondCapacity()
{
    QFETCH(uint, tableLen);

    QTemporaryDir tmp;
    const QString dir = copyFixture(tmp.path(), "basic");
    // basic's active copy is B (nonce 1 at byte 32); table_len is at 32 + 12.
    QVERIFY(patchFile(dir + "/MF", 44, u32le(tableLen)));

    auto shard = Shard::openReadOnly(str(dir));
    CHECK_OK(shard);
    QCOMPARE(shard->tableLen(), uint32_t(tableLen));
    QCOMPARE(shard->capacity(), 128u);
    QCOMPARE(shard->slotCount(), 128u);
    const QJsonObject dump = QJsonDocument::fromJson(QByteArray::fromStdString(dumpJson(*shard))).object();
    QCOMPARE(dump.value("entries").toArray().size(), 128);
    QCOMPARE(dump.value("table_len").toInteger(), qint64(tableLen));
    const ShardCounts counts = countSlots(*shard);
    QCOMPARE(counts.live + counts.tombstones, 128u);
    // Slots 100..127 are blank: live-looking with the zero key, which no lookup finds.
    QVERIFY(!shard->exists(Key()));
    QVERIFY(shard->exists(shard->entry(99).key));

    auto writable = Shard::openForWriting(str(dir));
    QVERIFY(!writable);
    QCOMPARE(writable.error().kind, ErrorKind::Corrupt);
    QVERIFY2(QString::fromStdString(writable.error().file).endsWith("/MF"), writable.error().file.c_str());
    QCOMPARE(writable.error().offset, std::optional<uint64_t>(44));
}

void tst_BadInput::emptyPackMakesEveryEntryOutOfBounds()
{
    QTemporaryDir tmp;
    const QString dir = copyFixture(tmp.path(), "basic");
    QVERIFY(QFile::resize(dir + "/00000000.pack", 0));
    auto shard = Shard::openReadOnly(str(dir));
    CHECK_OK(shard);
    QCOMPARE(shard->packSize(), uint64_t(0));
    int outside = 0;
    for (uint32_t i = 0; i < shard->slotCount(); ++i) {
        const Entry e = shard->entry(i);
        auto d = shard->data(e);
        if (e.len == 0 && e.offset == 0) {
            CHECK_OK(d); // [0, 0) does lie inside an empty pack
        } else {
            QVERIFY(!d);
            QCOMPARE(d.error().kind, ErrorKind::Corrupt);
            ++outside;
        }
    }
    QVERIFY(outside >= 99);
    QVERIFY(!dumpJson(*shard).empty());
    CHECK_ERROR(Shard::openForWriting(str(dir)), ErrorKind::Corrupt);
}

void tst_BadInput::fromBytesRejects_data()
{
    QTest::addColumn<QByteArray>("manifest");
    QTest::addColumn<QByteArray>("table");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<QString>("file");
    QTest::addColumn<qint64>("offset");

    const QByteArray mf = QByteArray(32, '\0') + mfCopy(1, 0, 1);
    QTest::newRow("manifest of 10 bytes") << mf.left(10) << QByteArray(64, '\0') << ErrorKind::Corrupt << "MF" << 10ll;
    QTest::newRow("table of 0 bytes") << mf << QByteArray() << ErrorKind::Corrupt << "00000000.slot" << 0ll;
    QTest::newRow("table of 33 bytes") << mf << QByteArray(33, '\0') << ErrorKind::Corrupt << "00000000.slot" << 32ll;
    QTest::newRow("table of generation 7, 40 bytes") << QByteArray(32, '\0') + mfCopy(1, 7, 1) << QByteArray(40, '\0')
                                                     << ErrorKind::Corrupt << "00000007.slot" << 32ll;
}

void tst_BadInput::fromBytesRejects()
{
    QFETCH(QByteArray, manifest);
    QFETCH(QByteArray, table);
    QFETCH(ErrorKind, kind);
    QFETCH(QString, file);
    QFETCH(qint64, offset);

    auto toVec = [](const QByteArray &b) { return std::vector<uint8_t>(b.begin(), b.end()); };
    auto shard = Shard::fromBytes(toVec(manifest), toVec(table), std::vector<uint8_t>(16, 0));
    QVERIFY(!shard);
    QCOMPARE(shard.error().kind, kind);
    QVERIFY2(QString::fromStdString(shard.error().file).endsWith(file), shard.error().file.c_str());
    QCOMPARE(shard.error().offset, std::optional<uint64_t>(uint64_t(offset)));
}

void tst_BadInput::fromBytesGarbageNeverCrashes()
{
    std::mt19937_64 rng(2024);
    int opened = 0;
    for (int round = 0; round < 2000; ++round) {
        // Mostly plausible sizes, so that many inputs get past the size checks
        // and their slots and pack ranges are exercised.
        const size_t mfSize = std::array<size_t, 5> {0, 64, 64, 64, size_t(rng() % 80)}[rng() % 5];
        const size_t tableSize = rng() % 4 == 0 ? rng() % 300 : 32 * (rng() % 10);
        const size_t packSize = rng() % 300;
        std::vector<uint8_t> mf = randomBytes(rng, mfSize);
        std::vector<uint8_t> table = randomBytes(rng, tableSize);
        const std::vector<uint8_t> pack = randomBytes(rng, packSize);
        if (mfSize == 64 && rng() % 2) {
            // Small table_len values and generation 0 in both copies.
            for (size_t c = 0; c < 2; ++c) {
                mf[c * 32 + 8] = mf[c * 32 + 9] = mf[c * 32 + 10] = mf[c * 32 + 11] = 0;
                mf[c * 32 + 13] = mf[c * 32 + 14] = mf[c * 32 + 15] = 0;
            }
        }
        if (tableSize % 32 == 0 && rng() % 2) {
            // Offsets and lengths small enough to hit the pack now and then.
            for (size_t s = 0; s + 32 <= tableSize; s += 32) {
                table[s + 26] = table[s + 27] = table[s + 30] = table[s + 31] = 0;
                table[s + 25] &= 1;
                table[s + 29] &= 1;
                if (rng() % 8 == 0)
                    table[s + 24] = table[s + 25] = table[s + 26] = table[s + 27] = 0xFF; // tombstone
            }
        }

        auto shard = Shard::fromBytes(mf, table, pack);
        const bool mfBad = mfSize > 0 && mfSize < 64;
        const bool tableBad = tableSize == 0 || tableSize % 32 != 0;
        if (mfBad || tableBad) {
            QVERIFY2(!shard, qPrintable(QStringLiteral("round %1 accepted a bad input").arg(round)));
            QCOMPARE(shard.error().kind, ErrorKind::Corrupt);
            continue;
        }
        QVERIFY2(
            shard, qPrintable(QStringLiteral("round %1: %2").arg(round).arg(QString::fromStdString(errorText(shard)))));
        ++opened;
        QVERIFY(!shard->writable());
        QCOMPARE(shard->capacity(), uint32_t(tableSize / 32));
        QVERIFY(shard->slotCount() <= shard->capacity());
        for (uint32_t i = 0; i < shard->slotCount(); ++i) {
            const Entry e = shard->entry(i);
            auto d = shard->data(e);
            if (e.isTombstone()) {
                QVERIFY(!d);
            } else if (e.end() <= packSize) {
                QVERIFY(d);
                QCOMPARE(d->size(), size_t(e.len));
            } else {
                QVERIFY(!d);
                QCOMPARE(d.error().kind, ErrorKind::Corrupt);
            }
            (void)shard->get(e.key);
        }
        const QJsonDocument dump = QJsonDocument::fromJson(QByteArray::fromStdString(dumpJson(*shard)));
        QVERIFY(dump.isObject());
        QCOMPARE(dump.object().value("entries").toArray().size(), qsizetype(shard->slotCount()));
        (void)dumpText(*shard);
        CHECK_ERROR(shard->append(Key({1, 2, 3}), {}), ErrorKind::Invalid);
    }
    QVERIFY2(opened > 500, qPrintable(QStringLiteral("only %1 inputs opened").arg(opened)));
}

void tst_BadInput::flippedBytesNeverCrash()
{
    // Random damage to MF and table of a real shard, through the file path.
    QTemporaryDir tmp;
    const QString dir = copyFixture(tmp.path(), "tombstones");
    const QByteArray mf = readFile(dir + "/MF");
    const QByteArray table = readFile(dir + "/00000000.slot");
    std::mt19937_64 rng(99);
    for (int round = 0; round < 300; ++round) {
        QByteArray m = mf, t = table;
        for (int i = 0; i < 4; ++i) {
            if (rng() % 3 == 0)
                m[qsizetype(rng() % 64)] = char(rng());
            else
                t[qsizetype(rng() % uint64_t(t.size()))] = char(rng());
        }
        QVERIFY(writeFile(dir + "/MF", m));
        QVERIFY(writeFile(dir + "/00000000.slot", t));
        auto shard = Shard::openReadOnly(str(dir));
        if (!shard) {
            // Only a generation change can make the open fail here.
            QCOMPARE(shard.error().kind, ErrorKind::NotFound);
            continue;
        }
        for (uint32_t i = 0; i < shard->slotCount(); ++i)
            (void)shard->get(shard->entry(i).key);
        QVERIFY(!dumpJson(*shard).empty());
        auto w = Shard::openForWriting(str(dir));
        if (w)
            QVERIFY(w->tableLen() <= w->capacity());
    }
}

QTEST_GUILESS_MAIN(tst_BadInput)
#include "tst_bad_input.moc"
