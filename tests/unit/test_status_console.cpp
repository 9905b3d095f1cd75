#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "luisy/status/console_status.h"

using namespace luisy::status;

namespace {
struct Capture {
  char* buffer = nullptr;
  size_t size = 0;
  FILE* file = open_memstream(&buffer, &size);
  ~Capture() {
    std::fclose(file);
    std::free(buffer);
  }
  std::string text() {
    std::fflush(file);
    return std::string(buffer, size);
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const TaskEvent kClean{"Clean(year=2024)", "python3 clean.py in.csv out.csv"};
const TaskEvent kReport{"Report(model=linear)", "python3 report.py > out.txt"};
}  // namespace

TEST_CASE("status: plain lines, one per finished task, output after it") {
  Capture out, err;
  auto status = make_console_status({}, out.file, err.file);
  status->build_started(2);
  status->task_started(kClean);
  status->task_started(kReport);
  CHECK(out.text().empty());
  status->task_finished(kReport, true, 0, "", 0.1);
  status->task_finished(kClean, true, 0, "cleaned 10 rows\n", 0.2);
  CHECK(out.text() ==
        "[1/2] Report(model=linear)\n"
        "[2/2] Clean(year=2024)\ncleaned 10 rows\n");
  CHECK(err.text().empty());
}

TEST_CASE("status: a failure goes to stderr, its first line names the task and the command") {
  Capture out, err;
  auto status = make_console_status({}, out.file, err.file);
  status->build_started(1);
  status->task_started(kClean);
  status->task_finished(kClean, false, 2, "Traceback: boom", 0.1);
  CHECK(err.text() ==
        "luisy: FAILED: Clean(year=2024): python3 clean.py in.csv out.csv\n"
        "Traceback: boom\n");
  CHECK(out.text().empty());
}

TEST_CASE("status: a silent failure shows its exit code") {
  Capture out, err;
  auto status = make_console_status({}, out.file, err.file);
  status->build_started(1);
  status->task_started(kClean);
  status->task_finished(kClean, false, 137, "", 0.1);
  CHECK(err.text() ==
        "luisy: FAILED: Clean(year=2024): python3 clean.py in.csv out.csv\n(exit code 137)\n");
}

TEST_CASE("status: cached tasks, info, warnings") {
  Capture out, err;
  auto status = make_console_status({}, out.file, err.file);
  status->build_started(2);
  status->task_cached(kClean, "remote");
  status->info("uploading 3 files");
  status->warning("remote unreachable");
  CHECK(out.text() == "[1/2] Clean(year=2024) (from remote)\nluisy: uploading 3 files\n");
  CHECK(err.text() == "luisy: warning: remote unreachable\n");
}

TEST_CASE("status: verbose prints the command when a task starts") {
  Capture out, err;
  ConsoleOptions options;
  options.verbose = true;
  auto status = make_console_status(options, out.file, err.file);
  status->build_started(1);
  status->task_started(kClean);
  CHECK(out.text() == "[1/1] Clean(year=2024): python3 clean.py in.csv out.csv\n");
}

TEST_CASE("status: the summary") {
  auto summary_of = [](const BuildSummary& summary) {
    Capture out, err;
    auto status = make_console_status({}, out.file, err.file);
    status->build_started(0);
    status->build_finished(summary);
    return out.text();
  };
  BuildSummary s;
  s.ran = 12;
  s.up_to_date = 3;
  s.failed = 1;
  s.seconds = 2.34;
  CHECK(summary_of(s) == "luisy: 12 tasks ran, 3 up to date, 1 failed in 2.3 s\n");

  BuildSummary one;
  one.ran = 1;
  one.cached = 2;
  one.skipped = 4;
  one.seconds = 0.05;
  CHECK(summary_of(one) == "luisy: 1 task ran, 2 from cache, 4 skipped in 50 ms\n");

  BuildSummary none;
  none.up_to_date = 7;
  CHECK(summary_of(none) == "luisy: no work to do.\n");

  BuildSummary stopped;
  stopped.interrupted = true;
  stopped.ran = 2;
  stopped.seconds = 1;
  CHECK(summary_of(stopped) == "luisy: interrupted: 2 tasks ran in 1.0 s\n");
}

TEST_CASE("status: smart terminal draws a status line in place") {
  Capture out, err;
  ConsoleOptions options;
  options.smart_terminal = true;
  auto status = make_console_status(options, out.file, err.file, 80);
  status->build_started(2);
  status->task_started(kClean);
  CHECK(out.text() == "\r[0/2] Clean(year=2024)\x1B[K");
  status->task_started(kReport);
  // The most recently started task is shown.
  CHECK(contains(out.text(), "\r[0/2] Report(model=linear)\x1B[K"));

  // Finishing without output only redraws the line, now showing the one still running.
  status->task_finished(kReport, true, 0, "", 0.1);
  CHECK(contains(out.text(), "\r[1/2] Clean(year=2024)\x1B[K"));
  CHECK(out.text().find('\n') == std::string::npos);

  // A failure clears the line on stdout, goes to stderr, and the status line comes back.
  status->task_finished(kClean, false, 1, "boom\n", 0.1);
  CHECK(contains(out.text(), "\r\x1B[K\r[2/2] Clean(year=2024)\x1B[K"));
  CHECK(err.text() == "luisy: FAILED: Clean(year=2024): python3 clean.py in.csv out.csv\nboom\n");

  // A warning on stderr clears the line on stdout first and draws it again after.
  size_t before = out.text().size();
  status->warning("careful");
  CHECK(out.text().substr(before) == "\r\x1B[K\r[2/2] Clean(year=2024)\x1B[K");
  CHECK(err.text().substr(err.text().size() - 24) == "luisy: warning: careful\n");

  BuildSummary summary;
  summary.ran = 1;
  summary.failed = 1;
  summary.seconds = 0.5;
  status->build_finished(summary);
  std::string text = out.text();
  std::string tail = "\r[2/2] Clean(year=2024)\x1B[K\nluisy: 1 task ran, 1 failed in 500 ms\n";
  REQUIRE(text.size() >= tail.size());
  CHECK(text.substr(text.size() - tail.size()) == tail);
}

TEST_CASE("status: smart terminal elides long labels to the width") {
  Capture out, err;
  ConsoleOptions options;
  options.smart_terminal = true;
  auto status = make_console_status(options, out.file, err.file, 16);
  status->build_started(1);
  status->task_started({"Train(model=a_very_long_model_name)", "train"});
  CHECK(out.text() == "\r[0/1] T..._name)\x1B[K");
}

TEST_CASE("status: stdout_is_smart_terminal is false for a pipe") {
  // The tests run with stdout redirected or not; only the TERM=dumb rule can be forced.
  const char* old = std::getenv("TERM");
  std::string saved = old ? old : "";
  setenv("TERM", "dumb", 1);
  CHECK_FALSE(stdout_is_smart_terminal());
  if (old)
    setenv("TERM", saved.c_str(), 1);
  else
    unsetenv("TERM");
}
