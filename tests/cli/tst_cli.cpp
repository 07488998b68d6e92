// Runs shardscope-cli as a script would and checks its output, its exit
// status and the files it leaves behind.
#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

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
    QCOMPARE(cli({QStringLiteral("delete"), shard, dropped}).status, 0);
    live.remove(dropped);
    const Run r = cli({QStringLiteral("compact"), shard});
    QCOMPARE(r.status, 0);
    QVERIFY(QFileInfo::exists(shard + QStringLiteral("/00000000.slot")));
    QVERIFY(QFileInfo::exists(shard + QStringLiteral("/00000001.pack")));
    const QJsonObject dumped = parseObject(cli({QStringLiteral("dump"), QStringLiteral("--json"), shard}).out);
    QCOMPARE(dumped.value(QStringLiteral("gen")).toInt(), 1);
    QCOMPARE(dumped.value(QStringLiteral("tombstones")).toInt(), 0);
    const QJsonArray entries = dumped.value(QStringLiteral("entries")).toArray();
    QCOMPARE(entries.size(), live.size());
    for (const QJsonValue &v : entries) {
        const QString key = v.toObject().value(QStringLiteral("key")).toString();
        QVERIFY(live.contains(key));
        QCOMPARE(cli({QStringLiteral("get"), shard, key}).out, live.value(key));
    }
    QCOMPARE(cli({QStringLiteral("compact"), shard, QStringLiteral("--remove-old")}).status, 0);
    QVERIFY(!QFileInfo::exists(shard + QStringLiteral("/00000001.slot")));
    QVERIFY(QFileInfo::exists(shard + QStringLiteral("/00000002.slot")));
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

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
