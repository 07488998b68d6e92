// The staged changes of a store (StoreEditSession): each pending put with
// its content ID and size, each pending removal with its content ID, and a
// way to unstage the selected ones. The list follows the session as it
// changes (staging, undo, redo, revert). A widget, so that a window can dock
// it, and a small dialog around it.
#pragma once

#include "edit_session.h"

#include <QDialog>
#include <QPointer>
#include <QWidget>

class QLabel;
class QPushButton;
class QTreeWidget;

namespace shardscope {

class StoreChangesWidget : public QWidget
{
    Q_OBJECT

public:
    // ShardColumn: where Write Changes would put the blob or take it from.
    enum Column { KindColumn, CidColumn, SizeColumn, ShardColumn };
    // Item data roles of the list's rows.
    enum Role { IsPutRole = Qt::UserRole, CidRole };

    // The session is not owned; the list empties when it is destroyed.
    explicit StoreChangesWidget(StoreEditSession *session, QWidget *parent = nullptr);

    [[nodiscard]] StoreEditSession *session() const { return m_session; }
    // Drops the selected puts and removals from the session (one undo step
    // each). A removal that a staged put of the same blob replaces stays,
    // and the message label says why. Returns how many were dropped.
    int unstageSelected();

    // For tests.
    [[nodiscard]] QTreeWidget *list() const { return m_list; }
    [[nodiscard]] QPushButton *unstageButton() const { return m_unstage; }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }
    [[nodiscard]] QLabel *messageLabel() const { return m_message; }
    // Why Write Changes would refuse the staged changes; hidden when it would not.
    [[nodiscard]] QLabel *refusalLabel() const { return m_refusal; }

private:
    void rebuild();
    void selectionChanged();

    QPointer<StoreEditSession> m_session;
    QTreeWidget *m_list = nullptr;
    QLabel *m_summary = nullptr;
    QLabel *m_message = nullptr;
    QLabel *m_refusal = nullptr;
    QPushButton *m_unstage = nullptr;
};

class StoreChangesDialog : public QDialog
{
    Q_OBJECT

public:
    explicit StoreChangesDialog(StoreEditSession *session, QWidget *parent = nullptr);

    [[nodiscard]] StoreChangesWidget *changesWidget() const { return m_changes; }

private:
    StoreChangesWidget *m_changes = nullptr;
};

} // namespace shardscope
