#include "demo_store.h"

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

// Blobs go to the child shard of their content ID's first byte; these are
// varied until their IDs share one, so that one child holds several.
QList<QByteArray> childBlobs(uint8_t *firstByte)
{
    QList<QByteArray> out;
    const QByteArray first = QByteArrayLiteral("{\"sensor\": \"north-7\", \"reading\": 0, \"unit\": \"kPa\"}\n");
    *firstByte = DemoStore::contentId(first)[0];
    out.append(first);
    for (int reading = 1; out.size() < 4; ++reading) {
        const QByteArray candidate = QByteArrayLiteral("{\"sensor\": \"north-7\", \"reading\": ")
            + QByteArray::number(reading) + QByteArrayLiteral(", \"unit\": \"kPa\"}\n");
        if (DemoStore::contentId(candidate)[0] == *firstByte)
            out.append(candidate);
    }
    return out;
}

// Which samples are written before the root shard is compacted.
bool beforeCompaction(const QString &name)
{
    static const QStringList early {QStringLiteral("config.json"), QStringLiteral("layout.xml"),
        QStringLiteral("note.txt"), QStringLiteral("backup.sh"), QStringLiteral("pattern.png"),
        QStringLiteral("random.bin"), QStringLiteral("empty"), QStringLiteral("old-draft.txt")};
    return early.contains(name);
}

Result<void> appendAll(Shard &shard, const QList<DemoStore::Sample> &samples, int depth)
{
    for (const auto &sample : samples) {
        const Key key = keyAtDepth(DemoStore::contentId(sample.bytes), depth);
        auto appended = shard.append(key, asSpan(sample.bytes));
        if (!appended)
            return std::unexpected(appended.error());
        if (!*appended)
            return fail(
                ErrorKind::Invalid, shard.path(), "two demo samples have the same key: " + sample.name.toStdString());
    }
    return {};
}

Result<void> removeAll(Shard &shard, const QList<DemoStore::Sample> &samples, int depth)
{
    for (const auto &sample : samples) {
        if (!sample.deleted)
            continue;
        auto removed = shard.remove(keyAtDepth(DemoStore::contentId(sample.bytes), depth));
        if (!removed)
            return std::unexpected(removed.error());
    }
    return shard.flush();
}

} // namespace

QList<DemoStore::Sample> DemoStore::samples()
{
    QList<Sample> out;
    const QDir demoDir(QString::fromLatin1(resources::kDemoDir));
    for (const char *name : {"config.json", "layout.xml", "note.txt", "backup.sh", "pattern.png"}) {
        // Compiled in, so this cannot fail at run time; tst_gui_demostore
        // checks that every sample is there.
        QFile file(demoDir.filePath(QString::fromLatin1(name)));
        if (file.open(QIODevice::ReadOnly))
            out.append({QString::fromLatin1(name), file.readAll(), {}, false});
    }
    out.append({QStringLiteral("random.bin"), noise(1536, 0x5eed), {}, false});
    out.append({QStringLiteral("empty"), QByteArray(), {}, false});
    // Deleted before the compaction, so only the stale generation holds it.
    out.append({QStringLiteral("old-draft.txt"), QByteArrayLiteral("An early draft, deleted and compacted away.\n"), {},
        true});
    out.append({QStringLiteral("hello.txt"), QByteArrayLiteral("Hello from the ShardScope demo store.\n"), {}, false});
    out.append({QStringLiteral("deploy.yaml"),
        QByteArrayLiteral("---\n# Where the store is served from\nservice:\n  name: shardscope-demo\n"
                          "  replicas: 3\n  ports:\n    - 8080\n    - 8443\n"),
        {}, false});
    out.append({QStringLiteral("CHANGES.md"),
        QByteArrayLiteral("# Changes\n\n## 1.2\n\n- Compaction keeps the old generation until it is removed.\n"
                          "- *Faster* lookups with a hash index.\n\n```sh\nshardscope-cli check .\n```\n"),
        {}, false});
    out.append({QStringLiteral("client.ini"),
        QByteArrayLiteral("[store]\npath=/srv/blobs\nreadonly=true\n\n[cache]\n; bytes\nsize=67108864\n"), {}, false});
    out.append({QStringLiteral("draft.txt"), QByteArrayLiteral("A draft that was deleted again.\n"), {}, true});
    out.append({QStringLiteral("access.log"),
        QByteArrayLiteral("2026-11-02T09:14:03Z GET 3fa0c1 200 7480\n"
                          "2026-11-02T09:14:05Z PUT 91be02 201 1536\n"
                          "2026-11-02T09:15:40Z GET 000000 404 0\n"),
        {}, false});
    out.append({QStringLiteral("scratch.bin"), noise(200, 0xdead), {}, true});

    uint8_t childByte = 0;
    const QList<QByteArray> blobs = childBlobs(&childByte);
    const QString child = QStringLiteral("%1").arg(childByte, 2, 16, QLatin1Char('0'));
    for (qsizetype i = 0; i < blobs.size(); ++i)
        out.append({QStringLiteral("reading-%1.json").arg(i), blobs[i], child, false});
    return out;
}

ContentId DemoStore::contentId(const QByteArray &bytes)
{
    return Sha256::hash(asSpan(bytes));
}

Result<void> DemoStore::write(const QString &dir)
{
    const QString rootPath = QDir(dir).absolutePath();
    const ShardGeometry geometry {kTableSlots, kPackSize};
    QList<Sample> early, late;
    QMap<QString, QList<Sample>> children;
    for (const Sample &sample : samples()) {
        if (!sample.shard.isEmpty())
            children[sample.shard].append(sample);
        else if (beforeCompaction(sample.name))
            early.append(sample);
        else
            late.append(sample);
    }

    auto root = Shard::hydrate(rootPath.toStdString(), geometry);
    if (!root)
        return std::unexpected(root.error());
    if (auto r = appendAll(*root, early, 0); !r)
        return r;
    if (auto r = removeAll(*root, early, 0); !r)
        return r;
    if (auto r = root->compact(); !r)
        return std::unexpected(r.error());
    if (auto r = appendAll(*root, late, 0); !r)
        return r;
    if (auto r = removeAll(*root, late, 0); !r)
        return r;

    for (auto it = children.cbegin(); it != children.cend(); ++it) {
        if (!QDir(rootPath).mkdir(it.key()))
            return fail(
                ErrorKind::Io, rootPath.toStdString(), "cannot create child directory " + it.key().toStdString());
        auto child = Shard::hydrate((rootPath + QLatin1Char('/') + it.key()).toStdString(), geometry);
        if (!child)
            return std::unexpected(child.error());
        if (auto r = appendAll(*child, it.value(), 1); !r)
            return r;
        if (auto r = removeAll(*child, it.value(), 1); !r)
            return r;
    }
    return {};
}

Result<DemoStore> DemoStore::create()
{
    auto dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/shardscope-demo-XXXXXX"));
    if (!dir->isValid())
        return fail(ErrorKind::Io, QDir::tempPath().toStdString(),
            "cannot create a temporary directory: " + dir->errorString().toStdString());
    if (auto written = write(dir->path()); !written)
        return std::unexpected(written.error());
    return DemoStore(std::move(dir));
}

DemoStore::DemoStore(std::unique_ptr<QTemporaryDir> dir) : m_dir(std::move(dir))
{ }

DemoStore::DemoStore(DemoStore &&) noexcept = default;
DemoStore &DemoStore::operator=(DemoStore &&) noexcept = default;
DemoStore::~DemoStore() = default;

QString DemoStore::path() const
{
    return m_dir ? m_dir->path() : QString();
}

} // namespace shardscope
