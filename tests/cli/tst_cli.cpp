// Runs shardscope-cli as a script would and checks its output, its exit
// status and the files it leaves behind.
#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace {

struct Run {
    int status = -1;
    QByteArray out;
    QByteArray err;
};

Run cli(const QStringList &args, const QByteArray &input = {})
{
    QProcess p;
    p.start(QStringLiteral(SHARDSCOPE_BIN_DIR "/shardscope-cli"), args);
    if (!p.waitForStarted())
        return {};
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    p.waitForFinished(60000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
        p.readAllStandardError()};
}

// A new shard of the given geometry, committed empty.
bool hydrate(const QString &dir, int tableSlots, int packSize)
{
    return cli({QStringLiteral("hydrate"), dir, QStringLiteral("--table-slots"), QString::number(tableSlots),
                   QStringLiteral("--pack-size"), QString::number(packSize)})
               .status
        == 0;
}

QString fixture(const QString &name)
{
    return QStringLiteral(SHARDSCOPE_TEST_DATA "/") + name;
}

// Every file below `dir`, with its bytes' hash and its mtime.
QMap<QString, QPair<QByteArray, qint64>> snapshot(const QString &dir)
{
    QMap<QString, QPair<QByteArray, qint64>> files;
    QDir root(dir);
    const auto entries = root.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    for (const QFileInfo &fi : entries) {
        if (fi.isDir()) {
            const auto sub = snapshot(fi.filePath());
            for (auto it = sub.begin(); it != sub.end(); ++it)
                files.insert(it.key(), it.value());
            continue;
        }
        QFile f(fi.filePath());
        if (!f.open(QIODevice::ReadOnly))
            continue;
        files.insert(fi.filePath(),
            {QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256), fi.lastModified().toMSecsSinceEpoch()});
    }
    return files;
}

QJsonObject parseObject(const QByteArray &json)
{
    QJsonParseError error {};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning("bad JSON: %s", qPrintable(error.errorString()));
    return doc.object();
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private slots:
    void dumpJsonMatchesReference_data();
    void dumpJsonMatchesReference();
    void storeGetFindsBlobs();
    void readOnlyCommandsChangeNothing();
    void roundTrip();
    void appendDerivesKeyFromSha256();
    void appendSources_data();
    void appendSources();
    void fullShardIsAnErrorNamingFileAndOffset();
    void compactKeepsLiveEntriesSorted();
    void storePutPlacesBlobs();
    void errors_data();
    void errors();
    void helpNamesEveryCommand();
    void checkJson_data();
    void checkJson();
    void checkHumanReport();
    void checkCommandLine();
    void repairRebuildSalvagesOverlap();
    void repairAdoptsUncommitted();
    void repairPreviousManifest();
    void repairCommandLine_data();
    void repairCommandLine();
    void deleteSeveralKeysInOneCommit();
    void storeDeleteSeveral();
    void lockHeldRefusesWriters_data();
    void lockHeldRefusesWriters();
};

void TestCli::dumpJsonMatchesReference_data()
{
    QTest::addColumn<QString>("name");
    for (const char *name : {"basic", "compacted", "empty", "tombstones"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void TestCli::dumpJsonMatchesReference()
{
    QFETCH(QString, name);
    const Run r = cli({QStringLiteral("dump"), QStringLiteral("--json"), fixture(name)});
    QCOMPARE(r.status, 0);
    QFile expectFile(fixture(name + QStringLiteral(".expect.json")));
    QVERIFY(expectFile.open(QIODevice::ReadOnly));
    QJsonObject expected = parseObject(expectFile.readAll());
    expected.remove(QStringLiteral("notes"));
    const QJsonObject actual = parseObject(r.out);
    QCOMPARE(actual.keys(), expected.keys());
    const QJsonArray a = actual.value(QStringLiteral("entries")).toArray();
    const QJsonArray e = expected.value(QStringLiteral("entries")).toArray();
    QCOMPARE(a.size(), e.size());
    for (qsizetype i = 0; i < a.size(); ++i)
        QCOMPARE(a[i].toObject(), e[i].toObject());
    QCOMPARE(actual, expected);
}

void TestCli::storeGetFindsBlobs()
{
    QFile expectFile(fixture(QStringLiteral("store.expect.json")));
    QVERIFY(expectFile.open(QIODevice::ReadOnly));
    const QJsonArray blobs = QJsonDocument::fromJson(expectFile.readAll()).array();
    QCOMPARE(blobs.size(), 600);
    // Every 20th blob: each run is a process, the storage tests cover all 600.
    for (qsizetype i = 0; i < blobs.size(); i += 20) {
        const QJsonObject blob = blobs[i].toObject();
        const Run r = cli({QStringLiteral("get"), QStringLiteral("--store"), fixture(QStringLiteral("store")),
            blob.value(QStringLiteral("cid")).toString()});
        QCOMPARE(r.status, 0);
        QCOMPARE(r.out.size(), blob.value(QStringLiteral("len")).toInt());
        QCOMPARE(QString::fromLatin1(QCryptographicHash::hash(r.out, QCryptographicHash::Sha256).toHex()),
            blob.value(QStringLiteral("sha256")).toString());
    }
}

void TestCli::readOnlyCommandsChangeNothing()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString shard = tmp.filePath(QStringLiteral("tombstones"));
    QVERIFY(QDir().mkpath(shard));
    for (const QString &f : QDir(fixture(QStringLiteral("tombstones"))).entryList(QDir::Files))
        QVERIFY(QFile::copy(fixture(QStringLiteral("tombstones/")) + f, shard + QLatin1Char('/') + f));
    const auto before = snapshot(shard);
    QVERIFY(!before.isEmpty());
    QTest::qWait(20); // so that a write would show in the mtime
    const QString key = parseObject(cli({QStringLiteral("dump"), QStringLiteral("--json"), shard}).out)
                            .value(QStringLiteral("entries"))
                            .toArray()[1]
                            .toObject()
                            .value(QStringLiteral("key"))
                            .toString();
    QCOMPARE(cli({QStringLiteral("info"), shard}).status, 0);
    QCOMPARE(cli({QStringLiteral("dump"), shard}).status, 0);
    QCOMPARE(cli({QStringLiteral("get"), shard, key}).status, 0);
    QCOMPARE(cli({QStringLiteral("get"), shard, QString(48, QLatin1Char('7'))}).status, 1);
    QCOMPARE(snapshot(shard), before);
}

void TestCli::roundTrip()
{
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    Run r = cli({QStringLiteral("hydrate"), shard, QStringLiteral("--table-slots"), QStringLiteral("16"),
        QStringLiteral("--pack-size"), QStringLiteral("4096")});
    QCOMPARE(r.status, 0);
    QCOMPARE(QFileInfo(shard + QStringLiteral("/00000000.slot")).size(), 16 * 32);
    QCOMPARE(QFileInfo(shard + QStringLiteral("/00000000.pack")).size(), 4096);
    QCOMPARE(QFileInfo(shard + QStringLiteral("/MF")).size(), 64);

    const QString k1 = QStringLiteral("0100000000000000000000000000000000000000000000aa");
    const QString k2 = QStringLiteral("0200000000000000000000000000000000000000000000bb");
    QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--key"), k1, QStringLiteral("--text"),
                     QStringLiteral("first")})
                 .status,
        0);
    QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--key"), k2, QStringLiteral("--text"),
                     QStringLiteral("second")})
                 .status,
        0);
    // Appending an existing key writes nothing and says so.
    r = cli({QStringLiteral("append"), shard, QStringLiteral("--key"), k1, QStringLiteral("--text"),
        QStringLiteral("other")});
    QCOMPARE(r.status, 0);
    QVERIFY(r.out.contains("already present"));

    r = cli({QStringLiteral("get"), shard, k2});
    QCOMPARE(r.status, 0);
    QCOMPARE(r.out, QByteArray("second"));
    const QString outFile = tmp.filePath(QStringLiteral("out.bin"));
    QCOMPARE(cli({QStringLiteral("get"), shard, k1, QStringLiteral("-o"), outFile}).status, 0);
    QFile f(outFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("first"));

    QCOMPARE(cli({QStringLiteral("delete"), shard, k1}).status, 0);
    QCOMPARE(cli({QStringLiteral("get"), shard, k1}).status, 1);
    QCOMPARE(cli({QStringLiteral("delete"), shard, k1}).status, 1);

    const QJsonObject dumped = parseObject(cli({QStringLiteral("dump"), QStringLiteral("--json"), shard}).out);
    QCOMPARE(dumped.value(QStringLiteral("table_len")).toInt(), 2);
    QCOMPARE(dumped.value(QStringLiteral("live")).toInt(), 1);
    QCOMPARE(dumped.value(QStringLiteral("tombstones")).toInt(), 1);
    const QJsonObject tomb = dumped.value(QStringLiteral("entries")).toArray()[0].toObject();
    QCOMPARE(tomb.value(QStringLiteral("tombstone")).toBool(), true);
    QCOMPARE(tomb.value(QStringLiteral("offset")).toDouble(), 4294967295.0);
    QCOMPARE(tomb.value(QStringLiteral("key")).toString(), QString(48, QLatin1Char('0')));
    QVERIFY(!tomb.contains(QStringLiteral("sha256")));

    // After a tombstone, the next append continues after the last live entry.
    QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--key"), k1, QStringLiteral("--text"),
                     QStringLiteral("third")})
                 .status,
        0);
    const QJsonArray entries = parseObject(cli({QStringLiteral("dump"), QStringLiteral("--json"), shard}).out)
                                   .value(QStringLiteral("entries"))
                                   .toArray();
    QCOMPARE(entries.size(), 3);
    QCOMPARE(entries[2].toObject().value(QStringLiteral("offset")).toInt(), 5 + 6);
}

void TestCli::appendDerivesKeyFromSha256()
{
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    QVERIFY(hydrate(shard, 8, 1024));
    const QByteArray data("content-addressed");
    QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QString::fromLatin1(data)}).status, 0);
    const QString expectedKey
        = QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).left(24).toHex());
    const Run r = cli({QStringLiteral("get"), shard, expectedKey});
    QCOMPARE(r.status, 0);
    QCOMPARE(r.out, data);
}

void TestCli::appendSources_data()
{
    QTest::addColumn<QString>("source");
    QTest::newRow("--file") << QStringLiteral("file");
    QTest::newRow("--text") << QStringLiteral("text");
    QTest::newRow("stdin") << QStringLiteral("stdin");
}

void TestCli::appendSources()
{
    QFETCH(QString, source);
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    QVERIFY(hydrate(shard, 8, 1024));
    const QString key = QStringLiteral("abcdef0000000000000000000000000000000000000000ff");
    QByteArray data("line one\nline two\n\0binary", 25);
    QStringList args {QStringLiteral("append"), shard, QStringLiteral("--key"), key};
    QByteArray input;
    if (source == QLatin1String("file")) {
        const QString path = tmp.filePath(QStringLiteral("in.bin"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(data);
        f.close();
        args << QStringLiteral("--file") << path;
    } else if (source == QLatin1String("text")) {
        data = "typed text";
        args << QStringLiteral("--text") << QString::fromLatin1(data);
    } else {
        args << QStringLiteral("-");
        input = data;
    }
    QCOMPARE(cli(args, input).status, 0);
    const Run r = cli({QStringLiteral("get"), shard, key});
    QCOMPARE(r.status, 0);
    QCOMPARE(r.out, data);
}

void TestCli::fullShardIsAnErrorNamingFileAndOffset()
{
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    QVERIFY(hydrate(shard, 2, 10));
    QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QStringLiteral("12345678")}).status, 0);
    Run r = cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QStringLiteral("abc")});
    QCOMPARE(r.status, 1);
    QVERIFY2(r.err.contains("00000000.pack: at byte 8: shard is full"), r.err.constData());
    QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QStringLiteral("ab")}).status, 0);
    r = cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QStringLiteral("")});
    QCOMPARE(r.status, 1);
    QVERIFY2(r.err.contains("00000000.slot: at byte 64: shard is full"), r.err.constData());
    // The failed appends left the committed state alone.
    const QJsonObject dumped = parseObject(cli({QStringLiteral("dump"), QStringLiteral("--json"), shard}).out);
    QCOMPARE(dumped.value(QStringLiteral("table_len")).toInt(), 2);
}

void TestCli::compactKeepsLiveEntriesSorted()
{
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    QVERIFY(hydrate(shard, 8, 256));
    QMap<QString, QByteArray> live;
    for (int i = 0; i < 8; ++i) {
        const QByteArray data = QByteArray("entry-") + QByteArray::number(i);
        QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QString::fromLatin1(data)}).status, 0);
        live.insert(
            QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).left(24).toHex()), data);
    }
    // A full table: the reference refuses to compact it into the same size.
    const QString dropped = live.firstKey();
    // The delete is committed as generation 1, a copy with the tombstone.
    QCOMPARE(cli({QStringLiteral("delete"), shard, dropped}).status, 0);
    live.remove(dropped);
    QVERIFY(!QFileInfo::exists(shard + QStringLiteral("/00000000.slot")));
    const Run r = cli({QStringLiteral("compact"), shard});
    QCOMPARE(r.status, 0);
    QVERIFY(QFileInfo::exists(shard + QStringLiteral("/00000001.slot")));
    QVERIFY(QFileInfo::exists(shard + QStringLiteral("/00000002.pack")));
    const QJsonObject dumped = parseObject(cli({QStringLiteral("dump"), QStringLiteral("--json"), shard}).out);
    QCOMPARE(dumped.value(QStringLiteral("gen")).toInt(), 2);
    QCOMPARE(dumped.value(QStringLiteral("tombstones")).toInt(), 0);
    const QJsonArray entries = dumped.value(QStringLiteral("entries")).toArray();
    QCOMPARE(entries.size(), live.size());
    for (const QJsonValue &v : entries) {
        const QString key = v.toObject().value(QStringLiteral("key")).toString();
        QVERIFY(live.contains(key));
        QCOMPARE(cli({QStringLiteral("get"), shard, key}).out, live.value(key));
    }
    QCOMPARE(cli({QStringLiteral("compact"), shard, QStringLiteral("--remove-old")}).status, 0);
    QVERIFY(!QFileInfo::exists(shard + QStringLiteral("/00000002.slot")));
    QVERIFY(QFileInfo::exists(shard + QStringLiteral("/00000003.slot")));

    // Without memory for the copy, the pack is gathered piece by piece: the
    // same entries, and a wrong number is a usage error that writes nothing.
    const Run bad = cli({QStringLiteral("compact"), shard, QStringLiteral("--copy-memory"), QStringLiteral("lots")});
    QCOMPARE(bad.status, 2);
    QVERIFY2(bad.err.contains(QLatin1String("--copy-memory")), qPrintable(bad.err));
    QVERIFY(!QFileInfo::exists(shard + QStringLiteral("/00000004.slot")));
    const QByteArray before = cli({QStringLiteral("dump"), QStringLiteral("--json"), shard}).out;
    QCOMPARE(cli({QStringLiteral("compact"), shard, QStringLiteral("--copy-memory"), QStringLiteral("0")}).status, 0);
    QVERIFY(QFileInfo::exists(shard + QStringLiteral("/00000004.slot")));
    QJsonObject after = parseObject(cli({QStringLiteral("dump"), QStringLiteral("--json"), shard}).out);
    QJsonObject was = parseObject(before);
    QCOMPARE(after.value(QStringLiteral("gen")).toInt(), 4);
    after.remove(QStringLiteral("gen"));
    after.remove(QStringLiteral("nonce"));
    was.remove(QStringLiteral("gen"));
    was.remove(QStringLiteral("nonce"));
    QCOMPARE(after, was);
}

void TestCli::storePutPlacesBlobs()
{
    QTemporaryDir tmp;
    const QString store = tmp.filePath(QStringLiteral("store"));
    QVERIFY(hydrate(store, 2, 1024));
    QStringList cids;
    for (int i = 0; i < 6; ++i) {
        const QByteArray data = QByteArray("blob ") + QByteArray::number(i);
        const Run r = cli({QStringLiteral("put"), QStringLiteral("--store"), store, QStringLiteral("--text"),
            QString::fromLatin1(data)});
        QCOMPARE(r.status, 0);
        cids << QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
    }
    // The root holds two; the others went to children named by their first byte.
    for (int i = 2; i < 6; ++i)
        QVERIFY(QFileInfo(store + QLatin1Char('/') + cids[i].left(2)).isDir());
    for (int i = 0; i < 6; ++i) {
        const Run r = cli({QStringLiteral("get"), QStringLiteral("--store"), store, cids[i]});
        QCOMPARE(r.status, 0);
        QCOMPARE(r.out, QByteArray("blob ") + QByteArray::number(i));
    }
    QCOMPARE(cli({QStringLiteral("delete"), QStringLiteral("--store"), store, cids[4]}).status, 0);
    QCOMPARE(cli({QStringLiteral("get"), QStringLiteral("--store"), store, cids[4]}).status, 1);
}

void TestCli::errors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("message");
    const QString basic = fixture(QStringLiteral("basic"));
    QTest::newRow("no command") << QStringList {} << 2 << QStringLiteral("usage");
    QTest::newRow("unknown command") << QStringList {QStringLiteral("frobnicate")} << 2
                                     << QStringLiteral("unknown command");
    QTest::newRow("missing argument") << QStringList {QStringLiteral("info")} << 2 << QStringLiteral("expected 1");
    QTest::newRow("bad key") << QStringList {QStringLiteral("get"), basic, QStringLiteral("xyz")} << 2
                             << QStringLiteral("not a key");
    QTest::newRow("bad cid") << QStringList {QStringLiteral("get"), QStringLiteral("--store"), basic,
        QStringLiteral("12")} << 2
                             << QStringLiteral("not a content ID");
    QTest::newRow("no such dir") << QStringList {QStringLiteral("dump"), QStringLiteral("/nonexistent/shard")} << 1
                                 << QStringLiteral("/nonexistent/shard");
    QTest::newRow("not a shard") << QStringList {QStringLiteral("info"), QStringLiteral(SHARDSCOPE_TEST_DATA)} << 1
                                 << QStringLiteral("not a shard directory");
    QTest::newRow("zero key") << QStringList {QStringLiteral("append"), basic, QStringLiteral("--key"),
        QString(48, QLatin1Char('0')), QStringLiteral("--text"), QStringLiteral("x")}
                              << 2 << QStringLiteral("all-zero key");
    QTest::newRow("two data sources") << QStringList {QStringLiteral("append"), basic, QStringLiteral("--text"),
        QStringLiteral("x"), QStringLiteral("-")}
                                      << 2 << QStringLiteral("exactly one of");
    QTest::newRow("bad size") << QStringList {QStringLiteral("hydrate"), QStringLiteral("/tmp/x"),
        QStringLiteral("--pack-size"), QStringLiteral("5000000000")}
                              << 2 << QStringLiteral("--pack-size");
}

void TestCli::errors()
{
    QFETCH(QStringList, args);
    QFETCH(int, status);
    QFETCH(QString, message);
    const Run r = cli(args);
    QCOMPARE(r.status, status);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
}

void TestCli::helpNamesEveryCommand()
{
    const Run r = cli({QStringLiteral("help")});
    QCOMPARE(r.status, 0);
    for (const char *c : {"info DIR", "dump [--json] DIR", "get DIR KEYHEX [-o FILE]", "get --store STOREDIR CIDHEX",
             "append DIR [--key KEYHEX] (--file F | --text S | -)", "delete DIR KEYHEX", "compact DIR",
             "hydrate DIR [--table-slots N] [--pack-size BYTES]", "help [COMMAND]"})
        QVERIFY2(r.out.contains(c), c);
    const Run one = cli({QStringLiteral("help"), QStringLiteral("compact")});
    QCOMPARE(one.status, 0);
    QVERIFY(one.out.contains("--remove-old"));
}

namespace {

// Overwrites bytes of a file in place.
bool patch(const QString &path, qint64 offset, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::ReadWrite) && f.seek(offset) && f.write(bytes) == bytes.size();
}

QByteArray le32(quint32 v)
{
    QByteArray b(4, '\0');
    for (int i = 0; i < 4; ++i)
        b[i] = char(v >> (8 * i));
    return b;
}

// A shard made by the CLI holding "aaaa" at [0,4) and "bbbbbb" at [4,10),
// then damaged: "duplicate" gives slot 1 slot 0's key (a warning),
// "overlap" moves slot 1 to [2,8) (an error, and its old tail is garbage).
QString damagedShard(const QTemporaryDir &tmp, const QString &damage)
{
    const QString shard = tmp.filePath(QStringLiteral("s"));
    if (!hydrate(shard, 8, 256))
        return {};
    for (const char *text : {"aaaa", "bbbbbb"}) {
        if (cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QLatin1String(text)}).status != 0)
            return {};
    }
    const QString table = shard + QStringLiteral("/00000000.slot");
    QFile t(table);
    if (!t.open(QIODevice::ReadOnly))
        return {};
    const QByteArray key0 = t.read(24);
    t.close();
    const bool ok = damage == u"duplicate" ? patch(table, 32, key0) : patch(table, 32 + 24, le32(2));
    return ok ? shard : QString();
}

} // namespace

void TestCli::checkJson_data()
{
    QTest::addColumn<QString>("setup"); // a fixture name, or a damage of damagedShard()
    QTest::addColumn<bool>("store");
    QTest::addColumn<int>("status");
    QTest::addColumn<QStringList>("codes"); // sorted
    const QStringList none;
    QTest::newRow("basic: clean") << "basic" << false << 0 << none;
    QTest::newRow("compacted: infos only")
        << "compacted" << false << 0 << QStringList {"stale-generation", "stale-generation"};
    QTest::newRow("store with --store: clean") << "store" << true << 0 << none;
    QTest::newRow("store as a shard: a hint") << "store" << false << 0 << QStringList {"child-shards-not-checked"};
    QTest::newRow("duplicate key: warning") << "duplicate" << false << 1 << QStringList {"duplicate-key"};
    QTest::newRow("overlap: error") << "overlap" << false << 2 << QStringList {"entries-overlap", "pack-tail-garbage"};
    QTest::newRow("overlap with --store: error")
        << "overlap" << true << 2 << QStringList {"entries-overlap", "pack-tail-garbage"};
    QTest::newRow("no such directory: cannot check") << "/nonexistent/shard" << false << 3 << none;
    QTest::newRow("a file: cannot check") << "basic.expect.json" << false << 3 << none;
}

void TestCli::checkJson()
{
    QFETCH(QString, setup);
    QFETCH(bool, store);
    QFETCH(int, status);
    QFETCH(QStringList, codes);

    QTemporaryDir tmp;
    QString path;
    if (setup == u"duplicate" || setup == u"overlap")
        path = damagedShard(tmp, setup);
    else
        path = setup.startsWith(u'/') ? setup : fixture(setup);
    QVERIFY(!path.isEmpty());
    QStringList args {QStringLiteral("check"), QStringLiteral("--json")};
    if (store)
        args << QStringLiteral("--store");
    const Run r = cli(args << path);
    QCOMPARE(r.status, status);

    QJsonParseError error {};
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QVERIFY(doc.isObject());
    const QJsonObject top = doc.object();
    QStringList keys {QStringLiteral("diagnostics"), QStringLiteral("path"), QStringLiteral("summary")};
    if (status == 3) {
        keys << QStringLiteral("error");
        QVERIFY(top.value(QStringLiteral("error")).isString());
        QVERIFY(!r.err.isEmpty());
    }
    keys.sort();
    QCOMPARE(top.keys(), keys);
    QCOMPARE(top.value(QStringLiteral("path")).toString(), path);

    QMap<QString, int> bySeverity {
        {QStringLiteral("error"), 0}, {QStringLiteral("warning"), 0}, {QStringLiteral("info"), 0}};
    QStringList seen;
    const QStringList diagnosticKeys {QStringLiteral("code"), QStringLiteral("file"), QStringLiteral("message"),
        QStringLiteral("offset"), QStringLiteral("other_slot"), QStringLiteral("severity"), QStringLiteral("shard"),
        QStringLiteral("slot")};
    for (const QJsonValue &v : top.value(QStringLiteral("diagnostics")).toArray()) {
        QVERIFY(v.isObject());
        const QJsonObject d = v.toObject();
        QCOMPARE(d.keys(), diagnosticKeys);
        QVERIFY(d.value(QStringLiteral("code")).isString());
        QVERIFY(d.value(QStringLiteral("shard")).isString());
        QVERIFY(d.value(QStringLiteral("message")).isString());
        QVERIFY(!d.value(QStringLiteral("message")).toString().isEmpty());
        const QJsonValue file = d.value(QStringLiteral("file"));
        QVERIFY(file.isString() || file.isNull());
        for (const char *k : {"offset", "slot", "other_slot"}) {
            const QJsonValue n = d.value(QLatin1String(k));
            QVERIFY2(n.isDouble() || n.isNull(), k);
        }
        const QString severity = d.value(QStringLiteral("severity")).toString();
        QVERIFY2(bySeverity.contains(severity), qPrintable(severity));
        ++bySeverity[severity];
        seen << d.value(QStringLiteral("code")).toString();

        const QString code = d.value(QStringLiteral("code")).toString();
        if (code == u"stale-generation" || code == u"child-shards-not-checked") {
            QVERIFY(d.value(QStringLiteral("offset")).isNull());
            QVERIFY(d.value(QStringLiteral("slot")).isNull());
            QVERIFY(d.value(QStringLiteral("other_slot")).isNull());
        }
        if (code == u"child-shards-not-checked")
            QVERIFY(file.isNull());
        if (code == u"entries-overlap") {
            QCOMPARE(file.toString(), QStringLiteral("00000000.pack"));
            QCOMPARE(d.value(QStringLiteral("offset")).toInteger(), 2);
            QCOMPARE(d.value(QStringLiteral("slot")).toInteger(), 1);
            QCOMPARE(d.value(QStringLiteral("other_slot")).toInteger(), 0);
            QCOMPARE(d.value(QStringLiteral("message")).toString(),
                QStringLiteral("slot 1 [2, 8) overlaps slot 0 [0, 4) in 00000000.pack"));
        }
        if (code == u"duplicate-key") {
            QCOMPARE(file.toString(), QStringLiteral("00000000.slot"));
            QCOMPARE(d.value(QStringLiteral("offset")).toInteger(), 32);
            QCOMPARE(d.value(QStringLiteral("slot")).toInteger(), 1);
            QCOMPARE(d.value(QStringLiteral("other_slot")).toInteger(), 0);
        }
    }
    seen.sort();
    QCOMPARE(seen, codes);
    const QJsonObject summary = top.value(QStringLiteral("summary")).toObject();
    QCOMPARE(
        summary.keys(), (QStringList {QStringLiteral("errors"), QStringLiteral("infos"), QStringLiteral("warnings")}));
    QCOMPARE(summary.value(QStringLiteral("errors")).toInt(-1), bySeverity.value(QStringLiteral("error")));
    QCOMPARE(summary.value(QStringLiteral("warnings")).toInt(-1), bySeverity.value(QStringLiteral("warning")));
    QCOMPARE(summary.value(QStringLiteral("infos")).toInt(-1), bySeverity.value(QStringLiteral("info")));
    if (status < 3)
        QCOMPARE(status,
            bySeverity.value(QStringLiteral("error")) > 0         ? 2
                : bySeverity.value(QStringLiteral("warning")) > 0 ? 1
                                                                  : 0);
}

void TestCli::checkHumanReport()
{
    QTemporaryDir tmp;
    const QString shard = damagedShard(tmp, QStringLiteral("overlap"));
    QVERIFY(!shard.isEmpty());
    const auto before = snapshot(shard);
    const Run r = cli({QStringLiteral("check"), shard});
    QCOMPARE(r.status, 2);
    QVERIFY2(r.out.contains("error: entries-overlap: 00000000.pack at byte 2: slot 1 [2, 8) overlaps slot 0 [0, 4) "
                            "in 00000000.pack\n"),
        r.out.constData());
    QVERIFY2(r.out.endsWith(shard.toUtf8() + ": damaged (1 error, 0 warnings, 1 info)\n"), r.out.constData());
    QCOMPARE(snapshot(shard), before);

    const Run clean = cli({QStringLiteral("check"), fixture(QStringLiteral("basic"))});
    QCOMPARE(clean.status, 0);
    QCOMPARE(clean.out, fixture(QStringLiteral("basic")).toUtf8() + ": clean (0 errors, 0 warnings, 0 infos)\n");
    const Run missing = cli({QStringLiteral("check"), tmp.filePath(QStringLiteral("none"))});
    QCOMPARE(missing.status, 3);
    QVERIFY(missing.out.isEmpty());
    QVERIFY2(missing.err.contains("none"), missing.err.constData());
}

void TestCli::checkCommandLine()
{
    Run r = cli({QStringLiteral("check")});
    QCOMPARE(r.status, 2);
    QVERIFY2(r.err.contains("expected 1"), r.err.constData());
    r = cli({QStringLiteral("check"), QStringLiteral("--bogus"), fixture(QStringLiteral("basic"))});
    QCOMPARE(r.status, 2);
    r = cli({QStringLiteral("help")});
    QVERIFY(r.out.contains("check [--json] [--store] PATH"));
    r = cli({QStringLiteral("help"), QStringLiteral("check")});
    QCOMPARE(r.status, 0);
    QVERIFY2(r.out.contains("3 PATH cannot be checked"), r.out.constData());
    QVERIFY(r.out.contains("--store"));
}

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The manifest copy readers take: the greater nonce, A on a tie.
int activeCopy(const QByteArray &mf)
{
    auto nonce = [&](int at) {
        quint64 v = 0;
        for (int i = 7; i >= 0; --i)
            v = v << 8 | quint8(mf[at + i]);
        return v;
    };
    return nonce(32) > nonce(0) ? 1 : 0;
}

// The key `append` derives: the first 24 bytes of the data's sha256.
QString keyOf(const QByteArray &data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).left(24).toHex());
}

QStringList codesOf(const QByteArray &checkJson)
{
    QStringList codes;
    for (const QJsonValue &v :
        QJsonDocument::fromJson(checkJson).object().value(QStringLiteral("diagnostics")).toArray())
        codes << v.toObject().value(QStringLiteral("code")).toString();
    codes.sort();
    return codes;
}

} // namespace

void TestCli::repairRebuildSalvagesOverlap()
{
    QTemporaryDir tmp;
    const QString shard = damagedShard(tmp, QStringLiteral("overlap"));
    QVERIFY(!shard.isEmpty());
    const QString out = tmp.filePath(QStringLiteral("rescued"));
    const QByteArray oldPack = readAll(shard + QStringLiteral("/00000000.pack"));
    const QByteArray oldTable = readAll(shard + QStringLiteral("/00000000.slot"));

    const auto before = snapshot(tmp.path());
    Run r = cli({QStringLiteral("repair"), QStringLiteral("--rebuild"), QStringLiteral("--dry-run"),
        QStringLiteral("--out"), out, shard});
    QCOMPARE(r.status, 0);
    QVERIFY2(r.out.startsWith("dry run"), r.out.constData());
    QVERIFY2(r.out.contains("exclude slot 0") && r.out.contains("exclude slot 1"), r.out.constData());
    QCOMPARE(snapshot(tmp.path()), before);

    r = cli({QStringLiteral("repair"), QStringLiteral("--rebuild"), QStringLiteral("--out"), out, shard});
    QCOMPARE(r.status, 0);
    QVERIFY2(r.out.contains("repaired: generation 1, table_len 0"), r.out.constData());
    QVERIFY2(r.out.contains("salvage: " + out.toUtf8()), r.out.constData());

    r = cli({QStringLiteral("check"), QStringLiteral("--json"), shard});
    QCOMPARE(r.status, 0);
    QCOMPARE(codesOf(r.out), (QStringList {QStringLiteral("stale-generation"), QStringLiteral("stale-generation")}));
    // Both sides of the overlap, byte for byte as the old pack holds them.
    QCOMPARE(readAll(out + QStringLiteral("/salvage/slot-00000000.bytes")), QByteArray("aaaa"));
    QCOMPARE(readAll(out + QStringLiteral("/salvage/slot-00000001.bytes")), oldPack.mid(2, 6));
    QCOMPARE(readAll(out + QStringLiteral("/salvage/slot-00000001.entry")), oldTable.mid(32, 32));
    const QJsonArray salvaged
        = parseObject(readAll(out + QStringLiteral("/report.json"))).value(QStringLiteral("salvaged")).toArray();
    QCOMPARE(salvaged.size(), 2);
    QCOMPARE(readAll(shard + QStringLiteral("/00000000.pack")), oldPack);
    QCOMPARE(readAll(shard + QStringLiteral("/00000000.slot")), oldTable);
}

void TestCli::repairAdoptsUncommitted()
{
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    QVERIFY(hydrate(shard, 8, 256));
    const QList<QByteArray> texts {"one", "two", "three"};
    for (const QByteArray &t : texts)
        QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QString::fromLatin1(t)}).status, 0);
    // The writer stopped after committing the first: two slots written, never committed.
    const QString mf = shard + QStringLiteral("/MF");
    QVERIFY(patch(mf, activeCopy(readAll(mf)) * 32 + 12, le32(1)));
    QCOMPARE(cli({QStringLiteral("get"), shard, keyOf("two")}).status, 1);
    QCOMPARE(cli({QStringLiteral("check"), shard}).status, 1);

    const Run r = cli({QStringLiteral("repair"), QStringLiteral("--adopt-uncommitted"), shard});
    QCOMPARE(r.status, 0);
    QVERIFY2(
        r.out.contains("adopt uncommitted slot 1") && r.out.contains("adopt uncommitted slot 2"), r.out.constData());
    for (const QByteArray &t : texts) {
        const Run got = cli({QStringLiteral("get"), shard, keyOf(t)});
        QCOMPARE(got.status, 0);
        QCOMPARE(got.out, t);
    }
    QCOMPARE(cli({QStringLiteral("check"), shard}).status, 0);
    // Nothing was salvaged, so no output directory was made.
    QCOMPARE(QDir(tmp.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot), QStringList {QStringLiteral("s")});
}

void TestCli::repairPreviousManifest()
{
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    QVERIFY(hydrate(shard, 8, 256));
    QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QStringLiteral("kept")}).status, 0);
    QCOMPARE(cli({QStringLiteral("compact"), shard}).status, 0);
    QVERIFY(QFile::remove(shard + QStringLiteral("/00000001.pack")));
    QCOMPARE(cli({QStringLiteral("get"), shard, keyOf("kept")}).status, 1);
    QCOMPARE(cli({QStringLiteral("check"), shard}).status, 2);

    const QByteArray oldMf = readAll(shard + QStringLiteral("/MF"));
    Run r = cli({QStringLiteral("repair"), QStringLiteral("--previous-manifest"), shard});
    QCOMPARE(r.status, 0);
    QVERIFY2(r.out.contains("repaired: generation 0, table_len 1"), r.out.constData());
    const QByteArray mf = readAll(shard + QStringLiteral("/MF"));
    const int was = activeCopy(oldMf);
    QCOMPARE(mf.mid(was * 32, 32), oldMf.mid(was * 32, 32));
    QCOMPARE(activeCopy(mf), 1 - was);
    r = cli({QStringLiteral("get"), shard, keyOf("kept")});
    QCOMPARE(r.status, 0);
    QCOMPARE(r.out, QByteArray("kept"));
    QCOMPARE(cli({QStringLiteral("check"), shard}).status, 0);
    // Done once, there is nothing left to go back from.
    r = cli({QStringLiteral("repair"), QStringLiteral("--previous-manifest"), shard});
    QCOMPARE(r.status, 0);
    QVERIFY2(r.out.contains("nothing to repair"), r.out.constData());
}

void TestCli::repairCommandLine_data()
{
    QTest::addColumn<QStringList>("args"); // "SHARD" stands for a sound shard, "TABLELESS" for one without its table
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("message"); // in standard error, or standard output when the status is 0
    QTest::newRow("no repair named") << QStringList {"SHARD"} << 2 << "give exactly one of";
    QTest::newRow("two repairs") << QStringList {"--rebuild", "--adopt-uncommitted", "SHARD"} << 2
                                 << "give exactly one of";
    QTest::newRow("no path") << QStringList {"--rebuild"} << 2 << "expected 1";
    QTest::newRow("unknown option") << QStringList {"--rebuild", "--bogus", "SHARD"} << 2 << "bogus";
    QTest::newRow("--out with --previous-manifest")
        << QStringList {"--previous-manifest", "--out", "x", "SHARD"} << 2 << "takes no --out";
    QTest::newRow("no such shard") << QStringList {"--rebuild", "/nonexistent/shard"} << 1 << "/nonexistent/shard";
    QTest::newRow("table missing: rebuild points elsewhere")
        << QStringList {"--rebuild", "TABLELESS"} << 1 << "00000000.slot";
    QTest::newRow("table missing, no other copy")
        << QStringList {"--previous-manifest", "TABLELESS"} << 1 << "names no sound generation";
    QTest::newRow("sound shard: nothing to repair") << QStringList {"--rebuild", "SHARD"} << 0 << "nothing to repair";
    QTest::newRow("help") << QStringList {"--help"} << 0 << "--adopt-uncommitted";
}

void TestCli::repairCommandLine()
{
    QFETCH(QStringList, args);
    QFETCH(int, status);
    QFETCH(QString, message);
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    QVERIFY(hydrate(shard, 8, 256));
    QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QStringLiteral("x")}).status, 0);
    if (args.contains(QStringLiteral("TABLELESS")))
        QVERIFY(QFile::remove(shard + QStringLiteral("/00000000.slot")));
    args.replaceInStrings(QStringLiteral("SHARD"), shard);
    args.replaceInStrings(QStringLiteral("TABLELESS"), shard);
    const auto before = snapshot(tmp.path());
    const Run r = cli(QStringList {QStringLiteral("repair")} + args);
    QCOMPARE(r.status, status);
    QVERIFY2(QString::fromUtf8(status == 0 ? r.out : r.err).contains(message), (r.out + r.err).constData());
    QCOMPARE(snapshot(tmp.path()), before);
    QVERIFY(cli({QStringLiteral("help")})
                .out.contains(
                    "repair (--adopt-uncommitted | --rebuild | --previous-manifest) [--dry-run] [--out DIR] PATH"));
}

void TestCli::deleteSeveralKeysInOneCommit()
{
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    QVERIFY(hydrate(shard, 8, 256));
    QStringList keys;
    for (const char *t : {"zero", "one", "two", "three"}) {
        QCOMPARE(cli({QStringLiteral("append"), shard, QStringLiteral("--text"), QLatin1String(t)}).status, 0);
        keys << keyOf(t);
    }
    Run r = cli({QStringLiteral("delete"), shard, keys[0], keys[2]});
    QCOMPARE(r.status, 0);
    QVERIFY2(r.out.contains("generation 1"), r.out.constData());
    // One commit: one new generation, the replaced one's files gone.
    QVERIFY(!QFileInfo::exists(shard + QStringLiteral("/00000000.slot")));
    QVERIFY(!QFileInfo::exists(shard + QStringLiteral("/00000000.pack")));
    QVERIFY(QFileInfo::exists(shard + QStringLiteral("/00000001.slot")));
    const QJsonObject dumped = parseObject(cli({QStringLiteral("dump"), QStringLiteral("--json"), shard}).out);
    QCOMPARE(dumped.value(QStringLiteral("gen")).toInt(), 1);
    QCOMPARE(dumped.value(QStringLiteral("table_len")).toInt(), 4);
    QCOMPARE(dumped.value(QStringLiteral("live")).toInt(), 2);
    QCOMPARE(dumped.value(QStringLiteral("tombstones")).toInt(), 2);
    QCOMPARE(cli({QStringLiteral("get"), shard, keys[1]}).out, QByteArray("one"));
    QCOMPARE(cli({QStringLiteral("get"), shard, keys[3]}).out, QByteArray("three"));
    QCOMPARE(cli({QStringLiteral("get"), shard, keys[0]}).status, 1);
    QCOMPARE(cli({QStringLiteral("check"), shard}).status, 0);

    // One key that is not live refuses the whole command; nothing changes.
    const auto before = snapshot(shard);
    r = cli({QStringLiteral("delete"), shard, keys[1], keys[2]});
    QCOMPARE(r.status, 1);
    QVERIFY2(r.err.contains(keys[2].toLatin1()), r.err.constData());
    QCOMPARE(snapshot(shard), before);
    QCOMPARE(cli({QStringLiteral("get"), shard, keys[1]}).out, QByteArray("one"));
    // A malformed key is a usage error before anything is opened.
    QCOMPARE(cli({QStringLiteral("delete"), shard, keys[1], QStringLiteral("xyz")}).status, 2);
    QCOMPARE(cli({QStringLiteral("delete"), shard}).status, 2);
}

void TestCli::storeDeleteSeveral()
{
    QTemporaryDir tmp;
    const QString store = tmp.filePath(QStringLiteral("store"));
    QVERIFY(hydrate(store, 2, 1024));
    QStringList cids;
    for (int i = 0; i < 8; ++i) {
        const QByteArray data = QByteArray("blob ") + QByteArray::number(i);
        QCOMPARE(cli({QStringLiteral("put"), QStringLiteral("--store"), store, QStringLiteral("--text"),
                         QString::fromLatin1(data)})
                     .status,
            0);
        cids << QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
    }
    Run r = cli(
        {QStringLiteral("put"), QStringLiteral("--store"), store, QStringLiteral("--text"), QStringLiteral("blob 3")});
    QCOMPARE(r.status, 0);
    QVERIFY(r.out.contains("already present"));
    // Blobs in the root and in children, deleted by one command.
    r = cli({QStringLiteral("delete"), QStringLiteral("--store"), store, cids[0], cids[5], cids[7]});
    QCOMPARE(r.status, 0);
    for (int i = 0; i < 8; ++i) {
        const Run g = cli({QStringLiteral("get"), QStringLiteral("--store"), store, cids[i]});
        const bool deleted = i == 0 || i == 5 || i == 7;
        QCOMPARE(g.status, deleted ? 1 : 0);
        if (!deleted)
            QCOMPARE(g.out, QByteArray("blob ") + QByteArray::number(i));
    }
    QCOMPARE(cli({QStringLiteral("check"), QStringLiteral("--store"), store}).status, 0);
    const auto before = snapshot(store);
    r = cli({QStringLiteral("delete"), QStringLiteral("--store"), store, cids[1], cids[0]});
    QCOMPARE(r.status, 1);
    QVERIFY2(r.err.contains(cids[0].toLatin1()), r.err.constData());
    QCOMPARE(snapshot(store), before);
}

void TestCli::lockHeldRefusesWriters_data()
{
    QTest::addColumn<QStringList>("args"); // DIR stands for the shard (or store root)
    const QString dir = QStringLiteral("DIR");
    const QString key = keyOf("kept");
    QTest::newRow("append") << QStringList {
        QStringLiteral("append"), dir, QStringLiteral("--text"), QStringLiteral("new")};
    QTest::newRow("delete") << QStringList {QStringLiteral("delete"), dir, key};
    QTest::newRow("compact") << QStringList {QStringLiteral("compact"), dir};
    QTest::newRow("hydrate") << QStringList {QStringLiteral("hydrate"), dir};
    QTest::newRow("put --store") << QStringList {
        QStringLiteral("put"), QStringLiteral("--store"), dir, QStringLiteral("--text"), QStringLiteral("new")};
    QTest::newRow("delete --store") << QStringList {QStringLiteral("delete"), QStringLiteral("--store"), dir,
        QString::fromLatin1(QCryptographicHash::hash("kept", QCryptographicHash::Sha256).toHex())};
}

// While another process holds the shard's write lock (here this test, with
// the same flock on the directory), every writing command fails with a
// message naming the holder, writes nothing, and readers go on working.
void TestCli::lockHeldRefusesWriters()
{
    QFETCH(QStringList, args);
    QTemporaryDir tmp;
    const QString shard = tmp.filePath(QStringLiteral("s"));
    QVERIFY(hydrate(shard, 8, 256));
    QCOMPARE(
        cli({QStringLiteral("put"), QStringLiteral("--store"), shard, QStringLiteral("--text"), QStringLiteral("kept")})
            .status,
        0);
    args.replaceInStrings(QRegularExpression(QStringLiteral("^DIR$")), shard);

    const int fd = ::open(QFile::encodeName(shard).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    QVERIFY(fd >= 0);
    QVERIFY(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    QFile commFile(QStringLiteral("/proc/self/comm"));
    QVERIFY(commFile.open(QIODevice::ReadOnly));
    const QByteArray holder = "pid " + QByteArray::number(::getpid()) + " (" + commFile.readAll().trimmed() + ")";
    const auto before = snapshot(shard);
    const Run r = cli(args);
    const Run reader = cli({QStringLiteral("get"), QStringLiteral("--store"), shard,
        QString::fromLatin1(QCryptographicHash::hash("kept", QCryptographicHash::Sha256).toHex())});
    const Run checker = cli({QStringLiteral("check"), shard});
    const auto after = snapshot(shard);
    ::close(fd); // releases the lock

    QCOMPARE(r.status, 1);
    QVERIFY2(r.err.contains("locked for writing by " + holder), r.err.constData());
    QVERIFY2(r.err.contains(QFile::encodeName(shard)), r.err.constData());
    QCOMPARE(after, before);
    QCOMPARE(reader.status, 0);
    QCOMPARE(reader.out, QByteArray("kept"));
    QCOMPARE(checker.status, 0);
    // Released: the same command now goes through.
    const Run again = cli(args);
    QVERIFY2(again.status == 0, again.err.constData());
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
