// Put Blob (store edit mode): one new blob, its content ID typed as hex or
// derived from the data (its SHA-256, as the reference names blobs), its data
// from a file, typed text or the clipboard. The dialog checks what it can
// know (hex syntax, the zero ID, and through the function handed in whether
// the store already holds the ID or one is staged) and keeps OK disabled
// with the reason shown until the blob can be staged. Which shard takes the
// blob is decided when the changes are written; the optional placement
// function says where it would go if they were written now.
#pragma once

#include "data_source_widget.h"
#include "store.h"

#include <QByteArray>
#include <QDialog>
#include <QHash>

#include <functional>
#include <optional>

class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;

namespace shardscope {

class PutBlobDialog : public QDialog
{
    Q_OBJECT

public:
    using DataSource = DataSourceWidget::Source;

    // Why a blob with this ID cannot be staged ("already in the store",
    // "already staged"); empty when it can. May look the ID up in the store,
    // so the dialog asks once per ID.
    using CidProblem = std::function<QString(const ContentId &)>;
    // Where a blob of this ID and size (0 before there is data) would land
    // ("shard 1c"); empty when unknown.
    using Placement = std::function<QString(const ContentId &, quint64 size)>;

    explicit PutBlobDialog(CidProblem cidProblem, QWidget *parent = nullptr);

    void setPlacement(Placement placement);
    // Data larger than this is refused (and a larger file is not read): a
    // blob has to fit in one shard's pack. 0 means no limit is known.
    void setMaxBlobSize(quint64 bytes);

    // The blob; only meaningful when problem() is empty.
    [[nodiscard]] ContentId cid() const;
    [[nodiscard]] QByteArray data() const { return m_source->data(); }
    [[nodiscard]] bool hasData() const { return m_source->hasData(); }
    [[nodiscard]] DataSource dataSource() const { return m_source->source(); }
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
    // The data's file, text or clipboard.
    [[nodiscard]] DataSourceWidget *dataSourceWidget() const { return m_source; }

    // For tests.
    [[nodiscard]] QPushButton *okButton() const { return m_ok; }
    [[nodiscard]] QRadioButton *typeCidButton() const { return m_typeCid; }
    [[nodiscard]] QRadioButton *deriveCidButton() const { return m_deriveCid; }
    [[nodiscard]] QLineEdit *cidEdit() const { return m_cidHex; }
    [[nodiscard]] QLabel *derivedCidLabel() const { return m_derivedCid; }
    [[nodiscard]] QLabel *placementLabel() const { return m_placement; }
    [[nodiscard]] QLabel *problemLabel() const { return m_problemLabel; }
    [[nodiscard]] QLabel *sizeLabel() const { return m_size; }

private:
    void validate();
    // cidProblem, remembered per ID: the store does not change while the
    // dialog is open, and a lookup may open shards.
    [[nodiscard]] QString problemOf(const ContentId &cid);

    CidProblem m_cidProblem;
    Placement m_placementOf;
    quint64 m_maxSize = 0;
    QHash<QByteArray, QString> m_problemCache;

    QString m_problem;
    std::optional<ContentId> m_cid;

    QRadioButton *m_typeCid = nullptr;
    QRadioButton *m_deriveCid = nullptr;
    QLineEdit *m_cidHex = nullptr;
    QLabel *m_derivedCid = nullptr;
    QLabel *m_placementCaption = nullptr;
    QLabel *m_placement = nullptr;
    DataSourceWidget *m_source = nullptr;
    QLabel *m_size = nullptr;
    QLabel *m_problemLabel = nullptr;
    QPushButton *m_ok = nullptr;
};

} // namespace shardscope
