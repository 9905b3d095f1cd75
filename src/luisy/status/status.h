#pragma once
// What the user sees while a build runs. One interface with a console implementation
// (status line on a terminal, plain lines elsewhere), a JSON event stream (--log-format
// json), and a recorder behind --trace and .luisy/last-build.json; a fan-out feeds several.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace luisy::status {

struct TaskEvent {
  TaskEvent() = default;
  TaskEvent(std::string label_, std::string command_, std::string source_ = {}, double seconds_ = 0)
      : label(std::move(label_)),
        command(std::move(command_)),
        source(std::move(source_)),
        seconds(seconds_) {}

  std::string label;    // "Clean(year=2024)"
  std::string command;  // after substitution
  // task_cached only: where the result came from ("local" or "remote") and how long
  // restoring it took.
  std::string source;
  double seconds = 0;
};

// One file or record that crossed the wire, reported when it is done.
struct TransferEvent {
  bool upload = false;
  std::string label;  // the task instance it belongs to ("" when unknown)
  std::string path;   // the output file; "" for a result record
  uint64_t bytes = 0;
  double seconds = 0;  // it ended now, and began `seconds` ago
  bool ok = true;
  std::string error;  // when !ok
};

struct BuildSummary {
  size_t ran = 0, failed = 0, up_to_date = 0, skipped = 0, cached = 0;
  double seconds = 0;
  bool interrupted = false;
  uint64_t bytes_down = 0, bytes_up = 0;  // through the remote cache
};

class Status {
 public:
  virtual ~Status() = default;
  // `total` tasks are expected to run ([finished/total] in the status line).
  virtual void build_started(size_t total) = 0;
  // The number of tasks expected to run changed (early cut-off, failures).
  virtual void set_total(size_t total) = 0;
  virtual void task_started(const TaskEvent& task) = 0;
  // The task's output is printed whole, never interleaved with another's.
  virtual void task_finished(const TaskEvent& task, bool success, int exit_code,
                             const std::string& output, double seconds) = 0;
  // Restored from a cache instead of running (where: "local cache", "remote").
  virtual void task_cached(const TaskEvent& task, const std::string& where) = 0;
  // Reported only to those that care (the recorder, the JSON log); no-ops by default.
  virtual void task_up_to_date(const TaskEvent& /*task*/) {}
  // Not run because something it depends on failed (or, for pull, is not in the cache).
  virtual void task_skipped(const TaskEvent& /*task*/) {}
  virtual void transfer_finished(const TransferEvent& /*transfer*/) {}
  virtual void info(const std::string& message) = 0;
  virtual void warning(const std::string& message) = 0;
  virtual void build_finished(const BuildSummary& summary) = 0;
};

struct ConsoleOptions {
  bool verbose = false;      // -v: print each command as it starts
  bool smart_terminal = false;  // a status line updated in place
};

// Writes progress to stdout and warnings to stderr. `smart_terminal` is usually
// isatty(1) && TERM != dumb.
std::unique_ptr<Status> make_console_status(const ConsoleOptions& options);
bool stdout_is_smart_terminal();

}  // namespace luisy::status
