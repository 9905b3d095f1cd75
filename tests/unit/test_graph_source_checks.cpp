// A source file read by many tasks is looked at once (WorkspacePaths::source), and the lstat
// that looks for a symbolic link also says whether it exists: these pin that the answer is
// the one stat(2) gave before.
#include <doctest/doctest.h>
#include <unistd.h>

#include "luisy/graph/graph.h"
#include "luisy/manifest/manifest_error.h"
#include "test_graph_helpers.h"

using namespace luisy;
using namespace luisy::graph;
using namespace luisy::graph::testing;

TEST_CASE("graph source checks: one source read by many tasks, present or missing") {
  Workspace ws;
  ws.touch("src/a.txt");
  manifest::Pipeline p;
  p.directory = ws.dir;
  for (int i = 0; i < 5; ++i) {
    std::string n = std::to_string(i);
    p.tasks.push_back(task("T" + n, "cat {in} > {out}", {"src/a.txt", "src/./a.txt"}, {"t" + n}));
  }
  Graph g = build_graph(p, {});
  REQUIRE(g.instances.size() == 5);
  for (const auto& instance : g.instances) {
    REQUIRE(instance.inputs.size() == 2);
    CHECK(instance.inputs[1] == "src/a.txt");  // normalised
  }

  p.tasks.push_back(task("U", "cat {in}", {"src/a.txt", "src/b.txt"}, {"u"}));
  CHECK_THROWS_WITH_AS(build_graph(p, {}), doctest::Contains("missing input 'src/b.txt' of task U"),
                       manifest::ManifestError);
}

TEST_CASE("graph source checks: a directory input needs a directory, a link its target") {
  Workspace ws;
  ws.touch("file.txt");
  ws.touch("dir/x.txt");
  manifest::Pipeline p;
  p.directory = ws.dir;
  p.tasks = {task("A", "ls {in}", {"dir/"}, {"a"})};
  CHECK(build_graph(p, {}).instances[0].inputs[0] == "dir/");
  p.tasks = {task("A", "ls {in}", {"file.txt/"}, {"a"})};
  CHECK_THROWS_WITH_AS(build_graph(p, {}), doctest::Contains("missing input 'file.txt/'"),
                       manifest::ManifestError);

  REQUIRE(::symlink("file.txt", (ws.dir + "/good").c_str()) == 0);
  REQUIRE(::symlink("gone.txt", (ws.dir + "/dangling").c_str()) == 0);
  p.tasks = {task("A", "cat {in}", {"good"}, {"a"})};
  CHECK(build_graph(p, {}).instances[0].inputs[0] == "good");
  p.tasks = {task("A", "cat {in}", {"dangling"}, {"a"})};
  CHECK_THROWS_WITH_AS(build_graph(p, {}), doctest::Contains("missing input 'dangling'"),
                       manifest::ManifestError);
}

TEST_CASE("graph source checks: an output read by several tasks is checked, once") {
  Workspace ws;
  Workspace elsewhere;
  elsewhere.touch("secret.txt");
  // Left behind by the last run of W: a link out of the workspace, read by R1 and R2.
  REQUIRE(::symlink((elsewhere.dir + "/secret.txt").c_str(), (ws.dir + "/w.txt").c_str()) == 0);
  manifest::Pipeline p;
  p.directory = ws.dir;
  p.tasks = {task("W", "echo > {out}", {}, {"w.txt"}),
             task("R1", "cat {in} > {out}", {"w.txt"}, {"r1"}),
             task("R2", "cat {in} > {out}", {"w.txt"}, {"r2"})};
  try {
    build_graph(p, {});
    FAIL("no error");
  } catch (const manifest::ManifestError& e) {
    std::string message = e.what();
    CHECK(message.find("input 'w.txt' of task R") != std::string::npos);
    CHECK(message.find("is a symbolic link to '") != std::string::npos);
  }

  util::remove_all(ws.dir + "/w.txt");
  Graph g = build_graph(p, {});
  REQUIRE(g.instances.size() == 3);
  CHECK(g.instances[2].deps.size() == 1);
}
