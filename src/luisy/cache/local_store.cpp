#include "luisy/cache/local_store.h"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <vector>

#include "luisy/cache/file_copy.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::cache {

namespace {

// Temporary files older than this are leftovers of a crash and are removed by trim.
constexpr int64_t kStaleTempSeconds = 24 * 3600;

std::string nonempty_env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : std::string();
}

}  // namespace

LocalStore::LocalStore(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string LocalStore::default_root() {
  if (auto dir = nonempty_env("LUISY_CACHE_DIR"); !dir.empty()) return dir;
  if (auto xdg = nonempty_env("XDG_CACHE_HOME"); !xdg.empty()) return util::join_path(xdg, "luisy");
  std::string home = nonempty_env("HOME");
  if (home.empty()) {
    if (const struct passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) home = pw->pw_dir;
  }
  if (home.empty())
    throw Error("cannot find the local cache directory: set LUISY_CACHE_DIR or HOME");
  return util::join_path(home, ".cache/luisy");
}

std::string LocalStore::blob_path(const util::Digest& digest) const {
  std::string hex = util::to_hex(digest);
  return fmt::format("{}/cas/{}/{}", root_, hex.substr(0, 2), hex);
}

std::string LocalStore::record_path(const util::Digest& key) const {
  return fmt::format("{}/ac/{}", root_, util::to_hex(key));
}

std::optional<ResultRecord> LocalStore::get_record(const util::Digest& key) {
  std::string path = record_path(key);
  std::optional<std::string> text;
  try {
    text = util::read_file_if_exists(path);
  } catch (const Error&) {
    return std::nullopt;  // unreadable counts as absent; the task simply runs
  }
  if (!text) return std::nullopt;
  std::string error;
  auto record = parse_record(*text, key, &error);
  if (!record) {
    ::unlink(path.c_str());  // corrupt (a crash, a disk error): forget it
    return std::nullopt;
  }
  touch_file(path);
  return record;
}

void LocalStore::put_record(const ResultRecord& record) {
  std::string path = record_path(record.key);
  util::make_parent_dirs(path);
  std::string error;
  if (!write_file_replace(path, serialize_record(record), &error)) throw Error(error);
}

bool LocalStore::put_result(const ResultRecord& record, const std::string& workspace_dir,
                            std::string* error) {
  try {
    // A small file goes inside the record (one file in the store instead of two); it is read
    // and hashed here, so a file that changed since it was hashed is not stored.
    ResultRecord stored = record;
    for (auto& file : stored.files) {
      std::string path = util::join_path(workspace_dir, file.path);
      if (file.size < kInlineMaxBytes && !file.content) {
        std::optional<std::string> bytes = util::read_file_if_exists(path);
        if (!bytes) throw Error(fmt::format("{} is missing", path));
        if (util::digest_of(*bytes) != file.digest) {
          if (error)
            *error = fmt::format("{} changed while it was being stored (expected digest {})", path,
                                 util::to_hex(file.digest));
          return false;
        }
        file.content = std::move(*bytes);
        continue;
      }
      if (!file.content && !put_blob_from_file(file.digest, path, error)) return false;
    }
    put_record(stored);
  } catch (const Error& e) {
    if (error) *error = e.what();
    return false;
  }
  return true;
}

bool LocalStore::has_blob(const util::Digest& digest) const {
  return util::exists(blob_path(digest));
}

bool LocalStore::put_blob_from_file(const util::Digest& digest, const std::string& path,
                                    std::string* error, CopyDigest check) {
  std::string dest = blob_path(digest);
  if (util::exists(dest)) {
    touch_file(dest);
    return true;
  }
  util::make_parent_dirs(dest);
  std::string temp = temp_path_for(dest);
  CopyResult copy = copy_file(path, temp, 0444, check);
  if (!copy.ok) throw Error(copy.error);
  if (copy.hashed && copy.digest != digest) {
    ::unlink(temp.c_str());
    if (error)
      *error = fmt::format("{} changed while it was being stored (expected digest {}, found {})",
                           path, util::to_hex(digest), util::to_hex(copy.digest));
    return false;
  }
  std::string rename_error;
  if (!rename_file(temp, dest, &rename_error)) {
    ::unlink(temp.c_str());
    throw Error(rename_error);
  }
  return true;
}

std::string LocalStore::new_temp_path(const util::Digest& digest) {
  std::string dest = blob_path(digest);
  util::make_parent_dirs(dest);
  return temp_path_for(dest);
}

bool LocalStore::adopt_blob(const util::Digest& digest, const std::string& temp_path,
                            std::string* error) {
  auto actual = digest_of_file(temp_path, error);
  if (!actual || *actual != digest) {
    if (actual && error)
      *error = fmt::format("downloaded content of blob {} does not match its digest (got {})",
                           util::to_hex(digest), util::to_hex(*actual));
    ::unlink(temp_path.c_str());
    return false;
  }
  ::chmod(temp_path.c_str(), 0444);
  if (!rename_file(temp_path, blob_path(digest), error)) {
    ::unlink(temp_path.c_str());
    return false;
  }
  return true;
}

namespace {

// The temporary name a placement at `dest` writes before its rename, its directory made and
// anything a killed placement left there removed; nullopt and *error if the directory
// cannot be made.
std::optional<std::string> placement_temp(const std::string& dest, std::string* error) {
  try {
    util::make_parent_dirs(dest);
  } catch (const Error& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
  std::string temp = placement_temp_path(dest);
  ::unlink(temp.c_str());
  return temp;
}

}  // namespace

bool LocalStore::place_blob(const util::Digest& digest, const std::string& dest, uint32_t mode,
                            std::string* error) {
  std::string blob = blob_path(digest);
  std::optional<std::string> temp_path = placement_temp(dest, error);
  if (!temp_path) return false;
  const std::string& temp = *temp_path;
  CopyResult copy = copy_file(blob, temp, mode, CopyDigest::kAlways);
  if (!copy.ok) {
    if (error)
      *error = copy.source_missing
                   ? fmt::format("blob {} is not in the local store", util::to_hex(digest))
                   : copy.error;
    return false;
  }
  if (copy.digest != digest) {
    ::unlink(temp.c_str());
    ::unlink(blob.c_str());
    if (error)
      *error = fmt::format("blob {} in the local store is corrupt (removed)", util::to_hex(digest));
    return false;
  }
  if (!rename_file(temp, dest, error)) {
    ::unlink(temp.c_str());
    return false;
  }
  touch_file(blob);
  return true;
}

bool LocalStore::place_inline(const FileEntry& file, const std::string& dest, std::string* error) {
  if (!file.content || util::digest_of(*file.content) != file.digest) {
    if (error) *error = fmt::format("the inline content of {} does not match its digest", file.path);
    return false;
  }
  std::optional<std::string> temp_path = placement_temp(dest, error);
  if (!temp_path) return false;
  const std::string& temp = *temp_path;
  if (!write_new_file(temp, *file.content, file.mode, error)) return false;
  if (!rename_file(temp, dest, error)) {
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

namespace {

struct StoredFile {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

// Every regular file under root/cas and root/ac (errors while walking are skipped: trim is
// best effort).
std::vector<StoredFile> stored_files(const std::string& root) {
  std::vector<StoredFile> files;
  namespace fs = std::filesystem;
  for (const char* sub : {"cas", "ac"}) {
    std::error_code ec;
    fs::recursive_directory_iterator it(fs::path(root) / sub, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      struct stat st;
      std::string path = it->path().string();
      if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      files.push_back({path, static_cast<uint64_t>(st.st_size),
                       static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec});
    }
  }
  return files;
}

}  // namespace

uint64_t LocalStore::trim(uint64_t max_bytes) {
  std::vector<StoredFile> files = stored_files(root_);
  uint64_t freed = 0;
  uint64_t total = 0;
  int64_t stale_before =
      (static_cast<int64_t>(std::time(nullptr)) - kStaleTempSeconds) * 1000000000;
  std::vector<StoredFile> kept;
  for (auto& file : files) {
    if (is_temp_path(file.path)) {
      if (file.mtime_ns < stale_before && ::unlink(file.path.c_str()) == 0) freed += file.size;
      continue;  // a recent temp belongs to a running luisy
    }
    total += file.size;
    kept.push_back(std::move(file));
  }
  std::sort(kept.begin(), kept.end(), [](const StoredFile& a, const StoredFile& b) {
    return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.path < b.path;
  });
  for (const auto& file : kept) {
    if (total <= max_bytes) break;
    if (::unlink(file.path.c_str()) == 0) {
      total -= file.size;
      freed += file.size;
    }
  }
  return freed;
}

StoreUsage LocalStore::usage() const {
  StoreUsage usage;
  std::string cas_prefix = root_ + "/cas/";
  for (const auto& file : stored_files(root_)) {
    if (is_temp_path(file.path)) continue;
    usage.bytes += file.size;
    if (file.path.compare(0, cas_prefix.size(), cas_prefix) == 0)
      ++usage.blobs;
    else
      ++usage.records;
  }
  return usage;
}

}  // namespace luisy::cache
