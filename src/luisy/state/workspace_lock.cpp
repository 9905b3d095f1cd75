#include "luisy/state/workspace_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::state {

namespace {

// The pid the holder wrote into the lock file; 0 when unknown (it may not have written it
// yet, or the file is from a crashed run).
long read_holder_pid(int fd) {
  char buffer[32];
  ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return 0;
  buffer[n] = '\0';
  char* end = nullptr;
  long pid = std::strtol(buffer, &end, 10);
  return end != buffer && pid > 0 ? pid : 0;
}

}  // namespace

WorkspaceLock::WorkspaceLock(const std::string& state_dir, bool wait,
                             const std::function<void(long)>& on_wait) {
  std::string path = util::join_path(state_dir, "lock");
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));

  int rc;
  do {
    rc = ::flock(fd_, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int error = errno;
    if (error != EWOULDBLOCK) {
      ::close(fd_);
      throw Error(fmt::format("cannot lock {}: {}", path, std::strerror(error)));
    }
    long holder = read_holder_pid(fd_);
    if (!wait) {
      ::close(fd_);
      throw Error(holder
                      ? fmt::format("another luisy (pid {}) is building in this workspace", holder)
                      : std::string("another luisy is building in this workspace"));
    }
    if (on_wait) on_wait(holder);
    // No signal handler of ours: Ctrl-C while waiting ends the process as usual. EINTR only
    // comes from handlers someone else installed, which expect us to carry on.
    do {
      rc = ::flock(fd_, LOCK_EX);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      error = errno;
      ::close(fd_);
      throw Error(fmt::format("cannot lock {}: {}", path, std::strerror(error)));
    }
  }

  // Tell a second luisy who holds the lock. Best effort: the lock itself is what counts.
  // Always the same width (a pid has at most 10 digits), written over what was there and
  // never truncated: an ftruncate on every build costs a metadata update (0.4 ms, tens of ms
  // seen under load). Whatever older or longer text follows, the reader stops at the newline.
  std::string pid = fmt::format("{:<10}\n", static_cast<long>(::getpid()));
  [[maybe_unused]] ssize_t written = ::pwrite(fd_, pid.data(), pid.size(), 0);
}

WorkspaceLock::~WorkspaceLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace luisy::state
