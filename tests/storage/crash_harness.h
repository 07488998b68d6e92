// Shared by the crash tests: the live set of a shard as the independent
// FORMAT.md reader sees it, a directory copy, and a child process that runs a
// piece of code and reports how it ended.
#pragma once

#include "independent_reader.h"
#include "sha256.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace crashtest {

// key hex -> sha256 hex of its bytes, for the first committed live slot of
// each key (the one a lookup answers with).
using LiveSet = std::map<std::string, QByteArray>;

inline bool readLiveSet(const QString &dir, LiveSet &out, uint32_t &gen, std::string &error)
{
    out.clear();
    gen = 0;
    // No MF: a fresh shard that has committed nothing (FORMAT.md), whatever
    // generation-0 files an interrupted hydrate left.
    if (!QFileInfo::exists(dir + QStringLiteral("/MF")))
        return true;
    independent::ShardImage image;
    if (!independent::readShard(dir.toStdString(), image, error))
        return false;
    gen = image.gen;
    for (const auto &slot : image.entries) {
        if (slot.tombstone)
            continue;
        if (!slot.inPack) {
            error = "slot " + std::to_string(slot.index) + " points outside the pack";
            return false;
        }
        const std::string key = independent::hex(slot.key.data(), slot.key.size());
        if (out.contains(key))
            continue;
        out[key] = QByteArray::fromStdString(shardscope::Sha256::hexHash(slot.data));
    }
    return true;
}

// key hex -> the entry's bytes.
using LiveBytes = std::map<std::string, QByteArray>;

// The live set compared byte for byte with `expected`, from FORMAT.md alone.
// The files are read into buffers kept from call to call: on this virtual
// machine a fresh page costs tens of microseconds to fault in, so mapping or
// allocating 16 MiB after each of hundreds of kills would cost more than the
// kills. True when equal; otherwise `error` says why.
inline bool compareLiveBytes(const QString &dir, const LiveBytes &expected, uint32_t &gen, std::string &error)
{
    gen = 0;
    QFile mf(dir + QStringLiteral("/MF"));
    if (!mf.exists()) {
        error = expected.empty() ? "" : "no MF: nothing is committed";
        return expected.empty();
    }
    if (!mf.open(QIODevice::ReadOnly)) {
        error = "cannot open MF";
        return false;
    }
    const QByteArray m = mf.read(64);
    if (m.size() < 64) {
        error = "MF is shorter than 64 bytes";
        return false;
    }
    auto u32 = [](const uchar *b) {
        return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
    };
    auto u64 = [&](const uchar *b) { return uint64_t(u32(b)) | uint64_t(u32(b + 4)) << 32; };
    const auto *mb = reinterpret_cast<const uchar *>(m.constData());
    const uchar *active = u64(mb + 32) > u64(mb) ? mb + 32 : mb;
    gen = u32(active + 8);
    const uint32_t tableLen = u32(active + 12);
    QFile table(dir + u'/' + QString::asprintf("%08x.slot", gen));
    QFile pack(dir + u'/' + QString::asprintf("%08x.pack", gen));
    if (!table.open(QIODevice::ReadOnly) || !pack.open(QIODevice::ReadOnly)) {
        error = "cannot open the table or pack of generation " + std::to_string(gen);
        return false;
    }
    static std::vector<uchar> tableBuffer, packBuffer;
    auto readWhole = [&](QFile &f, std::vector<uchar> &buffer) {
        if (buffer.size() < size_t(f.size()))
            buffer.resize(size_t(f.size()));
        return f.read(reinterpret_cast<char *>(buffer.data()), f.size()) == f.size();
    };
    if (!readWhole(table, tableBuffer) || !readWhole(pack, packBuffer)) {
        error = "cannot read the table or pack";
        return false;
    }
    const uchar *t = tableBuffer.data();
    const uchar *p = packBuffer.data();
    const uint64_t n = std::min<uint64_t>(tableLen, uint64_t(table.size()) / 32);
    std::map<std::string, bool> seen;
    for (uint64_t i = 0; i < n; ++i) {
        const uchar *slot = t + i * 32;
        const uint32_t offset = u32(slot + 24);
        const uint32_t len = u32(slot + 28);
        if (offset == 0xFFFFFFFFu)
            continue;
        const std::string key = QByteArray(reinterpret_cast<const char *>(slot), 24).toHex().toStdString();
        if (seen.contains(key))
            continue;
        seen[key] = true;
        const auto it = expected.find(key);
        if (it == expected.end()) {
            error = "slot " + std::to_string(i) + " holds key " + key + ", which is not expected";
            return false;
        }
        if (uint64_t(offset) + len > uint64_t(pack.size()) || qsizetype(len) != it->second.size()
            || std::memcmp(p + offset, it->second.constData(), len) != 0) {
            error = "slot " + std::to_string(i) + " (key " + key + ") does not hold the expected bytes";
            return false;
        }
    }
    if (seen.size() != expected.size()) {
        error = std::to_string(seen.size()) + " live entries instead of " + std::to_string(expected.size());
        return false;
    }
    return true;
}

// Copies the regular files of `from` into `to` (created; must not exist).
// Runs of zeros become holes, as in the sparse originals: a round then has
// only its real bytes to write back when the operation syncs a file.
inline bool copyShardDir(const QString &from, const QString &to)
{
    if (!QDir().mkpath(to))
        return false;
    const QDir src(from);
    for (const QString &name : src.entryList(QDir::Files | QDir::Hidden | QDir::System)) {
        QFile in(src.filePath(name));
        QFile out(to + u'/' + name);
        if (!in.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly))
            return false;
        constexpr qint64 kBlock = 64 << 10;
        QByteArray block;
        qint64 at = 0;
        while (!(block = in.read(kBlock)).isEmpty()) {
            if (block.count('\0') != block.size()) {
                if (!out.seek(at) || out.write(block) != block.size())
                    return false;
            }
            at += block.size();
        }
        if (!out.resize(at))
            return false;
    }
    return true;
}

struct ChildEnd {
    bool exited = false; // normal exit; `code` holds the status
    int code = 0;
    bool signalled = false; // killed; `signal` holds the signal
    int signal = 0;
    bool timedOut = false;
    std::string output; // what the child wrote to its pipe

    [[nodiscard]] std::string describe() const
    {
        if (timedOut)
            return "timed out";
        if (signalled)
            return "killed by signal " + std::to_string(signal);
        return "exited with " + std::to_string(code);
    }
};

// Runs `body` in a forked child that writes its report to the given fd and
// leaves with _exit(its return value), never through the parent's exit path.
inline ChildEnd runInChild(const std::function<int(int reportFd)> &body, std::chrono::seconds limit)
{
    ChildEnd end;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        end.output = "pipe failed";
        return end;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        end.output = "fork failed";
        return end;
    }
    if (pid == 0) {
        ::close(fds[0]);
        const int code = body(fds[1]);
        ::close(fds[1]);
        ::_exit(code);
    }
    ::close(fds[1]);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    auto drain = [&]() {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
            end.output.append(buf, size_t(n));
    };
    while (true) {
        drain();
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            end.timedOut = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    drain();
    ::close(fds[0]);
    if (WIFEXITED(status)) {
        end.exited = true;
        end.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        end.signalled = true;
        end.signal = WTERMSIG(status);
    }
    return end;
}

inline void writeReport(int fd, const std::string &text)
{
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0)
            return;
        done += size_t(n);
    }
}

} // namespace crashtest
