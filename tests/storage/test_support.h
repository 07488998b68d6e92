// Helpers shared by the storage tests: fixture paths, scratch copies, raw
// byte surgery on shard files, and macros that print the storage library's
// error (file, offset, message) when a call that should succeed does not.
#pragma once

#include "error.h"
#include "key.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QString>
#include <QTest>

#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace shardscope {
// Found by QCOMPARE through argument-dependent lookup.
inline char *toString(ErrorKind kind)
{
    return qstrdup(errorKindName(kind));
}
inline char *toString(const Key &key)
{
    return qstrdup(key.toHex().c_str());
}
} // namespace shardscope

Q_DECLARE_METATYPE(shardscope::Key)
Q_DECLARE_METATYPE(shardscope::ErrorKind)

namespace testsupport {

inline QString dataPath(const QString &name)
{
    return QStringLiteral(SHARDSCOPE_TEST_DATA) + u'/' + name;
}

inline std::string str(const QString &s)
{
    return s.toStdString();
}

template<typename R> std::string errorText(const R &r)
{
    if (r.has_value())
        return {};
    return std::string(shardscope::errorKindName(r.error().kind)) + ": " + r.error().describe();
}

// The Result must hold a value; on failure the test stops with the error.
#define CHECK_OK(expr)                                                                                                 \
    do {                                                                                                               \
        const auto &res_ = (expr);                                                                                     \
        QVERIFY2(res_.has_value(), ::testsupport::errorText(res_).c_str());                                            \
    } while (false)

// The Result must hold exactly this value.
#define COMPARE_OK(expr, expected)                                                                                     \
    do {                                                                                                               \
        const auto &res_ = (expr);                                                                                     \
        QVERIFY2(res_.has_value(), ::testsupport::errorText(res_).c_str());                                            \
        QCOMPARE(*res_, expected);                                                                                     \
    } while (false)

// The Result must be an error of this kind.
#define CHECK_ERROR(expr, expectedKind)                                                                                \
    do {                                                                                                               \
        const auto &res_ = (expr);                                                                                     \
        QVERIFY2(!res_.has_value(), "expected an error, got a value");                                                 \
        QCOMPARE(res_.error().kind, expectedKind);                                                                     \
    } while (false)

inline QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

inline bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(bytes) == bytes.size();
}

// 32 random bytes: a content ID for store tests.
inline std::array<uint8_t, 32> randomCid(std::mt19937_64 &rng)
{
    std::array<uint8_t, 32> cid {};
    for (auto &b : cid)
        b = uint8_t(rng());
    return cid;
}

// Overwrites bytes in place; the file keeps its size unless the patch runs past it.
inline bool patchFile(const QString &path, qint64 offset, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite))
        return false;
    return f.seek(offset) && f.write(bytes) == bytes.size();
}

inline QByteArray u32le(uint32_t v)
{
    QByteArray b(4, '\0');
    for (int i = 0; i < 4; ++i)
        b[i] = char(v >> (8 * i));
    return b;
}

inline QByteArray u64le(uint64_t v)
{
    QByteArray b(8, '\0');
    for (int i = 0; i < 8; ++i)
        b[i] = char(v >> (8 * i));
    return b;
}

inline uint32_t readU32(const QByteArray &b, qsizetype at)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = v << 8 | uint8_t(b[at + i]);
    return v;
}

inline uint64_t readU64(const QByteArray &b, qsizetype at)
{
    return uint64_t(readU32(b, at)) | uint64_t(readU32(b, at + 4)) << 32;
}

// Copies a directory tree (files and sub-directories) below `to`, which must not exist.
inline bool copyTree(const QString &from, const QString &to)
{
    if (!QDir().mkpath(to))
        return false;
    const QDir src(from);
    for (const QFileInfo &fi :
        src.entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System)) {
        const QString target = to + u'/' + fi.fileName();
        if (fi.isDir()) {
            if (!copyTree(fi.absoluteFilePath(), target))
                return false;
        } else if (!QFile::copy(fi.absoluteFilePath(), target)) {
            return false;
        }
    }
    return true;
}

// A fixture copied into scratch space, so that writing tests never touch tests/data.
inline QString copyFixture(const QString &scratch, const QString &name)
{
    const QString to = scratch + u'/' + name;
    return copyTree(dataPath(name), to) ? to : QString();
}

inline QByteArray sha256Hex(std::span<const uint8_t> bytes)
{
    return QCryptographicHash::hash(QByteArrayView(bytes.data(), qsizetype(bytes.size())), QCryptographicHash::Sha256)
        .toHex();
}

inline QByteArray sha256Hex(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

inline std::span<const uint8_t> bytesOf(const QByteArray &b)
{
    return {reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())};
}

inline QByteArray toByteArray(std::span<const uint8_t> b)
{
    return QByteArray(reinterpret_cast<const char *>(b.data()), qsizetype(b.size()));
}

inline shardscope::Key randomKey(std::mt19937_64 &rng)
{
    while (true) {
        const shardscope::Key k({rng(), rng(), rng()});
        if (!k.isZero())
            return k;
    }
}

inline std::vector<uint8_t> randomBytes(std::mt19937_64 &rng, size_t len)
{
    std::vector<uint8_t> out(len);
    for (auto &b : out)
        b = uint8_t(rng());
    return out;
}

// What a read-only open must leave alone: each file's content, size and mtime.
struct FileState {
    QByteArray sha256;
    qint64 size = 0;
    int64_t mtimeSec = 0;
    int64_t mtimeNsec = 0;
    bool isDir = false;

    friend bool operator==(const FileState &, const FileState &) = default;
};

inline FileState fileState(const QString &path)
{
    FileState s;
    struct stat st {
    };
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return s;
    s.size = qint64(st.st_size);
    s.mtimeSec = int64_t(st.st_mtim.tv_sec);
    s.mtimeNsec = int64_t(st.st_mtim.tv_nsec);
    s.isDir = S_ISDIR(st.st_mode);
    // Only regular files are read: opening a FIFO would block, and reading
    // through a symlink would count as an access to its target.
    if (S_ISREG(st.st_mode))
        s.sha256 = sha256Hex(readFile(path));
    else if (S_ISLNK(st.st_mode))
        s.sha256 = "link:" + QFile::encodeName(QFile::symLinkTarget(path));
    return s;
}

// Every entry below `root`, and `root` itself (its mtime changes when a file is created in it).
inline std::map<QString, FileState> snapshotTree(const QString &root)
{
    std::map<QString, FileState> out;
    out[QStringLiteral(".")] = fileState(root);
    QDirIterator it(
        root, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString p = it.next();
        out[QDir(root).relativeFilePath(p)] = fileState(p);
    }
    return out;
}

// Names present in a directory, sorted (QDir sorts by name).
inline QStringList listDir(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDir::Name);
}

} // namespace testsupport
