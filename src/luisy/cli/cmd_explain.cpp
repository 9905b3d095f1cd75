#include <fmt/format.h>

#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/engine/explain.h"
#include "luisy/util/error.h"

namespace luisy::cli {

int command_explain(const CommandLine& line) {
  if (line.targets.size() != 1) throw UsageError("explain needs one TASK (a task name or a label)");
  engine::Plan plan = engine::load_plan(plan_request(line));
  plan.graph.compute_dependents();
  for (const auto& e : engine::explain(plan, line.targets[0])) {
    const auto& instance = plan.graph.instances[e.id];
    fmt::print("{}: {}\n", instance.label, e.state);
    if (!e.evaluated) {
      fmt::print("  key: unknown until its upstream tasks have run\n\n");
      continue;
    }
    fmt::print("  key      {}\n", util::to_hex(e.key));
    fmt::print("  command  {}\n", e.preimage.command);
    for (const auto& [name, value] : e.preimage.params) fmt::print("  param    {}={}\n", name, value);
    for (const auto& [name, value] : e.preimage.env)
      fmt::print("  env      {}={}\n", name, value ? *value : "(unset)");
    for (const auto& input : e.preimage.inputs)
      fmt::print("  input    {} {}\n", input.path, util::to_hex(input.digest).substr(0, 12));
    for (const auto& output : e.preimage.outputs) fmt::print("  output   {}\n", output);
    for (const auto& [name, digest] : e.preimage.tools) {
      const engine::ResolvedTool* tool = engine::find_tool(plan, name);
      fmt::print("  tool     {} {} {}\n", name, tool ? tool->path : "", util::to_hex(digest).substr(0, 12));
    }
    if (!e.has_record) {
      fmt::print("  last run: none recorded\n");
    } else if (e.changes.empty()) {
      fmt::print("  since the last run: nothing in the key changed\n");
    } else {
      fmt::print("  since the last run:\n");
      for (const auto& change : e.changes) fmt::print("    {}\n", change);
    }
    fmt::print("\n");
  }
  return kExitOk;
}

}  // namespace luisy::cli
