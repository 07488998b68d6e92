// The fixtures were written by the reference Go package and their
// .expect.json files hold what it reads back. Our reader must agree field for
// field: this is the ground truth for the format.
#include "test_support.h"

#include "shard.h"
#include "shard_dump.h"
#include "store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace shardscope;
using namespace testsupport;

namespace {

QJsonDocument parse(const QByteArray &json, QString *error)
{
    QJsonParseError err;
    QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError)
        *error = err.errorString() + QStringLiteral(" at ") + QString::number(err.offset);
    return doc;
}

// The first difference between two dump objects, or an empty string.
QString firstDifference(const QJsonObject &actual, const QJsonObject &expected)
{
    for (auto it = expected.begin(); it != expected.end(); ++it) {
        if (!actual.contains(it.key()))
            return QStringLiteral("missing field \"%1\"").arg(it.key());
    }
    for (auto it = actual.begin(); it != actual.end(); ++it) {
        if (!expected.contains(it.key()))
            return QStringLiteral("unexpected field \"%1\"").arg(it.key());
        if (it.key() == u"entries")
            continue;
        if (it.value() != expected.value(it.key())) {
            return QStringLiteral("field \"%1\": got %2, expected %3")
                .arg(it.key(), it.value().toVariant().toString(), expected.value(it.key()).toVariant().toString());
        }
    }
    const QJsonArray a = actual.value("entries").toArray();
    const QJsonArray e = expected.value("entries").toArray();
    for (qsizetype i = 0; i < std::min(a.size(), e.size()); ++i) {
        if (a[i] != e[i]) {
            return QStringLiteral("entry %1: got %2, expected %3")
                .arg(i)
                .arg(QString::fromUtf8(QJsonDocument(a[i].toObject()).toJson(QJsonDocument::Compact)),
                    QString::fromUtf8(QJsonDocument(e[i].toObject()).toJson(QJsonDocument::Compact)));
        }
    }
    if (a.size() != e.size())
        return QStringLiteral("%1 entries, expected %2").arg(a.size()).arg(e.size());
    return {};
}

} // namespace

class tst_ReferenceFixtures : public QObject
{
    Q_OBJECT

private slots:
    void dumpMatchesExpectation_data();
    void dumpMatchesExpectation();
    void getMatchesExpectation_data();
    void getMatchesExpectation();
    void storeBlobsMatchExpectation();
    void storeChildrenMatchDirectories();
    void storeAbsentBlobIsNotFound();
};

void tst_ReferenceFixtures::dumpMatchesExpectation_data()
{
    QTest::addColumn<QString>("name");
    for (const char *name : {"basic", "compacted", "empty", "tombstones"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void tst_ReferenceFixtures::dumpMatchesExpectation()
{
    QFETCH(QString, name);

    QString error;
    const QJsonDocument expectedDoc = parse(readFile(dataPath(name + ".expect.json")), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QJsonObject expected = expectedDoc.object();
    QVERIFY(expected.contains("entries"));
    expected.remove("notes");

    auto shard = Shard::openReadOnly(str(dataPath(name)));
    CHECK_OK(shard);
    const std::string json = dumpJson(*shard);
    const QJsonDocument actualDoc = parse(QByteArray::fromStdString(json), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error + "\n" + QString::fromStdString(json)));
    QVERIFY(actualDoc.isObject());
    const QJsonObject actual = actualDoc.object();

    const QString diff = firstDifference(actual, expected);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QCOMPARE(actual, expected);
}

void tst_ReferenceFixtures::getMatchesExpectation_data()
{
    dumpMatchesExpectation_data();
}

void tst_ReferenceFixtures::getMatchesExpectation()
{
    // The same expectations through the lookup path (find/get), not the slot walk.
    QFETCH(QString, name);

    const QJsonObject expected = QJsonDocument::fromJson(readFile(dataPath(name + ".expect.json"))).object();
    auto shard = Shard::openReadOnly(str(dataPath(name)));
    CHECK_OK(shard);
    QCOMPARE(shard->generation(), uint32_t(expected.value("gen").toInteger()));
    QCOMPARE(shard->tableLen(), uint32_t(expected.value("table_len").toInteger()));
    int live = 0;
    for (const QJsonValue &v : expected.value("entries").toArray()) {
        const QJsonObject e = v.toObject();
        if (e.value("tombstone").toBool())
            continue;
        ++live;
        const auto key = Key::fromHex(e.value("key").toString().toStdString());
        QVERIFY(key);
        QVERIFY(shard->exists(*key));
        QCOMPARE(shard->find(*key), std::optional<uint32_t>(uint32_t(e.value("slot").toInteger())));
        auto got = shard->get(*key);
        CHECK_OK(got);
        QVERIFY(got->has_value());
        QCOMPARE(qsizetype((*got)->size()), qsizetype(e.value("len").toInteger()));
        QCOMPARE(sha256Hex(**got), e.value("sha256").toString().toLatin1());
    }
    QCOMPARE(live, expected.value("live").toInt());
}

void tst_ReferenceFixtures::storeBlobsMatchExpectation()
{
    const QJsonArray blobs = QJsonDocument::fromJson(readFile(dataPath("store.expect.json"))).array();
    QCOMPARE(blobs.size(), 600);

    auto store = Store::open(str(dataPath("store")), Store::Access::ReadOnly);
    CHECK_OK(store);
    int belowRoot = 0;
    for (const QJsonValue &v : blobs) {
        const QJsonObject b = v.toObject();
        const QString cidHex = b.value("cid").toString();
        const auto cid = contentIdFromHex(cidHex.toStdString());
        QVERIFY2(cid, qPrintable(cidHex));
        auto got = store->get(*cid);
        CHECK_OK(got);
        QVERIFY2(got->has_value(), qPrintable("blob not found: " + cidHex));
        QCOMPARE(qsizetype((*got)->size()), qsizetype(b.value("len").toInteger()));
        QCOMPARE(sha256Hex(std::span<const uint8_t>(**got)), b.value("sha256").toString().toLatin1());

        auto where = store->locate(*cid);
        CHECK_OK(where);
        QVERIFY(where->has_value());
        // The shard's path is the hex of the first `depth` bytes of the content ID.
        const QString expectedPath = [&] {
            QStringList parts;
            for (int d = 0; d < (*where)->depth; ++d)
                parts << cidHex.mid(2 * d, 2);
            return parts.join(u'/');
        }();
        QCOMPARE(QString::fromStdString((*where)->relPath), expectedPath);
        if ((*where)->depth > 0)
            ++belowRoot;
    }
    // The root holds 64 slots: most of the 600 blobs live in children.
    QVERIFY(belowRoot >= 600 - 64);
}

void tst_ReferenceFixtures::storeChildrenMatchDirectories()
{
    auto store = Store::open(str(dataPath("store")), Store::Access::ReadOnly);
    CHECK_OK(store);
    auto children = store->children("");
    CHECK_OK(children);
    QStringList dirs = QDir(dataPath("store")).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    QStringList got;
    for (const auto &c : *children)
        got << QString::fromStdString(c);
    QCOMPARE(got, dirs);
    QVERIFY(got.size() > 100);
}

void tst_ReferenceFixtures::storeAbsentBlobIsNotFound()
{
    const QJsonArray blobs = QJsonDocument::fromJson(readFile(dataPath("store.expect.json"))).array();
    auto store = Store::open(str(dataPath("store")), Store::Access::ReadOnly);
    CHECK_OK(store);
    // Same first bytes (same path through the trie), different last byte.
    for (int i = 0; i < 50; ++i) {
        auto cid = contentIdFromHex(blobs[i].toObject().value("cid").toString().toStdString());
        QVERIFY(cid);
        (*cid)[20] ^= 0x5a;
        auto got = store->get(*cid);
        CHECK_OK(got);
        QVERIFY(!got->has_value());
    }
}

QTEST_GUILESS_MAIN(tst_ReferenceFixtures)
#include "tst_reference_fixtures.moc"
