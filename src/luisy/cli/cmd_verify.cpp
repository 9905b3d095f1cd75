#include <fmt/format.h>
#include <stdlib.h>

#include <cstdlib>

#include "luisy/cache/local_store.h"
#include "luisy/cache/remote/remote_store.h"
#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/engine/remote_setup.h"
#include "luisy/engine/verify.h"
#include "luisy/state/workspace_lock.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::cli {

namespace {

// A private directory for the remote's blobs while they are hashed; removed on every exit.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = util::join_path(tmp && *tmp ? tmp : "/tmp", "luisy-verify.XXXXXX");
    if (!::mkdtemp(pattern.data())) throw Error(fmt::format("cannot create {}", pattern));
    path = pattern;
  }
  ~ScratchDir() {
    try {
      util::remove_all(path);
    } catch (const Error&) {
    }
  }
};

}  // namespace

// Exit status: 0 nothing broken (or everything broken was removed), 1 broken entries remain,
// 2 the audit could not finish (a remote that failed, an unreadable state file).
int command_verify(const CommandLine& line) {
  if (!line.format.empty() && line.format != "text" && line.format != "json")
    throw UsageError(fmt::format("unknown format '{}' (use text or json)", line.format));
  if (!line.targets.empty())
    throw UsageError(
        fmt::format("verify takes no task ('{}'): it audits every result", line.targets[0]));
  engine::Plan plan = engine::load_plan(plan_request(line));
  engine::VerifyOptions options;
  options.remove_broken = line.remove_broken;
  options.transfers = line.transfers;

  std::unique_ptr<state::WorkspaceLock> lock;
  if (options.remove_broken) lock = engine::lock_workspace(plan.workspace);

  engine::VerifyReport report;
  engine::verify_workspace(plan.workspace.directory, options, report);
  cache::LocalStore local(cache::LocalStore::default_root());
  if (util::exists(local.root())) engine::verify_local_store(local, options, report);
  if (line.remote_status) {
    engine::CacheOptions cache_options;
    cache_options.remote_url = line.remote_url;
    auto remote = engine::open_remote(plan, cache_options);
    ScratchDir scratch;
    engine::verify_remote(*remote, scratch.path, options, report);
  }

  if (line.format == "json")
    fmt::print("{}", engine::format_verify_json(report));
  else
    fmt::print("{}", engine::format_verify_text(report, options));
  std::fflush(stdout);
  if (!report.complete()) throw Error("the audit could not finish (see 'incomplete' above)");
  return report.remaining() == 0 ? kExitOk : kExitTaskFailed;
}

}  // namespace luisy::cli
