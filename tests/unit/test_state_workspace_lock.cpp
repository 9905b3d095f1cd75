#include <doctest/doctest.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "luisy/state/workspace_lock.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace {

using luisy::state::WorkspaceLock;
namespace util = luisy::util;

struct LockTempDir {
  std::string path;
  LockTempDir() {
    char pattern[] = "/tmp/luisy_lock_XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~LockTempDir() { util::remove_all(path); }
};

int wait_exit_code(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("workspace lock: a second lock without wait is refused, naming the holder") {
  LockTempDir dir;
  auto lock = std::make_unique<WorkspaceLock>(dir.path, false, nullptr);
  // The pid in a fixed width (never truncated, see workspace_lock.cpp).
  CHECK(util::read_file(util::join_path(dir.path, "lock")) ==
        fmt::format("{:<10}\n", static_cast<long>(::getpid())));

  // flock belongs to the open file description: a second open in this process conflicts too.
  try {
    WorkspaceLock second(dir.path, false, nullptr);
    FAIL("second lock taken");
  } catch (const luisy::Error& e) {
    CHECK(std::string(e.what()) ==
          "another luisy (pid " + std::to_string(::getpid()) + ") is building in this workspace");
  }

  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      WorkspaceLock other(dir.path, false, nullptr);
      ::_exit(1);  // should have been refused
    } catch (const luisy::Error&) {
      ::_exit(0);
    }
  }
  CHECK(wait_exit_code(child) == 0);

  // Released with the object: a new lock is granted at once.
  lock.reset();
  WorkspaceLock again(dir.path, false, nullptr);
}

TEST_CASE("workspace lock: with wait, reports the holder once and gets the lock when freed") {
  LockTempDir dir;
  // The child holds the lock (the parent must not: a forked child would inherit its fd).
  int locked[2], release[2];
  REQUIRE(::pipe(locked) == 0);
  REQUIRE(::pipe(release) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(locked[0]);
    ::close(release[1]);
    WorkspaceLock held(dir.path, false, nullptr);
    char byte = 'l';
    if (::write(locked[1], &byte, 1) != 1) ::_exit(2);
    if (::read(release[0], &byte, 1) != 1) ::_exit(3);
    ::_exit(0);  // the lock goes with the process
  }
  ::close(locked[1]);
  ::close(release[0]);
  char byte = 0;
  REQUIRE(::read(locked[0], &byte, 1) == 1);
  ::close(locked[0]);

  std::vector<long> holders;
  {
    WorkspaceLock waited(dir.path, true, [&](long holder) {
      holders.push_back(holder);
      char go = 'r';
      REQUIRE(::write(release[1], &go, 1) == 1);  // let the holder finish
    });
    CHECK(util::read_file(util::join_path(dir.path, "lock")) ==
          fmt::format("{:<10}\n", static_cast<long>(::getpid())));
  }
  ::close(release[1]);
  CHECK(holders == std::vector<long>{static_cast<long>(child)});
  CHECK(wait_exit_code(child) == 0);
}

TEST_CASE("workspace lock: the holder's pid is read right over a longer older file") {
  LockTempDir dir;
  std::string path = util::join_path(dir.path, "lock");
  util::write_file_atomic(path, "4194303999\nleft over from something else\n");
  WorkspaceLock lock(dir.path, false, nullptr);
  std::string text = util::read_file(path);
  CHECK(text.substr(0, 11) == fmt::format("{:<10}\n", static_cast<long>(::getpid())));
  try {
    WorkspaceLock second(dir.path, false, nullptr);
    FAIL("second lock taken");
  } catch (const luisy::Error& e) {
    CHECK(std::string(e.what()) ==
          "another luisy (pid " + std::to_string(::getpid()) + ") is building in this workspace");
  }
}
