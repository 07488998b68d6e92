#include "append_dialog.h"

#include "geometry_fields.h"

#include <QCryptographicHash>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

namespace shardscope {

namespace {

bool isHexDigit(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'0' && u <= u'9') || (u >= u'a' && u <= u'f') || (u >= u'A' && u <= u'F');
}

QString keyText(const Key &key)
{
    return QString::fromStdString(key.toHex());
}

} // namespace

AppendDialog::AppendDialog(KSyntaxHighlighting::Repository &repository, KeyExists keyExists, quint64 packFree,
    quint32 tableFree, QWidget *parent)
    : QDialog(parent), m_keyExists(std::move(keyExists)), m_packFree(packFree), m_tableFree(tableFree)
{
    setWindowTitle(tr("Append Entry"));
    auto *layout = new QVBoxLayout(this);
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);

    auto *keyBox = new QGroupBox(tr("Key"), this);
    auto *keyGrid = new QGridLayout(keyBox);
    m_typeKey = new QRadioButton(tr("&Hex:"), keyBox);
    m_typeKey->setObjectName(QStringLiteral("typeKey"));
    m_keyHex = new QLineEdit(keyBox);
    m_keyHex->setObjectName(QStringLiteral("keyHex"));
    m_keyHex->setFont(fixed);
    m_keyHex->setPlaceholderText(tr("48 hex digits (24 bytes)"));
    // Room for all 48 digits, so a pasted key can be checked by eye.
    m_keyHex->setMinimumWidth(QFontMetrics(fixed).horizontalAdvance(QString(50, QLatin1Char('0'))));
    m_deriveKey = new QRadioButton(tr("&Derive from the data:"), keyBox);
    m_deriveKey->setObjectName(QStringLiteral("deriveKey"));
    m_deriveKey->setToolTip(tr("The first 24 bytes of the data's SHA-256"));
    m_derivedKey = new QLabel(keyBox);
    m_derivedKey->setObjectName(QStringLiteral("derivedKey"));
    m_derivedKey->setFont(fixed);
    m_derivedKey->setTextInteractionFlags(Qt::TextSelectableByMouse);
    keyGrid->addWidget(m_typeKey, 0, 0);
    keyGrid->addWidget(m_keyHex, 0, 1);
    keyGrid->addWidget(m_deriveKey, 1, 0);
    keyGrid->addWidget(m_derivedKey, 1, 1);
    keyGrid->setColumnStretch(1, 1);
    m_typeKey->setChecked(true);
    layout->addWidget(keyBox);

    auto *dataBox = new QGroupBox(tr("Data"), this);
    auto *dataLayout = new QVBoxLayout(dataBox);
    m_source = new DataSourceWidget(
        {
            .filePlaceholder = tr("Path of the file whose bytes become the entry"),
            .browseCaption = tr("Data of the Entry"),
            .textPlaceholder = tr("Type or paste the entry's text; it is stored as UTF-8."),
            .chooseFile = tr("Choose the file whose bytes to append."),
            .typeText = tr("Type the text to append."),
            .clipboardEmpty = tr("The clipboard holds nothing to append."),
            .fileTooLarge = tr("%1 holds %2, more than the pack's free %3."),
        },
        &repository, dataBox);
    m_source->setObjectName(QStringLiteral("dataSource"));
    // Not read: it could not be appended anyway.
    m_source->setFileSizeLimit(m_packFree);
    dataLayout->addWidget(m_source);
    layout->addWidget(dataBox, 1);

    m_space = new QLabel(this);
    m_space->setObjectName(QStringLiteral("space"));
    m_space->setTextFormat(Qt::PlainText);
    layout->addWidget(m_space);

    m_problemLabel = new QLabel(this);
    m_problemLabel->setObjectName(QStringLiteral("problem"));
    m_problemLabel->setWordWrap(true);
    m_problemLabel->setTextFormat(Qt::PlainText);
    layout->addWidget(m_problemLabel);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(tr("&Append"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    connect(m_typeKey, &QRadioButton::toggled, this, &AppendDialog::validate);
    connect(m_keyHex, &QLineEdit::textChanged, this, [this] {
        if (!m_typeKey->isChecked())
            m_typeKey->setChecked(true);
        validate();
    });
    connect(m_source, &DataSourceWidget::dataChanged, this, &AppendDialog::validate);

    validate();
    resize(sizeHint().expandedTo(QSize(720, 560)));
}

Key AppendDialog::key() const
{
    return m_key.value_or(Key());
}

bool AppendDialog::derivesKey() const
{
    return m_deriveKey->isChecked();
}

Key AppendDialog::deriveKey(const QByteArray &data)
{
    const QByteArray digest = QCryptographicHash::hash(data, QCryptographicHash::Sha256);
    return Key::fromBytes(reinterpret_cast<const uint8_t *>(digest.constData()));
}

void AppendDialog::setKeyHex(const QString &hex)
{
    m_keyHex->setText(hex);
    m_typeKey->setChecked(true);
}

void AppendDialog::setDeriveKey(bool derive)
{
    (derive ? m_deriveKey : m_typeKey)->setChecked(true);
}

void AppendDialog::validate()
{
    const QLocale locale;
    const bool hasData = m_source->hasData();
    const QByteArray data = m_source->data();
    const quint64 size = hasData ? quint64(data.size()) : 0;

    // The key.
    m_key.reset();
    QString keyProblem;
    if (m_deriveKey->isChecked()) {
        if (hasData)
            m_key = deriveKey(data);
        m_derivedKey->setText(hasData ? keyText(*m_key) : tr("(from the data, once there is some)"));
        if (m_key && m_key->isZero())
            keyProblem = tr("The derived key is zero, which is not a valid key.");
        else if (m_key && m_keyExists && m_keyExists(*m_key))
            keyProblem = tr("The shard already has an entry with this key (or one is staged): the same data is "
                            "already there.");
    } else {
        m_derivedKey->setText(hasData ? keyText(deriveKey(data)) : QString());
        QString hex = m_keyHex->text();
        hex.remove(QLatin1Char(' '));
        qsizetype bad = -1;
        for (qsizetype i = 0; i < hex.size(); ++i) {
            if (!isHexDigit(hex[i])) {
                bad = i;
                break;
            }
        }
        if (hex.isEmpty())
            keyProblem = tr("Enter the key as 48 hex digits, or derive it from the data.");
        else if (bad >= 0)
            keyProblem = tr("The key holds “%1”, which is not a hex digit (0-9, a-f).").arg(hex[bad]);
        else if (hex.size() != 2 * qsizetype(Key::kSize))
            keyProblem = tr("The key has %1 hex digits; it needs exactly 48.").arg(hex.size());
        else {
            m_key = Key::fromHex(hex.toStdString());
            if (!m_key)
                keyProblem = tr("The key is not valid hex.");
            else if (m_key->isZero())
                keyProblem = tr("The zero key is not a valid key.");
            else if (m_keyExists && m_keyExists(*m_key))
                keyProblem = tr("The shard already has an entry with this key (or one is staged).");
        }
    }

    // Room: the table first, since without a slot nothing at all fits.
    QString problem;
    if (m_tableFree == 0)
        problem = tr("The table is full: no slot is free for another entry. Compacting with a larger table makes "
                     "room.");
    else if (!hasData)
        problem = m_source->problem();
    else if (size > m_packFree)
        problem = tr("The data (%1) does not fit in the pack, which has %2 free.")
                      .arg(GeometryFields::bytesText(size), GeometryFields::bytesText(m_packFree));
    else
        problem = keyProblem;

    QString space = tr("Pack: %1 free").arg(GeometryFields::bytesText(m_packFree));
    if (hasData && size <= m_packFree)
        space += tr("; this entry uses %1, leaving %2")
                     .arg(GeometryFields::bytesText(size), GeometryFields::bytesText(m_packFree - size));
    else if (hasData)
        space += tr("; this entry needs %1").arg(GeometryFields::bytesText(size));
    space += QLatin1Char('\n');
    space += m_tableFree == 0 ? tr("Table: no slot free")
                              : tr("Table: %1 slots free; this entry uses 1").arg(locale.toString(m_tableFree));
    m_space->setText(space);

    m_problem = problem;
    m_problemLabel->setText(problem);
    m_problemLabel->setVisible(!problem.isEmpty());
    m_ok->setEnabled(problem.isEmpty());
}

} // namespace shardscope
