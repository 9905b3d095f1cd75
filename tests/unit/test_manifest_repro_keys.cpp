// The reproducibility keys of a pipeline: tools (per task and pipeline-wide), always, frozen,
// cache, confirm_after; how they reach task instances and survive the compiled plan.
#include <doctest/doctest.h>

#include <string>

#include "luisy/graph/graph.h"
#include "luisy/graph/serialize.h"
#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"
#include "luisy/manifest/validate.h"

using namespace luisy;

namespace {

manifest::Pipeline parse(const std::string& text) {
  return manifest::parse_pipeline(text, "pipeline.yaml");
}

std::string with_task(const std::string& body) {
  return "luisy: 1\nproject: p\ntasks:\n  T:\n    cmd: echo hi > {out}\n    outputs: [t.txt]\n" +
         body;
}

// The message of the ManifestError that parsing `text` throws, or "" when it parses.
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const manifest::ManifestError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("manifest: tools, always, frozen, cache and confirm_after are read") {
  auto p = parse(
      "luisy: 1\nproject: p\ntools: [sh]\nconfirm_after: 90s\ntasks:\n"
      "  A:\n    cmd: echo a > {out}\n    outputs: [a.txt]\n    tools: [python3, Rscript]\n"
      "    always: true\n    cache: false\n"
      "  B:\n    cmd: echo b > {out}\n    outputs: [b.txt]\n    tools: python3\n    frozen: "
      "true\n");
  REQUIRE(p.tools.size() == 1);
  CHECK(p.tools[0].text == "sh");
  CHECK(p.confirm_after == 90);
  const auto* a = p.find_task("A");
  const auto* b = p.find_task("B");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(a->tools().size() == 2);
  CHECK(a->tools()[1].text == "Rscript");
  CHECK(a->tools()[1].where.line == 9);
  CHECK(a->always);
  CHECK_FALSE(a->frozen);
  CHECK_FALSE(a->cache);
  REQUIRE(b->tools().size() == 1);
  CHECK(b->frozen);
  CHECK(b->cache);
  CHECK_FALSE(b->always);
  // Defaults.
  auto plain = parse(with_task(""));
  CHECK_FALSE(plain.confirm_after.has_value());
  CHECK(plain.tasks[0].cache);
  CHECK(plain.tasks[0].tools().empty());
}

TEST_CASE("manifest: bad reproducibility keys name the place and the problem") {
  CHECK(error_of(with_task("    always: yes\n"))
            .find("pipeline.yaml:7:13: 'always' of task 'T' must be true or false, not 'yes'") !=
        std::string::npos);
  CHECK(error_of(with_task("    frozen: [true]\n"))
            .find("'frozen' of task 'T' must be true or false, not a list") != std::string::npos);
  CHECK(error_of(with_task("    always: true\n    frozen: true\n"))
            .find("pipeline.yaml:7:5: task 'T' is both") != std::string::npos);
  CHECK(error_of(with_task("    tools: [python3 -u]\n")).find("invalid tool name 'python3 -u'") !=
        std::string::npos);
  CHECK(error_of(with_task("    tools: [{a: b}]\n"))
            .find("entries of 'tools' of task 'T' must be executable names") != std::string::npos);
  CHECK(error_of(with_task("    tool: [sh]\n")).find("did you mean 'tools'?") != std::string::npos);
  CHECK(error_of("luisy: 1\nproject: p\nconfirm_after: soon\ntasks: {A: {cmd: x}}\n")
            .find("pipeline.yaml:3:16: 'confirm_after' must be a duration") != std::string::npos);
  CHECK(error_of(with_task("    cache: off\n")).find("must be true or false, not 'off'") !=
        std::string::npos);
}

TEST_CASE("manifest: durations") {
  CHECK(manifest::parse_duration("0") == 0);
  CHECK(manifest::parse_duration("45") == 45);
  CHECK(manifest::parse_duration("45s") == 45);
  CHECK(manifest::parse_duration("10m") == 600);
  CHECK(manifest::parse_duration("2h") == 7200);
  CHECK(manifest::parse_duration("never") == -1);
  CHECK(manifest::parse_duration("off") == -1);
  CHECK_FALSE(manifest::parse_duration(""));
  CHECK_FALSE(manifest::parse_duration("m"));
  CHECK_FALSE(manifest::parse_duration("-5"));
  CHECK_FALSE(manifest::parse_duration("1.5h"));
  CHECK_FALSE(manifest::parse_duration("10 m"));
  CHECK_FALSE(manifest::parse_duration("9999999999s"));
}

TEST_CASE("graph: instances carry the union of task and pipeline tools, and the flags") {
  auto p = parse(
      "luisy: 1\nproject: p\ntools: [sh, python3]\ntasks:\n"
      "  A:\n    cmd: echo a > {out}\n    outputs: [\"a_{m}.txt\"]\n    matrix: {m: [x, y]}\n"
      "    tools: [python3, awk]\n    always: true\n"
      "  B:\n    requires: [A]\n    cmd: cat {in} > {out}\n    outputs: [b.txt]\n    frozen: true\n"
      "    cache: false\n");
  graph::Graph g = graph::build_graph(p, {});
  REQUIRE(g.instances.size() == 3);
  for (const auto& instance : g.instances) {
    if (instance.task == "A") {
      CHECK(instance.tools == std::vector<std::string>{"awk", "python3", "sh"});
      CHECK(instance.always);
      CHECK_FALSE(instance.frozen);
      CHECK(instance.cache);
    } else {
      CHECK(instance.tools == std::vector<std::string>{"python3", "sh"});
      CHECK(instance.frozen);
      CHECK_FALSE(instance.cache);
      CHECK_FALSE(instance.always);
    }
  }
  // The compiled plan keeps them.
  auto again = graph::deserialize_graph(graph::serialize_graph(g));
  REQUIRE(again);
  for (size_t i = 0; i < g.instances.size(); ++i) {
    CHECK(again->instances[i].tools == g.instances[i].tools);
    CHECK(again->instances[i].always == g.instances[i].always);
    CHECK(again->instances[i].frozen == g.instances[i].frozen);
    CHECK(again->instances[i].cache == g.instances[i].cache);
  }
}
