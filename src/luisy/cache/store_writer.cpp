#include "luisy/cache/store_writer.h"

#include <exception>
#include <system_error>
#include <utility>

#include "luisy/cache/file_copy.h"

namespace luisy::cache {

void StoreWriter::add_result(std::string label, ResultRecord record, std::string workspace_dir) {
  Item item;
  item.kind = Kind::kResult;
  item.label = std::move(label);
  item.record = std::move(record);
  item.path = std::move(workspace_dir);
  add(std::move(item));
}

void StoreWriter::add_blob(const util::Digest& digest, std::string path) {
  Item item;
  item.kind = Kind::kBlob;
  item.digest = digest;
  item.path = std::move(path);
  add(std::move(item));
}

void StoreWriter::add_record(ResultRecord record) {
  Item item;
  item.kind = Kind::kRecord;
  item.record = std::move(record);
  add(std::move(item));
}

std::string StoreWriter::pending_blob(const util::Digest& digest) {
  std::lock_guard lock(mutex_);
  if (pending_blobs_.empty()) return {};
  auto it = pending_blobs_.find(util::to_hex(digest));
  return it == pending_blobs_.end() ? std::string() : it->second;
}

void StoreWriter::add(Item item) {
  std::unique_lock lock(mutex_);
  if (item.kind == Kind::kBlob) pending_blobs_[util::to_hex(item.digest)] = item.path;
  bool was_empty = queue_.empty();
  queue_.push_back(std::move(item));
  if (!thread_.joinable()) {
    done_ = false;
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error&) {
      // No thread to be had: store it here and now (the queue held nothing else: without a
      // thread, every earlier item was stored this way or by a thread that finished).
      Item now = std::move(queue_.back());
      queue_.pop_back();
      store(now, lock);
      return;
    }
  }
  lock.unlock();
  // The thread waits only on an empty queue: a wake-up (a futex call) is needed only then.
  if (was_empty) wake_.notify_one();
}

void StoreWriter::finish() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::vector<StoreFailure> StoreWriter::take_result_failures() {
  std::lock_guard lock(mutex_);
  return std::exchange(result_failures_, {});
}

std::vector<std::string> StoreWriter::take_fetched_failures() {
  std::lock_guard lock(mutex_);
  return std::exchange(fetched_failures_, {});
}

void StoreWriter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return done_ || !queue_.empty(); });
    if (queue_.empty()) return;  // done_
    Item item = std::move(queue_.front());
    queue_.pop_front();
    store(item, lock);
  }
}

void StoreWriter::store(Item& item, std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  std::string error;
  bool stored = false;
  try {
    switch (item.kind) {
      case Kind::kResult:
        stored = store_.put_result(item.record, item.path, &error);
        break;
      case Kind::kBlob:
        stored = store_.put_blob_from_file(item.digest, item.path, &error, CopyDigest::kAlways);
        break;
      case Kind::kRecord:
        store_.put_record(item.record);
        stored = true;
        break;
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  lock.lock();
  if (item.kind == Kind::kBlob) {
    // Unless the same content was added again since, from another file.
    auto it = pending_blobs_.find(util::to_hex(item.digest));
    if (it != pending_blobs_.end() && it->second == item.path) pending_blobs_.erase(it);
  }
  if (stored) return;
  if (item.kind == Kind::kResult)
    result_failures_.push_back({std::move(item.label), std::move(error)});
  else
    fetched_failures_.push_back(std::move(error));
}

}  // namespace luisy::cache
