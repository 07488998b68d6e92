#include "remove_blob_dialog.h"

#include "put_blob_dialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextBlock>
#include <QVBoxLayout>

namespace shardscope {

RemoveBlobDialog::RemoveBlobDialog(CidProblem cidProblem, QWidget *parent)
    : QDialog(parent), m_cidProblem(std::move(cidProblem))
{
    setWindowTitle(tr("Remove Blobs"));
    auto *layout = new QVBoxLayout(this);
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);

    auto *intro = new QLabel(tr("&Content IDs of the blobs to remove, one per line:"), this);
    layout->addWidget(intro);
    m_edit = new QPlainTextEdit(this);
    m_edit->setObjectName(QStringLiteral("cids"));
    m_edit->setFont(fixed);
    m_edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_edit->setTabChangesFocus(true);
    m_edit->setPlaceholderText(tr("64 hex digits per line"));
    intro->setBuddy(m_edit);
    layout->addWidget(m_edit, 1);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setTextFormat(Qt::PlainText);
    layout->addWidget(m_summary);

    m_problemLabel = new QLabel(this);
    m_problemLabel->setObjectName(QStringLiteral("problem"));
    m_problemLabel->setTextFormat(Qt::PlainText);
    m_problemLabel->setWordWrap(true);
    layout->addWidget(m_problemLabel);

    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("note"));
    m_note->setTextFormat(Qt::PlainText);
    m_note->setWordWrap(true);
    m_note->setText(tr("Each blob's slot becomes a tombstone in the shard that holds it when you write the "
                       "changes; until then Undo or Revert Changes brings it back. Its bytes stay in the "
                       "shard's pack until that shard is compacted."));
    layout->addWidget(m_note);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_remove = buttons->button(QDialogButtonBox::Ok);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    connect(m_edit, &QPlainTextEdit::textChanged, this, &RemoveBlobDialog::validate);
    validate();
    // Room for a whole ID per line.
    const int width = QFontMetrics(fixed).horizontalAdvance(QString(68, QLatin1Char('0')));
    resize(std::max(sizeHint().width(), width + 40), 360);
}

void RemoveBlobDialog::setCids(const QList<ContentId> &cids)
{
    QStringList lines;
    lines.reserve(cids.size());
    for (const ContentId &cid : cids)
        lines.append(QString::fromStdString(toHex(cid)));
    m_edit->setPlainText(lines.join(QLatin1Char('\n')));
}

void RemoveBlobDialog::setText(const QString &text)
{
    m_edit->setPlainText(text);
}

QString RemoveBlobDialog::problemOf(const ContentId &cid)
{
    if (!m_cidProblem)
        return {};
    const QByteArray k(reinterpret_cast<const char *>(cid.data()), qsizetype(cid.size()));
    auto it = m_problemCache.constFind(k);
    if (it == m_problemCache.cend())
        it = m_problemCache.insert(k, m_cidProblem(cid));
    return *it;
}

void RemoveBlobDialog::validate()
{
    const QLocale locale;
    m_cids.clear();
    m_badLines.clear();
    QString first;
    // Line of each ID seen, so a repeat can name where it first came.
    QHash<QByteArray, int> seen;
    const QStringList lines = m_edit->toPlainText().split(QLatin1Char('\n'));
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const int line = int(i) + 1;
        if (lines[i].trimmed().isEmpty())
            continue;
        QString why;
        const std::optional<ContentId> cid = PutBlobDialog::parseCid(lines[i], &why);
        if (cid) {
            const QByteArray k(reinterpret_cast<const char *>(cid->data()), qsizetype(cid->size()));
            if (const auto at = seen.constFind(k); at != seen.cend())
                why = tr("it repeats line %1.").arg(*at);
            else {
                seen.insert(k, line);
                why = problemOf(*cid);
            }
        }
        if (why.isEmpty()) {
            m_cids.append(*cid);
        } else {
            m_badLines.append(line);
            if (first.isEmpty())
                first = tr("Line %1: %2").arg(line).arg(why);
        }
    }

    QString problem;
    if (!m_badLines.isEmpty()) {
        problem = first;
        const int more = int(m_badLines.size()) - 1;
        if (more == 1)
            problem += QLatin1Char(' ') + tr("(1 more line has a problem)");
        else if (more > 1)
            problem += QLatin1Char(' ') + tr("(%1 more lines have a problem)").arg(locale.toString(more));
    } else if (m_cids.isEmpty()) {
        problem = tr("Enter the content IDs of the blobs to remove, one per line.");
    }

    const int n = int(m_cids.size());
    if (m_badLines.isEmpty())
        m_summary->setText(n == 0 ? tr("No blob is named yet.")
                : n == 1          ? tr("1 blob will be marked for removal.")
                                  : tr("%1 blobs will be marked for removal.").arg(locale.toString(n)));
    else
        m_summary->setText(tr("%1 of %2 lines name a blob that can be removed.")
                               .arg(locale.toString(n), locale.toString(n + int(m_badLines.size()))));
    m_remove->setText(m_badLines.isEmpty() && n > 1 ? tr("&Remove %1 Blobs").arg(locale.toString(n)) : tr("&Remove"));

    m_problem = problem;
    m_problemLabel->setText(problem);
    m_problemLabel->setVisible(!problem.isEmpty());
    m_remove->setEnabled(problem.isEmpty());
    markBadLines();
}

void RemoveBlobDialog::markBadLines()
{
    // A tint of the palette's own colours, so it reads in dark themes too.
    QColor tint = palette().color(QPalette::Base);
    const QColor red(Qt::red);
    tint.setRgb(
        (tint.red() * 3 + red.red()) / 4, (tint.green() * 3 + red.green()) / 4, (tint.blue() * 3 + red.blue()) / 4);
    QList<QTextEdit::ExtraSelection> marks;
    marks.reserve(m_badLines.size());
    for (int line : std::as_const(m_badLines)) {
        QTextEdit::ExtraSelection mark;
        mark.cursor = QTextCursor(m_edit->document()->findBlockByNumber(line - 1));
        mark.format.setBackground(tint);
        mark.format.setProperty(QTextFormat::FullWidthSelection, true);
        marks.append(mark);
    }
    m_edit->setExtraSelections(marks);
}

} // namespace shardscope
