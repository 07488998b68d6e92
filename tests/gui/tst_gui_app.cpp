// Runs the built shardscope program the way scripts and CI do: it must load
// and paint its window and exit 0, write a screenshot, and exit 2 with a
// message naming the file when a shard cannot be opened.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString program()
{
    return QStringLiteral(SHARDSCOPE_BIN_DIR "/shardscope");
}

QString fixturePath(const QString &name)
{
    return QStringLiteral(SHARDSCOPE_TEST_DATA "/") + name;
}

struct Run {
    int exitCode = -1;
    QProcess::ExitStatus status = QProcess::CrashExit;
    QString err;
    QString out;
};

Run run(const QStringList &args)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    // The program remembers recent paths: keep that out of the user's settings.
    static QTemporaryDir config;
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path());
    process.setProcessEnvironment(env);
    process.start(program(), args);
    Run r;
    if (!process.waitForStarted() || !process.waitForFinished(60'000)) {
        process.kill();
        process.waitForFinished();
        return r;
    }
    r.exitCode = process.exitCode();
    r.status = process.exitStatus();
    r.err = QString::fromLocal8Bit(process.readAllStandardError());
    r.out = QString::fromLocal8Bit(process.readAllStandardOutput());
    return r;
}

} // namespace

class TestGuiApp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFile::exists(program()), qPrintable(program())); }

    void loads_data();
    void loads();
    void screenshot();
    void screenshotOptions();
    void badSlot();
    void printsTiming();
    void openFails_data();
    void openFails();
    void usage();
};

void TestGuiApp::loads_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("demo") << QStringList {QStringLiteral("--demo"), QStringLiteral("--quit-after-load")};
    QTest::newRow("no path means demo") << QStringList {QStringLiteral("--quit-after-load")};
    QTest::newRow("fixture tombstones") << QStringList {
        fixturePath(QStringLiteral("tombstones")), QStringLiteral("--quit-after-load")};
    QTest::newRow("fixture empty") << QStringList {
        fixturePath(QStringLiteral("empty")), QStringLiteral("--quit-after-load")};
}

void TestGuiApp::loads()
{
    QFETCH(QStringList, args);
    const Run r = run(args);
    QCOMPARE(r.status, QProcess::NormalExit);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
}

void TestGuiApp::screenshot()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString out = dir.filePath(QStringLiteral("demo.png"));
    const Run r = run({QStringLiteral("--demo"), QStringLiteral("--screenshot"), out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QImage image(out);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 400 && image.height() >= 300);
}

void TestGuiApp::screenshotOptions()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString out = dir.filePath(QStringLiteral("slot.png"));
    const Run r = run({fixturePath(QStringLiteral("basic")), QStringLiteral("--select"), QStringLiteral("3"),
        QStringLiteral("--size"), QStringLiteral("1000x700"), QStringLiteral("--hex"), QStringLiteral("table"),
        QStringLiteral("--screenshot"), out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QImage image(out);
    QCOMPARE(image.size(), QSize(1000, 700));
}

void TestGuiApp::badSlot()
{
    const Run r = run({fixturePath(QStringLiteral("basic")), QStringLiteral("--select"), QStringLiteral("100000"),
        QStringLiteral("--quit-after-load")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QLatin1String("100000")), qPrintable(r.err));
}

void TestGuiApp::printsTiming()
{
    const Run r = run(
        {fixturePath(QStringLiteral("basic")), QStringLiteral("--quit-after-load"), QStringLiteral("--print-timing")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QRegularExpression figure(QStringLiteral("first_paint_ms ([0-9.]+)\nresident_kib ([0-9]+)"));
    const auto match = figure.match(r.out);
    QVERIFY2(match.hasMatch(), qPrintable(r.out));
    QVERIFY(match.captured(1).toDouble() > 0);
    QVERIFY(match.captured(2).toLongLong() > 0);
}

void TestGuiApp::openFails_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("named");
    // A missing directory, and an MF cut short: both name the file concerned.
    QTest::newRow("missing directory") << QString() << QStringLiteral("no-such-shard");
    QTest::newRow("truncated MF") << QStringLiteral("MF") << QStringLiteral("MF");
}

void TestGuiApp::openFails()
{
    QFETCH(QString, damage);
    QFETCH(QString, named);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QString shard = dir.filePath(QStringLiteral("no-such-shard"));
    if (!damage.isEmpty()) {
        // The fixtures are read-only: damage a copy.
        shard = dir.filePath(QStringLiteral("copy"));
        QVERIFY(QDir().mkpath(shard));
        const QDir src(fixturePath(QStringLiteral("basic")));
        for (const QString &name : src.entryList(QDir::Files))
            QVERIFY(QFile::copy(src.filePath(name), shard + QLatin1Char('/') + name));
        QFile mf(shard + QLatin1Char('/') + damage);
        QVERIFY(mf.setPermissions(mf.permissions() | QFileDevice::WriteOwner));
        QVERIFY(mf.resize(10));
    }
    const Run r = run({shard, QStringLiteral("--quit-after-load")});
    QCOMPARE(r.status, QProcess::NormalExit);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(named), qPrintable(r.err));
}

void TestGuiApp::usage()
{
    const Run r
        = run({QStringLiteral("--demo"), fixturePath(QStringLiteral("basic")), QStringLiteral("--quit-after-load")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.err.contains(QLatin1String("--demo")));
}

QTEST_GUILESS_MAIN(TestGuiApp)
#include "tst_gui_app.moc"
