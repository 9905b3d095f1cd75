#include "luisy/cli/help.h"

#include <fmt/format.h>

#include "luisy/util/error.h"

namespace luisy::cli {

namespace {

struct CommandHelp {
  const char* name;
  const char* synopsis;
  const char* summary;
  const char* details;
};

// One source for `luisy help` and the README's command reference.
const CommandHelp kCommands[] = {
    {"build", "luisy build [FILE] [TASK...] [-j N] [-k] [-n] [--param K=V]... [-C DIR] [-v]",
     "bring tasks up to date, running only what changed",
     "  FILE            the pipeline file (default: pipeline.yaml)\n"
     "  TASK            a task name (all its instances) or a label such as 'Clean(year=2024)';\n"
     "                  default: every task that no other task requires\n"
     "  -j N            run up to N commands at once (default: the number of CPUs)\n"
     "  -k              keep going: after a failure, build what does not depend on it\n"
     "  -n, --dry-run   say what would run and why, run nothing\n"
     "  --param K=V     override a parameter (repeatable)\n"
     "  -C DIR          look for FILE in DIR\n"
     "  -v              print each command as it starts\n"
     "  --download      take results from the remote cache instead of running (only what is needed\n"
     "                  is downloaded: upstream results are resolved from their records)\n"
     "  --upload        afterwards, upload every result of the graph that the remote lacks\n"
     "  --remote URL    azure://ACCOUNT/CONTAINER[/PREFIX], file:///PATH or a directory\n"
     "                  (default: $LUISY_REMOTE, the pipeline's `remote:`, or the LUISY_AZURE_* variables)\n"
     "  --transfers N   transfers in flight (default 16)\n"},
    {"push", "luisy push [FILE] [TASK...] [--remote URL]",
     "upload the results that are up to date here and missing from the remote, running nothing", ""},
    {"pull", "luisy pull [FILE] [TASK...] [--remote URL]",
     "download the selected tasks' results from the remote, running nothing (exit 1 if one is missing)", ""},
    {"cache", "luisy cache trim --max-size SIZE",
     "evict least recently used content from the local store ($LUISY_CACHE_DIR, ~/.cache/luisy)", ""},
    {"status", "luisy status [FILE] [TASK...] [--format text|json] [--remote [URL]] [--param K=V]...",
     "show every task instance: up to date, or why it would run", ""},
    {"explain", "luisy explain [FILE] TASK [--param K=V]...",
     "show what a task's key is made of and what changed since its last run", ""},
    {"graph", "luisy graph [FILE] [TASK...] --format dot|mermaid",
     "print the dependency graph for Graphviz or Mermaid, coloured by state", ""},
    {"clean", "luisy clean [FILE] [TASK...]",
     "delete the outputs of the selected tasks (default: all) and forget their results", ""},
    {"validate", "luisy validate [FILE]",
     "check a pipeline file (syntax, keys, placeholders, requires, cycles, inputs)", ""},
    {"help", "luisy help [COMMAND]", "show help for a command", ""},
};

}  // namespace

std::string help_text(const std::string& command) {
  if (command.empty()) {
    std::string text =
        "luisy: runs data pipelines declared in YAML, incrementally and in parallel\n\n"
        "usage: luisy COMMAND [ARGS]\n\ncommands:\n";
    for (const auto& c : kCommands) text += fmt::format("  {:<10} {}\n", c.name, c.summary);
    text +=
        "\nexit status: 0 success, 1 a task failed, 2 bad usage, bad pipeline or remote refused,\n"
        "             3 results could not be uploaded,\n"
        "             130/143 interrupted by SIGINT/SIGTERM\n"
        "run `luisy help COMMAND` for a command's options; `luisy --version` for the version\n";
    return text;
  }
  for (const auto& c : kCommands)
    if (command == c.name) return fmt::format("usage: {}\n\n{}\n{}", c.synopsis, c.summary, c.details);
  throw UsageError(fmt::format("unknown command '{}'", command));
}

}  // namespace luisy::cli
