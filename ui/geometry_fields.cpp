#include "geometry_fields.h"

#include "format.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>

#include <limits>

namespace shardscope {

namespace {

constexpr quint64 kMaxPack = std::numeric_limits<quint32>::max();

} // namespace

GeometryFields::GeometryFields(QFormLayout *form, QObject *parent) : QObject(parent)
{
    QWidget *owner = form->parentWidget();

    m_slots = new QLineEdit(owner);
    m_slots->setObjectName(QStringLiteral("tableSlots"));
    m_slots->setToolTip(tr("Entries the table can hold; its file is 32 bytes per slot and must fit a u32 (at most "
                           "%1 slots)")
                            .arg(QLocale().toString(kMaxTableSlots)));
    auto *slotsRow = new QHBoxLayout;
    slotsRow->addWidget(m_slots, 1);
    auto *slotsUnit = new QLabel(tr("slots"), owner);
    slotsRow->addWidget(slotsUnit);
    // The unit label of the pack row is a combo; pad this row to line up.
    auto *label = new QLabel(tr("&Table slots:"), owner);
    label->setBuddy(m_slots);
    form->addRow(label, slotsRow);

    m_pack = new QLineEdit(owner);
    m_pack->setObjectName(QStringLiteral("packSize"));
    m_pack->setToolTip(tr("The pack file's size; entry data is appended to it, and it must fit a u32"));
    m_unit = new QComboBox(owner);
    m_unit->setObjectName(QStringLiteral("packUnit"));
    m_unit->addItem(tr("bytes"), quint64(Bytes));
    m_unit->addItem(tr("KiB"), quint64(KiB));
    m_unit->addItem(tr("MiB"), quint64(MiB));
    m_unit->addItem(tr("GiB"), quint64(GiB));
    auto *packRow = new QHBoxLayout;
    packRow->addWidget(m_pack, 1);
    packRow->addWidget(m_unit);
    label = new QLabel(tr("&Pack size:"), owner);
    label->setBuddy(m_pack);
    form->addRow(label, packRow);

    // The two fields end at the same place.
    slotsUnit->setMinimumWidth(m_unit->sizeHint().width());
    connect(m_slots, &QLineEdit::textChanged, this, &GeometryFields::edited);
    connect(m_pack, &QLineEdit::textChanged, this, &GeometryFields::edited);
    connect(m_unit, &QComboBox::currentIndexChanged, this, &GeometryFields::edited);
}

void GeometryFields::setSizes(quint64 tableSlots, quint64 packSize)
{
    m_slots->setText(QString::number(tableSlots));
    Unit unit = Bytes;
    for (Unit u : {GiB, MiB, KiB}) {
        if (packSize != 0 && packSize % u == 0) {
            unit = u;
            break;
        }
    }
    setPackSize(packSize / unit, unit);
}

void GeometryFields::setPackSize(quint64 value, Unit unit)
{
    const QSignalBlocker block(m_unit);
    m_unit->setCurrentIndex(m_unit->findData(quint64(unit)));
    m_pack->setText(QString::number(value));
    Q_EMIT edited();
}

void GeometryFields::setEnabled(bool on)
{
    m_slots->setEnabled(on);
    m_pack->setEnabled(on);
    m_unit->setEnabled(on);
}

std::optional<quint64> GeometryFields::parseCount(const QString &text)
{
    const QString t = text.trimmed();
    bool ok = false;
    // Digit groups as the locale writes them ("32,768"), or plain digits.
    quint64 v = QLocale().toULongLong(t, &ok);
    if (!ok)
        v = t.toULongLong(&ok, 10);
    if (!ok)
        return std::nullopt;
    return v;
}

std::optional<quint32> GeometryFields::tableSlots() const
{
    const auto v = parseCount(m_slots->text());
    if (!v || *v == 0 || *v > kMaxTableSlots)
        return std::nullopt;
    return quint32(*v);
}

std::optional<quint32> GeometryFields::packSize() const
{
    const auto v = parseCount(m_pack->text());
    const quint64 unit = m_unit->currentData().toULongLong();
    if (!v || *v == 0 || *v > kMaxPack / unit)
        return std::nullopt;
    return quint32(*v * unit);
}

QString GeometryFields::problem() const
{
    const QLocale locale;
    const QString slotsText = m_slots->text().trimmed();
    if (slotsText.isEmpty())
        return tr("Enter the number of table slots.");
    const auto n = parseCount(slotsText);
    if (!n)
        return tr("Table slots: “%1” is not a whole number.").arg(slotsText);
    if (*n == 0)
        return tr("The table needs at least one slot.");
    if (*n > kMaxTableSlots)
        return tr("%1 slots would make a table file of more than 4 GiB, which a u32 cannot size: at most %2 slots.")
            .arg(locale.toString(*n), locale.toString(kMaxTableSlots));

    const QString packText = m_pack->text().trimmed();
    if (packText.isEmpty())
        return tr("Enter the pack size.");
    const auto p = parseCount(packText);
    if (!p)
        return tr("Pack size: “%1” is not a whole number.").arg(packText);
    if (*p == 0)
        return tr("The pack size must be more than 0 bytes.");
    const quint64 unit = m_unit->currentData().toULongLong();
    if (*p > kMaxPack / unit)
        return tr("The pack size must fit a u32: at most %1 bytes (4 GiB less 1 byte).").arg(locale.toString(kMaxPack));
    return {};
}

QString GeometryFields::bytesText(quint64 bytes)
{
    const QLocale locale;
    const QString exact = bytes == 1 ? tr("1 byte") : tr("%1 bytes").arg(locale.toString(bytes));
    if (bytes < 1024)
        return exact;
    // Whole units without a decimal ("64 MiB"), others to one place.
    quint64 unit = 1024;
    while (bytes / unit >= 1024 && unit < (1ull << 50))
        unit *= 1024;
    const int precision = bytes % unit == 0 ? 0 : 1;
    return tr("%1 (%2)").arg(exact, locale.formattedDataSize(qint64(bytes), precision, QLocale::DataSizeIecFormat));
}

} // namespace shardscope
