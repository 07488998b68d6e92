// Compact (edit mode): three pages in one dialog. The preview says what the
// compaction would do (entries kept, tombstones dropped, bytes reclaimed, the
// new generation and its files, optionally resized) before anything is
// written; the progress page runs the application's CompactionJob and can
// cancel it; the result page says what happened and can delete the replaced
// generation's files. Esc cancels and Enter goes on, on every page.
#pragma once

#include "compaction_job.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QMessageBox;
class QProgressBar;
class QPushButton;
class QStackedWidget;

namespace shardscope {

class GeometryFields;

class CompactDialog : public QDialog
{
    Q_OBJECT

public:
    enum class Page { Preview, Progress, Result };
    Q_ENUM(Page)
    enum class Outcome { None, Ok, Cancelled, Failed };
    Q_ENUM(Outcome)

    // The job is the application's and must outlive the dialog; the dialog
    // starts it at most once.
    CompactDialog(const CompactionPreview &preview, CompactionJob *job, QWidget *parent = nullptr);

    [[nodiscard]] Page page() const;
    [[nodiscard]] Outcome outcome() const { return m_outcome; }
    // The sizes the new generation gets: the current ones unless resized.
    [[nodiscard]] quint32 tableSlots() const;
    [[nodiscard]] quint64 packSize() const;
    // Why Compact is disabled; empty when it can start.
    [[nodiscard]] QString problem() const { return m_problem; }
    [[nodiscard]] bool isOldGenerationRemoved() const { return m_removed; }
    [[nodiscard]] quint32 oldGeneration() const { return m_oldGeneration; }
    [[nodiscard]] quint32 newGeneration() const { return m_newGeneration; }

    void setResize(bool on);

    // For tests.
    [[nodiscard]] QCheckBox *resizeBox() const { return m_resize; }
    [[nodiscard]] GeometryFields *fields() const { return m_fields; }
    [[nodiscard]] QLabel *problemLabel() const { return m_problemLabel; }
    [[nodiscard]] QProgressBar *progressBar() const { return m_progress; }
    [[nodiscard]] QLabel *progressLabel() const { return m_progressText; }
    [[nodiscard]] QLabel *resultLabel() const { return m_resultText; }
    [[nodiscard]] QLabel *removeStatusLabel() const { return m_removeStatus; }
    [[nodiscard]] QPushButton *compactButton() const { return m_compact; }
    [[nodiscard]] QPushButton *cancelButton() const { return m_cancel; }
    [[nodiscard]] QPushButton *stopButton() const { return m_stop; }
    [[nodiscard]] QPushButton *removeButton() const { return m_remove; }
    [[nodiscard]] QPushButton *closeButton() const { return m_close; }
    // The question asked when the window is closed while the job runs; null
    // when none is open.
    [[nodiscard]] QMessageBox *stopQuestion() const { return m_question; }

public Q_SLOTS:
    // Esc and the window's close button: go back out on the preview and
    // result pages; while the job runs, ask whether to stop it.
    void reject() override;

Q_SIGNALS:
    // The replaced generation's files were deleted.
    void generationRemoved(quint32 generation);

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    QWidget *createPreviewPage(const CompactionPreview &preview);
    QWidget *createProgressPage();
    QWidget *createResultPage();
    void showPage(Page page);
    void validate();
    void start();
    void stop();
    void progressed(quint64 done, quint64 total);
    void finished(bool ok, bool cancelled, const QString &message, quint32 oldGeneration, quint32 newGeneration);
    void removeOld();

    CompactionPreview m_preview;
    CompactionJob *m_job;
    Outcome m_outcome = Outcome::None;
    QString m_problem;
    bool m_running = false;
    bool m_stopRequested = false;
    bool m_closeWhenDone = false;
    bool m_removed = false;
    quint32 m_oldGeneration = 0;
    quint32 m_newGeneration = 0;

    QStackedWidget *m_pages = nullptr;
    QCheckBox *m_resize = nullptr;
    GeometryFields *m_fields = nullptr;
    QLabel *m_filesText = nullptr;
    QLabel *m_problemLabel = nullptr;
    QLabel *m_progressText = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_resultTitle = nullptr;
    QLabel *m_resultText = nullptr;
    QLabel *m_removeStatus = nullptr;
    QPushButton *m_compact = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_stop = nullptr;
    QPushButton *m_remove = nullptr;
    QPushButton *m_close = nullptr;
    QMessageBox *m_question = nullptr;
};

} // namespace shardscope
