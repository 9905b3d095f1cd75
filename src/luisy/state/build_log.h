#pragma once
// .luisy/log: per task instance, the key it was last built with and its output digests.
// Append-only records with a length and checksum each, so a crash at any instant leaves at
// most a torn last record, which loading ignores. Compacted when mostly superseded.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "luisy/util/digest.h"

namespace luisy::state {

struct OutputRecord {
  std::string path;  // workspace-relative; a directory output ends in '/'
  util::Digest digest;
  uint64_t size = 0;
  uint32_t mode = 0;
};

struct TaskRecord {
  std::string label;  // "Clean(year=2024)"
  util::Digest key;
  std::vector<OutputRecord> outputs;
  // hash::serialize_preimage of the key: set `preimage` (on a record you build), read
  // preimage_text(). A record loaded from the log leaves it undecoded, a view into the
  // file's bytes (kept alive by log_bytes): only a changed key, explain and an upload read
  // it, and copying 10,000 of them cost a 10,000-task no-op some 6% of its time.
  std::string preimage;
  std::shared_ptr<const std::string> log_bytes;
  std::string_view logged_preimage;
  std::string_view preimage_text() const { return log_bytes ? logged_preimage : preimage; }
  double seconds = 0;       // how long the command ran
  int64_t finished_at = 0;  // unix seconds
  bool materialized = true; // false: resolved from a remote record, files never fetched
};

class BuildLog {
 public:
  // Loads `<state_dir>/log` (missing: empty). A torn or corrupt tail is dropped and
  // truncated away on the next write. Throws Error if the file exists but has a header
  // from another version: the message says to delete .luisy/.
  static BuildLog open(const std::string& state_dir);
  BuildLog(BuildLog&&) noexcept;
  BuildLog& operator=(BuildLog&&) noexcept;
  ~BuildLog();

  const TaskRecord* find(const std::string& label) const;
  const std::unordered_map<std::string, TaskRecord>& records() const { return records_; }

  // Appends a record (write(2), no fsync: enough for kill -9; flush() syncs) and keeps it.
  void record(TaskRecord record);
  // Appends a tombstone: the label has no valid result any more.
  void forget(const std::string& label);
  // fsyncs; rewrites the file compactly when most of it is superseded records.
  void flush();

 private:
  BuildLog();
  struct File;
  std::unique_ptr<File> file_;
  std::unordered_map<std::string, TaskRecord> records_;
  size_t records_in_file_ = 0;
};

}  // namespace luisy::state
