#pragma once
// Private to graph/: phase one of build_graph. Expands every task reachable from the roots
// into instances: parameter resolution and forwarding, matrix, labels, output paths.
// Sources, {in} and the command come later, once every output in the pipeline is known.
#include <cstdint>
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

// An instance while the graph is built: what expansion, source resolution and command
// substitution fill in. What every instance of a task shares (its name, env, tools, place,
// description and flags) joins only in the TaskInstance, made once the task table and the
// pipeline's values are gone: at 100,000 tasks, 100,000 TaskInstances (344 bytes) were
// alive together with the pipeline and the table, at the peak of planning.
struct Draft {
  std::vector<Param> params;  // the parameters that identify it, sorted by name
  std::string label;
  std::string command;           // after substitution
  std::vector<InstanceId> deps;  // `requires` edges first, then those found from inputs
  // The declared inputs after glob expansion (its sources), to which the outputs of the
  // `requires` deps are added once all sources are known ({in}).
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};

struct InstanceInfo {
  uint32_t task = 0;
  uint32_t requires_deps = 0;           // deps[0, requires_deps) came from `requires`
  std::vector<const std::string*> own;  // aligned with TaskInfo::own, all bound
};

struct Universe {
  std::vector<Draft> instances;  // deps hold the `requires` edges only so far
  std::vector<InstanceInfo> info;
  // Instance ids by label: open addressing over the instances' own labels, kNoInstance in
  // an empty slot, a power of two in size (a node-based map with its copy of each label cost
  // 64 bytes an instance, 6.4 MB at 100,000 tasks).
  static constexpr InstanceId kNoInstance = UINT32_MAX;
  std::vector<InstanceId> by_label;
  // The slot of `label`: the one holding it, or the empty one where it would go.
  size_t label_slot(std::string_view label) const;
  // The instance labelled `label`, or kNoInstance (by_label released: always kNoInstance).
  InstanceId find_label(std::string_view label) const;
  // The instances of each task: made one task after another, so a range of ids (a vector
  // per task cost 56 bytes a task).
  struct Range {
    InstanceId begin = 0;
    InstanceId end = 0;
  };
  std::vector<Range> by_task;
};

// Throws manifest::ManifestError for a parameter a template uses but nothing binds. The
// roots go as soon as they are read (a context per task that nothing requires).
Universe expand_universe(const TaskTable& table, const manifest::Pipeline& pipeline,
                         const Bindings& bindings, std::vector<RootContext> roots);

// "Task(a=1,b=x)", or "Task" without parameters.
std::string make_label(std::string_view task, const std::vector<Param>& params);

// Substitutes {K} in a path template and normalises it; a trailing '/' is kept.
std::string expand_path(const Template& path, const InstanceInfo& info);

}  // namespace luisy::graph::detail
