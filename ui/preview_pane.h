// The preview of the selected entry: text with KSyntaxHighlighting (the
// definition sniffed from the bytes, another one pickable in a combo box),
// images at their size, and for anything else a short summary that points to
// the hex pane. The theme follows the palette, light or dark.
#pragma once

#include <QComboBox>
#include <QWidget>

class QLabel;
class QModelIndex;
class QPlainTextEdit;
class QScrollArea;
class QStackedWidget;

namespace KSyntaxHighlighting {
class Definition;
class Repository;
class SyntaxHighlighter;
} // namespace KSyntaxHighlighting

namespace shardscope {

// A combo box that says when its list is about to open, so the list can be
// filled only then.
class SyntaxComboBox : public QComboBox
{
    Q_OBJECT

public:
    using QComboBox::QComboBox;
    // "Plain text" and every visible definition by translated name; keeps
    // the current choice.
    void fillDefinitions(const KSyntaxHighlighting::Repository &repository);
    // Selects `definition` (plain text when invalid). Until fillDefinitions()
    // has run (when the user first opens the list: listing every definition
    // costs more than a first paint may), the combo holds plain text and
    // the definition in use only.
    void showDefinition(const KSyntaxHighlighting::Definition &definition);
    void showPopup() override
    {
        Q_EMIT aboutToShowPopup();
        QComboBox::showPopup();
    }

Q_SIGNALS:
    void aboutToShowPopup();
};

class PreviewPane : public QWidget
{
    Q_OBJECT

public:
    enum class Page { Text, Image, Note };

    explicit PreviewPane(KSyntaxHighlighting::Repository &repository, QWidget *parent = nullptr);

    // An index of a SlotTableModel (or a proxy over one); invalid clears.
    void showEntry(const QModelIndex &index);

    [[nodiscard]] Page page() const;
    // The highlighting definition in use ("JSON"), empty when none.
    [[nodiscard]] QString syntaxName() const;
    // The heading line ("Slot 3: JSON, 412 bytes").
    [[nodiscard]] QString heading() const;
    // Picks another definition for the text shown, as the combo box does.
    void setSyntax(const QString &definitionName);

Q_SIGNALS:
    // The user asked to see the bytes (binary entries link to the hex pane).
    void hexRequested();

protected:
    void changeEvent(QEvent *event) override;

private:
    void applyTheme();
    void showNote(const QString &heading, const QString &note);
    void showText(const QString &heading, const QString &text, const QString &definitionName);

    KSyntaxHighlighting::Repository &m_repository;
    QLabel *m_heading = nullptr;
    SyntaxComboBox *m_syntax = nullptr;
    QStackedWidget *m_pages = nullptr;
    QPlainTextEdit *m_text = nullptr;
    QScrollArea *m_imageArea = nullptr;
    QLabel *m_image = nullptr;
    QLabel *m_note = nullptr;
    KSyntaxHighlighting::SyntaxHighlighter *m_highlighter = nullptr;
};

} // namespace shardscope
