#pragma once
// Runs commands as child processes and waits for them, their output, and interruptions
// in one poll loop. Knows nothing of tasks or graphs.
#include <memory>
#include <string>
#include <vector>

namespace luisy::exec {

struct ProcessResult {
  int id = 0;
  int exit_code = 0;   // valid when signal == 0
  int signal = 0;      // the signal that killed it, else 0
  std::string output;  // stdout and stderr, interleaved as written
  double seconds = 0;  // wall time
  bool success() const { return signal == 0 && exit_code == 0; }
};

struct WaitResult {
  std::vector<ProcessResult> finished;
  bool extra_fd_ready = false;  // the fd passed to wait() became readable
  int interrupted = 0;          // SIGINT, SIGTERM or SIGHUP received since construction
  int signal_count = 0;         // how many of them arrived since construction
};

class SubprocessSet {
 public:
  // Installs handlers for SIGINT, SIGTERM and SIGHUP (restored by the destructor) so that
  // an interruption wakes wait() instead of killing luisy.
  SubprocessSet();
  ~SubprocessSet();
  SubprocessSet(const SubprocessSet&) = delete;
  SubprocessSet& operator=(const SubprocessSet&) = delete;

  // Starts `command` in `directory`, in its own process group, stdin from /dev/null,
  // stdout and stderr into one pipe. Simple commands (util::is_simple_command) are spawned
  // directly, others through /bin/sh -c. Returns an id > 0. A program that is missing or
  // cannot be executed is reported by the next wait() as a finished process with exit code
  // 127 (or 126) and a message as its output, as a shell would; Error is thrown only when
  // luisy runs out of resources (pipes, processes).
  int start(const std::string& command, const std::string& directory);

  // Blocks until a child finishes, `extra_fd` (if >= 0) is readable, or a signal arrives
  // (output alone does not return). Returns at once when nothing is running and
  // extra_fd < 0. `interrupted` in the result is sticky: the last signal since construction.
  WaitResult wait(int extra_fd = -1);

  // Sends the signal to every running child's process group.
  void signal_all(int signal);
  // Children not yet reported by wait(), including spawn failures waiting to be reported.
  size_t running() const;
  int interrupted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace luisy::exec
