// JsonWriter: the dump and check reports are read by other programs, so the
// output must be valid JSON whatever the strings hold, keep keys in the order
// written, and look like the reference's .expect.json files.
#include "test_support.h"

#include "json_writer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace shardscope;
using namespace testsupport;

namespace {
QJsonDocument parse(const std::string &json, QString *error)
{
    QJsonParseError err;
    QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &err);
    if (err.error != QJsonParseError::NoError)
        *error = err.errorString() + QStringLiteral(" at %1 in: ").arg(err.offset) + QString::fromStdString(json);
    return doc;
}
} // namespace

class tst_JsonWriter : public QObject
{
    Q_OBJECT

private slots:
    void layoutMatchesReferenceStyle();
    void compactHasNoWhitespace();
    void emptyContainers();
    void stringsAreEscaped_data();
    void stringsAreEscaped();
    void integersAreExact();
    void keysKeepTheirOrder();
};

void tst_JsonWriter::layoutMatchesReferenceStyle()
{
    JsonWriter w;
    w.beginObject();
    w.key("a").value(1);
    w.key("b").beginArray().value(true).null().endArray();
    w.key("c").beginObject().endObject();
    w.key("d").beginArray().beginObject().key("slot").value(0u).endObject().endArray();
    w.endObject();
    QCOMPARE(QString::fromStdString(w.str()),
        QStringLiteral("{\n"
                       "  \"a\": 1,\n"
                       "  \"b\": [\n"
                       "    true,\n"
                       "    null\n"
                       "  ],\n"
                       "  \"c\": {},\n"
                       "  \"d\": [\n"
                       "    {\n"
                       "      \"slot\": 0\n"
                       "    }\n"
                       "  ]\n"
                       "}\n"));
}

void tst_JsonWriter::compactHasNoWhitespace()
{
    JsonWriter w(0);
    w.beginObject().key("k").value("v w").key("n").beginArray().value(1).value(2).endArray().endObject();
    QCOMPARE(QString::fromStdString(w.str()), QStringLiteral("{\"k\":\"v w\",\"n\":[1,2]}"));
}

void tst_JsonWriter::emptyContainers()
{
    JsonWriter a;
    a.beginArray().endArray();
    QCOMPARE(QString::fromStdString(a.str()), QStringLiteral("[]\n"));
    JsonWriter o(0);
    o.beginObject().endObject();
    QCOMPARE(QString::fromStdString(o.str()), QStringLiteral("{}"));
}

void tst_JsonWriter::stringsAreEscaped_data()
{
    QTest::addColumn<QByteArray>("text");

    QTest::newRow("plain") << QByteArray("hello");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("quote") << QByteArray("say \"hi\"");
    QTest::newRow("backslash") << QByteArray("C:\\path\\file");
    QTest::newRow("newline, return, tab") << QByteArray("a\nb\rc\td");
    QTest::newRow("control characters") << QByteArray("\x01\x02\x1f\x7f", 4);
    QTest::newRow("embedded NUL") << QByteArray("a\0b", 3);
    QTest::newRow("UTF-8") << QByteArray("grüße, 日本, \xF0\x9F\x98\x80");
    QTest::newRow("path with slashes") << QByteArray("/tmp/shard/00000000.slot");
}

void tst_JsonWriter::stringsAreEscaped()
{
    QFETCH(QByteArray, text);

    JsonWriter w;
    const std::string_view sv(text.constData(), size_t(text.size()));
    w.beginObject().key(sv).value(sv).endObject();
    QString error;
    const QJsonDocument doc = parse(w.str(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QJsonObject o = doc.object();
    QCOMPARE(o.size(), 1);
    QCOMPARE(o.begin().key(), QString::fromUtf8(text));
    QCOMPARE(o.begin().value().toString(), QString::fromUtf8(text));
    // Raw control characters are not allowed inside JSON strings.
    for (char c : w.str())
        QVERIFY(static_cast<unsigned char>(c) >= 0x20 || c == '\n');
}

void tst_JsonWriter::integersAreExact()
{
    JsonWriter w(0);
    w.beginArray()
        .value(uint64_t(18446744073709551615ull))
        .value(int64_t(-9223372036854775807ll - 1))
        .value(0)
        .value(-1)
        .value(uint32_t(4294967295u))
        .endArray();
    QCOMPARE(
        QString::fromStdString(w.str()), QStringLiteral("[18446744073709551615,-9223372036854775808,0,-1,4294967295]"));
    QString error;
    parse(w.str(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void tst_JsonWriter::keysKeepTheirOrder()
{
    JsonWriter w(0);
    w.beginObject();
    for (const char *k : {"zeta", "alpha", "mu", "beta"})
        w.key(k).value(k);
    w.endObject();
    QCOMPARE(QString::fromStdString(w.str()),
        QStringLiteral("{\"zeta\":\"zeta\",\"alpha\":\"alpha\",\"mu\":\"mu\",\"beta\":\"beta\"}"));
}

QTEST_GUILESS_MAIN(tst_JsonWriter)
#include "tst_json_writer.moc"
