// Append (edit mode): one new entry, its key typed as hex or derived from
// the data, its data from a file, typed text or the clipboard. The dialog
// checks everything it can know (key syntax, the zero key, keys already in
// the shard or staged, free room in pack and table) and keeps OK disabled
// with the reason shown until the entry can be staged; the application
// stages it and writes nothing to the shard from here.
#pragma once

#include "key.h"

#include <QByteArray>
#include <QDialog>

#include <functional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
class QTabWidget;
class QTimer;

namespace KSyntaxHighlighting {
class Repository;
class SyntaxHighlighter;
} // namespace KSyntaxHighlighting

namespace shardscope {

class SyntaxComboBox;

class AppendDialog : public QDialog
{
    Q_OBJECT

public:
    enum class DataSource { File, Text, Clipboard };
    Q_ENUM(DataSource)

    // True when the key is live in the shard or already staged for append.
    using KeyExists = std::function<bool(const Key &)>;

    // packFree: bytes the pack can still take; tableFree: slots the table
    // can still take (both after what is already staged). The repository is
    // the application's and must outlive the dialog.
    AppendDialog(KSyntaxHighlighting::Repository &repository, KeyExists keyExists, quint64 packFree, quint32 tableFree,
        QWidget *parent = nullptr);

    // The entry; only meaningful when problem() is empty.
    [[nodiscard]] Key key() const;
    [[nodiscard]] QByteArray data() const { return m_data; }
    [[nodiscard]] bool hasData() const { return m_hasData; }
    [[nodiscard]] DataSource dataSource() const;
    [[nodiscard]] bool derivesKey() const;
    // Why OK is disabled; empty when the entry can be staged.
    [[nodiscard]] QString problem() const { return m_problem; }
    // The first 24 bytes of the SHA-256 of `data`.
    [[nodiscard]] static Key deriveKey(const QByteArray &data);

    void setKeyHex(const QString &hex);
    void setDeriveKey(bool derive);
    void setDataSource(DataSource source);
    // Reads the file now (the path field reads it shortly after typing stops).
    void setFilePath(const QString &path);
    void setText(const QString &text);
    // The highlighting of the text editor ("JSON"); empty for plain text.
    void setSyntax(const QString &definitionName);
    [[nodiscard]] QString syntaxName() const;
    // Takes what the clipboard holds now.
    void readClipboard();
    // Picks which of the clipboard's formats is the data (the combo's item
    // data: "text", "image" or a MIME type); false when it holds no such one.
    bool setClipboardFormat(const QString &format);

    // For tests.
    [[nodiscard]] QPushButton *okButton() const { return m_ok; }
    [[nodiscard]] QLineEdit *keyEdit() const { return m_keyHex; }
    [[nodiscard]] QLabel *derivedKeyLabel() const { return m_derivedKey; }
    [[nodiscard]] QLabel *problemLabel() const { return m_problemLabel; }
    [[nodiscard]] QLabel *spaceLabel() const { return m_space; }
    [[nodiscard]] QLabel *fileInfoLabel() const { return m_fileInfo; }
    [[nodiscard]] QLabel *clipboardInfoLabel() const { return m_clipInfo; }
    [[nodiscard]] QComboBox *clipboardFormats() const { return m_clipFormats; }
    [[nodiscard]] QPlainTextEdit *textEdit() const { return m_text; }
    [[nodiscard]] QTabWidget *sourceTabs() const { return m_tabs; }

protected:
    void changeEvent(QEvent *event) override;

private:
    QWidget *createFilePage();
    QWidget *createTextPage();
    QWidget *createClipboardPage();
    void browseFile();
    void loadFile();
    void textEdited();
    void clipboardFormatChosen();
    void applyTheme();
    // Takes the data of the current source, then validate().
    void refreshData();
    void validate();

    KSyntaxHighlighting::Repository &m_repository;
    KeyExists m_keyExists;
    quint64 m_packFree;
    quint32 m_tableFree;

    QByteArray m_data;
    bool m_hasData = false;
    QString m_problem;
    std::optional<Key> m_key;

    // The file as last read, and why it could not be when it could not.
    QByteArray m_fileData;
    bool m_fileRead = false;
    QString m_fileError;
    // The clipboard as last read: one (label, format, bytes) per choice.
    struct ClipChoice {
        QString format;
        QByteArray bytes;
    };
    QList<ClipChoice> m_clip;
    bool m_syntaxPicked = false;

    QRadioButton *m_typeKey = nullptr;
    QRadioButton *m_deriveKey = nullptr;
    QLineEdit *m_keyHex = nullptr;
    QLabel *m_derivedKey = nullptr;
    QTabWidget *m_tabs = nullptr;
    QLineEdit *m_filePath = nullptr;
    QLabel *m_fileInfo = nullptr;
    QTimer *m_fileTimer = nullptr;
    SyntaxComboBox *m_syntax = nullptr;
    QPlainTextEdit *m_text = nullptr;
    KSyntaxHighlighting::SyntaxHighlighter *m_highlighter = nullptr;
    QComboBox *m_clipFormats = nullptr;
    QLabel *m_clipInfo = nullptr;
    QLabel *m_clipPreview = nullptr;
    QLabel *m_space = nullptr;
    QLabel *m_problemLabel = nullptr;
    QPushButton *m_ok = nullptr;
};

} // namespace shardscope
