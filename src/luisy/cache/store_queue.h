#pragma once
// Keeps what came from the remote in the local store, on a thread of its own: the records a
// build looked up and the files it restored. Storing creates files, and a file creation can
// take milliseconds on a busy file system; done inline, it would stand between one download
// and the next. The workspace file is what a restore verified and placed; it is copied into
// the store and hashed on the way (a file that changed meanwhile is not stored), through
// temp + rename like every write to the store. Items are stored in the order they were added.
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

class StoreQueue {
 public:
  explicit StoreQueue(LocalStore& store) : store_(store) {}
  ~StoreQueue() { finish(); }
  StoreQueue(const StoreQueue&) = delete;
  StoreQueue& operator=(const StoreQueue&) = delete;

  void add_record(ResultRecord record);
  // The file at `path` holds (verified) the blob `digest`.
  void add_blob(const util::Digest& digest, std::string path);

  // A workspace file queued for `digest` and not stored yet, or "" (lets a second restore of
  // the same content copy it instead of downloading it again).
  std::string pending_blob(const util::Digest& digest);

  // Stores what is queued, stops the thread and returns the failures (user-facing messages)
  // since the last call. add() after finish() starts a new thread.
  std::vector<std::string> finish();

 private:
  struct Item {
    bool is_record = false;
    ResultRecord record;
    util::Digest digest;
    std::string path;
  };
  void add(Item item);
  void run();
  void store(const Item& item, std::string* error);

  LocalStore& store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  std::unordered_map<std::string, std::string> pending_blobs_;  // digest hex -> path
  std::vector<std::string> failures_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace luisy::cache
