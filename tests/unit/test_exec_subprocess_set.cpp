#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "luisy/exec/subprocess_set.h"
#include "luisy/util/strings.h"

namespace fs = std::filesystem;
using luisy::exec::ProcessResult;
using luisy::exec::SubprocessSet;

namespace {

// Waits until every started command has been reported; results by id.
std::map<int, ProcessResult> run_all(SubprocessSet& set) {
  std::map<int, ProcessResult> results;
  while (set.running() > 0) {
    for (ProcessResult& r : set.wait().finished) results[r.id] = std::move(r);
  }
  return results;
}

ProcessResult run_one(const std::string& command, const std::string& directory = "") {
  SubprocessSet set;
  int id = set.start(command, directory);
  auto results = run_all(set);
  REQUIRE(results.count(id) == 1);
  return results[id];
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/luisy_exec_test_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("exec: a simple command runs directly and its output is captured") {
  ProcessResult r = run_one("echo hi");
  CHECK(r.success());
  CHECK(r.exit_code == 0);
  CHECK(r.signal == 0);
  CHECK(r.output == "hi\n");
  CHECK(r.seconds >= 0);
}

TEST_CASE("exec: a command with shell syntax runs through /bin/sh") {
  ProcessResult r = run_one("echo a | tr a b");
  CHECK(r.success());
  CHECK(r.output == "b\n");
}

TEST_CASE("exec: exit codes and stderr") {
  ProcessResult r = run_one("sh -c 'echo out; echo err >&2; exit 3'");
  CHECK_FALSE(r.success());
  CHECK(r.exit_code == 3);
  CHECK(r.signal == 0);
  CHECK(r.output == "out\nerr\n");
  CHECK(run_one("false").exit_code == 1);
}

TEST_CASE("exec: the command runs in the given directory") {
  TempDir dir;
  ProcessResult r = run_one("pwd", dir.path.string());
  CHECK(r.output == fs::canonical(dir.path).string() + "\n");
  CHECK(run_one("pwd -P", dir.path.string()).output == fs::canonical(dir.path).string() + "\n");
}

TEST_CASE("exec: a relative program path resolves inside the directory") {
  TempDir dir;
  fs::path script = dir.path / "run.sh";
  std::ofstream(script) << "#!/bin/sh\necho ran $1\n";
  fs::permissions(script, fs::perms::owner_all);
  // Also from a relative directory, so the path is not resolved twice.
  fs::path old_cwd = fs::current_path();
  fs::current_path(dir.path.parent_path());
  ProcessResult r = run_one("./run.sh x", dir.path.filename().string());
  fs::current_path(old_cwd);
  CHECK(r.success());
  CHECK(r.output == "ran x\n");
}

TEST_CASE("exec: a missing program gives 127 like a shell") {
  ProcessResult r = run_one("luisy-no-such-program-xyz --flag");
  CHECK(r.exit_code == 127);
  CHECK(r.signal == 0);
  CHECK(r.output.find("luisy: cannot run 'luisy-no-such-program-xyz'") != std::string::npos);
  CHECK(r.output.find("No such file or directory") != std::string::npos);

  ProcessResult shell = run_one("luisy-no-such-program-xyz | cat");
  CHECK(shell.exit_code == 0);  // the pipeline's status is cat's
  ProcessResult shell2 = run_one("luisy-no-such-program-xyz 2>&1");
  CHECK(shell2.exit_code == 127);
}

TEST_CASE("exec: a missing directory is reported, not thrown") {
  ProcessResult r = run_one("echo hi", "/nonexistent/luisy/dir");
  CHECK(r.exit_code == 127);
  CHECK(r.output.find("cannot change to directory '/nonexistent/luisy/dir'") != std::string::npos);
}

TEST_CASE("exec: many processes in parallel all finish") {
  SubprocessSet set;
  std::map<int, int> expected;
  for (int i = 0; i < 40; ++i) {
    std::string command = "echo " + std::to_string(i);
    if (i % 2) command += " | cat";  // half direct, half through the shell
    expected[set.start(command, "")] = i;
  }
  CHECK(set.running() == 40);
  auto results = run_all(set);
  REQUIRE(results.size() == 40);
  for (auto& [id, i] : expected) {
    CHECK(results[id].success());
    CHECK(results[id].output == std::to_string(i) + "\n");
  }
  CHECK(set.running() == 0);
}

TEST_CASE("exec: output larger than the pipe buffer does not deadlock") {
  ProcessResult r = run_one("head -c 200000 /dev/zero");
  CHECK(r.success());
  CHECK(r.output.size() == 200000);
}

TEST_CASE("exec: stdin is /dev/null") {
  ProcessResult r = run_one("wc -c");
  CHECK(r.success());
  CHECK(r.output == "0\n");
}

TEST_CASE("exec: signal_all ends the children with that signal") {
  SubprocessSet set;
  int direct = set.start("sleep 30", "");
  int shell = set.start("sleep 30; echo never", "");
  // The children run in their own process groups; signal_all must reach them right away,
  // even before they have exec'd (the default disposition is set by posix_spawn).
  set.signal_all(SIGTERM);
  auto results = run_all(set);
  CHECK(results[direct].signal == SIGTERM);
  CHECK(results[direct].exit_code == 128 + SIGTERM);
  CHECK_FALSE(results[direct].success());
  CHECK(results[shell].signal == SIGTERM);
  CHECK(results[shell].output.empty());
}

TEST_CASE("exec: a signal to luisy wakes wait() and does not kill the process") {
  SubprocessSet set;
  CHECK(set.interrupted() == 0);
  raise(SIGINT);
  auto result = set.wait();
  CHECK(result.interrupted == SIGINT);
  CHECK(set.interrupted() == SIGINT);
  CHECK(result.finished.empty());
}

TEST_CASE("exec: a signal while a child runs wakes wait() before the child ends") {
  SubprocessSet set;
  set.start("sleep 30", "");
  raise(SIGTERM);
  auto result = set.wait();
  CHECK(result.interrupted == SIGTERM);
  CHECK(result.finished.empty());
  CHECK(set.running() == 1);
  set.signal_all(SIGTERM);
  auto results = run_all(set);
  CHECK(results.begin()->second.signal == SIGTERM);
}

TEST_CASE("exec: the previous handlers come back after destruction") {
  struct sigaction before {};
  sigaction(SIGINT, nullptr, &before);
  { SubprocessSet set; }
  struct sigaction after {};
  sigaction(SIGINT, nullptr, &after);
  CHECK((after.sa_handler == before.sa_handler));
  SubprocessSet fresh;
  CHECK(fresh.interrupted() == 0);
}

TEST_CASE("exec: extra_fd readiness is reported") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  SubprocessSet set;
  set.start("sleep 30", "");
  REQUIRE(write(p[1], "x", 1) == 1);
  auto result = set.wait(p[0]);
  CHECK(result.extra_fd_ready);
  CHECK(result.finished.empty());
  CHECK(result.interrupted == 0);
  close(p[0]);
  close(p[1]);
  set.signal_all(SIGKILL);
  auto results = run_all(set);
  CHECK(results.begin()->second.signal == SIGKILL);
}

TEST_CASE("exec: wait() with nothing to wait for returns at once") {
  SubprocessSet set;
  auto result = set.wait();
  CHECK(result.finished.empty());
  CHECK_FALSE(result.extra_fd_ready);
  CHECK(result.interrupted == 0);
}

TEST_CASE("exec: luisy's pipes do not leak into children") {
  // The fds a child may inherit: 0-2 and whatever this test process holds without CLOEXEC.
  std::set<std::string> expected = {"0", "1", "2"};
  for (int fd = 3; fd < 1024; ++fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) expected.insert(std::to_string(fd));
  }
  SubprocessSet set;
  int long_running = set.start("sleep 30", "");
  // If the first child's pipe or the self-pipe leaked, the shell would hold an extra fd.
  int lister = set.start("ls /proc/$$/fd", "");
  std::map<int, ProcessResult> results;
  while (results.count(lister) == 0)
    for (ProcessResult& r : set.wait().finished) results[r.id] = std::move(r);
  std::set<std::string> listed;
  for (const std::string& fd : luisy::util::split(results[lister].output, '\n'))
    if (!fd.empty()) listed.insert(fd);
  CHECK(listed == expected);
  set.signal_all(SIGTERM);
  results = run_all(set);
  CHECK(results[long_running].signal == SIGTERM);
}
