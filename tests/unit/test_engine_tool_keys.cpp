// Tools in the key: resolved on PATH when the plan is loaded (also from the compiled plan),
// their digest joins the key, and a missing tool is an error naming task and tool.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "luisy/engine/evaluate.h"
#include "luisy/engine/plan.h"
#include "luisy/hash/file_digest.h"
#include "luisy/state/build_log.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

using namespace luisy;

namespace {

struct Scratch {
  std::string dir;
  std::string old_path;
  Scratch() {
    char templ[] = "/tmp/luisy_tool_test_XXXXXX";
    dir = ::mkdtemp(templ);
    const char* path = std::getenv("PATH");
    old_path = path ? path : "";
  }
  ~Scratch() {
    ::setenv("PATH", old_path.c_str(), 1);
    util::remove_all(dir);
  }
  void write_tool(const std::string& name, const std::string& text) {
    std::string path = util::join_path(dir, "bin/" + name);
    util::make_parent_dirs(path);
    util::write_file_atomic(path, text);
    ::chmod(path.c_str(), 0755);
  }
};

// The key of every instance of the plan, in order, with a fresh stat cache.
std::vector<engine::Evaluation> evaluate_all(const engine::Plan& plan) {
  state::BuildLog log = state::BuildLog::open(plan.workspace.state_dir);
  hash::StatCache stats;
  engine::Evaluator evaluator(plan, stats, log);
  std::vector<engine::Evaluation> out;
  for (graph::InstanceId id = 0; id < plan.graph.instances.size(); ++id)
    out.push_back(*evaluator.evaluate(id));
  return out;
}

}  // namespace

TEST_CASE("engine: a tool's digest joins the key of exactly the tasks that declare it") {
  Scratch s;
  s.write_tool("faketool", "#!/bin/sh\necho v1\n");
  ::setenv("PATH", (util::join_path(s.dir, "bin") + ":" + s.old_path).c_str(), 1);
  util::write_file_atomic(
      util::join_path(s.dir, "pipeline.yaml"),
      "luisy: 1\nproject: p\ntasks:\n"
      "  A:\n    cmd: faketool > {out}\n    outputs: [a.txt]\n    tools: [faketool]\n"
      "  B:\n    cmd: echo b > {out}\n    outputs: [b.txt]\n");
  engine::PlanRequest request;
  request.pipeline_path = util::join_path(s.dir, "pipeline.yaml");
  request.all_tasks = true;
  engine::Plan plan = engine::load_plan(request);
  REQUIRE(plan.tools.size() == 1);
  CHECK(plan.tools[0].path == util::join_path(s.dir, "bin/faketool"));
  auto before = evaluate_all(plan);
  REQUIRE(before.size() == 2);
  size_t a = plan.graph.instances[0].task == "A" ? 0 : 1;
  REQUIRE(before[a].preimage.tools.size() == 1);
  CHECK(before[a].preimage.tools[0].first == "faketool");
  CHECK(before[1 - a].preimage.tools.empty());

  // A copy of v1 elsewhere, for later.
  s.write_tool("other/faketool", "#!/bin/sh\necho v1\n");
  // A replaced binary: only A's key moves, and explain can say why.
  s.write_tool("faketool", "#!/bin/sh\necho v2\n");
  engine::Plan cached = engine::load_plan(request);
  CHECK(cached.from_cache);
  auto after = evaluate_all(cached);
  CHECK(after[a].key != before[a].key);
  CHECK(after[1 - a].key == before[1 - a].key);
  auto changes = hash::describe_changes(before[a].preimage, after[a].preimage);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0] == "tool faketool changed");

  // PATH now finds v1 through a symlink in another directory: the link is followed, and the
  // key is v1's again (the content counts, not where it lives).
  util::make_dirs(util::join_path(s.dir, "links"));
  REQUIRE(::symlink(util::join_path(s.dir, "bin/other/faketool").c_str(),
                    util::join_path(s.dir, "links/faketool").c_str()) == 0);
  ::setenv("PATH", (util::join_path(s.dir, "links") + ":" + s.old_path).c_str(), 1);
  engine::Plan moved = engine::load_plan(request);
  CHECK(moved.from_cache);
  CHECK(moved.tools[0].path.ends_with("/bin/other/faketool"));
  CHECK(evaluate_all(moved)[a].key == before[a].key);

  // No tool on PATH: an error naming the task and the tool (exit status 2).
  ::setenv("PATH", "/nonexistent", 1);
  engine::Plan missing = engine::load_plan(request);
  CHECK(missing.tools[0].path.empty());
  try {
    evaluate_all(missing);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("task A needs the tool 'faketool', which is not on PATH") !=
          std::string::npos);
    CHECK(e.exit_code() == kExitUsage);
  }
}
