#include <doctest/doctest.h>

#include "luisy/graph/graph.h"
#include "luisy/manifest/manifest_error.h"
#include "test_graph_helpers.h"

using namespace luisy;
using namespace luisy::graph;
using namespace luisy::graph::testing;

namespace {
// The error build_graph throws, or an empty one when it does not throw.
manifest::ManifestError error_of(const manifest::Pipeline& p, const GraphOptions& options = {}) {
  try {
    build_graph(p, options);
  } catch (const manifest::ManifestError& e) {
    return e;
  }
  return manifest::ManifestError(Location{}, "no error");
}
}  // namespace

TEST_CASE("graph errors: an unbound parameter points at the placeholder") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  p.source = "tasks:\n  A:\n    cmd: echo {nope} > {out}\n";
  auto a = task("A", "echo {nope} > {out}", {}, {"a.txt"});
  a.cmd = val("echo {nope} > {out}", 3, 10);
  p.tasks = {a};
  auto e = error_of(p);
  CHECK(std::string(e.what()).find("unknown parameter '{nope}' in task 'A'") != std::string::npos);
  CHECK(e.where().line == 3);
  CHECK(e.where().column == 15);
  // The excerpt's caret sits under the brace.
  CHECK(std::string(e.what()).find("    cmd: echo {nope} > {out}\n              ^") !=
        std::string::npos);

  // A quoted scalar: the source differs from the text, so the value's own column is kept.
  p.source = "tasks:\n  A:\n    cmd: \"echo {nope} > {out}\"\n";
  CHECK(error_of(p).where().column == 10);
}

TEST_CASE("graph errors: bad placeholder syntax, {in} in paths, {in[N]} out of range") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  p.source = "x\ncmd: cat {in[x]}\n";
  auto a = task("A", "cat {in[x]}", {}, {"a.txt"});
  a.cmd = val("cat {in[x]}", 2, 6);
  p.tasks = {a};
  auto e = error_of(p);
  CHECK(std::string(e.what()).find("invalid placeholder '{in[x]}'") != std::string::npos);
  CHECK(e.where().column == 10);

  p.tasks[0].cmd = val("cat {in[0]} {out[1]}", 2, 6);
  p.source = "x\ncmd: cat {in[0]} {out[1]}\n";
  ws.touch("src.txt");
  p.tasks[0].inputs = vals({"src.txt"});
  e = error_of(p);
  CHECK(std::string(e.what()).find("'{out[1]}' is out of range: A has 1 output") !=
        std::string::npos);
  CHECK(e.where().column == 18);

  p.tasks[0].cmd = val("cat {in[0]} > {out[0]}");
  CHECK(build_graph(p, {}).instances[0].command == "cat src.txt > a.txt");

  p.tasks[0].outputs = vals({"{in}.txt"});
  CHECK(std::string(error_of(p).what()).find("{in} and {out} belong in cmd") != std::string::npos);
}

TEST_CASE("graph errors: cycles are named task by task") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  auto a = task("A", "true", {}, {});
  auto b = task("B", "true", {}, {});
  auto c = task("C", "true", {}, {});
  a.requires_ = {req("B")};
  b.requires_ = {req("C")};
  c.requires_ = {req("A")};
  p.tasks = {a, b, c};
  auto e = error_of(p);
  CHECK(std::string(e.what()).find("dependency cycle: A -> B -> C -> A") != std::string::npos);
  CHECK(e.where().line == 7);

  p.tasks = {task("Self", "true", {}, {})};
  p.tasks[0].requires_ = {req("Self")};
  CHECK(std::string(error_of(p).what()).find("dependency cycle: Self -> Self") !=
        std::string::npos);
}

TEST_CASE("graph errors: unknown task in requires suggests a name") {
  Workspace ws;
  auto p = design_example(ws);
  p.tasks[2].requires_ = {req("Claen")};
  auto e = error_of(p);
  CHECK(std::string(e.what()).find(
            "unknown task 'Claen' in requires of 'Report' (did you mean 'Clean'?)") !=
        std::string::npos);
  CHECK(e.where().line == 7);
  p.tasks[2].requires_ = {req("Cc")};
  CHECK(std::string(error_of(p).what()).find("did you mean") == std::string::npos);
  p.tasks[2].requires_ = {req("Zzzzzzzz")};
  CHECK(std::string(error_of(p).what()).find("did you mean") == std::string::npos);
}

TEST_CASE("graph errors: two instances writing one path") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  auto a = task("A", "true", {}, {"out/x.txt"});
  auto b = task("B", "true", {}, {"out//./x.txt"});
  b.outputs[0].where = manifest::Place{12, 7};
  p.tasks = {a, b};
  auto e = error_of(p);
  CHECK(std::string(e.what()).find("output 'out/x.txt' of B is also an output of A") !=
        std::string::npos);
  CHECK(e.where().line == 12);

  // A matrix whose outputs ignore the axis writes one path twice.
  auto m = task("M", "echo {k}", {}, {"same.txt"});
  m.matrix() = {axis("k", {"1", "2"})};
  p.tasks = {m};
  CHECK(std::string(error_of(p).what()).find("of M(k=2) is also an output of M(k=1)") !=
        std::string::npos);

  // Inside another's directory output.
  p.tasks = {task("Dir", "true", {}, {"models/"}), task("File", "true", {}, {"models/a/b.bin"})};
  CHECK(
      std::string(error_of(p).what())
          .find(
              "output 'models/a/b.bin' of File is inside the directory output 'models/' of Dir") !=
      std::string::npos);
}
