#pragma once
// Pipelines for the graph tests, built as structs (no YAML), and a scratch workspace.
#include <stdlib.h>

#include <string>
#include <vector>

#include "luisy/graph/graph.h"
#include "luisy/manifest/pipeline.h"
#include "luisy/util/fs.h"

namespace luisy::graph::testing {

inline manifest::Value val(std::string text, int line = 0, int column = 0) {
  return manifest::Value{std::move(text), manifest::Place{line, column}};
}

inline std::vector<manifest::Value> vals(std::vector<std::string> texts) {
  std::vector<manifest::Value> out;
  for (auto& t : texts) out.push_back(val(std::move(t)));
  return out;
}

inline manifest::TaskSpec task(std::string name, std::string cmd, std::vector<std::string> inputs,
                               std::vector<std::string> outputs) {
  manifest::TaskSpec spec;
  spec.name = std::move(name);
  spec.where = manifest::Place{1, 3};
  spec.cmd = val(std::move(cmd));
  spec.inputs = vals(std::move(inputs));
  spec.outputs = vals(std::move(outputs));
  return spec;
}

inline manifest::Requirement req(std::string name,
                                 std::vector<std::pair<std::string, std::string>> overrides = {}) {
  manifest::Requirement r;
  r.task = std::move(name);
  r.where = manifest::Place{7, 5};
  for (auto& [k, v] : overrides) r.params.push_back({k, val(v)});
  return r;
}

inline manifest::MatrixAxis axis(std::string name, std::vector<std::string> values) {
  return manifest::MatrixAxis{std::move(name), vals(std::move(values)), manifest::Place{9, 5}};
}

inline manifest::NamedValue named(std::string name, std::string value) {
  return {std::move(name), val(std::move(value))};
}

// A temporary directory, removed at the end of the test.
struct Workspace {
  std::string dir;
  Workspace() {
    char templ[] = "/tmp/luisy_graph_test_XXXXXX";
    dir = ::mkdtemp(templ);
  }
  ~Workspace() { util::remove_all(dir); }
  void touch(const std::string& path) const {
    std::string full = util::join_path(dir, path);
    util::make_parent_dirs(full);
    util::write_file_atomic(full, "x");
  }
};

// The example of DESIGN.md: Download -> Clean -> Report over a model matrix.
inline manifest::Pipeline design_example(const Workspace& ws) {
  ws.touch("scripts/download.py");
  ws.touch("scripts/clean.py");
  manifest::Pipeline p;
  p.path = "pipeline.yaml";
  p.directory = ws.dir;
  p.params = {named("year", "2024")};
  auto download = task("Download", "python3 scripts/download.py --year {year} --out {out}",
                       {"scripts/download.py"}, {"data/raw/sales_{year}.csv"});
  auto clean = task("Clean", "python3 scripts/clean.py {in} {out}", {"scripts/clean.py"},
                    {"data/interim/clean_{year}.csv"});
  clean.requires_ = {req("Download")};
  clean.env() = vals({"LC_ALL", "HOME", "LC_ALL"});
  clean.description() = "cleans the sales";
  auto report = task("Report", "python3 scripts/report.py --model {model} {in} > {out}", {},
                     {"data/final/report_{model}_{year}.txt"});
  report.requires_ = {req("Clean")};
  report.matrix() = {axis("model", {"linear", "forest"})};
  p.tasks = {download, clean, report};
  return p;
}

inline std::vector<std::string> labels(const Graph& g) {
  std::vector<std::string> out;
  for (const auto& i : g.instances) out.push_back(i.label);
  return out;
}

inline const TaskInstance* find(const Graph& g, const std::string& label) {
  for (const auto& i : g.instances)
    if (i.label == label) return &i;
  return nullptr;
}

}  // namespace luisy::graph::testing
