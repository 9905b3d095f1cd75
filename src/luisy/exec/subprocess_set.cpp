#include "luisy/exec/subprocess_set.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "luisy/util/error.h"
#include "luisy/util/strings.h"

extern char** environ;

namespace luisy::exec {

namespace {

// The handler may only touch these: a signal number and the write end of the self-pipe.
volatile sig_atomic_t g_interrupted = 0;
volatile sig_atomic_t g_signal_count = 0;  // a second Ctrl-C must be told from the first
int g_signal_pipe_write = -1;
bool g_instance_exists = false;

constexpr int kHandledSignals[] = {SIGINT, SIGTERM, SIGHUP};

void on_signal(int sig) {
  int saved_errno = errno;
  g_interrupted = sig;
  g_signal_count = g_signal_count + 1;
  char byte = 0;
  // Non-blocking: if the pipe is full a wakeup is already pending, so a lost byte is fine.
  [[maybe_unused]] ssize_t n = write(g_signal_pipe_write, &byte, 1);
  errno = saved_errno;
}

[[noreturn]] void throw_errno(const char* what) {
  throw Error(fmt::format("{}: {}", what, std::strerror(errno)), kExitTaskFailed);
}

using Clock = std::chrono::steady_clock;

struct Child {
  int id = 0;
  pid_t pid = -1;
  int fd = -1;  // read end of the output pipe; -1 once it reached EOF
  std::string output;
  Clock::time_point started;
};

// Owns the posix_spawn attribute and file-action objects for one spawn.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    if (posix_spawn_file_actions_init(&actions) != 0) throw_errno("posix_spawn_file_actions_init");
    if (posix_spawnattr_init(&attr) != 0) {
      posix_spawn_file_actions_destroy(&actions);
      throw_errno("posix_spawnattr_init");
    }
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

void check_spawn_call(int rc, const char* what) {
  if (rc != 0) {
    errno = rc;
    throw_errno(what);
  }
}

// The environment of the commands: luisy's own, less the credentials of its remote cache,
// which a command has no business with (and which could otherwise end up in an output that
// is shared through that very cache).
std::vector<char*> child_environment() {
  std::vector<char*> env;
  for (char** entry = environ; *entry; ++entry) {
    std::string_view text(*entry);
    if (text.starts_with("LUISY_AZURE_STORAGE_KEY=") || text.starts_with("LUISY_AZURE_SAS_TOKEN=")) continue;
    env.push_back(*entry);
  }
  env.push_back(nullptr);
  return env;
}

// What the child runs: argv for a direct spawn of a simple command, else /bin/sh -c.
struct Argv {
  std::string file;                // passed to posix_spawnp
  std::vector<std::string> words;  // argv
  bool direct = false;
};

Argv make_argv(const std::string& command, const std::string& directory) {
  Argv argv;
  if (!util::is_simple_command(command)) {
    argv.file = "/bin/sh";
    argv.words = {"/bin/sh", "-c", command};
    return argv;
  }
  argv.direct = true;
  for (std::string& word : util::split(command, ' '))
    if (!word.empty()) argv.words.push_back(std::move(word));
  argv.file = argv.words[0];
  // glibc runs the chdir file action before exec, so `./run.sh` would already resolve inside
  // `directory`; making such a path absolute keeps that true for any libc.
  if (!directory.empty() && argv.file.find('/') != std::string::npos && argv.file[0] != '/')
    argv.file = (std::filesystem::absolute(directory) / argv.file).lexically_normal().string();
  return argv;
}

// The shell's codes: 127 for a program that is not there, 126 for one that cannot run.
ProcessResult spawn_failure(int id, int error, const Argv& argv, const std::string& directory) {
  ProcessResult result;
  result.id = id;
  result.exit_code = error == ENOENT ? 127 : 126;
  // posix_spawn reports a failed chdir with the same errno as a missing program.
  struct stat st;
  int dir_error = 0;
  if (!directory.empty() && stat(directory.c_str(), &st) != 0)
    dir_error = errno;
  else if (!directory.empty() && !S_ISDIR(st.st_mode))
    dir_error = ENOTDIR;
  if (dir_error != 0) {
    result.exit_code = 127;
    result.output = fmt::format("luisy: cannot change to directory '{}': {}\n", directory,
                                std::strerror(dir_error));
  } else {
    result.output =
        fmt::format("luisy: cannot run '{}': {}\n", argv.words[0], std::strerror(error));
  }
  return result;
}

}  // namespace

struct SubprocessSet::Impl {
  int signal_pipe[2] = {-1, -1};
  struct sigaction old_actions[std::size(kHandledSignals)];
  std::vector<Child> children;
  std::vector<ProcessResult> failed_spawns;  // reported by the next wait()
  int next_id = 1;

  void finish(Child& child, std::vector<ProcessResult>& out);
};

SubprocessSet::SubprocessSet() : impl_(std::make_unique<Impl>()) {
  if (g_instance_exists) throw Error("internal error: only one SubprocessSet may exist");
  if (pipe2(impl_->signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno("pipe2");
  g_interrupted = 0;
  g_signal_count = 0;
  g_signal_pipe_write = impl_->signal_pipe[1];
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a signal should interrupt poll() at once
  for (size_t i = 0; i < std::size(kHandledSignals); ++i)
    sigaction(kHandledSignals[i], &action, &impl_->old_actions[i]);
  g_instance_exists = true;
}

SubprocessSet::~SubprocessSet() {
  // Last resort: the engine is expected to signal_all() and wait() for a graceful stop.
  // Whatever still runs here is killed so that nothing outlives luisy unseen.
  for (Child& child : impl_->children) {
    kill(-child.pid, SIGKILL);
    if (child.fd >= 0) close(child.fd);
    int status;
    while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  for (size_t i = 0; i < std::size(kHandledSignals); ++i)
    sigaction(kHandledSignals[i], &impl_->old_actions[i], nullptr);
  g_signal_pipe_write = -1;
  close(impl_->signal_pipe[0]);
  close(impl_->signal_pipe[1]);
  g_instance_exists = false;
}

int SubprocessSet::start(const std::string& command, const std::string& directory) {
  int id = impl_->next_id++;
  Argv argv = make_argv(command, directory);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw_errno("pipe2");
  SpawnSetup setup;
  posix_spawn_file_actions_t* actions = &setup.actions;
  posix_spawnattr_t* attr = &setup.attr;
  try {
    check_spawn_call(posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0),
                     "posix_spawn_file_actions_addopen");
    check_spawn_call(posix_spawn_file_actions_adddup2(actions, out[1], 1),
                     "posix_spawn_file_actions_adddup2");
    check_spawn_call(posix_spawn_file_actions_adddup2(actions, out[1], 2),
                     "posix_spawn_file_actions_adddup2");
    if (!directory.empty())
      check_spawn_call(posix_spawn_file_actions_addchdir_np(actions, directory.c_str()),
                       "posix_spawn_file_actions_addchdir_np");
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&defaults, sig);
    check_spawn_call(posix_spawnattr_setsigdefault(attr, &defaults),
                     "posix_spawnattr_setsigdefault");
    sigset_t empty;
    sigemptyset(&empty);
    check_spawn_call(posix_spawnattr_setsigmask(attr, &empty), "posix_spawnattr_setsigmask");
    // Its own process group: Ctrl-C reaches luisy only, and signal_all() reaches the
    // whole pipeline of a shell command.
    check_spawn_call(posix_spawnattr_setpgroup(attr, 0), "posix_spawnattr_setpgroup");
    check_spawn_call(posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                                        POSIX_SPAWN_SETSIGMASK),
                     "posix_spawnattr_setflags");
  } catch (...) {
    close(out[0]);
    close(out[1]);
    throw;
  }

  std::vector<char*> cargv;
  for (std::string& word : argv.words) cargv.push_back(word.data());
  cargv.push_back(nullptr);

  Child child;
  child.id = id;
  child.started = Clock::now();
  std::vector<char*> env = child_environment();
  int rc = posix_spawnp(&child.pid, argv.file.c_str(), actions, attr, cargv.data(), env.data());
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    // A program that is missing or cannot be executed is the command's failure, as in a shell;
    // running out of processes or memory is luisy's.
    if (rc == ENOENT || rc == EACCES || rc == ENOEXEC || rc == ENOTDIR || rc == EISDIR ||
        rc == ELOOP || rc == ENAMETOOLONG || rc == ETXTBSY) {
      impl_->failed_spawns.push_back(spawn_failure(id, rc, argv, directory));
      return id;
    }
    errno = rc;
    throw_errno(fmt::format("cannot start '{}'", command).c_str());
  }
  child.fd = out[0];
  impl_->children.push_back(std::move(child));
  return id;
}

void SubprocessSet::Impl::finish(Child& child, std::vector<ProcessResult>& out) {
  close(child.fd);
  child.fd = -1;
  // The output pipe is closed, so the child is (almost always) gone. Known limitation, as in
  // Ninja: a background grandchild (`server &`) keeps the pipe open and delays EOF until it
  // exits, and a child that closes its stdout/stderr and keeps running blocks here.
  int status = 0;
  while (waitpid(child.pid, &status, 0) < 0) {
    if (errno != EINTR) {
      status = 0;
      break;
    }
  }
  ProcessResult result;
  result.id = child.id;
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
    result.exit_code = 128 + result.signal;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  result.output = std::move(child.output);
  result.seconds = std::chrono::duration<double>(Clock::now() - child.started).count();
  out.push_back(std::move(result));
}

WaitResult SubprocessSet::wait(int extra_fd) {
  WaitResult result;
  result.finished = std::move(impl_->failed_spawns);
  impl_->failed_spawns.clear();

  std::vector<pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({impl_->signal_pipe[0], POLLIN, 0});
    if (extra_fd >= 0) fds.push_back({extra_fd, POLLIN, 0});
    size_t first_child = fds.size();
    for (const Child& child : impl_->children) fds.push_back({child.fd, POLLIN, 0});

    // Something already to report, or nothing that could ever wake us: only look, never block.
    bool nothing_to_wait_for = impl_->children.empty() && extra_fd < 0;
    int timeout = (!result.finished.empty() || nothing_to_wait_for) ? 0 : -1;
    int ready = poll(fds.data(), fds.size(), timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;  // the handler wrote to the self-pipe; poll sees it next
      throw_errno("poll");
    }

    bool signalled = false;
    if (fds[0].revents) {
      char buffer[64];
      while (read(impl_->signal_pipe[0], buffer, sizeof buffer) > 0) {
      }
      signalled = true;
    }
    if (extra_fd >= 0 && fds[1].revents) result.extra_fd_ready = true;

    char buffer[64 * 1024];
    for (size_t i = first_child; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      Child& child = impl_->children[i - first_child];
      ssize_t n = read(child.fd, buffer, sizeof buffer);
      if (n > 0) {
        child.output.append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        impl_->finish(child, result.finished);
      }
    }
    std::erase_if(impl_->children, [](const Child& c) { return c.fd < 0; });

    result.interrupted = g_interrupted;
    result.signal_count = g_signal_count;
    if (signalled || result.extra_fd_ready || !result.finished.empty() || nothing_to_wait_for)
      return result;
    // Only output arrived: keep reading until something the caller cares about happens.
  }
}

void SubprocessSet::signal_all(int signal) {
  for (const Child& child : impl_->children) kill(-child.pid, signal);
}

// Counts spawn failures not yet reported, so a caller that waits while running() > 0 sees them.
size_t SubprocessSet::running() const {
  return impl_->children.size() + impl_->failed_spawns.size();
}

int SubprocessSet::interrupted() const {
  return g_interrupted;
}

}  // namespace luisy::exec
