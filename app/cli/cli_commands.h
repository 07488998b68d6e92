// The sub-commands of shardscope-cli. Each takes its own arguments (the words
// after the command name) and returns the process exit status.
#pragma once

#include <QStringList>

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

// check [--json] [--store] PATH (check_command.cpp).
int runCheck(const QStringList &args);
// repair (--adopt-uncommitted | --rebuild | --previous-manifest) [--dry-run] [--out DIR] PATH (repair_command.cpp).
int runRepair(const QStringList &args);

} // namespace cli
