#pragma once
// What a build leaves behind besides its outputs: .luisy/last-build.json (always, except for
// push and pull) and the Chrome trace of --trace FILE, both from the recorder that observed
// the build. Written atomically, also after a failure or an interruption.
#include <string>

#include "luisy/engine/plan.h"

namespace luisy::status {
class BuildRecorder;
class Status;
}  // namespace luisy::status

namespace luisy::engine {

// A file that cannot be written is a warning on `status`, never a failed build.
void write_build_records(const Workspace& workspace, const status::BuildRecorder& recorder,
                         int exit_code, bool last_build, const std::string& trace_path,
                         status::Status& status);

}  // namespace luisy::engine
