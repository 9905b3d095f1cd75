// `luisy completion SHELL` and the hidden `luisy __complete-tasks -- WORD...` that the scripts
// call for task names.
#include <fmt/format.h>

#include "luisy/cli/commands.h"
#include "luisy/cli/completion.h"
#include "luisy/cli/help.h"
#include "luisy/manifest/loader.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::cli {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The option `word` names, for the command typed (any command's before one is typed).
const OptionSpec* option_named(const CommandSpec* command, std::string_view word) {
  if (command) return command->find_option(word);
  for (const auto& candidate : command_table())
    if (const OptionSpec* option = candidate.find_option(word)) return option;
  return nullptr;
}

}  // namespace

std::string completion_pipeline_path(const std::vector<std::string>& words) {
  std::string directory;
  const CommandSpec* command = nullptr;
  bool command_seen = false, operands_only = false;
  std::vector<std::string> operands;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    bool has_next = i + 1 < words.size();
    if (operands_only || word.size() < 2 || word[0] != '-') {
      if (!command_seen) {
        command_seen = true;
        command = find_command(word);
      } else {
        operands.push_back(word);
      }
    } else if (word == "--") {
      operands_only = true;
    } else if (word == "-C" || word == "--directory") {
      if (has_next) directory = words[++i];
    } else if (starts_with(word, "--directory=")) {
      directory = word.substr(12);
    } else if (starts_with(word, "-C")) {
      directory = word.substr(2);
    } else if (word.find('=') == std::string::npos && (word.size() == 2 || word[1] == '-')) {
      // A value in the next word, unless it is optional and the next word is not a remote.
      const OptionSpec* option = option_named(command, word);
      if (option && option->takes_value() && has_next &&
          (!option->optional_value || words[i + 1].find("://") != std::string::npos))
        ++i;
    }
  }
  std::string file = "pipeline.yaml";
  if (!operands.empty() && is_pipeline_operand(directory, operands[0])) file = operands[0];
  return util::join_path(directory, file);
}

int command_completion(const CommandLine& line) {
  if (line.words.size() != 1) throw UsageError("usage: luisy completion bash|zsh|fish");
  fmt::print("{}", completion_script(line.words[0]));
  return kExitOk;
}

int command_complete_tasks(const CommandLine& line) {
  // Runs on every Tab: reads the pipeline file only (no plan, nothing under .luisy), and a
  // file that does not parse (being edited, say) completes nothing rather than an error.
  try {
    manifest::Pipeline pipeline = manifest::load_pipeline(completion_pipeline_path(line.words));
    std::string names;
    for (const auto& task : pipeline.tasks) names += task.name + "\n";
    fmt::print("{}", names);
  } catch (...) {
  }
  return kExitOk;
}

}  // namespace luisy::cli
