// Delete (edit mode): confirms marking one or many entries for deletion,
// listing each slot's key and size. The application stages the deletes; the
// dialog only says what will happen, including that the pack bytes stay
// until compaction.
#pragma once

#include "key.h"

#include <QDialog>
#include <QList>

class QLabel;
class QPushButton;
class QTreeWidget;

namespace shardscope {

struct DeleteEntry {
    quint32 slot = 0;
    Key key;
    quint64 size = 0;
};

class DeleteDialog : public QDialog
{
    Q_OBJECT

public:
    explicit DeleteDialog(const QList<DeleteEntry> &entries, QWidget *parent = nullptr);

    [[nodiscard]] const QList<DeleteEntry> &entries() const { return m_entries; }
    // Pack bytes the entries reference; they stay in the pack until compaction.
    [[nodiscard]] quint64 totalBytes() const;

    // For tests.
    [[nodiscard]] QTreeWidget *list() const { return m_list; }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }
    [[nodiscard]] QLabel *noteLabel() const { return m_note; }
    [[nodiscard]] QPushButton *deleteButton() const { return m_delete; }

private:
    QList<DeleteEntry> m_entries;
    QTreeWidget *m_list = nullptr;
    QLabel *m_summary = nullptr;
    QLabel *m_note = nullptr;
    QPushButton *m_delete = nullptr;
};

} // namespace shardscope
