// The sub-commands of shardscope-cli. Each takes its own arguments (the words
// after the command name) and returns the process exit status.
#pragma once

#include <QCommandLineParser>
#include <QStringList>
#include <QTextStream>

namespace cli {

// Exit statuses shared by all commands.
enum Status {
    Ok = 0,
    Failed = 1, // the operation failed: I/O, corruption, full, not found
    Usage = 2, // the command line was wrong
};

struct Command {
    const char *name;
    const char *synopsis;
    const char *summary;
    int (*run)(const QStringList &args);
};

[[nodiscard]] const QList<Command> &commands();
[[nodiscard]] const Command *findCommand(const QString &name);
[[nodiscard]] QString usage();

// Standard output and error, for every command.
QTextStream &out();
QTextStream &err();
// Prints "shardscope-cli COMMAND: MESSAGE" and the command's synopsis; returns Usage.
int usageError(const QString &command, const QString &message);
// Parses `args` for `command` (adding --help) and checks the count of
// positional arguments. False when the command should stop: `status` then
// holds Ok (help was printed) or Usage (the problem was printed).
bool parse(QCommandLineParser &parser, const QString &command, const QStringList &args, int positionals, int &status);

// check [--json] [--store] PATH (check_command.cpp).
int runCheck(const QStringList &args);
// repair (--adopt-uncommitted | --rebuild | --previous-manifest) [--dry-run] [--out DIR] PATH (repair_command.cpp).
int runRepair(const QStringList &args);

} // namespace cli
