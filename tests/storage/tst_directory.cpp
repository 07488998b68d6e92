// The positioned-write primitives of directory.h. writeGathered hands many
// pieces to the kernel at once: more than one call takes (IOV_MAX), empty
// ones among them, and a kernel that writes fewer bytes than asked, after
// which it must go on from the middle of a piece.
#include "test_support.h"

#include "directory.h"
#include "fault_injection.h"

#include <QTemporaryDir>
#include <QTest>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstring>
#include <optional>
#include <vector>

using namespace shardscope;
using namespace testsupport;

namespace {

constexpr char kFill = char(0xC3); // what the file holds where nothing was written

// Pieces of the given lengths cut from `source` at varying places, so that a
// piece written in the wrong place or twice shows.
std::vector<std::span<const uint8_t>> piecesOf(const std::vector<uint8_t> &source, const QList<int> &lens)
{
    std::vector<std::span<const uint8_t>> out;
    size_t at = 0;
    for (const int len : lens) {
        at = (at + 7919) % (source.size() - size_t(len) + 1);
        out.emplace_back(source.data() + at, size_t(len));
    }
    return out;
}

QByteArray concatenated(const std::vector<std::span<const uint8_t>> &pieces)
{
    QByteArray out;
    for (const auto &p : pieces)
        out += toByteArray(p);
    return out;
}

// Records every fault-injection step while alive; fails the steps with
// `err` when it is not 0.
class HookRecorder
{
public:
    explicit HookRecorder(int err = 0)
    {
        setFaultHook([this, err](const IoEvent &e) {
            events.push_back(e);
            return err;
        });
    }
    ~HookRecorder() { clearFaultHook(); }
    HookRecorder(const HookRecorder &) = delete;
    HookRecorder &operator=(const HookRecorder &) = delete;
    std::vector<IoEvent> events;
};

QList<int> lengths(int count, int len)
{
    return QList<int>(count, len);
}

// A file "f" in a temporary directory, holding `before`, open for writing
// through the storage library.
struct TargetFile {
    QTemporaryDir tmp;
    QString file;
    std::optional<Directory> dir;
    UniqueFd fd;
    std::string path;

    [[nodiscard]] bool open(const QByteArray &before)
    {
        file = tmp.filePath(QStringLiteral("f"));
        if (!tmp.isValid() || !writeFile(file, before))
            return false;
        auto opened = Directory::open(str(tmp.path()));
        if (!opened)
            return false;
        dir.emplace(std::move(*opened));
        auto writable = dir->openForWriting("f");
        if (!writable)
            return false;
        fd = std::move(*writable);
        path = dir->filePath("f");
        return true;
    }
};

} // namespace

class tst_Directory : public QObject
{
    Q_OBJECT

private slots:
    void writeGatheredPlacesBytes_data();
    void writeGatheredPlacesBytes();
    void writeGatheredInjectedError_data();
    void writeGatheredInjectedError();
    void writeGatheredStopsAtARealErrorMidway();
    void writeGatheredContinuesAfterAShortWrite();
};

void tst_Directory::writeGatheredPlacesBytes_data()
{
    QTest::addColumn<QList<int>>("lens");
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<bool>("pastTheEnd"); // the file is empty before the write

    QTest::newRow("no pieces") << QList<int> {} << qint64(0) << false;
    QTest::newRow("only empty pieces") << QList<int> {0, 0, 0} << qint64(100) << false;
    QTest::newRow("one piece") << QList<int> {1000} << qint64(0) << false;
    QTest::newRow("one piece at an odd offset") << QList<int> {1000} << qint64(4097) << false;
    QTest::newRow("empty pieces first, between and last")
        << QList<int> {0, 0, 5, 0, 7, 0, 0, 1, 0} << qint64(3) << false;
    QTest::newRow("IOV_MAX pieces") << lengths(IOV_MAX, 3) << qint64(10) << false;
    QTest::newRow("IOV_MAX + 1 pieces") << lengths(IOV_MAX + 1, 3) << qint64(10) << false;
    QTest::newRow("3000 one-byte pieces") << lengths(3000, 1) << qint64(1) << false;
    {
        QList<int> lens;
        for (int i = 0; i < 2500; ++i)
            lens << (i % 3 == 0 ? 0 : 1 + (i * 37) % 100);
        QTest::newRow("2500 pieces, every third empty") << lens << qint64(12345) << false;
    }
    {
        // The empty pieces do not count against a call's IOV_MAX.
        QList<int> lens(1500, 0);
        lens << 1;
        lens << QList<int>(IOV_MAX, 0);
        lens << 2;
        QTest::newRow("1500 empty pieces, a byte, 1024 empty, two bytes") << lens << qint64(0) << false;
    }
    QTest::newRow("a 3 MiB piece among small ones") << QList<int> {10, 3 << 20, 0, 20} << qint64(65536) << false;
    QTest::newRow("past the end of the file") << lengths(1100, 9) << qint64(5000) << true;
}

void tst_Directory::writeGatheredPlacesBytes()
{
    QFETCH(QList<int>, lens);
    QFETCH(qint64, offset);
    QFETCH(bool, pastTheEnd);

    std::mt19937_64 rng(uint64_t(lens.size()) + uint64_t(offset));
    const std::vector<uint8_t> source = randomBytes(rng, (4 << 20) + 13);
    const auto pieces = piecesOf(source, lens);
    const QByteArray data = concatenated(pieces);

    const QByteArray before = pastTheEnd ? QByteArray() : QByteArray(qsizetype(offset) + data.size() + 4096, kFill);
    TargetFile target;
    QVERIFY(target.open(before));
    const QString &file = target.file;
    const int fd = target.fd.get();
    const std::string &path = target.path;

    std::vector<IoEvent> events;
    {
        HookRecorder hook;
        CHECK_OK(writeGathered(fd, pieces, uint64_t(offset), path));
        events = hook.events;
    }

    QByteArray expected = before;
    if (!data.isEmpty()) {
        if (expected.size() < offset + data.size())
            expected.resize(qsizetype(offset) + data.size(), '\0');
        expected.replace(qsizetype(offset), data.size(), data);
    }
    const QByteArray after = readFile(file);
    QCOMPARE(after.size(), expected.size());
    const auto differs = std::mismatch(after.begin(), after.end(), expected.begin()).first - after.begin();
    QVERIFY2(after == expected, qPrintable(QStringLiteral("file byte %1 differs").arg(differs)));

    // One step for the whole write, of its total length; none for nothing.
    if (data.isEmpty()) {
        QCOMPARE(events.size(), size_t(0));
        return;
    }
    QCOMPARE(events.size(), size_t(1));
    QCOMPARE(int(events[0].step), int(IoStep::Write));
    QCOMPARE(events[0].path, path);
    QCOMPARE(events[0].fd, fd);
    QCOMPARE(events[0].offset, uint64_t(offset));
    QCOMPARE(events[0].length, uint64_t(data.size()));
}

void tst_Directory::writeGatheredInjectedError_data()
{
    QTest::addColumn<int>("err");
    QTest::addColumn<QList<int>>("lens");

    QTest::newRow("EIO, one piece") << EIO << QList<int> {100};
    QTest::newRow("EIO, 2000 pieces") << EIO << lengths(2000, 50);
    QTest::newRow("ENOSPC, empty pieces among them") << ENOSPC << QList<int> {0, 10, 0, 20, 0};
}

// An injected errno comes back as a real failure of the call would: an Io
// error naming the file and the offset, and nothing written.
void tst_Directory::writeGatheredInjectedError()
{
    QFETCH(int, err);
    QFETCH(QList<int>, lens);

    std::mt19937_64 rng(5);
    const std::vector<uint8_t> source = randomBytes(rng, 1 << 16);
    const auto pieces = piecesOf(source, lens);
    const uint64_t total = uint64_t(concatenated(pieces).size());
    constexpr uint64_t kOffset = 70001;

    const QByteArray before(qsizetype(kOffset + total + 10), kFill);
    TargetFile target;
    QVERIFY(target.open(before));
    const QString &file = target.file;
    const int fd = target.fd.get();
    const std::string &path = target.path;

    Result<void> r;
    std::vector<IoEvent> events;
    {
        HookRecorder hook(err);
        r = writeGathered(fd, pieces, kOffset, path);
        events = hook.events;
    }
    QCOMPARE(events.size(), size_t(1));
    QCOMPARE(events[0].length, total);
    QVERIFY(!r);
    QCOMPARE(r.error().kind, ErrorKind::Io);
    QCOMPARE(r.error().file, path);
    QCOMPARE(r.error().offset, std::optional<uint64_t>(kOffset));
    QVERIFY2(r.error().message.find(std::strerror(err)) != std::string::npos, r.error().message.c_str());
    QCOMPARE(readFile(file), before);
}

// A file size limit makes the kernel write up to the limit and refuse the
// rest (EFBIG): the first call writes short, inside a piece, and the call
// that goes on from there fails. The error names where the writing stopped,
// and every byte before it is in place.
void tst_Directory::writeGatheredStopsAtARealErrorMidway()
{
    std::mt19937_64 rng(6);
    const std::vector<uint8_t> source = randomBytes(rng, 1 << 16);
    const auto pieces = piecesOf(source, lengths(50, 1000));
    const QByteArray data = concatenated(pieces);
    constexpr uint64_t kLimit = 20500; // inside the 21st piece

    TargetFile target;
    QVERIFY(target.open(QByteArray()));
    const QString &file = target.file;
    const int fd = target.fd.get();
    const std::string &path = target.path;

    rlimit old {};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
    const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limited = old;
    limited.rlim_cur = kLimit;
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &limited), 0);
    const Result<void> r = writeGathered(fd, pieces, 0, path);
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, oldHandler);

    QVERIFY2(!r, "a write past the file size limit succeeded");
    QCOMPARE(r.error().kind, ErrorKind::Io);
    QCOMPARE(r.error().file, path);
    QCOMPARE(r.error().offset, std::optional<uint64_t>(kLimit));
    QVERIFY2(r.error().message.find(std::strerror(EFBIG)) != std::string::npos, r.error().message.c_str());
    QCOMPARE(readFile(file), data.left(qsizetype(kLimit)));
}

// Linux writes at most MAX_RW_COUNT (2 GiB less a page) per call, so a
// gathered write of more comes back short, in the middle of a piece, and the
// rest must follow from exactly there. An in-memory file (memfd) takes the
// 2.4 GiB without touching the disk.
void tst_Directory::writeGatheredContinuesAfterAShortWrite()
{
    std::mt19937_64 rng(7);
    const std::vector<uint8_t> source = randomBytes(rng, 4 << 20);
    QList<int> lens;
    for (int i = 0; i < 800; ++i)
        lens << (3 << 20) + i % 7;
    const auto pieces = piecesOf(source, lens);
    uint64_t total = 0;
    for (const auto &p : pieces)
        total += p.size();
    constexpr uint64_t kOffset = 4097;

    const int fd = ::memfd_create("shardscope-writeGathered", MFD_CLOEXEC);
    QVERIFY(fd >= 0);
    struct CloseFd {
        int fd;
        ~CloseFd() { ::close(fd); }
    } closeFd {fd};

    // The premise: one call does write short here.
    std::vector<iovec> vec;
    for (const auto &p : pieces)
        vec.push_back({const_cast<uint8_t *>(p.data()), p.size()});
    const ssize_t once = ::pwritev(fd, vec.data(), int(vec.size()), off_t(kOffset));
    QVERIFY2(once > 0 && uint64_t(once) < total,
        qPrintable(QStringLiteral("one pwritev wrote %1 of %2 bytes").arg(once).arg(total)));
    QCOMPARE(::ftruncate(fd, 0), 0);

    CHECK_OK(writeGathered(fd, pieces, kOffset, "memfd"));
    struct stat st {
    };
    QCOMPARE(::fstat(fd, &st), 0);
    QCOMPARE(uint64_t(st.st_size), kOffset + total);

    // Read back piece by piece; the hole before the offset reads as zeros.
    std::vector<uint8_t> back(kOffset);
    QCOMPARE(::pread(fd, back.data(), back.size(), 0), ssize_t(kOffset));
    QVERIFY(std::all_of(back.begin(), back.end(), [](uint8_t b) { return b == 0; }));
    uint64_t at = kOffset;
    for (size_t i = 0; i < pieces.size(); ++i) {
        back.resize(pieces[i].size());
        QCOMPARE(::pread(fd, back.data(), back.size(), off_t(at)), ssize_t(back.size()));
        if (std::memcmp(back.data(), pieces[i].data(), back.size()) != 0) {
            const auto differs = std::mismatch(back.begin(), back.end(), pieces[i].begin()).first - back.begin();
            QFAIL(qPrintable(QStringLiteral("piece %1 differs at its byte %2 (file offset %3; one call wrote %4)")
                                 .arg(i)
                                 .arg(differs)
                                 .arg(at + uint64_t(differs))
                                 .arg(once)));
        }
        at += pieces[i].size();
    }
}

QTEST_GUILESS_MAIN(tst_Directory)
#include "tst_directory.moc"
