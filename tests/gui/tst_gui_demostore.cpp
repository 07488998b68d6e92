// DemoStore: the store the GUI shows without a path must be a valid store
// holding every sample where a reader looks for it, with the history the
// views teach: a stale generation, tombstones and a child shard.
#include "checker.h"
#include "demo_store.h"
#include "resources.h"
#include "shard.h"
#include "shard_dump.h"
#include "store.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace shardscope;

class TestDemoStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void samplesFromResources();
    void everySampleWhereAReaderFindsIt();
    void rootHasHistory();
    void checksClean();
    void removedWithObject();
};

void TestDemoStore::samplesFromResources()
{
    const QList<DemoStore::Sample> samples = DemoStore::samples();
    QStringList names;
    for (const auto &s : samples)
        names << s.name;
    for (const char *name : {"config.json", "layout.xml", "note.txt", "backup.sh", "pattern.png", "empty",
             "deploy.yaml", "CHANGES.md", "client.ini", "random.bin"})
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

void TestDemoStore::everySampleWhereAReaderFindsIt()
{
    auto demo = DemoStore::create();
    QVERIFY2(demo, demo ? "" : demo.error().describe().c_str());
    auto store = Store::open(demo->path().toStdString(), Store::Access::ReadOnly);
    QVERIFY2(store, store ? "" : store.error().describe().c_str());

    int inChild = 0;
    for (const auto &s : DemoStore::samples()) {
        const ContentId cid = DemoStore::contentId(s.bytes);
        auto located = store->locate(cid);
        QVERIFY(located);
        if (s.deleted) {
            QVERIFY2(!located->has_value(), qPrintable(s.name));
            continue;
        }
        QVERIFY2(located->has_value(), qPrintable(s.name));
        QCOMPARE(QString::fromStdString((*located)->relPath), s.shard);
        auto got = store->get(cid);
        QVERIFY(got && got->has_value());
        QCOMPARE(QByteArray(reinterpret_cast<const char *>((*got)->data()), qsizetype((*got)->size())), s.bytes);
        inChild += s.shard.isEmpty() ? 0 : 1;
    }
    QVERIFY(inChild >= 2);
    auto children = store->children("");
    QVERIFY(children);
    QCOMPARE(children->size(), size_t(1));
}

void TestDemoStore::rootHasHistory()
{
    auto demo = DemoStore::create();
    QVERIFY(demo);
    const QDir dir(demo->path());
    // Compacted once: generation 1 is current, generation 0 stays behind.
    for (const char *name : {"MF", "00000000.slot", "00000000.pack", "00000001.slot", "00000001.pack"})
        QVERIFY2(dir.exists(QLatin1String(name)), name);

    auto shard = Shard::openReadOnly(demo->path().toStdString());
    QVERIFY(shard);
    QCOMPARE(shard->generation(), 1u);
    QCOMPARE(shard->capacity(), DemoStore::kTableSlots);
    QCOMPARE(shard->packSize(), uint64_t(DemoStore::kPackSize));
    const ShardCounts counts = countSlots(*shard);
    QCOMPARE(counts.tombstones, 2u);
    QVERIFY(counts.live >= 10);
}

void TestDemoStore::checksClean()
{
    auto demo = DemoStore::create();
    QVERIFY(demo);
    auto report = checkStore(demo->path().toStdString());
    QVERIFY(report);
    for (const Diagnostic &d : report->diagnostics)
        QVERIFY2(d.severity == Severity::Info, d.message.c_str());
    bool stale = false;
    for (const Diagnostic &d : report->diagnostics)
        stale = stale || d.code == "stale-generation";
    QVERIFY(stale);
}

void TestDemoStore::removedWithObject()
{
    QString path;
    {
        auto demo = DemoStore::create();
        QVERIFY(demo);
        path = demo->path();
        // Moving keeps the directory.
        DemoStore moved = std::move(*demo);
        QCOMPARE(moved.path(), path);
        QVERIFY(QDir(path).exists());
    }
    QVERIFY(!QDir(path).exists());
}

QTEST_GUILESS_MAIN(TestDemoStore)
#include "tst_gui_demostore.moc"
