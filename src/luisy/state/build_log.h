#pragma once
// .luisy/log: per task instance, the key it was last built with and its output digests.
// Append-only records with a length and checksum each, so a crash at any instant leaves at
// most a torn last record, which loading ignores. Compacted when mostly superseded.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  // preimage_text(). A record in the log, loaded or recorded, keeps it as a view into the
  // log's mapped file (only a changed key, explain and an upload read it; copying 10,000 of
  // them cost a 10,000-task no-op some 6% of its time, and holding them a full build of
  // 100,000 tasks 29 MB). A copy takes the text with it, so that it may outlive the log; a
  // move keeps the view.
  std::string preimage;
  std::string_view logged_preimage;
  std::string_view preimage_text() const { return preimage_in_log ? logged_preimage : preimage; }
  double seconds = 0;       // how long the command ran
  int64_t finished_at = 0;  // unix seconds
  bool materialized = true; // false: resolved from a remote record, files never fetched
  bool preimage_in_log = false;

  TaskRecord() = default;
  TaskRecord(TaskRecord&&) noexcept = default;
  TaskRecord& operator=(TaskRecord&&) noexcept = default;
  TaskRecord(const TaskRecord& other) { *this = other; }
  TaskRecord& operator=(const TaskRecord& other) {
    if (this == &other) return *this;
    label = other.label;
    key = other.key;
    outputs = other.outputs;
    preimage = std::string(other.preimage_text());
    logged_preimage = {};
    seconds = other.seconds;
    finished_at = other.finished_at;
    materialized = other.materialized;
    preimage_in_log = false;
    return *this;
  }
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

  // The label's record, or null. The pointer stays valid while the log lives: recording
  // the label again updates the record in place, forget() empties it.
  const TaskRecord* find(std::string_view label) const;
  // Every label's record, in the order the labels were first seen.
  std::vector<const TaskRecord*> records() const;
  bool empty() const { return live_count_ == 0; }

  // Appends a record (write(2), no fsync: enough for kill -9; flush() syncs) and keeps it.
  void record(TaskRecord record);
  // Appends a tombstone: the label has no valid result any more.
  void forget(std::string_view label);
  // fsyncs; rewrites the file compactly when most of it is superseded records.
  void flush();

 private:
  BuildLog();
  // Where `label` is or would go in index_.
  size_t slot_of(std::string_view label, size_t hash) const;
  TaskRecord& add(TaskRecord record);  // a label not in the log yet
  void grow_index();
  void drop(size_t record);  // forgotten: its label stays, the rest goes
  TaskRecord& at(size_t i) const { return chunks_[i / kChunk][i % kChunk]; }

  struct File;
  std::unique_ptr<File> file_;
  // Records in fixed-size chunks, so that pointers to them survive later additions. A
  // forgotten label keeps its place (and its slot in index_) with live_ false.
  static constexpr size_t kChunk = 1024;
  std::vector<std::unique_ptr<TaskRecord[]>> chunks_;
  std::vector<bool> live_;
  size_t count_ = 0, live_count_ = 0;
  // Open addressing over the labels: per slot, 0 (empty) or the record's index + 1 in the
  // low half and the label's hash in the high half. One array of 8-byte slots, probed
  // linearly: a lookup is a cache miss or two, not a walk through hash-map nodes.
  std::vector<uint64_t> index_;
  size_t records_in_file_ = 0;
};

}  // namespace luisy::state
