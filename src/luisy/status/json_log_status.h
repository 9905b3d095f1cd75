#pragma once
// --log-format json: one JSON object per line on stdout for each event, for CI systems.
// No status line, no escape codes. Warnings are also written to stderr as the console
// writes them, so a CI log that shows only stderr still shows them.
//
// Every line has "event" and "time" (seconds since the status was created), then:
//   build_started  total
//   task_started   label, command
//   task_finished  label, command, exit_code, seconds, output
//   task_failed    label, command, exit_code, seconds, output
//   task_cached    label, from ("local" or "remote"), where, seconds
//   task_skipped   label
//   transfer_done  direction ("download" or "upload"), label, path, bytes, seconds, ok[, error]
//   info, warning  message
//   build_finished ran, up_to_date, cached, skipped, failed, seconds, interrupted,
//                  bytes_down, bytes_up
// Strings are valid UTF-8: bytes of task output that are not become U+FFFD.
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "luisy/status/status.h"

namespace luisy::status {

// `clock` returns monotonic seconds (tests pass a fake); empty means steady_clock.
std::unique_ptr<Status> make_json_log_status(FILE* out, FILE* err,
                                             std::function<double()> clock = {});

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace luisy::status
