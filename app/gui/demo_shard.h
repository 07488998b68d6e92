// The demo shard: what the GUI shows when it is given no path. It holds the
// sample files of the resources target (JSON, XML, text, a shell script, a
// PNG) and a few generated entries (binary, empty, text), two of which are
// deleted again so the table shows tombstones. Written by our own writer and
// flushed, so it is a valid shard of 128 slots and a 64 KiB pack.
#pragma once

#include "error.h"
#include "key.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>

class QTemporaryDir;

namespace shardscope {

class DemoShard
{
public:
    static constexpr uint32_t kTableSlots = 128;
    static constexpr uint32_t kPackSize = 64 * 1024;

    struct Sample {
        QString name; // for people and tests; shards store no names
        QByteArray bytes;
        bool deleted = false;
    };

    // In append order; the resource files first.
    [[nodiscard]] static QList<Sample> samples();
    // The first 24 bytes of the SHA-256 of the bytes, as content-addressed
    // stores derive keys.
    [[nodiscard]] static Key keyFor(const QByteArray &bytes);

    // Writes the demo shard into `dir`, an existing empty directory.
    [[nodiscard]] static Result<void> write(const QString &dir);
    // Writes it into a new temporary directory, removed with the object.
    [[nodiscard]] static Result<DemoShard> create();

    DemoShard(DemoShard &&) noexcept;
    DemoShard &operator=(DemoShard &&) noexcept;
    ~DemoShard();

    [[nodiscard]] QString path() const;

private:
    explicit DemoShard(std::unique_ptr<QTemporaryDir> dir);
    std::unique_ptr<QTemporaryDir> m_dir;
};

} // namespace shardscope
