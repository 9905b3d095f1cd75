#include "luisy/graph/placeholder.h"

#include <fmt/format.h>

#include <stdexcept>

namespace luisy::graph {

namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

[[noreturn]] void fail(size_t offset, size_t* error_offset, const std::string& message) {
  if (error_offset) *error_offset = offset;
  throw std::invalid_argument(message);
}

// "in[3]" -> 3; -1 when `inner` is not `prefix[digits]`.
int parse_index(std::string_view inner, std::string_view prefix) {
  if (inner.size() < prefix.size() + 3 || inner.substr(0, prefix.size()) != prefix) return -1;
  std::string_view rest = inner.substr(prefix.size());
  if (rest.front() != '[' || rest.back() != ']') return -1;
  std::string_view digits = rest.substr(1, rest.size() - 2);
  if (digits.empty() || digits.size() > 9) return -1;  // as manifest::check_template
  int value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

Placeholder classify(std::string_view inner, size_t offset, size_t* error_offset) {
  Placeholder part;
  part.column = static_cast<int>(offset);
  if (inner == "in" || inner == "out") {
    part.kind = inner == "in" ? Placeholder::Kind::kInputs : Placeholder::Kind::kOutputs;
    return part;
  }
  if (int index = parse_index(inner, "in"); index >= 0) {
    part.kind = Placeholder::Kind::kInputs;
    part.index = index;
    return part;
  }
  if (int index = parse_index(inner, "out"); index >= 0) {
    part.kind = Placeholder::Kind::kOutputs;
    part.index = index;
    return part;
  }
  bool is_name = !inner.empty() && is_name_start(inner[0]);
  for (char c : inner) is_name = is_name && is_name_char(c);
  if (!is_name) {
    if (inner.empty())
      fail(offset, error_offset, "empty placeholder '{}' (write '{{}}' for literal braces)");
    fail(offset, error_offset,
         fmt::format(
             "invalid placeholder '{{{}}}': expected a parameter name, in, out, in[N] or out[N]",
             inner));
  }
  part.kind = Placeholder::Kind::kParam;
  part.text = std::string(inner);
  return part;
}

}  // namespace

std::vector<Placeholder> parse_template(std::string_view text, size_t* error_offset) {
  std::vector<Placeholder> parts;
  auto literal = [&](size_t offset) -> std::string& {
    if (parts.empty() || parts.back().kind != Placeholder::Kind::kLiteral) {
      parts.emplace_back();
      parts.back().column = static_cast<int>(offset);
    }
    return parts.back().text;
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '{') {
      if (i + 1 < text.size() && text[i + 1] == '{') {
        literal(i) += '{';
        i += 2;
        continue;
      }
      size_t close = text.find_first_of("{}", i + 1);
      if (close == std::string_view::npos || text[close] != '}')
        fail(i, error_offset, "unclosed '{' (write '{{' for a literal brace)");
      parts.push_back(classify(text.substr(i + 1, close - i - 1), i, error_offset));
      i = close + 1;
    } else if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal(i) += '}';
        i += 2;
        continue;
      }
      fail(i, error_offset, "stray '}' (write '}}' for a literal brace)");
    } else {
      size_t next = text.find_first_of("{}", i);
      if (next == std::string_view::npos) next = text.size();
      literal(i).append(text.substr(i, next - i));
      i = next;
    }
  }
  return parts;
}

std::vector<std::string> template_params(const std::vector<Placeholder>& parts) {
  std::vector<std::string> names;
  for (const auto& part : parts) {
    if (part.kind != Placeholder::Kind::kParam) continue;
    bool seen = false;
    for (const auto& name : names) seen = seen || name == part.text;
    if (!seen) names.push_back(part.text);
  }
  return names;
}

}  // namespace luisy::graph
