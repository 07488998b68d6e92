// File > New Shard, and initialising a shard directory whose current
// generation has no table and pack yet: the user names the directory (or it
// is fixed) and the sizes of the files to create. The dialog only collects
// and checks the answer; the application creates the files.
#pragma once

#include "shard.h"

#include <QDialog>

#include <functional>

class QLabel;
class QLineEdit;
class QPushButton;

namespace shardscope {

class GeometryFields;

class HydrateDialog : public QDialog
{
    Q_OBJECT

public:
    enum class Mode {
        NewShard, // the user picks the directory; generation 0
        MissingGeneration, // the directory is given and fixed
    };
    // Says what is wrong with a directory for this purpose (for example,
    // "it already holds a shard"), or an empty string. The application's,
    // since the dialog does not look at the file system.
    using DirectoryCheck = std::function<QString(const QString &path)>;

    // `directory` is the suggestion (NewShard) or the fixed directory
    // (MissingGeneration); `generation` the one whose files are created.
    explicit HydrateDialog(Mode mode, const QString &directory = {}, quint32 generation = 0, DirectoryCheck check = {},
        QWidget *parent = nullptr);

    [[nodiscard]] Mode mode() const { return m_mode; }
    [[nodiscard]] QString directory() const;
    // The sizes entered; only meaningful when problem() is empty.
    [[nodiscard]] ShardGeometry geometry() const;
    // Why OK is disabled; empty when the input is complete and valid.
    [[nodiscard]] QString problem() const { return m_problem; }
    [[nodiscard]] QString tableFileName() const;
    [[nodiscard]] QString packFileName() const;

    void setDirectory(const QString &path);
    void setSizes(quint64 tableSlots, quint64 packSize);

    // For tests.
    [[nodiscard]] QLineEdit *directoryEdit() const { return m_directory; }
    [[nodiscard]] GeometryFields *fields() const { return m_fields; }
    [[nodiscard]] QPushButton *okButton() const { return m_ok; }
    [[nodiscard]] QLabel *filesLabel() const { return m_files; }
    [[nodiscard]] QLabel *problemLabel() const { return m_problemLabel; }

private:
    void browse();
    void validate();

    Mode m_mode;
    quint32 m_generation;
    DirectoryCheck m_check;
    QString m_problem;
    QLineEdit *m_directory = nullptr;
    GeometryFields *m_fields = nullptr;
    QLabel *m_files = nullptr;
    QLabel *m_problemLabel = nullptr;
    QPushButton *m_ok = nullptr;
};

} // namespace shardscope
