#pragma once
// Observes a build's events with their times and writes them down afterwards: a Chrome
// trace-event file (--trace FILE, for Perfetto or chrome://tracing) and the record of the
// last build (.luisy/last-build.json: the outcome, timings and exit code of each instance that
// did not end up to date, and totals).
//
// Trace lanes: process 1 "luisy build" has thread 0 "luisy" (restores from the cache and the
// whole build) and one thread per job slot ("job 1", "job 2", ...: a task takes the lowest
// free slot when it starts, so the lanes show the parallelism); process 2 "transfers" has one
// lane per transfer in flight.
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "luisy/status/status.h"

namespace luisy::status {

class BuildRecorder final : public Status {
 public:
  // `instances`: every label of the graph, in order, so that those the build never reached
  // are recorded too ("not-started"); views, not copies (10,000 labels on every no-op): they
  // must outlive the recorder, as the plan's graph does. `clock` returns monotonic seconds
  // (tests pass a fake); empty means steady_clock. `trace`: keep what trace_json() needs (a
  // slice per task that ran, with its command: some 600 bytes a task, 60 MB at 100,000
  // tasks), only worth it when --trace asks for the file.
  explicit BuildRecorder(std::vector<std::string_view> instances = {},
                         std::function<double()> clock = {}, bool trace = true);
  ~BuildRecorder() override;

  void build_started(size_t total) override;
  void set_total(size_t) override {}
  void task_started(const TaskEvent& task) override;
  void task_finished(const TaskEvent& task, bool success, int exit_code, const std::string& output,
                     double seconds) override;
  void task_cached(const TaskEvent& task, const std::string& where) override;
  void task_up_to_date(const TaskEvent& task) override;
  void task_skipped(const TaskEvent& task) override;
  void transfer_finished(const TransferEvent& transfer) override;
  void info(const std::string&) override {}
  void warning(const std::string& message) override;
  void build_finished(const BuildSummary& summary) override;

  // The Chrome trace-event JSON ("traceEvents", times in microseconds from the start);
  // without `trace`, only the build's own slice.
  std::string trace_json() const;
  // The last-build record; `exit_code` is luisy's exit status for this build.
  std::string last_build_json(int exit_code) const;

 private:
  struct Instance {
    std::string_view label;  // the caller's, or in extra_labels_
    // ran, up-to-date, cached-local, cached-remote, failed, skipped, not-started (or running)
    std::string_view result = "not-started";
    double start = -1, seconds = 0;  // from the start of the build; -1: never started
    int exit_code = 0;
    bool has_exit_code = false;
  };
  struct Slice {
    std::string name, category;
    int pid = 1, tid = 0;
    double start = 0, seconds = 0;
    std::vector<std::pair<std::string, std::string>> args;  // strings
    std::vector<std::pair<std::string, int64_t>> numbers;   // integer args
    bool instant = false;
  };

  double now() const;
  Instance& instance(const std::string& label);

  std::function<double()> clock_;
  double origin_ = 0;
  int64_t started_at_ = 0;  // wall clock, seconds since the epoch
  std::vector<Instance> instances_;
  std::unordered_map<std::string_view, size_t> index_;
  std::deque<std::string> extra_labels_;  // events for labels not given at construction
  size_t next_ = 0;                       // the instance after the one found last
  bool indexed_ = false;                  // index_ holds every instance
  bool trace_ = true;
  std::vector<Slice> slices_;
  std::vector<bool> job_lanes_;                           // busy flags, lane i is thread i + 1
  std::unordered_map<std::string, size_t> running_lane_;  // label -> lane
  std::vector<double> transfer_lanes_;                    // when each lane is free again
  BuildSummary summary_;
  bool finished_ = false;
  double finished_at_ = 0;
  size_t warnings_ = 0;
};

// The labels whose last build failed, from <state_dir>/last-build.json; empty when there is
// no such file or it cannot be read (it is advice, never a reason to stop).
std::vector<std::string> failed_in_last_build(const std::string& state_dir);

}  // namespace luisy::status
