// The content sniffer over many small inputs, the tricky ones included (a BOM,
// a cut at the 4 KiB sample limit, NULs in text), and the syntax definition
// names it hands out checked against the KSyntaxHighlighting installed here.
#include "content_sniffer.h"

#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/Repository>

#include <QBuffer>
#include <QImage>
#include <QTest>

#include <random>

using namespace shardscope;

Q_DECLARE_METATYPE(shardscope::ContentKind)

namespace {

QByteArray imageBytes(const char *format)
{
    QImage image(8, 6, QImage::Format_RGB32);
    image.fill(Qt::darkCyan);
    QByteArray out;
    QBuffer buffer(&out);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, format))
        return {};
    return out;
}

QByteArray randomBytes(int n, unsigned seed)
{
    std::mt19937 rng(seed);
    QByteArray out(n, Qt::Uninitialized);
    for (char &c : out)
        c = char(rng() & 0xFF);
    return out;
}

// A JSON document far larger than the sample, so the sample ends inside it.
QByteArray longJson()
{
    QByteArray json = "{\"items\": [";
    for (int i = 0; i < 400; ++i)
        json += "{\"id\": " + QByteArray::number(i) + ", \"name\": \"item number " + QByteArray::number(i)
            + "\", \"ok\": true},";
    json += "null]}";
    return json;
}

} // namespace

namespace QTest {
template<> char *toString(const ContentKind &kind)
{
    return qstrdup(qPrintable(QStringLiteral("%1 (%2)").arg(contentKindName(kind)).arg(int(kind))));
}
} // namespace QTest

class TestContentSniffer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void sniff_data();
    void sniff();
    void sampleLimit();
    void definitionsExist_data();
    void definitionsExist();
    void kindNames();
    void summary_data();
    void summary();
};

void TestContentSniffer::sniff_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<qint64>("totalLength"); // -1: the bytes are the whole entry
    QTest::addColumn<ContentKind>("kind");
    QTest::addColumn<QString>("definition");

    const qint64 whole = -1;
    const QString none = QStringLiteral("None");
    const QByteArray bom = "\xEF\xBB\xBF";

    QTest::newRow("empty") << QByteArray() << whole << ContentKind::Empty << none;
    QTest::newRow("empty sample of a long entry") << QByteArray() << qint64(0) << ContentKind::Empty << none;

    QTest::newRow("json object") << QByteArray("{\"a\": 1, \"b\": [true, false, null], \"c\": {\"d\": -1.5e3}}")
                                 << whole << ContentKind::Json << QStringLiteral("JSON");
    QTest::newRow("json with BOM") << bom + "{\"name\": \"demo\"}\n"
                                   << whole << ContentKind::Json << QStringLiteral("JSON");
    QTest::newRow("json array after blank lines")
        << QByteArray("\n\n  [1, 2, 3, \"four\"]\n") << whole << ContentKind::Json << QStringLiteral("JSON");
    QTest::newRow("json lines") << QByteArray("{\"n\": 1}\n{\"n\": 2}\n{\"n\": 3}\n") << whole << ContentKind::Json
                                << QStringLiteral("JSON");
    QTest::newRow("empty json object") << QByteArray("{}") << whole << ContentKind::Json << QStringLiteral("JSON");
    QTest::newRow("json cut by the sample") << longJson() << whole << ContentKind::Json << QStringLiteral("JSON");
    QTest::newRow("json cut inside a literal")
        << QByteArray("[true, fa") << qint64(100) << ContentKind::Json << QStringLiteral("JSON");
    QTest::newRow("json cut inside a string")
        << QByteArray("{\"key\": \"a long str") << qint64(100) << ContentKind::Json << QStringLiteral("JSON");
    QTest::newRow("unterminated json, whole entry") << QByteArray("{\"a\": 1") << whole << ContentKind::Text << none;
    QTest::newRow("braces around words") << QByteArray("{not json at all}\n") << whole << ContentKind::Text << none;
    QTest::newRow("json with a trailing comma") << QByteArray("{\"a\": 1,}") << whole << ContentKind::Text << none;

    QTest::newRow("ini section and pair")
        << QByteArray("[section]\nkey=value\n") << whole << ContentKind::Ini << QStringLiteral("INI Files");
    QTest::newRow("ini with comments first") << QByteArray("; settings\n# more\n[core]\nname = demo\nsize = 3\n")
                                             << whole << ContentKind::Ini << QStringLiteral("INI Files");
    QTest::newRow("properties without a section") << QByteArray("HOST=example.org\nPORT=8080\nDEBUG=false\n") << whole
                                                  << ContentKind::Ini << QStringLiteral("INI Files");

    QTest::newRow("yaml document marker")
        << QByteArray("---\nname: x\nitems:\n  - a\n  - b\n") << whole << ContentKind::Yaml << QStringLiteral("YAML");
    QTest::newRow("yaml directive") << QByteArray("%YAML 1.2\n---\na: 1\n") << whole << ContentKind::Yaml
                                    << QStringLiteral("YAML");
    QTest::newRow("yaml without marker") << QByteArray("name: demo\nversion: 3\nitems:\n  - a\n  - b\n") << whole
                                         << ContentKind::Yaml << QStringLiteral("YAML");
    QTest::newRow("yaml after a comment") << QByteArray("# Settings of the demo\nname: x\nport: 80\n") << whole
                                          << ContentKind::Yaml << QStringLiteral("YAML");

    QTest::newRow("markdown heading") << QByteArray("# Title\n\nSome text.\n\n- item\n- item\n") << whole
                                      << ContentKind::Markdown << QStringLiteral("Markdown");
    QTest::newRow("markdown heading further down")
        << QByteArray("Intro line.\n\n## Section\n\nText with **bold** words.\n") << whole << ContentKind::Markdown
        << QStringLiteral("Markdown");
    QTest::newRow("markdown fences") << QByteArray("Example:\n\n```\ncode\n```\n") << whole << ContentKind::Markdown
                                     << QStringLiteral("Markdown");

    QTest::newRow("xml declaration") << QByteArray("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root><a/></root>\n")
                                     << whole << ContentKind::Xml << QStringLiteral("XML");
    QTest::newRow("xml element") << QByteArray("<note><to>you</to></note>") << whole << ContentKind::Xml
                                 << QStringLiteral("XML");
    QTest::newRow("xml with a body element") << QByteArray("<note id=\"3\"><to>shard</to><body>text</body></note>")
                                             << whole << ContentKind::Xml << QStringLiteral("XML");
    QTest::newRow("xml comment first") << QByteArray("<!-- generated -->\n<config/>") << whole << ContentKind::Xml
                                       << QStringLiteral("XML");
    QTest::newRow("html doctype") << QByteArray("<!DOCTYPE html>\n<html><head><title>t</title></head></html>") << whole
                                  << ContentKind::Html << QStringLiteral("HTML");
    QTest::newRow("html without doctype")
        << QByteArray("<HTML><BODY>hi</BODY></HTML>") << whole << ContentKind::Html << QStringLiteral("HTML");
    QTest::newRow("xhtml") << QByteArray("<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"/>")
                           << whole << ContentKind::Html << QStringLiteral("HTML");
    QTest::newRow("less-than in prose") << QByteArray("< 3 apples\n") << whole << ContentKind::Text << none;

    QTest::newRow("sh script") << QByteArray("#!/bin/sh\necho hello\n") << whole << ContentKind::Shell
                               << QStringLiteral("Bash");
    QTest::newRow("bash via env") << QByteArray("#!/usr/bin/env bash\nset -e\n") << whole << ContentKind::Shell
                                  << QStringLiteral("Bash");
    QTest::newRow("python via env with -S") << QByteArray("#!/usr/bin/env -S python3 -u\nprint(1)\n") << whole
                                            << ContentKind::Shell << QStringLiteral("Python");
    QTest::newRow("perl") << QByteArray("#!/usr/bin/perl -w\nprint 1;\n") << whole << ContentKind::Shell
                          << QStringLiteral("Perl");

    QTest::newRow("plain text") << QByteArray("Hello, world.\nA second line.\n") << whole << ContentKind::Text << none;
    QTest::newRow("utf-8 text") << QByteArray("Grüße, 世界, ¿qué tal?\n") << whole << ContentKind::Text << none;
    QTest::newRow("ansi colours") << QByteArray("\x1b[31mred\x1b[0m and plain\n") << whole << ContentKind::Text << none;
    QTest::newRow("lone BOM") << bom << whole << ContentKind::Text << none;
    QTest::newRow("whitespace only") << QByteArray("  \n\t\n") << whole << ContentKind::Text << none;
    {
        // 1 + 2*3000 bytes: the 4096-byte sample ends after the first byte
        // of a two-byte character.
        QByteArray cut = "a";
        for (int i = 0; i < 3000; ++i)
            cut += "é";
        QTest::newRow("utf-8 cut at the 4 KiB limit") << cut << whole << ContentKind::Text << none;
        QTest::newRow("utf-8 cut, sample passed alone")
            << cut.left(kSniffSampleSize) << qint64(cut.size()) << ContentKind::Text << none;
    }
    QTest::newRow("utf-8 cut at the entry's end") << QByteArray("abc\xC3") << whole << ContentKind::Binary << none;
    QTest::newRow("invalid utf-8 inside") << QByteArray("abc\xC3(def") << whole << ContentKind::Binary << none;
    QTest::newRow("overlong encoding") << QByteArray("a\xC0\xAF") << whole << ContentKind::Binary << none;
    QTest::newRow("surrogate") << QByteArray("a\xED\xA0\x80z") << whole << ContentKind::Binary << none;
    QTest::newRow("text with a few NULs")
        << QByteArray("hello\0world\0\0 and more text", 27) << whole << ContentKind::Binary << none;
    QTest::newRow("control characters") << QByteArray("ab\x01\x02\x03\x04\x05\x06\x07\x08") << whole
                                        << ContentKind::Binary << none;
    QTest::newRow("utf-16 with BOM") << QByteArray("\xFF\xFEh\0i\0", 6) << whole << ContentKind::Binary << none;
    QTest::newRow("random bytes") << randomBytes(3000, 7) << whole << ContentKind::Binary << none;
    QTest::newRow("zeros") << QByteArray(64, '\0') << whole << ContentKind::Binary << none;

    QTest::newRow("png") << imageBytes("PNG") << whole << ContentKind::Png << none;
    QTest::newRow("png cut by the sample") << imageBytes("PNG").left(16) << qint64(5000) << ContentKind::Png << none;
    QTest::newRow("jpeg") << imageBytes("JPEG") << whole << ContentKind::Jpeg << none;
    QTest::newRow("gif header") << QByteArray("GIF89a\x08\x00\x06\x00\x80\x00\x00", 13) << whole << ContentKind::Gif
                                << none;
    QTest::newRow("bmp") << imageBytes("BMP") << whole << ContentKind::Image << none;
}

void TestContentSniffer::sniff()
{
    QFETCH(QByteArray, bytes);
    QFETCH(qint64, totalLength);
    QFETCH(ContentKind, kind);
    QFETCH(QString, definition);

    if (totalLength < 0)
        totalLength = bytes.size();
    QVERIFY2(!(kind != ContentKind::Empty && bytes.isEmpty()), "the test input did not come out");
    const ContentType type = sniffContent(bytes, totalLength);
    QCOMPARE(type.kind, kind);
    QCOMPARE(type.definition, definition);
    QCOMPARE(type.isImage(), !type.imageFormat.isEmpty());
    if (kind == ContentKind::Png)
        QCOMPARE(type.imageFormat, QByteArray("png"));
    if (kind == ContentKind::Image)
        QCOMPARE(type.imageFormat, QByteArray("bmp"));
    // The kind alone maps to the same definition, except where the content
    // says more (a shebang's interpreter).
    if (kind != ContentKind::Shell)
        QCOMPARE(definitionNameFor(kind), definition);
}

void TestContentSniffer::sampleLimit()
{
    // Bytes past the sample limit are never looked at: a NUL there does not
    // make text binary.
    QByteArray text(kSniffSampleSize, 'x');
    text += QByteArray("\0\0\0", 3);
    QCOMPARE(sniffContent(text).kind, ContentKind::Text);
    text[10] = '\0';
    QCOMPARE(sniffContent(text).kind, ContentKind::Binary);
}

void TestContentSniffer::definitionsExist_data()
{
    QTest::addColumn<QString>("name");
    for (int k = int(ContentKind::Empty); k <= int(ContentKind::Binary); ++k) {
        const QString name = definitionNameFor(ContentKind(k));
        QTest::addRow("%s for %s", qPrintable(name), qPrintable(contentKindName(ContentKind(k)))) << name;
    }
    for (const char *interpreter : {"python3", "perl", "ruby", "node", "zsh"}) {
        const QByteArray script = QByteArray("#!/usr/bin/env ") + interpreter + "\n";
        QTest::addRow("%s for %s", qPrintable(sniffContent(script).definition), interpreter)
            << sniffContent(script).definition;
    }
}

void TestContentSniffer::definitionsExist()
{
    QFETCH(QString, name);
    KSyntaxHighlighting::Repository repository;
    QVERIFY(!repository.definitions().isEmpty());
    if (name == QLatin1String("None")) {
        // "None" is no file in the repository: it is the name of the null
        // definition, which highlights nothing.
        QVERIFY(!repository.definitionForName(name).isValid());
        QCOMPARE(KSyntaxHighlighting::Definition().name(), name);
        return;
    }
    const KSyntaxHighlighting::Definition definition = repository.definitionForName(name);
    QVERIFY2(definition.isValid(), qPrintable(name));
    QCOMPARE(definition.name(), name);
}

void TestContentSniffer::kindNames()
{
    QVERIFY(contentKindName(ContentKind::Unknown).isEmpty());
    QSet<QString> names;
    for (int k = int(ContentKind::Empty); k <= int(ContentKind::Binary); ++k) {
        const QString name = contentKindName(ContentKind(k));
        QVERIFY(!name.isEmpty());
        names.insert(name);
    }
    // Every kind can be told apart in the type column.
    QCOMPARE(names.size(), int(ContentKind::Binary));
}

void TestContentSniffer::summary_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<double>("entropy");

    QByteArray all;
    for (int i = 0; i < 256; ++i)
        all += char(i);
    QTest::newRow("empty") << QByteArray() << 0.0;
    QTest::newRow("one value") << QByteArray(1000, 'a') << 0.0;
    QTest::newRow("two values, equally often") << QByteArray("abababab") << 1.0;
    QTest::newRow("four values, equally often") << QByteArray("abcdabcdabcdabcd") << 2.0;
    QTest::newRow("every value once") << all << 8.0;
    QTest::newRow("every value four times") << all + all + all + all << 8.0;
    // p = 3/4 and 1/4: -(0.75 log2 0.75 + 0.25 log2 0.25)
    QTest::newRow("skewed") << QByteArray("aaab") << 0.8112781244591328;
}

void TestContentSniffer::summary()
{
    QFETCH(QByteArray, bytes);
    QFETCH(double, entropy);
    const ByteSummary s = summarizeBytes(bytes);
    QCOMPARE(s.size, bytes.size());
    QVERIFY2(qAbs(s.entropy - entropy) < 1e-9, qPrintable(QString::number(s.entropy, 'g', 17)));
    QVERIFY(s.text().contains(QString::number(entropy, 'f', 2)));
    QVERIFY2(s.text().contains(QLocale().toString(qint64(bytes.size()))), qPrintable(s.text()));
}

QTEST_GUILESS_MAIN(TestContentSniffer)
#include "tst_content_sniffer.moc"
