#include "luisy/util/strings.h"

#include <fmt/format.h>

namespace luisy::util {

namespace {
bool is_safe_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == '/' || c == ',' || c == ':' || c == '+' ||
         c == '@' || c == '%' || c == '^';
}
}  // namespace

std::string shell_quote(std::string_view word) {
  if (word.empty()) return "''";
  bool safe = true;
  for (char c : word) safe = safe && (is_safe_char(c) || c == '=');
  // NAME=value as the first word of a command would be a variable assignment (PATH=/tmp/x),
  // not an argument: quoted, it stays a word (found by tests/fuzz/fuzz_placeholder).
  size_t eq = word.find('=');
  if (eq != std::string_view::npos && eq > 0 && !(word[0] >= '0' && word[0] <= '9')) {
    bool name = true;
    for (char c : word.substr(0, eq))
      name = name && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_');
    safe = safe && !name;
  }
  if (safe) return std::string(word);
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'')
      quoted += "'\\''";
    else
      quoted += c;
  }
  quoted += '\'';
  return quoted;
}

bool is_simple_command(std::string_view command) {
  bool has_word = false;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (c == ' ') continue;
    // '=' is safe inside an argument, but a leading NAME=value word is an assignment.
    if (c == '=') {
      if (i == 0 || command[i - 1] == ' ') return false;
      if (!has_word) return false;
      continue;
    }
    if (!is_safe_char(c)) return false;
    if (i == 0 || command[i - 1] == ' ') {
      // the first word must not be a shell builtin or keyword that behaves differently
      if (!has_word) {
        size_t end = command.find(' ', i);
        std::string_view first = command.substr(i, end == std::string_view::npos ? end : end - i);
        static const char* const kShellWords[] = {"cd", "exit", "export", "set", "unset", "exec",
                                                  "eval", "source", ".", "if", "for", "while",
                                                  "case", "until", "alias", "ulimit", "umask",
                                                  "trap", "read", "wait", "shift", "return"};
        for (const char* w : kShellWords)
          if (first == w) return false;
        if (first.find('/') == std::string_view::npos && first.find('%') != std::string_view::npos)
          return false;
      }
      has_word = true;
    }
  }
  return has_word;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

std::string format_duration(double seconds) {
  if (seconds < 1.0) return fmt::format("{:.0f} ms", seconds * 1000);
  if (seconds < 60.0) return fmt::format("{:.1f} s", seconds);
  int whole = static_cast<int>(seconds);
  if (whole < 3600) return fmt::format("{} min {} s", whole / 60, whole % 60);
  return fmt::format("{} h {} min", whole / 3600, (whole % 3600) / 60);
}

std::string format_bytes(unsigned long long bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace luisy::util
