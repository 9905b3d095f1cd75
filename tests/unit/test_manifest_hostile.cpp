#include <doctest/doctest.h>

#include <string>

#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"
#include "test_manifest_helpers.h"

using namespace luisy;

namespace {

// The loader's message for `text`, or "" when it loads.
using manifest::testing::refusal;

}  // namespace

// Found by tests/fuzz/fuzz_loader: yaml-cpp 0.7's LoadAll never returns on these (it makes
// empty documents until memory runs out). The test would hang without the guard.
TEST_CASE("manifest hostile: a stray ',' at the top of a document is an error, not a hang") {
  CHECK(refusal(",") ==
        "pipeline.yaml:1:1: invalid YAML: unexpected ',' outside a flow "
        "collection ([ ] or { })\n,\n^");
  std::string e = refusal("luisy: 1\nproject: p\ntasks: {A: {cmd: x}}\n...\n,\n");
  CHECK(e.rfind("pipeline.yaml:5:1: invalid YAML: unexpected ','", 0) == 0);
  e = refusal("- a\n,\n");
  CHECK(e.rfind("pipeline.yaml:2:1: invalid YAML: unexpected ','", 0) == 0);
}

TEST_CASE("manifest hostile: deep nesting and several documents are refused") {
  CHECK(refusal(std::string(100000, '[')).find("invalid YAML") != std::string::npos);
  CHECK(refusal("luisy: 1\n---\nfoo: 1\n").find("one YAML document, not several") !=
        std::string::npos);
  CHECK(refusal("").find("the pipeline file is empty") != std::string::npos);
}

// Found by tests/fuzz/fuzz_loader: "data\0/**/*.csv" made the glob recurse forever, the C
// library reading "data" where luisy held a longer name.
TEST_CASE("manifest hostile: a NUL character in a value is refused") {
  std::string text = std::string("luisy: 1\nproject: p\ntasks:\n  A:\n    cmd: x\n") +
                     "    inputs: [\"data\\0/**/*.csv\"]\n    outputs: [a]\n";
  CHECK(refusal(text).rfind("pipeline.yaml:6:14: a value cannot contain a NUL character (\\0)",
                            0) == 0);
  text = std::string("luisy: 1\nproject: p\nparams: {a: \"x\\0y\"}\ntasks:\n  A:\n    cmd: x\n");
  CHECK(refusal(text).find("NUL character") != std::string::npos);
}
