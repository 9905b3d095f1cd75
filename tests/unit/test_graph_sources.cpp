#include <doctest/doctest.h>

#include <algorithm>

#include "luisy/graph/graph.h"
#include "luisy/manifest/manifest_error.h"
#include "test_graph_helpers.h"

using namespace luisy;
using namespace luisy::graph;
using namespace luisy::graph::testing;

TEST_CASE("graph sources: paths and params with spaces are quoted") {
  Workspace ws;
  ws.touch("my data/it's.csv");
  manifest::Pipeline p;
  p.directory = ws.dir;
  p.params = {named("flags", "-n 3")};
  p.tasks = {
      task("T", "head {flags} {in} > {out}", {"./my data//it's.csv"}, {"out dir/result.txt"})};
  Graph g = build_graph(p, {});
  REQUIRE(g.instances.size() == 1);
  CHECK(g.instances[0].inputs == std::vector<std::string>{"my data/it's.csv"});
  CHECK(g.instances[0].command == "head '-n 3' 'my data/it'\\''s.csv' > 'out dir/result.txt'");
}

TEST_CASE("graph sources: missing inputs and inputs that are outputs") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  p.tasks = {task("T", "cat {in}", {"nope.txt"}, {"t.txt"})};
  p.tasks[0].inputs[0].where = manifest::Place{4, 14};
  try {
    build_graph(p, {});
    FAIL("no error");
  } catch (const manifest::ManifestError& e) {
    CHECK(std::string(e.what()).find("missing input 'nope.txt' of task T") != std::string::npos);
    CHECK(e.where().line == 4);
  }

  p.tasks = {task("T", "cat {in}", {"t.txt"}, {"t.txt"})};
  CHECK_THROWS_WITH_AS(build_graph(p, {}),
                       doctest::Contains("'t.txt' is both an input and an output of T"),
                       manifest::ManifestError);
}

TEST_CASE("graph sources: an input that another task writes becomes an edge") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  auto gen = task("Gen", "gen > {out}", {}, {"gen/x.txt", "gen/models/"});
  auto up = task("Up", "true > {out}", {}, {"up.txt"});
  auto use =
      task("Use", "cat {in} > {out}", {"gen/x.txt", "gen/models/a.bin", "up.txt"}, {"use.txt"});
  use.requires_ = {req("Up")};
  p.tasks = {use, up, gen};  // Gen is written last and required by nobody
  Graph g = build_graph(p, {.param_overrides = {}, .targets = {"Use"}});
  CHECK(labels(g) == std::vector<std::string>{"Up", "Gen", "Use"});
  const auto& u = g.instances[2];
  CHECK(u.deps == std::vector<InstanceId>{0, 1});  // requires first, then inferred
  // up.txt is a source and Up's output: listed once; Gen's outputs are not appended.
  CHECK(u.inputs == std::vector<std::string>{"gen/x.txt", "gen/models/a.bin", "up.txt"});
  CHECK(std::vector<InstanceId>(g.dependents(1).begin(), g.dependents(1).end()) ==
        std::vector<InstanceId>{2});
  // What a reused plan checks for: inputs no task writes (a file inside a directory output
  // is one: it is not an output itself), each once, sorted.
  CHECK(g.source_files == std::vector<std::string>{"gen/models/a.bin"});
}

TEST_CASE("graph sources: source_files lists each source once, sorted") {
  Workspace ws;
  ws.touch("b.csv");
  ws.touch("a.csv");
  manifest::Pipeline p;
  p.directory = ws.dir;
  auto one = task("One", "cat {in} > {out}", {"b.csv", "a.csv"}, {"one.txt"});
  auto two = task("Two", "cat {in} > {out}", {"a.csv", "one.txt"}, {"two.txt"});
  p.tasks = {one, two};
  Graph g = build_graph(p, {});
  CHECK(g.source_files == std::vector<std::string>{"a.csv", "b.csv"});
}

TEST_CASE("graph sources: directory outputs keep their slash, {in} drops it") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  auto train = task("Train", "train --out {out}", {}, {"models/./linear/"});
  auto eval = task("Eval", "eval {in} > {out}", {}, {"eval.txt"});
  eval.requires_ = {req("Train")};
  p.tasks = {train, eval};
  Graph g = build_graph(p, {});
  CHECK(g.instances[0].outputs == std::vector<std::string>{"models/linear/"});
  CHECK(g.instances[0].command == "train --out models/linear");
  CHECK(g.instances[1].inputs == std::vector<std::string>{"models/linear/"});
  CHECK(g.instances[1].command == "eval models/linear > eval.txt");
}

TEST_CASE("graph sources: globs expand, record their directories, and must match") {
  Workspace ws;
  ws.touch("data/b.csv");
  ws.touch("data/a.csv");
  ws.touch("data/notes.txt");
  ws.touch("data/sub/c.csv");
  manifest::Pipeline p;
  p.directory = ws.dir;
  p.tasks = {task("T", "cat {in} > {out}", {"data/*.csv", "data/**/c.csv"}, {"data/out.csv"})};
  ws.touch("data/out.csv");  // written by a previous run: not its own input
  Graph g = build_graph(p, {});
  CHECK(g.instances[0].inputs ==
        std::vector<std::string>{"data/a.csv", "data/b.csv", "data/sub/c.csv"});
  CHECK(std::find(g.globbed_dirs.begin(), g.globbed_dirs.end(), "data") != g.globbed_dirs.end());
  CHECK(std::find(g.globbed_dirs.begin(), g.globbed_dirs.end(), "data/sub") !=
        g.globbed_dirs.end());

  p.tasks[0].inputs = vals({"data/*.parquet"});
  CHECK_THROWS_WITH_AS(build_graph(p, {}),
                       doctest::Contains("input 'data/*.parquet' of task T matches no file"),
                       manifest::ManifestError);
}

TEST_CASE("graph sources: only what the targets need is checked") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  p.tasks = {task("Good", "true > {out}", {}, {"good.txt"}),
             task("Bad", "cat {in}", {"missing.txt"}, {"bad.txt"})};
  Graph g = build_graph(p, {.param_overrides = {}, .targets = {"Good"}});
  CHECK(labels(g) == std::vector<std::string>{"Good"});
  CHECK_THROWS_AS(build_graph(p, {}), manifest::ManifestError);
}

TEST_CASE("graph sources: a cycle through inferred edges is reported with labels") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  p.tasks = {task("A", "true", {"b.txt"}, {"a.txt"}), task("B", "true", {"a.txt"}, {"b.txt"})};
  CHECK_THROWS_WITH_AS(build_graph(p, {}), doctest::Contains("dependency cycle: A -> B -> A"),
                       manifest::ManifestError);
}
