#include "luisy/cli/help.h"

#include <fmt/format.h>

#include "luisy/util/error.h"

namespace luisy::cli {

namespace {

// Options several commands share.
const OptionSpec kParam{"--param", "", "K=V", "override a parameter (repeatable)", "", true};
const OptionSpec kDirectory{"--directory", "-C", "DIR",
                            "look for FILE in DIR (the workspace is FILE's directory)"};
const OptionSpec kRemote{
    "--remote", "", "URL",
    "azure://ACCOUNT/CONTAINER[/PREFIX], file:///PATH or a directory (default: $LUISY_REMOTE, "
    "the pipeline's `remote:`, or the LUISY_AZURE_* variables)"};
const OptionSpec kTransfers{"--transfers", "", "N", "transfers in flight (default 16)"};
const OptionSpec kVerbose{"--verbose", "-v", "", "print each command as it starts"};
const OptionSpec kLogFormat{"--log-format", "", "FORMAT",
                            "json: one JSON object per event on stdout, no status line", "text|json"};

// THE table: one entry per command, one line per option. Keep args.cpp in step (the unit
// test tests/unit/test_cli_help.cpp feeds every option here to the parser and looks for
// every option the parser knows here).
const std::vector<CommandSpec> kCommands = {
    {"build",
     "[FILE] [TASK...]",
     "bring tasks up to date, running only what changed",
     "Without TASK, builds every task that no other task requires. A task instance is up to "
     "date when its key (command, parameters, declared environment, output paths, input "
     "digests) equals the recorded one and its outputs are intact; the rest runs, in parallel, "
     "or is restored from the local or remote cache.",
     {
         {"--jobs", "-j", "N",
          "run up to N commands at once (default: the number of CPUs; under make, make's "
          "jobserver, or 1 without one)"},
         {"--keep-going", "-k", "",
          "keep going: after a failure, build what does not depend on it"},
         {"--dry-run", "-n", "", "say what would run and why, run nothing"},
         kParam,
         kDirectory,
         kVerbose,
         {"--download", "", "",
          "take results from the remote cache instead of running (only what is needed is "
          "downloaded)"},
         {"--upload", "", "", "afterwards, upload every result of the graph that the remote lacks"},
         kRemote,
         kTransfers,
         {"--accept", "", "",
          "record the current outputs of what would run as up to date, without running them"},
         {"--yes", "-y", "", "do not ask before deleting outputs that took long to make"},
         {"--depfile", "", "FILE",
          "after a successful build, write the make rule `FILE: pipeline file and source inputs` "
          "(deleted when the build fails)"},
         {"--trace", "", "FILE", "write a Chrome trace-event file of the build (Perfetto, chrome://tracing)"},
         kLogFormat,
     }},
    {"push",
     "[FILE] [TASK...]",
     "upload the results that are up to date here and missing from the remote",
     "Runs nothing. Exit status 3 when a result could not be uploaded.",
     {kRemote, kTransfers, kParam, kDirectory, kVerbose, kLogFormat}},
    {"pull",
     "[FILE] [TASK...]",
     "download the selected tasks' results from the remote, running nothing",
     "Exit status 1 when the remote lacks one of them.",
     {kRemote, kTransfers, kParam, kDirectory, kVerbose, kLogFormat}},
    {"status",
     "[FILE] [TASK...]",
     "show every task instance: up to date, or why it would run",
     "",
     {
         {"--format", "", "FORMAT", "output format (default: text)", "text|json"},
         {.flag = "--remote",
          .value = "URL",
          .help = "also show whether the remote holds each instance",
          .optional_value = true},
         kParam,
         kDirectory,
     }},
    {"explain",
     "[FILE] TASK",
     "show what a task's key is made of and what changed since its last run",
     "",
     {kParam, kDirectory}},
    {"graph",
     "[FILE] [TASK...]",
     "print the dependency graph, coloured by state",
     "",
     {
         {"--format", "", "FORMAT",
          "Graphviz dot or Mermaid text, or svg/png rendered by Graphviz's dot (default: dot)",
          "dot|mermaid|svg|png"},
         {"--output", "-o", "FILE", "write to FILE instead of stdout"},
         {.flag = "--remote", .value = "URL", .help = "also colour what the remote cache holds"},
         kParam,
         kDirectory,
     }},
    {"clean",
     "[FILE] [TASK...]",
     "delete the outputs of the selected tasks and forget their results",
     "Without TASK, cleans every task.",
     {kParam, kDirectory}},
    {"validate",
     "[FILE]",
     "check a pipeline file (syntax, keys, placeholders, requires, cycles, inputs)",
     "Problems are reported with file, line and column.",
     {kParam, kDirectory}},
    {"verify",
     "[FILE]",
     "audit what luisy trusts: outputs against the stat cache, the local store, the remote",
     "Re-hashes the local store's blobs and checks that every record parses; with --remote, every "
     "remote record and the blobs it names (downloaded and re-hashed). Exit status: 0 nothing "
     "broken (or all removed), 1 broken entries remain, 2 the audit could not be completed.",
     {
         {.flag = "--remote",
          .value = "URL",
          .help = "also audit the remote (the configured one when no URL follows)",
          .optional_value = true},
         {"--remove-broken", "", "", "delete broken entries (remote records before their blobs)"},
         {"--format", "", "FORMAT", "output format (default: text)", "text|json"},
         kTransfers,
         kParam,
         kDirectory,
     }},
    {"cache",
     "trim",
     "evict least recently used content from the local store",
     "The local store is $LUISY_CACHE_DIR, else $XDG_CACHE_HOME/luisy, else ~/.cache/luisy.",
     {
         {.flag = "--max-size",
          .value = "SIZE",
          .help = "keep at most SIZE bytes (500M, 10G, 1.5GiB...)",
          .required = true},
     }},
    {"completion",
     "bash|zsh|fish",
     "print a shell completion script",
     "Completes commands, options, option values, pipeline files and the task names of the "
     "pipeline file. "
     "To install, for bash, zsh (with ~/.zfunc in $fpath before compinit) and fish:\n"
     "  luisy completion bash > ~/.local/share/bash-completion/completions/luisy\n"
     "  luisy completion zsh > ~/.zfunc/_luisy\n"
     "  luisy completion fish > ~/.config/fish/completions/luisy.fish",
     {}},
    {"help",
     "[COMMAND]",
     "show help for a command",
     "",
     {
         {"--man", "", "", "print the manual page (roff) instead"},
     }},
    // Used by the completion scripts: prints the task names of the pipeline file that WORD...
    // (the words typed after `luisy`) name, reading only the file; never fails.
    {"__complete-tasks", "[WORD...]", "print task names for shell completion", "", {}, true},
};

const std::vector<OptionSpec> kGlobalOptions = {
    {"--help", "-h", "", "show help (for the command when one is given)"},
    {"--version", "", "", "print the version and exit"},
};

const std::vector<EnvironmentSpec> kEnvironment = {
    {"LUISY_REMOTE",
     "the remote cache when --remote is not given (before the pipeline's `remote:`)"},
    {"LUISY_AZURE_ACCOUNT_NAME",
     "Azure storage account; with the key and container, enough on its own"},
    {"LUISY_AZURE_STORAGE_KEY", "the account's shared key"},
    {"LUISY_AZURE_SAS_TOKEN", "a SAS token (account or container) instead of the key"},
    {"LUISY_AZURE_CONTAINER_NAME", "the blob container"},
    {"AZURE_STORAGE_CONNECTION_STRING",
     "a connection string, including `UseDevelopmentStorage=true`"},
    {"LUISY_AZURE_ENDPOINT", "endpoint override (Azurite, a sovereign cloud)"},
    {"LUISY_AZURE_CA_FILE", "CA bundle for TLS verification"},
    {"LUISY_AZURE_MAX_RETRIES", "retries of a transient failure (default 3)"},
    {"LUISY_AZURE_RETRY_BASE_MS", "first retry delay; it doubles, with jitter"},
    {"LUISY_AZURE_CONNECT_TIMEOUT_S", "connection timeout in seconds"},
    {"LUISY_AZURE_LOW_SPEED_TIME_S", "seconds a transfer may stall before it is retried"},
    {"LUISY_AZURE_BLOCK_SIZE", "block size in bytes of block uploads and ranged downloads"},
    {"LUISY_CACHE_DIR",
     "the local content store (default: $XDG_CACHE_HOME/luisy, else ~/.cache/luisy)"},
    {"LUISY_CONFIRM_AFTER",
     "on a terminal, ask before deleting outputs whose last run took longer (default 10m; `never`)"},
    {"LUISY_LOCAL_CACHE", "`off` turns the local content store off when no remote is used"},
    {"MAKEFLAGS",
     "under GNU make: luisy takes a jobserver token for every task beyond its first"},
    {"TERM", "`dumb` (or unset) prints plain lines instead of a status line"},
};

const std::vector<ExitStatusSpec> kExitStatuses = {
    {"0", "success"},
    {"1", "a task failed (or `pull` found a result missing)"},
    {"2", "bad usage, bad pipeline, or a remote that refuses the credentials"},
    {"3", "the build succeeded but some results could not be uploaded"},
    {"130, 143", "interrupted by SIGINT, SIGTERM"},
};

std::vector<std::string_view> split_choices(std::string_view text) {
  std::vector<std::string_view> list;
  while (!text.empty()) {
    size_t bar = text.find('|');
    list.push_back(text.substr(0, bar));
    text = bar == std::string_view::npos ? std::string_view() : text.substr(bar + 1);
  }
  return list;
}

// Words joined by spaces into lines of at most `width` columns; continuation lines are
// indented by `indent` spaces. A word longer than a line gets a line of its own.
std::string wrap_words(const std::vector<std::string_view>& words, size_t width,
                       size_t first_column, size_t indent) {
  std::string text;
  size_t column = first_column;
  bool line_empty = true;
  for (std::string_view word : words) {
    if (!line_empty && column + 1 + word.size() > width) {
      text += "\n" + std::string(indent, ' ');
      column = indent;
      line_empty = true;
    }
    if (!line_empty) {
      text += ' ';
      ++column;
    }
    text += word;
    column += word.size();
    line_empty = false;
  }
  return text;
}

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// "  -j, --jobs N          run up to N ..." with the description wrapped at column 24.
std::string format_item(std::string_view label, std::string_view help) {
  constexpr size_t kColumn = 24;
  std::string text = fmt::format("  {}", label);
  if (text.size() + 2 > kColumn) {
    text += "\n" + std::string(kColumn, ' ');
  } else {
    text += std::string(kColumn - text.size(), ' ');
  }
  return text + wrap_words(words_of(help), 80, kColumn, kColumn) + "\n";
}

}  // namespace

const std::vector<CommandSpec>& command_table() {
  return kCommands;
}
const std::vector<OptionSpec>& global_options() {
  return kGlobalOptions;
}
const std::vector<EnvironmentSpec>& environment_table() {
  return kEnvironment;
}
const std::vector<ExitStatusSpec>& exit_statuses() {
  return kExitStatuses;
}

const CommandSpec* find_command(std::string_view name) {
  for (const auto& command : kCommands)
    if (command.name == name) return &command;
  return nullptr;
}

std::vector<std::string_view> OptionSpec::choice_list() const {
  return split_choices(choices);
}

std::string OptionSpec::usage() const {
  std::string_view shown = choices.empty() ? value : choices;
  std::string text(short_flag.empty() ? flag : short_flag);
  if (!shown.empty())
    text += (optional_value ? fmt::format(" [{}]", shown) : fmt::format(" {}", shown));
  if (required) return text;
  return repeatable ? fmt::format("[{}]...", text) : fmt::format("[{}]", text);
}

std::string OptionSpec::label() const {
  std::string text(short_flag);
  if (!short_flag.empty() && !flag.empty()) text += ", ";
  text += flag;
  std::string_view shown = choices.empty() ? value : choices;
  if (!shown.empty())
    text += (optional_value ? fmt::format(" [{}]", shown) : fmt::format(" {}", shown));
  return text;
}

std::string CommandSpec::synopsis(size_t first_column) const {
  std::string head = fmt::format("luisy {}", name);
  std::vector<std::string> words = {head};
  for (std::string_view word : words_of(operands)) words.emplace_back(word);
  for (const auto& option : options) words.push_back(option.usage());
  // An option's usage ("[-j N]") stays on one line.
  std::vector<std::string_view> views(words.begin(), words.end());
  return wrap_words(views, 80, first_column, first_column + head.size() + 1);
}

const OptionSpec* CommandSpec::find_option(std::string_view text) const {
  for (const auto& option : options)
    if (text == option.flag || text == option.short_flag) return &option;
  for (const auto& option : kGlobalOptions)
    if (text == option.flag || text == option.short_flag) return &option;
  return nullptr;
}

std::vector<std::string_view> detail_lines(const CommandSpec& command) {
  std::vector<std::string_view> lines;
  std::string_view rest = command.details;
  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    lines.push_back(rest.substr(0, newline));
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  }
  return lines;
}

std::vector<OperandSpec> operands_of(const CommandSpec& command) {
  std::vector<OperandSpec> operands;
  for (std::string_view word : words_of(command.operands)) {
    OperandSpec operand;
    if (word.size() >= 2 && word.front() == '[' && word.back() == ']') {
      operand.optional = true;
      word = word.substr(1, word.size() - 2);
    }
    if (word.size() > 3 && word.substr(word.size() - 3) == "...") {
      operand.repeated = true;
      word = word.substr(0, word.size() - 3);
    }
    operand.name = word;
    if (word == "FILE") {
      operand.kind = OperandSpec::Kind::kFile;
      operand.help =
          "the pipeline file (default: pipeline.yaml); the first word is FILE when it ends in "
          ".yaml or .yml, "
          "contains a '/', or names a file";
    } else if (word == "TASK") {
      operand.kind = OperandSpec::Kind::kTask;
      operand.help = "a task name (all its instances) or a label such as 'Clean(year=2024)'";
    } else if (word == "COMMAND") {
      operand.kind = OperandSpec::Kind::kCommand;
      operand.help = "a command";
    } else if (word.find('|') != std::string_view::npos ||
               (!word.empty() && word[0] >= 'a' && word[0] <= 'z')) {
      operand.kind = OperandSpec::Kind::kChoice;
      operand.choices = split_choices(word);
    }
    operands.push_back(operand);
  }
  return operands;
}

std::string help_text(const std::string& command) {
  if (command.empty()) {
    std::string text =
        "luisy: runs data pipelines declared in YAML, incrementally and in parallel\n\n"
        "usage: luisy COMMAND [ARGS]\n\ncommands:\n";
    for (const auto& c : kCommands)
      if (!c.hidden) text += fmt::format("  {:<11} {}\n", c.name, c.summary);
    text += "\nexit status:\n";
    for (const auto& status : kExitStatuses)
      text += fmt::format("  {:<11} {}\n", status.code, status.meaning);
    text +=
        "\nrun `luisy help COMMAND` for a command's options, `man luisy` for the manual;\n"
        "`luisy --version` prints the version\n";
    return text;
  }
  const CommandSpec* c = find_command(command);
  if (!c) throw UsageError(fmt::format("unknown command '{}'", command));
  std::string text = fmt::format("usage: {}\n\n{}\n", c->synopsis(7), c->summary);
  if (!c->details.empty()) text += "\n";
  for (std::string_view line : detail_lines(*c))
    text += line.substr(0, 2) == "  " ? fmt::format("{}\n", line)
                                      : wrap_words(words_of(line), 80, 0, 0) + "\n";
  std::string operands;
  for (const auto& operand : operands_of(*c))
    if (!operand.help.empty()) operands += format_item(operand.name, operand.help);
  if (!operands.empty()) text += "\n" + operands;
  text += "\noptions:\n";
  for (const auto& option : c->options) text += format_item(option.label(), option.help);
  text += format_item("-h, --help", "show this help");
  return text;
}

}  // namespace luisy::cli
