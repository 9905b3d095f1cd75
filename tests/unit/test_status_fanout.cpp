#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "luisy/status/fanout_status.h"

using namespace luisy::status;

namespace {

// Writes down every event it gets, as one word each.
class Journal final : public Status {
 public:
  std::vector<std::string> events;
  void build_started(size_t) override { events.push_back("build_started"); }
  void set_total(size_t) override { events.push_back("set_total"); }
  void task_started(const TaskEvent& t) override { events.push_back("started " + t.label); }
  void task_finished(const TaskEvent& t, bool ok, int, const std::string&, double) override {
    events.push_back((ok ? "finished " : "failed ") + t.label);
  }
  void task_cached(const TaskEvent& t, const std::string&) override {
    events.push_back("cached " + t.label + " " + t.source);
  }
  void task_up_to_date(const TaskEvent& t) override { events.push_back("up_to_date " + t.label); }
  void task_skipped(const TaskEvent& t) override { events.push_back("skipped " + t.label); }
  void transfer_finished(const TransferEvent& t) override {
    events.push_back("transfer " + t.path);
  }
  void info(const std::string& m) override { events.push_back("info " + m); }
  void warning(const std::string& m) override { events.push_back("warning " + m); }
  void build_finished(const BuildSummary&) override { events.push_back("build_finished"); }
};

// Implements only what every Status must: the new events are no-ops by default.
class Minimal final : public Status {
 public:
  void build_started(size_t) override {}
  void set_total(size_t) override {}
  void task_started(const TaskEvent&) override {}
  void task_finished(const TaskEvent&, bool, int, const std::string&, double) override {}
  void task_cached(const TaskEvent&, const std::string&) override {}
  void info(const std::string&) override {}
  void warning(const std::string&) override {}
  void build_finished(const BuildSummary&) override {}
};

}  // namespace

TEST_CASE("fanout: every event reaches every target, in order") {
  Journal first, second;
  Minimal minimal;
  FanoutStatus fanout({&first, &minimal, &second});
  fanout.build_started(3);
  fanout.set_total(2);
  fanout.task_started({"A", "cmd"});
  fanout.task_finished({"A", "cmd"}, true, 0, "", 1);
  fanout.task_finished({"B", "cmd"}, false, 2, "", 1);
  fanout.task_cached(TaskEvent("C", "cmd", "remote", 0.5), "cache");
  fanout.task_up_to_date({"D", "cmd"});
  fanout.task_skipped({"E", "cmd"});
  TransferEvent transfer;
  transfer.path = "out.txt";
  fanout.transfer_finished(transfer);
  fanout.info("hello");
  fanout.warning("careful");
  fanout.build_finished({});
  std::vector<std::string> expected = {"build_started", "set_total",       "started A",
                                       "finished A",    "failed B",        "cached C remote",
                                       "up_to_date D",  "skipped E",       "transfer out.txt",
                                       "info hello",    "warning careful", "build_finished"};
  CHECK(first.events == expected);
  CHECK(second.events == expected);
}
