#include "compact_dialog.h"

#include "format.h"
#include "geometry_fields.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <limits>

namespace shardscope {

namespace {

QString tableName(quint32 gen)
{
    return QString::fromStdString(tableFileName(gen));
}

QString packName(quint32 gen)
{
    return QString::fromStdString(packFileName(gen));
}

QLabel *textLabel(QWidget *parent, const char *name)
{
    auto *label = new QLabel(parent);
    label->setObjectName(QString::fromLatin1(name));
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace

CompactDialog::CompactDialog(const CompactionPreview &preview, CompactionJob *job, QWidget *parent)
    : QDialog(parent), m_preview(preview), m_job(job)
{
    Q_ASSERT(job);
    setWindowTitle(tr("Compact Shard"));
    m_oldGeneration = preview.currentGeneration;
    m_newGeneration = preview.newGeneration;

    auto *layout = new QVBoxLayout(this);
    m_pages = new QStackedWidget(this);
    m_pages->addWidget(createPreviewPage(preview));
    m_pages->addWidget(createProgressPage());
    m_pages->addWidget(createResultPage());
    layout->addWidget(m_pages, 1);

    // A row of plain buttons rather than a QDialogButtonBox: each page shows
    // its own, and the box's accepted/rejected would close the dialog from
    // any page.
    auto *buttons = new QHBoxLayout;
    m_remove = new QPushButton(tr("&Delete Generation %1's Files").arg(preview.currentGeneration), this);
    m_remove->setObjectName(QStringLiteral("removeOld"));
    m_remove->setAutoDefault(false);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    m_compact = new QPushButton(tr("&Compact"), this);
    m_compact->setObjectName(QStringLiteral("compact"));
    buttons->addWidget(m_compact);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("cancel"));
    m_cancel->setAutoDefault(false);
    buttons->addWidget(m_cancel);
    // Stopping is never what Enter does.
    m_stop = new QPushButton(tr("&Stop"), this);
    m_stop->setObjectName(QStringLiteral("stop"));
    m_stop->setToolTip(tr("Cancel the compaction; the shard stays as it was"));
    m_stop->setAutoDefault(false);
    buttons->addWidget(m_stop);
    m_close = new QPushButton(tr("Close"), this);
    m_close->setObjectName(QStringLiteral("close"));
    buttons->addWidget(m_close);
    layout->addLayout(buttons);
    connect(m_compact, &QPushButton::clicked, this, &CompactDialog::start);
    connect(m_cancel, &QPushButton::clicked, this, &CompactDialog::reject);
    connect(m_stop, &QPushButton::clicked, this, &CompactDialog::stop);
    connect(m_close, &QPushButton::clicked, this, &CompactDialog::reject);
    connect(m_remove, &QPushButton::clicked, this, &CompactDialog::removeOld);

    connect(job, &CompactionJob::progressed, this, &CompactDialog::progressed);
    connect(job, &CompactionJob::finished, this, &CompactDialog::finished);

    showPage(Page::Preview);
    validate();
    resize(sizeHint().expandedTo(QSize(660, 0)));
}

QWidget *CompactDialog::createPreviewPage(const CompactionPreview &p)
{
    const QLocale locale;
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);

    auto *intro = textLabel(page, "intro");
    intro->setText(tr("Compaction copies the live entries, sorted by key, into a new generation and then makes it "
                      "current. Nothing in the shard changes until the new files are complete and synced, so "
                      "cancelling or a crash before then leaves the shard as it is."));
    layout->addWidget(intro);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto addRow = [&](const QString &label, const QString &value) {
        auto *field = textLabel(page, "previewValue");
        field->setText(value);
        form->addRow(label, field);
    };
    addRow(tr("Generation:"), tr("%1 → %2").arg(p.currentGeneration).arg(p.newGeneration));
    addRow(tr("Live entries kept:"),
        tr("%1, %2").arg(locale.toString(p.liveEntries), GeometryFields::bytesText(p.liveBytes)));
    addRow(tr("Tombstones dropped:"), locale.toString(p.tombstones));
    if (p.uncommittedSlots > 0)
        addRow(tr("Uncommitted slots dropped:"), locale.toString(p.uncommittedSlots));
    addRow(tr("Pack bytes reclaimed:"), GeometryFields::bytesText(p.reclaimedBytes));
    layout->addLayout(form);

    m_resize = new QCheckBox(tr("&Resize the table and pack of the new generation"), page);
    m_resize->setObjectName(QStringLiteral("resize"));
    layout->addWidget(m_resize);
    auto *sizes = new QWidget(page);
    auto *sizesForm = new QFormLayout(sizes);
    sizesForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    sizesForm->setContentsMargins(24, 0, 0, 0);
    m_fields = new GeometryFields(sizesForm, this);
    m_fields->setSizes(p.tableSlots, p.packSize);
    m_fields->setEnabled(false);
    layout->addWidget(sizes);

    auto *filesForm = new QFormLayout;
    m_filesText = textLabel(page, "files");
    filesForm->addRow(tr("New files:"), m_filesText);
    layout->addLayout(filesForm);

    m_problemLabel = textLabel(page, "problem");
    layout->addWidget(m_problemLabel);
    layout->addStretch(1);

    connect(m_resize, &QCheckBox::toggled, this, [this](bool on) {
        m_fields->setEnabled(on);
        if (!on)
            m_fields->setSizes(m_preview.tableSlots, m_preview.packSize);
        validate();
    });
    connect(m_fields, &GeometryFields::edited, this, &CompactDialog::validate);
    return page;
}

QWidget *CompactDialog::createProgressPage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addStretch(1);
    m_progressText = textLabel(page, "progressText");
    layout->addWidget(m_progressText);
    m_progress = new QProgressBar(page);
    m_progress->setObjectName(QStringLiteral("progress"));
    layout->addWidget(m_progress);
    layout->addStretch(1);
    return page;
}

QWidget *CompactDialog::createResultPage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    m_resultTitle = new QLabel(page);
    m_resultTitle->setObjectName(QStringLiteral("resultTitle"));
    QFont bold = m_resultTitle->font();
    bold.setBold(true);
    m_resultTitle->setFont(bold);
    layout->addWidget(m_resultTitle);
    m_resultText = textLabel(page, "resultText");
    layout->addWidget(m_resultText);
    m_removeStatus = textLabel(page, "removeStatus");
    layout->addWidget(m_removeStatus);
    layout->addStretch(1);
    return page;
}

CompactDialog::Page CompactDialog::page() const
{
    return Page(m_pages->currentIndex());
}

quint32 CompactDialog::tableSlots() const
{
    return m_resize->isChecked() ? m_fields->tableSlots().value_or(0) : m_preview.tableSlots;
}

quint64 CompactDialog::packSize() const
{
    return m_resize->isChecked() ? m_fields->packSize().value_or(0) : m_preview.packSize;
}

void CompactDialog::setResize(bool on)
{
    m_resize->setChecked(on);
}

void CompactDialog::showPage(Page page)
{
    m_pages->setCurrentIndex(int(page));
    m_compact->setVisible(page == Page::Preview);
    m_cancel->setVisible(page == Page::Preview);
    m_stop->setVisible(page == Page::Progress);
    m_remove->setVisible(page == Page::Result && m_outcome == Outcome::Ok);
    m_close->setVisible(page == Page::Result);
    // Enter goes on: compacts from the preview, closes the result.
    m_compact->setDefault(page == Page::Preview);
    m_close->setDefault(page == Page::Result);
    if (page == Page::Result)
        m_close->setFocus();
}

void CompactDialog::validate()
{
    const QLocale locale;
    QString problem;
    if (m_resize->isChecked())
        problem = m_fields->problem();
    const quint32 table = tableSlots();
    const quint64 pack = packSize();
    if (problem.isEmpty() && table < m_preview.liveEntries)
        problem = tr("The new table must hold the %1 live entries: at least %1 slots.")
                      .arg(locale.toString(m_preview.liveEntries));
    if (problem.isEmpty() && pack < m_preview.liveBytes)
        problem = tr("The new pack must hold the live entries' data: at least %1.")
                      .arg(GeometryFields::bytesText(m_preview.liveBytes));

    if (problem.isEmpty() || (table > 0 && pack > 0)) {
        const quint64 tableBytes = quint64(table) * kTableEntrySize;
        QStringList files;
        files << tr("%1: %2, %3 slots, %4 free after compaction")
                     .arg(tableName(m_preview.newGeneration), GeometryFields::bytesText(tableBytes),
                         locale.toString(table),
                         locale.toString(
                             table >= m_preview.liveEntries ? qint64(table) - qint64(m_preview.liveEntries) : 0));
        files << tr("%1: %2, %3 free after compaction")
                     .arg(packName(m_preview.newGeneration), GeometryFields::bytesText(pack),
                         GeometryFields::bytesText(pack >= m_preview.liveBytes ? pack - m_preview.liveBytes : 0));
        m_filesText->setText(files.join(QLatin1Char('\n')));
    } else {
        m_filesText->setText(
            tr("%1, %2: —").arg(tableName(m_preview.newGeneration), packName(m_preview.newGeneration)));
    }

    m_problem = problem;
    m_problemLabel->setText(problem);
    m_problemLabel->setVisible(!problem.isEmpty());
    m_compact->setEnabled(problem.isEmpty());
}

void CompactDialog::start()
{
    if (m_running || page() != Page::Preview || !m_problem.isEmpty())
        return;
    m_running = true;
    m_stopRequested = false;
    m_progressText->setText(tr("Copying the live entries into generation %1…").arg(m_preview.newGeneration));
    // Busy until the job says how much there is.
    m_progress->setRange(0, 0);
    m_stop->setEnabled(true);
    showPage(Page::Progress);
    m_stop->setFocus();
    // The job may finish before start() returns; finished() handles that.
    m_job->start(tableSlots(), packSize());
}

void CompactDialog::stop()
{
    // Once is enough; the job says when it has stopped.
    if (!m_running || m_stopRequested)
        return;
    m_stopRequested = true;
    m_stop->setEnabled(false);
    m_progressText->setText(tr("Cancelling: the new generation's files are removed and the shard stays as it was…"));
    m_job->cancel();
}

void CompactDialog::progressed(quint64 done, quint64 total)
{
    if (!m_running)
        return;
    if (total == 0) {
        m_progress->setRange(0, 0);
        return;
    }
    // A QProgressBar counts in int; scale large totals down to fit.
    int shift = 0;
    while ((total >> shift) > quint64(std::numeric_limits<int>::max()))
        ++shift;
    m_progress->setRange(0, int(total >> shift));
    m_progress->setValue(int(std::min(done, total) >> shift));
}

void CompactDialog::finished(
    bool ok, bool cancelled, const QString &message, quint32 oldGeneration, quint32 newGeneration)
{
    if (!m_running)
        return;
    m_running = false;
    m_oldGeneration = oldGeneration;
    m_newGeneration = newGeneration;
    if (m_question) {
        m_question->deleteLater();
        m_question = nullptr;
    }
    QStringList text;
    if (ok) {
        m_outcome = Outcome::Ok;
        m_resultTitle->setText(tr("Compaction finished"));
        text << tr("Generation %1 is now current; generation %2 is no longer used.")
                    .arg(newGeneration)
                    .arg(oldGeneration);
        if (!message.isEmpty())
            text << message;
        text << tr("Generation %1's files (%2 and %3) are still in the directory. Delete them to free their disk "
                   "space; a program that has them open keeps reading them until it closes them.")
                    .arg(oldGeneration)
                    .arg(tableName(oldGeneration), packName(oldGeneration));
        m_remove->setText(tr("&Delete Generation %1's Files").arg(oldGeneration));
        m_remove->setEnabled(true);
    } else if (cancelled) {
        m_outcome = Outcome::Cancelled;
        m_resultTitle->setText(tr("Compaction cancelled"));
        text << tr("Nothing changed: generation %1 is still current, and no file of generation %2 was kept.")
                    .arg(oldGeneration)
                    .arg(newGeneration);
        if (!message.isEmpty())
            text << message;
    } else {
        m_outcome = Outcome::Failed;
        m_resultTitle->setText(tr("Compaction failed"));
        text << (message.isEmpty() ? tr("The compaction failed for a reason it did not give.") : message);
        text << tr("Generation %1 is still current; the shard was left as it was.").arg(oldGeneration);
    }
    m_resultText->setText(text.join(QStringLiteral("\n\n")));
    m_removeStatus->clear();
    if (m_closeWhenDone && m_outcome == Outcome::Cancelled) {
        done(QDialog::Rejected);
        return;
    }
    m_progress->setRange(0, 1);
    m_progress->setValue(1);
    showPage(Page::Result);
}

void CompactDialog::removeOld()
{
    if (m_outcome != Outcome::Ok || m_removed)
        return;
    QString error;
    if (m_job->removeOldGeneration(m_oldGeneration, &error)) {
        m_removed = true;
        m_remove->setEnabled(false);
        m_removeStatus->setText(tr("Deleted %1 and %2.").arg(tableName(m_oldGeneration), packName(m_oldGeneration)));
        Q_EMIT generationRemoved(m_oldGeneration);
    } else {
        m_removeStatus->setText(tr("Could not delete generation %1's files: %2").arg(m_oldGeneration).arg(error));
    }
}

void CompactDialog::reject()
{
    if (!m_running) {
        if (m_outcome == Outcome::Ok)
            done(QDialog::Accepted);
        else
            QDialog::reject();
        return;
    }
    if (m_question)
        return;
    // Closing while the job runs: the compaction has to stop first, and the
    // user may rather let it finish.
    m_question = new QMessageBox(QMessageBox::Question, tr("Stop the Compaction?"),
        tr("The compaction is still running. Stop it? The shard stays as it was."), QMessageBox::NoButton, this);
    m_question->setObjectName(QStringLiteral("stopQuestion"));
    QPushButton *stopIt = m_question->addButton(tr("&Stop and Close"), QMessageBox::AcceptRole);
    m_question->addButton(tr("&Keep Running"), QMessageBox::RejectRole);
    m_question->setDefaultButton(stopIt);
    connect(m_question, &QMessageBox::finished, this, [this, stopIt] {
        QMessageBox *box = m_question;
        if (!box)
            return;
        m_question = nullptr;
        box->deleteLater();
        if (box->clickedButton() == stopIt && m_running) {
            m_closeWhenDone = true;
            stop();
        }
    });
    m_question->open();
}

void CompactDialog::keyPressEvent(QKeyEvent *event)
{
    // Esc while the job runs is the Stop button; the window's close button
    // asks first (reject()).
    if (event->key() == Qt::Key_Escape && event->modifiers() == Qt::NoModifier && m_running) {
        stop();
        event->accept();
        return;
    }
    QDialog::keyPressEvent(event);
}

} // namespace shardscope
