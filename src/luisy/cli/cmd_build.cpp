#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include <cstdlib>
#include <thread>

#include "luisy/cache/result_cache.h"
#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/engine/build.h"
#include "luisy/engine/depfile.h"
#include "luisy/engine/preview.h"
#include "luisy/engine/remote_setup.h"
#include "luisy/exec/jobserver.h"
#include "luisy/status/json_log_status.h"
#include "luisy/status/status.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"
#include "luisy/util/strings.h"

namespace luisy::cli {

namespace {

// On a terminal, before a build deletes outputs whose last run took longer than the
// threshold: list them and ask. True to go on. Never asks when stdin is not a terminal.
bool confirm_costly_deletions(engine::Plan& plan, const engine::BuildOptions& options) {
  if (!::isatty(STDIN_FILENO)) return true;
  int64_t threshold = engine::confirm_threshold(plan);
  if (threshold < 0) return true;
  std::vector<engine::Deletion> costly = engine::costly_deletions(plan, options, static_cast<double>(threshold));
  if (costly.empty()) return true;
  fmt::print(stderr, "luisy: this build deletes outputs that took longer than {} to make:\n",
             util::format_duration(static_cast<double>(threshold)));
  for (const auto& d : costly)
    fmt::print(stderr, "  {} (output of {}, last run {})\n", d.path, d.label, util::format_duration(d.seconds));
  fmt::print(stderr, "Rebuild them? [y/N] ");
  std::fflush(stderr);
  char answer[64] = {0};
  bool yes = std::fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
  if (!yes) fmt::print(stderr, "luisy: nothing done\n");
  return yes;
}

// Under GNU make (MAKEFLAGS set, even empty) luisy behaves as a sub-make: it shares make's
// job slots through the jobserver (the only limit unless -j is given), runs one task at a
// time when make runs serially, and only says what it would do under make -n.
std::unique_ptr<exec::Jobserver> join_make(const CommandLine& line, const char* makeflags,
                                           engine::BuildOptions& options, status::Status& status) {
  if (!makeflags || options.dry_run || options.no_run) return nullptr;
  std::string auth = exec::parse_makeflags(makeflags).auth, warning;
  std::unique_ptr<exec::Jobserver> jobserver;
  if (!auth.empty()) jobserver = exec::Jobserver::connect(auth, &warning);
  if (jobserver)
    options.jobs = line.jobs;  // 0: the jobserver is the only limit
  else if (line.jobs == 0)
    options.jobs = 1;  // make runs serially (no jobserver), so does a sub-make
  if (!warning.empty()) status.warning(fmt::format("{}; using -j{}", warning, options.jobs));
  return jobserver;
}

// build, push and pull share everything but what they transfer and whether they run.
int build_like(const CommandLine& line, engine::BuildOptions options) {
  options.jobs = line.jobs ? line.jobs : std::max(1u, std::thread::hardware_concurrency());
  options.keep_going = line.keep_going;
  const char* makeflags = std::getenv("MAKEFLAGS");
  options.dry_run = line.dry_run || (makeflags && exec::parse_makeflags(makeflags).dry_run);
  status::ConsoleOptions console;
  console.verbose = line.verbose;
  console.smart_terminal = status::stdout_is_smart_terminal();
  auto status = line.log_format == "json" ? status::make_json_log_status(stdout, stderr)
                                          : status::make_console_status(console);
  // First, before luisy opens a descriptor of its own that could take the number of one
  // make did not pass.
  std::unique_ptr<exec::Jobserver> jobserver = join_make(line, makeflags, options, *status);
  options.jobserver = jobserver.get();

  engine::Plan plan = engine::load_plan(plan_request(line));
  engine::CacheOptions cache_options;
  cache_options.remote_url = line.remote_url;
  cache_options.transfers = line.transfers;
  bool need_remote = options.download || options.upload;
  std::unique_ptr<cache::ResultCache> cache = engine::open_cache(plan, cache_options, need_remote);
  options.cache = cache.get();
  if (!options.dry_run && !options.no_run && !options.accept && !line.yes &&
      !confirm_costly_deletions(plan, options))
    return kExitTaskFailed;
  options.trace_path = line.trace_path;
  if (cache) cache->set_warning_callback([&](const std::string& message) { status->warning(message); });
  int exit_code = engine::run_build(plan, options, *status);
  if (!line.depfile.empty() && !options.dry_run && !options.no_run) {
    // A failed build leaves no stamp, so make calls luisy again next time.
    if (exit_code == kExitOk)
      engine::write_depfile(plan, line.depfile);
    else
      util::remove_all(line.depfile);
  }
  return exit_code;
}

}  // namespace

int command_build(const CommandLine& line) {
  engine::BuildOptions options;
  options.download = line.download;
  options.upload = line.upload;
  options.accept = line.accept;
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
