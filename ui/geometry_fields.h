// The table-slots and pack-size fields that both the New Shard dialog and the
// compaction dialog's resize option show: free text the user may get wrong,
// parsed and checked on every edit so the dialog can say what is wrong
// instead of clamping silently (a spin box cannot hold a u32 pack size).
#pragma once

#include <QObject>
#include <QString>

#include <optional>

class QComboBox;
class QFormLayout;
class QLineEdit;

namespace shardscope {

class GeometryFields : public QObject
{
    Q_OBJECT

public:
    // Binary units of the pack size combo; the value is the factor.
    enum Unit : quint64 { Bytes = 1, KiB = 1ull << 10, MiB = 1ull << 20, GiB = 1ull << 30 };

    // Adds a "Table slots" and a "Pack size" row to `form`, whose widget owns
    // the fields.
    GeometryFields(QFormLayout *form, QObject *parent = nullptr);

    // Shows these sizes, the pack in the largest unit that divides it.
    void setSizes(quint64 tableSlots, quint64 packSize);
    void setPackSize(quint64 value, Unit unit);

    // Parsed and in range (slots 1..kMaxTableSlots, pack 1..UINT32_MAX);
    // nullopt otherwise.
    [[nodiscard]] std::optional<quint32> tableSlots() const;
    [[nodiscard]] std::optional<quint32> packSize() const;
    // Why the fields do not make a table and pack; empty when they do.
    [[nodiscard]] QString problem() const;

    void setEnabled(bool on);
    [[nodiscard]] QLineEdit *slotsEdit() const { return m_slots; }
    [[nodiscard]] QLineEdit *packEdit() const { return m_pack; }
    [[nodiscard]] QComboBox *unitCombo() const { return m_unit; }

    // A byte count for people: "67,108,864 bytes (64 MiB)".
    [[nodiscard]] static QString bytesText(quint64 bytes);

Q_SIGNALS:
    void edited();

private:
    // The number in the field, or nullopt (with the reason) when it is none.
    [[nodiscard]] static std::optional<quint64> parseCount(const QString &text);

    QLineEdit *m_slots = nullptr;
    QLineEdit *m_pack = nullptr;
    QComboBox *m_unit = nullptr;
};

} // namespace shardscope
