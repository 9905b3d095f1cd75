#include "luisy/status/fanout_status.h"

namespace luisy::status {

void FanoutStatus::build_started(size_t total) {
  for (Status* s : targets_) s->build_started(total);
}

void FanoutStatus::set_total(size_t total) {
  for (Status* s : targets_) s->set_total(total);
}

void FanoutStatus::task_started(const TaskEvent& task) {
  for (Status* s : targets_) s->task_started(task);
}

void FanoutStatus::task_finished(const TaskEvent& task, bool success, int exit_code,
                                 const std::string& output, double seconds) {
  for (Status* s : targets_) s->task_finished(task, success, exit_code, output, seconds);
}

void FanoutStatus::task_cached(const TaskEvent& task, const std::string& where) {
  for (Status* s : targets_) s->task_cached(task, where);
}

void FanoutStatus::task_up_to_date(const TaskEvent& task) {
  for (Status* s : targets_) s->task_up_to_date(task);
}

void FanoutStatus::task_skipped(const TaskEvent& task) {
  for (Status* s : targets_) s->task_skipped(task);
}

void FanoutStatus::transfer_finished(const TransferEvent& transfer) {
  for (Status* s : targets_) s->transfer_finished(transfer);
}

void FanoutStatus::info(const std::string& message) {
  for (Status* s : targets_) s->info(message);
}

void FanoutStatus::warning(const std::string& message) {
  for (Status* s : targets_) s->warning(message);
}

void FanoutStatus::build_finished(const BuildSummary& summary) {
  for (Status* s : targets_) s->build_finished(summary);
}

}  // namespace luisy::status
