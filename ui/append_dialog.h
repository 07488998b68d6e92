// Append (edit mode): one new entry, its key typed as hex or derived from
// the data, its data from a file, typed text or the clipboard. The dialog
// checks everything it can know (key syntax, the zero key, keys already in
// the shard or staged, free room in pack and table) and keeps OK disabled
// with the reason shown until the entry can be staged; the application
// stages it and writes nothing to the shard from here.
#pragma once

#include "data_source_widget.h"
#include "key.h"

#include <QByteArray>
#include <QDialog>

#include <functional>

class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;

namespace KSyntaxHighlighting {
class Repository;
} // namespace KSyntaxHighlighting

namespace shardscope {

class AppendDialog : public QDialog
{
    Q_OBJECT

public:
    using DataSource = DataSourceWidget::Source;

    // True when the key is live in the shard or already staged for append.
    using KeyExists = std::function<bool(const Key &)>;

    // packFree: bytes the pack can still take; tableFree: slots the table
    // can still take (both after what is already staged). The repository is
    // the application's and must outlive the dialog.
    AppendDialog(KSyntaxHighlighting::Repository &repository, KeyExists keyExists, quint64 packFree, quint32 tableFree,
        QWidget *parent = nullptr);

    // The entry; only meaningful when problem() is empty.
    [[nodiscard]] Key key() const;
    [[nodiscard]] QByteArray data() const { return m_source->data(); }
    [[nodiscard]] bool hasData() const { return m_source->hasData(); }
    [[nodiscard]] DataSource dataSource() const { return m_source->source(); }
    [[nodiscard]] bool derivesKey() const;
    // Why OK is disabled; empty when the entry can be staged.
    [[nodiscard]] QString problem() const { return m_problem; }
    // The first 24 bytes of the SHA-256 of `data`.
    [[nodiscard]] static Key deriveKey(const QByteArray &data);

    void setKeyHex(const QString &hex);
    void setDeriveKey(bool derive);
    // The data's file, text (highlighted) or clipboard; its file size limit
    // is the pack's free room.
    [[nodiscard]] DataSourceWidget *dataSourceWidget() const { return m_source; }

    // For tests.
    [[nodiscard]] QPushButton *okButton() const { return m_ok; }
    [[nodiscard]] QLineEdit *keyEdit() const { return m_keyHex; }
    [[nodiscard]] QLabel *derivedKeyLabel() const { return m_derivedKey; }
    [[nodiscard]] QLabel *problemLabel() const { return m_problemLabel; }
    [[nodiscard]] QLabel *spaceLabel() const { return m_space; }

private:
    void validate();

    KeyExists m_keyExists;
    quint64 m_packFree;
    quint32 m_tableFree;

    QString m_problem;
    std::optional<Key> m_key;

    QRadioButton *m_typeKey = nullptr;
    QRadioButton *m_deriveKey = nullptr;
    QLineEdit *m_keyHex = nullptr;
    QLabel *m_derivedKey = nullptr;
    DataSourceWidget *m_source = nullptr;
    QLabel *m_space = nullptr;
    QLabel *m_problemLabel = nullptr;
    QPushButton *m_ok = nullptr;
};

} // namespace shardscope
