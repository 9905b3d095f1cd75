#include <doctest/doctest.h>
#include <fmt/format.h>

#include "luisy/graph/graph.h"
#include "luisy/manifest/manifest_error.h"
#include "luisy/util/error.h"
#include "test_graph_helpers.h"

using namespace luisy;
using namespace luisy::graph;
using namespace luisy::graph::testing;

namespace {
void check_topological(const Graph& g) {
  for (InstanceId id = 0; id < g.instances.size(); ++id)
    for (InstanceId dep : g.instances[id].deps) CHECK(dep < id);
}
}  // namespace

TEST_CASE("graph expand: the DESIGN example") {
  Workspace ws;
  auto p = design_example(ws);
  Graph g = build_graph(p, {});
  check_topological(g);
  CHECK(labels(g) == std::vector<std::string>{"Download(year=2024)", "Clean(year=2024)",
                                              "Report(model=linear,year=2024)",
                                              "Report(model=forest,year=2024)"});
  CHECK(g.targets == std::vector<InstanceId>{2, 3});
  const auto& download = g.instances[0];
  CHECK(download.command ==
        "python3 scripts/download.py --year 2024 --out data/raw/sales_2024.csv");
  CHECK(download.params == std::vector<Param>{{"year", "2024"}});
  const auto& clean = g.instances[1];
  CHECK(clean.deps == std::vector<InstanceId>{0});
  CHECK(clean.sources.empty());  // the sources begin the inputs
  CHECK(clean.inputs == std::vector<std::string>{"scripts/clean.py", "data/raw/sales_2024.csv"});
  CHECK(clean.command ==
        "python3 scripts/clean.py scripts/clean.py data/raw/sales_2024.csv "
        "data/interim/clean_2024.csv");
  CHECK(clean.env == std::vector<std::string>{"HOME", "LC_ALL"});
  CHECK(clean.description == "cleans the sales");
  CHECK(clean.where.line == 1);
  CHECK(to_string(g.where(clean)) == "pipeline.yaml:1:3");  // the file is kept once
  CHECK(g.instances[2].command ==
        "python3 scripts/report.py --model linear data/interim/clean_2024.csv > "
        "data/final/report_linear_2024.txt");
  CHECK(g.instances[3].outputs == std::vector<std::string>{"data/final/report_forest_2024.txt"});
  REQUIRE(g.dependent_start.size() == 5);
  CHECK(std::vector<InstanceId>(g.dependents(1).begin(), g.dependents(1).end()) ==
        std::vector<InstanceId>{2, 3});
}

TEST_CASE("graph expand: --param overrides defaults everywhere") {
  Workspace ws;
  auto p = design_example(ws);
  GraphOptions options;
  options.param_overrides = {{"year", "2025"}};
  Graph g = build_graph(p, options);
  CHECK(labels(g) == std::vector<std::string>{"Download(year=2025)", "Clean(year=2025)",
                                              "Report(model=linear,year=2025)",
                                              "Report(model=forest,year=2025)"});
  options.param_overrides = {{"model", "forest"}};
  g = build_graph(p, options);
  CHECK(labels(g) == std::vector<std::string>{"Download(year=2024)", "Clean(year=2024)",
                                              "Report(model=forest,year=2024)"});
  options.param_overrides = {{"nope", "1"}};
  CHECK_THROWS_WITH_AS(build_graph(p, options), "unknown parameter 'nope' (--param)", UsageError);
}

TEST_CASE("graph expand: task params and matrix values are forwarded by name") {
  Workspace ws;
  auto p = design_example(ws);
  p.tasks[2].matrix().push_back(axis("year", {"2022", "2023"}));
  Graph g = build_graph(p, {});
  check_topological(g);
  // Two years upstream, model x year downstream, the last axis fastest; each upstream
  // comes just before the first instance that needs it.
  CHECK(labels(g) == std::vector<std::string>{
                         "Download(year=2022)", "Clean(year=2022)",
                         "Report(model=linear,year=2022)", "Download(year=2023)",
                         "Clean(year=2023)", "Report(model=linear,year=2023)",
                         "Report(model=forest,year=2022)", "Report(model=forest,year=2023)"});
  // Download(year=2022) is reached from two Reports but is one node.
  CHECK(g.instances.size() == 8);

  auto q = design_example(ws);
  q.tasks[2].params() = {named("year", "1999")};
  g = build_graph(q, {});
  CHECK(find(g, "Clean(year=1999)") != nullptr);
  CHECK(find(g, "Download(year=1999)")->command.find("--year 1999") != std::string::npos);
  CHECK(find(g, "Clean(year=2024)") == nullptr);
}

TEST_CASE("graph expand: fan-in over a matrix, and overrides that fix it") {
  Workspace ws;
  auto p = design_example(ws);
  auto summary = task("Summary", "cat {in} > {out}", {}, {"summary.txt"});
  summary.requires_ = {req("Report")};
  p.tasks.push_back(summary);
  Graph g = build_graph(p, {});
  check_topological(g);
  const auto* s = find(g, "Summary(year=2024)");
  REQUIRE(s != nullptr);
  REQUIRE(s->deps.size() == 2);
  CHECK(g.instances[s->deps[0]].label == "Report(model=linear,year=2024)");
  CHECK(g.instances[s->deps[1]].label == "Report(model=forest,year=2024)");
  CHECK(s->command ==
        "cat data/final/report_linear_2024.txt data/final/report_forest_2024.txt > summary.txt");

  p.tasks.back().requires_ = {req("Report", {{"model", "forest"}, {"year", "2020"}})};
  g = build_graph(p, {});
  // The override fixes both: neither identifies Summary.
  s = find(g, "Summary");
  REQUIRE(s != nullptr);
  REQUIRE(s->deps.size() == 1);
  CHECK(g.instances[s->deps[0]].label == "Report(model=forest,year=2020)");
  CHECK(find(g, "Download(year=2020)") != nullptr);
  CHECK(find(g, "Download(year=2024)") == nullptr);

  p.tasks.back().requires_ = {req("Report", {{"colour", "red"}})};
  CHECK_THROWS_WITH_AS(build_graph(p, {}),
                       doctest::Contains("task 'Report' has no parameter 'colour'"),
                       manifest::ManifestError);
}

TEST_CASE("graph expand: upstream parameters identify downstream instances") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  auto a = task("A", "gen {x} > {out}", {}, {"a_{x}.txt"});
  a.matrix() = {axis("x", {"1", "2"})};
  auto b = task("B", "cp {in} {out}", {}, {"b_{x}.txt"});
  b.requires_ = {req("A")};
  auto c = task("C", "cat {in} > {out}", {}, {"c.txt"});
  c.requires_ = {req("B", {{"x", "2"}})};
  auto d = task("D", "wc {in} > {out}", {}, {"d_{x}.txt"});
  d.requires_ = {req("B")};
  d.matrix() = {axis("x", {"1"})};
  p.tasks = {a, b, c, d};
  // B reads x only through its output path; without an x of its own it is unbound at the root.
  Graph g = build_graph(p, {.param_overrides = {}, .targets = {"C", "D"}});
  CHECK(labels(g) ==
        std::vector<std::string>{"A(x=2)", "B(x=2)", "C", "A(x=1)", "B(x=1)", "D(x=1)"});

  // A transitive parameter: E's templates use none, yet its instances differ by upstream.
  manifest::Pipeline q;
  q.directory = ws.dir;
  q.params = {named("year", "2024")};
  auto up = task("Up", "echo {year} > {out}", {}, {"up_{year}.txt"});
  auto e = task("E", "cp {in} {out}", {}, {"e.txt"});
  e.requires_ = {req("Up")};
  q.tasks = {up, e};
  g = build_graph(q, {});
  CHECK(labels(g) == std::vector<std::string>{"Up(year=2024)", "E(year=2024)"});
}

TEST_CASE("graph expand: targets by name, by label, unknown") {
  Workspace ws;
  auto p = design_example(ws);
  Graph g = build_graph(p, {.param_overrides = {}, .targets = {"Clean"}});
  CHECK(labels(g) == std::vector<std::string>{"Download(year=2024)", "Clean(year=2024)"});
  CHECK(g.targets == std::vector<InstanceId>{1});

  g = build_graph(p, {.param_overrides = {}, .targets = {"Report(year=2024,model=forest)"}});
  CHECK(labels(g) == std::vector<std::string>{"Download(year=2024)", "Clean(year=2024)",
                                              "Report(model=forest,year=2024)"});

  // An instance nothing reaches by default can still be asked for by label.
  g = build_graph(p, {.param_overrides = {}, .targets = {"Clean(year=2025)"}});
  CHECK(labels(g) == std::vector<std::string>{"Download(year=2025)", "Clean(year=2025)"});

  CHECK_THROWS_WITH_AS(build_graph(p, {.param_overrides = {}, .targets = {"Cleen"}}),
                       "unknown target 'Cleen' (did you mean 'Clean'?)", UsageError);
  CHECK_THROWS_AS(build_graph(p, {.param_overrides = {}, .targets = {"Report(model=tree)"}}),
                  UsageError);
  CHECK_THROWS_AS(build_graph(p, {.param_overrides = {}, .targets = {"Clean(colour=red)"}}),
                  UsageError);
}

TEST_CASE("graph expand: ten thousand instances with a fan-in") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) values.push_back(std::to_string(i));
  auto leaf = task("Leaf", "touch {out}", {}, {"leaf/{a}/{b}.txt"});
  leaf.matrix() = {axis("a", values), axis("b", values)};
  auto all = task("All", "cat {in} > {out}", {}, {"all.txt"});
  all.requires_ = {req("Leaf")};
  p.tasks = {leaf, all};
  Graph g = build_graph(p, {});
  REQUIRE(g.instances.size() == 10001);
  CHECK(g.instances[0].label == "Leaf(a=0,b=0)");
  CHECK(g.instances[1].label == "Leaf(a=0,b=1)");
  CHECK(g.instances.back().label == "All");
  CHECK(g.instances.back().deps.size() == 10000);
  CHECK(g.instances.back().inputs[10000 - 1] == "leaf/99/99.txt");
}

TEST_CASE("graph expand: every task a target (validate), without naming them") {
  Workspace ws;
  auto p = design_example(ws);
  Graph g = build_graph(p, {.param_overrides = {}, .targets = {}, .all_tasks = true});
  std::vector<std::string> targets;
  for (InstanceId id : g.targets) targets.push_back(g.instances[id].label);
  CHECK(targets == std::vector<std::string>{"Download(year=2024)", "Clean(year=2024)",
                                            "Report(model=linear,year=2024)",
                                            "Report(model=forest,year=2024)"});
  // Named targets win over all_tasks, as `validate` only sets it without targets.
  g = build_graph(p, {.param_overrides = {}, .targets = {"Clean"}, .all_tasks = false});
  CHECK(g.targets.size() == 1);
}

TEST_CASE("graph expand: a task reached with many contexts, one command text shared") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  std::vector<std::string> xs;
  for (int i = 0; i < 12; ++i) xs.push_back(std::to_string(i));  // past the linear search
  auto fetch = task("Fetch", "fetch {x} > {out}", {}, {"f_{x}.txt"});
  auto use = task("Use", "use {x} {in} > {out}", {}, {"u_{x}.txt"});
  use.matrix() = {axis("x", xs)};
  use.requires_ = {req("Fetch")};
  auto again = task("Again", "use {x} {in} > {out}", {}, {"a_{x}.txt"});
  again.matrix() = {axis("x", xs)};
  again.requires_ = {req("Fetch")};
  p.tasks = {fetch, use, again};
  Graph g = build_graph(p, {});
  check_topological(g);
  REQUIRE(g.instances.size() == 36);  // each Fetch(x) made once, for both requirers
  const auto* u = find(g, "Use(x=11)");
  const auto* a = find(g, "Again(x=11)");
  REQUIRE(u != nullptr);
  REQUIRE(a != nullptr);
  REQUIRE(u->deps.size() == 1);
  CHECK(u->deps == a->deps);
  CHECK(g.instances[u->deps[0]].label == "Fetch(x=11)");
  CHECK(u->command == "use 11 f_11.txt > u_11.txt");
  CHECK(a->command == "use 11 f_11.txt > a_11.txt");
  CHECK(g.instances[u->deps[0]].command == "fetch 11 > f_11.txt");
}

TEST_CASE("graph expand: label targets among ten thousand instances") {
  // Labels are found through open addressing over the instances' own labels: every one of
  // many must lead to its own instance, and a label no instance has to none.
  Workspace ws;
  manifest::Pipeline p;
  p.path = "pipeline.yaml";
  p.directory = ws.dir;
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) values.push_back(std::to_string(i));
  auto leaf = task("Leaf", "touch {out}", {}, {"leaf/{a}/{b}.txt"});
  leaf.matrix() = {axis("a", values), axis("b", values)};
  p.tasks = {leaf};
  std::vector<std::string> labels, outputs;
  for (int a = 0; a < 100; a += 7) {
    for (int b = 0; b < 100; b += 11) {
      labels.push_back(fmt::format("Leaf(a={},b={})", a, b));
      outputs.push_back(fmt::format("leaf/{}/{}.txt", a, b));
    }
  }
  Graph g = build_graph(p, {.param_overrides = {}, .targets = labels});
  REQUIRE(g.targets.size() == labels.size());
  CHECK(g.instances.size() == labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    CHECK(g.instances[g.targets[i]].label == labels[i]);
    CHECK(g.instances[g.targets[i]].outputs == std::vector<std::string>{outputs[i]});
  }
  g = build_graph(p, {.param_overrides = {}, .targets = {"Leaf(b=3,a=42)", "Leaf(a=42,b=3)"}});
  REQUIRE(g.instances.size() == 1);
  CHECK(g.targets == std::vector<InstanceId>{0});
  // Names one instance of none: with `b` unset the root makes Leaf(a=1,b=0..99).
  CHECK_THROWS_AS(build_graph(p, {.param_overrides = {}, .targets = {"Leaf(a=1)"}}), UsageError);
}
