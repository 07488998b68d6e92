// Remove Blobs (store edit mode): content IDs typed or pasted one per line,
// each checked as it is typed (64 hex digits, not zero, not repeated, and
// through the function handed in whether the store holds it). OK stays
// disabled with the first problem shown, naming its line, and the bad lines
// are marked. The application stages the removals; the dialog says that the
// blobs' bytes stay in their packs until compaction.
#pragma once

#include "store.h"

#include <QDialog>
#include <QHash>
#include <QList>

#include <functional>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace shardscope {

class RemoveBlobDialog : public QDialog
{
    Q_OBJECT

public:
    // Why this blob cannot be staged for removal ("not in the store",
    // "already marked for removal"); empty when it can.
    using CidProblem = std::function<QString(const ContentId &)>;

    explicit RemoveBlobDialog(CidProblem cidProblem, QWidget *parent = nullptr);

    // Fills the list, for example with the blob selected in the browser.
    void setCids(const QList<ContentId> &cids);
    void setText(const QString &text);

    // The IDs in the order given, blank lines skipped; only meaningful when
    // problem() is empty.
    [[nodiscard]] QList<ContentId> cids() const { return m_cids; }
    // Why OK is disabled; empty when every line names a blob that can go.
    [[nodiscard]] QString problem() const { return m_problem; }
    // 1-based numbers of the lines that hold a problem.
    [[nodiscard]] QList<int> badLines() const { return m_badLines; }

    // For tests.
    [[nodiscard]] QPlainTextEdit *editor() const { return m_edit; }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }
    [[nodiscard]] QLabel *problemLabel() const { return m_problemLabel; }
    [[nodiscard]] QLabel *noteLabel() const { return m_note; }
    [[nodiscard]] QPushButton *removeButton() const { return m_remove; }

private:
    void validate();
    [[nodiscard]] QString problemOf(const ContentId &cid);
    void markBadLines();

    CidProblem m_cidProblem;
    // The store does not change while the dialog is open, and a lookup may
    // open shards: each ID is asked about once.
    QHash<QByteArray, QString> m_problemCache;

    QList<ContentId> m_cids;
    QString m_problem;
    QList<int> m_badLines;

    QPlainTextEdit *m_edit = nullptr;
    QLabel *m_summary = nullptr;
    QLabel *m_problemLabel = nullptr;
    QLabel *m_note = nullptr;
    QPushButton *m_remove = nullptr;
};

} // namespace shardscope
