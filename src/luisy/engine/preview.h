#pragma once
// What a build would do, worked out without running anything: for `build -n` (grouped:
// run, restore, download, upload, delete) and for the question asked on a terminal before
// a build deletes outputs that took long to make.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "luisy/engine/build.h"

namespace luisy::status {
class Status;
}

namespace luisy::engine {

struct Deletion {
  std::string path;    // workspace-relative output that exists now
  std::string label;   // the instance that would run and so delete it first
  double seconds = 0;  // how long its last recorded run took (0: none recorded)
};

struct Preview {
  std::vector<std::pair<graph::InstanceId, std::string>> run;  // with the reason
  std::vector<graph::InstanceId> restore;                      // from the local store
  std::vector<graph::InstanceId> download;                     // from the remote (with --download)
  std::vector<graph::InstanceId> upload;  // up to date here, missing in the remote
  size_t upload_after_run = 0;            // of `run`, those whose results would be uploaded
  std::vector<Deletion> deletions;
};

// Looks keys up in options.cache (local store; the remote too when `ask_remote` and
// options.download), and asks the remote which up-to-date results it lacks when
// `ask_remote` and options.upload. An upstream found in a cache contributes its recorded
// digests, so what depends on it is judged as the build would judge it. Changes nothing but
// the local store's copy of remote records it looked up. Throws Error as a build would
// (a tool not on PATH).
Preview preview_build(Plan& plan, const BuildOptions& options, bool ask_remote);

// The outputs a build would delete whose last run took longer than `threshold` seconds.
// Reads only the build log when no recorded run took that long (the usual case), so a
// build on a terminal does not evaluate the graph twice.
std::vector<Deletion> costly_deletions(Plan& plan, const BuildOptions& options, double threshold);

// `luisy build -n`: prints the preview, grouped. Returns 0.
int print_dry_run(Plan& plan, const BuildOptions& options, status::Status& status);

}  // namespace luisy::engine
