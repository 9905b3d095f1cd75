#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "luisy/status/json_log_status.h"
#include "luisy/util/json.h"
#include "luisy/util/strings.h"

using namespace luisy::status;
using luisy::util::JsonValue;

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

// Every line of `text` parsed as one JSON object (a CHECK fails for a line that is not).
std::vector<JsonValue> parse_lines(const std::string& text) {
  std::vector<JsonValue> events;
  for (const auto& line : luisy::util::split(text, '\n')) {
    if (line.empty()) continue;
    std::string error;
    auto value = luisy::util::parse_json(line, &error);
    CHECK_MESSAGE(value.has_value(), line, ": ", error);
    if (value) events.push_back(std::move(*value));
  }
  return events;
}

std::string field(const JsonValue& e, const char* name) {
  const JsonValue* v = e.find(name);
  return v && v->is_string() ? v->as_string() : std::string();
}

double number(const JsonValue& e, const char* name) {
  const JsonValue* v = e.find(name);
  return v && v->is_number() ? v->as_double() : -1;
}

const TaskEvent kClean{"Clean(year=2024)", "python3 clean.py in.csv out.csv"};

}  // namespace

TEST_CASE("json log: one object per line, in the order of the events") {
  Capture out, err;
  double now = 100;
  auto status = make_json_log_status(out.file, err.file, [&] { return now; });
  status->build_started(2);
  now = 100.25;
  status->task_started(kClean);
  status->set_total(1);
  now = 101.5;
  status->task_finished(kClean, true, 0, "cleaned 10 rows\n", 1.25);
  BuildSummary summary;
  summary.ran = 1;
  summary.up_to_date = 1;
  summary.seconds = 1.5;
  summary.bytes_up = 42;
  status->build_finished(summary);

  std::vector<JsonValue> events = parse_lines(out.text());
  REQUIRE(events.size() == 4);  // set_total writes nothing
  CHECK(field(events[0], "event") == "build_started");
  CHECK(number(events[0], "total") == 2);
  CHECK(number(events[0], "time") == 0);
  CHECK(field(events[1], "event") == "task_started");
  CHECK(field(events[1], "label") == "Clean(year=2024)");
  CHECK(field(events[1], "command") == "python3 clean.py in.csv out.csv");
  CHECK(number(events[1], "time") == 0.25);
  CHECK(field(events[2], "event") == "task_finished");
  CHECK(field(events[2], "output") == "cleaned 10 rows\n");
  CHECK(number(events[2], "exit_code") == 0);
  CHECK(number(events[2], "seconds") == 1.25);
  CHECK(field(events[3], "event") == "build_finished");
  CHECK(number(events[3], "ran") == 1);
  CHECK(number(events[3], "up_to_date") == 1);
  CHECK(number(events[3], "bytes_up") == 42);
  CHECK(events[3].find("interrupted")->as_bool() == false);
  CHECK(err.text().empty());
  CHECK(out.text().find('\x1b') == std::string::npos);
  CHECK(out.text().find('\r') == std::string::npos);
}

TEST_CASE("json log: failures, cache hits, skips and transfers") {
  Capture out, err;
  auto status = make_json_log_status(out.file, err.file, [] { return 0.0; });
  status->task_finished(kClean, false, 137, "", 2);
  status->task_cached(TaskEvent("Report", "cmd", "remote", 0.5), "cache");
  status->task_skipped(TaskEvent("After", "cmd"));
  TransferEvent t;
  t.upload = true;
  t.label = "Report";
  t.path = "data/report.txt";
  t.bytes = 1234;
  t.seconds = 0.125;
  t.ok = false;
  t.error = "HTTP 503";
  status->transfer_finished(t);
  status->task_up_to_date(kClean);  // not an event of the log

  std::vector<JsonValue> events = parse_lines(out.text());
  REQUIRE(events.size() == 4);
  CHECK(field(events[0], "event") == "task_failed");
  CHECK(number(events[0], "exit_code") == 137);
  CHECK(field(events[1], "event") == "task_cached");
  CHECK(field(events[1], "from") == "remote");
  CHECK(number(events[1], "seconds") == 0.5);
  CHECK(field(events[2], "event") == "task_skipped");
  CHECK(field(events[2], "label") == "After");
  CHECK(field(events[3], "event") == "transfer_done");
  CHECK(field(events[3], "direction") == "upload");
  CHECK(field(events[3], "path") == "data/report.txt");
  CHECK(number(events[3], "bytes") == 1234);
  CHECK(events[3].find("ok")->as_bool() == false);
  CHECK(field(events[3], "error") == "HTTP 503");
}

TEST_CASE("json log: warnings are events and also lines on stderr; info is an event") {
  Capture out, err;
  auto status = make_json_log_status(out.file, err.file, [] { return 0.0; });
  status->info("checking 3 results against the remote...");
  status->warning("remote cache failed: timeout");
  std::vector<JsonValue> events = parse_lines(out.text());
  REQUIRE(events.size() == 2);
  CHECK(field(events[0], "event") == "info");
  CHECK(field(events[1], "event") == "warning");
  CHECK(field(events[1], "message") == "remote cache failed: timeout");
  CHECK(err.text() == "luisy: warning: remote cache failed: timeout\n");
}

TEST_CASE(
    "json log: output with newlines, quotes, control bytes and invalid UTF-8 stays one valid "
    "line") {
  Capture out, err;
  auto status = make_json_log_status(out.file, err.file, [] { return 0.0; });
  std::string output = "line \"one\"\n\ttwo\x01\xff\xc3\xa9\n";
  status->task_finished(kClean, true, 0, output, 0);
  std::string text = out.text();
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  std::vector<JsonValue> events = parse_lines(text);
  REQUIRE(events.size() == 1);
  CHECK(field(events[0], "output") == "line \"one\"\n\ttwo\x01\xef\xbf\xbd\xc3\xa9\n");
}

TEST_CASE("valid_utf8 keeps valid text and replaces each bad byte") {
  CHECK(valid_utf8("plain ascii") == "plain ascii");
  CHECK(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(valid_utf8("\xff") == "\xef\xbf\xbd");
  CHECK(valid_utf8("a\xc3") == "a\xef\xbf\xbd");                // truncated sequence
  CHECK(valid_utf8("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
  CHECK(valid_utf8("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
  CHECK(valid_utf8(std::string("a\0b", 3)) == std::string("a\0b", 3));
}
