#include <fmt/format.h>

#include <set>

#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/util/error.h"

namespace luisy::cli {

int command_validate(const CommandLine& line) {
  engine::PlanRequest request = plan_request(line);
  request.all_tasks = true;
  engine::Plan plan = engine::load_plan(request);
  std::set<std::string> tasks;
  for (const auto& instance : plan.graph.instances) tasks.insert(instance.task);
  fmt::print("{}: ok ({} tasks, {} task instances)\n", line.pipeline_path, tasks.size(),
             plan.graph.instances.size());
  return kExitOk;
}

}  // namespace luisy::cli
