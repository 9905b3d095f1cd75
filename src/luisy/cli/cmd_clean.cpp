#include <fmt/format.h>

#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/util/error.h"
#include "luisy/engine/explain.h"
#include "luisy/state/build_log.h"
#include "luisy/state/workspace_lock.h"
#include "luisy/util/fs.h"

namespace luisy::cli {

int command_clean(const CommandLine& line) {
  engine::PlanRequest request = plan_request(line);
  request.all_tasks = true;
  engine::Plan plan = engine::load_plan(request);
  const auto& workspace = plan.workspace;
  auto lock = engine::lock_workspace(workspace);
  state::BuildLog log = state::BuildLog::open(workspace.state_dir);
  size_t files = 0, instances = 0;
  for (const auto& instance : plan.graph.instances) {
    bool selected = line.targets.empty();
    for (const auto& target : line.targets) selected = selected || engine::selects(instance, target);
    if (!selected) continue;
    ++instances;
    for (const auto& output : instance.outputs) {
      std::string path = util::join_path(workspace.directory, output);
      if (!util::exists(path)) continue;
      util::remove_all(path);
      ++files;
    }
    if (log.find(instance.label)) log.forget(instance.label);
  }
  log.flush();
  fmt::print("luisy: cleaned {} outputs of {} task instances\n", files, instances);
  return kExitOk;
}

}  // namespace luisy::cli
