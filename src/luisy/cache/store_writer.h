#pragma once
// Writes into the local store on a thread of its own, for the build: the results of tasks
// that ran (their files copied from the workspace, then their records) and what came from
// the remote (the files a restore verified and placed, then the records). Storing creates
// files, and on a busy file system a creation can take milliseconds: done inline it would
// leave job slots idle between a task's end and the next start, or stand between one
// download and the next. Items are stored in the order they were added, so a record added
// after its files is written after them, and every write is temp + rename: a kill -9 at any
// instant leaves no record whose blobs were still to come. Each copy is hashed on the way (a
// file that changed since it was hashed is not stored). A failure never stops the build: it
// is kept for the caller to report.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "luisy/cache/local_store.h"
#include "luisy/cache/result_record.h"

namespace luisy::cache {

struct StoreFailure {
  std::string label;  // what add_result() was given
  std::string error;  // user-facing
};

class StoreWriter {
 public:
  explicit StoreWriter(LocalStore& store) : store_(store) {}
  ~StoreWriter() { finish(); }
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // A task's result, its files in `workspace_dir`: LocalStore::put_result, so the record is
  // written only if all of its files were stored.
  void add_result(std::string label, ResultRecord record, std::string workspace_dir);
  // The file at `path` holds (verified) the blob `digest`.
  void add_blob(const util::Digest& digest, std::string path);
  // A record as it is (its files are added before it).
  void add_record(ResultRecord record);

  // A workspace file added for `digest` and not stored yet, or "" (lets a second restore of
  // the same content copy it instead of downloading it again).
  std::string pending_blob(const util::Digest& digest);

  // Stores what is queued and stops the thread; an add after it starts a new one.
  void finish();
  // The results (add_result) that could not be stored since the last call.
  std::vector<StoreFailure> take_result_failures();
  // The errors of blobs and records (add_blob, add_record) not stored since the last call.
  std::vector<std::string> take_fetched_failures();

 private:
  enum class Kind { kResult, kBlob, kRecord };
  struct Item {
    Kind kind = Kind::kResult;
    std::string label;    // kResult
    ResultRecord record;  // kResult, kRecord
    util::Digest digest;  // kBlob
    std::string path;     // kBlob: the file; kResult: the workspace directory
  };
  void add(Item item);
  void run();
  // Stores one item (without the lock) and files its failure (with it).
  void store(Item& item, std::unique_lock<std::mutex>& lock);

  LocalStore& store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  std::unordered_map<std::string, std::string> pending_blobs_;  // digest hex -> path
  std::vector<StoreFailure> result_failures_;
  std::vector<std::string> fetched_failures_;
  bool done_ = false;
  std::thread thread_;  // started by the first add
};

}  // namespace luisy::cache
