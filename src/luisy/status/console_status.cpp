// The console Status: Ninja's status line on a smart terminal, plain lines elsewhere.
#include "luisy/status/console_status.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "luisy/status/line_printer.h"
#include "luisy/util/strings.h"

namespace luisy::status {

namespace {

std::string plural(size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string format_summary(const BuildSummary& s) {
  std::string prefix = s.interrupted ? "luisy: interrupted: " : "luisy: ";
  if (!s.interrupted && s.ran == 0 && s.failed == 0 && s.cached == 0)
    return "luisy: no work to do.\n";
  std::string text = prefix + plural(s.ran, "task ran", "tasks ran");
  if (s.up_to_date) text += fmt::format(", {} up to date", s.up_to_date);
  if (s.cached) text += fmt::format(", {} from cache", s.cached);
  if (s.skipped) text += fmt::format(", {} skipped", s.skipped);
  if (s.failed) text += fmt::format(", {} failed", s.failed);
  text += fmt::format(" in {}\n", util::format_duration(s.seconds));
  return text;
}

class ConsoleStatus final : public Status {
 public:
  ConsoleStatus(const ConsoleOptions& options, FILE* out, FILE* err, size_t width)
      : printer_(out, options.smart_terminal, width), err_(err), verbose_(options.verbose) {}

  void build_started(size_t total) override {
    total_ = total;
    started_ = finished_ = 0;
    running_.clear();
  }

  void set_total(size_t total) override {
    total_ = total;
    if (!running_.empty()) printer_.set_status(status_line(running_.back()));
  }

  void task_started(const TaskEvent& task) override {
    ++started_;
    running_.push_back(task.label);
    std::string status = status_line(task.label);
    if (verbose_) {
      printer_.set_status(status, false);
      printer_.print_block(
          fmt::format("[{}/{}] {}: {}", started_, total_, task.label, task.command));
    } else {
      printer_.set_status(status);
    }
  }

  void task_finished(const TaskEvent& task, bool success, int exit_code, const std::string& output,
                     double /*seconds*/) override {
    ++finished_;
    forget_running(task.label);
    if (!success) {
      report_failure(task, exit_code, output);
      return;
    }
    std::string block;
    if (!printer_.smart_terminal() || !output.empty()) {
      block = fmt::format("[{}/{}] {}\n{}", finished_, total_, task.label, output);
    }
    show(status_line(task.label), block);
  }

  void task_cached(const TaskEvent& task, const std::string& where) override {
    ++finished_;
    forget_running(task.label);
    std::string line = fmt::format("{} (from {})", task.label, where);
    show(status_line(line), printer_.smart_terminal() ? std::string() : status_line(line));
  }

  void info(const std::string& message) override {
    printer_.print_block(fmt::format("luisy: {}", message));
  }

  void warning(const std::string& message) override {
    printer_.clear_status();
    std::string text = fmt::format("luisy: warning: {}\n", message);
    std::fwrite(text.data(), 1, text.size(), err_);
    std::fflush(err_);
    printer_.redraw_status();
  }

  void build_finished(const BuildSummary& summary) override {
    printer_.finish_line();
    printer_.print_block(format_summary(summary));
  }

 private:
  // "[finished/total] label" of the most recently started task that still runs, else of
  // `fallback` (the task that just finished).
  std::string status_line(const std::string& fallback) const {
    return fmt::format("[{}/{}] {}", finished_, total_,
                       running_.empty() ? fallback : running_.back());
  }

  // On stderr, so that under make the failure sits next to make's own "Error 1" line: the
  // first line names the task and the command, then the command's output whole.
  void report_failure(const TaskEvent& task, int exit_code, const std::string& output) {
    std::string text = fmt::format("luisy: FAILED: {}: {}\n{}", task.label, task.command, output);
    if (text.back() != '\n') text += '\n';
    // Without output the exit code is the only clue (137 after the OOM killer, say).
    if (output.empty() && exit_code != 0) text += fmt::format("(exit code {})\n", exit_code);
    printer_.set_status(status_line(task.label), false);
    printer_.clear_status();
    std::fwrite(text.data(), 1, text.size(), err_);
    std::fflush(err_);
    printer_.redraw_status();
  }

  // Sets the status line and prints `block` (if any) above it, in one write.
  void show(const std::string& status, const std::string& block) {
    if (block.empty()) {
      printer_.set_status(status);
    } else {
      printer_.set_status(status, false);
      printer_.print_block(block);
    }
  }

  void forget_running(const std::string& label) {
    auto it = std::find(running_.rbegin(), running_.rend(), label);
    if (it != running_.rend()) running_.erase(std::next(it).base());
  }

  LinePrinter printer_;
  FILE* err_;
  bool verbose_;
  size_t total_ = 0, started_ = 0, finished_ = 0;
  std::vector<std::string> running_;  // labels in the order they started
};

}  // namespace

std::unique_ptr<Status> make_console_status(const ConsoleOptions& options, FILE* out, FILE* err,
                                            size_t width) {
  return std::make_unique<ConsoleStatus>(options, out, err, width);
}

std::unique_ptr<Status> make_console_status(const ConsoleOptions& options) {
  return make_console_status(options, stdout, stderr, 0);
}

bool stdout_is_smart_terminal() {
  if (!isatty(STDOUT_FILENO)) return false;
  const char* term = std::getenv("TERM");
  return term != nullptr && *term != '\0' && std::strcmp(term, "dumb") != 0;
}

}  // namespace luisy::status
