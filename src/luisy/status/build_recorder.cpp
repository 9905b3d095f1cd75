// The recorder behind --trace and .luisy/last-build.json.
#include "luisy/status/build_recorder.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iterator>

#include "luisy/util/fs.h"
#include "luisy/util/json.h"
#include "luisy/util/strings.h"

namespace luisy::status {

namespace {

using util::JsonValue;

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

JsonValue micros(double seconds) {
  return JsonValue::integer(std::llround(std::max(0.0, seconds) * 1e6));
}
JsonValue millis(double seconds) {
  return JsonValue::number(std::round(std::max(0.0, seconds) * 1000) / 1000);
}
JsonValue count(uint64_t n) {
  return JsonValue::integer(static_cast<int64_t>(n));
}

JsonValue metadata(const char* name, int pid, int tid, const std::string& value) {
  JsonValue e = JsonValue::object();
  e.set("name", JsonValue::string(name));
  e.set("ph", JsonValue::string("M"));
  e.set("pid", JsonValue::integer(pid));
  e.set("tid", JsonValue::integer(tid));
  JsonValue args = JsonValue::object();
  args.set("name", JsonValue::string(value));
  e.set("args", std::move(args));
  return e;
}

}  // namespace

BuildRecorder::BuildRecorder(std::vector<std::string_view> instances, std::function<double()> clock,
                             bool trace)
    : clock_(clock ? std::move(clock) : steady_seconds),
      origin_(clock_()),
      started_at_(static_cast<int64_t>(std::time(nullptr))),
      trace_(trace) {
  // The label index is built on the first event that does not come in graph order.
  instances_.resize(instances.size());
  for (size_t i = 0; i < instances.size(); ++i) instances_[i].label = instances[i];
}

BuildRecorder::~BuildRecorder() = default;

double BuildRecorder::now() const {
  return clock_() - origin_;
}

BuildRecorder::Instance& BuildRecorder::instance(const std::string& label) {
  // Events mostly come in graph order (a no-op build reports every instance once): try the
  // one after the last before the hash map, whose lookups miss the CPU cache at 10,000s.
  if (next_ < instances_.size() && instances_[next_].label == label) return instances_[next_++];
  if (!indexed_) {
    indexed_ = true;
    index_.reserve(instances_.size());
    for (size_t i = 0; i < instances_.size(); ++i) index_.emplace(instances_[i].label, i);
  }
  auto it = index_.find(label);
  if (it == index_.end()) {
    instances_.emplace_back();
    instances_.back().label = extra_labels_.emplace_back(label);
    it = index_.emplace(instances_.back().label, instances_.size() - 1).first;
  }
  next_ = it->second + 1;
  return instances_[it->second];
}

void BuildRecorder::build_started(size_t) {}

void BuildRecorder::task_started(const TaskEvent& task) {
  Instance& i = instance(task.label);
  i.start = now();
  i.result = "running";
  size_t lane = 0;
  while (lane < job_lanes_.size() && job_lanes_[lane]) ++lane;
  if (lane == job_lanes_.size()) job_lanes_.push_back(false);
  job_lanes_[lane] = true;
  running_lane_[task.label] = lane;
}

void BuildRecorder::task_finished(const TaskEvent& task, bool success, int exit_code,
                                  const std::string&, double seconds) {
  Instance& i = instance(task.label);
  double end = now();
  int tid = 0;
  auto lane = running_lane_.find(task.label);
  if (lane != running_lane_.end() && i.start >= 0) {
    job_lanes_[lane->second] = false;
    tid = static_cast<int>(lane->second) + 1;
    running_lane_.erase(lane);
  } else {
    i.start = std::max(0.0, end - seconds);  // failed before it could start (a bad input, say)
  }
  i.seconds = end - i.start;
  i.result = success ? "ran" : "failed";
  i.exit_code = exit_code;
  i.has_exit_code = true;
  if (!trace_) return;
  Slice slice;
  slice.name = task.label;
  slice.category = success ? "task" : "task,failed";
  slice.tid = tid;
  slice.start = i.start;
  slice.seconds = i.seconds;
  slice.args = {
      {"label", task.label}, {"command", task.command}, {"result", std::string(i.result)}};
  slice.numbers = {{"exit_code", exit_code}};
  slices_.push_back(std::move(slice));
}

void BuildRecorder::task_cached(const TaskEvent& task, const std::string& where) {
  Instance& i = instance(task.label);
  double end = now();
  i.start = std::max(0.0, end - task.seconds);
  i.seconds = end - i.start;
  i.result = task.source == "remote" ? "cached-remote" : "cached-local";
  i.has_exit_code = false;
  if (!trace_) return;
  Slice slice;
  slice.name = task.label;
  slice.category = "cached";
  slice.start = i.start;
  slice.seconds = i.seconds;
  slice.args = {{"label", task.label}, {"result", std::string(i.result)}, {"where", where}};
  slices_.push_back(std::move(slice));
}

void BuildRecorder::task_up_to_date(const TaskEvent& task) {
  Instance& i = instance(task.label);
  i.result = "up-to-date";
  i.start = -1;
  i.seconds = 0;
  i.has_exit_code = false;
}

void BuildRecorder::task_skipped(const TaskEvent& task) {
  Instance& i = instance(task.label);
  i.result = "skipped";
  i.start = -1;
  i.seconds = 0;
  i.has_exit_code = false;
}

void BuildRecorder::transfer_finished(const TransferEvent& t) {
  double end = now();
  double start = std::max(0.0, end - t.seconds);
  // The lowest lane that is free again by the time this transfer began.
  size_t lane = 0;
  while (lane < transfer_lanes_.size() && transfer_lanes_[lane] > start + 1e-6) ++lane;
  if (lane == transfer_lanes_.size()) transfer_lanes_.push_back(0);
  transfer_lanes_[lane] = end;
  if (!trace_) return;
  Slice slice;
  slice.name = t.path.empty() ? "record" : t.path;
  if (!t.label.empty()) slice.name = t.label + ": " + slice.name;
  slice.category = t.upload ? "upload" : "download";
  slice.pid = 2;
  slice.tid = static_cast<int>(lane) + 1;
  slice.start = start;
  slice.seconds = end - start;
  slice.args = {{"label", t.label}, {"path", t.path}, {"result", t.ok ? "ok" : "failed"}};
  if (!t.ok) slice.args.push_back({"error", t.error});
  slice.numbers = {{"bytes", static_cast<int64_t>(t.bytes)}};
  slices_.push_back(std::move(slice));
}

void BuildRecorder::warning(const std::string& message) {
  ++warnings_;
  if (!trace_) return;
  Slice slice;
  slice.name = "warning";
  slice.category = "warning";
  slice.start = now();
  slice.instant = true;
  slice.args = {{"message", message}};
  slices_.push_back(std::move(slice));
}

void BuildRecorder::build_finished(const BuildSummary& summary) {
  summary_ = summary;
  finished_ = true;
  finished_at_ = now();
}

std::string BuildRecorder::trace_json() const {
  double end = finished_ ? finished_at_ : now();
  JsonValue events = JsonValue::array();
  events.push(metadata("process_name", 1, 0, "luisy build"));
  events.push(metadata("thread_name", 1, 0, "luisy"));
  for (size_t lane = 0; lane < job_lanes_.size(); ++lane)
    events.push(
        metadata("thread_name", 1, static_cast<int>(lane) + 1, "job " + std::to_string(lane + 1)));
  if (!transfer_lanes_.empty()) events.push(metadata("process_name", 2, 0, "transfers"));
  for (size_t lane = 0; lane < transfer_lanes_.size(); ++lane)
    events.push(metadata("thread_name", 2, static_cast<int>(lane) + 1,
                         "transfer " + std::to_string(lane + 1)));

  auto to_event = [](const Slice& s) {
    JsonValue e = JsonValue::object();
    e.set("name", JsonValue::string(s.name));
    e.set("cat", JsonValue::string(s.category));
    e.set("ph", JsonValue::string(s.instant ? "i" : "X"));
    e.set("ts", micros(s.start));
    if (s.instant)
      e.set("s", JsonValue::string("t"));
    else
      e.set("dur", micros(s.seconds));
    e.set("pid", JsonValue::integer(s.pid));
    e.set("tid", JsonValue::integer(s.tid));
    JsonValue args = JsonValue::object();
    for (const auto& [name, value] : s.args) args.set(name, JsonValue::string(value));
    for (const auto& [name, value] : s.numbers) args.set(name, JsonValue::integer(value));
    e.set("args", std::move(args));
    return e;
  };
  Slice build;
  build.name = "build";
  build.category = "build";
  build.seconds = end;
  build.numbers = {{"ran", static_cast<int64_t>(summary_.ran)},
                   {"up_to_date", static_cast<int64_t>(summary_.up_to_date)},
                   {"cached", static_cast<int64_t>(summary_.cached)},
                   {"failed", static_cast<int64_t>(summary_.failed)},
                   {"skipped", static_cast<int64_t>(summary_.skipped)},
                   {"bytes_down", static_cast<int64_t>(summary_.bytes_down)},
                   {"bytes_up", static_cast<int64_t>(summary_.bytes_up)}};
  if (summary_.interrupted || !finished_) build.args = {{"result", "interrupted"}};
  events.push(to_event(build));
  for (const Slice& s : slices_) events.push(to_event(s));

  JsonValue trace = JsonValue::object();
  trace.set("traceEvents", std::move(events));
  trace.set("displayTimeUnit", JsonValue::string("ms"));
  return util::to_json(trace) + "\n";
}

std::string BuildRecorder::last_build_json(int exit_code) const {
  double end = finished_ ? finished_at_ : now();
  auto seconds = [](double value) { return std::round(std::max(0.0, value) * 1000) / 1000; };
  // One task per line, written directly, and only those that did not end up to date: every
  // no-op writes this file, and listing 10,000 "up-to-date" lines (500 KB) cost more than the
  // rest of the record (version 2; version 1 listed every instance). The totals count them.
  std::unordered_map<std::string_view, uint64_t> totals;
  fmt::memory_buffer tasks;
  auto out = std::back_inserter(tasks);
  for (const Instance& i : instances_) {
    // A task still "running" here was interrupted or never reported back.
    std::string_view result = i.result == "running" ? "failed" : i.result;
    ++totals[result];
    if (result == "up-to-date") continue;
    fmt::format_to(out, "{}    {{\"label\": \"{}\", \"result\": \"{}\"", tasks.size() ? ",\n" : "",
                   util::json_escape(i.label), result);
    if (i.start >= 0)
      fmt::format_to(out, ", \"start\": {}, \"seconds\": {}", seconds(i.start),
                     seconds(i.result == "running" ? end - i.start : i.seconds));
    if (i.has_exit_code) fmt::format_to(out, ", \"exit_code\": {}", i.exit_code);
    tasks.push_back('}');
  }
  JsonValue total = JsonValue::object();
  total.set("instances", count(instances_.size()));
  for (const char* result :
       {"ran", "up-to-date", "cached-local", "cached-remote", "failed", "skipped", "not-started"}) {
    std::string key = result;  // keys in snake_case, values as in "result"
    std::replace(key.begin(), key.end(), '-', '_');
    total.set(key, count(totals[result]));
  }
  total.set("cache_hits", count(totals["cached-local"] + totals["cached-remote"]));
  total.set("bytes_down", count(summary_.bytes_down));
  total.set("bytes_up", count(summary_.bytes_up));
  total.set("warnings", count(warnings_));

  JsonValue record = JsonValue::object();
  record.set("version", JsonValue::integer(2));
  record.set("started_at", JsonValue::integer(started_at_));
  record.set("seconds", millis(end));
  record.set("exit_code", JsonValue::integer(exit_code));
  record.set("interrupted", JsonValue::boolean(summary_.interrupted || !finished_));
  record.set("totals", std::move(total));
  std::string text = util::to_json(record, 2);
  text.resize(text.size() - 2);  // the closing "\n}"
  bool empty = tasks.size() == 0;
  return fmt::format("{},\n  \"tasks\": [{}{}{}]\n}}\n", text, empty ? "" : "\n",
                     std::string_view(tasks.data(), tasks.size()), empty ? "" : "\n  ");
}

std::vector<std::string> failed_in_last_build(const std::string& state_dir) {
  std::vector<std::string> failed;
  std::optional<std::string> text;
  try {
    text = util::read_file_if_exists(util::join_path(state_dir, "last-build.json"));
  } catch (const std::exception&) {
    return failed;
  }
  if (!text) return failed;
  auto record = util::parse_json(*text, nullptr);
  const JsonValue* tasks = record ? record->find("tasks") : nullptr;
  if (!tasks || !tasks->is_array()) return failed;
  for (const JsonValue& task : tasks->items()) {
    const JsonValue* label = task.find("label");
    const JsonValue* result = task.find("result");
    if (label && label->is_string() && result && result->is_string() &&
        result->as_string() == "failed")
      failed.push_back(label->as_string());
  }
  return failed;
}

}  // namespace luisy::status
