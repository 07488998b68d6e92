// The Format Guide dialog: the page is compiled in, covers every part of the
// format FORMAT.md describes, and its internal links lead somewhere.
#include "format_guide_dialog.h"
#include "pack_map_widget.h"

#include <QRegularExpression>
#include <QTest>
#include <QTextBrowser>

using namespace shardscope;

class TestFormatGuide : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        // The offscreen platform says what it cannot do; nothing else may warn.
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("^(?!This plugin does not support (propagateSizeHints|raise))")));
    }

    void page();
    void topics_data();
    void topics();
    void links();
    void darkPalette();
};

void TestFormatGuide::page()
{
    FormatGuideDialog dialog;
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(dialog.windowTitle(), QStringLiteral("Format Guide"));
    const QString text = dialog.browser()->toPlainText();
    QVERIFY(text.startsWith(QLatin1String("The shard format")));
    QVERIFY(text.size() > 4000);
}

void TestFormatGuide::topics_data()
{
    QTest::addColumn<QString>("phrase");
    for (const char *p :
        {"MF", "nonce", "gen", "table_len", "reserved", "copy A", "copy B", "greater nonce", "00000000.slot",
            "00000000.pack", "%08x", "tombstone", "ff ff ff ff", "key", "offset", "len", "little-endian", "compaction",
            "generation", "two lower-case hex", "content ID", "Wrap-around", "capacity + 1", "bloom filter",
            "half full", "uncommitted", "overlap", "nonce 7 > 6", "demo", ".ksy", ".hexpat"})
        QTest::newRow(p) << QString::fromLatin1(p);
}

void TestFormatGuide::topics()
{
    QFETCH(QString, phrase);
    const QString html = FormatGuideDialog::guideHtml();
    QVERIFY(!html.isEmpty());
    QTextDocument doc;
    doc.setHtml(html);
    QVERIFY2(doc.toPlainText().contains(phrase, Qt::CaseInsensitive), qPrintable(phrase));
}

void TestFormatGuide::links()
{
    const QString html = FormatGuideDialog::guideHtml();
    static const QRegularExpression hrefRe(QStringLiteral(R"re(href="#(\w+)")re"));
    int links = 0;
    for (const auto &m : hrefRe.globalMatch(html)) {
        ++links;
        QVERIFY2(html.contains(QStringLiteral("name=\"%1\"").arg(m.captured(1))), qPrintable(m.captured(1)));
    }
    QVERIFY(links >= 8);
}

void TestFormatGuide::darkPalette()
{
    // The page follows the palette: headings in its text colour, and the
    // pack's kinds in the pack map's colours for that palette.
    FormatGuideDialog dialog;
    QPalette dark = dialog.palette();
    dark.setColor(QPalette::Window, QColor(0x20, 0x20, 0x20));
    dark.setColor(QPalette::WindowText, QColor(0xe0, 0xe1, 0xe2));
    dialog.setPalette(dark);
    const QString css = dialog.browser()->document()->defaultStyleSheet();
    QVERIFY(css.contains(QLatin1String("#e0e1e2")));
    QVERIFY(css.contains(PackMapWidget::kindColor(PackLayout::Kind::Overlap, dark).name()));
    QVERIFY(!css.contains(PackMapWidget::kindColor(PackLayout::Kind::Overlap, QPalette(Qt::white)).name()));
}

QTEST_MAIN(TestFormatGuide)
#include "tst_format_guide.moc"
