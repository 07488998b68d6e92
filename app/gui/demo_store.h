// The demo store: what the GUI shows with --demo or no path. A small store
// whose root shard and one child shard hold the sample files of the resources
// target (JSON, XML, text, a shell script, a PNG) and generated entries (YAML,
// Markdown, INI, raw binary, an empty entry). It has a history, so every view
// has something to show: the root was compacted once (its generation 0 files
// stay behind as a stale generation), written to again, and two entries were
// deleted after that (tombstones). Written by our own writer and flushed, so
// every shard in it is valid and checks without errors or warnings.
#pragma once

#include "error.h"
#include "store.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>

class QTemporaryDir;

namespace shardscope {

class DemoStore
{
public:
    static constexpr uint32_t kTableSlots = 128;
    static constexpr uint32_t kPackSize = 64 * 1024;

    struct Sample {
        QString name; // for people and tests; shards store no names
        QByteArray bytes;
        // The shard it lives in, relative to the store ("" is the root).
        QString shard;
        bool deleted = false;
    };

    // Every blob ever written, in write order.
    [[nodiscard]] static QList<Sample> samples();
    // The blob's content ID, the SHA-256 of its bytes.
    [[nodiscard]] static ContentId contentId(const QByteArray &bytes);

    // Writes the demo store into `dir`, an existing empty directory.
    [[nodiscard]] static Result<void> write(const QString &dir);
    // Writes it into a new temporary directory, removed with the object.
    [[nodiscard]] static Result<DemoStore> create();

    DemoStore(DemoStore &&) noexcept;
    DemoStore &operator=(DemoStore &&) noexcept;
    ~DemoStore();

    [[nodiscard]] QString path() const;

private:
    explicit DemoStore(std::unique_ptr<QTemporaryDir> dir);
    std::unique_ptr<QTemporaryDir> m_dir;
};

} // namespace shardscope
