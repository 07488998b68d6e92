#include "hydrate_dialog.h"

#include "geometry_fields.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace shardscope {

HydrateDialog::HydrateDialog(
    Mode mode, const QString &directory, quint32 generation, DirectoryCheck check, QWidget *parent)
    : QDialog(parent), m_mode(mode), m_generation(generation), m_check(std::move(check))
{
    setWindowTitle(mode == Mode::NewShard ? tr("New Shard") : tr("Initialise Generation %1").arg(generation));
    auto *layout = new QVBoxLayout(this);

    auto *intro = new QLabel(this);
    intro->setWordWrap(true);
    intro->setText(mode == Mode::NewShard
            ? tr("Creates an empty shard: the table and pack of generation %1 in the directory, at the sizes "
                 "below. Both files are fixed-size and sparse, so they take disk space only as entries are "
                 "written. The manifest is written with the first commit.")
                  .arg(generation)
            : tr("The manifest of this shard names generation %1, but its table and pack are missing. They are "
                 "created empty at the sizes below; entries the missing files held cannot be recovered this way.")
                  .arg(generation));
    layout->addWidget(intro);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_directory = new QLineEdit(directory, this);
    m_directory->setObjectName(QStringLiteral("directory"));
    m_directory->setPlaceholderText(tr("Full path of the shard directory"));
    m_directory->setReadOnly(mode == Mode::MissingGeneration);
    auto *dirRow = new QHBoxLayout;
    dirRow->addWidget(m_directory, 1);
    if (mode == Mode::NewShard) {
        auto *browse = new QPushButton(tr("&Browse…"), this);
        browse->setObjectName(QStringLiteral("browse"));
        browse->setAutoDefault(false);
        connect(browse, &QPushButton::clicked, this, &HydrateDialog::browse);
        dirRow->addWidget(browse);
    }
    auto *dirLabel = new QLabel(tr("&Directory:"), this);
    dirLabel->setBuddy(m_directory);
    form->addRow(dirLabel, dirRow);
    m_fields = new GeometryFields(form, this);
    m_files = new QLabel(this);
    m_files->setObjectName(QStringLiteral("files"));
    m_files->setTextFormat(Qt::PlainText);
    m_files->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Files:"), m_files);
    layout->addLayout(form);

    m_problemLabel = new QLabel(this);
    m_problemLabel->setObjectName(QStringLiteral("problem"));
    m_problemLabel->setWordWrap(true);
    m_problemLabel->setTextFormat(Qt::PlainText);
    layout->addWidget(m_problemLabel);
    layout->addStretch(1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(mode == Mode::NewShard ? tr("&Create") : tr("&Initialise"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    connect(m_directory, &QLineEdit::textChanged, this, &HydrateDialog::validate);
    connect(m_fields, &GeometryFields::edited, this, &HydrateDialog::validate);
    m_fields->setSizes(kDefaultTableSlots, kDefaultPackSize);
    validate();
    resize(sizeHint().expandedTo(QSize(560, 0)));
}

QString HydrateDialog::directory() const
{
    return QDir::cleanPath(m_directory->text().trimmed());
}

ShardGeometry HydrateDialog::geometry() const
{
    ShardGeometry geometry;
    geometry.tableSlots = m_fields->tableSlots().value_or(0);
    geometry.packSize = m_fields->packSize().value_or(0);
    return geometry;
}

QString HydrateDialog::tableFileName() const
{
    return QString::fromStdString(shardscope::tableFileName(m_generation));
}

QString HydrateDialog::packFileName() const
{
    return QString::fromStdString(shardscope::packFileName(m_generation));
}

void HydrateDialog::setDirectory(const QString &path)
{
    m_directory->setText(path);
}

void HydrateDialog::setSizes(quint64 tableSlots, quint64 packSize)
{
    m_fields->setSizes(tableSlots, packSize);
}

void HydrateDialog::browse()
{
    const QString path = QFileDialog::getExistingDirectory(this, tr("Shard Directory"), directory());
    if (!path.isEmpty())
        m_directory->setText(QDir::toNativeSeparators(path));
}

void HydrateDialog::validate()
{
    QString problem;
    const QString dir = m_directory->text().trimmed();
    if (dir.isEmpty())
        problem = tr("Name the directory of the shard.");
    else if (!QDir::isAbsolutePath(dir))
        problem = tr("Give the directory's full path (it starts with /).");
    if (problem.isEmpty())
        problem = m_fields->problem();
    if (problem.isEmpty() && m_check)
        problem = m_check(directory());

    // The sizes are shown whenever they parse, even while the directory is
    // still missing, so the user sees what the numbers mean as they type.
    const auto tableSlots = m_fields->tableSlots();
    const auto packSize = m_fields->packSize();
    QStringList files;
    files << (tableSlots
            ? tr("%1: %2").arg(tableFileName(), GeometryFields::bytesText(quint64(*tableSlots) * kTableEntrySize))
            : tr("%1: —").arg(tableFileName()));
    files << (packSize ? tr("%1: %2").arg(packFileName(), GeometryFields::bytesText(*packSize))
                       : tr("%1: —").arg(packFileName()));
    m_files->setText(files.join(QLatin1Char('\n')));

    m_problem = problem;
    m_problemLabel->setText(problem);
    m_problemLabel->setVisible(!problem.isEmpty());
    m_ok->setEnabled(problem.isEmpty());
}

} // namespace shardscope
