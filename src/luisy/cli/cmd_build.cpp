#include <fmt/format.h>

#include "luisy/cache/result_cache.h"
#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/engine/build.h"
#include "luisy/engine/remote_setup.h"
#include "luisy/status/status.h"
#include "luisy/util/error.h"

namespace luisy::cli {

namespace {

// build, push and pull share everything but what they transfer and whether they run.
int build_like(const CommandLine& line, engine::BuildOptions options) {
  engine::Plan plan = engine::load_plan(plan_request(line));
  options.jobs = line.jobs;
  options.keep_going = line.keep_going;
  options.dry_run = line.dry_run;
  engine::CacheOptions cache_options;
  cache_options.remote_url = line.remote_url;
  cache_options.transfers = line.transfers;
  bool need_remote = (options.download || options.upload) && !options.dry_run;
  std::unique_ptr<cache::ResultCache> cache;
  if (!options.dry_run) cache = engine::open_cache(plan, cache_options, need_remote);
  options.cache = cache.get();

  status::ConsoleOptions console;
  console.verbose = line.verbose;
  console.smart_terminal = status::stdout_is_smart_terminal();
  auto status = status::make_console_status(console);
  if (cache) cache->set_warning_callback([&](const std::string& message) { status->warning(message); });
  return engine::run_build(plan, options, *status);
}

}  // namespace

int command_build(const CommandLine& line) {
  engine::BuildOptions options;
  options.download = line.download;
  options.upload = line.upload;
  return build_like(line, options);
}

int command_push(const CommandLine& line) {
  engine::BuildOptions options;
  options.no_run = true;
  options.upload = true;
  return build_like(line, options);
}

int command_pull(const CommandLine& line) {
  engine::BuildOptions options;
  options.no_run = true;
  options.download = true;
  return build_like(line, options);
}

}  // namespace luisy::cli
