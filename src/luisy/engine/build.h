#pragma once
// The build loop: evaluate instances as their upstreams finish, run the stale ones as
// parallel subprocesses, record results, and stop cleanly on failure or interruption.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "luisy/engine/plan.h"
#include "luisy/util/digest.h"

namespace luisy::cache {
class ResultCache;
struct ResultRecord;
}
namespace luisy::exec {
class Jobserver;
}
namespace luisy::status {
class Status;
}

namespace luisy::engine {

struct BuildOptions {
  size_t jobs = 1;  // 0: no limit of luisy's own, only the jobserver's
  exec::Jobserver* jobserver = nullptr;  // GNU make's, when luisy runs under make -jN
  bool keep_going = false;  // -k: independent branches go on after a failure
  bool dry_run = false;     // -n: say what would run, run nothing
  // The caches (may be null: none). Stale instances are looked up by key first: in the
  // local store always, in the remote with `download`.
  cache::ResultCache* cache = nullptr;
  bool download = false;  // --download: use remote results instead of running
  bool upload = false;    // --upload: afterwards, put every result the remote lacks
  // push and pull: transfer only; an instance that would have to run is left alone (and
  // nothing that depends on it is considered).
  bool no_run = false;
  // --accept: instances that would run are recorded as up to date with their current outputs
  // instead (refused, exit status 2, for those whose outputs are missing).
  bool accept = false;
  std::string trace_path;  // --trace FILE: a Chrome trace-event file of the build
};

// One line per instance a dry run or `luisy status` reports.
struct InstanceReport {
  graph::InstanceId id = 0;
  bool up_to_date = false;
  std::string reason;  // why it would run
  std::optional<util::Digest> key;  // nullopt when an upstream would run first
  bool in_remote = false;  // stale here, but the remote lookup of inspect() found its key
};

// Runs the build. Returns the exit code: 0, 1 (a task failed), 3 (an upload failed),
// 130/143 (interrupted).
// Takes the workspace lock (waiting with a message when another luisy holds it).
int run_build(Plan& plan, const BuildOptions& options, status::Status& status);

// What a build would do now, without running or changing anything: every instance of the
// plan, up to date or the reason it would run (an upstream that would run makes its
// dependents run too, as far as can be known without running it).
// With `remote_lookup` (the remote's record of a key, else nullopt), a stale instance whose
// key the remote holds is reported `in_remote`, and its dependents are evaluated with the
// digests of that record, as `build --download` would.
using RemoteLookup = std::function<std::optional<cache::ResultRecord>(const util::Digest& key)>;
std::vector<InstanceReport> inspect(Plan& plan, const RemoteLookup& remote_lookup = {});

}  // namespace luisy::engine
