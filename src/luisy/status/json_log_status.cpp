// --log-format json: one compact JSON object per line and per event.
#include "luisy/status/json_log_status.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "luisy/util/json.h"

namespace luisy::status {

namespace {

using util::JsonValue;

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Milliseconds are enough for a log, and keep the lines short.
JsonValue seconds_value(double seconds) {
  return JsonValue::number(std::round(seconds * 1000) / 1000);
}

JsonValue text(std::string_view s) {
  return JsonValue::string(valid_utf8(s));
}

class JsonLogStatus final : public Status {
 public:
  JsonLogStatus(FILE* out, FILE* err, std::function<double()> clock)
      : out_(out),
        err_(err),
        clock_(clock ? std::move(clock) : steady_seconds),
        origin_(clock_()) {}

  void build_started(size_t total) override {
    JsonValue e = event("build_started");
    e.set("total", JsonValue::integer(static_cast<int64_t>(total)));
    emit(e);
  }

  void set_total(size_t) override {}  // a progress detail; the events say what happened

  void task_started(const TaskEvent& task) override {
    JsonValue e = event("task_started");
    e.set("label", text(task.label));
    e.set("command", text(task.command));
    emit(e);
  }

  void task_finished(const TaskEvent& task, bool success, int exit_code, const std::string& output,
                     double seconds) override {
    JsonValue e = event(success ? "task_finished" : "task_failed");
    e.set("label", text(task.label));
    e.set("command", text(task.command));
    e.set("exit_code", JsonValue::integer(exit_code));
    e.set("seconds", seconds_value(seconds));
    e.set("output", text(output));
    emit(e);
  }

  void task_cached(const TaskEvent& task, const std::string& where) override {
    JsonValue e = event("task_cached");
    e.set("label", text(task.label));
    e.set("from", text(task.source));
    e.set("where", text(where));
    e.set("seconds", seconds_value(task.seconds));
    emit(e);
  }

  void task_skipped(const TaskEvent& task) override {
    JsonValue e = event("task_skipped");
    e.set("label", text(task.label));
    emit(e);
  }

  void transfer_finished(const TransferEvent& t) override {
    JsonValue e = event("transfer_done");
    e.set("direction", JsonValue::string(t.upload ? "upload" : "download"));
    e.set("label", text(t.label));
    e.set("path", text(t.path));
    e.set("bytes", JsonValue::integer(static_cast<int64_t>(t.bytes)));
    e.set("seconds", seconds_value(t.seconds));
    e.set("ok", JsonValue::boolean(t.ok));
    if (!t.ok) e.set("error", text(t.error));
    emit(e);
  }

  void info(const std::string& message) override {
    JsonValue e = event("info");
    e.set("message", text(message));
    emit(e);
  }

  void warning(const std::string& message) override {
    JsonValue e = event("warning");
    e.set("message", text(message));
    emit(e);
    std::string line = fmt::format("luisy: warning: {}\n", message);
    std::fwrite(line.data(), 1, line.size(), err_);
    std::fflush(err_);
  }

  void build_finished(const BuildSummary& s) override {
    JsonValue e = event("build_finished");
    auto count = [](size_t n) { return JsonValue::integer(static_cast<int64_t>(n)); };
    e.set("ran", count(s.ran));
    e.set("up_to_date", count(s.up_to_date));
    e.set("cached", count(s.cached));
    e.set("skipped", count(s.skipped));
    e.set("failed", count(s.failed));
    e.set("seconds", seconds_value(s.seconds));
    e.set("interrupted", JsonValue::boolean(s.interrupted));
    e.set("bytes_down", JsonValue::integer(static_cast<int64_t>(s.bytes_down)));
    e.set("bytes_up", JsonValue::integer(static_cast<int64_t>(s.bytes_up)));
    emit(e);
  }

 private:
  JsonValue event(const char* name) {
    JsonValue e = JsonValue::object();
    e.set("event", JsonValue::string(name));
    e.set("time", seconds_value(clock_() - origin_));
    return e;
  }

  // One write per line, flushed, so a CI runner reading the pipe sees whole lines at once.
  void emit(const JsonValue& e) {
    std::string line = util::to_json(e) + "\n";
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
  }

  FILE* out_;
  FILE* err_;
  std::function<double()> clock_;
  double origin_;
};

// The length of the valid UTF-8 sequence at the start of `s`, or 0 if it is not one.
size_t utf8_sequence(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = byte(0);
  if (c < 0x80) return 1;
  size_t length;
  uint32_t code;
  if (c >= 0xc2 && c <= 0xdf)
    length = 2, code = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    length = 3, code = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    length = 4, code = c & 0x07;
  else
    return 0;
  if (s.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3f);
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
  if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10ffff ||
      (code >= 0xd800 && code <= 0xdfff))
    return 0;
  return length;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    size_t n = utf8_sequence(text);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      n = 1;
    } else {
      out.append(text.data(), n);
    }
    text.remove_prefix(n);
  }
  return out;
}

std::unique_ptr<Status> make_json_log_status(FILE* out, FILE* err, std::function<double()> clock) {
  return std::make_unique<JsonLogStatus>(out, err, std::move(clock));
}

}  // namespace luisy::status
