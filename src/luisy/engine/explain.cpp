#include "luisy/engine/explain.h"

#include "luisy/engine/build.h"
#include "luisy/engine/evaluate.h"
#include "luisy/hash/file_digest.h"
#include "luisy/state/build_log.h"
#include "luisy/state/stat_store.h"

namespace luisy::engine {

bool selects(const graph::TaskInstance& instance, const std::string& selector) {
  return instance.task == selector || instance.label == selector;
}

std::vector<Explanation> explain(Plan& plan, const std::string& selector) {
  std::vector<InstanceReport> reports = inspect(plan);
  state::BuildLog log = state::BuildLog::open(plan.workspace.state_dir);
  hash::StatCache stats;
  state::load_stat_cache(plan.workspace.state_dir, stats);
  const graph::Graph& graph = plan.graph;
  Evaluator evaluator(plan, stats, log);
  // Upstream outputs count with their recorded digests: the key "as of the last runs".
  for (graph::InstanceId id = 0; id < graph.instances.size(); ++id)
    if (const auto* record = log.find(graph.instances[id].label)) evaluator.set_outputs_from_record(id, *record);

  std::vector<Explanation> explanations;
  for (graph::InstanceId id = 0; id < graph.instances.size(); ++id) {
    const graph::TaskInstance& instance = graph.instances[id];
    if (!selects(instance, selector)) continue;
    Explanation explanation;
    explanation.id = id;
    explanation.state = reports[id].up_to_date ? "up to date" : reports[id].reason;
    if (auto evaluation = evaluator.evaluate(id)) {
      explanation.evaluated = true;
      explanation.preimage = evaluation->preimage;
      explanation.key = evaluation->key;
    }
    if (const auto* record = log.find(instance.label)) {
      explanation.has_record = true;
      explanation.recorded_key = record->key;
      auto before = hash::parse_preimage(record->preimage_text());
      if (before && explanation.evaluated)
        explanation.changes = hash::describe_changes(*before, explanation.preimage);
    }
    explanations.push_back(std::move(explanation));
  }
  return explanations;
}

}  // namespace luisy::engine
