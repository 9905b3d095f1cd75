#include "luisy/engine/build.h"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <unordered_map>

#include "luisy/engine/evaluate.h"
#include "luisy/exec/job_slots.h"
#include "luisy/exec/subprocess_set.h"
#include "luisy/hash/file_digest.h"
#include "luisy/state/build_log.h"
#include "luisy/state/stat_store.h"
#include "luisy/state/workspace_lock.h"
#include "luisy/status/status.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::engine {

namespace {

enum class NodeState { kWaiting, kUpToDate, kQueued, kRunning, kDone, kFailed, kSkipped };

class Builder {
 public:
  Builder(Plan& plan, const BuildOptions& options, status::Status& status, state::BuildLog& log,
          hash::StatCache& stats)
      : plan_(plan),
        graph_(plan.graph),
        options_(options),
        status_(status),
        log_(log),
        stats_(stats),
        evaluator_(plan.graph, plan.workspace.directory, stats, log),
        slots_(options.jobs),
        nodes_(plan.graph.instances.size()) {}

  int run();

 private:
  struct Node {
    NodeState state = NodeState::kWaiting;
    size_t pending_deps = 0;
    Evaluation evaluation;
  };

  void evaluate(graph::InstanceId id);
  void start(graph::InstanceId id);
  void finished(graph::InstanceId id, exec::ProcessResult& result);
  void fail(graph::InstanceId id, const std::string& output, int exit_code, double seconds);
  void release_dependents(graph::InstanceId id);
  void skip_dependents(graph::InstanceId id);
  void remove_outputs(graph::InstanceId id);
  void update_total() { status_.set_total(nodes_.size() - summary_.up_to_date - summary_.skipped); }
  std::string path_of(const std::string& output) const {
    return util::join_path(plan_.workspace.directory, output);
  }

  Plan& plan_;
  const graph::Graph& graph_;
  BuildOptions options_;
  status::Status& status_;
  state::BuildLog& log_;
  hash::StatCache& stats_;
  Evaluator evaluator_;
  exec::SubprocessSet processes_;
  exec::JobSlots slots_;
  std::vector<Node> nodes_;
  std::deque<graph::InstanceId> to_evaluate_;
  std::deque<graph::InstanceId> to_run_;
  std::unordered_map<int, graph::InstanceId> running_;  // process id -> instance
  status::BuildSummary summary_;
  bool stopping_ = false;
  int interrupted_ = 0;
};

int Builder::run() {
  for (graph::InstanceId id = 0; id < nodes_.size(); ++id) {
    nodes_[id].pending_deps = graph_.instances[id].deps.size();
    if (nodes_[id].pending_deps == 0) to_evaluate_.push_back(id);
  }
  status_.build_started(nodes_.size());
  const auto started = std::chrono::steady_clock::now();

  while (true) {
    while (!stopping_ && !to_evaluate_.empty()) {
      graph::InstanceId id = to_evaluate_.front();
      to_evaluate_.pop_front();
      evaluate(id);
    }
    while (!stopping_ && !to_run_.empty() && slots_.try_acquire()) {
      graph::InstanceId id = to_run_.front();
      to_run_.pop_front();
      start(id);
    }
    if (running_.empty()) break;

    exec::WaitResult wait = processes_.wait();
    if (wait.interrupted && wait.interrupted != interrupted_) {
      // The children run in their own process groups, so a Ctrl-C on the terminal reaches
      // only luisy: pass it on. A second one kills.
      processes_.signal_all(interrupted_ ? SIGKILL : wait.interrupted);
      if (!interrupted_) interrupted_ = wait.interrupted;
      stopping_ = true;
    }
    for (auto& result : wait.finished) {
      auto it = running_.find(result.id);
      if (it == running_.end()) continue;
      graph::InstanceId id = it->second;
      running_.erase(it);
      slots_.release();
      finished(id, result);
    }
  }

  summary_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  summary_.interrupted = interrupted_ != 0;
  status_.build_finished(summary_);
  if (interrupted_) return 128 + interrupted_;
  if (summary_.failed) return kExitTaskFailed;
  return kExitOk;
}

void Builder::evaluate(graph::InstanceId id) {
  Node& node = nodes_[id];
  const graph::TaskInstance& instance = graph_.instances[id];
  std::optional<Evaluation> evaluation;
  try {
    evaluation = evaluator_.evaluate(id);
  } catch (const Error& e) {
    fail(id, fmt::format("luisy: {}\n", e.what()), 0, 0);
    return;
  }
  if (!evaluation) {
    // Cannot happen once every upstream has finished; treat as a bug report, not a crash.
    fail(id, "luisy: internal error: an upstream output digest is unknown\n", 0, 0);
    return;
  }
  node.evaluation = std::move(*evaluation);
  if (node.evaluation.up_to_date) {
    node.state = NodeState::kUpToDate;
    ++summary_.up_to_date;
    evaluator_.set_outputs_from_record(id, *log_.find(instance.label));
    update_total();
    release_dependents(id);
    return;
  }
  node.state = NodeState::kQueued;
  to_run_.push_back(id);
}

void Builder::start(graph::InstanceId id) {
  const graph::TaskInstance& instance = graph_.instances[id];
  try {
    // Stale outputs go first, so nothing of an earlier run can pass for this run's result.
    remove_outputs(id);
    for (const auto& output : instance.outputs) util::make_parent_dirs(path_of(output));
    int process = processes_.start(instance.command, plan_.workspace.directory);
    running_[process] = id;
  } catch (const Error& e) {
    slots_.release();
    fail(id, fmt::format("luisy: {}\n", e.what()), 0, 0);
    return;
  }
  nodes_[id].state = NodeState::kRunning;
  status_.task_started({instance.label, instance.command});
}

void Builder::finished(graph::InstanceId id, exec::ProcessResult& result) {
  const graph::TaskInstance& instance = graph_.instances[id];
  if (!result.success()) {
    fail(id, result.output, result.exit_code, result.seconds);
    return;
  }
  if (interrupted_) {
    // It may have finished only because of the signal: keep nothing that is not sure.
    fail(id, result.output, result.exit_code, result.seconds);
    return;
  }
  std::vector<std::optional<util::Digest>> digests;
  try {
    digests = evaluator_.digest_outputs(id);
  } catch (const Error& e) {
    fail(id, result.output + fmt::format("luisy: {}\n", e.what()), 1, result.seconds);
    return;
  }
  std::string missing;
  for (size_t i = 0; i < digests.size(); ++i)
    if (!digests[i])
      missing += fmt::format("luisy: {} did not create its declared output '{}'\n", instance.label,
                             instance.outputs[i]);
  if (!missing.empty()) {
    fail(id, result.output + missing, 1, result.seconds);
    return;
  }

  state::TaskRecord record;
  record.label = instance.label;
  record.key = nodes_[id].evaluation.key;
  for (size_t i = 0; i < digests.size(); ++i) {
    state::OutputRecord out{instance.outputs[i], *digests[i], 0, 0};
    if (auto st = util::stat_path(path_of(instance.outputs[i]))) {
      out.size = st->is_directory ? 0 : st->size;
      out.mode = st->mode & 07777;
    }
    record.outputs.push_back(std::move(out));
  }
  record.preimage = hash::serialize_preimage(nodes_[id].evaluation.preimage);
  record.seconds = result.seconds;
  record.finished_at = static_cast<int64_t>(std::time(nullptr));
  log_.record(std::move(record));

  nodes_[id].state = NodeState::kDone;
  ++summary_.ran;
  evaluator_.set_outputs(id, std::move(digests));
  status_.task_finished({instance.label, instance.command}, true, 0, result.output, result.seconds);
  release_dependents(id);
}

void Builder::fail(graph::InstanceId id, const std::string& output, int exit_code, double seconds) {
  const graph::TaskInstance& instance = graph_.instances[id];
  nodes_[id].state = NodeState::kFailed;
  ++summary_.failed;
  try {
    remove_outputs(id);
  } catch (const Error& e) {
    status_.warning(e.what());
  }
  status_.task_finished({instance.label, instance.command}, false, exit_code, output, seconds);
  if (!options_.keep_going) stopping_ = true;
  skip_dependents(id);
  update_total();
}

void Builder::release_dependents(graph::InstanceId id) {
  for (graph::InstanceId dependent : graph_.dependents[id])
    if (--nodes_[dependent].pending_deps == 0 && nodes_[dependent].state == NodeState::kWaiting)
      to_evaluate_.push_back(dependent);
}

void Builder::skip_dependents(graph::InstanceId id) {
  for (graph::InstanceId dependent : graph_.dependents[id]) {
    if (nodes_[dependent].state != NodeState::kWaiting) continue;
    nodes_[dependent].state = NodeState::kSkipped;
    ++summary_.skipped;
    skip_dependents(dependent);
  }
}

void Builder::remove_outputs(graph::InstanceId id) {
  for (const auto& output : graph_.instances[id].outputs) {
    util::remove_all(path_of(output));
    stats_.forget(output);
  }
}

}  // namespace

int run_build(Plan& plan, const BuildOptions& options, status::Status& status) {
  plan.graph.compute_dependents();
  if (options.dry_run) {
    for (const auto& report : inspect(plan)) {
      if (report.up_to_date) continue;
      status.info(fmt::format("would run {}: {}", plan.graph.instances[report.id].label, report.reason));
    }
    return kExitOk;
  }
  const Workspace& workspace = plan.workspace;
  util::make_dirs(workspace.state_dir);
  state::WorkspaceLock lock(workspace.state_dir, true, [](long pid) {
    fmt::print(stderr, "luisy: waiting for another luisy (pid {}) building in this workspace...\n", pid);
    std::fflush(stderr);
  });
  state::BuildLog log = state::BuildLog::open(workspace.state_dir);
  hash::StatCache stats;
  state::load_stat_cache(workspace.state_dir, stats);

  int exit_code;
  {
    Builder builder(plan, options, status, log, stats);
    exit_code = builder.run();
  }
  log.flush();
  state::save_stat_cache(workspace.state_dir, stats);
  return exit_code;
}

std::vector<InstanceReport> inspect(Plan& plan) {
  const Workspace& workspace = plan.workspace;
  state::BuildLog log = state::BuildLog::open(workspace.state_dir);
  hash::StatCache stats;
  state::load_stat_cache(workspace.state_dir, stats);
  const graph::Graph& graph = plan.graph;
  Evaluator evaluator(graph, workspace.directory, stats, log);

  std::vector<InstanceReport> reports(graph.instances.size());
  std::vector<bool> would_run(graph.instances.size(), false);
  for (graph::InstanceId id = 0; id < graph.instances.size(); ++id) {
    InstanceReport& report = reports[id];
    report.id = id;
    const graph::TaskInstance& instance = graph.instances[id];
    for (graph::InstanceId dep : instance.deps) {
      if (!would_run[dep]) continue;
      report.reason = fmt::format("{} will run first", graph.instances[dep].label);
      break;
    }
    std::optional<Evaluation> evaluation;
    if (report.reason.empty()) evaluation = evaluator.evaluate(id);
    if (evaluation && evaluation->up_to_date) {
      report.up_to_date = true;
      evaluator.set_outputs_from_record(id, *log.find(instance.label));
      continue;
    }
    if (evaluation) report.reason = evaluation->reason;
    would_run[id] = true;
  }
  return reports;
}

}  // namespace luisy::engine
