#include "cli_commands.h"

#include "sha256.h"
#include "shard.h"
#include "shard_changes.h"
#include "shard_dump.h"
#include "store.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QTextStream>

#include <climits>
#include <cstdio>
#include <optional>
#include <unistd.h>

namespace cli {

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

int usageError(const QString &command, const QString &message)
{
    err() << "shardscope-cli " << command << ": " << message << Qt::endl
          << "usage: shardscope-cli " << findCommand(command)->synopsis << Qt::endl;
    return Usage;
}

namespace {
// parse() with a range of positional argument counts.
bool parseRange(QCommandLineParser &parser, const QString &command, const QStringList &args, int minPositionals,
    int maxPositionals, int &status);
} // namespace

bool parse(QCommandLineParser &parser, const QString &command, const QStringList &args, int positionals, int &status)
{
    return parseRange(parser, command, args, positionals, positionals, status);
}

namespace {
bool parseRange(QCommandLineParser &parser, const QString &command, const QStringList &args, int minPositionals,
    int maxPositionals, int &status)
{
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.addHelpOption();
    if (!parser.parse(QStringList {QStringLiteral("shardscope-cli")} + args)) {
        status = usageError(command, parser.errorText());
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out() << "usage: shardscope-cli " << findCommand(command)->synopsis << "\n\n"
              << findCommand(command)->summary << "\n\n"
              << parser.helpText().section(QLatin1Char('\n'), 2);
        out().flush();
        status = Ok;
        return false;
    }
    const auto count = parser.positionalArguments().size();
    if (count < minPositionals || count > maxPositionals) {
        status = usageError(command,
            QStringLiteral("expected %1 argument(s), got %2")
                .arg(minPositionals == maxPositionals ? QString::number(minPositionals)
                                                      : QStringLiteral("at least %1").arg(minPositionals))
                .arg(count));
        return false;
    }
    return true;
}
} // namespace

namespace {

using shardscope::Error;
using shardscope::Key;
using shardscope::Shard;

int report(const Error &e)
{
    err() << "shardscope-cli: " << QString::fromStdString(e.describe()) << Qt::endl;
    if (e.kind == shardscope::ErrorKind::Locked)
        err() << "shardscope-cli: a shard takes one writer at a time; nothing was written. Close the other "
                 "writer (or leave its edit mode) and try again."
              << Qt::endl;
    return Failed;
}

std::string path(const QString &p)
{
    return QFile::encodeName(p).toStdString();
}

std::optional<uint32_t> parseU32(const QString &text)
{
    bool ok = false;
    const qulonglong v = text.toULongLong(&ok, 0);
    if (!ok || v > 0xFFFFFFFFull)
        return std::nullopt;
    return uint32_t(v);
}

// Reads the bytes an append or put takes: --file F, --text S or '-' (stdin).
std::optional<QByteArray> readInput(
    const QCommandLineParser &parser, const QString &command, bool stdinFlag, int &status)
{
    const bool hasFile = parser.isSet(QStringLiteral("file"));
    const bool hasText = parser.isSet(QStringLiteral("text"));
    if (int(hasFile) + int(hasText) + int(stdinFlag) != 1) {
        status = usageError(command, QStringLiteral("give exactly one of --file F, --text S or - (standard input)"));
        return std::nullopt;
    }
    if (hasText)
        return parser.value(QStringLiteral("text")).toUtf8();
    QFile f;
    if (hasFile) {
        f.setFileName(parser.value(QStringLiteral("file")));
        if (!f.open(QIODevice::ReadOnly)) {
            err() << "shardscope-cli: " << f.fileName() << ": " << f.errorString() << Qt::endl;
            status = Failed;
            return std::nullopt;
        }
    } else if (!f.open(stdin, QIODevice::ReadOnly)) {
        err() << "shardscope-cli: standard input: " << f.errorString() << Qt::endl;
        status = Failed;
        return std::nullopt;
    }
    return f.readAll();
}

std::span<const uint8_t> bytesOf(const QByteArray &data)
{
    return {reinterpret_cast<const uint8_t *>(data.constData()), size_t(data.size())};
}

int writeOutput(std::span<const uint8_t> bytes, const QString &outPath)
{
    if (outPath.isEmpty()) {
        size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
            if (n < 0) {
                err() << "shardscope-cli: standard output: write failed" << Qt::endl;
                return Failed;
            }
            done += size_t(n);
        }
        return Ok;
    }
    QSaveFile f(outPath);
    if (!f.open(QIODevice::WriteOnly)
        || f.write(reinterpret_cast<const char *>(bytes.data()), qint64(bytes.size())) != qint64(bytes.size())
        || !f.commit()) {
        err() << "shardscope-cli: " << outPath << ": " << f.errorString() << Qt::endl;
        return Failed;
    }
    return Ok;
}

const QCommandLineOption kStoreOption(QStringLiteral("store"), QStringLiteral("Address a store by content ID."));
const QCommandLineOption kOutOption({QStringLiteral("o"), QStringLiteral("output")},
    QStringLiteral("Write the bytes to FILE instead of standard output."), QStringLiteral("FILE"));
const QCommandLineOption kJsonOption(QStringLiteral("json"), QStringLiteral("Print one JSON object."));
const QCommandLineOption kFileOption(
    QStringLiteral("file"), QStringLiteral("Take the data from file F."), QStringLiteral("F"));
const QCommandLineOption kTextOption(
    QStringLiteral("text"), QStringLiteral("Take the data from the text S (UTF-8)."), QStringLiteral("S"));
const QCommandLineOption kTableSlotsOption(
    QStringLiteral("table-slots"), QStringLiteral("Slots in the table (default: 32768)."), QStringLiteral("N"));
const QCommandLineOption kPackSizeOption(QStringLiteral("pack-size"),
    QStringLiteral("Pack size in bytes (default: 67108864, 64 MiB)."), QStringLiteral("BYTES"));

// '-' means standard input; QCommandLineParser would take it as a positional.
bool takeStdinDash(QStringList &args)
{
    return args.removeAll(QStringLiteral("-")) > 0;
}

int cmdInfo(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("DIR"), QStringLiteral("The shard directory."));
    int status = Ok;
    if (!parse(parser, QStringLiteral("info"), args, 1, status))
        return status;
    auto shard = Shard::openReadOnly(path(parser.positionalArguments()[0]));
    if (!shard)
        return report(shard.error());
    out() << QString::fromStdString(infoText(*shard));
    return Ok;
}

int cmdDump(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption(kJsonOption);
    parser.addPositionalArgument(QStringLiteral("DIR"), QStringLiteral("The shard directory."));
    int status = Ok;
    if (!parse(parser, QStringLiteral("dump"), args, 1, status))
        return status;
    auto shard = Shard::openReadOnly(path(parser.positionalArguments()[0]));
    if (!shard)
        return report(shard.error());
    out() << QString::fromStdString(parser.isSet(kJsonOption) ? dumpJson(*shard) : dumpText(*shard));
    return Ok;
}

// DIR and KEYHEX of get and delete: a key in a shard, or with --store a
// content ID in a store.
struct Address {
    QString dir;
    QString hex;
    std::optional<Key> key;
    std::optional<shardscope::ContentId> cid;
};

std::optional<Address> parseAddress(
    QCommandLineParser &parser, const QString &command, const QStringList &args, int &status)
{
    parser.addOption(kStoreOption);
    parser.addPositionalArgument(
        QStringLiteral("DIR"), QStringLiteral("The shard (or, with --store, store) directory."));
    parser.addPositionalArgument(
        QStringLiteral("KEYHEX"), QStringLiteral("48 hex digits (a key), or with --store 64 (a content ID)."));
    if (!parse(parser, command, args, 2, status))
        return std::nullopt;
    Address a {parser.positionalArguments()[0], parser.positionalArguments()[1], {}, {}};
    if (parser.isSet(kStoreOption)) {
        a.cid = shardscope::contentIdFromHex(a.hex.toStdString());
        if (!a.cid) {
            status = usageError(command, QStringLiteral("'%1' is not a content ID (64 hex digits)").arg(a.hex));
            return std::nullopt;
        }
    } else {
        a.key = Key::fromHex(a.hex.toStdString());
        if (!a.key) {
            status = usageError(command, QStringLiteral("'%1' is not a key (48 hex digits)").arg(a.hex));
            return std::nullopt;
        }
    }
    return a;
}

int notFound(const Address &a)
{
    err() << "shardscope-cli: " << a.dir << (a.cid ? ": no blob with content ID " : ": no live entry with key ")
          << a.hex << Qt::endl;
    return Failed;
}

int cmdGet(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption(kOutOption);
    int status = Ok;
    const auto a = parseAddress(parser, QStringLiteral("get"), args, status);
    if (!a)
        return status;
    if (a->cid) {
        auto store = shardscope::Store::open(path(a->dir), shardscope::Store::Access::ReadOnly);
        if (!store)
            return report(store.error());
        auto blob = store->get(*a->cid);
        if (!blob)
            return report(blob.error());
        if (!*blob)
            return notFound(*a);
        return writeOutput(**blob, parser.value(kOutOption));
    }
    auto shard = Shard::openReadOnly(path(a->dir));
    if (!shard)
        return report(shard.error());
    auto bytes = shard->get(*a->key);
    if (!bytes)
        return report(bytes.error());
    if (!*bytes)
        return notFound(*a);
    return writeOutput(**bytes, parser.value(kOutOption));
}

int cmdAppend(const QStringList &argsIn)
{
    QStringList args = argsIn;
    const bool fromStdin = takeStdinDash(args);
    QCommandLineParser parser;
    const QCommandLineOption keyOption(QStringLiteral("key"),
        QStringLiteral("The key (48 hex digits); default: the first 24 bytes of the "
                       "data's sha256."),
        QStringLiteral("KEYHEX"));
    parser.addOption(keyOption);
    parser.addOption(kFileOption);
    parser.addOption(kTextOption);
    parser.addPositionalArgument(QStringLiteral("DIR"), QStringLiteral("The shard directory."));
    int status = Ok;
    if (!parse(parser, QStringLiteral("append"), args, 1, status))
        return status;
    std::optional<Key> key;
    if (parser.isSet(keyOption)) {
        key = Key::fromHex(parser.value(keyOption).toStdString());
        if (!key)
            return usageError(QStringLiteral("append"),
                QStringLiteral("'%1' is not a key (48 hex digits)").arg(parser.value(keyOption)));
        if (key->isZero())
            return usageError(QStringLiteral("append"), QStringLiteral("the all-zero key is not a valid key"));
    }
    const auto data = readInput(parser, QStringLiteral("append"), fromStdin, status);
    if (!data)
        return status;
    if (!key)
        key = Key::fromBytes(shardscope::Sha256::hash(bytesOf(*data)).data());
    auto shard = Shard::openForWriting(path(parser.positionalArguments()[0]));
    if (!shard)
        return report(shard.error());
    if (shard->exists(*key)) {
        out() << QString::fromStdString(key->toHex()) << " already present; nothing written" << Qt::endl;
        return Ok;
    }
    shardscope::ShardChanges changes;
    changes.appends.push_back({*key, std::vector<uint8_t>(data->begin(), data->end())});
    if (auto r = commitChanges(*shard, changes); !r)
        return report(r.error());
    const auto slot = shard->find(*key);
    out() << QString::fromStdString(key->toHex()) << " slot " << (slot ? *slot : 0) << " offset "
          << shard->entry(slot.value_or(0)).offset << " len " << data->size() << Qt::endl;
    return Ok;
}

int cmdPut(const QStringList &argsIn)
{
    QStringList args = argsIn;
    const bool fromStdin = takeStdinDash(args);
    QCommandLineParser parser;
    const QCommandLineOption cidOption(QStringLiteral("cid"),
        QStringLiteral("The content ID (64 hex digits); default: the data's sha256."), QStringLiteral("CIDHEX"));
    parser.addOption(kStoreOption);
    parser.addOption(cidOption);
    parser.addOption(kFileOption);
    parser.addOption(kTextOption);
    parser.addPositionalArgument(QStringLiteral("STOREDIR"), QStringLiteral("The store directory."));
    int status = Ok;
    if (!parse(parser, QStringLiteral("put"), args, 1, status))
        return status;
    std::optional<shardscope::ContentId> cid;
    if (parser.isSet(cidOption)) {
        cid = shardscope::contentIdFromHex(parser.value(cidOption).toStdString());
        if (!cid)
            return usageError(QStringLiteral("put"),
                QStringLiteral("'%1' is not a content ID (64 hex digits)").arg(parser.value(cidOption)));
    }
    const auto data = readInput(parser, QStringLiteral("put"), fromStdin, status);
    if (!data)
        return status;
    if (!cid)
        cid = shardscope::Sha256::hash(bytesOf(*data));
    auto store = shardscope::Store::open(path(parser.positionalArguments()[0]), shardscope::Store::Access::ReadWrite);
    if (!store)
        return report(store.error());
    const QString hex = QString::fromStdString(shardscope::toHex(*cid));
    auto before = store->locate(*cid);
    if (!before)
        return report(before.error());
    if (*before) {
        out() << hex << " already present; nothing written" << Qt::endl;
        return Ok;
    }
    shardscope::StoreChanges changes;
    changes.puts.emplace_back(*cid, std::vector<uint8_t>(data->begin(), data->end()));
    if (auto r = commitStoreChanges(*store, changes); !r)
        return report(r.error());
    auto where = store->locate(*cid);
    out() << hex << " stored in "
          << (where && *where && !(*where)->relPath.empty() ? QString::fromStdString((*where)->relPath)
                                                            : QStringLiteral("the root shard"))
          << Qt::endl;
    return Ok;
}

int cmdDelete(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption(kStoreOption);
    parser.addPositionalArgument(
        QStringLiteral("DIR"), QStringLiteral("The shard (or, with --store, store) directory."));
    parser.addPositionalArgument(QStringLiteral("KEYHEX..."),
        QStringLiteral("Keys of 48 hex digits, or with --store content IDs of 64; all are deleted in one commit."));
    int status = Ok;
    if (!parseRange(parser, QStringLiteral("delete"), args, 2, INT_MAX, status))
        return status;
    const QString dir = parser.positionalArguments()[0];
    const QStringList hexes = parser.positionalArguments().mid(1);
    if (parser.isSet(kStoreOption)) {
        shardscope::StoreChanges changes;
        for (const QString &hex : hexes) {
            const auto cid = shardscope::contentIdFromHex(hex.toStdString());
            if (!cid)
                return usageError(
                    QStringLiteral("delete"), QStringLiteral("'%1' is not a content ID (64 hex digits)").arg(hex));
            changes.deletes.push_back(*cid);
        }
        auto store = shardscope::Store::open(path(dir), shardscope::Store::Access::ReadWrite);
        if (!store)
            return report(store.error());
        if (auto r = commitStoreChanges(*store, changes); !r)
            return report(r.error());
        for (const QString &hex : hexes)
            out() << hex << " deleted" << Qt::endl;
        out() << "pack bytes stay until each shard's next compaction" << Qt::endl;
        return Ok;
    }
    shardscope::ShardChanges changes;
    for (const QString &hex : hexes) {
        const auto key = Key::fromHex(hex.toStdString());
        if (!key)
            return usageError(QStringLiteral("delete"), QStringLiteral("'%1' is not a key (48 hex digits)").arg(hex));
        changes.deletes.push_back(*key);
    }
    auto shard = Shard::openForWriting(path(dir));
    if (!shard)
        return report(shard.error());
    std::vector<uint32_t> deletedSlots;
    for (const Key &key : changes.deletes)
        deletedSlots.push_back(shard->find(key).value_or(0));
    auto result = commitChanges(*shard, changes);
    if (!result)
        return report(result.error());
    for (size_t i = 0; i < deletedSlots.size(); ++i)
        out() << hexes[qsizetype(i)] << " deleted (slot " << deletedSlots[i] << " is now a tombstone)" << Qt::endl;
    out() << "committed as generation " << result->newGeneration << ", a copy of generation " << result->oldGeneration
          << " with the tombstones; pack bytes stay until the next compaction" << Qt::endl;
    if (result->retireError)
        err() << "shardscope-cli: warning: the files of generation " << result->oldGeneration
              << " could not be removed: " << QString::fromStdString(result->retireError->describe()) << Qt::endl;
    return Ok;
}

std::optional<uint32_t> sizeOption(
    const QCommandLineParser &parser, const QCommandLineOption &option, const QString &command, int &status)
{
    if (!parser.isSet(option))
        return std::nullopt;
    const auto v = parseU32(parser.value(option));
    if (!v || *v == 0) {
        status = usageError(command,
            QStringLiteral("--%1 takes a whole number from 1 to 4294967295, not '%2'")
                .arg(option.names().constFirst(), parser.value(option)));
    }
    return v;
}

int cmdCompact(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption(kTableSlotsOption);
    parser.addOption(kPackSizeOption);
    const QCommandLineOption removeOld(QStringLiteral("remove-old"),
        QStringLiteral("Remove the old generation's files once the new one is committed."));
    const QCommandLineOption quiet({QStringLiteral("q"), QStringLiteral("quiet")}, QStringLiteral("No progress."));
    const QCommandLineOption copyMemory(QStringLiteral("copy-memory"),
        QStringLiteral("Most live bytes to assemble in memory for the copy (default: 268435456, 256 MiB). A larger "
                       "pack is copied piece by piece from the old one: less memory, slower on some machines."),
        QStringLiteral("BYTES"));
    parser.addOption(removeOld);
    parser.addOption(quiet);
    parser.addOption(copyMemory);
    parser.addPositionalArgument(QStringLiteral("DIR"), QStringLiteral("The shard directory."));
    int status = Ok;
    if (!parse(parser, QStringLiteral("compact"), args, 1, status))
        return status;
    shardscope::CompactionOptions options;
    options.tableSlots = sizeOption(parser, kTableSlotsOption, QStringLiteral("compact"), status);
    options.packSize = sizeOption(parser, kPackSizeOption, QStringLiteral("compact"), status);
    if (parser.isSet(copyMemory)) {
        bool ok = false;
        options.copyMemoryLimit = parser.value(copyMemory).toULongLong(&ok, 0);
        if (!ok) {
            status = usageError(QStringLiteral("compact"),
                QStringLiteral("--copy-memory takes a whole number of bytes, not '%1'").arg(parser.value(copyMemory)));
        }
    }
    if (status != Ok)
        return status;
    auto shard = Shard::openForWriting(path(parser.positionalArguments()[0]));
    if (!shard)
        return report(shard.error());
    const bool showProgress = !parser.isSet(quiet) && ::isatty(STDERR_FILENO);
    int lastPercent = -1;
    auto progress = [&](const shardscope::CompactionProgress &p) {
        if (!showProgress || p.bytesTotal == 0)
            return true;
        const int percent = int(100 * p.bytesDone / p.bytesTotal);
        if (percent != lastPercent) {
            lastPercent = percent;
            std::fprintf(stderr, "\rcompacting: %3d%% (%llu of %llu entries)", percent,
                (unsigned long long)p.entriesDone, (unsigned long long)p.entriesTotal);
        }
        return true;
    };
    auto result = shard->compact(options, progress);
    if (showProgress)
        std::fputs("\n", stderr);
    if (!result)
        return report(result.error());
    out() << "compacted generation " << result->oldGeneration << " into " << result->newGeneration << ": "
          << result->entries << " entries, " << result->bytesCopied << " bytes copied, " << result->tombstonesDropped
          << " tombstones dropped, " << result->bytesReclaimed << " bytes reclaimed" << Qt::endl;
    if (parser.isSet(removeOld)) {
        if (auto r = shard->removeGeneration(result->oldGeneration); !r)
            return report(r.error());
        out() << "removed " << QString::fromStdString(shardscope::tableFileName(result->oldGeneration)) << " and "
              << QString::fromStdString(shardscope::packFileName(result->oldGeneration)) << Qt::endl;
    } else {
        out() << "kept " << QString::fromStdString(shardscope::tableFileName(result->oldGeneration)) << " and "
              << QString::fromStdString(shardscope::packFileName(result->oldGeneration))
              << " (remove them with --remove-old)" << Qt::endl;
    }
    return Ok;
}

int cmdHydrate(const QStringList &args)
{
    QCommandLineParser parser;
    parser.addOption(kTableSlotsOption);
    parser.addOption(kPackSizeOption);
    parser.addPositionalArgument(
        QStringLiteral("DIR"), QStringLiteral("The shard directory; created if missing (its parent must exist)."));
    int status = Ok;
    if (!parse(parser, QStringLiteral("hydrate"), args, 1, status))
        return status;
    shardscope::ShardGeometry geometry;
    if (auto v = sizeOption(parser, kTableSlotsOption, QStringLiteral("hydrate"), status))
        geometry.tableSlots = *v;
    if (auto v = sizeOption(parser, kPackSizeOption, QStringLiteral("hydrate"), status))
        geometry.packSize = *v;
    if (status != Ok)
        return status;
    const std::string dir = path(parser.positionalArguments()[0]);
    if (auto ok = geometry.validate(dir); !ok)
        return report(ok.error());
    if (auto made = shardscope::Directory::create(dir); !made)
        return report(made.error());
    auto shard = Shard::hydrate(dir, geometry);
    if (!shard)
        return report(shard.error());
    // A fresh shard is committed at once, as the reference's hydrate-and-flush
    // leaves it: MF names generation 0 with no slots.
    if (!shard->manifestCopies()) {
        if (auto r = shard->flush(); !r)
            return report(r.error());
    }
    out() << QString::fromStdString(infoText(*shard));
    return Ok;
}

int cmdHelp(const QStringList &args)
{
    if (args.isEmpty()) {
        out() << usage();
        return Ok;
    }
    const Command *c = findCommand(args.constFirst());
    if (!c) {
        err() << "shardscope-cli: unknown command '" << args.constFirst() << "'\n\n" << usage();
        return Usage;
    }
    return c->run({QStringLiteral("--help")});
}

} // namespace

const QList<Command> &commands()
{
    static const QList<Command> all = {
        {"info", "info DIR", "Print the manifest, sizes and counts of a shard.", cmdInfo},
        {"dump", "dump [--json] DIR",
            "Print every committed slot. With --json, one JSON object with gen, nonce, table_len, capacity, pack_size, "
            "live, tombstones and entries (slot, key, offset, len, tombstone, sha256).",
            cmdDump},
        {"get", "get DIR KEYHEX [-o FILE]\n       shardscope-cli get --store STOREDIR CIDHEX [-o FILE]",
            "Write an entry's raw bytes to standard output or FILE.", cmdGet},
        {"append", "append DIR [--key KEYHEX] (--file F | --text S | -)",
            "Append an entry past the committed end and commit it. Without --key the key is the first 24 bytes of "
            "the data's sha256.",
            cmdAppend},
        {"put", "put --store STOREDIR [--cid CIDHEX] (--file F | --text S | -)",
            "Store a blob by content ID (default: the data's sha256), creating child shards as needed.", cmdPut},
        {"delete", "delete DIR KEYHEX...\n       shardscope-cli delete --store STOREDIR CIDHEX...",
            "Tombstone one or more entries in one commit: a new generation holding a copy of the current one with "
            "the tombstones (the files the current manifest names are never changed), after which the replaced "
            "generation's files are removed. Pack bytes stay until the next compaction. With --store, each shard "
            "holding one of the blobs commits its own deletes.",
            cmdDelete},
        {"compact", "compact DIR [--table-slots N] [--pack-size BYTES] [--copy-memory BYTES] [--remove-old]",
            "Copy the live entries, sorted by key, into the next generation and commit it. The old generation's "
            "files stay unless --remove-old is given.",
            cmdCompact},
        {"hydrate", "hydrate DIR [--table-slots N] [--pack-size BYTES]",
            "Create a shard (or the missing files of its current generation). Defaults: 32768 slots, 64 MiB pack.",
            cmdHydrate},
        {"check", "check [--json] [--store] PATH",
            "Check a shard (with --store, a store and all its child shards) for damage, read-only. Exit status: 0 "
            "clean (info only), 1 warnings, 2 errors, 3 PATH cannot be checked; a wrong command line is 2 as for "
            "every command.",
            runCheck},
        {"repair", "repair (--adopt-uncommitted | --rebuild | --previous-manifest) [--dry-run] [--out DIR] PATH",
            "Repair a damaged shard without touching its current files: --adopt-uncommitted commits the valid "
            "uncommitted slots and --rebuild the valid committed entries into a new generation (entries left out go "
            "to DIR/salvage with DIR/report.json); --previous-manifest makes the other manifest copy active again. "
            "--dry-run prints the plan only.",
            runRepair},
        {"help", "help [COMMAND]", "Describe the commands, or one command.", cmdHelp},
    };
    return all;
}

const Command *findCommand(const QString &name)
{
    for (const Command &c : commands()) {
        if (name == QLatin1String(c.name))
            return &c;
    }
    return nullptr;
}

QString usage()
{
    QString text = QStringLiteral("usage: shardscope-cli COMMAND [ARGS]\n\nCommands:\n");
    for (const Command &c : commands())
        text += QStringLiteral("  %1\n      %2\n")
                    .arg(QString::fromLatin1(c.synopsis)
                             .replace(QLatin1String("\n       shardscope-cli "), QLatin1String("\n  ")),
                        QString::fromLatin1(c.summary));
    text += QStringLiteral(
        "\nErrors name the file and byte offset; exit status 0 on success, 1 when the operation "
        "fails, 2 on a wrong command line (check reports damage with its own statuses, see help check). "
        "Read-only commands never write. Commands that write take the shard's write lock (flock on the shard "
        "directory) and fail, naming the process holding it, while another writer has it.\n");
    return text;
}

} // namespace cli
