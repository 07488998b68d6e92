#include "cli_commands.h"

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("shardscope-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PROJECT_VERSION_STRING));

    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    if (args.isEmpty()) {
        QTextStream(stderr) << cli::usage();
        return cli::Usage;
    }
    const QString name = args.takeFirst();
    if (name == QLatin1String("--help") || name == QLatin1String("-h"))
        return cli::findCommand(QStringLiteral("help"))->run({});
    if (name == QLatin1String("--version")) {
        QTextStream(stdout) << "shardscope-cli " << QCoreApplication::applicationVersion() << '\n';
        return cli::Ok;
    }
    const cli::Command *command = cli::findCommand(name);
    if (!command) {
        QTextStream(stderr) << "shardscope-cli: unknown command '" << name << "'\n\n" << cli::usage();
        return cli::Usage;
    }
    return command->run(args);
}
