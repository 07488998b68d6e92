// Filling a DataSourceWidget as a data-driven row describes, shared by its
// own test and the tests of the dialogs that hold one.
#pragma once

#include "data_source_widget.h"

#include <QClipboard>
#include <QDir>
#include <QGuiApplication>
#include <QRegularExpression>
#include <QTest>

namespace shardscope::test {

// For init(): the offscreen platform says what it cannot do, and any other
// warning fails the test; the clipboard starts empty.
inline void initDataSourceTest()
{
    QTest::failOnWarning(
        QRegularExpression(QStringLiteral("^(?!This plugin does not support (propagateSizeHints|raise))")));
    QGuiApplication::clipboard()->clear();
}

// `source` is "text", "file" or "clipboard"; `data` is the text, the name of
// the file in `dir` (empty: no path), or the clipboard's text (empty: the
// clipboard is cleared). A file is only being read when this returns.
inline void fillDataSource(DataSourceWidget &widget, const QString &source, const QByteArray &data, const QDir &dir)
{
    if (source == QLatin1String("text")) {
        widget.setSource(DataSourceWidget::Source::Text);
        widget.setText(QString::fromUtf8(data));
    } else if (source == QLatin1String("file")) {
        widget.setSource(DataSourceWidget::Source::File);
        widget.setFilePath(data.isEmpty() ? QString() : dir.filePath(QString::fromUtf8(data)));
    } else if (source == QLatin1String("clipboard")) {
        if (data.isEmpty())
            QGuiApplication::clipboard()->clear();
        else
            QGuiApplication::clipboard()->setText(QString::fromUtf8(data));
        widget.setSource(DataSourceWidget::Source::Clipboard);
        widget.readClipboard();
    } else {
        QFAIL("unknown source");
    }
}

// Until the file read that is under way (if any) has come back.
inline void waitForFile(const DataSourceWidget &widget)
{
    QTRY_VERIFY(widget.fileState() != DataSourceWidget::FileState::Reading
        && widget.fileState() != DataSourceWidget::FileState::Waiting);
}

} // namespace shardscope::test
