#include <doctest/doctest.h>

#include <set>
#include <string>

#include "luisy/hash/task_key.h"

namespace {

using luisy::hash::KeyPreimage;
namespace util = luisy::util;

KeyPreimage sample() {
  KeyPreimage p;
  p.command = "python3 scripts/clean.py data/raw.csv data/clean.csv";
  p.params = {{"model", "forest"}, {"year", "2024"}};
  p.env = {{"HOME", std::nullopt}, {"LC_ALL", "C"}};
  p.outputs = {"data/clean.csv", "data/stats/"};
  p.inputs = {{"data/raw.csv", util::digest_of("raw")},
              {"scripts/clean.py", util::digest_of("script")}};
  p.tools = {{"python3", util::digest_of("python")}};
  return p;
}

bool same(const KeyPreimage& a, const KeyPreimage& b) {
  if (a.command != b.command || a.params != b.params || a.env != b.env || a.outputs != b.outputs ||
      a.tools != b.tools || a.inputs.size() != b.inputs.size())
    return false;
  for (size_t i = 0; i < a.inputs.size(); ++i)
    if (a.inputs[i].path != b.inputs[i].path || a.inputs[i].digest != b.inputs[i].digest)
      return false;
  return true;
}

}  // namespace

TEST_CASE("preimage text is versioned and round-trips") {
  KeyPreimage p = sample();
  std::string text = luisy::hash::serialize_preimage(p);
  CHECK(text.starts_with("luisy-key 1\ncmd "));
  auto parsed = luisy::hash::parse_preimage(text);
  REQUIRE(parsed);
  CHECK(same(*parsed, p));
  CHECK(luisy::hash::compute_key(*parsed) == luisy::hash::compute_key(p));
  CHECK(luisy::hash::compute_key(p) == util::digest_of(text));

  KeyPreimage empty;
  auto parsed_empty = luisy::hash::parse_preimage(luisy::hash::serialize_preimage(empty));
  REQUIRE(parsed_empty);
  CHECK(same(*parsed_empty, empty));
}

TEST_CASE("tricky values round-trip and do not collide") {
  KeyPreimage p;
  p.command = "printf 'a\\nb' > out\ncmd 3:abc\n";
  p.params = {{"a b", "1:2\n3"}, {"x", ""}};
  p.env = {{"EMPTY", ""}, {"UNSET", std::nullopt}, {"DASH", "-"}};
  p.outputs = {"with space.txt", "line\nbreak", ""};
  auto parsed = luisy::hash::parse_preimage(luisy::hash::serialize_preimage(p));
  REQUIRE(parsed);
  // params and env come back sorted by name
  CHECK(parsed->command == p.command);
  CHECK(parsed->params == p.params);
  CHECK(parsed->env == std::vector<std::pair<std::string, std::optional<std::string>>>{
                           {"DASH", "-"}, {"EMPTY", ""}, {"UNSET", std::nullopt}});
  CHECK(parsed->outputs == p.outputs);

  // Pairs that a naive "join with separators" serialisation would confuse.
  std::vector<KeyPreimage> variants(8);
  variants[0].params = {{"a", "b c"}};
  variants[1].params = {{"a b", "c"}};
  variants[2].env = {{"X", ""}};
  variants[3].env = {{"X", std::nullopt}};
  variants[4].outputs = {"a\noutput 1:b"};
  variants[5].outputs = {"a", "b"};
  variants[6].command = "a";
  variants[6].outputs = {"b"};
  variants[7].command = "a\noutput 1:b";
  std::set<std::string> keys;
  for (const auto& v : variants) keys.insert(util::to_hex(luisy::hash::compute_key(v)));
  CHECK(keys.size() == variants.size());
}

TEST_CASE("every field is part of the key") {
  const auto base = luisy::hash::compute_key(sample());
  std::vector<KeyPreimage> changed(7, sample());
  changed[0].command += " ";
  changed[1].params[1].second = "2025";
  changed[2].env[0].second = "/root";
  changed[3].outputs.pop_back();
  changed[4].inputs[0].digest = util::digest_of("raw2");
  std::swap(changed[5].inputs[0], changed[5].inputs[1]);  // {in} order matters
  changed[6].tools.clear();
  for (const auto& p : changed) CHECK(luisy::hash::compute_key(p) != base);

  // The order of params and env does not.
  KeyPreimage reordered = sample();
  std::swap(reordered.params[0], reordered.params[1]);
  std::swap(reordered.env[0], reordered.env[1]);
  CHECK(luisy::hash::compute_key(reordered) == base);
}

TEST_CASE("parse_preimage rejects malformed text") {
  std::string good = luisy::hash::serialize_preimage(sample());
  REQUIRE(luisy::hash::parse_preimage(good));
  // Every truncation is rejected, and none crashes.
  for (size_t n = 0; n < good.size(); ++n)
    CHECK_FALSE(luisy::hash::parse_preimage(std::string_view(good).substr(0, n)));
  CHECK_FALSE(luisy::hash::parse_preimage(""));
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 2\ncmd 1:a\nend\n"));
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 1\nend\n"));
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 1\ncmd 01:a\nend\n"));  // not canonical
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 1\ncmd 99999999999999999999:a\nend\n"));
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 1\ncmd 1:a\ncmd 1:b\nend\n"));
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 1\nparam 1:a 1:b\ncmd 1:a\nend\n"));
  CHECK_FALSE(
      luisy::hash::parse_preimage("luisy-key 1\ncmd 1:a\nparam 1:b 1:1\nparam 1:a 1:1\nend\n"));
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 1\ncmd 1:a\ninput 1:a 3:xyz\nend\n"));
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 1\ncmd 1:a\nbogus 1:a\nend\n"));
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 1\ncmd 1:aend\n"));
  CHECK_FALSE(luisy::hash::parse_preimage("luisy-key 1\ncmd 1:a\nend\nend\n"));
  CHECK(luisy::hash::parse_preimage("luisy-key 1\ncmd 1:a\nenv 1:X -\nend\n"));

  // Flipping any single byte either fails to parse or gives a different preimage.
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    auto parsed = luisy::hash::parse_preimage(bad);
    if (parsed) CHECK(luisy::hash::serialize_preimage(*parsed) == bad);
  }
}

TEST_CASE("describe_changes says what differs") {
  KeyPreimage before = sample();
  CHECK(luisy::hash::describe_changes(before, before).empty());

  KeyPreimage after = before;
  after.command = "python3 scripts/clean.py --fast data/raw.csv data/clean.csv";
  after.params = {{"year", "2025"}, {"horizon", "12"}};
  after.env = {{"HOME", std::nullopt}, {"LC_ALL", std::nullopt}, {"TZ", "UTC"}};
  after.outputs = {"data/clean.csv", "data/extra.csv"};
  after.inputs = {{"data/raw.csv", util::digest_of("raw v2")},
                  {"data/new.csv", util::digest_of("new")}};
  after.tools = {{"python3", util::digest_of("python 3.12")}};
  auto lines = luisy::hash::describe_changes(before, after);
  std::vector<std::string> expected = {
      "command changed:",
      "  - python3 scripts/clean.py data/raw.csv data/clean.csv",
      "  + python3 scripts/clean.py --fast data/raw.csv data/clean.csv",
      "param model removed",
      "param year: 2024 -> 2025",
      "param horizon added",
      "env LC_ALL: C -> unset",
      "env TZ added",
      "output data/extra.csv added",
      "output data/stats/ removed",
      "input data/raw.csv changed",
      "input scripts/clean.py removed",
      "input data/new.csv added",
      "tool python3 changed",
  };
  CHECK(lines == expected);

  KeyPreimage unset_to_c = before;
  unset_to_c.env = {{"HOME", std::nullopt}, {"LC_ALL", std::nullopt}};
  CHECK(luisy::hash::describe_changes(unset_to_c, before) ==
        std::vector<std::string>{"env LC_ALL: unset -> C"});

  KeyPreimage swapped = before;
  std::swap(swapped.inputs[0], swapped.inputs[1]);
  CHECK(luisy::hash::describe_changes(before, swapped) ==
        std::vector<std::string>{"inputs reordered"});
}
