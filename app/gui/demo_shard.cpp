#include "demo_shard.h"

#include "resources.h"
#include "sha256.h"
#include "shard.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

namespace shardscope {

namespace {

std::span<const uint8_t> asSpan(const QByteArray &bytes)
{
    return {reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())};
}

// Deterministic noise, so the demo looks the same on every run.
QByteArray noise(qsizetype size, uint32_t seed)
{
    QByteArray out(size, Qt::Uninitialized);
    for (char &c : out) {
        seed = seed * 1664525u + 1013904223u;
        c = char(seed >> 24);
    }
    return out;
}

} // namespace

QList<DemoShard::Sample> DemoShard::samples()
{
    QList<Sample> out;
    const QDir demoDir(QString::fromLatin1(resources::kDemoDir));
    for (const char *name : {"config.json", "layout.xml", "note.txt", "backup.sh", "pattern.png"}) {
        // Compiled in, so this cannot fail at run time; tst_gui_demoshard
        // checks that every sample is there.
        QFile file(demoDir.filePath(QString::fromLatin1(name)));
        if (file.open(QIODevice::ReadOnly))
            out.append({QString::fromLatin1(name), file.readAll(), false});
    }
    out.append({QStringLiteral("random.bin"), noise(1536, 0x5eed), false});
    out.append({QStringLiteral("empty"), QByteArray(), false});
    out.append({QStringLiteral("hello.txt"), QByteArrayLiteral("Hello from the ShardScope demo shard.\n"), false});
    out.append({QStringLiteral("draft.txt"), QByteArrayLiteral("A draft that was deleted again.\n"), true});
    out.append({QStringLiteral("access.log"),
        QByteArrayLiteral("2026-11-02T09:14:03Z GET 3fa0c1 200 7480\n"
                          "2026-11-02T09:14:05Z PUT 91be02 201 1536\n"
                          "2026-11-02T09:15:40Z GET 000000 404 0\n"),
        false});
    out.append({QStringLiteral("scratch.bin"), noise(200, 0xdead), true});
    return out;
}

Key DemoShard::keyFor(const QByteArray &bytes)
{
    return Key::fromBytes(Sha256::hash(asSpan(bytes)).data());
}

Result<void> DemoShard::write(const QString &dir)
{
    auto shard = Shard::hydrate(QDir(dir).absolutePath().toStdString(), ShardGeometry {kTableSlots, kPackSize});
    if (!shard)
        return std::unexpected(shard.error());
    const QList<Sample> all = samples();
    for (const Sample &sample : all) {
        auto appended = shard->append(keyFor(sample.bytes), asSpan(sample.bytes));
        if (!appended)
            return std::unexpected(appended.error());
        if (!*appended)
            return fail(
                ErrorKind::Invalid, shard->path(), "two demo samples have the same key: " + sample.name.toStdString());
    }
    for (const Sample &sample : all) {
        if (!sample.deleted)
            continue;
        auto removed = shard->remove(keyFor(sample.bytes));
        if (!removed)
            return std::unexpected(removed.error());
    }
    return shard->flush();
}

Result<DemoShard> DemoShard::create()
{
    auto dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/shardscope-demo-XXXXXX"));
    if (!dir->isValid())
        return fail(ErrorKind::Io, QDir::tempPath().toStdString(),
            "cannot create a temporary directory: " + dir->errorString().toStdString());
    if (auto written = write(dir->path()); !written)
        return std::unexpected(written.error());
    return DemoShard(std::move(dir));
}

DemoShard::DemoShard(std::unique_ptr<QTemporaryDir> dir) : m_dir(std::move(dir))
{ }

DemoShard::DemoShard(DemoShard &&) noexcept = default;
DemoShard &DemoShard::operator=(DemoShard &&) noexcept = default;
DemoShard::~DemoShard() = default;

QString DemoShard::path() const
{
    return m_dir ? m_dir->path() : QString();
}

} // namespace shardscope
