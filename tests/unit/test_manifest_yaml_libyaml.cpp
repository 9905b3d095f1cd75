// libyaml reads pipeline.yaml first and must build the tree yaml-cpp builds (kinds, text,
// plainness, marks, aliases) whenever both accept a file; anything it cannot promise that
// for goes to yaml-cpp. tests/fuzz/fuzz_yaml_diff.cpp compares the two on mutated inputs.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "../fuzz/yaml_diff.h"
#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"
#include "luisy/manifest/yaml_tree.h"
#include "luisy/util/fs.h"
#include "test_manifest_helpers.h"

using namespace luisy;
using namespace luisy::manifest;

namespace {

// The first difference, or "" when both agree or one refuses the text (then yaml-cpp words
// the error: see the last test case). `fast` tells whether libyaml accepted it.
std::string compare(const std::string& text, bool* fast = nullptr) {
  std::optional<yaml::Tree> libyaml = yaml::parse_libyaml(text);
  if (fast) *fast = libyaml.has_value();
  yaml::Parsed exact;
  try {
    exact = yaml::parse(text);
  } catch (const std::exception&) {
    return "";
  }
  if (!libyaml || exact.starts.size() != 1) return "";
  return yaml::diff_trees(exact.tree, *libyaml);
}

using manifest::testing::refusal;

}  // namespace

TEST_CASE("manifest libyaml: the examples, the fuzz seeds and the test pipelines read alike") {
  namespace fs = std::filesystem;
  std::string root = LUISY_SOURCE_DIR;
  int compared = 0;
  int fast = 0;
  for (const char* dir : {"examples", "tests"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root + "/" + dir)) {
      std::string path = entry.path().string();
      bool seed = path.find("/fuzz/corpus/loader") != std::string::npos;
      if (!entry.is_regular_file() || (!seed && entry.path().extension() != ".yaml")) continue;
      if (path.find("node_modules") != std::string::npos) continue;
      std::string text = *util::read_file_if_exists(path);
      bool accepted = false;
      INFO(path);
      CHECK(compare(text, &accepted) == "");
      ++compared;
      fast += accepted;
      if (path.find("/examples/") != std::string::npos) CHECK(accepted);  // the fast path is used
    }
  }
  CHECK(compared >= 12);
  CHECK(fast >= 10);
}

TEST_CASE("manifest libyaml: a generated pipeline in the benchmark's shape reads alike") {
  std::string text = "luisy: 1\nproject: bench\nparams:\n  n: 3\ntasks:\n";
  for (int i = 0; i < 300; ++i) {
    text += fmt::format(
        "  t{:06}:\n    cmd: cksum {{in}} > {{out}}\n    inputs: [src/s{:04}.txt, 'q {}']\n"
        "    outputs: [out/t{:06}.txt]\n    matrix: {{year: [2023, \"2024\"]}}\n",
        i, i % 97, i, i);
  }
  bool fast = false;
  CHECK(compare(text, &fast) == "");
  CHECK(fast);
}

TEST_CASE("manifest libyaml: plainness, nulls, styles and aliases as yaml-cpp has them") {
  for (const char* text : {
           "a: 1\nb: [x, 'y', ~, null, Null, NULL, \"\", '', z]\nc:\n  d: {}\ne:\n",
           "a: &x [1, 2]\nb: *x\nc: &s text\nd: *s\ne: &n\nf: *n\n",
           "a: |\n  one\n  two\n\nb: >-\n  folded\n  text\n\n  more\nc: \"esc\\t\\n\\\\ \\\"q\\\"\"\n",
           "- a\n- - b\n  - c\n- {k: v, 'q': \"w\"}\n- [a: b, c]\n",
           "a: b # comment\n# comment\nc:    d   \n\"k\": 'it''s'\n? complex\n: value\n",
           "---\na: 1\n...\n",
           "a: multi\n  line\n  plain\nb: 'it''s quoted'\n",
           "&r {a: *r}\n",
       }) {
    bool fast = false;
    INFO(std::string(text));
    CHECK(compare(text, &fast) == "");
    CHECK(fast);
  }
}

TEST_CASE("manifest libyaml: what it leaves to yaml-cpp") {
  for (const char* text : {
           "a: caf\xc3\xa9\n",        // columns: characters for libyaml, bytes for yaml-cpp
           "a: 1\r\nb: 2\r\n",        // '\r' breaks a line only for libyaml
           "a: 1\n---\nb: 2\n",        // a second document
           "%YAML 1.1\n---\na: 1\n",  // directives
           "a: *nowhere\n",           // an unknown alias
           "a: [1, 2\n",              // a syntax error
           "",                        // no document
           "a: \x01\n",               // a control character
           "a: !!str x\n",           // a tag
           "a: &x:y z\n",            // an anchor name read two ways
           "a: [x?y]\n",             // yaml-cpp ends a flow scalar at '?'
           "a: {b: c:d}\n",          // and reads ':' inside one its own way
           "a: {?b: 1}\n",           // '?' glued to a key: an indicator only for libyaml
           "a: {? b: 1}\n",          // and any explicit key inside { } or [ ]
           "a: 'x\n\n'\n",           // empty lines before a closing quote fold two ways
           "a: \"x\n  y\"\n",         // any quoted scalar over several lines, then
           "a: \"\\N\"\n",            // NEL: U+0085 for libyaml, a lone byte 0x85 for yaml-cpp
           "a: \"\\u00e9\\x41\"\n",    // any escape but \\ \" \n \t
           "a: >-\n  x\n  ",         // a last line without '\n': "x " to yaml-cpp, "x" to libyaml
           "a\n%b\n",               // '%' starting a line: text to libyaml, a directive to yaml-cpp
       }) {
    INFO(std::string(text));
    CHECK_FALSE(yaml::parse_libyaml(text).has_value());
    CHECK(compare(text) == "");
  }
  std::string deep = "a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  CHECK_FALSE(yaml::parse_libyaml(deep).has_value());
}

TEST_CASE("manifest libyaml: errors are yaml-cpp's, words and places") {
  // libyaml refuses the first (its own words would differ), accepts the second and the
  // loader refuses it: both are read again by yaml-cpp.
  CHECK(refusal("luisy: 1\nproject: p\ntasks:\n  A: {cmd: x, outputs: [o/{y}.txt]}\n")
            .rfind("pipeline.yaml:4:", 0) == 0);
  CHECK(refusal("luisy: 1\nproject: p\ntasks:\n  A:\n    cmd: x\n    bogus: 1\n")
            .rfind("pipeline.yaml:6:5: unknown key 'bogus' in task 'A'", 0) == 0);
  std::string text = "luisy: 1\nproject: p\ntasks:\n  A:\n    cmd: x\n    outputs: [o.txt]\n";
  std::optional<Pipeline> fast = parse_pipeline_libyaml(text, "p.yaml");
  REQUIRE(fast);
  CHECK(text.empty());  // moved into the pipeline
  CHECK(fast->tasks[0].outputs[0].where.line == 6);
  CHECK(fast->tasks[0].outputs[0].where.column == 15);
  std::string bad = "luisy: 1\nproject: p\ntasks:\n  A: {}\n";
  CHECK_FALSE(parse_pipeline_libyaml(bad, "p.yaml"));
  CHECK(bad.size() > 10);  // untouched, for yaml-cpp
}
