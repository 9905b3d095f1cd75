#pragma once
// Shell completion: scripts generated from the command table (help.h), and the lookup of the
// pipeline file behind `luisy __complete-tasks`.
#include <string>
#include <string_view>
#include <vector>

namespace luisy::cli {

// The completion script for `shell`: "bash", "zsh" or "fish". Throws UsageError otherwise.
std::string completion_script(std::string_view shell);

// The pipeline file that the words typed after `luisy` name (the word being completed left
// out): the first operand when it is FILE, under -C DIR; default pipeline.yaml. Option
// values are skipped the way the parser takes them, using the command table.
std::string completion_pipeline_path(const std::vector<std::string>& words);

}  // namespace luisy::cli
