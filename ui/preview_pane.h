// A read-only text preview of the selected entry, highlighted by
// KSyntaxHighlighting. Entries carry no file name, so the syntax is sniffed
// from the content. Binary entries and tombstones get a one-line note instead
// (the hex view is a separate, later pane).
#pragma once

#include <QWidget>

class QLabel;
class QModelIndex;
class QPlainTextEdit;

namespace KSyntaxHighlighting {
class Definition;
class Repository;
class SyntaxHighlighter;
} // namespace KSyntaxHighlighting

namespace shardscope {

class PreviewPane : public QWidget
{
    Q_OBJECT

public:
    // The repository is the application's and must outlive the pane.
    explicit PreviewPane(KSyntaxHighlighting::Repository &repository, QWidget *parent = nullptr);

    // Any index of a SlotTableModel row (or of a proxy over one); an invalid
    // index clears the pane.
    void showEntry(const QModelIndex &index);

    // The syntax the current text is highlighted as; empty when none.
    [[nodiscard]] QString syntaxName() const;

    // The definition for these bytes, sniffed from their content; invalid when
    // nothing fits (plain text then stays unhighlighted).
    [[nodiscard]] static KSyntaxHighlighting::Definition sniffDefinition(
        KSyntaxHighlighting::Repository &repository, const QByteArray &bytes);

protected:
    void changeEvent(QEvent *event) override;

private:
    void applyTheme();
    void showNote(const QString &heading, const QString &note);

    KSyntaxHighlighting::Repository &m_repository;
    QLabel *m_heading = nullptr;
    QPlainTextEdit *m_text = nullptr;
    KSyntaxHighlighting::SyntaxHighlighter *m_highlighter = nullptr;
};

} // namespace shardscope
