#include "pack_map_widget.h"

#include <QHelpEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <limits>

namespace shardscope {

namespace {

constexpr int kMargin = 6;
constexpr int kBarHeight = 26;
constexpr int kMarkerHeight = 6; // the selected slot's marker below the bar
constexpr int kAxisHeight = 16;
constexpr int kSwatch = 11;

constexpr PackLayout::Kind kLegendOrder[] = {PackLayout::Kind::Live, PackLayout::Kind::Dead,
    PackLayout::Kind::Uncommitted, PackLayout::Kind::Overlap, PackLayout::Kind::Free};

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 128;
}

QColor blend(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t), float(a.greenF() * (1 - t) + b.greenF() * t),
        float(a.blueF() * (1 - t) + b.blueF() * t));
}

QString byteCount(uint64_t n)
{
    return QLocale().formattedDataSize(qint64(n), n < 1024 ? 0 : 1, QLocale::DataSizeIecFormat);
}

} // namespace

PackMapWidget::PackMapWidget(QWidget *parent) : QWidget(parent)
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setAccessibleName(tr("Pack map"));
}

void PackMapWidget::setPackLayout(const PackLayout *layout)
{
    m_layout = layout;
    rebuildColumns();
    setHovered(-1);
    updateGeometry();
    update();
}

void PackMapWidget::setSelectedSlot(std::optional<quint32> slot)
{
    if (m_selected == slot)
        return;
    m_selected = slot;
    update();
}

QString PackMapWidget::kindName(PackLayout::Kind kind)
{
    switch (kind) {
    case PackLayout::Kind::Free:
        return tr("free");
    case PackLayout::Kind::Dead:
        return tr("dead");
    case PackLayout::Kind::Live:
        return tr("live");
    case PackLayout::Kind::Uncommitted:
        return tr("uncommitted");
    case PackLayout::Kind::Overlap:
        return tr("overlap");
    }
    return {};
}

QColor PackMapWidget::kindColor(PackLayout::Kind kind, const QPalette &palette)
{
    const bool dark = isDark(palette);
    switch (kind) {
    case PackLayout::Kind::Free:
        // Near the background, so that the used part of the pack stands out.
        return blend(palette.color(QPalette::Base), palette.color(QPalette::Text), dark ? 0.12 : 0.07);
    case PackLayout::Kind::Dead:
        return dark ? QColor(0x7a, 0x7f, 0x87) : QColor(0x9a, 0xa0, 0xa6);
    case PackLayout::Kind::Live:
        return dark ? QColor(0x4f, 0x94, 0xe8) : QColor(0x2f, 0x6f, 0xc8);
    case PackLayout::Kind::Uncommitted:
        return dark ? QColor(0xf0, 0xb4, 0x50) : QColor(0xe0, 0x95, 0x20);
    case PackLayout::Kind::Overlap:
        return dark ? QColor(0xf2, 0x60, 0x55) : QColor(0xd0, 0x24, 0x1c);
    }
    return {};
}

QSize PackMapWidget::sizeHint() const
{
    return {480, minimumSizeHint().height()};
}

QSize PackMapWidget::minimumSizeHint() const
{
    return {120, kMargin + kBarHeight + kMarkerHeight + kAxisHeight + legendHeight() + kMargin};
}

int PackMapWidget::legendHeight() const
{
    return fontMetrics().height() + 4;
}

QRect PackMapWidget::barRect() const
{
    return QRect(kMargin, kMargin, std::max(1, width() - 2 * kMargin), kBarHeight);
}

void PackMapWidget::rebuildColumns()
{
    m_columns.clear();
    if (m_layout)
        m_columns = m_layout->columns(barRect().width());
}

std::optional<size_t> PackMapWidget::rangeAtX(int x) const
{
    const QRect bar = barRect();
    if (m_columns.empty() || x < bar.left() || x > bar.right())
        return std::nullopt;
    const auto column = size_t(x - bar.left());
    if (column >= m_columns.size())
        return std::nullopt;
    return m_columns[column].range;
}

QString PackMapWidget::rangeDescription(size_t index) const
{
    if (!m_layout || index >= m_layout->ranges().size())
        return {};
    const PackLayout::Range &r = m_layout->ranges()[index];
    const auto owners = m_layout->owners(r);
    QStringList numbers;
    for (uint32_t s : owners)
        numbers << QString::number(s);
    QString list = numbers.join(QStringLiteral(", "));
    if (r.slotTotal > owners.size())
        list += tr(" and %1 more").arg(r.slotTotal - owners.size());

    const QString span
        = tr("[%1, %2) · %3 bytes").arg(r.start).arg(r.end).arg(QLocale().toString(qulonglong(r.length())));
    switch (r.kind) {
    case PackLayout::Kind::Live:
        return tr("slot %1 · live · %2").arg(list, span);
    case PackLayout::Kind::Uncommitted:
        return tr("%1 %2 · uncommitted · %3").arg(owners.size() == 1 ? tr("slot") : tr("slots"), list, span);
    case PackLayout::Kind::Overlap:
        return tr("slots %1 · overlap · %2").arg(list, span);
    case PackLayout::Kind::Dead:
        if (r.slotTotal == 0)
            return tr("dead · %1 · referenced by no slot, and no tombstone lies between its neighbours").arg(span);
        return tr("dead · %1 · probably the data of tombstone %2 %3")
            .arg(span, r.slotTotal == 1 ? tr("slot") : tr("slots"), list);
    case PackLayout::Kind::Free:
        return tr("free · %1 · past the furthest entry").arg(span);
    }
    return {};
}

void PackMapWidget::setHovered(qsizetype index)
{
    if (m_hovered == index)
        return;
    m_hovered = index;
    Q_EMIT hoveredRangeChanged(index);
}

bool PackMapWidget::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const auto index = rangeAtX(help->pos().x());
        if (!index || !barRect().adjusted(0, 0, 0, kMarkerHeight).contains(help->pos())) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        QString text = rangeDescription(*index);
        // Say when the pixel stands for more than the range it names.
        const QRect bar = barRect();
        const int column = help->pos().x() - bar.left();
        const uint64_t start = m_layout->columnStart(column, int(m_columns.size()));
        const uint64_t end = std::max(m_layout->columnStart(column + 1, int(m_columns.size())), start + 1);
        const auto first = m_layout->rangeAt(start);
        const auto last = m_layout->rangeAt(std::min(end, m_layout->packSize()) - 1);
        if (first && last && *last > *first)
            text += QLatin1Char('\n')
                + tr("this pixel covers %1 ranges, bytes [%2, %3)").arg(*last - *first + 1).arg(start).arg(end);
        QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(event);
}

void PackMapWidget::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    rebuildColumns();
}

void PackMapWidget::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        updateGeometry();
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange)
        update();
}

void PackMapWidget::mouseMoveEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    const auto index = barRect().adjusted(0, 0, 0, kMarkerHeight).contains(pos) ? rangeAtX(pos.x()) : std::nullopt;
    setHovered(index ? qsizetype(*index) : -1);
    QWidget::mouseMoveEvent(event);
}

void PackMapWidget::leaveEvent(QEvent *event)
{
    setHovered(-1);
    QWidget::leaveEvent(event);
}

void PackMapWidget::mousePressEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    if (event->button() != Qt::LeftButton || !barRect().adjusted(0, 0, 0, kMarkerHeight).contains(pos)) {
        QWidget::mousePressEvent(event);
        return;
    }
    const auto index = rangeAtX(pos.x());
    if (!index)
        return;
    if (const auto slot = m_layout->primarySlot(m_layout->ranges()[*index]))
        Q_EMIT slotClicked(*slot);
}

void PackMapWidget::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const QPalette &pal = palette();
    const QRect bar = barRect();

    painter.fillRect(bar, kindColor(PackLayout::Kind::Free, pal));
    if (!m_layout || m_columns.empty()) {
        painter.setPen(pal.color(QPalette::PlaceholderText));
        painter.drawText(bar, Qt::AlignCenter, m_layout ? tr("The pack is empty") : tr("No shard"));
    } else {
        // One rectangle per run of equal columns: at most one per pixel.
        const int n = int(m_columns.size());
        for (int c = 0; c < n;) {
            const PackLayout::Kind kind = m_columns[size_t(c)].kind;
            int e = c + 1;
            while (e < n && m_columns[size_t(e)].kind == kind)
                ++e;
            const QRect run(bar.left() + c, bar.top(), e - c, bar.height());
            painter.fillRect(run, kindColor(kind, pal));
            // Dead space is hatched as well, so it still differs from free
            // space where colours are hard to tell apart.
            if (kind == PackLayout::Kind::Dead)
                painter.fillRect(
                    run, QBrush(blend(kindColor(kind, pal), pal.color(QPalette::Base), 0.55), Qt::BDiagPattern));
            c = e;
        }
    }
    painter.setPen(pal.color(QPalette::Mid));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(bar.adjusted(0, 0, -1, -1));

    if (m_layout && m_selected && !m_columns.empty()) {
        if (const auto extent = m_layout->extentOf(*m_selected)) {
            const int n = int(m_columns.size());
            const int c0 = m_layout->columnOf(extent->start, n);
            const int c1 = m_layout->columnOf(extent->end - 1, n);
            // At least a few pixels wide, so a 1-byte entry in a 64 MiB pack
            // can still be found.
            int left = bar.left() + c0;
            int right = bar.left() + c1 + 1;
            if (right - left < 3) {
                const int mid = (left + right) / 2;
                left = std::max(bar.left(), mid - 1);
                right = std::min(bar.right() + 1, mid + 2);
            }
            const QColor hl = pal.color(QPalette::Highlight);
            painter.setPen(QPen(pal.color(QPalette::Text), 1));
            painter.setBrush(Qt::NoBrush);
            painter.drawRect(QRect(left - 1, bar.top() - 1, right - left + 1, bar.height() + 1));
            painter.setPen(QPen(hl, 2));
            painter.drawRect(QRect(left, bar.top() + 1, right - left - 1, bar.height() - 3));
            const int mid = (left + right) / 2;
            const QPoint tri[] = {{mid, bar.bottom() + 2}, {mid - 5, bar.bottom() + 2 + kMarkerHeight},
                {mid + 5, bar.bottom() + 2 + kMarkerHeight}};
            painter.setPen(Qt::NoPen);
            painter.setBrush(hl);
            painter.drawPolygon(tri, 3);
            painter.setBrush(Qt::NoBrush);
        }
    }

    const QRect axis(bar.left(), bar.bottom() + 1 + kMarkerHeight, bar.width(), kAxisHeight);
    paintAxis(painter, axis);
    const QRect legend(bar.left(), axis.bottom() + 2, bar.width(), legendHeight());
    paintLegend(painter, legend);
}

void PackMapWidget::paintAxis(QPainter &painter, const QRect &area) const
{
    if (!m_layout || m_layout->packSize() == 0)
        return;
    const QPalette &pal = palette();
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.85));
    painter.setFont(small);
    painter.setPen(pal.color(QPalette::PlaceholderText));
    const QFontMetrics fm(small);
    // Ticks at quarters; labels only where they do not collide.
    int lastRight = std::numeric_limits<int>::min();
    for (int q = 0; q <= 4; ++q) {
        const int x = area.left() + int(int64_t(area.width() - 1) * q / 4);
        painter.drawLine(x, area.top(), x, area.top() + 3);
        const QString label = byteCount(m_layout->packSize() * uint64_t(q) / 4);
        const int w = fm.horizontalAdvance(label);
        int lx = q == 0 ? x : q == 4 ? x - w : x - w / 2;
        if (lx <= lastRight + 8)
            continue;
        painter.drawText(QRect(lx, area.top() + 3, w, area.height() - 3), Qt::AlignLeft | Qt::AlignVCenter, label);
        lastRight = lx + w;
    }
    painter.setFont(font());
}

void PackMapWidget::paintLegend(QPainter &painter, const QRect &area) const
{
    const QPalette &pal = palette();
    const QFontMetrics fm = fontMetrics();
    int x = area.left();
    const int cy = area.center().y();
    for (PackLayout::Kind kind : kLegendOrder) {
        QString label = kindName(kind);
        if (m_layout)
            label += QLatin1Char(' ') + byteCount(m_layout->bytesOf(kind));
        const QRect swatch(x, cy - kSwatch / 2, kSwatch, kSwatch);
        painter.fillRect(swatch, kindColor(kind, pal));
        if (kind == PackLayout::Kind::Dead)
            painter.fillRect(
                swatch, QBrush(blend(kindColor(kind, pal), pal.color(QPalette::Base), 0.55), Qt::BDiagPattern));
        painter.setPen(pal.color(QPalette::Mid));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(swatch.adjusted(0, 0, -1, -1));
        painter.setPen(pal.color(QPalette::WindowText));
        const int w = fm.horizontalAdvance(label);
        painter.drawText(QRect(x + kSwatch + 4, area.top(), w, area.height()), Qt::AlignLeft | Qt::AlignVCenter, label);
        x += kSwatch + 4 + w + 14;
    }
    if (m_layout && !m_layout->outOfBounds().empty()) {
        const QString note = tr("%n slot(s) point past the pack's end", nullptr, int(m_layout->outOfBounds().size()));
        painter.setPen(kindColor(PackLayout::Kind::Overlap, pal));
        painter.drawText(QRect(x, area.top(), std::max(0, area.right() - x), area.height()),
            Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(note, Qt::ElideRight, std::max(0, area.right() - x)));
    }
}

} // namespace shardscope
