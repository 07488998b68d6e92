// The arithmetic of a hex view, without a widget: which row and column a byte
// falls in, what the offset column says, how a 64-bit row number maps onto a
// scroll bar that only counts to INT_MAX, and what a typed offset means.
// HexView paints with it; tests check it directly.
#pragma once

#include <QString>
#include <QtGlobal>

#include <optional>

namespace shardscope {

class HexLayout
{
public:
    static constexpr int kBytesPerRow = 16;
    static constexpr int kGroupSize = 8; // an extra space after every 8 bytes
    // Scroll bar range used once the rows no longer fit in an int. Well below
    // INT_MAX, so value + pageStep never overflows inside QAbstractSlider.
    static constexpr int kScaledScrollSteps = 1 << 30;

    HexLayout() = default;
    HexLayout(quint64 size, quint64 displayBase) : m_size(size), m_displayBase(displayBase) { }

    [[nodiscard]] quint64 size() const { return m_size; }
    [[nodiscard]] quint64 displayBase() const { return m_displayBase; }
    [[nodiscard]] quint64 rowCount() const { return m_size / kBytesPerRow + (m_size % kBytesPerRow ? 1 : 0); }
    [[nodiscard]] static quint64 rowOf(quint64 offset) { return offset / kBytesPerRow; }
    [[nodiscard]] static int columnOf(quint64 offset) { return int(offset % kBytesPerRow); }
    [[nodiscard]] static quint64 rowStart(quint64 row) { return row * kBytesPerRow; }
    // Bytes in this row: 16, fewer in the last one.
    [[nodiscard]] int bytesInRow(quint64 row) const;

    // The offset shown for a source offset: displayBase + offset (mod 2^64).
    [[nodiscard]] quint64 displayed(quint64 offset) const { return m_displayBase + offset; }
    // Hex digits of the offset column: enough for the largest offset shown,
    // at least 4, rounded up to an even count.
    [[nodiscard]] int offsetDigits() const;
    // The offset column's text for a source offset, zero-padded, lower case.
    [[nodiscard]] QString offsetText(quint64 offset) const;
    // The header's label over a column: the low hex digit pair of the offsets
    // shown in it, which start at 00 only when displayBase is a multiple of 16.
    [[nodiscard]] QString columnLabel(int column) const;

    // Scrolling. `pageRows` is how many rows fit in the viewport (>= 1); the
    // last row may scroll up to the bottom edge, no further.
    [[nodiscard]] quint64 maxFirstRow(quint64 pageRows) const;
    [[nodiscard]] bool scrollScaled(quint64 pageRows) const;
    [[nodiscard]] int scrollMaximum(quint64 pageRows) const;
    [[nodiscard]] int scrollValueForRow(quint64 firstRow, quint64 pageRows) const;
    [[nodiscard]] quint64 rowForScrollValue(int value, quint64 pageRows) const;

    // What a person typed into "go to offset": a number as the offset column
    // shows it (hex with 0x, or decimal), or with a leading '+' a count from
    // the first byte. Returns the source offset, or nullopt with `error` set
    // when the text is no number or points outside the bytes.
    [[nodiscard]] std::optional<quint64> parseOffset(const QString &text, QString *error = nullptr) const;

private:
    quint64 m_size = 0;
    quint64 m_displayBase = 0;
};

} // namespace shardscope
