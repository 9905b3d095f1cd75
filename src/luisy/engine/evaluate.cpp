#include "luisy/engine/evaluate.h"

#include <cstdlib>
#include <fmt/format.h>

#include "luisy/hash/file_digest.h"
#include "luisy/state/build_log.h"
#include "luisy/util/error.h"
#include "luisy/util/location.h"

namespace luisy::engine {

namespace {
std::string_view without_slash(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}
}  // namespace

Evaluator::Evaluator(const Plan& plan, hash::StatCache& stats, const state::BuildLog& log)
    : plan_(plan), graph_(plan.graph), workspace_dir_(plan.workspace.directory), stats_(stats), log_(log) {
  const graph::Graph& graph = plan.graph;
  for (const auto& instance : graph.instances)
    for (const auto& name : instance.tools)
      if (const ResolvedTool* tool = find_tool(plan, name); !tool || tool->path.empty())
        throw Error(
            fmt::format("{}: task {} needs the tool '{}', which is not {}",
                        to_string(graph.where(instance)), instance.label, name,
                        name.find('/') == std::string::npos ? "on PATH" : "an executable file"));
  first_output_.reserve(graph.instances.size() + 1);
  uint32_t total = 0;
  for (const auto& instance : graph.instances) {
    first_output_.push_back(total);
    total += static_cast<uint32_t>(instance.outputs.size());
  }
  first_output_.push_back(total);
  digests_.resize(total);
  // Every file the walk may digest, stat'ed now and hashed on all cores where the stat cache
  // does not know it (first build, lost .luisy/stats, replaced data): then found current.
  // Outputs only once something was built (a first build would look for each in vain).
  std::vector<const std::string*> paths;
  paths.reserve(graph.source_files.size() + (log.empty() ? 0 : total));
  for (const auto& path : graph.source_files) paths.push_back(&path);
  if (!log.empty())
    for (const auto& instance : graph.instances)
      for (const auto& path : instance.outputs) paths.push_back(&path);
  stats_.prefetch(workspace_dir_, paths);
}

// An input another instance writes is always an output of one of the instance's deps: the
// graph adds that edge (graph/sources.cpp) when it is built. So the deps' outputs are all
// there is to search, and a path none of them writes is a source file.
std::optional<util::Digest> Evaluator::upstream_digest(graph::InstanceId id, std::string_view path,
                                                       bool* known_upstream) const {
  std::string_view wanted = without_slash(path);
  for (graph::InstanceId dep : graph_.instances[id].deps) {
    const auto& outputs = graph_.instances[dep].outputs;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (without_slash(outputs[i]) != wanted) continue;
      *known_upstream = true;
      return digests_[first_output_[dep] + i];
    }
  }
  *known_upstream = false;
  return std::nullopt;
}

util::Digest Evaluator::tool_digest(const std::string& name) {
  auto it = tool_digests_.find(name);
  if (it != tool_digests_.end()) return it->second;
  const ResolvedTool* tool = find_tool(plan_, name);
  std::optional<util::Digest> digest = tool ? stats_.digest("", tool->path) : std::nullopt;
  if (!digest) throw Error(fmt::format("cannot read the tool '{}' ({})", name, tool ? tool->path : "not found"));
  tool_digests_.emplace(name, *digest);
  return *digest;
}

// Frozen: never rerun, so the key only informs `explain`. Outputs that exist are the result;
// their digests (from disk, they may have been edited by hand) feed the dependents' keys.
void Evaluator::settle_frozen(graph::InstanceId id, Evaluation& evaluation) {
  std::vector<std::optional<util::Digest>> on_disk = digest_outputs(id);
  for (size_t i = 0; i < on_disk.size(); ++i) {
    if (!on_disk[i]) {
      evaluation.up_to_date = false;
      evaluation.reason = fmt::format("frozen, but its output {} is missing", graph_.instances[id].outputs[i]);
      return;
    }
  }
  evaluation.up_to_date = true;
  evaluation.frozen = true;
  evaluation.reason.clear();
  set_outputs(id, std::move(on_disk));
}

std::optional<Evaluation> Evaluator::evaluate(graph::InstanceId id) {
  const graph::TaskInstance& instance = graph_.instances[id];
  Evaluation evaluation;
  hash::KeyPreimage& preimage = evaluation.preimage;
  preimage.command = instance.command;
  for (const auto& param : instance.params) preimage.params.emplace_back(param.name, param.value);
  for (const auto& name : instance.env) {
    const char* value = std::getenv(name.c_str());
    preimage.env.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
  }
  preimage.outputs = instance.outputs;
  preimage.inputs.reserve(instance.inputs.size());
  for (const auto& path : instance.inputs) {
    bool from_upstream = false;
    std::optional<util::Digest> digest = upstream_digest(id, path, &from_upstream);
    if (from_upstream) {
      if (!digest) return std::nullopt;
    } else {
      digest = stats_.digest(workspace_dir_, path);
      if (!digest)
        throw Error(fmt::format("{}: missing input '{}' of task {}",
                                to_string(graph_.where(instance)), path, instance.label));
    }
    preimage.inputs.push_back({path, *digest});
  }
  for (const auto& name : instance.tools) preimage.tools.emplace_back(name, tool_digest(name));
  evaluation.key = hash::compute_key(preimage);
  if (instance.frozen) {
    settle_frozen(id, evaluation);
    return evaluation;
  }

  const state::TaskRecord* record = log_.find(instance.label);
  evaluation.record = record;
  std::vector<std::optional<util::Digest>> on_disk;
  // A result resolved from a remote record and never fetched counts as done; its files are
  // fetched when something that runs locally needs them.
  if (record && record->key == evaluation.key && !record->materialized) {
    evaluation.up_to_date = true;
    return evaluation;
  }
  if (record && record->key == evaluation.key) on_disk = digest_outputs(id);
  evaluation.reason = stale_reason(evaluation, record, on_disk);
  // `always`: something luisy cannot see (a database, the network) feeds it.
  if (instance.always && evaluation.reason.empty()) evaluation.reason = "always: true";
  evaluation.up_to_date = evaluation.reason.empty();
  return evaluation;
}

std::vector<std::optional<util::Digest>> Evaluator::digest_outputs(graph::InstanceId id,
                                                                   std::vector<util::FileStat>* stats) {
  const auto& outputs = graph_.instances[id].outputs;
  std::vector<std::optional<util::Digest>> digests;
  digests.reserve(outputs.size());
  if (stats) stats->assign(outputs.size(), util::FileStat{});
  for (size_t i = 0; i < outputs.size(); ++i)
    digests.push_back(stats_.digest(workspace_dir_, outputs[i], stats ? &(*stats)[i] : nullptr));
  return digests;
}

void Evaluator::set_outputs(graph::InstanceId id, std::vector<std::optional<util::Digest>> digests) {
  size_t first = first_output_[id], count = first_output_[id + 1] - first;
  for (size_t i = 0; i < count; ++i) digests_[first + i] = i < digests.size() ? digests[i] : std::nullopt;
}

void Evaluator::set_outputs_from_record(graph::InstanceId id, const state::TaskRecord& record) {
  const auto& outputs = graph_.instances[id].outputs;
  size_t first = first_output_[id];
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::optional<util::Digest> digest;
    // Recorded in the same order as declared, nearly always: try the same index first.
    if (i < record.outputs.size() && record.outputs[i].path == outputs[i]) {
      digest = record.outputs[i].digest;
    } else {
      for (const auto& out : record.outputs)
        if (out.path == outputs[i]) digest = out.digest;
    }
    digests_[first + i] = digest;
  }
}

std::string stale_reason(const Evaluation& evaluation, const state::TaskRecord* record,
                         const std::vector<std::optional<util::Digest>>& outputs_on_disk) {
  if (!record) return "no previous run";
  if (record->key != evaluation.key) {
    auto before = hash::parse_preimage(record->preimage_text());
    if (!before) return "its key changed";
    auto changes = hash::describe_changes(*before, evaluation.preimage);
    if (changes.empty()) return "its key changed";
    std::string first = changes.front().substr(0, changes.front().find('\n'));
    if (first.ends_with(':')) first.pop_back();  // "command changed:" introduces the diff
    return first;
  }
  const auto& outputs = evaluation.preimage.outputs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const util::Digest* recorded = nullptr;
    for (const auto& out : record->outputs)
      if (out.path == outputs[i]) recorded = &out.digest;
    if (i >= outputs_on_disk.size() || !outputs_on_disk[i]) return fmt::format("output {} is missing", outputs[i]);
    if (!recorded || *recorded != *outputs_on_disk[i]) return fmt::format("output {} was modified", outputs[i]);
  }
  return {};
}

}  // namespace luisy::engine
