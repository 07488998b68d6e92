// The exported format definitions. The .ksy must be YAML that a YAML parser
// (PyYAML, as Kaitai's own tools read it) accepts, with the fields FORMAT.md
// names at the sizes it gives; the .hexpat must be structurally sound: braces
// balanced, every struct used, every format function defined, and the same
// fields at the same sizes.
#include "format_export.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace shardscope;

Q_DECLARE_METATYPE(ExportTarget)

namespace {

// The .ksy parsed by PyYAML and handed back as JSON; an empty object (and a
// failed test) when Python or the parse fails.
QJsonObject parseYaml(const QString &text, QString *error)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("format.ksy"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0) {
        *error = QStringLiteral("cannot write %1").arg(path);
        return {};
    }
    file.close();
    QProcess python;
    python.start(QStringLiteral("python3"),
        {QStringLiteral("-c"),
            QStringLiteral("import yaml,sys,json; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"), path});
    if (!python.waitForFinished(60000) || python.exitStatus() != QProcess::NormalExit || python.exitCode() != 0) {
        *error = QStringLiteral("python3 failed (%1): %2")
                     .arg(python.errorString(), QString::fromUtf8(python.readAllStandardError()));
        return {};
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(python.readAllStandardOutput(), &parseError);
    if (!doc.isObject()) {
        *error = parseError.errorString();
        return {};
    }
    return doc.object();
}

// Bytes a Kaitai seq attribute takes: a fixed-size integer type or `size`.
int kaitaiSize(const QJsonObject &attr)
{
    static const QHash<QString, int> sizes = {{QStringLiteral("u1"), 1}, {QStringLiteral("u2le"), 2},
        {QStringLiteral("u4le"), 4}, {QStringLiteral("u8le"), 8}};
    if (attr.contains(QLatin1String("size")))
        return attr.value(QLatin1String("size")).toInt();
    return sizes.value(attr.value(QLatin1String("type")).toString(), -1);
}

QStringList seqIds(const QJsonArray &seq)
{
    QStringList ids;
    for (const auto &a : seq)
        ids << a.toObject().value(QLatin1String("id")).toString();
    return ids;
}

QString withoutCommentsAndStrings(const QString &text)
{
    QString out;
    bool inString = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (inString) {
            if (c == u'\\')
                ++i;
            else if (c == u'"')
                inString = false;
            continue;
        }
        if (c == u'"') {
            inString = true;
            out += QStringLiteral("\"\"");
            continue;
        }
        if (c == u'/' && i + 1 < text.size() && text[i + 1] == u'/') {
            while (i < text.size() && text[i] != u'\n')
                ++i;
            out += u'\n';
            continue;
        }
        out += c;
    }
    return out;
}

bool balanced(const QString &code)
{
    QString stack;
    for (const QChar c : code) {
        if (c == u'{' || c == u'[' || c == u'(')
            stack += c;
        else if (c == u'}' || c == u']' || c == u')') {
            const QChar open = c == u'}' ? u'{' : c == u']' ? u'[' : u'(';
            if (stack.isEmpty() || stack.back() != open)
                return false;
            stack.chop(1);
        }
    }
    return stack.isEmpty();
}

// struct name -> its field declarations ("u32 offset", "u8 key[24]").
QMap<QString, QStringList> hexpatStructs(const QString &code)
{
    QMap<QString, QStringList> out;
    static const QRegularExpression structRe(QStringLiteral(R"(struct\s+(\w+)\s*\{([^}]*)\})"));
    static const QRegularExpression attrRe(QStringLiteral(R"(\[\[.*?\]\])"));
    for (const auto &m : structRe.globalMatch(code)) {
        QStringList fields;
        QString body = m.captured(2);
        body.remove(attrRe);
        for (QString decl : body.split(u';', Qt::SkipEmptyParts)) {
            decl = decl.simplified();
            if (!decl.isEmpty())
                fields << decl;
        }
        out.insert(m.captured(1), fields);
    }
    return out;
}

int hexpatSize(const QString &decl, const QMap<QString, int> &structSizes)
{
    static const QRegularExpression re(QStringLiteral(R"(^(\w+)\s+(\w+)(?:\[(\d+)\])?$)"));
    const auto m = re.match(decl);
    if (!m.hasMatch())
        return -1;
    static const QHash<QString, int> sizes = {
        {QStringLiteral("u8"), 1}, {QStringLiteral("u16"), 2}, {QStringLiteral("u32"), 4}, {QStringLiteral("u64"), 8}};
    const int one = sizes.value(m.captured(1), structSizes.value(m.captured(1), -1));
    const int count = m.captured(3).isEmpty() ? 1 : m.captured(3).toInt();
    return one < 0 ? -1 : one * count;
}

} // namespace

class TestFormatExport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(); }

    void kaitai_data();
    void kaitai();
    void imhex_data() { kaitai_data(); }
    void imhex();
    void fileNames();
};

void TestFormatExport::kaitai_data()
{
    QTest::addColumn<ExportTarget>("target");
    QTest::addColumn<QStringList>("topLevel");
    QTest::newRow("manifest or table") << ExportTarget::Any
                                       << QStringList {QStringLiteral("manifest"), QStringLiteral("table")};
    QTest::newRow("manifest") << ExportTarget::Manifest << QStringList {QStringLiteral("manifest")};
    QTest::newRow("table") << ExportTarget::Table << QStringList {QStringLiteral("table")};
}

void TestFormatExport::kaitai()
{
    QFETCH(ExportTarget, target);
    QFETCH(QStringList, topLevel);
    QString error;
    const QJsonObject ksy = parseYaml(kaitaiStruct(target), &error);
    QVERIFY2(!ksy.isEmpty(), qPrintable(error));

    const QJsonObject meta = ksy.value(QLatin1String("meta")).toObject();
    QCOMPARE(meta.value(QLatin1String("id")).toString(), kaitaiFileName(target).chopped(4));
    QCOMPARE(meta.value(QLatin1String("endian")).toString(), QStringLiteral("le"));
    // Kaitai ids are lower-case snake case.
    static const QRegularExpression idRe(QStringLiteral("^[a-z][a-z0-9_]*$"));
    QVERIFY(idRe.match(meta.value(QLatin1String("id")).toString()).hasMatch());

    const QJsonArray top = ksy.value(QLatin1String("seq")).toArray();
    QCOMPARE(seqIds(top), topLevel);
    const QJsonObject types = ksy.value(QLatin1String("types")).toObject();
    // Every type named anywhere is defined.
    const QString all = QString::fromUtf8(QJsonDocument(ksy).toJson());
    static const QRegularExpression typeRe(QStringLiteral(R"re("type": "([a-z_0-9]+)")re"));
    for (const auto &m : typeRe.globalMatch(all)) {
        const QString t = m.captured(1);
        static const QRegularExpression builtin(QStringLiteral("^[us][1248](le|be)?$"));
        QVERIFY2(builtin.match(t).hasMatch() || types.contains(t), qPrintable(t));
    }

    const QJsonArray copy
        = types.value(QLatin1String("manifest_copy")).toObject().value(QLatin1String("seq")).toArray();
    QCOMPARE(seqIds(copy),
        (QStringList {
            QStringLiteral("nonce"), QStringLiteral("gen"), QStringLiteral("table_len"), QStringLiteral("reserved")}));
    QCOMPARE(copy[0].toObject().value(QLatin1String("type")).toString(), QStringLiteral("u8le"));
    QCOMPARE(copy[1].toObject().value(QLatin1String("type")).toString(), QStringLiteral("u4le"));
    QCOMPARE(copy[2].toObject().value(QLatin1String("type")).toString(), QStringLiteral("u4le"));
    QCOMPARE(copy[3].toObject().value(QLatin1String("size")).toInt(), 16);
    int copySize = 0;
    for (const auto &a : copy)
        copySize += kaitaiSize(a.toObject());
    QCOMPARE(copySize, 32);

    const QJsonArray manifestFile
        = types.value(QLatin1String("manifest_file")).toObject().value(QLatin1String("seq")).toArray();
    QCOMPARE(seqIds(manifestFile), (QStringList {QStringLiteral("copy_a"), QStringLiteral("copy_b")}));
    for (const auto &a : manifestFile)
        QCOMPARE(a.toObject().value(QLatin1String("type")).toString(), QStringLiteral("manifest_copy"));

    const QJsonObject slot = types.value(QLatin1String("slot")).toObject();
    const QJsonArray slotSeq = slot.value(QLatin1String("seq")).toArray();
    QCOMPARE(seqIds(slotSeq), (QStringList {QStringLiteral("key"), QStringLiteral("offset"), QStringLiteral("len")}));
    QCOMPARE(slotSeq[0].toObject().value(QLatin1String("size")).toInt(), 24);
    QCOMPARE(slotSeq[1].toObject().value(QLatin1String("type")).toString(), QStringLiteral("u4le"));
    QCOMPARE(slotSeq[2].toObject().value(QLatin1String("type")).toString(), QStringLiteral("u4le"));
    int slotSize = 0;
    for (const auto &a : slotSeq)
        slotSize += kaitaiSize(a.toObject());
    QCOMPARE(slotSize, 32);
    const QJsonObject tombstone
        = slot.value(QLatin1String("instances")).toObject().value(QLatin1String("is_tombstone")).toObject();
    QCOMPARE(tombstone.value(QLatin1String("value")).toString().remove(u' '), QStringLiteral("offset==0xffffffff"));
    QVERIFY(!tombstone.value(QLatin1String("doc")).toString().isEmpty());

    const QJsonObject tableFile = types.value(QLatin1String("table_file")).toObject();
    const QJsonObject slotsAttr = tableFile.value(QLatin1String("seq")).toArray().at(0).toObject();
    QCOMPARE(slotsAttr.value(QLatin1String("type")).toString(), QStringLiteral("slot"));
    QCOMPARE(slotsAttr.value(QLatin1String("repeat")).toString(), QStringLiteral("eos"));

    // Instances only refer to fields their type has (or to the copies).
    for (const QString &typeName : types.keys()) {
        const QJsonObject type = types.value(typeName).toObject();
        QStringList known = seqIds(type.value(QLatin1String("seq")).toArray());
        const QJsonObject instances = type.value(QLatin1String("instances")).toObject();
        known += instances.keys();
        for (const QString &name : instances.keys()) {
            const QString value = instances.value(name).toObject().value(QLatin1String("value")).toString();
            static const QRegularExpression identRe(QStringLiteral(R"(\b([a-z_][a-z0-9_]*)\b)"));
            for (const auto &m : identRe.globalMatch(value)) {
                const QString ident = m.captured(1);
                if (ident == QLatin1String("and") || ident == QLatin1String("or") || ident == QLatin1String("not"))
                    continue;
                // "copy_b.nonce": the part after a dot is a field of another type.
                if (m.capturedStart(1) > 0 && value.at(m.capturedStart(1) - 1) == u'.')
                    continue;
                QVERIFY2(known.contains(ident),
                    qPrintable(typeName + QLatin1Char('.') + name + QStringLiteral(": ") + ident));
            }
        }
    }
}

void TestFormatExport::imhex()
{
    QFETCH(ExportTarget, target);
    QFETCH(QStringList, topLevel);
    const QString text = imhexPattern(target);
    QVERIFY(text.contains(QLatin1String("#pragma endian little")));
    const QString code = withoutCommentsAndStrings(text);
    QVERIFY(balanced(code));

    const auto structs = hexpatStructs(code);
    const bool manifest = topLevel.contains(QLatin1String("manifest"));
    const bool table = topLevel.contains(QLatin1String("table"));
    QCOMPARE(structs.contains(QStringLiteral("Manifest")), manifest);
    QCOMPARE(structs.contains(QStringLiteral("ManifestCopy")), manifest);
    QCOMPARE(structs.contains(QStringLiteral("Slot")), table);
    if (manifest) {
        QCOMPARE(structs.value(QStringLiteral("ManifestCopy")),
            (QStringList {QStringLiteral("u64 nonce"), QStringLiteral("u32 gen"), QStringLiteral("u32 table_len"),
                QStringLiteral("u8 reserved[16]")}));
        QCOMPARE(structs.value(QStringLiteral("Manifest")),
            (QStringList {QStringLiteral("ManifestCopy copy_a"), QStringLiteral("ManifestCopy copy_b")}));
    }
    if (table) {
        QCOMPARE(structs.value(QStringLiteral("Slot")),
            (QStringList {QStringLiteral("u8 key[24]"), QStringLiteral("u32 offset"), QStringLiteral("u32 len")}));
    }

    // Sizes, structs in order of definition (a struct uses earlier ones).
    QMap<QString, int> sizes;
    for (const QString &name : {QStringLiteral("ManifestCopy"), QStringLiteral("Manifest"), QStringLiteral("Slot")}) {
        if (!structs.contains(name))
            continue;
        int total = 0;
        for (const QString &decl : structs.value(name)) {
            const int n = hexpatSize(decl, sizes);
            QVERIFY2(n > 0, qPrintable(decl));
            total += n;
        }
        sizes.insert(name, total);
    }
    if (manifest) {
        QCOMPARE(sizes.value(QStringLiteral("ManifestCopy")), 32);
        QCOMPARE(sizes.value(QStringLiteral("Manifest")), 64);
    }
    if (table)
        QCOMPARE(sizes.value(QStringLiteral("Slot")), 32);

    // Placements: what is placed at 0 is what the target reads.
    static const QRegularExpression placementRe(QStringLiteral(R"((\w+)\s+(\w+)(\[[^\]]*\])?\s*@\s*0x00\s*;)"));
    QStringList placed;
    QStringList placedTypes;
    for (const auto &m : placementRe.globalMatch(code)) {
        placed << m.captured(2);
        placedTypes << m.captured(1);
    }
    QStringList expectedPlaced;
    for (const QString &t : topLevel)
        expectedPlaced << (t == QLatin1String("manifest") ? QStringLiteral("manifest") : QStringLiteral("slots"));
    QCOMPARE(placed, expectedPlaced);

    // Every struct is used: placed, or a field of a struct that is.
    for (const QString &name : structs.keys()) {
        bool used = placedTypes.contains(name);
        for (const QStringList &fields : structs) {
            for (const QString &decl : fields)
                used = used || decl.startsWith(name + QLatin1Char(' '));
        }
        QVERIFY2(used, qPrintable(name));
    }
    // Every format function named is defined.
    static const QRegularExpression formatRe(QStringLiteral(R"re(format\("(\w+)"\))re"));
    for (const auto &m : formatRe.globalMatch(text))
        QVERIFY2(text.contains(QStringLiteral("fn %1(").arg(m.captured(1))), qPrintable(m.captured(1)));
}

void TestFormatExport::fileNames()
{
    QCOMPARE(kaitaiFileName(ExportTarget::Table), QStringLiteral("shardscope_table.ksy"));
    QCOMPARE(imhexFileName(ExportTarget::Any), QStringLiteral("shardscope_shard.hexpat"));
    QVERIFY(kaitaiStruct(ExportTarget::Manifest) != kaitaiStruct(ExportTarget::Table));
}

QTEST_GUILESS_MAIN(TestFormatExport)
#include "tst_format_export.moc"
