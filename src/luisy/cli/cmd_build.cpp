#include <fmt/format.h>

#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/engine/build.h"
#include "luisy/status/status.h"

namespace luisy::cli {

int command_build(const CommandLine& line) {
  engine::Plan plan = engine::load_plan(plan_request(line));
  engine::BuildOptions options;
  options.jobs = line.jobs;
  options.keep_going = line.keep_going;
  options.dry_run = line.dry_run;
  status::ConsoleOptions console;
  console.verbose = line.verbose;
  console.smart_terminal = status::stdout_is_smart_terminal();
  auto status = status::make_console_status(console);
  return engine::run_build(plan, options, *status);
}

}  // namespace luisy::cli
