#pragma once
// Inside the completion generators: one function per shell, and what they share.
#include <string>
#include <string_view>
#include <vector>

#include "luisy/cli/help.h"

namespace luisy::cli::completion {

std::string bash_script();
std::string zsh_script();
std::string fish_script();

// What completes an option's value: "" (a switch), "choice", "file", "dir", "optional" (the
// value may be left out) or "word" (anything: nothing to complete).
std::string_view value_kind(const OptionSpec& option);
std::string joined(const std::vector<std::string_view>& words, std::string_view separator);

}  // namespace luisy::cli::completion
