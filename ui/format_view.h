// The Format view: the manifest's two 32-byte copies side by side, every
// field decoded, the active one marked with the reason readers take it; below
// them the selected slot's 32 bytes, field by field. It shows descriptions
// the model layer made from the bytes and never reads a file itself.
#pragma once

#include "format_description.h"

#include <QWidget>

class QGroupBox;
class QLabel;
class QTableWidget;

namespace shardscope {

class FormatView : public QWidget
{
    Q_OBJECT

public:
    enum Column { FieldColumn, BytesColumn, HexColumn, ValueColumn, NoteColumn, ColumnCount };

    explicit FormatView(QWidget *parent = nullptr);

    void setManifest(const ManifestDescription &manifest);
    void setSlot(const SlotDescription &slot);
    // Convenience: describes the 32 bytes itself.
    void setSlot(uint32_t slot, const QByteArray &bytes, const SlotContext &context = {});
    void clearSlot();
    void clear();

    [[nodiscard]] const ManifestDescription &manifest() const { return m_manifest; }
    [[nodiscard]] const std::optional<SlotDescription> &slotDescription() const { return m_slot; }

    // The widgets, for tests and for the application's keyboard focus order.
    [[nodiscard]] QTableWidget *copyTable(int index) const { return m_copyTables[size_t(index)]; }
    [[nodiscard]] QGroupBox *copyBox(int index) const { return m_copyBoxes[size_t(index)]; }
    [[nodiscard]] QTableWidget *slotTable() const { return m_slotTable; }
    [[nodiscard]] QString manifestSummary() const;
    [[nodiscard]] QString slotSummary() const;

protected:
    void changeEvent(QEvent *event) override;

private:
    void fillFields(QTableWidget *table, const QList<FieldRow> &rows);
    void refreshManifest();
    void refreshSlot();

    ManifestDescription m_manifest;
    std::optional<SlotDescription> m_slot;

    QLabel *m_manifestSummary = nullptr;
    std::array<QGroupBox *, 2> m_copyBoxes {};
    std::array<QTableWidget *, 2> m_copyTables {};
    std::array<QLabel *, 2> m_copyVerdicts {};
    QGroupBox *m_slotBox = nullptr;
    QLabel *m_slotSummary = nullptr;
    QTableWidget *m_slotTable = nullptr;
    QLabel *m_slotMeaning = nullptr;
};

} // namespace shardscope
