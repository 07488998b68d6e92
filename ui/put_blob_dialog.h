// Put Blob (store edit mode): one new blob, its content ID typed as hex or
// derived from the data (its SHA-256, as the reference names blobs), its data
// from a file, typed text or the clipboard. The dialog checks what it can
// know (hex syntax, the zero ID, and through the function handed in whether
// the store already holds the ID or one is staged) and keeps OK disabled
// with the reason shown until the blob can be staged. Which shard takes the
// blob is decided when the changes are written; the optional placement
// function only says where it would go now.
#pragma once

#include "store.h"

#include <QByteArray>
#include <QDialog>
#include <QHash>

#include <functional>
#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
class QTabWidget;
class QTimer;

namespace shardscope {

class PutBlobDialog : public QDialog
{
    Q_OBJECT

public:
    enum class DataSource { File, Text, Clipboard };
    Q_ENUM(DataSource)

    // Why a blob with this ID cannot be staged ("already in the store",
    // "already staged"); empty when it can. May look the ID up in the store,
    // so the dialog asks once per ID.
    using CidProblem = std::function<QString(const ContentId &)>;
    // Where the blob would land ("root shard, key 3fa2…"); empty when unknown.
    using Placement = std::function<QString(const ContentId &)>;

    explicit PutBlobDialog(CidProblem cidProblem, QWidget *parent = nullptr);

    void setPlacement(Placement placement);
    // Data larger than this is refused (and a larger file is not read): a
    // blob has to fit in one shard's pack. 0 means no limit is known.
    void setMaxBlobSize(quint64 bytes);

    // The blob; only meaningful when problem() is empty.
    [[nodiscard]] ContentId cid() const;
    [[nodiscard]] QByteArray data() const { return m_data; }
    [[nodiscard]] bool hasData() const { return m_hasData; }
    [[nodiscard]] DataSource dataSource() const;
    [[nodiscard]] bool derivesCid() const;
    // Why OK is disabled; empty when the blob can be staged.
    [[nodiscard]] QString problem() const { return m_problem; }
    // The data's SHA-256.
    [[nodiscard]] static ContentId deriveCid(const QByteArray &data);
    // 64 hex digits, either case, whitespace ignored, not all zero; on
    // failure nullopt and `problem` (when given) says what is wrong.
    [[nodiscard]] static std::optional<ContentId> parseCid(const QString &text, QString *problem = nullptr);

    void setCidHex(const QString &hex);
    void setDeriveCid(bool derive);
    void setDataSource(DataSource source);
    // Reads the file now (the path field reads it shortly after typing stops).
    void setFilePath(const QString &path);
    void setText(const QString &text);
    // Takes what the clipboard holds now.
    void readClipboard();
    // Picks which of the clipboard's formats is the data ("text", "image" or
    // a MIME type); false when the clipboard holds no such one.
    bool setClipboardFormat(const QString &format);

    // For tests.
    [[nodiscard]] QPushButton *okButton() const { return m_ok; }
    [[nodiscard]] QRadioButton *typeCidButton() const { return m_typeCid; }
    [[nodiscard]] QRadioButton *deriveCidButton() const { return m_deriveCid; }
    [[nodiscard]] QLineEdit *cidEdit() const { return m_cidHex; }
    [[nodiscard]] QLabel *derivedCidLabel() const { return m_derivedCid; }
    [[nodiscard]] QLabel *placementLabel() const { return m_placement; }
    [[nodiscard]] QLabel *problemLabel() const { return m_problemLabel; }
    [[nodiscard]] QLabel *sizeLabel() const { return m_size; }
    [[nodiscard]] QLineEdit *filePathEdit() const { return m_filePath; }
    [[nodiscard]] QLabel *fileInfoLabel() const { return m_fileInfo; }
    [[nodiscard]] QComboBox *clipboardFormats() const { return m_clipFormats; }
    [[nodiscard]] QLabel *clipboardInfoLabel() const { return m_clipInfo; }
    [[nodiscard]] QPlainTextEdit *textEdit() const { return m_text; }
    [[nodiscard]] QTabWidget *sourceTabs() const { return m_tabs; }

private:
    QWidget *createFilePage();
    QWidget *createTextPage();
    QWidget *createClipboardPage();
    void browseFile();
    void loadFile();
    void showClipboardChoice();
    // Takes the data of the current source, then validate().
    void refreshData();
    void validate();
    // cidProblem, remembered per ID: the store does not change while the
    // dialog is open, and a lookup may open shards.
    [[nodiscard]] QString problemOf(const ContentId &cid);

    CidProblem m_cidProblem;
    Placement m_placementOf;
    quint64 m_maxSize = 0;
    QHash<QByteArray, QString> m_problemCache;

    QByteArray m_data;
    bool m_hasData = false;
    QString m_problem;
    std::optional<ContentId> m_cid;

    // The file as last read, or why it could not be.
    QByteArray m_fileData;
    bool m_fileRead = false;
    QString m_fileError;
    struct ClipChoice {
        QString format;
        QString label;
        QByteArray bytes;
    };
    QList<ClipChoice> m_clip;
    bool m_clipRead = false;

    QRadioButton *m_typeCid = nullptr;
    QRadioButton *m_deriveCid = nullptr;
    QLineEdit *m_cidHex = nullptr;
    QLabel *m_derivedCid = nullptr;
    QLabel *m_placementCaption = nullptr;
    QLabel *m_placement = nullptr;
    QTabWidget *m_tabs = nullptr;
    QLineEdit *m_filePath = nullptr;
    QLabel *m_fileInfo = nullptr;
    QTimer *m_fileTimer = nullptr;
    QPlainTextEdit *m_text = nullptr;
    QComboBox *m_clipFormats = nullptr;
    QLabel *m_clipInfo = nullptr;
    QLabel *m_clipPreview = nullptr;
    QLabel *m_size = nullptr;
    QLabel *m_problemLabel = nullptr;
    QPushButton *m_ok = nullptr;
};

} // namespace shardscope
