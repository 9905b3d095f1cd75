#include <doctest/doctest.h>

#include <string>

#include "luisy/engine/depfile.h"

using namespace luisy;

namespace {

graph::TaskInstance instance(std::vector<std::string> sources, std::vector<std::string> outputs) {
  graph::TaskInstance task;
  task.sources = std::move(sources);
  task.outputs = std::move(outputs);
  return task;
}

}  // namespace

TEST_CASE("depfile: the depfile is the target; sources, not outputs, are prerequisites") {
  engine::Plan plan;
  plan.workspace.directory = "/work/ws";
  plan.workspace.pipeline_path = "/work/ws/pipeline.yaml";
  plan.graph.instances.push_back(instance({"src/a.csv", "data/x.csv"}, {"out/a.txt", "out/dir/"}));
  // A glob that matched files another task wrote: those (and a directory output that fed
  // a glob) are not source inputs.
  plan.graph.instances.push_back(
      instance({"out/a.txt", "out/dir/part1", "src/a.csv"}, {"out/b.txt"}));
  plan.graph.globbed_dirs = {"out/dir", "data"};
  plan.graph.compute_source_files();

  std::string text = engine::depfile_text(plan, "build/luisy.d", "/work/ws");
  CHECK(text ==
        "build/luisy.d: \\\n"
        "  pipeline.yaml \\\n"
        "  data/x.csv \\\n"
        "  src/a.csv \\\n"
        "  data\n"
        "pipeline.yaml:\n"
        "data/x.csv:\n"
        "src/a.csv:\n"
        "data:\n");
}

TEST_CASE(
    "depfile: paths outside make's directory are absolute; make's special characters quoted") {
  engine::Plan plan;
  plan.workspace.directory = "/work/ws";
  plan.workspace.pipeline_path = "/work/ws/pipe line.yaml";
  plan.graph.instances.push_back(instance({"my data/#1 $x.csv"}, {"out.txt"}));
  plan.graph.compute_source_files();
  std::string text = engine::depfile_text(plan, "deps.d", "/elsewhere");
  CHECK(text ==
        "deps.d: \\\n"
        "  /work/ws/pipe\\ line.yaml \\\n"
        "  /work/ws/my\\ data/\\#1\\ $$x.csv\n"
        "/work/ws/pipe\\ line.yaml:\n"
        "/work/ws/my\\ data/\\#1\\ $$x.csv:\n");
  // Below make's directory: relative.
  CHECK(engine::depfile_text(plan, "deps.d", "/work").find("  ws/my\\ data/") != std::string::npos);
}
