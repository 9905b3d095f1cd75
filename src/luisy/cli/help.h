#pragma once
#include <string>

namespace luisy::cli {

// `luisy help` (overview) or `luisy help COMMAND`. Throws UsageError for unknown commands.
std::string help_text(const std::string& command);

}  // namespace luisy::cli
