#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "luisy/status/build_recorder.h"
#include "luisy/util/fs.h"
#include "luisy/util/json.h"

using namespace luisy::status;
using luisy::util::JsonValue;

namespace {

JsonValue parse(const std::string& text) {
  std::string error;
  auto value = luisy::util::parse_json(text, &error);
  REQUIRE_MESSAGE(value.has_value(), error);
  return *value;
}

// The X slices of a trace, by name.
const JsonValue* slice(const JsonValue& trace, const std::string& name) {
  for (const auto& e : trace.find("traceEvents")->items())
    if (e.find("ph")->as_string() == "X" && e.find("name")->as_string() == name) return &e;
  return nullptr;
}

const JsonValue* task(const JsonValue& record, const std::string& label) {
  for (const auto& t : record.find("tasks")->items())
    if (t.find("label")->as_string() == label) return &t;
  return nullptr;
}

}  // namespace

TEST_CASE("recorder: tasks on the lowest free job lane, times in microseconds") {
  double now = 10;
  BuildRecorder recorder({"A", "B", "C", "D"}, [&] { return now; });
  recorder.build_started(4);
  recorder.task_started({"A", "cmd a"});
  now = 10.5;
  recorder.task_started({"B", "cmd b"});
  now = 11;
  recorder.task_finished({"A", "cmd a"}, true, 0, "", 1);
  recorder.task_started({"C", "cmd c"});  // takes A's lane
  now = 12;
  recorder.task_finished({"B", "cmd b"}, true, 0, "", 1.5);
  recorder.task_finished({"C", "cmd c"}, false, 2, "boom", 1);
  recorder.task_skipped({"D", "cmd d"});
  BuildSummary summary;
  summary.ran = 2;
  summary.failed = 1;
  summary.skipped = 1;
  recorder.build_finished(summary);

  JsonValue trace = parse(recorder.trace_json());
  const JsonValue* a = slice(trace, "A");
  const JsonValue* b = slice(trace, "B");
  const JsonValue* c = slice(trace, "C");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->find("ts")->as_int() == 0);
  CHECK(a->find("dur")->as_int() == 1000000);
  CHECK(a->find("tid")->as_int() == 1);
  CHECK(b->find("tid")->as_int() == 2);
  CHECK(c->find("tid")->as_int() == 1);
  CHECK(c->find("args")->find("exit_code")->as_int() == 2);
  CHECK(c->find("cat")->as_string() == "task,failed");
  CHECK(b->find("args")->find("command")->as_string() == "cmd b");
  CHECK(slice(trace, "build")->find("dur")->as_int() == 2000000);

  JsonValue record = parse(recorder.last_build_json(1));
  CHECK(record.find("exit_code")->as_int() == 1);
  CHECK(task(record, "A")->find("result")->as_string() == "ran");
  CHECK(task(record, "B")->find("start")->as_double() == 0.5);
  CHECK(task(record, "B")->find("seconds")->as_double() == 1.5);
  CHECK(task(record, "C")->find("result")->as_string() == "failed");
  CHECK(task(record, "C")->find("exit_code")->as_int() == 2);
  CHECK(task(record, "D")->find("result")->as_string() == "skipped");
  CHECK(task(record, "D")->find("start") == nullptr);
  const JsonValue* totals = record.find("totals");
  CHECK(totals->find("instances")->as_int() == 4);
  CHECK(totals->find("ran")->as_int() == 2);
  CHECK(totals->find("failed")->as_int() == 1);
  CHECK(totals->find("skipped")->as_int() == 1);
  CHECK(totals->find("not_started")->as_int() == 0);
}

TEST_CASE("recorder: cache hits, transfers on lanes of their own, an unfinished build") {
  double now = 0;
  BuildRecorder recorder({"Up", "Local", "Remote", "Never"}, [&] { return now; });
  recorder.build_started(4);
  recorder.task_up_to_date({"Up", "cmd"});
  now = 1;
  TransferEvent t;
  t.label = "Remote";
  t.path = "out/a.bin";
  t.bytes = 100;
  t.seconds = 0.5;
  recorder.transfer_finished(t);  // 0.5 .. 1
  t.path = "out/b.bin";
  recorder.transfer_finished(t);  // overlaps the first: a second lane
  now = 1.25;
  recorder.task_cached(TaskEvent("Remote", "cmd", "remote", 0.75), "cache");
  recorder.task_cached(TaskEvent("Local", "cmd", "local", 0), "cache");
  now = 2;
  t.path = "out/c.bin";
  t.upload = true;
  recorder.transfer_finished(t);  // 1.5 .. 2: the first lane is free again
  recorder.warning("something odd");
  // No build_finished: interrupted by an exception, say.

  JsonValue trace = parse(recorder.trace_json());
  const JsonValue* a = slice(trace, "Remote: out/a.bin");
  const JsonValue* b = slice(trace, "Remote: out/b.bin");
  const JsonValue* c = slice(trace, "Remote: out/c.bin");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->find("pid")->as_int() == 2);
  CHECK(a->find("cat")->as_string() == "download");
  CHECK(c->find("cat")->as_string() == "upload");
  CHECK(a->find("tid")->as_int() == 1);
  CHECK(b->find("tid")->as_int() == 2);
  CHECK(c->find("tid")->as_int() == 1);
  CHECK(a->find("args")->find("bytes")->as_int() == 100);
  CHECK(a->find("ts")->as_int() == 500000);
  const JsonValue* remote = slice(trace, "Remote");
  REQUIRE(remote);
  CHECK(remote->find("cat")->as_string() == "cached");
  CHECK(remote->find("ts")->as_int() == 500000);
  CHECK(remote->find("tid")->as_int() == 0);
  CHECK(slice(trace, "Up") == nullptr);  // nothing happened to it

  JsonValue record = parse(recorder.last_build_json(130));
  CHECK(record.find("interrupted")->as_bool());
  CHECK(record.find("version")->as_int() == 2);
  CHECK(task(record, "Up") == nullptr);  // only what did not end up to date is listed
  CHECK(record.find("totals")->find("up_to_date")->as_int() == 1);
  CHECK(record.find("totals")->find("instances")->as_int() == 4);
  CHECK(task(record, "Local")->find("result")->as_string() == "cached-local");
  CHECK(task(record, "Remote")->find("result")->as_string() == "cached-remote");
  CHECK(task(record, "Never")->find("result")->as_string() == "not-started");
  CHECK(record.find("totals")->find("cache_hits")->as_int() == 2);
  CHECK(record.find("totals")->find("warnings")->as_int() == 1);
}

TEST_CASE("failed_in_last_build reads the labels that failed, and nothing from a bad file") {
  char dir_template[] = "/tmp/luisy-unit-recorder.XXXXXX";
  std::string dir = mkdtemp(dir_template);
  CHECK(failed_in_last_build(dir).empty());  // no file
  BuildRecorder recorder({"A", "B"}, [] { return 0.0; });
  recorder.task_finished({"A", "cmd"}, false, 1, "", 0);
  recorder.task_up_to_date({"B", "cmd"});
  luisy::util::write_file_atomic(dir + "/last-build.json", recorder.last_build_json(1));
  CHECK(failed_in_last_build(dir) == std::vector<std::string>{"A"});
  luisy::util::write_file_atomic(dir + "/last-build.json", "{not json");
  CHECK(failed_in_last_build(dir).empty());
  luisy::util::remove_all(dir);
}

TEST_CASE("recorder: labels it was not given are kept, out of order too") {
  BuildRecorder recorder({"A", "B"}, [] { return 0.0; });
  for (int n = 0; n < 100; ++n) {
    std::string label = "extra " + std::to_string(n);  // gone after the event: copied
    recorder.task_finished({label, "cmd"}, true, 0, "", 0);
  }
  recorder.task_up_to_date({"B", "cmd"});
  recorder.task_finished({"extra 7", "cmd"}, false, 3, "", 0);  // found again by label
  JsonValue record = parse(recorder.last_build_json(1));
  CHECK(record.find("totals")->find("instances")->as_int() == 102);
  CHECK(record.find("totals")->find("ran")->as_int() == 99);
  CHECK(task(record, "A")->find("result")->as_string() == "not-started");
  CHECK(task(record, "B") == nullptr);
  CHECK(task(record, "extra 99")->find("result")->as_string() == "ran");
  CHECK(task(record, "extra 7")->find("exit_code")->as_int() == 3);
}

TEST_CASE("recorder: without a trace, the same last-build record and no task slices") {
  auto replay = [](BuildRecorder& recorder, double& now) {
    recorder.task_started({"A", "cmd a"});
    now = 2;
    recorder.task_finished({"A", "cmd a"}, true, 0, "", 2);
    recorder.task_cached({"B", "cmd b", "remote", 0.5}, "remote");
    recorder.warning("careful");
    recorder.build_finished({});
  };
  double now_traced = 0, now_plain = 0;
  BuildRecorder traced({"A", "B"}, [&] { return now_traced; });
  BuildRecorder plain({"A", "B"}, [&] { return now_plain; }, false);
  replay(traced, now_traced);
  replay(plain, now_plain);
  std::string record = plain.last_build_json(0);
  CHECK(record == traced.last_build_json(0));
  CHECK(record.find("\"warnings\": 1") != std::string::npos);
  CHECK(slice(parse(traced.trace_json()), "A"));
  JsonValue trace = parse(plain.trace_json());
  CHECK_FALSE(slice(trace, "A"));
  CHECK(slice(trace, "build"));
}
