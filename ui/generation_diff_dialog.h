// Tools > Compare Generations: the user picks two generations present in
// the shard directory and sees which entries were added, removed, moved or
// changed between them. The dialog never opens a file: the caller hands it
// the generations to offer and a function that computes a diff (the
// application's, over storage's diffGenerations). The function runs on a
// thread of its own, as it reads both packs whole: the window stays live and
// the dialog says it is comparing; a comparison overtaken by another choice
// is dropped when it ends.
#pragma once

#include "error.h"
#include "generation_diff.h"

#include <QDialog>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace shardscope {

class GenerationDiffModel;

class GenerationDiffDialog : public QDialog
{
    Q_OBJECT

public:
    using DiffFunction = std::function<Result<GenerationDiff>(uint32_t oldGen, uint32_t newGen)>;

    // `generations` ascending as listGenerations() gives them; `current` is
    // marked in the lists. The first comparison shown is the generation
    // before the current one against the current one.
    GenerationDiffDialog(QList<uint32_t> generations, uint32_t current, DiffFunction diff, QWidget *parent = nullptr);
    ~GenerationDiffDialog() override;

    // Picks both generations and starts comparing them; false when one is
    // not offered. compared() says when the comparison has ended.
    bool selectGenerations(uint32_t oldGen, uint32_t newGen);
    // A comparison is running.
    [[nodiscard]] bool isComparing() const { return m_comparing; }
    [[nodiscard]] uint32_t oldGeneration() const;
    [[nodiscard]] uint32_t newGeneration() const;

    [[nodiscard]] GenerationDiffModel *model() const { return m_model; }
    [[nodiscard]] QString summary() const;

    // For tests.
    [[nodiscard]] QComboBox *oldCombo() const { return m_oldCombo; }
    [[nodiscard]] QComboBox *newCombo() const { return m_newCombo; }
    [[nodiscard]] QTableView *table() const { return m_table; }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }
    [[nodiscard]] QCheckBox *kindCheckBox(DiffKind kind) const { return m_kindBoxes[size_t(kind)]; }

Q_SIGNALS:
    // After each comparison the dialog shows (not for the same generation
    // twice, nor for one overtaken by another choice).
    void compared(uint32_t oldGen, uint32_t newGen, bool ok);

private:
    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };

    void compare();
    void showResult(quint64 run, uint32_t oldGen, uint32_t newGen, Result<GenerationDiff> diff);
    void setComparing(bool comparing);

    QList<uint32_t> m_generations;
    DiffFunction m_diff;
    GenerationDiffModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QComboBox *m_oldCombo = nullptr;
    QComboBox *m_newCombo = nullptr;
    QLabel *m_summary = nullptr;
    QTableView *m_table = nullptr;
    std::array<QCheckBox *, kDiffKindCount> m_kindBoxes {};
    bool m_selecting = false;
    bool m_comparing = false;
    quint64 m_run = 0; // the comparison whose result is wanted
    std::vector<Worker> m_workers; // joined before the dialog goes
};

} // namespace shardscope
