#pragma once
// Decides whether a task instance is up to date: computes its key from the current inputs
// and compares it, and the outputs on disk, with what the build log recorded.
#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "luisy/engine/plan.h"
#include "luisy/graph/graph.h"
#include "luisy/hash/task_key.h"
#include "luisy/util/digest.h"
#include "luisy/util/fs.h"

namespace luisy::hash {
class StatCache;
}
namespace luisy::state {
class BuildLog;
struct TaskRecord;
}  // namespace luisy::state

namespace luisy::engine {

struct Evaluation {
  bool up_to_date = false;
  hash::KeyPreimage preimage;
  util::Digest key;
  std::string reason;  // why it must run, e.g. "input data/a.csv changed"; empty when up to date
  // A frozen instance counts as up to date while its outputs exist, whatever its key: its
  // outputs' digests were then taken from disk (set_outputs), not from its record.
  bool frozen = false;
  // The build log's record of the instance when evaluated (null: none). Valid while the log
  // keeps that label: recording it again updates the record in place.
  const state::TaskRecord* record = nullptr;
};

class Evaluator {
 public:
  // Throws Error (exit status 2) naming the task and the tool when a tool of an instance of
  // the plan is not on PATH.
  Evaluator(const Plan& plan, hash::StatCache& stats, const state::BuildLog& log);

  // The key of `id` from its sources (through the stat cache) and its deps' known output
  // digests. nullopt when an upstream output digest is unknown (the upstream must run first).
  // Throws Error naming the task and the path when a source input is missing.
  std::optional<Evaluation> evaluate(graph::InstanceId id);

  // After `id` ran or was found up to date: its outputs' digests feed its dependents' keys.
  void set_outputs(graph::InstanceId id, std::vector<std::optional<util::Digest>> digests);
  // Outputs from the log record of an instance found up to date.
  void set_outputs_from_record(graph::InstanceId id, const state::TaskRecord& record);

  // Digests of the declared outputs as on disk now (nullopt for a missing one); with
  // `stats`, also what stat said of each (for a missing one: all zero).
  std::vector<std::optional<util::Digest>> digest_outputs(graph::InstanceId id,
                                                          std::vector<util::FileStat>* stats = nullptr);

 private:
  std::optional<util::Digest> upstream_digest(graph::InstanceId id, std::string_view path,
                                              bool* known_upstream) const;
  util::Digest tool_digest(const std::string& name);
  void settle_frozen(graph::InstanceId id, Evaluation& evaluation);

  const Plan& plan_;

  const graph::Graph& graph_;
  std::string workspace_dir_;
  hash::StatCache& stats_;
  const state::BuildLog& log_;
  // What is known of every instance's outputs during a build, by output: the digests of
  // instance i's outputs are digests_[first_output_[i] ...]; nullopt: unknown (will run).
  // One flat array, not a vector per instance: 100,000 instances are 100,000 allocations less.
  std::vector<uint32_t> first_output_;
  std::vector<std::optional<util::Digest>> digests_;
  std::unordered_map<std::string, util::Digest> tool_digests_;  // digested once per evaluator
};

// The reason a record does not match an evaluation ("no previous run", "command changed",
// "output x missing", ...), or empty when it matches and every output is as recorded.
std::string stale_reason(const Evaluation& evaluation, const state::TaskRecord* record,
                         const std::vector<std::optional<util::Digest>>& outputs_on_disk);

}  // namespace luisy::engine
