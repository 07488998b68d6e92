// Help > Format Guide: the on-disk format explained in one page, with the
// demo shard as the running example. The page is a resource compiled into
// the program (resources/guide/format-guide.html).
#pragma once

#include <QDialog>

class QTextBrowser;

namespace shardscope {

class FormatGuideDialog : public QDialog
{
    Q_OBJECT

public:
    explicit FormatGuideDialog(QWidget *parent = nullptr);

    [[nodiscard]] QTextBrowser *browser() const { return m_browser; }
    // The page's HTML; empty if the resource is missing from the program.
    [[nodiscard]] static QString guideHtml();

protected:
    void changeEvent(QEvent *event) override;

private:
    void load();
    QTextBrowser *m_browser = nullptr;
};

} // namespace shardscope
