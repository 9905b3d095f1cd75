#include "luisy/manifest/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace luisy::manifest {

namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// True when the text after "in"/"out" is "[digits]".
bool parse_index(std::string_view rest) {
  if (rest.size() < 3 || rest.front() != '[' || rest.back() != ']') return false;
  std::string_view digits = rest.substr(1, rest.size() - 2);
  // Nine digits fit an int; nobody has a billion inputs.
  if (digits.empty() || digits.size() > 9) return false;
  return std::all_of(digits.begin(), digits.end(), is_digit);
}

constexpr std::string_view kBraceHint = "write '{{' and '}}' for literal braces";

// The problem with the placeholder between braces, or nullopt when it is well formed.
std::optional<std::string> check_placeholder(std::string_view inner, TemplateUse use) {
  if (inner.empty()) {
    return fmt::format("empty placeholder '{{}}': expected a parameter name, {{in}} or {{out}}; {}",
                       kBraceHint);
  }
  bool is_in = inner == "in" || inner.starts_with("in[");
  bool is_out = inner == "out" || inner.starts_with("out[");
  if (is_in || is_out) {
    std::string_view rest = inner.substr(is_in ? 2 : 3);
    if (!rest.empty() && !parse_index(rest)) {
      return fmt::format(
          "invalid placeholder '{{{}}}': the index must be a non-negative integer, "
          "as in {{{}[0]}}",
          inner, is_in ? "in" : "out");
    }
    if (use == TemplateUse::kPath) {
      return fmt::format("'{{{}}}' cannot be used in a path; {{in}} and {{out}} belong in 'cmd'",
                         inner);
    }
    return std::nullopt;
  }
  if (is_identifier(inner)) return std::nullopt;
  return fmt::format(
      "invalid placeholder '{{{}}}': expected a parameter name, {{in}}, {{out}}, {{in[N]}} or "
      "{{out[N]}}; {}",
      inner, kBraceHint);
}

}  // namespace

bool is_identifier(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_name_start(c) || is_digit(c); });
}

bool is_project_name(std::string_view name) {
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c); };
  if (name.empty() || !lower_or_digit(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return lower_or_digit(c) || c == '.' || c == '_' || c == '-'; });
}

std::optional<TextProblem> check_template(std::string_view text, TemplateUse use) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool doubled = i + 1 < text.size() && text[i + 1] == c;
    if (c == '}') {
      if (doubled) {
        ++i;
        continue;
      }
      return TextProblem{i, fmt::format("stray '}}' without a '{{'; {}", kBraceHint)};
    }
    if (c != '{') continue;
    if (doubled) {
      ++i;
      continue;
    }
    size_t close = text.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || text[close] == '{') {
      return TextProblem{i, fmt::format("unclosed '{{' in placeholder; {}", kBraceHint)};
    }
    if (auto message = check_placeholder(text.substr(i + 1, close - i - 1), use)) {
      return TextProblem{i, std::move(*message)};
    }
    i = close;
  }
  return std::nullopt;
}

std::optional<TextProblem> check_workspace_path(std::string_view path, std::string_view what) {
  if (path.empty()) return TextProblem{0, fmt::format("empty {} path", what)};
  if (path.front() == '/') {
    return TextProblem{0, fmt::format("{} path '{}' is absolute; paths are relative to the "
                                      "pipeline file's directory",
                                      what, path)};
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (path.substr(start, end - start) == "..") {
      return TextProblem{start, fmt::format("{} path '{}' leaves the workspace through '..'; "
                                            "paths must stay below the pipeline file's directory",
                                            what, path)};
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return std::nullopt;
}

std::optional<int64_t> parse_duration(std::string_view text) {
  if (text == "never" || text == "off") return -1;
  if (text.empty()) return std::nullopt;
  int64_t unit = 1;
  switch (text.back()) {
    case 's':
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  // Nine digits are 30 years of seconds: plenty, and no overflow.
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), is_digit))
    return std::nullopt;
  int64_t value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value * unit;
}

std::optional<std::string> check_tool_name(std::string_view name) {
  if (name.empty()) return std::string("empty tool name");
  if (name.find_first_of(" \t\n") != std::string_view::npos)
    return fmt::format("invalid tool name '{}': a tool is one executable's name, as in python3, "
                       "without arguments",
                       name);
  if (name.back() == '/') return fmt::format("invalid tool '{}': a tool is a file, not a directory", name);
  return std::nullopt;
}

std::string_view closest_key(std::string_view key, std::span<const std::string_view> known) {
  // Optimal string alignment distance; keys are short, so three rows are plenty.
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      current[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
        current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
          current[j] = std::min(current[j], before[j - 2] + 1);
        }
      }
      before.swap(previous);
      previous.swap(current);
    }
    return previous[b.size()];
  };
  std::string_view best;
  size_t best_distance = 3;
  for (std::string_view candidate : known) {
    size_t d = distance(key, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace luisy::manifest
