#include "luisy/cli/cli.h"

#include <fmt/format.h>

#include "luisy/cli/args.h"
#include "luisy/cli/commands.h"
#include "luisy/cli/help.h"
#include "luisy/util/error.h"

namespace luisy::cli {

int run(int argc, char** argv) {
  CommandLine line = parse_command_line(argc, argv);
  const std::string& command = line.command;
  if (command == "version") {
    fmt::print("luisy {}\n", LUISY_VERSION);
    return kExitOk;
  }
  if (command == "help") {
    fmt::print("{}", line.man ? man_page() : help_text(line.words.empty() ? "" : line.words[0]));
    return kExitOk;
  }
  if (command == "build") return command_build(line);
  if (command == "status") return command_status(line);
  if (command == "explain") return command_explain(line);
  if (command == "graph") return command_graph(line);
  if (command == "clean") return command_clean(line);
  if (command == "validate") return command_validate(line);
  if (command == "push") return command_push(line);
  if (command == "pull") return command_pull(line);
  if (command == "cache") return command_cache(line);
  if (command == "completion") return command_completion(line);
  if (command == "__complete-tasks") return command_complete_tasks(line);
  if (command == "verify") return command_verify(line);
  throw UsageError(fmt::format("unknown command '{}'", command));
}

}  // namespace luisy::cli
