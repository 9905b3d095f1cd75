// libFuzzer target: placeholder templates ({K}, {in}, {out}, {in[N]}, {{, }}) and the shell
// quoting of substituted values. Checks, beyond "no crash":
// - the loader's syntax check (manifest::check_template) and the graph's parser
//   (graph::parse_template) accept exactly the same templates;
// - a parsed template written back out parses to the same parts;
// - a value substituted into a command reads back, through POSIX sh quoting rules, as the
//   exact same word, and never as a NAME=value assignment: no value can inject shell syntax.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "luisy/graph/placeholder.h"
#include "luisy/manifest/validate.h"
#include "luisy/util/strings.h"

namespace {

using luisy::graph::Placeholder;

std::string render(const std::vector<Placeholder>& parts) {
  std::string out;
  for (const auto& part : parts) {
    switch (part.kind) {
      case Placeholder::Kind::kLiteral:
        for (char c : part.text) {
          out += c;
          if (c == '{' || c == '}') out += c;
        }
        break;
      case Placeholder::Kind::kParam:
        out += '{' + part.text + '}';
        break;
      case Placeholder::Kind::kInputs:
      case Placeholder::Kind::kOutputs: {
        out += part.kind == Placeholder::Kind::kInputs ? "{in" : "{out";
        if (part.index >= 0) out += '[' + std::to_string(part.index) + ']';
        out += '}';
        break;
      }
    }
  }
  return out;
}

bool same(const std::vector<Placeholder>& a, const std::vector<Placeholder>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].kind != b[i].kind || a[i].text != b[i].text || a[i].index != b[i].index) return false;
  return true;
}

// One shell word as sh reads it: unquoted safe characters, '...' and \' outside quotes.
// nullopt when the text is not exactly one word made of those (something sh would treat
// as syntax: a space, $, ;, |, a glob...).
std::optional<std::string> read_shell_word(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string word;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\'') {
      size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      word.append(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return std::nullopt;
      word += text[i + 1];
      i += 2;
    } else {
      bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   std::string_view("_-./,:+@%^=").find(c) != std::string_view::npos;
      if (!plain) return std::nullopt;
      word += c;
      ++i;
    }
  }
  return word;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  std::optional<std::vector<Placeholder>> parts;
  size_t offset = 0;
  try {
    parts = luisy::graph::parse_template(text, &offset);
    // Offsets point inside the text, and parts keep the text order.
    int last = -1;
    for (const auto& part : *parts) {
      if (part.column < last || static_cast<size_t>(part.column) >= text.size()) __builtin_trap();
      last = part.column;
    }
    auto again = luisy::graph::parse_template(render(*parts));
    if (!same(*parts, again)) __builtin_trap();
    (void)luisy::graph::template_params(*parts);
  } catch (const std::invalid_argument&) {
    if (offset >= text.size()) __builtin_trap();  // the error must point into the text
  }
  bool valid = !luisy::manifest::check_template(text, luisy::manifest::TemplateUse::kCommand);
  if (valid != parts.has_value()) __builtin_trap();  // the loader and the graph disagree

  // The input as a parameter value or a path substituted into a command.
  std::string quoted = luisy::util::shell_quote(text);
  if (text.find('\0') == std::string_view::npos) {
    auto word = read_shell_word(quoted);
    if (!word || *word != text) __builtin_trap();
    // Nor may it read as an assignment when it is the command's first word.
    size_t eq = quoted.find('=');
    if (eq != std::string::npos && eq > 0 && !(quoted[0] >= '0' && quoted[0] <= '9') &&
        quoted.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == eq)
      __builtin_trap();
  }
  return 0;
}
