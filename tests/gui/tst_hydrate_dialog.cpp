// HydrateDialog (New Shard, initialise a missing generation) on the offscreen
// platform: valid sizes give the geometry and the files' sizes, every kind of
// invalid input disables OK with its own reason, and Esc or Cancel rejects.
#include "dialog_test_support.h"
#include "geometry_fields.h"
#include "hydrate_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTest>

using namespace shardscope;
using test::saveScreenshot;

namespace {

void setUnit(HydrateDialog &dialog, const QString &unit)
{
    QComboBox *combo = dialog.fields()->unitCombo();
    const int at = combo->findText(unit);
    QVERIFY2(at >= 0, qPrintable(unit));
    combo->setCurrentIndex(at);
}

} // namespace

class TestHydrateDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Sizes are written with the locale's digit grouping.
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    }
    void init()
    {
        // The offscreen platform says what it cannot do; nothing else may warn.
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("^(?!This plugin does not support (propagateSizeHints|raise))")));
    }

    void defaults();
    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void missingGeneration();
    void cancel_data();
    void cancel();
    void enterAccepts();
};

void TestHydrateDialog::defaults()
{
    HydrateDialog dialog(HydrateDialog::Mode::NewShard);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(dialog.windowTitle(), QStringLiteral("New Shard"));
    // No directory yet: everything else is filled in with the reference's defaults.
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY(dialog.problem().contains(QLatin1String("directory")));
    QCOMPARE(dialog.fields()->slotsEdit()->text(), QStringLiteral("32768"));
    QCOMPARE(dialog.fields()->packEdit()->text(), QStringLiteral("64"));
    QCOMPARE(dialog.fields()->unitCombo()->currentText(), QStringLiteral("MiB"));
    QVERIFY(dialog.findChild<QPushButton *>(QStringLiteral("browse")));
    saveScreenshot(dialog, QStringLiteral("hydrate-empty.png"));

    dialog.setDirectory(QStringLiteral("/data/shards/new"));
    QVERIFY(dialog.okButton()->isEnabled());
    QCOMPARE(dialog.problem(), QString());
    QCOMPARE(dialog.directory(), QStringLiteral("/data/shards/new"));
    QCOMPARE(dialog.geometry().tableSlots, 32768u);
    QCOMPARE(dialog.geometry().packSize, 64u << 20);
    const QString files = dialog.filesLabel()->text();
    QVERIFY2(files.contains(QLatin1String("00000000.slot: 1,048,576 bytes (1")), qPrintable(files));
    QVERIFY2(files.contains(QLatin1String("00000000.pack: 67,108,864 bytes (64")), qPrintable(files));
    QVERIFY(files.contains(QLatin1String("MiB")));
    saveScreenshot(dialog, QStringLiteral("hydrate.png"));
}

void TestHydrateDialog::valid_data()
{
    QTest::addColumn<QString>("slotCount");
    QTest::addColumn<QString>("pack");
    QTest::addColumn<QString>("unit");
    QTest::addColumn<quint32>("wantSlots");
    QTest::addColumn<quint32>("wantPack");
    QTest::addColumn<QString>("tableBytes");
    QTest::newRow("one slot, one byte") << "1"
                                        << "1"
                                        << "bytes" << 1u << 1u << "32 bytes";
    QTest::newRow("128 slots, 64 KiB") << "128"
                                       << "64"
                                       << "KiB" << 128u << 65536u << "4,096 bytes";
    QTest::newRow("digit groups") << "32,768"
                                  << "1,024"
                                  << "bytes" << 32768u << 1024u << "1,048,576 bytes";
    QTest::newRow("spaces around") << " 100 "
                                   << " 3 "
                                   << "MiB" << 100u << 3u * 1048576u << "3,200 bytes";
    QTest::newRow("largest table and pack") << "134217727"
                                            << "4294967295"
                                            << "bytes" << 134217727u << 4294967295u << "4,294,967,264 bytes";
    QTest::newRow("3 GiB pack") << "4096"
                                << "3"
                                << "GiB" << 4096u << 3u * 1073741824u << "131,072 bytes";
}

void TestHydrateDialog::valid()
{
    QFETCH(QString, slotCount);
    QFETCH(QString, pack);
    QFETCH(QString, unit);
    QFETCH(quint32, wantSlots);
    QFETCH(quint32, wantPack);
    QFETCH(QString, tableBytes);

    HydrateDialog dialog(HydrateDialog::Mode::NewShard, QStringLiteral("/somewhere/shard"));
    dialog.fields()->slotsEdit()->setText(slotCount);
    dialog.fields()->packEdit()->setText(pack);
    setUnit(dialog, unit);
    QCOMPARE(dialog.problem(), QString());
    QVERIFY(dialog.okButton()->isEnabled());
    QVERIFY(dialog.problemLabel()->isHidden());
    QCOMPARE(dialog.geometry().tableSlots, wantSlots);
    QCOMPARE(dialog.geometry().packSize, wantPack);
    // The geometry is one the storage library accepts.
    QVERIFY(dialog.geometry().validate("x").has_value());
    const QString files = dialog.filesLabel()->text();
    QVERIFY2(files.contains(QStringLiteral("00000000.slot: ") + tableBytes), qPrintable(files));
    QVERIFY2(files.contains(QStringLiteral("00000000.pack: ") + QLocale().toString(wantPack)), qPrintable(files));
}

void TestHydrateDialog::invalid_data()
{
    QTest::addColumn<QString>("directory");
    QTest::addColumn<QString>("slotCount");
    QTest::addColumn<QString>("pack");
    QTest::addColumn<QString>("unit");
    QTest::addColumn<QString>("problem");
    const QString dir = QStringLiteral("/data/s");
    QTest::newRow("no directory") << ""
                                  << "32768"
                                  << "64"
                                  << "MiB"
                                  << "Name the directory";
    QTest::newRow("blank directory") << "   "
                                     << "32768"
                                     << "64"
                                     << "MiB"
                                     << "Name the directory";
    QTest::newRow("relative directory") << "shards/a"
                                        << "32768"
                                        << "64"
                                        << "MiB"
                                        << "full path";
    QTest::newRow("no slots") << dir << ""
                              << "64"
                              << "MiB"
                              << "number of table slots";
    QTest::newRow("slots not a number") << dir << "lots"
                                        << "64"
                                        << "MiB"
                                        << "“lots” is not a whole number";
    QTest::newRow("negative slots") << dir << "-4"
                                    << "64"
                                    << "MiB"
                                    << "“-4” is not a whole number";
    QTest::newRow("fractional slots") << dir << "1.5"
                                      << "64"
                                      << "MiB"
                                      << "“1.5” is not a whole number";
    QTest::newRow("zero slots") << dir << "0"
                                << "64"
                                << "MiB"
                                << "at least one slot";
    QTest::newRow("table over u32") << dir << "134217728"
                                    << "64"
                                    << "MiB"
                                    << "at most 134,217,727 slots";
    QTest::newRow("slots over u64") << dir << "99999999999999999999999"
                                    << "64"
                                    << "MiB"
                                    << "not a whole number";
    QTest::newRow("no pack size") << dir << "32768"
                                  << ""
                                  << "MiB"
                                  << "Enter the pack size";
    QTest::newRow("pack not a number") << dir << "32768"
                                       << "big"
                                       << "MiB"
                                       << "“big” is not a whole number";
    QTest::newRow("zero pack") << dir << "32768"
                               << "0"
                               << "MiB"
                               << "more than 0 bytes";
    QTest::newRow("pack over u32 bytes") << dir << "32768"
                                         << "4294967296"
                                         << "bytes"
                                         << "fit a u32";
    QTest::newRow("pack 4 GiB") << dir << "32768"
                                << "4"
                                << "GiB"
                                << "fit a u32";
    QTest::newRow("pack 4096 MiB") << dir << "32768"
                                   << "4096"
                                   << "MiB"
                                   << "fit a u32";
    QTest::newRow("directory refused") << "/data/taken"
                                       << "32768"
                                       << "64"
                                       << "MiB"
                                       << "already holds a shard";
}

void TestHydrateDialog::invalid()
{
    QFETCH(QString, directory);
    QFETCH(QString, slotCount);
    QFETCH(QString, pack);
    QFETCH(QString, unit);
    QFETCH(QString, problem);

    QStringList checked;
    HydrateDialog dialog(HydrateDialog::Mode::NewShard, {}, 0, [&checked](const QString &path) {
        checked << path;
        return path == QLatin1String("/data/taken") ? QStringLiteral("/data/taken already holds a shard.") : QString();
    });
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.setDirectory(directory);
    dialog.fields()->slotsEdit()->setText(slotCount);
    dialog.fields()->packEdit()->setText(pack);
    setUnit(dialog, unit);
    QVERIFY2(dialog.problem().contains(problem), qPrintable(dialog.problem()));
    QVERIFY(!dialog.okButton()->isEnabled());
    QVERIFY(dialog.problemLabel()->isVisible());
    QCOMPARE(dialog.problemLabel()->text(), dialog.problem());
    // The check is asked only about a directory that is otherwise fine.
    if (QTest::currentDataTag() == QLatin1String("directory refused"))
        QVERIFY(checked.contains(QStringLiteral("/data/taken")));
    if (QTest::currentDataTag() == QLatin1String("pack 4 GiB"))
        saveScreenshot(dialog, QStringLiteral("hydrate-invalid.png"));
    // Enter does not accept what OK refuses.
    QTest::keyClick(&dialog, Qt::Key_Return);
    QVERIFY(dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
}

void TestHydrateDialog::missingGeneration()
{
    HydrateDialog dialog(HydrateDialog::Mode::MissingGeneration, QStringLiteral("/data/shards/old"), 5);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(dialog.windowTitle().contains(QLatin1String("5")));
    QVERIFY(dialog.directoryEdit()->isReadOnly());
    QVERIFY(!dialog.findChild<QPushButton *>(QStringLiteral("browse")));
    QCOMPARE(dialog.tableFileName(), QStringLiteral("00000005.slot"));
    QCOMPARE(dialog.packFileName(), QStringLiteral("00000005.pack"));
    QVERIFY(dialog.okButton()->isEnabled());
    dialog.setSizes(128, 65536);
    QCOMPARE(dialog.fields()->packEdit()->text(), QStringLiteral("64"));
    QCOMPARE(dialog.fields()->unitCombo()->currentText(), QStringLiteral("KiB"));
    const QString files = dialog.filesLabel()->text();
    QVERIFY2(files.contains(QLatin1String("00000005.slot: 4,096 bytes")), qPrintable(files));
    QVERIFY2(files.contains(QLatin1String("00000005.pack: 65,536 bytes")), qPrintable(files));
    QCOMPARE(dialog.geometry().tableSlots, 128u);
    QCOMPARE(dialog.directory(), QStringLiteral("/data/shards/old"));
    saveScreenshot(dialog, QStringLiteral("hydrate-missing.png"));
}

void TestHydrateDialog::cancel_data()
{
    QTest::addColumn<bool>("escape");
    QTest::newRow("Esc") << true;
    QTest::newRow("Cancel button") << false;
}

void TestHydrateDialog::cancel()
{
    QFETCH(bool, escape);
    HydrateDialog dialog(HydrateDialog::Mode::NewShard, QStringLiteral("/data/s"));
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(dialog.okButton()->isEnabled());
    if (escape)
        QTest::keyClick(&dialog, Qt::Key_Escape);
    else
        QTest::mouseClick(dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Cancel), Qt::LeftButton);
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
}

void TestHydrateDialog::enterAccepts()
{
    HydrateDialog dialog(HydrateDialog::Mode::NewShard, QStringLiteral("/data/s"));
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QTest::keyClick(&dialog, Qt::Key_Return);
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

QTEST_MAIN(TestHydrateDialog)
#include "tst_hydrate_dialog.moc"
