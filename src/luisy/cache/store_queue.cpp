#include "luisy/cache/store_queue.h"

#include <fmt/format.h>

#include <system_error>
#include <utility>

#include "luisy/cache/file_copy.h"
#include "luisy/util/error.h"

namespace luisy::cache {

void StoreQueue::add_record(ResultRecord record) {
  Item item;
  item.is_record = true;
  item.record = std::move(record);
  add(std::move(item));
}

void StoreQueue::add_blob(const util::Digest& digest, std::string path) {
  Item item;
  item.digest = digest;
  item.path = std::move(path);
  add(std::move(item));
}

std::string StoreQueue::pending_blob(const util::Digest& digest) {
  std::lock_guard lock(mutex_);
  if (pending_blobs_.empty()) return {};
  auto it = pending_blobs_.find(util::to_hex(digest));
  return it == pending_blobs_.end() ? std::string() : it->second;
}

void StoreQueue::add(Item item) {
  std::unique_lock lock(mutex_);
  if (!item.is_record) pending_blobs_[util::to_hex(item.digest)] = item.path;
  bool was_empty = queue_.empty();
  queue_.push_back(std::move(item));
  if (!thread_.joinable()) {
    done_ = false;
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error&) {
      // No thread to be had: store it here and now.
      Item now = std::move(queue_.back());
      queue_.pop_back();
      lock.unlock();
      std::string error;
      store(now, &error);
      lock.lock();
      if (!now.is_record) pending_blobs_.erase(util::to_hex(now.digest));
      if (!error.empty()) failures_.push_back(std::move(error));
      return;
    }
  }
  // The thread waits only on an empty queue: a wake-up is needed only then.
  if (was_empty) wake_.notify_one();
}

std::vector<std::string> StoreQueue::finish() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  return std::exchange(failures_, {});
}

void StoreQueue::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return done_ || !queue_.empty(); });
    if (queue_.empty()) return;  // done_
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    std::string error;
    store(item, &error);
    lock.lock();
    if (!item.is_record) {
      auto it = pending_blobs_.find(util::to_hex(item.digest));
      if (it != pending_blobs_.end() && it->second == item.path) pending_blobs_.erase(it);
    }
    if (!error.empty()) failures_.push_back(std::move(error));
  }
}

void StoreQueue::store(const Item& item, std::string* error) {
  try {
    if (item.is_record) {
      store_.put_record(item.record);
      return;
    }
    std::string mismatch;
    if (!store_.put_blob_from_file(item.digest, item.path, &mismatch, CopyDigest::kAlways))
      *error = mismatch;
  } catch (const std::exception& e) {
    *error = e.what();
  }
}

}  // namespace luisy::cache
