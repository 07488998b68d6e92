#include "hex_view.h"

#include "hex_source.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QFontDatabase>
#include <QHelpEvent>
#include <QInputDialog>
#include <QKeyEvent>
#include <QMenu>
#include <QPainter>
#include <QScrollBar>
#include <QTimer>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace shardscope {

namespace {

constexpr int kRow = HexLayout::kBytesPerRow;
// Characters from a row's first hex digit to just past its last one: 16 pairs,
// 15 separating spaces and the extra space between the two groups of 8.
constexpr int kHexChars = kRow * 3 - 1 + 1;

// Foreground classes of a byte; each is drawn as one string per row.
enum Ink : char { InkNormal, InkZero, InkUnreadable, InkSelected, InkCount };

int hexColumnChar(int column)
{
    return column * 3 + (column >= HexLayout::kGroupSize ? 1 : 0);
}

QColor mix(const QColor &a, const QColor &b, qreal t)
{
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t),
        float(a.greenF() + (b.greenF() - a.greenF()) * t), float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

char asciiOf(uchar b)
{
    return b >= 0x20 && b < 0x7f ? char(b) : '.';
}

} // namespace

HexView::HexView(QWidget *parent) : QAbstractScrollArea(parent)
{
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setFocusPolicy(Qt::StrongFocus);
    viewport()->setMouseTracking(true);
    m_dragScroll = new QTimer(this);
    m_dragScroll->setInterval(40);
    connect(m_dragScroll, &QTimer::timeout, this, &HexView::dragScrollStep);
    viewport()->setAutoFillBackground(false);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);

    auto makeAction = [this](const QString &text, const QKeySequence &keys, auto slot) {
        auto *action = new QAction(text, this);
        action->setShortcut(keys);
        // Shown in the menu only: keyPressEvent handles the keys, see handlesShortcut().
        action->setShortcutContext(Qt::WidgetShortcut);
        connect(action, &QAction::triggered, this, slot);
        return action;
    };
    m_copyHexAction = makeAction(tr("Copy as &Hex"), QKeySequence::Copy, [this] { copyHex(); });
    m_copyTextAction
        = makeAction(tr("Copy as &Text"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C), [this] { copyText(); });
    m_selectAllAction = makeAction(tr("Select &All"), QKeySequence::SelectAll, [this] { selectAll(); });
    m_goToAction = makeAction(tr("&Go to Offset…"), QKeySequence(Qt::CTRL | Qt::Key_G), [this] { showGoToDialog(); });
    m_copyHexAction->setIcon(QIcon::fromTheme(QStringLiteral("edit-copy")));
    m_selectAllAction->setIcon(QIcon::fromTheme(QStringLiteral("edit-select-all")));
    m_goToAction->setIcon(QIcon::fromTheme(QStringLiteral("go-jump")));

    connect(verticalScrollBar(), &QAbstractSlider::actionTriggered, this, [this](int action) {
        // When rows outnumber the scroll bar's steps, one step is many rows;
        // arrows and page clicks still move by one row and one page.
        if (!m_layout.scrollScaled(quint64(pageRows())))
            return;
        quint64 row = m_firstRow;
        const quint64 page = quint64(pageRows());
        switch (action) {
        case QAbstractSlider::SliderSingleStepAdd:
            row += 1;
            break;
        case QAbstractSlider::SliderSingleStepSub:
            row -= std::min<quint64>(row, 1);
            break;
        case QAbstractSlider::SliderPageStepAdd:
            row += page;
            break;
        case QAbstractSlider::SliderPageStepSub:
            row -= std::min(row, page);
            break;
        default:
            return;
        }
        setFirstRow(row);
        verticalScrollBar()->setSliderPosition(verticalScrollBar()->value());
    });

    updateMetrics();
    updateActions();
}

HexView::~HexView() = default;

// --- content ---------------------------------------------------------------

void HexView::setSource(std::shared_ptr<const HexSource> source, quint64 displayBase)
{
    const quint64 oldStart = selectionStart();
    const quint64 oldLength = selectionLength();
    const quint64 oldCursor = m_cursor;
    m_source = std::move(source);
    m_layout = HexLayout(m_source ? m_source->size() : 0, displayBase);
    m_cursor = m_anchor = 0;
    m_highlightStart = m_highlightLength = 0;
    m_fieldRanges.clear();
    m_hovered.reset();
    m_firstRow = 0;
    m_horizontalOffset = 0;
    updateScrollBars();
    updateActions();
    viewport()->update();
    emitIfSelectionChanged(oldStart, oldLength, oldCursor);
}

void HexView::clear()
{
    setSource(nullptr);
}

void HexView::setHighlight(quint64 start, quint64 length)
{
    start = std::min(start, size());
    m_highlightStart = start;
    m_highlightLength = std::min(length, size() - start);
    viewport()->update();
}

void HexView::clearHighlight()
{
    setHighlight(0, 0);
}

void HexView::setFieldRanges(QList<HexFieldRange> ranges)
{
    std::sort(ranges.begin(), ranges.end(), [](const auto &a, const auto &b) { return a.start < b.start; });
    m_fieldRanges = std::move(ranges);
    viewport()->update();
}

void HexView::setFieldAnnotator(HexFieldAnnotator annotator)
{
    m_annotator = std::move(annotator);
}

QColor HexView::fieldTint(int index, const QPalette &palette)
{
    // Away from the blue that most palettes highlight with, so a tinted field
    // does not look selected or highlighted.
    static constexpr int hues[] = {35, 130, 290, 60, 0, 165};
    const QColor base = palette.color(QPalette::Base);
    const QColor hue = QColor::fromHsv(hues[std::abs(index) % std::size(hues)], 200, 230);
    return mix(base, hue, isDark(palette) ? 0.30 : 0.22);
}

// --- selection -------------------------------------------------------------

quint64 HexView::selectionStart() const
{
    return std::min(m_cursor, m_anchor);
}

quint64 HexView::selectionLength() const
{
    return size() == 0 ? 0 : std::max(m_cursor, m_anchor) - std::min(m_cursor, m_anchor) + 1;
}

void HexView::setCursorOffset(quint64 offset, bool extendSelection)
{
    moveCursorTo(offset, extendSelection);
}

void HexView::setSelection(quint64 start, quint64 length)
{
    if (size() == 0)
        return;
    const quint64 oldStart = selectionStart();
    const quint64 oldLength = selectionLength();
    const quint64 oldCursor = m_cursor;
    m_anchor = std::min(start, size() - 1);
    m_cursor = length == 0 ? m_anchor : std::min(size() - 1, m_anchor + std::min(length - 1, size() - 1 - m_anchor));
    ensureVisible(m_cursor);
    viewport()->update();
    emitIfSelectionChanged(oldStart, oldLength, oldCursor);
}

void HexView::selectAll()
{
    if (size() == 0)
        return;
    const quint64 oldStart = selectionStart();
    const quint64 oldLength = selectionLength();
    const quint64 oldCursor = m_cursor;
    m_anchor = 0;
    m_cursor = size() - 1;
    viewport()->update();
    emitIfSelectionChanged(oldStart, oldLength, oldCursor);
}

void HexView::moveCursorTo(quint64 offset, bool extend)
{
    if (size() == 0)
        return;
    const quint64 oldStart = selectionStart();
    const quint64 oldLength = selectionLength();
    const quint64 oldCursor = m_cursor;
    m_cursor = std::min(offset, size() - 1);
    if (!extend)
        m_anchor = m_cursor;
    ensureVisible(m_cursor);
    viewport()->update();
    emitIfSelectionChanged(oldStart, oldLength, oldCursor);
}

void HexView::emitIfSelectionChanged(quint64 oldStart, quint64 oldLength, quint64 oldCursor)
{
    updateActions();
    if (selectionStart() != oldStart || selectionLength() != oldLength)
        Q_EMIT selectionChanged(selectionStart(), selectionLength());
    if (m_cursor != oldCursor)
        Q_EMIT cursorMoved(m_cursor);
}

void HexView::updateActions()
{
    const quint64 length = selectionLength();
    const bool copyable = length > 0 && length <= kCopyLimit;
    m_copyHexAction->setEnabled(copyable);
    m_copyTextAction->setEnabled(copyable);
    const QString tip
        = length > kCopyLimit ? tr("The selection is larger than %1 MiB.").arg(kCopyLimit >> 20) : QString();
    m_copyHexAction->setToolTip(tip);
    m_copyTextAction->setToolTip(tip);
    m_selectAllAction->setEnabled(size() > 0);
    m_goToAction->setEnabled(size() > 0);
}

QByteArray HexView::readSelection() const
{
    const quint64 length = selectionLength();
    if (!m_source || length == 0 || length > kCopyLimit)
        return {};
    QByteArray bytes(qsizetype(length), Qt::Uninitialized);
    if (!m_source->read(selectionStart(), qint64(length), bytes.data()))
        return {};
    return bytes;
}

QString HexView::selectionAsHex() const
{
    return QString::fromLatin1(readSelection().toHex(' '));
}

namespace {

QString asText(const QByteArray &bytes)
{
    QString text = QString::fromUtf8(bytes);
    for (QChar &c : text) {
        const char16_t u = c.unicode();
        if ((u < 0x20 && u != u'\t' && u != u'\n' && u != u'\r') || u == 0x7f)
            c = QLatin1Char('.');
    }
    return text;
}

} // namespace

QString HexView::selectionAsText() const
{
    return asText(readSelection());
}

bool HexView::copyHex()
{
    const QString text = selectionAsHex();
    if (text.isEmpty())
        return false;
    QGuiApplication::clipboard()->setText(text);
    return true;
}

bool HexView::copyText()
{
    const QByteArray bytes = readSelection();
    if (bytes.isEmpty())
        return false;
    QGuiApplication::clipboard()->setText(asText(bytes));
    return true;
}

bool HexView::goToOffset(const QString &text, QString *error)
{
    const auto offset = m_layout.parseOffset(text, error);
    if (!offset)
        return false;
    moveCursorTo(*offset, false);
    return true;
}

void HexView::showGoToDialog()
{
    if (size() == 0)
        return;
    const QString prompt = tr("Offset as the offset column shows it (hex as 0x1f40, or decimal);\n"
                              "+N counts from the first byte (0x%1):")
                               .arg(m_layout.offsetText(0));
    QString label = prompt;
    QString text = QStringLiteral("0x") + QString::number(m_layout.displayed(m_cursor), 16);
    while (true) {
        bool ok = false;
        text = QInputDialog::getText(this, tr("Go to Offset"), label, QLineEdit::Normal, text, &ok);
        if (!ok)
            return;
        QString error;
        if (goToOffset(text, &error))
            return;
        label = error + QStringLiteral("\n\n") + prompt;
    }
}

// --- geometry --------------------------------------------------------------

void HexView::updateMetrics()
{
    const QFontMetricsF fm(font());
    m_charWidth = fm.horizontalAdvance(QLatin1Char('0'));
    m_rowHeight = int(std::ceil(fm.height())) + 2;
    m_ascent = int(std::ceil(fm.ascent())) + 1;
    updateScrollBars();
    viewport()->update();
}

qreal HexView::byteX(int column) const
{
    // margin, offset column, two spaces
    const qreal hexStart = m_charWidth * (1 + m_layout.offsetDigits() + 2);
    return hexStart + m_charWidth * hexColumnChar(column) - m_horizontalOffset;
}

qreal HexView::asciiX(int column) const
{
    return byteX(0) + m_charWidth * (kHexChars + 2 + column);
}

int HexView::rowTop(quint64 row) const
{
    // Row 0 of the viewport is the column header.
    return int(row - m_firstRow + 1) * m_rowHeight;
}

int HexView::pageRows() const
{
    return std::max(1, viewport()->height() / m_rowHeight - 1);
}

bool HexView::isRowVisible(quint64 row) const
{
    return row < m_layout.rowCount() && row >= m_firstRow && row - m_firstRow < quint64(pageRows());
}

QRect HexView::byteRect(quint64 offset, bool ascii) const
{
    const quint64 row = HexLayout::rowOf(offset);
    if (offset >= size() || row < m_firstRow || row - m_firstRow > quint64(pageRows()))
        return {};
    const int column = HexLayout::columnOf(offset);
    const qreal x = ascii ? asciiX(column) : byteX(column);
    const qreal w = m_charWidth * (ascii ? 1 : 2);
    return QRectF(x, rowTop(row), w, m_rowHeight).toAlignedRect();
}

std::optional<quint64> HexView::offsetAt(QPoint pos) const
{
    return offsetAt(pos, false, nullptr);
}

std::optional<quint64> HexView::offsetAt(QPoint pos, bool clampToRow, Area *area) const
{
    if (area)
        *area = Area::None;
    if (size() == 0)
        return std::nullopt;
    const int top = m_rowHeight;
    if (!clampToRow && (pos.y() < top || pos.y() >= viewport()->height()))
        return std::nullopt;
    const qint64 rowsDown = pos.y() < top ? -1 : (pos.y() - top) / m_rowHeight;
    quint64 row = rowsDown < 0 ? (m_firstRow > 0 ? m_firstRow - 1 : 0) : m_firstRow + quint64(rowsDown);
    const qreal x = pos.x();
    const qreal hexLeft = byteX(0) - m_charWidth / 2;
    const qreal hexRight = byteX(kRow - 1) + m_charWidth * 2.5;
    const qreal asciiLeft = asciiX(0);
    const qreal asciiRight = asciiX(kRow);
    int column = -1;
    Area where = Area::None;
    if (x >= hexLeft && x < hexRight) {
        for (int c = kRow - 1; c >= 0; --c) {
            if (x >= byteX(c) - m_charWidth / 2) {
                // The gap between the groups belongs to neither byte.
                if (x < byteX(c) + m_charWidth * 2.5)
                    column = c;
                break;
            }
        }
        where = Area::Hex;
    } else if (x >= asciiLeft && x < asciiRight) {
        column = int((x - asciiLeft) / m_charWidth);
        where = Area::Ascii;
    }
    if (clampToRow && column < 0) {
        if (x < hexLeft) {
            column = 0;
            where = Area::Offset;
        } else if (x < (hexRight + asciiLeft) / 2) {
            // The nearest byte's digits: in the gap between the groups, or right of them.
            qreal best = 0;
            for (int c = 0; c < kRow; ++c) {
                const qreal distance = std::abs(x - (byteX(c) + m_charWidth));
                if (column < 0 || distance < best) {
                    best = distance;
                    column = c;
                }
            }
            where = Area::Hex;
        } else {
            column = std::clamp(int(std::floor((x - asciiLeft) / m_charWidth)), 0, kRow - 1);
            where = Area::Ascii;
        }
    }
    if (column < 0)
        return std::nullopt;
    const quint64 lastRow = m_layout.rowCount() - 1;
    if (row > lastRow) {
        if (!clampToRow)
            return std::nullopt;
        row = lastRow;
    }
    quint64 offset = HexLayout::rowStart(row) + quint64(column);
    if (offset >= size()) {
        if (!clampToRow)
            return std::nullopt;
        offset = size() - 1;
    }
    if (area)
        *area = where;
    return offset;
}

QString HexView::toolTipAt(QPoint pos) const
{
    const auto offset = offsetAt(pos);
    if (!offset)
        return {};
    QString value = QStringLiteral("??");
    char byte = 0;
    if (m_source && m_source->read(*offset, 1, &byte))
        value = QStringLiteral("0x%1 (%2)").arg(uchar(byte), 2, 16, QLatin1Char('0')).arg(uchar(byte));
    const quint64 shown = m_layout.displayed(*offset);
    QString text = tr("Offset 0x%1 (%2), byte %3").arg(QString::number(shown, 16)).arg(shown).arg(value);
    if (m_annotator) {
        const QString field = m_annotator(*offset);
        if (!field.isEmpty())
            text = field + QLatin1Char('\n') + text;
    }
    return text;
}

QSize HexView::sizeHint() const
{
    const int width = int(std::ceil(asciiX(kRow) + m_horizontalOffset + m_charWidth)) + 2 * frameWidth()
        + verticalScrollBar()->sizeHint().width();
    return {width, m_rowHeight * 21 + 2 * frameWidth()};
}

QSize HexView::minimumSizeHint() const
{
    return {int(m_charWidth * 24), m_rowHeight * 4};
}

// --- scrolling -------------------------------------------------------------

void HexView::updateScrollBars()
{
    const quint64 page = quint64(pageRows());
    QScrollBar *v = verticalScrollBar();
    m_settingScrollBar = true;
    const bool scaled = m_layout.scrollScaled(page);
    v->setRange(0, m_layout.scrollMaximum(page));
    v->setPageStep(scaled ? std::max(1, int(quint64(HexLayout::kScaledScrollSteps) * page / m_layout.maxFirstRow(page)))
                          : int(page));
    v->setSingleStep(1);
    m_firstRow = std::min(m_firstRow, m_layout.maxFirstRow(page));
    v->setValue(m_layout.scrollValueForRow(m_firstRow, page));

    QScrollBar *h = horizontalScrollBar();
    const int contentWidth = int(std::ceil(asciiX(kRow) + m_horizontalOffset + m_charWidth));
    h->setRange(0, std::max(0, contentWidth - viewport()->width()));
    h->setPageStep(viewport()->width());
    h->setSingleStep(int(std::ceil(m_charWidth)));
    m_horizontalOffset = h->value();
    m_settingScrollBar = false;
}

void HexView::setFirstRow(quint64 row)
{
    const quint64 page = quint64(pageRows());
    row = std::min(row, m_layout.maxFirstRow(page));
    if (row == m_firstRow)
        return;
    m_firstRow = row;
    m_settingScrollBar = true;
    verticalScrollBar()->setValue(m_layout.scrollValueForRow(row, page));
    m_settingScrollBar = false;
    viewport()->update();
}

void HexView::scrollContentsBy(int, int)
{
    // The scroll bars moved (dragged, clicked, or set by us). Rows are not
    // pixels, so the viewport is repainted rather than scrolled.
    if (!m_settingScrollBar) {
        m_firstRow = m_layout.rowForScrollValue(verticalScrollBar()->value(), quint64(pageRows()));
        m_horizontalOffset = horizontalScrollBar()->value();
    }
    viewport()->update();
}

void HexView::ensureVisible(quint64 offset)
{
    if (size() == 0)
        return;
    const quint64 row = HexLayout::rowOf(std::min(offset, size() - 1));
    const quint64 page = quint64(pageRows());
    if (row < m_firstRow)
        setFirstRow(row);
    else if (row - m_firstRow >= page)
        setFirstRow(row - page + 1);
}

void HexView::scrollToHighlight()
{
    if (m_highlightLength == 0)
        return;
    const quint64 row = HexLayout::rowOf(m_highlightStart);
    if (!isRowVisible(row))
        setFirstRow(row > 0 ? row - 1 : 0);
}

void HexView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBars();
}

void HexView::wheelEvent(QWheelEvent *event)
{
    if (event->modifiers() & (Qt::ControlModifier | Qt::ShiftModifier)
        || std::abs(event->angleDelta().x()) > std::abs(event->angleDelta().y())) {
        QAbstractScrollArea::wheelEvent(event);
        return;
    }
    m_wheelRemainder += event->angleDelta().y();
    const int notches = m_wheelRemainder / 120;
    m_wheelRemainder -= notches * 120;
    const qint64 rows = qint64(notches) * QApplication::wheelScrollLines();
    if (rows > 0)
        setFirstRow(m_firstRow - std::min(m_firstRow, quint64(rows)));
    else if (rows < 0)
        setFirstRow(m_firstRow + quint64(-rows));
    event->accept();
}

// --- events ----------------------------------------------------------------

bool HexView::handlesShortcut(const QKeyEvent *event) const
{
    const auto combo = event->keyCombination();
    return event->matches(QKeySequence::Copy) || event->matches(QKeySequence::SelectAll)
        || combo == QKeyCombination(Qt::CTRL | Qt::SHIFT, Qt::Key_C) || combo == QKeyCombination(Qt::CTRL, Qt::Key_G);
}

bool HexView::event(QEvent *event)
{
    if (event->type() == QEvent::ShortcutOverride && handlesShortcut(static_cast<QKeyEvent *>(event))) {
        event->accept();
        return true;
    }
    return QAbstractScrollArea::event(event);
}

bool HexView::viewportEvent(QEvent *event)
{
    switch (event->type()) {
    case QEvent::ToolTip: {
        auto *help = static_cast<QHelpEvent *>(event);
        const QString text = toolTipAt(help->pos());
        if (text.isEmpty()) {
            QToolTip::hideText();
            event->ignore();
        } else {
            const auto offset = offsetAt(help->pos());
            QToolTip::showText(help->globalPos(), text, viewport(), offset ? byteRect(*offset) : QRect());
        }
        return true;
    }
    case QEvent::Leave:
        m_hovered.reset();
        break;
    default:
        break;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

void HexView::keyPressEvent(QKeyEvent *event)
{
    if (event->keyCombination() == QKeyCombination(Qt::CTRL | Qt::SHIFT, Qt::Key_C)) {
        if (!copyText())
            QApplication::beep();
        return;
    }
    if (event->matches(QKeySequence::Copy)) {
        if (!copyHex())
            QApplication::beep();
        return;
    }
    if (event->matches(QKeySequence::SelectAll)) {
        selectAll();
        return;
    }
    if (event->keyCombination() == QKeyCombination(Qt::CTRL, Qt::Key_G)) {
        showGoToDialog();
        return;
    }
    if (size() == 0) {
        QAbstractScrollArea::keyPressEvent(event);
        return;
    }
    const bool extend = event->modifiers() & Qt::ShiftModifier;
    const bool ctrl = event->modifiers() & Qt::ControlModifier;
    const quint64 last = size() - 1;
    const quint64 c = m_cursor;
    const quint64 page = quint64(pageRows()) * kRow;
    quint64 target = c;
    switch (event->key()) {
    case Qt::Key_Left:
        target = c > 0 ? c - 1 : 0;
        break;
    case Qt::Key_Right:
        target = std::min(last, c + 1);
        break;
    case Qt::Key_Up:
        target = c >= kRow ? c - kRow : c;
        break;
    case Qt::Key_Down:
        // To the same column of the next row, or the last byte when the next row is shorter.
        target = HexLayout::rowOf(c) < HexLayout::rowOf(last) ? std::min(last, c + kRow) : c;
        break;
    case Qt::Key_PageUp: {
        const quint64 step = std::min(page, c / kRow * kRow);
        target = c - step;
        setFirstRow(m_firstRow - std::min(m_firstRow, step / kRow));
        break;
    }
    case Qt::Key_PageDown: {
        const quint64 rowsDown = std::min(page / kRow, HexLayout::rowOf(last) - HexLayout::rowOf(c));
        target = std::min(last, c + rowsDown * kRow);
        setFirstRow(m_firstRow + rowsDown);
        break;
    }
    case Qt::Key_Home:
        target = ctrl ? 0 : HexLayout::rowStart(HexLayout::rowOf(c));
        break;
    case Qt::Key_End:
        target = ctrl ? last : std::min(last, HexLayout::rowStart(HexLayout::rowOf(c)) + kRow - 1);
        break;
    default:
        QAbstractScrollArea::keyPressEvent(event);
        return;
    }
    moveCursorTo(target, extend);
    event->accept();
}

void HexView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton) {
        QAbstractScrollArea::mousePressEvent(event);
        return;
    }
    event->accept();
    const auto offset = offsetAt(event->position().toPoint(), true, nullptr);
    if (!offset)
        return;
    m_selecting = true;
    moveCursorTo(*offset, event->modifiers() & Qt::ShiftModifier);
}

void HexView::mouseMoveEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    if (m_selecting && (event->buttons() & Qt::LeftButton)) {
        m_dragPos = pos;
        // Past the top (the header row) or the bottom edge: scroll on a
        // timer, so that holding the mouse still out there keeps going.
        const bool outside = pos.y() < m_rowHeight || pos.y() >= viewport()->height();
        if (outside && !m_dragScroll->isActive()) {
            m_dragScroll->start();
            dragScrollStep(); // scrolls and moves the cursor
            return;
        }
        if (!outside)
            m_dragScroll->stop();
        if (const auto offset = offsetAt(pos, true, nullptr))
            moveCursorTo(*offset, true);
        return;
    }
    const auto offset = offsetAt(pos);
    if (offset && offset != m_hovered)
        Q_EMIT byteHovered(*offset);
    m_hovered = offset;
}

void HexView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton) {
        QAbstractScrollArea::mouseReleaseEvent(event);
        return;
    }
    m_selecting = false;
    m_dragScroll->stop();
    event->accept();
}

void HexView::dragScrollStep()
{
    if (!m_selecting) {
        m_dragScroll->stop();
        return;
    }
    const int top = m_rowHeight;
    const int bottom = viewport()->height();
    // One row per step at the edge, one more for every row of distance, up
    // to a page: a long drag gets somewhere without overshooting a short one.
    const int page = std::max(1, pageRows());
    if (m_dragPos.y() < top) {
        const quint64 rows = quint64(std::min(page, 1 + (top - m_dragPos.y()) / std::max(1, m_rowHeight)));
        setFirstRow(m_firstRow > rows ? m_firstRow - rows : 0);
    } else if (m_dragPos.y() >= bottom) {
        const quint64 rows = quint64(std::min(page, 1 + (m_dragPos.y() - bottom) / std::max(1, m_rowHeight)));
        setFirstRow(m_firstRow + rows);
    } else {
        m_dragScroll->stop();
        return;
    }
    if (const auto offset = offsetAt(m_dragPos, true, nullptr))
        moveCursorTo(*offset, true);
}

void HexView::contextMenuEvent(QContextMenuEvent *event)
{
    // A right click outside the selection moves it to the clicked byte first.
    if (event->reason() == QContextMenuEvent::Mouse) {
        const auto offset = offsetAt(event->pos());
        if (offset && (*offset < selectionStart() || *offset - selectionStart() >= selectionLength()))
            moveCursorTo(*offset, false);
    }
    updateActions();
    QMenu menu(this);
    menu.addAction(m_copyHexAction);
    menu.addAction(m_copyTextAction);
    menu.addSeparator();
    menu.addAction(m_selectAllAction);
    menu.addAction(m_goToAction);
    menu.exec(event->globalPos());
}

void HexView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange)
        updateMetrics();
    else if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        viewport()->update();
    QAbstractScrollArea::changeEvent(event);
}

// --- painting --------------------------------------------------------------

const HexFieldRange *HexView::fieldRangeAt(quint64 offset, qsizetype *hint) const
{
    if (m_fieldRanges.isEmpty())
        return nullptr;
    qsizetype i = *hint;
    if (i < 0) {
        // The first range that ends after `offset` (ranges do not overlap).
        const auto it = std::partition_point(m_fieldRanges.cbegin(), m_fieldRanges.cend(),
            [offset](const HexFieldRange &r) { return r.start + r.length <= offset; });
        i = it - m_fieldRanges.cbegin();
    }
    while (i < m_fieldRanges.size() && m_fieldRanges[i].start + m_fieldRanges[i].length <= offset)
        ++i;
    *hint = i;
    if (i < m_fieldRanges.size() && m_fieldRanges[i].start <= offset)
        return &m_fieldRanges[i];
    return nullptr;
}

void HexView::paintEvent(QPaintEvent *event)
{
    QPainter p(viewport());
    const QPalette &pal = palette();
    const QColor base = pal.color(QPalette::Base);
    const QColor text = pal.color(QPalette::Text);
    const QColor dim = mix(base, text, 0.45);
    const QColor selectionBg = pal.color(QPalette::Highlight);
    const QColor highlightBg = mix(base, pal.color(QPalette::Highlight), isDark(pal) ? 0.40 : 0.28);
    const QColor ink[InkCount] = {text, dim, mix(base, text, 0.6), pal.color(QPalette::HighlightedText)};
    p.fillRect(event->rect(), base);
    p.setFont(font());

    const int width = viewport()->width();
    const qreal cw = m_charWidth;

    // Column header: the low byte of the offsets below each column.
    p.fillRect(QRect(0, 0, width, m_rowHeight), pal.color(QPalette::AlternateBase));
    p.setPen(dim);
    {
        QString hexHeader(kHexChars, QLatin1Char(' '));
        QString asciiHeader(kRow, QLatin1Char(' '));
        for (int c = 0; c < kRow; ++c) {
            const QString label = m_layout.columnLabel(c);
            hexHeader[hexColumnChar(c)] = label[0];
            hexHeader[hexColumnChar(c) + 1] = label[1];
            asciiHeader[c] = label[1];
        }
        p.drawText(QPointF(byteX(0), m_ascent), hexHeader);
        p.drawText(QPointF(asciiX(0), m_ascent), asciiHeader);
    }
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(0, m_rowHeight - 1, width, m_rowHeight - 1);

    if (!m_source || size() == 0)
        return;

    // The rows in view, and one partly shown below them.
    const quint64 rowCount = m_layout.rowCount();
    const quint64 firstRow = m_firstRow;
    const quint64 endRow = std::min(rowCount, firstRow + quint64(pageRows()) + 1);
    const quint64 firstByte = HexLayout::rowStart(firstRow);
    const quint64 endByte = std::min(size(), HexLayout::rowStart(endRow));
    const qsizetype count = qsizetype(endByte - firstByte);
    m_rowBytes.resize(count);
    m_rowValid.fill(1, count);
    if (!m_source->read(firstByte, count, m_rowBytes.data())) {
        // Something in view cannot be read: find out which bytes, a row and
        // then a byte at a time, and show the rest.
        for (qsizetype at = 0; at < count; at += kRow) {
            const qsizetype n = std::min<qsizetype>(kRow, count - at);
            if (m_source->read(firstByte + quint64(at), n, m_rowBytes.data() + at))
                continue;
            for (qsizetype i = at; i < at + n; ++i)
                m_rowValid[i] = char(m_source->read(firstByte + quint64(i), 1, m_rowBytes.data() + i));
        }
    }

    const quint64 selStart = selectionStart();
    const quint64 selLength = selectionLength();
    auto inRange
        = [](quint64 offset, quint64 start, quint64 length) { return offset >= start && offset - start < length; };
    static constexpr char hexDigits[] = "0123456789abcdef";
    qsizetype fieldHint = -1;
    const qreal hexLeftPad = cw / 2;
    QString inkHex[InkCount];
    QString inkAscii[InkCount];
    for (int i = 0; i < InkCount; ++i) {
        inkHex[i].resize(kHexChars);
        inkAscii[i].resize(kRow);
    }

    for (quint64 row = firstRow; row < endRow; ++row) {
        const int top = rowTop(row);
        const int baseline = top + m_ascent;
        const quint64 rowStart = HexLayout::rowStart(row);
        const int n = m_layout.bytesInRow(row);
        const qsizetype at = qsizetype(rowStart - firstByte);

        // A bar in the margin marks the rows of the highlighted range, which
        // a tint alone would not set apart from tinted fields.
        if (m_highlightLength > 0 && rowStart < m_highlightStart + m_highlightLength
            && m_highlightStart < rowStart + quint64(n)) {
            p.fillRect(QRectF(cw * 0.2 - m_horizontalOffset, top, std::max(2.0, cw * 0.4), m_rowHeight),
                pal.color(QPalette::Highlight));
        }

        const bool cursorRow = HexLayout::rowOf(m_cursor) == row;
        p.setPen(cursorRow ? text : dim);
        p.drawText(QPointF(cw - m_horizontalOffset, baseline), m_layout.offsetText(rowStart));

        // Backgrounds, one rectangle per run of bytes that share a colour.
        QColor runColour;
        int runStart = 0;
        auto fillRun = [&](int endColumn) {
            if (!runColour.isValid() || endColumn <= runStart)
                return;
            const qreal hx0 = byteX(runStart) - hexLeftPad;
            const qreal hx1 = byteX(endColumn - 1) + cw * 2 + hexLeftPad;
            p.fillRect(QRectF(hx0, top, hx1 - hx0, m_rowHeight), runColour);
            p.fillRect(QRectF(asciiX(runStart), top, cw * (endColumn - runStart), m_rowHeight), runColour);
        };
        bool inks[InkCount] = {};
        for (int i = 0; i < InkCount; ++i) {
            inkHex[i].fill(QLatin1Char(' '));
            inkAscii[i].fill(QLatin1Char(' '));
        }
        for (int c = 0; c < n; ++c) {
            const quint64 offset = rowStart + quint64(c);
            const bool selected = inRange(offset, selStart, selLength);
            QColor bg;
            if (selected)
                bg = selectionBg;
            else if (inRange(offset, m_highlightStart, m_highlightLength))
                bg = highlightBg;
            else if (const HexFieldRange *field = fieldRangeAt(offset, &fieldHint))
                bg = field->colour;
            if (bg != runColour) {
                fillRun(c);
                runColour = bg;
                runStart = c;
            }

            const bool valid = m_rowValid[at + c];
            const uchar b = uchar(m_rowBytes[at + c]);
            const Ink k = selected ? InkSelected : !valid ? InkUnreadable : b == 0 ? InkZero : InkNormal;
            inks[k] = true;
            const int hc = hexColumnChar(c);
            inkHex[k][hc] = QLatin1Char(valid ? hexDigits[b >> 4] : '?');
            inkHex[k][hc + 1] = QLatin1Char(valid ? hexDigits[b & 15] : '?');
            inkAscii[k][c] = QLatin1Char(valid ? asciiOf(b) : '?');
        }
        fillRun(n);

        for (int k = 0; k < InkCount; ++k) {
            if (!inks[k])
                continue;
            p.setPen(ink[k]);
            p.drawText(QPointF(byteX(0), baseline), inkHex[k]);
            p.drawText(QPointF(asciiX(0), baseline), inkAscii[k]);
        }

        if (cursorRow) {
            const int c = HexLayout::columnOf(m_cursor);
            QPen pen(hasFocus() ? pal.color(QPalette::Text) : dim);
            pen.setCosmetic(true);
            if (!hasFocus())
                pen.setStyle(Qt::DotLine);
            p.setPen(pen);
            p.setBrush(Qt::NoBrush);
            p.drawRect(QRectF(byteX(c) - 1, top, cw * 2 + 1, m_rowHeight - 1));
            p.drawRect(QRectF(asciiX(c), top, cw, m_rowHeight - 1));
        }
    }
}

} // namespace shardscope
