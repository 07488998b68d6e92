#include "put_blob_dialog.h"

#include "geometry_fields.h"

#include <QCryptographicHash>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

#include <algorithm>

namespace shardscope {

namespace {

QString cidText(const ContentId &cid)
{
    return QString::fromStdString(toHex(cid));
}

QByteArray cacheKey(const ContentId &cid)
{
    return QByteArray(reinterpret_cast<const char *>(cid.data()), qsizetype(cid.size()));
}

} // namespace

std::optional<ContentId> PutBlobDialog::parseCid(const QString &text, QString *problem)
{
    auto refuse = [problem](const QString &why) -> std::optional<ContentId> {
        if (problem)
            *problem = why;
        return std::nullopt;
    };
    // Hex copied from a report may come grouped or wrapped.
    QString hex = text;
    hex.removeIf([](QChar c) { return c.isSpace(); });
    if (hex.isEmpty())
        return refuse(tr("Enter the content ID as 64 hex digits."));
    const auto bad = std::find_if(hex.cbegin(), hex.cend(), [](QChar c) {
        const char16_t u = c.unicode();
        return !((u >= u'0' && u <= u'9') || (u >= u'a' && u <= u'f') || (u >= u'A' && u <= u'F'));
    });
    if (bad != hex.cend())
        return refuse(tr("The content ID holds “%1”, which is not a hex digit (0-9, a-f).").arg(*bad));
    if (hex.size() != 2 * qsizetype(sizeof(ContentId)))
        return refuse(tr("The content ID has %1 hex digits; it needs exactly 64.").arg(hex.size()));
    const auto cid = contentIdFromHex(hex.toStdString());
    if (!cid)
        return refuse(tr("The content ID is not valid hex."));
    if (std::all_of(cid->begin(), cid->end(), [](uint8_t b) { return b == 0; }))
        return refuse(tr("The all-zero content ID is not valid: the store never holds it."));
    if (problem)
        problem->clear();
    return cid;
}

PutBlobDialog::PutBlobDialog(CidProblem cidProblem, QWidget *parent)
    : QDialog(parent), m_cidProblem(std::move(cidProblem))
{
    setWindowTitle(tr("Put Blob"));
    auto *layout = new QVBoxLayout(this);
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);

    auto *cidBox = new QGroupBox(tr("Content ID"), this);
    auto *grid = new QGridLayout(cidBox);
    m_deriveCid = new QRadioButton(tr("&Derive from the data:"), cidBox);
    m_deriveCid->setObjectName(QStringLiteral("deriveCid"));
    m_deriveCid->setToolTip(tr("The SHA-256 of the data, as the reference names the blobs it stores"));
    m_derivedCid = new QLabel(cidBox);
    m_derivedCid->setObjectName(QStringLiteral("derivedCid"));
    m_derivedCid->setFont(fixed);
    m_derivedCid->setTextFormat(Qt::PlainText);
    m_derivedCid->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_typeCid = new QRadioButton(tr("&Hex:"), cidBox);
    m_typeCid->setObjectName(QStringLiteral("typeCid"));
    m_cidHex = new QLineEdit(cidBox);
    m_cidHex->setObjectName(QStringLiteral("cidHex"));
    m_cidHex->setFont(fixed);
    m_cidHex->setPlaceholderText(tr("64 hex digits (32 bytes)"));
    // All 64 digits visible, so a pasted ID can be checked by eye.
    m_cidHex->setMinimumWidth(QFontMetrics(fixed).horizontalAdvance(QString(66, QLatin1Char('0'))));
    m_placementCaption = new QLabel(tr("Goes to:"), cidBox);
    m_placement = new QLabel(cidBox);
    m_placement->setObjectName(QStringLiteral("placement"));
    m_placement->setTextFormat(Qt::PlainText);
    m_placement->setToolTip(tr("Where the blob would be stored if the changes were written now"));
    grid->addWidget(m_deriveCid, 0, 0);
    grid->addWidget(m_derivedCid, 0, 1);
    grid->addWidget(m_typeCid, 1, 0);
    grid->addWidget(m_cidHex, 1, 1);
    grid->addWidget(m_placementCaption, 2, 0);
    grid->addWidget(m_placement, 2, 1);
    grid->setColumnStretch(1, 1);
    m_placementCaption->hide();
    m_placement->hide();
    // Content-addressed stores name blobs by their hash; typing an ID is the exception.
    m_deriveCid->setChecked(true);
    layout->addWidget(cidBox);

    auto *dataBox = new QGroupBox(tr("Data"), this);
    auto *dataLayout = new QVBoxLayout(dataBox);
    m_source = new DataSourceWidget(
        {
            .filePlaceholder = tr("Path of the file whose bytes become the blob"),
            .browseCaption = tr("Data of the Blob"),
            .textPlaceholder = tr("Type or paste the blob's text; it is stored as UTF-8."),
            .chooseFile = tr("Choose the file whose bytes to store."),
            .typeText = tr("Type the text to store."),
            .clipboardEmpty = tr("The clipboard holds nothing to store."),
            .fileTooLarge = tr("%1 holds %2, more than a blob can hold (%3)."),
        },
        nullptr, dataBox);
    m_source->setObjectName(QStringLiteral("dataSource"));
    dataLayout->addWidget(m_source);
    m_size = new QLabel(dataBox);
    m_size->setObjectName(QStringLiteral("size"));
    m_size->setTextFormat(Qt::PlainText);
    dataLayout->addWidget(m_size);
    layout->addWidget(dataBox, 1);

    m_problemLabel = new QLabel(this);
    m_problemLabel->setObjectName(QStringLiteral("problem"));
    m_problemLabel->setTextFormat(Qt::PlainText);
    m_problemLabel->setWordWrap(true);
    layout->addWidget(m_problemLabel);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(tr("&Put"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    connect(m_typeCid, &QRadioButton::toggled, this, &PutBlobDialog::validate);
    connect(m_cidHex, &QLineEdit::textChanged, this, [this] {
        // Typing an ID means the user wants that one, not the derived one.
        if (!m_typeCid->isChecked())
            m_typeCid->setChecked(true);
        validate();
    });
    connect(m_source, &DataSourceWidget::dataChanged, this, &PutBlobDialog::validate);

    validate();
    resize(sizeHint().expandedTo(QSize(760, 520)));
}

void PutBlobDialog::setPlacement(Placement placement)
{
    m_placementOf = std::move(placement);
    m_placementCaption->setVisible(bool(m_placementOf));
    m_placement->setVisible(bool(m_placementOf));
    validate();
}

void PutBlobDialog::setMaxBlobSize(quint64 bytes)
{
    m_maxSize = bytes;
    // Not read: it could not be stored anyway.
    m_source->setFileSizeLimit(bytes > 0 ? std::optional(bytes) : std::nullopt);
    validate();
}

ContentId PutBlobDialog::cid() const
{
    return m_cid.value_or(ContentId {});
}

bool PutBlobDialog::derivesCid() const
{
    return m_deriveCid->isChecked();
}

ContentId PutBlobDialog::deriveCid(const QByteArray &data)
{
    const QByteArray digest = QCryptographicHash::hash(data, QCryptographicHash::Sha256);
    ContentId cid {};
    std::copy_n(reinterpret_cast<const uint8_t *>(digest.constData()), cid.size(), cid.begin());
    return cid;
}

void PutBlobDialog::setCidHex(const QString &hex)
{
    m_cidHex->setText(hex);
    m_typeCid->setChecked(true);
}

void PutBlobDialog::setDeriveCid(bool derive)
{
    (derive ? m_deriveCid : m_typeCid)->setChecked(true);
}

QString PutBlobDialog::problemOf(const ContentId &cid)
{
    if (!m_cidProblem)
        return {};
    const QByteArray k = cacheKey(cid);
    auto it = m_problemCache.constFind(k);
    if (it == m_problemCache.cend())
        it = m_problemCache.insert(k, m_cidProblem(cid));
    return *it;
}

void PutBlobDialog::validate()
{
    const bool hasData = m_source->hasData();
    const QByteArray data = m_source->data();
    const quint64 size = hasData ? quint64(data.size()) : 0;
    const bool tooBig = hasData && m_maxSize > 0 && size > m_maxSize;

    QString dataProblem;
    if (!hasData) {
        dataProblem = m_source->problem();
    } else if (tooBig) {
        dataProblem = tr("The data (%1) is more than a blob can hold (%2).")
                          .arg(GeometryFields::bytesText(size), GeometryFields::bytesText(m_maxSize));
    }

    // The ID first when it is typed (it sits above the data and is checked
    // without any data); a derived one exists only once there is data.
    m_cid.reset();
    QString problem;
    const std::optional<ContentId> derived = hasData ? std::optional(deriveCid(data)) : std::nullopt;
    m_derivedCid->setText(derived ? cidText(*derived) : tr("(the data's SHA-256, once there is data)"));
    if (m_deriveCid->isChecked()) {
        if (!dataProblem.isEmpty()) {
            problem = dataProblem;
        } else {
            m_cid = derived;
            if (const QString why = problemOf(*m_cid); !why.isEmpty())
                problem = tr("Content ID %1: %2").arg(cidText(*m_cid).left(16) + QStringLiteral("…"), why);
        }
    } else {
        QString syntax;
        m_cid = parseCid(m_cidHex->text(), &syntax);
        if (!m_cid)
            problem = syntax;
        else if (const QString why = problemOf(*m_cid); !why.isEmpty())
            problem = tr("Content ID %1: %2").arg(cidText(*m_cid).left(16) + QStringLiteral("…"), why);
        else
            problem = dataProblem;
    }

    if (m_placementOf) {
        const QString where = m_cid ? m_placementOf(*m_cid, size) : QString();
        m_placement->setText(where.isEmpty() ? tr("(known once the content ID is)") : where);
    }

    QString sizeText = hasData ? tr("Size: %1").arg(GeometryFields::bytesText(size)) : tr("Size: no data yet");
    if (m_maxSize > 0)
        sizeText += tr("; a blob holds at most %1").arg(GeometryFields::bytesText(m_maxSize));
    m_size->setText(sizeText);

    m_problem = problem;
    m_problemLabel->setText(problem);
    m_problemLabel->setVisible(!problem.isEmpty());
    m_ok->setEnabled(problem.isEmpty());
}

} // namespace shardscope
