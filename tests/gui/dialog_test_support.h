// What the dialog tests share: a screenshot when one is asked for, and a
// button clicked by its label as a user would.
#pragma once

#include <QCoreApplication>
#include <QFile>
#include <QImage>
#include <QPushButton>
#include <QTest>
#include <QWidget>

namespace shardscope::test {

// Only when asked (SHARDSCOPE_DIALOG_SCREENSHOTS=DIR): tests write nowhere else.
inline void saveScreenshot(QWidget &w, const QString &name)
{
    // Layouts settle in posted events.
    QCoreApplication::processEvents();
    const QImage image = w.grab().toImage();
    QVERIFY(!image.isNull());
    if (const QByteArray dir = qgetenv("SHARDSCOPE_DIALOG_SCREENSHOTS"); !dir.isEmpty())
        QVERIFY(image.save(QFile::decodeName(dir) + u'/' + name));
}

// Clicks the push button of `dialog` labelled `label` (mnemonic ignored);
// fails the test when there is none.
inline void clickButton(QWidget &dialog, const QString &label)
{
    QPushButton *found = nullptr;
    for (QPushButton *b : dialog.findChildren<QPushButton *>()) {
        if (b->text().remove(u'&') == label)
            found = b;
    }
    QVERIFY2(found, qPrintable(QStringLiteral("no button labelled %1").arg(label)));
    QTest::mouseClick(found, Qt::LeftButton);
}

} // namespace shardscope::test
