// A hex pane: offset, hex and ASCII columns over a HexSource, painting only
// the rows in view, so a 64 MiB pack or a 2^40-byte source costs the same to
// show as a 16-byte entry. Offsets in this API count from the source's first
// byte; the offset column shows them plus a display base, so an entry's bytes
// can be labelled with their offsets in the pack. Read-only: selection, copy,
// go to offset, a highlighted range, and field names in tooltips.
#pragma once

#include "hex_layout.h"

#include <QAbstractScrollArea>
#include <QColor>
#include <QList>
#include <QPoint>

#include <functional>
#include <memory>

class QAction;

class QTimer;

namespace shardscope {

class HexSource;

// A run of bytes tinted as one field (a slot's key, offset, length).
struct HexFieldRange {
    quint64 start = 0; // source offset
    quint64 length = 0;
    QColor colour;
};

// Names the field a byte belongs to ("slot 12: key byte 5"), given its
// source offset; an empty string for none.
using HexFieldAnnotator = std::function<QString(quint64 offset)>;

class HexView : public QAbstractScrollArea
{
    Q_OBJECT

public:
    // Selections larger than this are not copied to the clipboard (the hex
    // text is three times as large); the copy actions are disabled then.
    static constexpr quint64 kCopyLimit = quint64(16) << 20;

    explicit HexView(QWidget *parent = nullptr);
    ~HexView() override;

    // Shows these bytes; the first one is labelled `displayBase`. Keeps the
    // source alive while shown. Resets cursor, selection, highlight and
    // field ranges and scrolls to the top.
    void setSource(std::shared_ptr<const HexSource> source, quint64 displayBase = 0);
    // Shows nothing.
    void clear();
    [[nodiscard]] const HexSource *source() const { return m_source.get(); }
    [[nodiscard]] quint64 size() const { return m_layout.size(); }
    [[nodiscard]] quint64 displayBase() const { return m_layout.displayBase(); }
    [[nodiscard]] const HexLayout &layout() const { return m_layout; }

    // A range drawn tinted (the selected entry inside a whole pack).
    void setHighlight(quint64 start, quint64 length);
    void clearHighlight();
    [[nodiscard]] quint64 highlightStart() const { return m_highlightStart; }
    [[nodiscard]] quint64 highlightLength() const { return m_highlightLength; }
    // Scrolls as little as needed to bring the byte's row into view.
    void ensureVisible(quint64 offset);
    // Scrolls so the range's first row is in view, with a row of context
    // above it when the range starts below the top.
    void scrollToHighlight();

    // Tinted fields and their names for tooltips; both optional.
    void setFieldRanges(QList<HexFieldRange> ranges);
    void setFieldAnnotator(HexFieldAnnotator annotator);
    // A tint for field `index` (alternate 0, 1, 2 ...) that reads well on
    // this palette's base colour, light or dark.
    [[nodiscard]] static QColor fieldTint(int index, const QPalette &palette);

    // The cursor is one end of the selection, the anchor the other; both
    // bytes belong to it, so a non-empty source always has one selected.
    [[nodiscard]] quint64 cursorOffset() const { return m_cursor; }
    [[nodiscard]] quint64 selectionStart() const;
    [[nodiscard]] quint64 selectionLength() const;
    // Moves the cursor there, selecting only it (or from the anchor with extend).
    void setCursorOffset(quint64 offset, bool extendSelection = false);
    void setSelection(quint64 start, quint64 length);
    void selectAll();

    // The selection as "de ad be ef" and as text (UTF-8, control characters
    // other than tab and line breaks shown as '.'); empty above kCopyLimit or
    // when a byte cannot be read.
    [[nodiscard]] QString selectionAsHex() const;
    [[nodiscard]] QString selectionAsText() const;
    // Put them on the clipboard; false when there is nothing to copy.
    bool copyHex();
    bool copyText();
    // Moves the cursor to what parseOffset understands of `text`; false and
    // `error` set when it does not name a byte of the source.
    bool goToOffset(const QString &text, QString *error = nullptr);
    // Asks for an offset (Ctrl+G) and goes there.
    void showGoToDialog();

    // The actions of the context menu, with their shortcuts shown; the view
    // handles the keys itself while it has focus, so a window-wide action
    // with the same shortcut (Edit > Copy) does not make them ambiguous.
    [[nodiscard]] QAction *copyHexAction() const { return m_copyHexAction; }
    [[nodiscard]] QAction *copyTextAction() const { return m_copyTextAction; }
    [[nodiscard]] QAction *selectAllAction() const { return m_selectAllAction; }
    [[nodiscard]] QAction *goToAction() const { return m_goToAction; }

    // Geometry, in viewport coordinates.
    [[nodiscard]] quint64 firstVisibleRow() const { return m_firstRow; }
    // Rows that fit entirely (at least 1).
    [[nodiscard]] int pageRows() const;
    [[nodiscard]] bool isRowVisible(quint64 row) const;
    // The byte under a point of the hex or ASCII column, if any.
    [[nodiscard]] std::optional<quint64> offsetAt(QPoint viewportPos) const;
    // Where the byte's hex digits (or its ASCII character) are drawn; empty
    // when its row is not in view.
    [[nodiscard]] QRect byteRect(quint64 offset, bool ascii = false) const;
    // What hovering this point shows.
    [[nodiscard]] QString toolTipAt(QPoint viewportPos) const;

    [[nodiscard]] QSize sizeHint() const override;
    [[nodiscard]] QSize minimumSizeHint() const override;

Q_SIGNALS:
    void selectionChanged(quint64 start, quint64 length);
    void cursorMoved(quint64 offset);
    void byteHovered(quint64 offset);

protected:
    bool event(QEvent *event) override;
    bool viewportEvent(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void changeEvent(QEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    struct Geometry;
    enum class Area { None, Offset, Hex, Ascii };

    void updateMetrics();
    void updateScrollBars();
    void setFirstRow(quint64 row);
    // One step of the drag scroll: rows toward m_dragPos, selection after.
    void dragScrollStep();
    void moveCursorTo(quint64 offset, bool extend);
    void emitIfSelectionChanged(quint64 oldStart, quint64 oldLength, quint64 oldCursor);
    void updateActions();
    [[nodiscard]] bool handlesShortcut(const QKeyEvent *event) const;
    [[nodiscard]] std::optional<quint64> offsetAt(QPoint viewportPos, bool clampToRow, Area *area) const;
    [[nodiscard]] QByteArray readSelection() const;
    [[nodiscard]] qreal byteX(int column) const;
    [[nodiscard]] qreal asciiX(int column) const;
    [[nodiscard]] int rowTop(quint64 row) const;
    [[nodiscard]] const HexFieldRange *fieldRangeAt(quint64 offset, qsizetype *hint) const;

    std::shared_ptr<const HexSource> m_source;
    HexLayout m_layout;
    quint64 m_firstRow = 0;
    int m_horizontalOffset = 0;
    quint64 m_cursor = 0;
    quint64 m_anchor = 0;
    quint64 m_highlightStart = 0;
    quint64 m_highlightLength = 0;
    QList<HexFieldRange> m_fieldRanges; // sorted by start
    HexFieldAnnotator m_annotator;
    bool m_selecting = false;
    // While a drag selection is held above or below the bytes, the view
    // keeps scrolling toward it, faster the farther away it is.
    QTimer *m_dragScroll = nullptr;
    QPoint m_dragPos;
    bool m_settingScrollBar = false;
    std::optional<quint64> m_hovered;
    int m_wheelRemainder = 0;

    // Font metrics, in pixels.
    qreal m_charWidth = 8;
    int m_rowHeight = 16;
    int m_ascent = 12;

    // Reused across paints so a paint allocates nothing.
    mutable QByteArray m_rowBytes;
    mutable QByteArray m_rowValid;

    QAction *m_copyHexAction = nullptr;
    QAction *m_copyTextAction = nullptr;
    QAction *m_selectAllAction = nullptr;
    QAction *m_goToAction = nullptr;
};

} // namespace shardscope
