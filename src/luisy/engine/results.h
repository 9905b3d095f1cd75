#pragma once
// Converts between what the build log keeps for an instance (state::TaskRecord) and what
// the caches keep for a key (cache::ResultRecord).
#include <optional>
#include <string>

#include "luisy/cache/result_record.h"
#include "luisy/graph/graph.h"
#include "luisy/state/build_log.h"

namespace luisy::hash {
class StatCache;
}

namespace luisy::engine {

// The result record of an instance whose outputs are on disk and match `record`: every
// file with its digest, size and mode (directory outputs listed file by file). nullopt and
// *error when an output is missing or no longer matches its recorded digest. `preimage`,
// when given, is the record's own (a build passes the one it just serialised: read back
// from the log, it would bring the log file's pages into memory).
std::optional<cache::ResultRecord> make_result_record(const graph::TaskInstance& instance,
                                                      const state::TaskRecord& record,
                                                      const std::string& workspace_dir,
                                                      hash::StatCache& stats, std::string* error,
                                                      std::string preimage = {});

// The log record for an instance resolved from a cache record.
state::TaskRecord task_record_from(const graph::TaskInstance& instance,
                                   const cache::ResultRecord& result, bool materialized);

}  // namespace luisy::engine
