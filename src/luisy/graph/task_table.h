#pragma once
// Private to graph/: the pipeline's tasks analysed once, before any instance exists —
// parsed templates, the parameters each task reads, requirement links, task-level order.
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "luisy/graph/placeholder.h"
#include "luisy/manifest/pipeline.h"

namespace luisy::graph::detail {

struct Template {
  const manifest::Value* value = nullptr;
  // The parsed text, shared by every template with the same text (TaskTable::parsed): a
  // generated pipeline writes `cksum {in} > {out}` 100,000 times. Null for a text without
  // braces, which is one literal: value->text (most paths).
  const std::vector<Placeholder>* parsed = nullptr;
  // Per part: index into TaskInfo::own for kParam, else -1; null when no part is a
  // parameter (most templates, and 16 bytes less than a vector).
  std::unique_ptr<int[]> own_index;
  std::span<const Placeholder> parts() const {
    return parsed ? std::span<const Placeholder>(*parsed) : std::span<const Placeholder>();
  }
  int own(size_t part) const { return own_index ? own_index[part] : -1; }
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
  // What is known of own[i]; one vector rather than one per field (an empty vector is 24
  // bytes, and a TaskInfo exists per task).
  struct OwnSlot {
    uint32_t in_ident = 0;                      // index into ident
    int32_t axis = -1;                          // matrix axis, or -1
    const std::string* task_default = nullptr;  // task-level `params` default, or null
  };
  std::vector<OwnSlot> own_slots;
  // Task params and matrix keys are forwarded to required tasks.
  bool own_forwarded(size_t i) const {
    return own_slots[i].axis >= 0 || own_slots[i].task_default;
  }
  std::vector<RequirementInfo> requirements;
  bool required = false;  // some task requires this one
};

struct TaskTable {
  std::vector<TaskInfo> tasks;  // in file order
  // Each distinct template text parsed once; keys view the pipeline's values.
  std::deque<std::vector<Placeholder>> parsed;
  std::unordered_map<std::string_view, const std::vector<Placeholder>*> parsed_by_text;
  // Task names, sorted, with their index: one array (a hash map cost 56 bytes a task).
  std::vector<std::pair<std::string_view, size_t>> by_name;
  // The index of the task called `name`, or tasks.size().
  size_t find(std::string_view name) const;
  std::vector<size_t> order;  // required tasks before the tasks that require them
};

// Throws manifest::ManifestError for bad placeholders, unknown tasks in requires, cycles,
// and overrides naming parameters the required task does not read.
TaskTable analyze_tasks(const manifest::Pipeline& pipeline);

// Where a placeholder at `offset` in `value` sits in the file: the value's column plus the
// offset when the value is a single-line plain scalar (so the caret lands on the '{').
Location location_at(const manifest::Value& value, size_t offset,
                     const manifest::Pipeline& pipeline);

// The closest name within a small edit distance, or empty (for "did you mean").
std::string closest_name(std::string_view name, const std::vector<std::string_view>& known);

}  // namespace luisy::graph::detail
