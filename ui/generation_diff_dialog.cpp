#include "generation_diff_dialog.h"

#include "generation_diff_model.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

namespace shardscope {

namespace {

// Keys in a fixed-width font so that they line up and can be compared by eye.
class FixedFontDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
        if (option->font.pointSizeF() > 0)
            font.setPointSizeF(option->font.pointSizeF());
        option->font = font;
        option->fontMetrics = QFontMetrics(font);
    }
};

} // namespace

GenerationDiffDialog::GenerationDiffDialog(
    QList<uint32_t> generations, uint32_t current, DiffFunction diff, QWidget *parent)
    : QDialog(parent), m_generations(std::move(generations)), m_diff(std::move(diff))
{
    setWindowTitle(tr("Compare Generations"));
    auto *layout = new QVBoxLayout(this);

    auto *pick = new QHBoxLayout;
    m_oldCombo = new QComboBox(this);
    m_oldCombo->setObjectName(QStringLiteral("oldGeneration"));
    m_newCombo = new QComboBox(this);
    m_newCombo->setObjectName(QStringLiteral("newGeneration"));
    for (QComboBox *combo : {m_oldCombo, m_newCombo}) {
        for (uint32_t gen : std::as_const(m_generations)) {
            const QString hex = QStringLiteral("%1").arg(gen, 8, 16, QLatin1Char('0'));
            const QString text
                = gen == current ? tr("%1 (%2, current)").arg(gen).arg(hex) : tr("%1 (%2)").arg(gen).arg(hex);
            combo->addItem(text, QVariant::fromValue(gen));
        }
        combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    }
    auto *oldLabel = new QLabel(tr("&Old generation:"), this);
    oldLabel->setBuddy(m_oldCombo);
    auto *newLabel = new QLabel(tr("&New generation:"), this);
    newLabel->setBuddy(m_newCombo);
    pick->addWidget(oldLabel);
    pick->addWidget(m_oldCombo);
    pick->addSpacing(12);
    pick->addWidget(newLabel);
    pick->addWidget(m_newCombo);
    pick->addStretch(1);
    layout->addLayout(pick);

    m_model = new GenerationDiffModel(this);
    auto *kinds = new QHBoxLayout;
    kinds->addWidget(new QLabel(tr("Show:"), this));
    for (int k = 0; k < kDiffKindCount; ++k) {
        const auto kind = DiffKind(k);
        auto *box = new QCheckBox(GenerationDiffModel::kindName(kind), this);
        box->setObjectName(QStringLiteral("show_%1").arg(QString::fromLatin1(diffKindName(kind))));
        box->setChecked(m_model->isKindVisible(kind));
        connect(box, &QCheckBox::toggled, this, [this, kind](bool on) { m_model->setKindVisible(kind, on); });
        m_kindBoxes[size_t(k)] = box;
        kinds->addWidget(box);
    }
    kinds->addStretch(1);
    layout->addLayout(kinds);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);

    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSortRole(GenerationDiffModel::SortRole);
    m_proxy->setSourceModel(m_model);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("diffTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(GenerationDiffModel::KeyColumn, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setItemDelegateForColumn(GenerationDiffModel::KeyColumn, new FixedFontDelegate(m_table));
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(GenerationDiffModel::KeyColumn, QHeaderView::Stretch);
    layout->addWidget(m_table, 1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    // The usual question: what did the last compaction or edit do?
    const qsizetype currentIndex = m_generations.indexOf(current);
    int newIndex = currentIndex >= 0 ? int(currentIndex) : int(m_generations.size()) - 1;
    int oldIndex = std::max(0, newIndex - 1);
    m_selecting = true;
    m_oldCombo->setCurrentIndex(oldIndex);
    m_newCombo->setCurrentIndex(newIndex);
    m_selecting = false;
    connect(m_oldCombo, &QComboBox::currentIndexChanged, this, &GenerationDiffDialog::compare);
    connect(m_newCombo, &QComboBox::currentIndexChanged, this, &GenerationDiffDialog::compare);
    compare();

    const int keyWidth = QFontMetrics(QFontDatabase::systemFont(QFontDatabase::FixedFont))
                             .horizontalAdvance(QString(50, QLatin1Char('0')));
    resize(std::max(sizeHint().width(), keyWidth + 520), 480);
}

GenerationDiffDialog::~GenerationDiffDialog()
{
    // A comparison still running posts to this dialog: wait for it. What it
    // posts is dropped with the dialog.
    for (Worker &w : m_workers)
        w.thread.join();
}

bool GenerationDiffDialog::selectGenerations(uint32_t oldGen, uint32_t newGen)
{
    const int oldIndex = m_oldCombo->findData(QVariant::fromValue(oldGen));
    const int newIndex = m_newCombo->findData(QVariant::fromValue(newGen));
    if (oldIndex < 0 || newIndex < 0)
        return false;
    // One comparison for the pair, not one per combo box.
    m_selecting = true;
    m_oldCombo->setCurrentIndex(oldIndex);
    m_newCombo->setCurrentIndex(newIndex);
    m_selecting = false;
    compare();
    return true;
}

uint32_t GenerationDiffDialog::oldGeneration() const
{
    return m_oldCombo->currentData().value<uint32_t>();
}

uint32_t GenerationDiffDialog::newGeneration() const
{
    return m_newCombo->currentData().value<uint32_t>();
}

QString GenerationDiffDialog::summary() const
{
    return m_summary->text();
}

void GenerationDiffDialog::compare()
{
    if (m_selecting)
        return;
    // Whatever is running now is no longer wanted.
    ++m_run;
    setComparing(false);
    if (m_generations.isEmpty()) {
        m_model->clear();
        m_summary->setText(tr("The directory holds no generation with both a table and a pack."));
        return;
    }
    const uint32_t oldGen = oldGeneration();
    const uint32_t newGen = newGeneration();
    if (oldGen == newGen) {
        m_model->clear();
        m_summary->setText(m_generations.size() == 1
                ? tr("Generation %1 is the only one in the directory: there is nothing to compare it with.").arg(oldGen)
                : tr("Old and new are the same generation (%1): pick two different ones.").arg(oldGen));
        return;
    }
    const quint64 run = m_run;
    m_summary->setText(tr("Comparing generation %1 with %2…").arg(oldGen).arg(newGen));
    setComparing(true);
    // Threads of earlier comparisons that are done are joined here.
    std::erase_if(m_workers, [](Worker &w) {
        if (!w.done->load())
            return false;
        w.thread.join();
        return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    m_workers.push_back({{}, done});
    m_workers.back().thread = std::thread([this, run, oldGen, newGen, done, diff = m_diff]() {
        auto result = std::make_shared<Result<GenerationDiff>>(
            diff ? diff(oldGen, newGen) : Result<GenerationDiff>(fail(ErrorKind::Invalid, {}, "no diff available")));
        QMetaObject::invokeMethod(
            this, [this, run, oldGen, newGen, result]() { showResult(run, oldGen, newGen, std::move(*result)); },
            Qt::QueuedConnection);
        done->store(true);
    });
}

void GenerationDiffDialog::setComparing(bool comparing)
{
    m_comparing = comparing;
    m_table->setEnabled(!comparing);
    if (comparing)
        m_model->clear();
}

void GenerationDiffDialog::showResult(quint64 run, uint32_t oldGen, uint32_t newGen, Result<GenerationDiff> diff)
{
    if (run != m_run)
        return; // overtaken by another choice
    setComparing(false);
    if (!diff) {
        m_model->clear();
        m_summary->setText(tr("Cannot compare generation %1 with %2: %3")
                               .arg(oldGen)
                               .arg(newGen)
                               .arg(QString::fromStdString(diff.error().describe())));
        Q_EMIT compared(oldGen, newGen, false);
        return;
    }
    QString text = tr("From generation %1 to %2: %3.").arg(oldGen).arg(newGen);
    m_model->setDiff(std::move(*diff));
    text = text.arg(m_model->summary());
    const GenerationDiff &d = m_model->diff();
    // Say which slots were looked at where a table_len did not bound them,
    // so "removed" is not read as more than it is.
    QStringList notes;
    if (!d.oldByTableLen)
        notes << tr("generation %1 is not current, so all %2 slots of its table were looked at, blank ones skipped")
                     .arg(oldGen)
                     .arg(d.oldSlotsScanned);
    if (!d.newByTableLen)
        notes << tr("generation %1 is not current, so all %2 slots of its table were looked at, blank ones skipped")
                     .arg(newGen)
                     .arg(d.newSlotsScanned);
    if (d.shadowed > 0)
        notes << tr("%n slot(s) repeat a key an earlier slot holds and were skipped, as a lookup skips them", nullptr,
            int(d.shadowed));
    if (!notes.isEmpty()) {
        QString more = notes.join(QStringLiteral("; "));
        more[0] = more[0].toUpper();
        text += QLatin1Char('\n') + more + QLatin1Char('.');
    }
    m_summary->setText(text);
    Q_EMIT compared(oldGen, newGen, true);
}

} // namespace shardscope
