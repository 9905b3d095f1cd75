#pragma once
// A task instance's key: XXH3-128 over a canonical, versioned serialisation (the preimage)
// of everything that determines its outputs.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "luisy/util/digest.h"

namespace luisy::hash {

// Bump when the serialisation changes: every key changes with it.
inline constexpr int kKeyFormatVersion = 1;

struct KeyInput {
  std::string path;
  util::Digest digest;
};

struct KeyPreimage {
  std::string command;                                      // after substitution
  std::vector<std::pair<std::string, std::string>> params;  // sorted by name
  // declared environment: name and value; nullopt when the variable is unset
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  std::vector<std::string> outputs;
  std::vector<KeyInput> inputs;  // in {in} order
  std::vector<std::pair<std::string, util::Digest>> tools;  // reserved for `tools:`
};

// Canonical text: a version line, then one length-prefixed line per field, so that no two
// different preimages serialise alike. Stable across platforms.
std::string serialize_preimage(const KeyPreimage& preimage);
// nullopt when the text is not a preimage this version wrote.
std::optional<KeyPreimage> parse_preimage(std::string_view text);

util::Digest compute_key(const KeyPreimage& preimage);

// Human lines saying what differs from `before` to `after`: "command changed", "param year:
// 2024 -> 2025", "input data/raw.csv changed", "input x added", "env LC_ALL: unset -> C"...
// Empty when they are equal.
std::vector<std::string> describe_changes(const KeyPreimage& before, const KeyPreimage& after);

}  // namespace luisy::hash
