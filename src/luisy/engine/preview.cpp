#include "luisy/engine/preview.h"

#include <fmt/format.h>

#include <algorithm>

#include "luisy/cache/result_cache.h"
#include "luisy/engine/evaluate.h"
#include "luisy/engine/results.h"
#include "luisy/hash/file_digest.h"
#include "luisy/state/build_log.h"
#include "luisy/state/stat_store.h"
#include "luisy/status/status.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::engine {

namespace {

}  // namespace

std::vector<Deletion> costly_deletions(Plan& plan, const BuildOptions& options, double threshold) {
  {
    state::BuildLog log = state::BuildLog::open(plan.workspace.state_dir);
    bool any = false;
    for (const state::TaskRecord* record : log.records()) any = any || record->seconds > threshold;
    if (!any) return {};
  }
  std::vector<Deletion> costly;
  for (auto& d : preview_build(plan, options, false).deletions)
    if (d.seconds > threshold) costly.push_back(std::move(d));
  return costly;
}

Preview preview_build(Plan& plan, const BuildOptions& options, bool ask_remote) {
  const Workspace& workspace = plan.workspace;
  state::BuildLog log = state::BuildLog::open(workspace.state_dir);
  hash::StatCache stats;
  state::load_stat_cache(workspace.state_dir, stats);
  const graph::Graph& graph = plan.graph;
  Evaluator evaluator(plan, stats, log);
  cache::ResultCache* cache = options.cache;
  bool remote = ask_remote && cache && cache->has_remote();

  Preview preview;
  std::vector<bool> would_run(graph.instances.size(), false);
  // Up-to-date results that --upload would send if the remote lacks them: asked all at once.
  std::vector<graph::InstanceId> upload_candidates;
  std::vector<util::Digest> upload_keys;
  for (graph::InstanceId id = 0; id < graph.instances.size(); ++id) {
    const graph::TaskInstance& instance = graph.instances[id];
    std::string reason;
    for (graph::InstanceId dep : instance.deps) {
      if (!would_run[dep]) continue;
      reason = fmt::format("{} will run first", graph.instances[dep].label);
      break;
    }
    std::optional<Evaluation> evaluation;
    if (reason.empty()) {
      try {
        evaluation = evaluator.evaluate(id);
      } catch (const Error& e) {
        reason = e.what();
      }
    }
    // The evaluation looked the record up already: a second hash lookup per instance is a
    // measurable part of a dry run over thousands of instances.
    const state::TaskRecord* record =
        evaluation && evaluation->record ? evaluation->record : log.find(instance.label);
    if (evaluation && evaluation->up_to_date) {
      if (!evaluation->frozen) evaluator.set_outputs_from_record(id, *record);
      if (remote && options.upload && instance.cache && record && record->materialized) {
        upload_candidates.push_back(id);
        upload_keys.push_back(record->key);
      }
      continue;
    }
    if (evaluation) reason = evaluation->reason;
    bool may_use_cache = cache && instance.cache && !instance.always && !options.accept;
    if (evaluation && may_use_cache) {
      // In the local store means record and every blob: a record alone (looked up from the
      // remote earlier) needs its files downloaded.
      std::optional<cache::ResultRecord> hit = cache->local().get_record(evaluation->key);
      bool local = hit && std::all_of(hit->files.begin(), hit->files.end(), [&](const auto& file) {
                     return cache->local().has_content(file);
                   });
      if (!local) hit.reset();
      if (!local && remote && options.download) hit = cache->lookup(evaluation->key, true);
      if (hit) {
        (local ? preview.restore : preview.download).push_back(id);
        evaluator.set_outputs_from_record(id, task_record_from(instance, *hit, true));
        continue;
      }
    }
    if (instance.frozen && evaluation) reason += " (an error: frozen tasks never run)";
    would_run[id] = true;
    preview.run.emplace_back(id, reason);
    if (options.accept || instance.frozen) continue;
    if (options.upload && instance.cache) ++preview.upload_after_run;
    for (const auto& output : instance.outputs)
      if (util::exists(util::join_path(workspace.directory, output)))
        preview.deletions.push_back({output, instance.label, record ? record->seconds : 0});
  }
  if (!upload_keys.empty()) {
    std::vector<std::optional<bool>> has = cache->remote_has(upload_keys);
    for (size_t i = 0; i < has.size(); ++i)
      if (has[i] == false) preview.upload.push_back(upload_candidates[i]);
  }
  return preview;
}

int print_dry_run(Plan& plan, const BuildOptions& options, status::Status&) {
  Preview preview = preview_build(plan, options, true);
  const auto& instances = plan.graph.instances;
  // Plain lines on stdout, as `status` prints them: a dry run shows no status line.
  struct Printer {
    void info(const std::string& line) { fmt::print("{}\n", line); }
  } status;
  auto group = [&](std::string_view title, size_t count) {
    status.info(fmt::format("{} ({}):", title, count));
  };
  if (preview.run.empty() && preview.restore.empty() && preview.download.empty() &&
      preview.upload.empty() && preview.upload_after_run == 0) {
    status.info("luisy: nothing to do");
    return kExitOk;
  }
  if (!preview.run.empty()) {
    group(options.accept ? "will accept" : "will run", preview.run.size());
    for (const auto& [id, reason] : preview.run)
      status.info(fmt::format("  {}: {}", instances[id].label, reason));
  }
  if (!preview.restore.empty()) {
    group("will restore from the local cache", preview.restore.size());
    for (auto id : preview.restore) status.info(fmt::format("  {}", instances[id].label));
  }
  if (!preview.download.empty()) {
    group("will download", preview.download.size());
    for (auto id : preview.download) status.info(fmt::format("  {}", instances[id].label));
  }
  if (!preview.upload.empty() || preview.upload_after_run) {
    group("will upload", preview.upload.size() + preview.upload_after_run);
    for (auto id : preview.upload) status.info(fmt::format("  {}", instances[id].label));
    if (preview.upload_after_run)
      status.info(fmt::format("  the results of the {} that will run", preview.upload_after_run));
  }
  if (!preview.deletions.empty()) {
    group("will delete", preview.deletions.size());
    for (const auto& d : preview.deletions)
      status.info(fmt::format("  {} (output of {})", d.path, d.label));
  }
  return kExitOk;
}

}  // namespace luisy::engine
