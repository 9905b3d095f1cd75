#include "luisy/manifest/pipeline.h"

namespace luisy::manifest {

// Linear: fine for the occasional lookup. Code that resolves every `requires` of a large
// pipeline should build its own name index once.
const TaskSpec* Pipeline::find_task(std::string_view name) const {
  for (const TaskSpec& task : tasks) {
    if (task.name == name) return &task;
  }
  return nullptr;
}

const TaskExtras& TaskSpec::read() const {
  static const TaskExtras kNone;
  return extras.p ? *extras.p : kNone;
}

TaskExtras& TaskSpec::write() {
  if (!extras.p) extras.p = std::make_unique<TaskExtras>();
  return *extras.p;
}

}  // namespace luisy::manifest
