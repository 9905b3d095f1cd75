#include "luisy/engine/plan.h"

#include <fmt/format.h>

#include <cstring>

#include "luisy/graph/serialize.h"
#include "luisy/manifest/loader.h"
#include "luisy/manifest/pipeline.h"
#include "luisy/state/plan_store.h"
#include "luisy/state/workspace_lock.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::engine {

namespace {

// Everything the graph depends on besides the directories globs listed.
util::Digest plan_key(const std::string& text, const PlanRequest& request) {
  util::Hasher hasher;
  auto add = [&](std::string_view s) {
    uint64_t size = s.size();
    hasher.update(&size, sizeof size);
    hasher.update(s);
  };
  add("luisy-plan 1");
  // A new luisy binary may expand pipelines differently: its identity joins the key.
  if (auto self = util::stat_path("/proc/self/exe")) add(fmt::format("{}:{}", self->size, self->mtime_ns));
  add(text);
  for (const auto& p : request.options.param_overrides) {
    add(p.name);
    add(p.value);
  }
  add("targets");
  for (const auto& t : request.options.targets) add(t);
  add(request.all_tasks ? "all" : "roots");
  return hasher.finish();
}

void put_string(std::string& out, std::string_view s) {
  uint32_t size = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&size), sizeof size);
  out.append(s);
}

bool get_string(std::string_view& in, std::string& s) {
  uint32_t size;
  if (in.size() < sizeof size) return false;
  std::memcpy(&size, in.data(), sizeof size);
  in.remove_prefix(sizeof size);
  if (in.size() < size) return false;
  s.assign(in.substr(0, size));
  in.remove_prefix(size);
  return true;
}

int64_t dir_mtime(const std::string& directory, const std::string& dir) {
  auto st = util::stat_path(util::join_path(directory, dir));
  return st ? st->mtime_ns : -1;
}

// Plan bytes: project, remote, the globbed directories with their mtimes, then the graph.
std::string encode(const Plan& plan) {
  std::string out;
  put_string(out, plan.project);
  put_string(out, plan.remote);
  std::string dirs;
  for (const auto& dir : plan.graph.globbed_dirs)
    dirs += fmt::format("{}\n{}\n", dir, dir_mtime(plan.workspace.directory, dir));
  put_string(out, dirs);
  out += graph::serialize_graph(plan.graph);
  return out;
}

bool decode(std::string_view bytes, Plan& plan) {
  std::string dirs;
  if (!get_string(bytes, plan.project) || !get_string(bytes, plan.remote) || !get_string(bytes, dirs))
    return false;
  // A glob's directory that changed since the plan was made may match other files now.
  std::string_view rest = dirs;
  while (!rest.empty()) {
    size_t a = rest.find('\n');
    if (a == std::string_view::npos) return false;
    size_t b = rest.find('\n', a + 1);
    if (b == std::string_view::npos) return false;
    std::string dir(rest.substr(0, a));
    std::string mtime(rest.substr(a + 1, b - a - 1));
    if (std::to_string(dir_mtime(plan.workspace.directory, dir)) != mtime) return false;
    rest.remove_prefix(b + 1);
  }
  auto graph = graph::deserialize_graph(bytes);
  if (!graph) return false;
  // A deleted source must be reported as a planning error with its location: let the
  // full parse find it.
  for (const auto& instance : graph->instances)
    for (const auto& source : instance.sources)
      if (!util::exists(util::join_path(plan.workspace.directory, source))) return false;
  plan.graph = std::move(*graph);
  return true;
}

}  // namespace

std::unique_ptr<state::WorkspaceLock> lock_workspace(const Workspace& workspace) {
  util::make_dirs(workspace.state_dir);
  return std::make_unique<state::WorkspaceLock>(workspace.state_dir, true, [](long pid) {
    fmt::print(stderr, "luisy: waiting for another luisy (pid {}) building in this workspace...\n", pid);
    std::fflush(stderr);
  });
}

Plan load_plan(const PlanRequest& request) {
  auto text = util::read_file_if_exists(request.pipeline_path);
  if (!text) throw Error(fmt::format("cannot open pipeline file {}: No such file or directory", request.pipeline_path));

  Plan plan;
  plan.workspace.pipeline_path = request.pipeline_path;
  plan.workspace.directory = util::dirname(util::absolute_path(request.pipeline_path));
  plan.workspace.state_dir = util::join_path(plan.workspace.directory, ".luisy");

  util::Digest key = plan_key(*text, request);
  if (auto bytes = state::load_plan(plan.workspace.state_dir, key)) {
    if (decode(*bytes, plan)) {
      plan.from_cache = true;
      return plan;
    }
  }

  manifest::Pipeline pipeline = manifest::parse_pipeline(*text, request.pipeline_path);
  pipeline.directory = plan.workspace.directory;
  graph::GraphOptions options = request.options;
  if (request.all_tasks && options.targets.empty())
    for (const auto& task : pipeline.tasks) options.targets.push_back(task.name);
  plan.project = pipeline.project;
  plan.remote = pipeline.remote;
  plan.graph = graph::build_graph(pipeline, options);

  // The plan is an optimisation: failing to save it must not fail the command.
  try {
    util::make_dirs(plan.workspace.state_dir);
    state::save_plan(plan.workspace.state_dir, key, encode(plan));
  } catch (const Error&) {
  }
  return plan;
}

}  // namespace luisy::engine
