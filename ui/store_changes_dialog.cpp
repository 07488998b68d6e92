#include "store_changes_dialog.h"

#include "edit_session.h"
#include "geometry_fields.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHash>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSet>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace shardscope {

namespace {

QByteArray cidBytes(const ContentId &cid)
{
    return QByteArray(reinterpret_cast<const char *>(cid.data()), qsizetype(cid.size()));
}

ContentId cidFromBytes(const QByteArray &bytes)
{
    ContentId cid {};
    if (bytes.size() == qsizetype(cid.size()))
        std::copy_n(reinterpret_cast<const uint8_t *>(bytes.constData()), cid.size(), cid.begin());
    return cid;
}

QString shortHex(const ContentId &cid)
{
    return QString::fromStdString(toHex(cid)).left(16) + QStringLiteral("…");
}

} // namespace

StoreChangesWidget::StoreChangesWidget(StoreEditSession *session, QWidget *parent) : QWidget(parent), m_session(session)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);

    m_list = new QTreeWidget(this);
    m_list->setObjectName(QStringLiteral("changes"));
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setHeaderLabels({tr("Change"), tr("Content ID"), tr("Size"), tr("Shard")});
    m_list->headerItem()->setToolTip(
        ShardColumn, tr("Where Write Changes puts the blob, or takes it from: planned as the write plans it"));
    m_list->header()->setStretchLastSection(false);
    m_list->header()->setSectionResizeMode(CidColumn, QHeaderView::Stretch);
    layout->addWidget(m_list, 1);

    auto *unstageAction = new QAction(tr("Unstage"), m_list);
    unstageAction->setShortcut(QKeySequence::Delete);
    unstageAction->setShortcutContext(Qt::WidgetShortcut);
    m_list->addAction(unstageAction);
    connect(unstageAction, &QAction::triggered, this, &StoreChangesWidget::unstageSelected);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("message"));
    m_message->setTextFormat(Qt::PlainText);
    m_message->setWordWrap(true);
    m_message->hide();
    layout->addWidget(m_message);

    m_refusal = new QLabel(this);
    m_refusal->setObjectName(QStringLiteral("refusal"));
    m_refusal->setTextFormat(Qt::PlainText);
    m_refusal->setWordWrap(true);
    m_refusal->setStyleSheet(QStringLiteral("color: #c0392b"));
    m_refusal->hide();
    layout->addWidget(m_refusal);

    auto *row = new QHBoxLayout;
    row->addStretch(1);
    m_unstage = new QPushButton(tr("&Unstage Selected"), this);
    m_unstage->setObjectName(QStringLiteral("unstage"));
    m_unstage->setToolTip(tr("Drop the selected changes before they are written (Del)"));
    m_unstage->setAutoDefault(false);
    row->addWidget(m_unstage);
    layout->addLayout(row);

    connect(m_unstage, &QPushButton::clicked, this, &StoreChangesWidget::unstageSelected);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this, &StoreChangesWidget::selectionChanged);
    if (session) {
        connect(session, &StoreEditSession::changesChanged, this, &StoreChangesWidget::rebuild);
        // The QPointer is already null when this arrives, so the rows go with the session.
        connect(session, &QObject::destroyed, this, &StoreChangesWidget::rebuild);
    }
    rebuild();
}

void StoreChangesWidget::rebuild()
{
    // The selection outlives the rebuild: rows are known by kind and ID.
    QSet<QPair<bool, QByteArray>> selected;
    for (const QTreeWidgetItem *item : m_list->selectedItems())
        selected.insert({item->data(KindColumn, IsPutRole).toBool(), item->data(KindColumn, CidRole).toByteArray()});

    const QLocale locale;
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    QList<QTreeWidgetItem *> items;
    quint64 putBytes = 0;
    qsizetype puts = 0;
    qsizetype removes = 0;
    // Where each change lands, by kind (put or not) and content ID.
    QHash<QPair<bool, QByteArray>, StorePlacement> placements;
    QString refusal;
    if (m_session && m_session->hasChanges()) {
        auto placed = m_session->placements();
        if (placed) {
            for (const StorePlacement &p : *placed)
                placements.insert({p.kind != StorePlacement::Kind::Delete, cidBytes(p.cid)}, p);
        } else {
            refusal = QString::fromStdString(placed.error().describe());
        }
    }
    auto showShard = [&](QTreeWidgetItem *item, bool isPut, const QByteArray &key) {
        const auto at = placements.constFind({isPut, key});
        if (at == placements.cend())
            return;
        const QString shard = at->relPath.empty() ? tr("root") : QString::fromStdString(at->relPath);
        switch (at->kind) {
        case StorePlacement::Kind::Put:
        case StorePlacement::Kind::Delete:
            item->setText(ShardColumn, shard);
            break;
        case StorePlacement::Kind::PutIntoNewShard:
            item->setText(ShardColumn, tr("%1 (new)").arg(shard));
            item->setToolTip(ShardColumn, tr("A shard the write makes: a new child directory, or one without MF"));
            break;
        case StorePlacement::Kind::AlreadyStored:
            item->setText(ShardColumn, tr("%1: already stored").arg(shard));
            item->setToolTip(ShardColumn, tr("The store holds this blob already: nothing is written for it"));
            break;
        }
    };
    if (m_session) {
        const auto &pendingPuts = m_session->pendingPuts();
        const auto &pendingRemoves = m_session->pendingRemoves();
        puts = pendingPuts.size();
        removes = pendingRemoves.size();
        QSet<QByteArray> putCids;
        for (const auto &put : pendingPuts) {
            auto *item = new QTreeWidgetItem;
            const QByteArray key = cidBytes(put.cid);
            putCids.insert(key);
            const bool replaces = m_session->isMarkedForRemoval(put.cid);
            item->setText(KindColumn, replaces ? tr("Replace") : tr("Put"));
            item->setData(KindColumn, IsPutRole, true);
            item->setData(KindColumn, CidRole, key);
            item->setText(CidColumn, QString::fromStdString(toHex(put.cid)));
            item->setFont(CidColumn, fixed);
            item->setText(SizeColumn, locale.toString(put.data.size()));
            item->setTextAlignment(SizeColumn, Qt::AlignRight | Qt::AlignVCenter);
            item->setToolTip(SizeColumn, GeometryFields::bytesText(quint64(put.data.size())));
            if (replaces)
                item->setToolTip(KindColumn, tr("The stored blob with this ID is removed and this one put instead."));
            showShard(item, true, key);
            putBytes += quint64(put.data.size());
            items.append(item);
        }
        for (const ContentId &cid : pendingRemoves) {
            auto *item = new QTreeWidgetItem;
            const QByteArray key = cidBytes(cid);
            item->setText(KindColumn, tr("Remove"));
            item->setData(KindColumn, IsPutRole, false);
            item->setData(KindColumn, CidRole, key);
            item->setText(CidColumn, QString::fromStdString(toHex(cid)));
            item->setFont(CidColumn, fixed);
            showShard(item, false, key);
            if (putCids.contains(key))
                item->setToolTip(KindColumn,
                    tr("A staged put of the same ID replaces this blob; unstage the put "
                       "first to keep the stored one."));
            items.append(item);
        }
    }

    {
        const QSignalBlocker block(m_list);
        m_list->clear();
        m_list->addTopLevelItems(items);
        for (QTreeWidgetItem *item : std::as_const(items)) {
            if (selected.contains(
                    {item->data(KindColumn, IsPutRole).toBool(), item->data(KindColumn, CidRole).toByteArray()}))
                item->setSelected(true);
        }
    }
    m_list->resizeColumnToContents(KindColumn);
    m_list->resizeColumnToContents(SizeColumn);
    m_list->resizeColumnToContents(ShardColumn);
    m_refusal->setText(refusal.isEmpty() ? QString() : tr("Write Changes would refuse these changes: %1").arg(refusal));
    m_refusal->setVisible(!refusal.isEmpty());

    if (!m_session)
        m_summary->setText(tr("No store is open for editing."));
    else if (puts == 0 && removes == 0)
        m_summary->setText(tr("Nothing is staged."));
    else {
        const QString putText = puts == 1
            ? tr("1 put (%1)").arg(EditSession::sizeText(putBytes))
            : tr("%1 puts (%2)").arg(locale.toString(puts), EditSession::sizeText(putBytes));
        const QString removeText = removes == 1 ? tr("1 removal") : tr("%1 removals").arg(locale.toString(removes));
        m_summary->setText(tr("Staged, not yet written: %1, %2.").arg(putText, removeText));
    }
    selectionChanged();
}

void StoreChangesWidget::selectionChanged()
{
    m_unstage->setEnabled(m_session && !m_list->selectedItems().isEmpty());
}

int StoreChangesWidget::unstageSelected()
{
    if (!m_session)
        return 0;
    QList<ContentId> putCids;
    QList<ContentId> removeCids;
    for (const QTreeWidgetItem *item : m_list->selectedItems()) {
        const ContentId cid = cidFromBytes(item->data(KindColumn, CidRole).toByteArray());
        (item->data(KindColumn, IsPutRole).toBool() ? putCids : removeCids).append(cid);
    }
    m_message->hide();
    int dropped = 0;
    // Puts first: dropping a replacing put is what lets its removal be dropped too.
    for (const ContentId &cid : std::as_const(putCids)) {
        const auto &pending = m_session->pendingPuts();
        const auto at = std::find_if(
            pending.cbegin(), pending.cend(), [&cid](const StoreEditSession::PendingPut &p) { return p.cid == cid; });
        if (at != pending.cend() && m_session->unstagePut(int(at - pending.cbegin())))
            ++dropped;
    }
    QStringList kept;
    for (const ContentId &cid : std::as_const(removeCids)) {
        if (m_session->unstageRemove(cid))
            ++dropped;
        else if (m_session->isMarkedForRemoval(cid))
            kept.append(shortHex(cid));
    }
    if (!kept.isEmpty()) {
        m_message->setText(tr("%1 stays marked for removal: a staged put of the same ID replaces it. Unstage "
                              "the put as well to keep the stored blob.")
                               .arg(kept.join(QStringLiteral(", "))));
        m_message->show();
    }
    return dropped;
}

StoreChangesDialog::StoreChangesDialog(StoreEditSession *session, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Staged Store Changes"));
    auto *layout = new QVBoxLayout(this);
    m_changes = new StoreChangesWidget(session, this);
    layout->addWidget(m_changes, 1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    const int cidWidth = QFontMetrics(fixed).horizontalAdvance(QString(66, QLatin1Char('0')));
    resize(std::max(sizeHint().width(), cidWidth + 220), 400);
}

} // namespace shardscope
