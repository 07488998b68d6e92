// Where the bytes of something new (an entry to append, a blob to put) come
// from: a file, typed text or one of the clipboard's formats, one tab each.
// The file is read on a worker thread once typing in the path pauses, so a
// big or slow file never freezes the dialog, and a file over the size limit
// is refused from its size alone. The widget only gathers bytes; what they
// are for, and whether they fit there, is the dialog's business.
#pragma once

#include <QByteArray>
#include <QList>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTabWidget;
class QThread;
class QTimer;

namespace KSyntaxHighlighting {
class Repository;
class SyntaxHighlighter;
} // namespace KSyntaxHighlighting

namespace shardscope {

class SyntaxComboBox;

class DataSourceWidget : public QWidget
{
    Q_OBJECT

public:
    // In the order of the tabs.
    enum class Source { File, Text, Clipboard };
    Q_ENUM(Source)

    enum class FileState {
        None, // no path
        Waiting, // a path is being typed; read once typing pauses
        Reading,
        Read,
        Failed, // errorText() says why
    };
    Q_ENUM(FileState)

    // The sentences that name what the data is for ("the entry", "the
    // blob"), so each dialog keeps its own wording.
    struct Wording {
        QString filePlaceholder;
        QString browseCaption;
        QString textPlaceholder;
        // problem() while the current source has nothing to give.
        QString chooseFile;
        QString typeText;
        QString clipboardEmpty;
        // A file over the size limit: %1 its name, %2 its size, %3 the limit.
        QString fileTooLarge;
    };

    // With a repository the text is highlighted (detected from the text or
    // picked in a combo, as in the preview); it must outlive the widget.
    explicit DataSourceWidget(
        Wording wording, KSyntaxHighlighting::Repository *repository = nullptr, QWidget *parent = nullptr);
    ~DataSourceWidget() override;

    [[nodiscard]] Source source() const;
    void setSource(Source source);

    // The bytes of the current source; hasData() is false while it has none
    // to give (no text, no file read, an empty clipboard). An empty file is
    // data: zero bytes.
    [[nodiscard]] QByteArray data() const { return m_data; }
    [[nodiscard]] bool hasData() const { return m_hasData; }
    // Why hasData() is false (the file's error, "Reading …", or the
    // wording's prompt for the current source); empty when it is true.
    [[nodiscard]] QString problem() const;
    // Why the chosen file could not be taken, naming it; empty unless
    // fileState() is Failed.
    [[nodiscard]] QString errorText() const { return m_fileError; }
    // What the data is, for people: "file data.bin, 1,024 bytes (1 KiB)",
    // "typed text, 5 bytes", "clipboard, Image as PNG (40 × 30), 230 bytes";
    // empty without data.
    [[nodiscard]] QString description() const;

    // Files larger than this are refused without being read; nullopt: no
    // limit. A file already chosen is judged again.
    void setFileSizeLimit(std::optional<quint64> bytes);
    [[nodiscard]] std::optional<quint64> fileSizeLimit() const { return m_fileLimit; }
    // Starts reading at once (the path field waits for typing to pause);
    // dataChanged() follows when the read is done.
    void setFilePath(const QString &path);
    [[nodiscard]] QString filePath() const;
    [[nodiscard]] FileState fileState() const { return m_fileState; }

    void setText(const QString &text);
    // The highlighting of the text ("JSON"); empty for plain text. Without
    // a repository there is none.
    void setSyntax(const QString &definitionName);
    [[nodiscard]] QString syntaxName() const;

    // Takes what the clipboard holds now (the page also reads it when first
    // shown, and again while it was empty).
    void readClipboard();
    // Picks which of the clipboard's formats is the data ("text", "image" or
    // a MIME type); false when the clipboard held no such one.
    bool setClipboardFormat(const QString &format);

    // For tests.
    [[nodiscard]] QTabWidget *tabs() const { return m_tabs; }
    [[nodiscard]] QLineEdit *filePathEdit() const { return m_filePath; }
    [[nodiscard]] QLabel *fileInfoLabel() const { return m_fileInfo; }
    [[nodiscard]] QPlainTextEdit *textEdit() const { return m_text; }
    [[nodiscard]] SyntaxComboBox *syntaxCombo() const { return m_syntax; }
    [[nodiscard]] QComboBox *clipboardFormats() const { return m_clipFormats; }
    [[nodiscard]] QLabel *clipboardInfoLabel() const { return m_clipInfo; }

Q_SIGNALS:
    // data(), hasData() or problem() may have changed: the source was
    // switched, the text edited, a file read (or its read started), the
    // clipboard read or another of its formats picked.
    void dataChanged();

protected:
    void changeEvent(QEvent *event) override;

private:
    struct FileOutcome;
    struct ClipChoice {
        QString format;
        QString label;
        QByteArray bytes;
    };

    QWidget *createFilePage();
    QWidget *createTextPage();
    QWidget *createClipboardPage();
    // Runs on the reader thread; gives up (Dropped) once `latest` moves past
    // `generation`.
    [[nodiscard]] static FileOutcome readFile(
        const QString &path, std::optional<quint64> limit, const std::atomic<quint64> &latest, quint64 generation);
    void browseFile();
    void startFileRead();
    void takeFileOutcome(const FileOutcome &outcome);
    void showFileState();
    void textEdited();
    void showClipboardChoice();
    void applyTheme();
    // Takes the bytes of the current source and says so.
    void refresh();

    Wording m_wording;
    KSyntaxHighlighting::Repository *m_repository = nullptr;

    QByteArray m_data;
    bool m_hasData = false;

    std::optional<quint64> m_fileLimit;
    FileState m_fileState = FileState::None;
    QString m_fileName;
    QByteArray m_fileData;
    QString m_fileError;
    // Bumped by every new read; the worker drops a read that is no longer
    // the latest, and its outcome is ignored.
    std::atomic<quint64> m_fileGeneration = 0;
    // One worker thread, started with the first read, for the widget's life.
    std::unique_ptr<QThread> m_reader;
    QObject *m_readerContext = nullptr;

    QList<ClipChoice> m_clip;
    bool m_syntaxPicked = false;

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
};

} // namespace shardscope
