#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace luisy::util {

// Quotes a word for /bin/sh when it needs it: `data/a.csv` stays as is, `my file` becomes
// `'my file'`, and a single quote inside becomes `'\''`.
std::string shell_quote(std::string_view word);

// True when the command can be run without a shell: only words of safe characters
// separated by spaces (no quotes, redirections, pipes, globs, variables, or newlines).
bool is_simple_command(std::string_view command);

std::vector<std::string> split(std::string_view text, char separator);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// Escapes a string for a JSON string literal (without the surrounding quotes).
std::string json_escape(std::string_view text);

// "1.2 s", "350 ms", "2 min 5 s"
std::string format_duration(double seconds);
// "1.5 MiB"
std::string format_bytes(unsigned long long bytes);

}  // namespace luisy::util
