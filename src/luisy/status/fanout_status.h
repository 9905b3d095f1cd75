#pragma once
// A Status that forwards every event to several others, in order: the console or the JSON
// log for the user, and the recorder behind --trace and .luisy/last-build.json.
#include <vector>

#include "luisy/status/status.h"

namespace luisy::status {

class FanoutStatus final : public Status {
 public:
  // The targets are not owned and must outlive the fan-out.
  explicit FanoutStatus(std::vector<Status*> targets) : targets_(std::move(targets)) {}

  void build_started(size_t total) override;
  void set_total(size_t total) override;
  void task_started(const TaskEvent& task) override;
  void task_finished(const TaskEvent& task, bool success, int exit_code, const std::string& output,
                     double seconds) override;
  void task_cached(const TaskEvent& task, const std::string& where) override;
  void task_up_to_date(const TaskEvent& task) override;
  void task_skipped(const TaskEvent& task) override;
  void transfer_finished(const TransferEvent& transfer) override;
  void info(const std::string& message) override;
  void warning(const std::string& message) override;
  void build_finished(const BuildSummary& summary) override;

 private:
  std::vector<Status*> targets_;
};

}  // namespace luisy::status
