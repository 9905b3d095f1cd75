#include "luisy/cache/result_cache.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>

#include "luisy/cache/file_copy.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::cache {

namespace {

// Removes what lies under `dir` (whose record path is `prefix`, ending in '/') and is not in
// `named`. Symbolic links are removed, never followed: a link to a user's data directory
// inside an output must not lead us to delete the data.
void remove_unnamed(const std::string& dir, const std::string& prefix,
                    const std::set<std::string>& named) {
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) return;
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(handle);
  for (const auto& name : names) {
    std::string path = util::join_path(dir, name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      remove_unnamed(path, prefix + name + "/", named);
    } else if (!named.count(prefix + name)) {
      util::remove_all(path);
    }
  }
}

}  // namespace

ResultCache::ResultCache(LocalStore local, std::unique_ptr<remote::RemoteStore> remote,
                         remote::TransferOptions options)
    : local_(std::move(local)), remote_(std::move(remote)), options_(options) {}

ResultCache::~ResultCache() = default;

bool ResultCache::remote_usable() const {
  std::lock_guard lock(mutex_);
  return remote_ && !failed_;
}

CacheStats ResultCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void ResultCache::set_warning_callback(std::function<void(const std::string&)> callback) {
  std::lock_guard lock(mutex_);
  warning_ = std::move(callback);
}

void ResultCache::warn(const std::string& message) {
  std::function<void(const std::string&)> callback;
  {
    std::lock_guard lock(mutex_);
    callback = warning_;
  }
  if (callback) callback(message);
}

void ResultCache::set_transfer_callback(std::function<void(const TransferReport&)> callback) {
  std::lock_guard lock(mutex_);
  transfer_ = std::move(callback);
}

void ResultCache::report(const TransferReport& transfer) {
  std::function<void(const TransferReport&)> callback;
  {
    std::lock_guard lock(mutex_);
    callback = transfer_;
  }
  if (callback) callback(transfer);
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The report of one blob of a finished batch.
TransferReport blob_report(bool upload, const remote::BlobTransfer& t, double seconds) {
  TransferReport r;
  r.upload = upload;
  r.digest = t.digest;
  r.bytes = t.bytes;
  r.seconds = seconds;
  r.ok = t.outcome.ok;
  r.error = t.outcome.error;
  return r;
}

}  // namespace

void ResultCache::remote_failed(const std::string& message) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    ++stats_.errors;
    failed_ = true;
    first = !warned_;
    warned_ = true;
  }
  if (first)
    warn(fmt::format("remote cache {} failed: {}; going on without it for this run",
                     remote_->describe(), message));
}

std::optional<ResultRecord> ResultCache::lookup(const util::Digest& key, bool use_remote) {
  if (auto record = local_.get_record(key)) {
    std::lock_guard lock(mutex_);
    ++stats_.hits_local;
    return record;
  }
  auto miss = [&]() -> std::optional<ResultRecord> {
    std::lock_guard lock(mutex_);
    ++stats_.misses;
    return std::nullopt;
  };
  if (!use_remote || !remote_usable()) return miss();

  remote::Failure failure;
  auto bytes = remote_->get_record(key, &failure);
  if (!bytes) {
    if (!failure.message.empty()) remote_failed(failure.message);
    return miss();
  }
  // A record is used only if it parses and agrees with itself (see record_inconsistency).
  auto trusted = [&](const std::string& text, std::string* why) -> std::optional<ResultRecord> {
    auto parsed = parse_record(text, key, why);
    if (parsed) *why = record_inconsistency(*parsed);
    if (!parsed || !why->empty()) return std::nullopt;
    return parsed;
  };
  std::string error;
  auto record = trusted(*bytes, &error);
  if (!record) {
    // A body damaged in transit looks the same as a damaged record: read it once more
    // before calling the record malformed.
    remote::Failure again_failure;
    std::string again_error;
    if (auto again = remote_->get_record(key, &again_failure)) record = trusted(*again, &again_error);
  }
  if (!record) {
    {
      std::lock_guard lock(mutex_);
      ++stats_.errors;
    }
    warn(fmt::format("refused the remote record {}, not used: {}", util::to_hex(key), error));
    return miss();
  }
  try {
    local_.put_record(*record);
  } catch (const Error& e) {
    warn(fmt::format("cannot save a remote record locally: {}", e.what()));
  }
  std::lock_guard lock(mutex_);
  ++stats_.hits_remote;
  return record;
}

bool ResultCache::fetch_blobs(const std::vector<util::Digest>& digests,
                              const std::vector<uint64_t>& sizes, const util::Digest& key,
                              std::string* error) {
  if (!remote_usable()) {
    if (error)
      *error = fmt::format("{} file(s) are not in the local cache and {}", digests.size(),
                           remote_ ? "the remote cache failed earlier in this run"
                                   : "no remote cache is configured");
    return false;
  }
  std::vector<remote::BlobTransfer> transfers;
  try {
    for (size_t i = 0; i < digests.size(); ++i) {
      const util::Digest& digest = digests[i];
      remote::BlobTransfer t;
      t.digest = digest;
      t.size = i < sizes.size() ? sizes[i] : 0;
      t.local_path = local_.new_temp_path(digest);
      transfers.push_back(std::move(t));
    }
  } catch (const Error& e) {
    if (error) *error = e.what();
    return false;
  }
  auto batch_started = std::chrono::steady_clock::now();
  remote_->download_blobs(transfers, options_);
  double batch_seconds = seconds_since(batch_started);
  for (const auto& t : transfers) report(blob_report(false, t, batch_seconds));

  bool ok = true;
  std::string transfer_error;
  for (auto& t : transfers) {
    if (!t.outcome.ok) {
      ::unlink(t.local_path.c_str());
      if (ok && error) *error = t.outcome.error;
      if (transfer_error.empty()) transfer_error = t.outcome.error;
      ok = false;
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      stats_.bytes_down += t.bytes;
    }
    std::string adopt_error;
    if (!local_.adopt_blob(t.digest, t.local_path, &adopt_error)) {
      // Wrong bytes from the remote: refused, never placed. Not a transport failure, so the
      // remote stays in use for other results.
      {
        std::lock_guard lock(mutex_);
        ++stats_.errors;
      }
      warn(fmt::format("refused a blob of record {} from remote cache {}, not used: {}",
                       util::to_hex(key), remote_->describe(), adopt_error));
      if (ok && error) *error = adopt_error;
      ok = false;
    }
  }
  if (!transfer_error.empty()) remote_failed(transfer_error);
  return ok;
}

bool ResultCache::restore(const ResultRecord& record, const std::string& workspace_dir,
                          std::string* error) {
  std::vector<util::Digest> missing;
  std::vector<uint64_t> sizes;
  std::set<std::string> seen;
  for (const auto& file : record.files) {
    if (!local_.has_blob(file.digest) && seen.insert(util::to_hex(file.digest)).second) {
      missing.push_back(file.digest);
      sizes.push_back(file.size);
    }
  }
  if (!missing.empty() && !fetch_blobs(missing, sizes, record.key, error)) return false;

  // A directory output must match its tree digest: entries the record does not name go.
  std::set<std::string> named;
  for (const auto& file : record.files) named.insert(file.path);
  try {
    for (const auto& output : record.outputs) {
      if (output.path.empty() || output.path.back() != '/') continue;
      std::string dir = util::join_path(workspace_dir, output.path);
      util::make_dirs(dir);
      remove_unnamed(dir, output.path, named);
    }
  } catch (const Error& e) {
    if (error) *error = e.what();
    return false;
  }

  for (const auto& file : record.files) {
    std::string dest = util::join_path(workspace_dir, file.path);
    std::string place_error;
    if (local_.place_blob(file.digest, dest, file.mode, &place_error)) continue;
    // The local blob was corrupt (and is now removed) or vanished: fetch it once more.
    if (!local_.has_blob(file.digest) && remote_usable()) {
      std::string fetch_error;
      if (fetch_blobs({file.digest}, {file.size}, record.key, &fetch_error) &&
          local_.place_blob(file.digest, dest, file.mode, &place_error))
        continue;
      if (!fetch_error.empty()) place_error = fetch_error;
    }
    if (error) *error = fmt::format("cannot restore {}: {}", file.path, place_error);
    return false;
  }
  return true;
}

bool ResultCache::store_local(const ResultRecord& record, const std::string& workspace_dir,
                              std::string* error) {
  try {
    for (const auto& file : record.files) {
      if (!local_.put_blob_from_file(file.digest, util::join_path(workspace_dir, file.path), error))
        return false;
    }
    local_.put_record(record);
  } catch (const Error& e) {
    if (error) *error = e.what();
    return false;
  }
  return true;
}

void ResultCache::retry_evicted_from_workspace(
    std::vector<remote::BlobTransfer>& transfers,
    const std::map<std::string, std::pair<util::Digest, std::string>>& sources) {
  // A `cache trim` running meanwhile can evict a blob between the check above and its upload:
  // send the workspace file instead, if it still holds these bytes.
  std::vector<remote::BlobTransfer> retries;
  std::vector<size_t> positions;
  for (size_t i = 0; i < transfers.size(); ++i) {
    const remote::BlobTransfer& t = transfers[i];
    if (t.outcome.ok || t.local_path != local_.blob_path(t.digest) || local_.has_blob(t.digest))
      continue;
    auto source = sources.find(util::to_hex(t.digest));
    if (source == sources.end()) continue;
    auto actual = digest_of_file(source->second.second, nullptr);
    if (!actual || *actual != t.digest) continue;
    remote::BlobTransfer retry;
    retry.digest = t.digest;
    retry.local_path = source->second.second;
    retry.size = t.size;
    retries.push_back(std::move(retry));
    positions.push_back(i);
  }
  if (retries.empty()) return;
  remote_->upload_blobs(retries, options_);
  for (size_t j = 0; j < retries.size(); ++j) transfers[positions[j]] = std::move(retries[j]);
}

std::optional<bool> ResultCache::remote_has(const util::Digest& key) {
  if (!remote_usable()) return std::nullopt;
  remote::Failure failure;
  auto bytes = remote_->get_record(key, &failure);
  if (!bytes && !failure.message.empty()) {
    remote_failed(failure.message);
    return std::nullopt;
  }
  return bytes.has_value();
}

std::vector<ResultCache::UploadFailure> ResultCache::upload(
    const std::vector<ResultRecord>& records, const std::string& workspace_dir) {
  std::vector<UploadFailure> failures;
  if (!remote_usable()) {
    std::string reason =
        remote_ ? "the remote cache failed earlier in this run" : "no remote cache is configured";
    for (const auto& record : records) failures.push_back({record.key, reason});
    return failures;
  }

  // Which records does the remote lack?
  std::vector<const ResultRecord*> pending;
  std::set<std::string> seen_keys;
  for (size_t i = 0; i < records.size(); ++i) {
    const ResultRecord& record = records[i];
    if (!seen_keys.insert(util::to_hex(record.key)).second) continue;
    remote::Failure failure;
    auto existing = remote_->get_record(record.key, &failure);
    if (!existing && !failure.message.empty()) {
      remote_failed(failure.message);
      for (size_t j = i; j < records.size(); ++j)
        failures.push_back({records[j].key, failure.message});
      return failures;
    }
    if (!existing) pending.push_back(&record);
  }
  if (pending.empty()) return failures;

  // Which of their blobs does it lack? Each blob once, from wherever we have it.
  std::map<std::string, std::pair<util::Digest, std::string>> sources;  // hex -> (digest, path)
  for (const ResultRecord* record : pending) {
    for (const auto& file : record->files) {
      std::string hex = util::to_hex(file.digest);
      if (!sources.count(hex))
        sources[hex] = {file.digest, util::join_path(workspace_dir, file.path)};
    }
  }
  std::vector<util::Digest> digests;
  for (const auto& [hex, source] : sources) digests.push_back(source.first);
  remote::Failure has_failure;  // a failed check counts as absent: the upload will tell
  std::vector<bool> present = remote_->has_blobs(digests, &has_failure);

  std::map<std::string, std::string> blob_errors;  // hex -> reason; absent = fine
  std::vector<remote::BlobTransfer> transfers;
  for (size_t i = 0; i < digests.size(); ++i) {
    if (i < present.size() && present[i]) continue;
    std::string hex = util::to_hex(digests[i]);
    remote::BlobTransfer t;
    t.digest = digests[i];
    if (local_.has_blob(digests[i])) {
      t.local_path = local_.blob_path(digests[i]);
    } else {
      // Not in the local store: the workspace file, if it still holds these bytes.
      std::string path = sources[hex].second;
      std::string error;
      auto actual = digest_of_file(path, &error);
      if (!actual || *actual != digests[i]) {
        blob_errors[hex] = actual ? fmt::format("{} changed since it was built", path) : error;
        continue;
      }
      t.local_path = path;
    }
    if (auto st = util::stat_path(t.local_path)) t.size = st->size;
    transfers.push_back(std::move(t));
  }
  if (!transfers.empty()) {
    auto batch_started = std::chrono::steady_clock::now();
    remote_->upload_blobs(transfers, options_);
    double batch_seconds = seconds_since(batch_started);
    retry_evicted_from_workspace(transfers, sources);
    for (const auto& t : transfers) report(blob_report(true, t, batch_seconds));
  }
  for (const auto& t : transfers) {
    if (!t.outcome.ok) {
      blob_errors[util::to_hex(t.digest)] = t.outcome.error;
      continue;
    }
    std::lock_guard lock(mutex_);
    ++stats_.uploaded_blobs;
    stats_.bytes_up += t.bytes;
  }

  // Records last, each only when all of its blobs are there.
  for (const ResultRecord* record : pending) {
    std::string reason;
    for (const auto& file : record->files) {
      auto it = blob_errors.find(util::to_hex(file.digest));
      if (it != blob_errors.end()) {
        reason = fmt::format("{}: {}", file.path, it->second);
        break;
      }
    }
    if (reason.empty()) {
      TransferReport sent;
      sent.upload = sent.record = true;
      sent.digest = record->key;
      std::string bytes = serialize_record(*record);
      sent.bytes = bytes.size();
      auto started = std::chrono::steady_clock::now();
      remote::Outcome outcome = remote_->put_record(record->key, bytes);
      sent.seconds = seconds_since(started);
      sent.ok = outcome.ok;
      sent.error = outcome.error;
      report(sent);
      if (outcome.ok) {
        std::lock_guard lock(mutex_);
        ++stats_.uploaded_records;
        continue;
      }
      reason = outcome.error;
    }
    failures.push_back({record->key, reason});
  }
  return failures;
}

}  // namespace luisy::cache
