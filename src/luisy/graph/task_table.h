#pragma once
// Private to graph/: the pipeline's tasks analysed once, before any instance exists —
// parsed templates, the parameters each task reads, requirement links, task-level order.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "luisy/graph/placeholder.h"
#include "luisy/manifest/pipeline.h"

namespace luisy::graph::detail {

struct Template {
  const manifest::Value* value = nullptr;
  std::vector<Placeholder> parts;
  std::vector<int> own_index;  // per part: index into TaskInfo::own for kParam, else -1
};

// Where one identifying parameter of a required task takes its value from, given the
// requiring instance: the requirement's override, the requiring task's own value (task
// params and matrix keys are forwarded), or the requiring instance's incoming context.
struct Source {
  enum class From { kOverride, kOwn, kContext } from = From::kContext;
  const std::string* value = nullptr;  // kOverride
  size_t index = 0;                    // kOwn: into own; kContext: into ident
};

struct RequirementInfo {
  size_t task = 0;
  const manifest::Requirement* spec = nullptr;
  std::vector<Source> sources;              // aligned with the required task's ident
  std::vector<std::string> override_names;  // sorted
};

struct TaskInfo {
  const manifest::TaskSpec* spec = nullptr;
  Template cmd;
  std::vector<Template> inputs;
  std::vector<Template> outputs;
  std::vector<std::string> own;    // template params, task params, matrix keys; sorted
  std::vector<std::string> ident;  // own plus what required tasks read through us; sorted
  std::vector<size_t> own_in_ident;
  std::vector<int> own_axis;                         // matrix axis of own[i], or -1
  std::vector<const std::string*> own_task_default;  // task-level `params` default, or null
  std::vector<bool> own_forwarded;                   // a task param or a matrix key
  std::vector<RequirementInfo> requirements;
  std::vector<std::string> env;  // sorted, unique
  std::vector<std::string> tools;  // the task's and the pipeline's, sorted, unique
  bool required = false;         // some task requires this one
};

struct TaskTable {
  std::vector<TaskInfo> tasks;  // in file order
  std::unordered_map<std::string_view, size_t> by_name;
  std::vector<size_t> order;  // required tasks before the tasks that require them
};

// Throws manifest::ManifestError for bad placeholders, unknown tasks in requires, cycles,
// and overrides naming parameters the required task does not read.
TaskTable analyze_tasks(const manifest::Pipeline& pipeline);

// Where a placeholder at `offset` in `value` sits in the file: the value's column plus the
// offset when the value is a single-line plain scalar (so the caret lands on the '{').
Location location_at(const manifest::Value& value, size_t offset, std::string_view source);

// The closest name within a small edit distance, or empty (for "did you mean").
std::string closest_name(std::string_view name, const std::vector<std::string_view>& known);

}  // namespace luisy::graph::detail
