#pragma once
// The one description of the command line. `luisy help`, `luisy COMMAND --help`, the man
// page (luisy.1) and the shell completion scripts are all generated from this table, so
// they cannot disagree. Adding an option is one line in help.cpp (and its parsing in args.cpp;
// tests/unit/test_cli_help.cpp checks that the two agree).
#include <string>
#include <string_view>
#include <vector>

namespace luisy::cli {

struct OptionSpec {
  std::string_view flag = {};        // "--jobs"; "" when the option has only a short form
  std::string_view short_flag = {};  // "-j", or ""
  std::string_view value = {};    // the value's name ("N", "K=V", "FILE", "DIR"); "" for a switch.
                                  // Completion completes files for FILE, directories for DIR.
  std::string_view help = {};     // one line
  std::string_view choices = {};  // enumerated values, "text|json": shown instead of `value`
  bool repeatable = false;        // may be given more than once (--param K=V...)
  bool optional_value = false;    // the value may be left out (status --remote [URL])
  bool required = false;          // the command needs it (cache trim --max-size SIZE)

  bool takes_value() const { return !value.empty() || !choices.empty(); }
  std::string_view name() const { return flag.empty() ? short_flag : flag; }
  // "-j N", "--format text|json", "--remote [URL]", "--param K=V"...: as the synopsis shows it.
  std::string usage() const;
  // "-j, --jobs N": as the option lists show it.
  std::string label() const;
  std::vector<std::string_view> choice_list() const;
};

struct CommandSpec {
  std::string_view name;
  std::string_view operands;  // "[FILE] [TASK...]": FILE and TASK mean the pipeline file and tasks
  std::string_view summary;   // one line, for the command list
  std::string_view details;   // after the summary ("" for none): paragraphs separated by '\n';
                              // a line that starts with two spaces is shown as it is (examples)
  std::vector<OptionSpec> options;
  bool hidden = false;  // internal (completion helpers): not listed, not completed

  // "luisy build [FILE] [TASK...] [-j N] [-k] ...", wrapped at 80 columns for text that
  // starts at `first_column`.
  std::string synopsis(size_t first_column = 0) const;
  const OptionSpec* find_option(std::string_view flag) const;
};

// One word of a command's operands ("[FILE]", "TASK...", "bash|zsh|fish"), for the help
// text and for completion: FILE completes pipeline files, TASK the file's tasks, COMMAND the
// commands, `a|b` and lowercase words themselves.
struct OperandSpec {
  enum class Kind { kFile, kTask, kCommand, kChoice, kWord };
  Kind kind = Kind::kWord;
  std::string_view name;  // without brackets and dots
  bool optional = false;
  bool repeated = false;
  std::string_view help;                  // "" when the name says it all
  std::vector<std::string_view> choices;  // kChoice only
};

struct ExitStatusSpec {
  std::string_view code;
  std::string_view meaning;
};

struct EnvironmentSpec {
  std::string_view name;
  std::string_view help;
};

// Every command in the order `luisy help` lists them, hidden ones last.
const std::vector<CommandSpec>& command_table();
// Options every command accepts (--help) and those that replace the command (--version).
const std::vector<OptionSpec>& global_options();
// The environment variables luisy reads, for the man page.
const std::vector<EnvironmentSpec>& environment_table();
const std::vector<ExitStatusSpec>& exit_statuses();
std::vector<OperandSpec> operands_of(const CommandSpec& command);
std::vector<std::string_view> detail_lines(const CommandSpec& command);
// nullptr when there is no such command.
const CommandSpec* find_command(std::string_view name);

// `luisy help` (overview) or `luisy help COMMAND`. Throws UsageError for unknown commands.
std::string help_text(const std::string& command);

// The manual page luisy.1 in roff (man(7) macros).
std::string man_page();

}  // namespace luisy::cli
