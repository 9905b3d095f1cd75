#include "luisy/engine/build.h"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <algorithm>
#include <deque>
#include <functional>
#include <queue>
#include <unordered_map>

#include "luisy/cache/file_copy.h"
#include "luisy/cache/result_cache.h"
#include "luisy/engine/build_record.h"
#include "luisy/engine/evaluate.h"
#include "luisy/engine/preview.h"
#include "luisy/engine/results.h"
#include "luisy/exec/job_slots.h"
#include "luisy/exec/subprocess_set.h"
#include "luisy/hash/file_digest.h"
#include "luisy/state/build_log.h"
#include "luisy/state/stat_store.h"
#include "luisy/state/workspace_lock.h"
#include "luisy/status/build_recorder.h"
#include "luisy/status/fanout_status.h"
#include "luisy/status/status.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"
#include "luisy/util/strings.h"

namespace luisy::engine {

namespace {

enum class NodeState { kWaiting, kUpToDate, kCached, kQueued, kRunning, kDone, kFailed, kSkipped };

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
        evaluator_(plan, stats, log),
        slots_(options.jobs, options.jobserver),
        nodes_(plan.graph.instances.size()) {}
  ~Builder() {
    if (!options_.cache) return;
    // The writer reads outputs: done while the workspace is still locked.
    options_.cache->writer().finish();
    options_.cache->set_transfer_callback({});
  }

  int run();

 private:
  // A few bytes per instance: a no-op walks all of them (release_dependents touches every
  // dependent), and a large node would make each of those touches a cache miss.
  struct Node {
    NodeState state = NodeState::kWaiting;
    bool released = false;  // its dependents were told it finished
    bool is_target = false;
    bool looked_ahead = false;  // seen by look_up_ahead() (--download only)
    uint32_t pending_deps = 0;
    uint32_t waiting_for_reruns = 0;  // deps rerun because their results could not be fetched
  };

  void evaluate(graph::InstanceId id);
  void look_up_ahead();
  void start(graph::InstanceId id);
  void finished(graph::InstanceId id, exec::ProcessResult& result);
  void fail(graph::InstanceId id, const std::string& output, int exit_code, double seconds);
  void release_dependents(graph::InstanceId id);
  void skip_dependents(graph::InstanceId id);
  void remove_outputs(graph::InstanceId id);
  bool use_cached_result(graph::InstanceId id);
  bool may_use_cache(graph::InstanceId id) const;
  void accept(graph::InstanceId id);
  void refuse_frozen(graph::InstanceId id);
  bool materialize(graph::InstanceId id);
  bool fetch_missing_inputs(graph::InstanceId id);
  // `preimage`: the record's, as serialised (see make_result_record).
  void store_result(graph::InstanceId id, std::string preimage);
  // Waits for the local store's writer (when `wait`) and reports the results it could not
  // store.
  void report_store_failures(bool wait);
  int upload_results();
  void update_total() { status_.set_total(nodes_.size() - summary_.up_to_date - summary_.skipped); }
  void warn_once(const std::string& message);
  // Transfers are reported by digest: remember which instance and file each one belongs to.
  void name_transfers(const std::string& label, const cache::ResultRecord& record);
  void report_transfer(const cache::TransferReport& report);
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
  exec::JobSlots slots_;  // destroyed after processes_: tokens go back once children are gone
  exec::SubprocessSet processes_;
  std::vector<Node> nodes_;
  // The evaluation of each instance that may still run (an up-to-date one needs none).
  std::unordered_map<graph::InstanceId, Evaluation> evaluations_;
  // Evaluations made by look_up_ahead(), until evaluate() takes them.
  std::unordered_map<graph::InstanceId, Evaluation> ahead_;
  // Instances waiting for an instance that runs again because its results could not be
  // fetched (rare: only with a remote).
  std::unordered_map<graph::InstanceId, std::vector<graph::InstanceId>> rerun_waiters_;
  // Lowest id first: instances are in topological order, so a no-op build evaluates them
  // exactly in order, walking the graph, the log and the recorder sequentially.
  std::priority_queue<graph::InstanceId, std::vector<graph::InstanceId>, std::greater<>> to_evaluate_;
  std::deque<graph::InstanceId> to_run_;
  std::unordered_map<int, graph::InstanceId> running_;  // process id -> instance
  status::BuildSummary summary_;
  bool stopping_ = false;
  int interrupted_ = 0;
  int signals_handled_ = 0;
  bool warned_store_ = false;
  std::vector<std::string> refused_;  // --accept: instances whose outputs are missing
  // Digest (hex) of a blob or key -> the label and output path it belongs to.
  std::unordered_map<std::string, std::pair<std::string, std::string>> transfer_names_;
};

int Builder::run() {
  for (graph::InstanceId id : graph_.targets) nodes_[id].is_target = true;
  for (graph::InstanceId id = 0; id < nodes_.size(); ++id) {
    nodes_[id].pending_deps = static_cast<uint32_t>(graph_.instances[id].deps.size());
    if (nodes_[id].pending_deps == 0) to_evaluate_.push(id);
  }
  status_.build_started(nodes_.size());
  if (options_.cache)
    options_.cache->set_transfer_callback(
        [this](const cache::TransferReport& report) { report_transfer(report); });
  const auto started = std::chrono::steady_clock::now();

  while (true) {
    while (!stopping_ && !to_evaluate_.empty()) {
      if (options_.download && !nodes_[to_evaluate_.top()].looked_ahead) look_up_ahead();
      graph::InstanceId id = to_evaluate_.top();
      to_evaluate_.pop();
      evaluate(id);
    }
    while (!stopping_ && !to_run_.empty() && slots_.try_acquire()) {
      graph::InstanceId id = to_run_.front();
      to_run_.pop_front();
      start(id);
    }
    if (running_.empty()) break;

    // A task waiting only for a jobserver token: wake up as soon as one is there.
    exec::WaitResult wait = processes_.wait(stopping_ || to_run_.empty() ? -1 : slots_.wait_fd());
    if (wait.signal_count > signals_handled_) {
      // The children run in their own process groups, so a Ctrl-C on the terminal reaches
      // only luisy: pass it on. A second one kills.
      processes_.signal_all(interrupted_ ? SIGKILL : wait.interrupted);
      if (!interrupted_) interrupted_ = wait.interrupted;
      signals_handled_ = wait.signal_count;
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

  report_store_failures(true);  // every result is in the store before any upload
  if (options_.cache) options_.cache->flush();  // and what came from the remote
  int upload_status = kExitOk;
  if (options_.upload && !interrupted_) upload_status = upload_results();
  summary_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  summary_.interrupted = interrupted_ != 0;
  if (options_.cache) {
    cache::CacheStats totals = options_.cache->stats();
    summary_.bytes_down = totals.bytes_down;
    summary_.bytes_up = totals.bytes_up;
  }
  status_.build_finished(summary_);
  if (options_.cache && options_.cache->has_remote()) {
    cache::CacheStats stats = options_.cache->stats();
    std::string line = "remote:";
    if (options_.download)
      line += fmt::format(" {} hits, {} misses, {} errors, {} down;", stats.hits_remote, stats.misses,
                          stats.errors, util::format_bytes(stats.bytes_down));
    if (options_.upload)
      line += fmt::format(" {} results uploaded, {} up;", stats.uploaded_records, util::format_bytes(stats.bytes_up));
    line.pop_back();
    status_.info(line);
  }
  if (interrupted_) return 128 + interrupted_;
  if (!refused_.empty()) {
    std::string message = fmt::format("luisy: error: cannot accept {} instance{}: outputs missing",
                                      refused_.size(), refused_.size() == 1 ? "" : "s");
    for (const auto& line : refused_) message += "\n  " + line;
    fmt::print(stderr, "{}\n", message);
    return kExitUsage;
  }
  if (summary_.failed || (options_.no_run && options_.download && summary_.skipped)) return kExitTaskFailed;
  return upload_status;
}

void Builder::evaluate(graph::InstanceId id) {
  Node& node = nodes_[id];
  const graph::TaskInstance& instance = graph_.instances[id];
  std::optional<Evaluation> evaluation;
  if (auto ahead = ahead_.find(id); ahead != ahead_.end()) {
    evaluation = std::move(ahead->second);
    ahead_.erase(ahead);
  }
  try {
    if (!evaluation) evaluation = evaluator_.evaluate(id);
  } catch (const Error& e) {
    fail(id, fmt::format("luisy: {}\n", e.what()), 0, 0);
    return;
  }
  if (!evaluation) {
    // Cannot happen once every upstream has finished; treat as a bug report, not a crash.
    fail(id, "luisy: internal error: an upstream output digest is unknown\n", 0, 0);
    return;
  }
  Evaluation& fresh = *evaluation;
  // A target resolved earlier from a remote record without its files: fetch them now.
  if (fresh.up_to_date && !fresh.frozen && node.is_target && !fresh.record->materialized && !materialize(id))
    fresh.up_to_date = false;
  if (fresh.up_to_date) {
    node.state = NodeState::kUpToDate;
    ++summary_.up_to_date;
    // (materialize() recorded the label again: in place, so the pointer still holds.)
    if (!fresh.frozen) evaluator_.set_outputs_from_record(id, *fresh.record);
    // Only a run needs the evaluation (its key and preimage, for the record). A result
    // resolved from a remote record and never fetched may still have to run, in
    // fetch_missing_inputs: it keeps its evaluation (as a frozen one does, rare enough).
    if (fresh.frozen || !fresh.record->materialized) evaluations_.insert_or_assign(id, std::move(fresh));
    // Without the command: no status shows it for an up-to-date instance, and copying it
    // is an allocation per instance of a no-op.
    status_.task_up_to_date({instance.label, {}});
    update_total();
    release_dependents(id);
    return;
  }
  const Evaluation& kept = evaluations_.insert_or_assign(id, std::move(fresh)).first->second;
  if (options_.accept) {
    accept(id);
    return;
  }
  if (use_cached_result(id)) return;
  if (instance.frozen && !options_.no_run) {
    refuse_frozen(id);
    return;
  }
  if (options_.no_run) {
    node.state = NodeState::kSkipped;
    ++summary_.skipped;
    status_.info(fmt::format("{} is not in the cache ({})", instance.label, kept.reason));
    status_.task_skipped({instance.label, instance.command});
    skip_dependents(id);
    update_total();
    return;
  }
  node.state = NodeState::kQueued;
  to_run_.push_back(id);
}

// With --download, the remote records of every instance ready to be evaluated are fetched
// together, --transfers requests at a time, instead of one request after the other as each
// comes up: a --download of a deep graph's last task looks up all of its ancestors. Their
// evaluations are kept for evaluate(). Each instance is looked at once.
void Builder::look_up_ahead() {
  if (!options_.cache || !options_.cache->remote_usable()) return;
  std::vector<graph::InstanceId> ready;
  while (!to_evaluate_.empty()) {
    ready.push_back(to_evaluate_.top());
    to_evaluate_.pop();
  }
  std::vector<util::Digest> keys;
  for (graph::InstanceId id : ready) {
    to_evaluate_.push(id);
    Node& node = nodes_[id];
    if (node.looked_ahead) continue;
    node.looked_ahead = true;
    if (node.state != NodeState::kWaiting || !may_use_cache(id)) continue;
    std::optional<Evaluation> evaluation;
    try {
      evaluation = evaluator_.evaluate(id);
    } catch (const Error&) {
      continue;  // evaluate() says it
    }
    if (!evaluation) continue;
    if (!evaluation->up_to_date) keys.push_back(evaluation->key);
    ahead_.insert_or_assign(id, std::move(*evaluation));
  }
  if (!keys.empty()) options_.cache->prefetch(keys);
}

void Builder::start(graph::InstanceId id) {
  const graph::TaskInstance& instance = graph_.instances[id];
  if (!fetch_missing_inputs(id)) {
    slots_.release();
    return;
  }
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
  std::vector<util::FileStat> on_disk;
  try {
    digests = evaluator_.digest_outputs(id, &on_disk);
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
  const Evaluation& evaluation = evaluations_.at(id);
  record.key = evaluation.key;
  record.outputs.reserve(digests.size());
  for (size_t i = 0; i < digests.size(); ++i) {
    const util::FileStat& st = on_disk[i];
    record.outputs.push_back({instance.outputs[i], *digests[i], st.is_directory ? 0 : st.size, st.mode & 07777});
  }
  // The log keeps a view of its copy in the file; the local store's record takes this one.
  std::string preimage = hash::serialize_preimage(evaluation.preimage);
  record.preimage = preimage;
  record.seconds = result.seconds;
  record.finished_at = static_cast<int64_t>(std::time(nullptr));
  try {
    log_.record(std::move(record));
  } catch (const Error& e) {
    // (A full disk.) Unrecorded, the result cannot count as done: a failure, not a crash.
    fail(id, result.output + fmt::format("luisy: {}\n", e.what()), 1, result.seconds);
    return;
  }

  nodes_[id].state = NodeState::kDone;
  ++summary_.ran;
  evaluations_.erase(id);  // recorded: a full build need not keep every preimage
  evaluator_.set_outputs(id, std::move(digests));
  status_.task_finished({instance.label, instance.command}, true, 0, result.output, result.seconds);
  store_result(id, std::move(preimage));
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
  // Dependents that waited for this instance to run again after its fetch failed.
  if (!rerun_waiters_.empty()) {
    if (auto it = rerun_waiters_.find(id); it != rerun_waiters_.end()) {
      for (graph::InstanceId waiter : it->second)
        if (--nodes_[waiter].waiting_for_reruns == 0 && nodes_[waiter].state == NodeState::kWaiting)
          to_evaluate_.push(waiter);
      rerun_waiters_.erase(it);
    }
  }
  if (nodes_[id].released) return;
  nodes_[id].released = true;
  for (graph::InstanceId dependent : graph_.dependents(id))
    if (--nodes_[dependent].pending_deps == 0 && nodes_[dependent].waiting_for_reruns == 0 &&
        nodes_[dependent].state == NodeState::kWaiting)
      to_evaluate_.push(dependent);
}

void Builder::skip_dependents(graph::InstanceId id) {
  for (graph::InstanceId dependent : graph_.dependents(id)) {
    if (nodes_[dependent].state != NodeState::kWaiting) continue;
    nodes_[dependent].state = NodeState::kSkipped;
    ++summary_.skipped;
    status_.task_skipped({graph_.instances[dependent].label, graph_.instances[dependent].command});
    skip_dependents(dependent);
  }
}

void Builder::remove_outputs(graph::InstanceId id) {
  for (const auto& output : graph_.instances[id].outputs) {
    util::remove_all(path_of(output));
    // What a restore killed before its rename left (in a directory output it went with it).
    if (!output.empty() && output.back() != '/') util::remove_all(cache::placement_temp_path(path_of(output)));
    stats_.forget(output);
  }
}

// `cache: false` keeps a task out of every cache; `always: true` means its key does not
// capture everything it reads, so a cached result would be stale (push and pull, which run
// nothing, still transfer it).
bool Builder::may_use_cache(graph::InstanceId id) const {
  const graph::TaskInstance& instance = graph_.instances[id];
  return options_.cache && instance.cache && (!instance.always || options_.no_run);
}

bool Builder::use_cached_result(graph::InstanceId id) {
  if (!may_use_cache(id)) return false;
  Node& node = nodes_[id];
  const graph::TaskInstance& instance = graph_.instances[id];
  // Whether the local store answered: one lookup of the record file, not a stat first.
  size_t local_hits = options_.cache->stats().hits_local;
  std::optional<cache::ResultRecord> hit = options_.cache->lookup(evaluations_.at(id).key, options_.download);
  if (!hit) return false;
  bool in_local_store = options_.cache->stats().hits_local > local_hits;
  auto restore_started = std::chrono::steady_clock::now();
  // Only what is needed is downloaded: an instance that is not a target is recorded with the
  // digests of its remote record; its files come when a task that runs locally needs them.
  bool remote_only = !in_local_store && !node.is_target;
  if (remote_only) {
    // What an earlier run left in the workspace is not this result: left there, it would
    // pass for it (a downstream task that runs fetches the real files first).
    try {
      remove_outputs(id);
    } catch (const Error&) {
      return false;  // run it: start() removes them again and says why it cannot
    }
    log_.record(task_record_from(instance, *hit, false));
  } else {
    std::string error;
    name_transfers(instance.label, *hit);
    try {
      remove_outputs(id);
      for (const auto& output : instance.outputs) util::make_parent_dirs(path_of(output));
    } catch (const Error& e) {
      error = e.what();
    }
    if (!error.empty() || !options_.cache->restore(*hit, plan_.workspace.directory, &error)) {
      // Without a remote, a record whose files were evicted or never fetched is a plain miss.
      if (options_.cache->has_remote())
        status_.warning(fmt::format("cannot restore {} from the cache, running it: {}", instance.label, error));
      return false;
    }
    log_.record(task_record_from(instance, *hit, true));
  }
  node.state = NodeState::kCached;
  ++summary_.cached;
  evaluator_.set_outputs_from_record(id, *log_.find(instance.label));
  double restore_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - restore_started).count();
  status::TaskEvent event{instance.label, instance.command, in_local_store ? "local" : "remote",
                          restore_seconds};
  status_.task_cached(event, remote_only ? "remote, not downloaded" : "cache");
  update_total();
  release_dependents(id);
  return true;
}

bool Builder::materialize(graph::InstanceId id) {
  const graph::TaskInstance& instance = graph_.instances[id];
  const state::TaskRecord* record = log_.find(instance.label);
  if (!record || record->materialized) return true;
  std::string error = "no cache holds it";
  if (options_.cache) {
    if (auto hit = options_.cache->lookup(record->key, options_.cache->has_remote())) {
      error.clear();
      name_transfers(instance.label, *hit);
      if (options_.cache->restore(*hit, plan_.workspace.directory, &error)) {
        for (const auto& output : instance.outputs) stats_.forget(output);
        log_.record(task_record_from(instance, *hit, true));
        return true;
      }
    }
  }
  if (options_.cache && options_.cache->has_remote())
    status_.warning(fmt::format("cannot fetch the outputs of {} ({}): running it", instance.label, error));
  return false;
}

bool Builder::fetch_missing_inputs(graph::InstanceId id) {
  Node& node = nodes_[id];
  for (graph::InstanceId dep : graph_.instances[id].deps) {
    Node& upstream = nodes_[dep];
    bool rerunning = upstream.state == NodeState::kQueued || upstream.state == NodeState::kRunning;
    if (!rerunning) {
      if (materialize(dep)) continue;
      // Run the upstream here instead; this instance is evaluated again once it finished.
      if (upstream.state == NodeState::kUpToDate) --summary_.up_to_date;
      if (upstream.state == NodeState::kCached) --summary_.cached;
      upstream.state = NodeState::kQueued;
      to_run_.push_front(dep);
      update_total();
    }
    rerun_waiters_[dep].push_back(id);
    ++node.waiting_for_reruns;
  }
  if (node.waiting_for_reruns == 0) return true;
  node.state = NodeState::kWaiting;
  return false;
}

void Builder::store_result(graph::InstanceId id, std::string preimage) {
  if (!options_.cache || !graph_.instances[id].cache) return;
  const graph::TaskInstance& instance = graph_.instances[id];
  std::string error;
  // The record is made here (the stat cache belongs to this thread); the files are copied
  // into the store by the cache's writer thread, off the build loop.
  auto result = make_result_record(instance, *log_.find(instance.label), plan_.workspace.directory,
                                   stats_, &error, std::move(preimage));
  if (result) {
    options_.cache->writer().add_result(instance.label, std::move(*result), plan_.workspace.directory);
    report_store_failures(false);
    return;
  }
  warn_once(fmt::format("cannot keep the result of {} in the local cache: {}", instance.label, error));
}

void Builder::report_store_failures(bool wait) {
  if (!options_.cache) return;
  cache::StoreWriter& writer = options_.cache->writer();
  if (wait) writer.finish();
  for (const auto& [label, error] : writer.take_result_failures())
    warn_once(fmt::format("cannot keep the result of {} in the local cache: {}", label, error));
}

int Builder::upload_results() {
  std::vector<cache::ResultRecord> results;
  std::vector<std::string> problems;
  for (graph::InstanceId id = 0; id < nodes_.size(); ++id) {
    NodeState state = nodes_[id].state;
    if (state != NodeState::kUpToDate && state != NodeState::kDone && state != NodeState::kCached) continue;
    const graph::TaskInstance& instance = graph_.instances[id];
    if (!instance.cache) continue;
    const state::TaskRecord* record = log_.find(instance.label);
    if (!record || !record->materialized) continue;  // it came from the remote
    std::string error;
    if (auto result = make_result_record(instance, *record, plan_.workspace.directory, stats_, &error)) {
      name_transfers(instance.label, *result);
      results.push_back(std::move(*result));
    } else if (!instance.frozen) {  // a frozen output edited by hand belongs to no key
      problems.push_back(fmt::format("{}: {}", instance.label, error));
    }
  }
  cache::CacheStats before = options_.cache->stats();
  auto upload_started = std::chrono::steady_clock::now();
  if (!results.empty()) status_.info(fmt::format("checking {} results against the remote...", results.size()));
  std::vector<cache::ResultCache::UploadFailure> failures = options_.cache->upload(results, plan_.workspace.directory);
  cache::CacheStats after = options_.cache->stats();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - upload_started).count();
  if (after.uploaded_records > before.uploaded_records) {
    uint64_t bytes = after.bytes_up - before.bytes_up;
    status_.info(fmt::format("uploaded {} results ({} files, {}) in {} ({}/s)",
                             after.uploaded_records - before.uploaded_records,
                             after.uploaded_blobs - before.uploaded_blobs, util::format_bytes(bytes),
                             util::format_duration(seconds),
                             util::format_bytes(static_cast<uint64_t>(bytes / std::max(seconds, 1e-3)))));
  }
  for (const auto& failure : failures) {
    std::string label = util::to_hex(failure.key);
    for (const auto& instance : graph_.instances)
      if (const auto* record = log_.find(instance.label); record && record->key == failure.key) label = instance.label;
    problems.push_back(fmt::format("{}: {}", label, failure.reason));
  }
  if (problems.empty()) return kExitOk;
  std::string message = fmt::format("{} results were not uploaded:", problems.size());
  for (const auto& problem : problems) message += "\n  " + problem;
  status_.warning(message);
  return kExitUploadFailed;
}

// Records the outputs on disk as the result of the current key, without running. An
// instance with a missing output is refused and its dependents are skipped.
void Builder::accept(graph::InstanceId id) {
  const graph::TaskInstance& instance = graph_.instances[id];
  Node& node = nodes_[id];
  std::vector<std::optional<util::Digest>> digests;
  std::vector<util::FileStat> on_disk;
  std::string missing;
  try {
    digests = evaluator_.digest_outputs(id, &on_disk);
  } catch (const Error& e) {
    missing = e.what();
  }
  for (size_t i = 0; i < digests.size(); ++i)
    if (!digests[i]) missing += (missing.empty() ? "" : ", ") + instance.outputs[i];
  if (!missing.empty()) {
    refused_.push_back(fmt::format("{}: {}", instance.label, missing));
    node.state = NodeState::kFailed;
    skip_dependents(id);
    update_total();
    return;
  }
  const Evaluation& evaluation = evaluations_.at(id);
  state::TaskRecord record;
  record.label = instance.label;
  record.key = evaluation.key;
  for (size_t i = 0; i < digests.size(); ++i) {
    const util::FileStat& st = on_disk[i];
    record.outputs.push_back({instance.outputs[i], *digests[i], st.is_directory ? 0 : st.size, st.mode & 07777});
  }
  std::string preimage = hash::serialize_preimage(evaluation.preimage);
  record.preimage = preimage;
  // The time of the run that made these outputs still says what rebuilding them costs.
  if (const auto* before = log_.find(instance.label)) record.seconds = before->seconds;
  record.finished_at = static_cast<int64_t>(std::time(nullptr));
  log_.record(std::move(record));
  node.state = NodeState::kDone;
  ++summary_.up_to_date;
  evaluator_.set_outputs(id, std::move(digests));
  status_.info(fmt::format("accepted {} ({})", instance.label, evaluation.reason));
  store_result(id, std::move(preimage));
  update_total();
  release_dependents(id);
}

// A frozen task never runs: outputs that are missing and in no cache are an error.
void Builder::refuse_frozen(graph::InstanceId id) {
  const graph::TaskInstance& instance = graph_.instances[id];
  fail(id,
       fmt::format("luisy: {} is {}; frozen tasks never run (restore the file, or remove "
                   "'frozen: true' to rebuild it)\n",
               instance.label, evaluations_.at(id).reason),
       1, 0);
}

void Builder::warn_once(const std::string& message) {
  if (warned_store_) return;
  warned_store_ = true;
  status_.warning(message);
}

void Builder::name_transfers(const std::string& label, const cache::ResultRecord& record) {
  transfer_names_[util::to_hex(record.key)] = {label, ""};
  for (const auto& file : record.files)
    transfer_names_.try_emplace(util::to_hex(file.digest), label, file.path);
}

void Builder::report_transfer(const cache::TransferReport& report) {
  status::TransferEvent event;
  event.upload = report.upload;
  if (auto it = transfer_names_.find(util::to_hex(report.digest)); it != transfer_names_.end()) {
    event.label = it->second.first;
    if (!report.record) event.path = it->second.second;
  }
  event.bytes = report.bytes;
  event.seconds = report.seconds;
  event.ok = report.ok;
  event.error = report.error;
  status_.transfer_finished(event);
}

}  // namespace

int run_build(Plan& plan, const BuildOptions& options, status::Status& status) {
  // A loaded plan has them already.
  if (!plan.graph.has_dependents()) plan.graph.compute_dependents();
  if (options.dry_run) return print_dry_run(plan, options, status);
  const Workspace& workspace = plan.workspace;
  auto lock = lock_workspace(workspace);
  std::optional<state::BuildLog> log = state::BuildLog::open(workspace.state_dir);
  auto stats = std::make_unique<hash::StatCache>();
  state::load_stat_cache(workspace.state_dir, *stats);

  std::vector<std::string_view> labels;  // views into the graph, which outlives the recorder
  labels.reserve(plan.graph.instances.size());
  for (const auto& instance : plan.graph.instances) labels.push_back(instance.label);
  status::BuildRecorder recorder(std::move(labels), {}, !options.trace_path.empty());
  status::FanoutStatus fanout({&status, &recorder});
  bool last_build = !options.no_run;  // push and pull keep the record of the last build
  int exit_code;
  try {
    Builder builder(plan, options, fanout, *log, *stats);
    exit_code = builder.run();
  } catch (const Error& e) {
    write_build_records(workspace, recorder, e.exit_code(), last_build, options.trace_path, status);
    throw;
  }
  // The log and the stat cache are saved and freed before the reports are written: at
  // 100,000 tasks they are some 40 MB that need not be in memory next to last-build.json.
  try {
    log->flush();
  } catch (const Error&) {
    write_build_records(workspace, recorder, exit_code, last_build, options.trace_path, status);
    throw;
  }
  log.reset();
  try {
    state::save_stat_cache(workspace.state_dir, *stats);
  } catch (const Error& e) {
    // Only a cache of digests: the next build rehashes what it lacks.
    status.warning(e.what());
  }
  stats.reset();
  write_build_records(workspace, recorder, exit_code, last_build, options.trace_path, status);
  return exit_code;
}

std::vector<InstanceReport> inspect(Plan& plan, const RemoteLookup& remote_lookup) {
  const Workspace& workspace = plan.workspace;
  state::BuildLog log = state::BuildLog::open(workspace.state_dir);
  hash::StatCache stats;
  state::load_stat_cache(workspace.state_dir, stats);
  const graph::Graph& graph = plan.graph;
  Evaluator evaluator(plan, stats, log);

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
    if (evaluation) report.key = evaluation->key;
    if (evaluation && evaluation->up_to_date) {
      report.up_to_date = true;
      if (!evaluation->frozen) evaluator.set_outputs_from_record(id, *evaluation->record);
      continue;
    }
    if (evaluation) report.reason = evaluation->reason;
    if (evaluation && remote_lookup) {
      if (auto hit = remote_lookup(evaluation->key)) {
        report.in_remote = true;
        evaluator.set_outputs_from_record(id, task_record_from(instance, *hit, false));
        continue;
      }
    }
    would_run[id] = true;
  }
  return reports;
}

}  // namespace luisy::engine
