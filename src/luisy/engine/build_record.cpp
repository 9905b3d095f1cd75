#include "luisy/engine/build_record.h"

#include <fmt/format.h>

#include "luisy/status/build_recorder.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::engine {

void write_build_records(const Workspace& workspace, const status::BuildRecorder& recorder,
                         int exit_code, bool last_build, const std::string& trace_path,
                         status::Status& status) {
  if (last_build) {
    try {
      // A report, not state: not worth an fsync on every build.
      util::write_file_atomic(util::join_path(workspace.state_dir, "last-build.json"),
                              recorder.last_build_json(exit_code), util::Durability::kCache);
    } catch (const Error& e) {
      status.warning(fmt::format("cannot write last-build.json: {}", e.what()));
    }
  }
  if (trace_path.empty()) return;
  try {
    util::make_parent_dirs(trace_path);
    util::write_file_atomic(trace_path, recorder.trace_json());
  } catch (const Error& e) {
    status.warning(fmt::format("cannot write the trace: {}", e.what()));
  }
}

}  // namespace luisy::engine
