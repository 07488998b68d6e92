// shardscope-cli check: the checker's report for a person or, with --json,
// for a script. Its exit status says how bad things are, so it differs from
// the other commands' "1 = failed".
#include "cli_commands.h"

#include "checker.h"
#include "json_writer.h"

#include <QCommandLineParser>
#include <QFile>
#include <QTextStream>

namespace cli {

namespace {

using shardscope::CheckReport;
using shardscope::Diagnostic;
using shardscope::JsonWriter;
using shardscope::Severity;

// Exit status when the path cannot be checked at all.
constexpr int kCannotCheck = 3;

void writeOptional(JsonWriter &json, const char *key, const std::optional<uint64_t> &v)
{
    json.key(key);
    if (v)
        json.value(*v);
    else
        json.null();
}

void writeSummary(JsonWriter &json, const CheckReport &report)
{
    json.key("summary").beginObject();
    json.key("errors").value(uint64_t(report.count(Severity::Error)));
    json.key("warnings").value(uint64_t(report.count(Severity::Warning)));
    json.key("infos").value(uint64_t(report.count(Severity::Info)));
    json.endObject();
}

std::string reportJson(const CheckReport &report)
{
    JsonWriter json;
    json.beginObject();
    json.key("path").value(report.path);
    json.key("diagnostics").beginArray();
    for (const Diagnostic &d : report.diagnostics) {
        json.beginObject();
        json.key("code").value(d.code);
        json.key("severity").value(shardscope::severityName(d.severity));
        json.key("shard").value(d.shard);
        json.key("file");
        if (d.file.empty())
            json.null();
        else
            json.value(d.file);
        writeOptional(json, "offset", d.offset);
        writeOptional(json, "slot", d.slot ? std::optional<uint64_t>(*d.slot) : std::nullopt);
        writeOptional(json, "other_slot", d.otherSlot ? std::optional<uint64_t>(*d.otherSlot) : std::nullopt);
        json.key("message").value(d.message);
        json.endObject();
    }
    json.endArray();
    writeSummary(json, report);
    json.endObject();
    return json.str();
}

QString plural(size_t n, const char *one, const char *many)
{
    return QStringLiteral("%1 %2").arg(n).arg(QLatin1String(n == 1 ? one : many));
}

QString reportText(const CheckReport &report)
{
    QString text;
    for (const Diagnostic &d : report.diagnostics) {
        QString where = QString::fromStdString(d.file.empty() ? (d.shard.empty() ? "." : d.shard) : d.file);
        if (d.offset)
            where += QStringLiteral(" at byte %1").arg(*d.offset);
        text += QStringLiteral("%1: %2: %3: %4\n")
                    .arg(QLatin1String(shardscope::severityName(d.severity)), QString::fromStdString(d.code), where,
                        QString::fromStdString(d.message));
    }
    const size_t errors = report.count(Severity::Error);
    const size_t warnings = report.count(Severity::Warning);
    const size_t infos = report.count(Severity::Info);
    text += QString::fromStdString(report.path) + QStringLiteral(": ");
    if (errors + warnings == 0)
        text += QStringLiteral("clean");
    else
        text += QStringLiteral("damaged");
    text += QStringLiteral(" (%1, %2, %3)\n")
                .arg(plural(errors, "error", "errors"), plural(warnings, "warning", "warnings"),
                    plural(infos, "info", "infos"));
    return text;
}

} // namespace

int runCheck(const QStringList &args)
{
    QCommandLineParser parser;
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print one JSON object."));
    const QCommandLineOption storeOption(
        QStringLiteral("store"), QStringLiteral("Check PATH as a store: its root shard and every child shard."));
    parser.addOption(jsonOption);
    parser.addOption(storeOption);
    parser.addPositionalArgument(QStringLiteral("PATH"), QStringLiteral("The shard (or store) directory."));
    int status = Ok;
    if (!parse(parser, QStringLiteral("check"), args, 1, status))
        return status;

    const QString pathArg = parser.positionalArguments().constFirst();
    const std::string path = QFile::encodeName(pathArg).toStdString();
    const bool json = parser.isSet(jsonOption);
    auto report = parser.isSet(storeOption) ? shardscope::checkStore(path) : shardscope::checkShard(path);
    if (!report) {
        err() << "shardscope-cli: " << QString::fromStdString(report.error().describe()) << Qt::endl;
        if (json) {
            // Scripts still get one object: the reason, and nothing checked.
            JsonWriter w;
            w.beginObject();
            w.key("path").value(path);
            w.key("error").value(report.error().describe());
            w.key("diagnostics").beginArray().endArray();
            writeSummary(w, CheckReport {});
            w.endObject();
            out() << QString::fromStdString(w.str());
        }
        return kCannotCheck;
    }
    out() << (json ? QString::fromStdString(reportJson(*report)) : reportText(*report));
    out().flush();
    return report->exitStatus();
}

} // namespace cli
