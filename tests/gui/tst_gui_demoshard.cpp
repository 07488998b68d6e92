// DemoShard: the shard the GUI shows without a path must be a valid shard
// holding every sample, with the deleted ones as tombstones.
#include "demo_shard.h"
#include "resources.h"
#include "shard.h"
#include "shard_dump.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace shardscope;

class TestDemoShard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void samplesFromResources();
    void createWritesShard();
    void removedWithObject();
};

void TestDemoShard::samplesFromResources()
{
    const QList<DemoShard::Sample> samples = DemoShard::samples();
    QStringList names;
    for (const auto &s : samples)
        names << s.name;
    for (const char *name : {"config.json", "layout.xml", "note.txt", "backup.sh", "pattern.png", "empty"})
        QVERIFY2(names.contains(QLatin1String(name)), name);

    for (const auto &s : samples) {
        if (s.name == QLatin1String("pattern.png"))
            QVERIFY(s.bytes.startsWith("\x89PNG\r\n\x1a\n"));
        else if (s.name == QLatin1String("backup.sh"))
            QVERIFY(s.bytes.startsWith("#!/bin/sh\n"));
        else if (s.name == QLatin1String("empty"))
            QVERIFY(s.bytes.isEmpty());
        else
            QVERIFY2(!s.bytes.isEmpty(), qPrintable(s.name));
    }
    QFile icon(QString::fromLatin1(resources::kAppIcon));
    QVERIFY(icon.open(QIODevice::ReadOnly));
    QVERIFY(icon.readAll().startsWith("\x89PNG\r\n\x1a\n"));
}

void TestDemoShard::createWritesShard()
{
    auto demo = DemoShard::create();
    QVERIFY2(demo, demo ? "" : demo.error().describe().c_str());
    QVERIFY(QDir(demo->path()).exists(QStringLiteral("MF")));

    auto shard = Shard::openReadOnly(demo->path().toStdString());
    QVERIFY2(shard, shard ? "" : shard.error().describe().c_str());
    const QList<DemoShard::Sample> samples = DemoShard::samples();
    QCOMPARE(shard->capacity(), DemoShard::kTableSlots);
    QCOMPARE(shard->packSize(), uint64_t(DemoShard::kPackSize));
    QCOMPARE(shard->slotCount(), uint32_t(samples.size()));

    const ShardCounts counts = countSlots(*shard);
    QCOMPARE(counts.tombstones, 2u);
    QCOMPARE(counts.live, uint32_t(samples.size() - 2));

    for (const auto &s : samples) {
        auto got = shard->get(DemoShard::keyFor(s.bytes));
        QVERIFY(got);
        if (s.deleted) {
            QVERIFY2(!got->has_value(), qPrintable(s.name));
            continue;
        }
        QVERIFY2(got->has_value(), qPrintable(s.name));
        QCOMPARE(QByteArray(reinterpret_cast<const char *>((*got)->data()), qsizetype((*got)->size())), s.bytes);
    }
}

void TestDemoShard::removedWithObject()
{
    QString path;
    {
        auto demo = DemoShard::create();
        QVERIFY(demo);
        path = demo->path();
        // Moving keeps the directory.
        DemoShard moved = std::move(*demo);
        QCOMPARE(moved.path(), path);
        QVERIFY(QDir(path).exists());
    }
    QVERIFY(!QDir(path).exists());
}

QTEST_GUILESS_MAIN(TestDemoShard)
#include "tst_gui_demoshard.moc"
