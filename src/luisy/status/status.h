#pragma once
// What the user sees while a build runs. One interface, a console implementation (status
// line on a terminal, plain lines elsewhere); a JSON event stream comes later.
#include <memory>
#include <string>

namespace luisy::status {

struct TaskEvent {
  std::string label;    // "Clean(year=2024)"
  std::string command;  // after substitution
};

struct BuildSummary {
  size_t ran = 0, failed = 0, up_to_date = 0, skipped = 0, cached = 0;
  double seconds = 0;
  bool interrupted = false;
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
