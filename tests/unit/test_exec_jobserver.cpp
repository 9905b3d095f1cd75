#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "luisy/exec/job_slots.h"
#include "luisy/exec/jobserver.h"
#include "luisy/exec/subprocess_set.h"

using luisy::exec::Jobserver;
using luisy::exec::JobSlots;
using luisy::exec::parse_makeflags;

namespace {

// A jobserver pipe as make -jN sets it up: N-1 tokens in it, both ends inheritable.
struct MakePipe {
  int fds[2] = {-1, -1};
  explicit MakePipe(const std::string& tokens) {
    REQUIRE(pipe(fds) == 0);
    REQUIRE(write(fds[1], tokens.data(), tokens.size()) == static_cast<ssize_t>(tokens.size()));
  }
  ~MakePipe() {
    close(fds[0]);
    close(fds[1]);
  }
  std::string auth() const { return std::to_string(fds[0]) + "," + std::to_string(fds[1]); }
  // Everything the pipe holds now (make's side, read without blocking).
  std::string drain() const {
    int flags = fcntl(fds[0], F_GETFL);
    fcntl(fds[0], F_SETFL, flags | O_NONBLOCK);
    std::string out;
    char c;
    while (read(fds[0], &c, 1) == 1) out += c;
    fcntl(fds[0], F_SETFL, flags);
    return out;
  }
};

bool readable(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

}  // namespace

TEST_CASE("jobserver: MAKEFLAGS as make 4.3 and 4.4 write it") {
  CHECK(parse_makeflags(" -j4 --jobserver-auth=3,4").auth == "3,4");
  CHECK(parse_makeflags(" -j4 --jobserver-auth=fifo:/tmp/GMfifo12").auth == "fifo:/tmp/GMfifo12");
  CHECK(parse_makeflags("k -j2 --jobserver-fds=5,6").auth == "5,6");
  // The last one wins, as in make; assignments after "--" are not flags.
  CHECK(parse_makeflags(" --jobserver-auth=3,4 --jobserver-auth=7,8").auth == "7,8");
  CHECK(parse_makeflags(" -- X=--jobserver-auth=3,4").auth.empty());
  CHECK(parse_makeflags("").auth.empty());
  CHECK(!parse_makeflags("").dry_run);
  CHECK(parse_makeflags("n").dry_run);
  CHECK(parse_makeflags("kn -j2 --jobserver-auth=3,4").dry_run);
  CHECK(!parse_makeflags("k -j2").dry_run);
  CHECK(!parse_makeflags(" -j2 --no-print-directory").dry_run);
}

TEST_CASE("jobserver: forms that mean no jobserver, with and without a warning") {
  std::string warning;
  CHECK(Jobserver::connect("", &warning) == nullptr);
  CHECK(Jobserver::connect("-2,-2", &warning) == nullptr);
  CHECK(Jobserver::connect("something:else", &warning) == nullptr);
  CHECK(warning.empty());
  // Descriptors that are not open: the recipe was not marked recursive ('+').
  CHECK(Jobserver::connect("1000,1001", &warning) == nullptr);
  CHECK(warning.find("add '+'") != std::string::npos);
  warning.clear();
  CHECK(Jobserver::connect("fifo:/nonexistent/fifo", &warning) == nullptr);
  CHECK(warning.find("/nonexistent/fifo") != std::string::npos);
  warning.clear();
  CHECK(Jobserver::connect("fifo:/dev/null", &warning) == nullptr);
  CHECK(warning.find("not a fifo") != std::string::npos);
}

TEST_CASE("jobserver: R,W form reads through a private non-blocking description") {
  MakePipe pipe("ab");
  std::string warning;
  auto jobserver = Jobserver::connect(pipe.auth(), &warning);
  REQUIRE(jobserver != nullptr);
  CHECK(warning.empty());
  CHECK(jobserver->fd() != pipe.fds[0]);
  // make's own description stays blocking.
  CHECK((fcntl(pipe.fds[0], F_GETFL) & O_NONBLOCK) == 0);
  CHECK((fcntl(jobserver->fd(), F_GETFL) & O_NONBLOCK) != 0);
  CHECK((fcntl(jobserver->fd(), F_GETFD) & FD_CLOEXEC) != 0);

  CHECK(readable(jobserver->fd()));
  auto first = jobserver->try_take();
  auto second = jobserver->try_take();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(std::string{*first, *second} == "ab");
  CHECK(!jobserver->try_take());  // empty: returns at once instead of blocking
  CHECK(!readable(jobserver->fd()));
  jobserver->give_back(*second);
  CHECK(readable(jobserver->fd()));
  jobserver->give_back(*first);
  CHECK(pipe.drain() == "ba");
}

TEST_CASE("jobserver: fifo form") {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("luisy-fifo-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "fifo").string();
  REQUIRE(mkfifo(path.c_str(), 0600) == 0);
  int keep = open(path.c_str(), O_RDWR | O_NONBLOCK);  // make's end, holding two tokens
  REQUIRE(write(keep, "++", 2) == 2);
  {
    std::string warning;
    auto jobserver = Jobserver::connect("fifo:" + path, &warning);
    REQUIRE(jobserver != nullptr);
    JobSlots slots(0, jobserver.get());
    CHECK(slots.try_acquire());  // the implicit slot: no token
    CHECK(slots.tokens_held() == 0);
    CHECK(slots.try_acquire());
    CHECK(slots.try_acquire());
    CHECK(slots.tokens_held() == 2);
    CHECK(!slots.try_acquire());
    CHECK(slots.wait_fd() == jobserver->fd());
    slots.release();
    CHECK(slots.tokens_held() == 1);
    CHECK(slots.try_acquire());
    // Leaving with tokens held (an exception, say): the destructor gives them back.
  }
  char buffer[8];
  CHECK(read(keep, buffer, sizeof buffer) == 2);
  close(keep);
  std::filesystem::remove_all(dir);
}

TEST_CASE("job slots: -j N alone, and -j N with a jobserver") {
  JobSlots local(2);
  CHECK(local.try_acquire());
  CHECK(local.try_acquire());
  CHECK(!local.try_acquire());
  CHECK(local.wait_fd() == -1);
  local.release();
  CHECK(local.try_acquire());

  MakePipe pipe("xyz");
  std::string warning;
  auto jobserver = Jobserver::connect(pipe.auth(), &warning);
  REQUIRE(jobserver != nullptr);
  {
    JobSlots both(2, jobserver.get());
    CHECK(both.try_acquire());
    CHECK(both.try_acquire());
    CHECK(!both.try_acquire());   // -j 2 is the limit though tokens are left
    CHECK(both.wait_fd() == -1);  // only a job ending can help
    CHECK(both.tokens_held() == 1);
    both.release();
    both.release();
    CHECK(both.tokens_held() == 0);
    CHECK(pipe.drain() == "yzx");
    CHECK(both.try_acquire());
    CHECK(!both.try_acquire());  // the pipe is empty now
    CHECK(both.wait_fd() == jobserver->fd());
  }
}

TEST_CASE("job slots: a token arriving wakes SubprocessSet::wait") {
  MakePipe pipe("");
  std::string warning;
  auto jobserver = Jobserver::connect(pipe.auth(), &warning);
  REQUIRE(jobserver != nullptr);
  JobSlots slots(0, jobserver.get());
  luisy::exec::SubprocessSet set;
  REQUIRE(slots.try_acquire());
  set.start("sleep 30", "");
  CHECK(!slots.try_acquire());
  REQUIRE(write(pipe.fds[1], "+", 1) == 1);  // another make job ended
  auto result = set.wait(slots.wait_fd());
  CHECK(result.extra_fd_ready);
  CHECK(result.finished.empty());
  CHECK(slots.try_acquire());
  set.signal_all(SIGKILL);
  while (set.running() > 0) {
    for (auto& finished : set.wait().finished) {
      (void)finished;
      slots.release();
    }
  }
  CHECK(pipe.drain() == "+");
}
