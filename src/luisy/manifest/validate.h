#pragma once
// Checks on the text of single values (names, placeholders, paths), free of YAML so they
// can be tested alone. Private to the manifest module.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace luisy::manifest {

// [A-Za-z_][A-Za-z0-9_]*: task, parameter, matrix axis and environment variable names.
bool is_identifier(std::string_view name);
// [a-z0-9][a-z0-9._-]*: the project names a folder in the remote container.
bool is_project_name(std::string_view name);

// A problem inside a string, at a byte offset, so the error can point at the character.
struct TextProblem {
  size_t offset = 0;
  std::string message;
};

enum class TemplateUse { kCommand, kPath };

// Placeholder syntax: {name}, {in}, {out}, {in[N]}, {out[N]}, and {{ / }} for literal
// braces. {in} and {out} are refused in paths. Whether a named parameter exists is the
// graph's business, not checked here. nullopt when the text is well formed.
std::optional<TextProblem> check_template(std::string_view text, TemplateUse use);

// An input or output path must be non-empty and stay inside the workspace: not absolute,
// no `..` component. `what` is "input" or "output", for the message.
std::optional<TextProblem> check_workspace_path(std::string_view path, std::string_view what);

// A duration as written for `confirm_after` or LUISY_CONFIRM_AFTER: seconds as a plain number,
// or a number with s, m or h ("90s", "10m", "2h"); "never" or "off" give -1. nullopt when
// the text is none of these.
std::optional<int64_t> parse_duration(std::string_view text);

// A tool name: a plain file name looked up on PATH (no '/', not empty, no whitespace), or a
// path containing '/'. nullopt when acceptable.
std::optional<std::string> check_tool_name(std::string_view name);

// The closest of `known` within an edit distance of 2 (transpositions count 1), or empty:
// for "did you mean 'cmd'?".
std::string_view closest_key(std::string_view key, std::span<const std::string_view> known);

}  // namespace luisy::manifest
