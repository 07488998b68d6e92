// shardscope-cli repair: the storage library's repairs (repair.h) with a dry
// run. A repair never changes the current generation's files or the active
// manifest copy; it prints what it does (or, with --dry-run, would do).
#include "cli_commands.h"

#include "repair.h"

#include <QCommandLineParser>
#include <QFile>
#include <QTextStream>

namespace cli {

namespace {

int failed(const shardscope::Error &e)
{
    err() << "shardscope-cli: " << QString::fromStdString(e.describe()) << Qt::endl;
    return Failed;
}

} // namespace

int runRepair(const QStringList &args)
{
    using shardscope::RepairKind;
    QCommandLineParser parser;
    const QCommandLineOption adopt(QStringLiteral("adopt-uncommitted"),
        QStringLiteral("Commit the uncommitted slots that are in bounds, overlap nothing and hold a new, non-zero "
                       "key."));
    const QCommandLineOption rebuild(QStringLiteral("rebuild"),
        QStringLiteral("Copy the valid committed entries into a new generation; salvage the others."));
    const QCommandLineOption previous(QStringLiteral("previous-manifest"),
        QStringLiteral("Make the other manifest copy active again when the active one names an unusable generation."));
    const QCommandLineOption dryRun(
        QStringLiteral("dry-run"), QStringLiteral("Print what would be done; change nothing."));
    const QCommandLineOption outDir(QStringLiteral("out"),
        QStringLiteral("Where report.json and salvage/ go (default: <shard>.repair-<timestamp> beside the shard)."),
        QStringLiteral("DIR"));
    parser.addOptions({adopt, rebuild, previous, dryRun, outDir});
    parser.addPositionalArgument(QStringLiteral("PATH"), QStringLiteral("The shard directory."));
    int status = Ok;
    if (!parse(parser, QStringLiteral("repair"), args, 1, status))
        return status;
    const int chosen = int(parser.isSet(adopt)) + int(parser.isSet(rebuild)) + int(parser.isSet(previous));
    if (chosen != 1)
        return usageError(QStringLiteral("repair"),
            QStringLiteral("give exactly one of --adopt-uncommitted, --rebuild, --previous-manifest"));
    const RepairKind kind = parser.isSet(adopt) ? RepairKind::AdoptUncommitted
        : parser.isSet(rebuild)                 ? RepairKind::Rebuild
                                                : RepairKind::PreviousManifest;
    if (kind == RepairKind::PreviousManifest && parser.isSet(outDir))
        return usageError(
            QStringLiteral("repair"), QStringLiteral("--previous-manifest salvages nothing, so it takes no --out"));

    const std::string path = QFile::encodeName(parser.positionalArguments().constFirst()).toStdString();
    shardscope::RepairOptions options;
    if (parser.isSet(outDir))
        options.outDir = QFile::encodeName(parser.value(outDir)).toStdString();
    auto plan = shardscope::planRepair(path, kind, options);
    if (!plan)
        return failed(plan.error());
    if (parser.isSet(dryRun)) {
        out() << "dry run, nothing is changed: " << QString::fromStdString(plan->describe());
        out().flush();
        return Ok;
    }
    out() << QString::fromStdString(plan->describe());
    out().flush();
    auto result = shardscope::applyRepair(*plan);
    if (!result)
        return failed(result.error());
    if (plan->nothingToDo)
        return Ok;
    out() << "repaired: generation " << result->generation << ", table_len " << result->tableLen << " committed (nonce "
          << result->nonce << ")\n";
    if (!result->outDir.empty())
        out() << "salvage: " << QString::fromStdString(result->outDir) << " (" << result->salvageFiles.size()
              << " files, listed in report.json)\n";
    out().flush();
    return Ok;
}

} // namespace cli
