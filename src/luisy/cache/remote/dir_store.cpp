#include "luisy/cache/remote/dir_store.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "luisy/cache/file_copy.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::cache::remote {

namespace {

Outcome failed(std::string message) {
  return Outcome{false, std::move(message)};
}

// Runs work(i) for i in [0, count) on up to `threads` threads. A shared directory on a
// network file system answers faster to several requests in flight, like a blob service.
template <typename Work>
void parallel_for(size_t count, int threads, Work work) {
  size_t workers = std::min(count, static_cast<size_t>(std::max(1, threads)));
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) work(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  pool.reserve(workers);
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < count; i = next++) work(i);
    });
  }
  for (auto& t : pool) t.join();
}

}  // namespace

DirStore::DirStore(std::string root, std::string prefix)
    : root_(util::absolute_path(root)), base_(util::join_path(root_, prefix)) {}

std::string DirStore::describe() const {
  return base_;
}

std::string DirStore::blob_path(const util::Digest& digest) const {
  std::string hex = util::to_hex(digest);
  return fmt::format("{}/cas/{}/{}", base_, hex.substr(0, 2), hex);
}

std::string DirStore::record_path(const util::Digest& key) const {
  return fmt::format("{}/ac/{}", base_, util::to_hex(key));
}

void DirStore::check_access() {
  try {
    util::make_dirs(base_);
  } catch (const Error& e) {
    throw Error(fmt::format("cannot use the remote cache directory {}: {}", base_, e.what()));
  }
  // A real write, not access(W_OK): network file systems and read-only mounts lie to access.
  std::string probe = temp_path_for(base_ + "/.luisy-access");
  std::string error;
  if (!write_file_replace(probe, "luisy\n", &error))
    throw Error(fmt::format("the remote cache directory {} is not writable: {}", base_, error));
  ::unlink(probe.c_str());
}

std::optional<std::string> DirStore::get_record(const util::Digest& key, Failure* failure) {
  try {
    return util::read_file_if_exists(record_path(key));
  } catch (const Error& e) {
    if (failure) failure->message = e.what();
    return std::nullopt;
  }
}

Outcome DirStore::put_record(const util::Digest& key, const std::string& bytes) {
  std::string path = record_path(key);
  try {
    util::make_parent_dirs(path);
  } catch (const Error& e) {
    return failed(e.what());
  }
  std::string error;
  if (!write_file_replace(path, bytes, &error)) return failed(error);
  return {};
}

std::vector<bool> DirStore::has_blobs(const std::vector<util::Digest>& digests, Failure* failure) {
  std::vector<bool> present(digests.size(), false);
  for (size_t i = 0; i < digests.size(); ++i) {
    struct stat st;
    std::string path = blob_path(digests[i]);
    if (::stat(path.c_str(), &st) == 0) {
      present[i] = S_ISREG(st.st_mode);
    } else if (errno != ENOENT && failure && failure->message.empty()) {
      failure->message = fmt::format("cannot check {}: {}", path, std::strerror(errno));
    }
  }
  return present;
}

Outcome DirStore::upload_one(BlobTransfer& transfer) {
  std::string dest = blob_path(transfer.digest);
  transfer.already_present = util::exists(dest);
  if (transfer.already_present) return {};  // create-only: the content is the same by definition
  try {
    util::make_parent_dirs(dest);
  } catch (const Error& e) {
    return failed(e.what());
  }
  std::string temp = temp_path_for(dest);
  CopyResult copy = copy_file(transfer.local_path, temp, 0444, CopyDigest::kNone);
  if (!copy.ok) return failed(copy.error);
  std::string error;
  if (!rename_file(temp, dest, &error)) {
    ::unlink(temp.c_str());
    return failed(error);
  }
  transfer.bytes = copy.bytes;
  return {};
}

Outcome DirStore::download_one(BlobTransfer& transfer) {
  // copy_file creates a new file (a temporary name: in_place or not, it is written directly).
  ::unlink(transfer.local_path.c_str());
  CopyResult copy =
      copy_file(blob_path(transfer.digest), transfer.local_path, 0644, CopyDigest::kNone);
  if (!copy.ok) {
    if (copy.source_missing)
      return failed(
          fmt::format("blob {} is missing from {}", util::to_hex(transfer.digest), base_));
    return failed(copy.error);
  }
  transfer.bytes = copy.bytes;
  return {};
}

void DirStore::upload_blobs(std::vector<BlobTransfer>& transfers, const TransferOptions& options) {
  parallel_for(transfers.size(), options.max_in_flight,
               [&](size_t i) { transfers[i].outcome = upload_one(transfers[i]); });
}

void DirStore::download_blobs(std::vector<BlobTransfer>& transfers,
                              const TransferOptions& options) {
  parallel_for(transfers.size(), options.max_in_flight,
               [&](size_t i) { transfers[i].outcome = download_one(transfers[i]); });
}

std::vector<std::string> DirStore::list_records(Failure* failure) {
  std::vector<std::string> names;
  std::string dir = base_ + "/ac";
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) {
    if (errno != ENOENT && failure)
      failure->message = fmt::format("cannot list {}: {}", dir, std::strerror(errno));
    return names;
  }
  while (struct dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name == "." || name == ".." || is_temp_path(dir + "/" + name)) continue;
    names.push_back(std::move(name));
  }
  ::closedir(handle);
  return names;
}

namespace {
Outcome unlink_outcome(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return {};
  return failed(fmt::format("cannot remove {}: {}", path, std::strerror(errno)));
}
}  // namespace

Outcome DirStore::delete_record(const util::Digest& key) {
  return unlink_outcome(record_path(key));
}

Outcome DirStore::delete_blob(const util::Digest& digest) {
  return unlink_outcome(blob_path(digest));
}

std::unique_ptr<RemoteStore> open_dir_store(const std::string& root, const std::string& prefix) {
  return std::make_unique<DirStore>(root, prefix);
}

}  // namespace luisy::cache::remote
