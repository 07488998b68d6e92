// A picture of the pack from its first byte to its last: live, dead,
// uncommitted, overlapping and free ranges in distinct colours with a legend,
// the selected slot's bytes outlined. Many ranges can share a pixel column;
// the column then shows the most important kind among them (overlap >
// uncommitted > live > dead > free) so that damage never disappears at any
// width. Columns are worked out on resize and on a new layout, so painting
// costs the same for ten slots as for a million.
#pragma once

#include "pack_layout.h"

#include <QWidget>

#include <optional>
#include <vector>

namespace shardscope {

class PackMapWidget : public QWidget
{
    Q_OBJECT

public:
    explicit PackMapWidget(QWidget *parent = nullptr);

    // Not owned; must stay alive until replaced or cleared with nullptr. Call
    // again after changing the layout in place: the columns are cached.
    // (Not named setLayout: QWidget::setLayout(QLayout *) would make
    // setLayout(nullptr) ambiguous.)
    void setPackLayout(const PackLayout *layout);
    [[nodiscard]] const PackLayout *packLayout() const { return m_layout; }

    void setSelectedSlot(std::optional<quint32> slot);
    [[nodiscard]] std::optional<quint32> selectedSlot() const { return m_selected; }

    // The rectangle the pack is drawn in, in widget coordinates.
    [[nodiscard]] QRect barRect() const;
    // The range a pixel column stands for; nullopt outside the bar.
    [[nodiscard]] std::optional<size_t> rangeAtX(int x) const;
    // Index of the range under the mouse, -1 when none.
    [[nodiscard]] qsizetype hoveredRange() const { return m_hovered; }
    // What the tooltip says about a range: slot(s), kind, [start, end), length.
    [[nodiscard]] QString rangeDescription(size_t index) const;

    [[nodiscard]] static QString kindName(PackLayout::Kind kind);
    // Distinct on light and dark palettes alike.
    [[nodiscard]] static QColor kindColor(PackLayout::Kind kind, const QPalette &palette);

    [[nodiscard]] QSize sizeHint() const override;
    [[nodiscard]] QSize minimumSizeHint() const override;

Q_SIGNALS:
    // A click on a range that belongs to a slot (for a dead range: the one
    // tombstone it can be traced to).
    void slotClicked(quint32 slot);
    // -1 when the mouse leaves the bar or no layout is shown.
    void hoveredRangeChanged(qsizetype index);

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void rebuildColumns();
    void setHovered(qsizetype index);
    [[nodiscard]] int legendHeight() const;
    void paintLegend(QPainter &painter, const QRect &area) const;
    void paintAxis(QPainter &painter, const QRect &area) const;

    const PackLayout *m_layout = nullptr;
    std::vector<PackLayout::Column> m_columns;
    std::optional<quint32> m_selected;
    qsizetype m_hovered = -1;
};

} // namespace shardscope
