#include "luisy/hash/task_key.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>

namespace luisy::hash {

// The preimage text:
//
//   luisy-key 1
//   cmd 14:python3 run.py
//   param 4:year 4:2024
//   env 6:LC_ALL 1:C
//   env 4:HOME -                 (declared but unset)
//   output 5:a.txt
//   input 12:data/raw.csv 32:<hex digest>
//   tool 7:python3 32:<hex digest>
//   end
//
// Every value is length-prefixed, so newlines, spaces and colons inside values cannot make
// two preimages serialise alike. Params, env and tools are sorted by name (their order means
// nothing); outputs and inputs keep their order ({out} and {in} follow it). The closing
// "end" line makes a truncated preimage unparsable rather than a shorter valid one.

namespace {

constexpr std::string_view kTagCmd = "cmd";
constexpr std::string_view kTagParam = "param";
constexpr std::string_view kTagEnv = "env";
constexpr std::string_view kTagOutput = "output";
constexpr std::string_view kTagInput = "input";
constexpr std::string_view kTagTool = "tool";
constexpr std::string_view kEndLine = "end\n";

std::string header_line() {
  return fmt::format("luisy-key {}\n", kKeyFormatVersion);
}

void append_item(std::string& out, std::string_view value) {
  out += ' ';
  out += std::to_string(value.size());
  out += ':';
  out += value;
}

void append_line(std::string& out, std::string_view tag, std::string_view a) {
  out += tag;
  append_item(out, a);
  out += '\n';
}

void append_line(std::string& out, std::string_view tag, std::string_view a, std::string_view b) {
  out += tag;
  append_item(out, a);
  append_item(out, b);
  out += '\n';
}

bool digest_less(const util::Digest& a, const util::Digest& b) {
  return a.high != b.high ? a.high < b.high : a.low < b.low;
}

// A cursor over the text; every method fails (returns false / nullopt) instead of reading
// past the end.
struct Reader {
  std::string_view text;
  size_t pos = 0;

  bool at_end() const { return pos == text.size(); }
  bool consume(char c) {
    if (pos >= text.size() || text[pos] != c) return false;
    ++pos;
    return true;
  }
  std::optional<std::string_view> tag() {
    size_t start = pos;
    while (pos < text.size() && text[pos] >= 'a' && text[pos] <= 'z') ++pos;
    if (pos == start) return std::nullopt;
    return text.substr(start, pos - start);
  }
  // " <len>:<bytes>"
  std::optional<std::string_view> item() {
    if (!consume(' ')) return std::nullopt;
    size_t length = 0;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 12) return std::nullopt;
      length = length * 10 + static_cast<size_t>(text[pos] - '0');
      ++pos;
    }
    if (digits == 0 || !consume(':') || length > text.size() - pos) return std::nullopt;
    std::string_view value = text.substr(pos, length);
    pos += length;
    return value;
  }
  // " -" (unset) or an item.
  std::optional<std::optional<std::string>> optional_item() {
    if (pos + 1 < text.size() && text[pos] == ' ' && text[pos + 1] == '-') {
      pos += 2;
      return std::optional<std::string>();
    }
    auto value = item();
    if (!value) return std::nullopt;
    return std::optional<std::string>(std::string(*value));
  }
  std::optional<util::Digest> digest_item() {
    auto value = item();
    if (!value) return std::nullopt;
    return util::digest_from_hex(*value);
  }
};

}  // namespace

std::string serialize_preimage(const KeyPreimage& preimage) {
  auto params = preimage.params;
  std::sort(params.begin(), params.end());
  auto env = preimage.env;
  std::sort(env.begin(), env.end());
  auto tools = preimage.tools;
  std::sort(tools.begin(), tools.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : digest_less(a.second, b.second);
  });

  std::string out = header_line();
  append_line(out, kTagCmd, preimage.command);
  for (const auto& [name, value] : params) append_line(out, kTagParam, name, value);
  for (const auto& [name, value] : env) {
    out += kTagEnv;
    append_item(out, name);
    if (value)
      append_item(out, *value);
    else
      out += " -";
    out += '\n';
  }
  for (const auto& path : preimage.outputs) append_line(out, kTagOutput, path);
  for (const auto& input : preimage.inputs)
    append_line(out, kTagInput, input.path, util::to_hex(input.digest));
  for (const auto& [name, digest] : tools) append_line(out, kTagTool, name, util::to_hex(digest));
  out += kEndLine;
  return out;
}

std::optional<KeyPreimage> parse_preimage(std::string_view text) {
  std::string header = header_line();
  if (!text.starts_with(header) || !text.ends_with(kEndLine)) return std::nullopt;
  Reader in{text.substr(0, text.size() - kEndLine.size()), header.size()};
  KeyPreimage p;
  // Fields come in a fixed order: cmd once, then params, env, outputs, inputs, tools.
  int last_rank = -1;
  while (!in.at_end()) {
    auto tag = in.tag();
    if (!tag) return std::nullopt;
    int rank;
    if (*tag == kTagCmd) {
      if (last_rank != -1) return std::nullopt;
      auto command = in.item();
      if (!command) return std::nullopt;
      p.command = *command;
      rank = 0;
    } else if (*tag == kTagParam) {
      auto name = in.item();
      auto value = name ? in.item() : std::nullopt;
      if (!value) return std::nullopt;
      p.params.emplace_back(*name, *value);
      rank = 1;
    } else if (*tag == kTagEnv) {
      auto name = in.item();
      if (!name) return std::nullopt;
      auto value = in.optional_item();
      if (!value) return std::nullopt;
      p.env.emplace_back(*name, *value);
      rank = 2;
    } else if (*tag == kTagOutput) {
      auto path = in.item();
      if (!path) return std::nullopt;
      p.outputs.emplace_back(*path);
      rank = 3;
    } else if (*tag == kTagInput) {
      auto path = in.item();
      auto digest = path ? in.digest_item() : std::nullopt;
      if (!digest) return std::nullopt;
      p.inputs.push_back(KeyInput{std::string(*path), *digest});
      rank = 4;
    } else if (*tag == kTagTool) {
      auto name = in.item();
      auto digest = name ? in.digest_item() : std::nullopt;
      if (!digest) return std::nullopt;
      p.tools.emplace_back(*name, *digest);
      rank = 5;
    } else {
      return std::nullopt;
    }
    if (rank < last_rank || (rank == 0) != (last_rank == -1)) return std::nullopt;
    last_rank = rank;
    if (!in.consume('\n')) return std::nullopt;
  }
  if (last_rank == -1) return std::nullopt;
  // Only the canonical form is accepted (sorted fields, no leading zeros), so that a parsed
  // preimage always has the key its text has.
  if (serialize_preimage(p) != text) return std::nullopt;
  return p;
}

util::Digest compute_key(const KeyPreimage& preimage) {
  return util::digest_of(serialize_preimage(preimage));
}

namespace {

std::string show(const std::optional<std::string>& value) {
  return value ? *value : "unset";
}

// Compares two name -> value lists; `changed` formats a line for a name present in both
// with different values.
template <typename Value, typename Changed>
void compare_named(const std::vector<std::pair<std::string, Value>>& before,
                   const std::vector<std::pair<std::string, Value>>& after, std::string_view what,
                   Changed changed, std::vector<std::string>& lines) {
  std::map<std::string, const Value*> old_values, new_values;
  for (const auto& [name, value] : before) old_values[name] = &value;
  for (const auto& [name, value] : after) new_values[name] = &value;
  for (const auto& [name, value] : old_values) {
    auto it = new_values.find(name);
    if (it == new_values.end())
      lines.push_back(fmt::format("{} {} removed", what, name));
    else if (!(*value == *it->second))
      lines.push_back(changed(name, *value, *it->second));
  }
  for (const auto& [name, value] : new_values)
    if (!old_values.count(name)) lines.push_back(fmt::format("{} {} added", what, name));
}

void compare_outputs(const std::vector<std::string>& before, const std::vector<std::string>& after,
                     std::vector<std::string>& lines) {
  std::map<std::string, int> seen;
  for (const auto& path : before) seen[path] -= 1;
  for (const auto& path : after) seen[path] += 1;
  for (const auto& [path, balance] : seen) {
    if (balance < 0) lines.push_back(fmt::format("output {} removed", path));
    if (balance > 0) lines.push_back(fmt::format("output {} added", path));
  }
}

std::vector<std::pair<std::string, util::Digest>> as_pairs(const std::vector<KeyInput>& inputs) {
  std::vector<std::pair<std::string, util::Digest>> pairs;
  pairs.reserve(inputs.size());
  for (const auto& input : inputs) pairs.emplace_back(input.path, input.digest);
  return pairs;
}

}  // namespace

std::vector<std::string> describe_changes(const KeyPreimage& before, const KeyPreimage& after) {
  std::vector<std::string> lines;
  if (before.command != after.command) {
    lines.push_back("command changed:");
    lines.push_back("  - " + before.command);
    lines.push_back("  + " + after.command);
  }
  compare_named(
      before.params, after.params, "param",
      [](const std::string& name, const std::string& a, const std::string& b) {
        return fmt::format("param {}: {} -> {}", name, a, b);
      },
      lines);
  compare_named(
      before.env, after.env, "env",
      [](const std::string& name, const auto& a, const auto& b) {
        return fmt::format("env {}: {} -> {}", name, show(a), show(b));
      },
      lines);
  compare_outputs(before.outputs, after.outputs, lines);
  auto changed_digest = [](std::string_view what) {
    return [what](const std::string& name, const util::Digest&, const util::Digest&) {
      return fmt::format("{} {} changed", what, name);
    };
  };
  compare_named(as_pairs(before.inputs), as_pairs(after.inputs), "input", changed_digest("input"),
                lines);
  compare_named(before.tools, after.tools, "tool", changed_digest("tool"), lines);
  if (lines.empty() && serialize_preimage(before) != serialize_preimage(after)) {
    // Same sets, different order: the order of {in} and {out} is part of the key.
    if (before.outputs != after.outputs) lines.push_back("outputs reordered");
    if (as_pairs(before.inputs) != as_pairs(after.inputs)) lines.push_back("inputs reordered");
    if (lines.empty()) lines.push_back("key details changed");
  }
  return lines;
}

}  // namespace luisy::hash
