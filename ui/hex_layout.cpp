#include "hex_layout.h"

#include <QCoreApplication>

#include <algorithm>
#include <bit>

namespace shardscope {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("shardscope::HexLayout", text);
}

// Rows reach 2^60 and scroll steps 2^30, so their products need 128 bits.
__extension__ typedef unsigned __int128 Wide;

QString hex(quint64 v)
{
    return QStringLiteral("0x") + QString::number(v, 16);
}

} // namespace

int HexLayout::bytesInRow(quint64 row) const
{
    if (row >= rowCount())
        return 0;
    const quint64 left = m_size - rowStart(row);
    return int(std::min<quint64>(left, kBytesPerRow));
}

int HexLayout::offsetDigits() const
{
    const quint64 largest = displayed(m_size > 0 ? m_size - 1 : 0);
    // When base + size wraps past 2^64 the offsets shown reach 0xfff...f.
    const bool wraps = m_size > 0 && m_displayBase > ~quint64(0) - (m_size - 1);
    const int bits = wraps ? 64 : std::max(1, int(std::bit_width(largest)));
    const int digits = std::max(4, (bits + 3) / 4);
    return (digits + 1) & ~1;
}

QString HexLayout::offsetText(quint64 offset) const
{
    return QStringLiteral("%1").arg(displayed(offset), offsetDigits(), 16, QLatin1Char('0'));
}

QString HexLayout::columnLabel(int column) const
{
    return QStringLiteral("%1").arg((m_displayBase + quint64(column)) & 0xff, 2, 16, QLatin1Char('0'));
}

quint64 HexLayout::maxFirstRow(quint64 pageRows) const
{
    const quint64 rows = rowCount();
    return rows > pageRows ? rows - pageRows : 0;
}

bool HexLayout::scrollScaled(quint64 pageRows) const
{
    return maxFirstRow(pageRows) > quint64(kScaledScrollSteps);
}

int HexLayout::scrollMaximum(quint64 pageRows) const
{
    return scrollScaled(pageRows) ? kScaledScrollSteps : int(maxFirstRow(pageRows));
}

int HexLayout::scrollValueForRow(quint64 firstRow, quint64 pageRows) const
{
    const quint64 maxRow = maxFirstRow(pageRows);
    firstRow = std::min(firstRow, maxRow);
    if (!scrollScaled(pageRows))
        return int(firstRow);
    return int(Wide(firstRow) * kScaledScrollSteps / maxRow);
}

quint64 HexLayout::rowForScrollValue(int value, quint64 pageRows) const
{
    const quint64 maxRow = maxFirstRow(pageRows);
    if (value <= 0)
        return 0;
    if (!scrollScaled(pageRows))
        return std::min(quint64(value), maxRow);
    if (value >= kScaledScrollSteps)
        return maxRow;
    return quint64(Wide(quint64(value)) * maxRow / kScaledScrollSteps);
}

std::optional<quint64> HexLayout::parseOffset(const QString &text, QString *error) const
{
    auto failWith = [error](const QString &why) -> std::optional<quint64> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    QString t = text.trimmed();
    t.remove(QLatin1Char('_'));
    const bool relative = t.startsWith(QLatin1Char('+'));
    if (relative)
        t = t.mid(1).trimmed();
    bool ok = false;
    quint64 value = 0;
    if (t.startsWith(QLatin1String("0x"), Qt::CaseInsensitive)) {
        const QString digits = t.mid(2);
        if (!digits.isEmpty() && !digits.startsWith(QLatin1Char('+')) && !digits.startsWith(QLatin1Char('-')))
            value = digits.toULongLong(&ok, 16);
    } else if (!t.isEmpty() && t.front().isDigit()) {
        value = t.toULongLong(&ok, 10);
    }
    if (!ok)
        return failWith(tr("Not an offset: type hex as 0x1f40 or decimal as 8000."));
    if (m_size == 0)
        return failWith(tr("There are no bytes to go to."));
    quint64 offset = value;
    if (!relative) {
        if (value < m_displayBase)
            return failWith(tr("%1 lies before the first byte, %2.").arg(hex(value), hex(m_displayBase)));
        offset = value - m_displayBase;
    }
    if (offset >= m_size) {
        const QString sign = relative ? QStringLiteral("+") : QString();
        return failWith(tr("%1 lies past the last byte, %2.")
                            .arg(sign + hex(value), sign + hex(relative ? m_size - 1 : displayed(m_size - 1))));
    }
    return offset;
}

} // namespace shardscope
