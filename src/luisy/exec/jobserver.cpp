#include "luisy/exec/jobserver.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "luisy/util/error.h"
#include "luisy/util/strings.h"

namespace luisy::exec {

namespace {

bool parse_fd(std::string_view text, int* fd) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *fd);
  return error == std::errc() && end == text.data() + text.size();
}

bool is_open_pipe(int fd) {
  struct stat st;
  return fcntl(fd, F_GETFD) >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

}  // namespace

MakeFlags parse_makeflags(std::string_view makeflags) {
  MakeFlags flags;
  std::vector<std::string> words = util::split(std::string(makeflags), ' ');
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "--") break;  // variable assignments follow
    // make puts its single-letter flags first, without a dash ("kn -j4 ..."); a leading
    // space leaves the first word empty when there are none.
    if (i == 0 && !word.empty() && word[0] != '-' && word.find('=') == std::string::npos)
      flags.dry_run = word.find('n') != std::string::npos;
    for (std::string_view prefix : {"--jobserver-auth=", "--jobserver-fds="})
      if (word.rfind(prefix, 0) == 0) flags.auth = word.substr(prefix.size());
  }
  return flags;
}

std::unique_ptr<Jobserver> Jobserver::connect(const std::string& auth, std::string* warning) {
  if (auth.rfind("fifo:", 0) == 0) {
    // make 4.4: a named fifo every client opens itself. O_RDWR so that opening never
    // blocks and the fifo never reports end-of-file.
    std::string path = auth.substr(5);
    int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      *warning = fmt::format("cannot open the jobserver fifo '{}': {}", path, std::strerror(errno));
      return nullptr;
    }
    if (!is_open_pipe(fd)) {
      close(fd);
      *warning = fmt::format("the jobserver '{}' is not a fifo", path);
      return nullptr;
    }
    return std::unique_ptr<Jobserver>(new Jobserver(fd, fd, true));
  }
  size_t comma = auth.find(',');
  int read_fd = -1, write_fd = -1;
  if (comma == std::string::npos || !parse_fd(std::string_view(auth).substr(0, comma), &read_fd) ||
      !parse_fd(std::string_view(auth).substr(comma + 1), &write_fd)) {
    return nullptr;  // a form this luisy does not know: do not guess
  }
  if (read_fd < 0 || write_fd < 0) return nullptr;  // make says: no jobserver
  if (!is_open_pipe(read_fd) || !is_open_pipe(write_fd)) {
    *warning = "jobserver unavailable: add '+' to the make rule that runs luisy";
    return nullptr;
  }
  // make and its other children share the pipe's open file description: making it
  // non-blocking would break their blocking reads. A private description of the same pipe,
  // opened through /proc, can be non-blocking on its own.
  std::string proc_path = fmt::format("/proc/self/fd/{}", read_fd);
  int private_fd = open(proc_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (private_fd < 0) {
    *warning = fmt::format("cannot open the jobserver pipe through {}: {}", proc_path,
                           std::strerror(errno));
    return nullptr;
  }
  return std::unique_ptr<Jobserver>(new Jobserver(private_fd, write_fd, false));
}

Jobserver::~Jobserver() {
  close(read_fd_);
  if (owns_write_fd_ && write_fd_ != read_fd_) close(write_fd_);
}

std::optional<char> Jobserver::try_take() {
  char token;
  while (true) {
    ssize_t n = read(read_fd_, &token, 1);
    if (n == 1) return token;
    if (n < 0 && errno == EINTR) continue;
    return std::nullopt;  // EAGAIN: another client was faster; or make is gone
  }
}

void Jobserver::give_back(char token) {
  while (true) {
    ssize_t n = write(write_fd_, &token, 1);
    if (n == 1) return;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      // Cannot happen with at most -j bytes in a pipe, but never drop a token.
      pollfd pfd{write_fd_, POLLOUT, 0};
      poll(&pfd, 1, 1000);
      continue;
    }
    return;  // make is gone (EPIPE): nobody needs the token any more
  }
}

}  // namespace luisy::exec
