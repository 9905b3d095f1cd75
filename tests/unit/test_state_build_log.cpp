#include <doctest/doctest.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>

#include "luisy/state/build_log.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace {

using luisy::state::BuildLog;
using luisy::state::TaskRecord;
namespace util = luisy::util;

struct LogTempDir {
  std::string path;
  LogTempDir() {
    char pattern[] = "/tmp/luisy_log_XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~LogTempDir() { util::remove_all(path); }
  std::string log() const { return util::join_path(path, "log"); }
};

TaskRecord make_record(const std::string& label, const std::string& version) {
  TaskRecord r;
  r.label = label;
  r.key = util::digest_of(label + version);
  r.outputs.push_back({"data/" + label + ".csv", util::digest_of(version), 1234, 0644});
  r.outputs.push_back({"data/" + label + "_dir/", util::digest_of("dir" + version), 0, 0755});
  r.preimage = "luisy-key 1\ncmd 5:run " + version + "\nend\n";
  r.seconds = 1.25;
  r.finished_at = 1'700'000'000;
  r.materialized = version != "remote";
  return r;
}

void check_same(const TaskRecord* got, const TaskRecord& want) {
  REQUIRE(got != nullptr);
  CHECK(got->label == want.label);
  CHECK(got->key == want.key);
  REQUIRE(got->outputs.size() == want.outputs.size());
  for (size_t i = 0; i < want.outputs.size(); ++i) {
    CHECK(got->outputs[i].path == want.outputs[i].path);
    CHECK(got->outputs[i].digest == want.outputs[i].digest);
    CHECK(got->outputs[i].size == want.outputs[i].size);
    CHECK(got->outputs[i].mode == want.outputs[i].mode);
  }
  CHECK(got->preimage_text() == want.preimage_text());
  CHECK(got->seconds == want.seconds);
  CHECK(got->finished_at == want.finished_at);
  CHECK(got->materialized == want.materialized);
}

uint64_t file_size(const std::string& path) {
  auto st = util::stat_path(path);
  REQUIRE(st);
  return st->size;
}

void append_bytes(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "ab");
  REQUIRE(f != nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

}  // namespace

TEST_CASE("build log: a missing file is an empty log, created on the first write") {
  LogTempDir dir;
  auto log = BuildLog::open(dir.path);
  CHECK(log.records().empty());
  CHECK(log.find("A") == nullptr);
  CHECK_FALSE(util::exists(dir.log()));
  log.flush();
  CHECK_FALSE(util::exists(dir.log()));
  log.record(make_record("A", "1"));
  CHECK(util::exists(dir.log()));
}

TEST_CASE("build log: records survive a reopen, the latest per label wins") {
  LogTempDir dir;
  {
    auto log = BuildLog::open(dir.path);
    log.record(make_record("Clean(year=2024)", "1"));
    log.record(make_record("Report(model=forest)", "remote"));
    log.record(make_record("Clean(year=2024)", "2"));
    check_same(log.find("Clean(year=2024)"), make_record("Clean(year=2024)", "2"));
  }
  auto log = BuildLog::open(dir.path);
  CHECK(log.records().size() == 2);
  check_same(log.find("Clean(year=2024)"), make_record("Clean(year=2024)", "2"));
  check_same(log.find("Report(model=forest)"), make_record("Report(model=forest)", "remote"));
  CHECK_FALSE(log.find("Report(model=forest)")->materialized);
}

TEST_CASE("build log: tombstones") {
  LogTempDir dir;
  {
    auto log = BuildLog::open(dir.path);
    log.record(make_record("A", "1"));
    log.record(make_record("B", "1"));
    log.forget("A");
    log.forget("never-recorded");
    CHECK(log.find("A") == nullptr);
  }
  {
    auto log = BuildLog::open(dir.path);
    CHECK(log.find("A") == nullptr);
    REQUIRE(log.find("B") != nullptr);
    log.record(make_record("A", "3"));
  }
  auto log = BuildLog::open(dir.path);
  check_same(log.find("A"), make_record("A", "3"));
}

TEST_CASE("build log: a torn or corrupt tail keeps what came before") {
  LogTempDir dir;
  {
    auto log = BuildLog::open(dir.path);
    log.record(make_record("A", "1"));
    log.record(make_record("B", "1"));
  }
  const uint64_t two_records = file_size(dir.log());
  {
    auto log = BuildLog::open(dir.path);
    log.record(make_record("C", "1"));
  }
  const uint64_t three_records = file_size(dir.log());

  SUBCASE("truncated last record") {
    REQUIRE(::truncate(dir.log().c_str(), static_cast<off_t>(three_records - 5)) == 0);
  }
  SUBCASE("truncated inside the frame header") {
    REQUIRE(::truncate(dir.log().c_str(), static_cast<off_t>(two_records + 7)) == 0);
  }
  SUBCASE("flipped byte in the last payload") {
    std::string content = util::read_file(dir.log());
    content[content.size() - 10] ^= 0x40;
    util::write_file_atomic(dir.log(), content);
  }
  SUBCASE("garbage after the last record") {
    REQUIRE(::truncate(dir.log().c_str(), static_cast<off_t>(two_records)) == 0);
    append_bytes(dir.log(), std::string("\xff\xff\xff\x7f garbage", 12));
  }

  {
    auto log = BuildLog::open(dir.path);
    CHECK(log.records().size() == 2);
    check_same(log.find("A"), make_record("A", "1"));
    check_same(log.find("B"), make_record("B", "1"));
    CHECK(log.find("C") == nullptr);
    log.record(make_record("D", "1"));  // truncates the bad tail first
  }
  auto log = BuildLog::open(dir.path);
  CHECK(log.records().size() == 3);
  check_same(log.find("D"), make_record("D", "1"));
  CHECK(file_size(dir.log()) == three_records);  // D has the size C had
}

TEST_CASE("build log: a crash while creating the file starts it again") {
  LogTempDir dir;
  append_bytes(dir.log(), "LUISY");
  {
    auto log = BuildLog::open(dir.path);
    CHECK(log.records().empty());
    log.record(make_record("A", "1"));
  }
  CHECK(BuildLog::open(dir.path).find("A") != nullptr);
}

TEST_CASE("build log: another version's file is an error that says what to do") {
  LogTempDir dir;
  SUBCASE("other magic") {
    append_bytes(dir.log(), "# ninja log v5\n1 2 3 out abc\n");
  }
  SUBCASE("other version") {
    append_bytes(dir.log(), std::string("LUISYLOG\x09\0\0\0", 12));
  }
  try {
    BuildLog::open(dir.path);
    FAIL("no exception");
  } catch (const luisy::Error& e) {
    std::string message = e.what();
    CHECK(message.find("another version of luisy") != std::string::npos);
    CHECK(message.find("delete " + dir.path + "/") != std::string::npos);
  }
}

TEST_CASE("build log: flush compacts a mostly superseded file and keeps the live set") {
  LogTempDir dir;
  {
    auto log = BuildLog::open(dir.path);
    for (int round = 0; round < 30; ++round)
      for (int i = 0; i < 50; ++i)
        log.record(make_record(fmt::format("T{}", i), std::to_string(round)));
    log.forget("T7");
    uint64_t before = file_size(dir.log());
    log.flush();
    CHECK(file_size(dir.log()) < before / 10);
    log.record(make_record("late", "1"));  // appends to the new file
    CHECK(log.records().size() == 50);
  }
  auto log = BuildLog::open(dir.path);
  CHECK(log.records().size() == 50);
  CHECK(log.find("T7") == nullptr);
  check_same(log.find("T3"), make_record("T3", "29"));
  check_same(log.find("late"), make_record("late", "1"));
}

TEST_CASE("build log: loaded preimages outlive the log and survive compaction") {
  // A loaded record's preimage is a view into the file's bytes: copies must keep them alive,
  // and compaction must write them back out.
  LogTempDir dir;
  {
    auto log = BuildLog::open(dir.path);
    for (int i = 0; i < 50; ++i) log.record(make_record(fmt::format("T{}", i), "0"));
  }
  std::optional<TaskRecord> copy;
  {
    auto log = BuildLog::open(dir.path);
    copy = *log.find("T3");
    for (int round = 1; round < 30; ++round)
      for (int i = 10; i < 50; ++i)
        log.record(make_record(fmt::format("T{}", i), std::to_string(round)));
    uint64_t before = file_size(dir.log());
    log.flush();
    CHECK(file_size(dir.log()) < before / 5);
  }
  check_same(&*copy, make_record("T3", "0"));
  auto log = BuildLog::open(dir.path);
  CHECK(log.records().size() == 50);
  check_same(log.find("T3"), make_record("T3", "0"));
  check_same(log.find("T42"), make_record("T42", "29"));
}

TEST_CASE("build log: records written in this run view their preimage in the file") {
  // Not a copy in memory (29 MB at 100,000 tasks): a view through a window over the file as
  // appended, which must stay right across a compaction and into the next file.
  LogTempDir dir;
  auto log = BuildLog::open(dir.path);
  for (int round = 0; round < 30; ++round)
    for (int i = 0; i < 50; ++i) log.record(make_record(fmt::format("T{}", i), std::to_string(round)));
  const TaskRecord* t3 = log.find("T3");
  REQUIRE(t3);
  CHECK(t3->preimage_in_log);
  CHECK(t3->preimage.empty());
  check_same(t3, make_record("T3", "29"));
  log.flush();  // compacts: a new file, the old one stays mapped for the views into it
  check_same(log.find("T3"), make_record("T3", "29"));
  log.record(make_record("T3", "30"));
  log.record(make_record("late", "1"));
  check_same(log.find("T3"), make_record("T3", "30"));
  check_same(log.find("late"), make_record("late", "1"));
  TaskRecord copy = *log.find("late");  // a copy takes the text along
  CHECK_FALSE(copy.preimage_in_log);
  check_same(&copy, make_record("late", "1"));
  log.flush();
  auto reopened = BuildLog::open(dir.path);
  check_same(reopened.find("T3"), make_record("T3", "30"));
  check_same(reopened.find("T4"), make_record("T4", "29"));
}

TEST_CASE("build log: flush without superseded records keeps the file") {
  LogTempDir dir;
  auto log = BuildLog::open(dir.path);
  log.record(make_record("A", "1"));
  log.record(make_record("A", "2"));
  uint64_t before = file_size(dir.log());
  log.flush();
  CHECK(file_size(dir.log()) == before);
}

TEST_CASE("build log: pointers to records stay valid while the log grows") {
  LogTempDir dir;
  auto log = BuildLog::open(dir.path);
  log.record(make_record("first", "1"));
  const TaskRecord* first = log.find("first");
  REQUIRE(first != nullptr);
  // Thousands more: new chunks of records and a larger index.
  for (int i = 0; i < 5000; ++i) log.record(make_record(fmt::format("T{}", i), "1"));
  CHECK(log.find("first") == first);
  check_same(first, make_record("first", "1"));
  // Recording a label again updates its record in place.
  log.record(make_record("first", "2"));
  CHECK(log.find("first") == first);
  check_same(first, make_record("first", "2"));
  // A forgotten label is gone until recorded again, in the same place.
  log.forget("T42");
  CHECK(log.find("T42") == nullptr);
  CHECK(log.records().size() == 5000);
  log.record(make_record("T42", "3"));
  check_same(log.find("T42"), make_record("T42", "3"));
  CHECK(log.records().size() == 5001);
  for (int i = 0; i < 5000; i += 499) REQUIRE(log.find(fmt::format("T{}", i)) != nullptr);
  CHECK(log.find("T5000") == nullptr);
}

TEST_CASE("build log: a large log loads every record, with a tombstone and a revival") {
  LogTempDir dir;
  {
    auto log = BuildLog::open(dir.path);
    for (int i = 0; i < 3000; ++i) log.record(make_record(fmt::format("T{}", i), "1"));
    log.forget("T7");
    log.forget("T8");
    log.record(make_record("T8", "2"));
  }
  auto log = BuildLog::open(dir.path);
  CHECK(log.records().size() == 2999);
  CHECK(log.find("T7") == nullptr);
  check_same(log.find("T8"), make_record("T8", "2"));
  check_same(log.find("T2999"), make_record("T2999", "1"));
  // In the order the labels were first recorded.
  std::vector<const TaskRecord*> records = log.records();
  CHECK(records.front()->label == "T0");
  CHECK(records.back()->label == "T2999");
}
