#pragma once
// Private to graph/: phase one of build_graph. Expands every task reachable from the roots
// into instances: parameter resolution and forwarding, matrix, labels, output paths.
// Sources, {in} and the command come later, once every output in the pipeline is known.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "luisy/graph/graph.h"
#include "luisy/graph/task_table.h"

namespace luisy::graph::detail {

// Values known before any instance: --param overrides and pipeline-wide defaults.
struct Bindings {
  std::unordered_map<std::string_view, const std::string*> overrides;
  std::unordered_map<std::string_view, const std::string*> defaults;
};

// A task's incoming context projected on its ident (null: not set).
using Context = std::vector<const std::string*>;

struct RootContext {
  size_t task = 0;
  Context context;
};

struct InstanceInfo {
  uint32_t task = 0;
  uint32_t requires_deps = 0;           // deps[0, requires_deps) came from `requires`
  std::vector<const std::string*> own;  // aligned with TaskInfo::own, all bound
};

struct Universe {
  std::vector<TaskInstance> instances;  // deps hold the `requires` edges only so far
  std::vector<InstanceInfo> info;
  std::unordered_map<std::string, InstanceId> by_label;
  // The instances of each task: made one task after another, so a range of ids (a vector
  // per task cost 56 bytes a task).
  struct Range {
    InstanceId begin = 0;
    InstanceId end = 0;
  };
  std::vector<Range> by_task;
};

// Throws manifest::ManifestError for a parameter a template uses but nothing binds.
Universe expand_universe(const TaskTable& table, const manifest::Pipeline& pipeline,
                         const Bindings& bindings, const std::vector<RootContext>& roots);

// "Task(a=1,b=x)", or "Task" without parameters.
std::string make_label(std::string_view task, const std::vector<Param>& params);

// Substitutes {K} in a path template and normalises it; a trailing '/' is kept.
std::string expand_path(const Template& path, const InstanceInfo& info);

}  // namespace luisy::graph::detail
