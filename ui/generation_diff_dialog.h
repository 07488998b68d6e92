// Tools > Compare Generations: the user picks two generations present in
// the shard directory and sees which entries were added, removed, moved or
// changed between them. The dialog never opens a file: the caller hands it
// the generations to offer and a function that computes a diff (the
// application's, over storage's diffGenerations).
#pragma once

#include "error.h"
#include "generation_diff.h"

#include <QDialog>

#include <array>
#include <functional>

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

    // Picks both generations and compares them; false when one is not offered.
    bool selectGenerations(uint32_t oldGen, uint32_t newGen);
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
    // After each comparison the dialog made (not for the same generation twice).
    void compared(uint32_t oldGen, uint32_t newGen, bool ok);

private:
    void compare();

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
};

} // namespace shardscope
