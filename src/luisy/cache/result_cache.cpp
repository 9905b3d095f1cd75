#include "luisy/cache/result_cache.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
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

ResultCache::~ResultCache() {
  writer_.finish();
}

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

std::optional<ResultRecord> ResultCache::trusted_record(const util::Digest& key,
                                                        const std::string& text, std::string* why) {
  auto parsed = parse_record(text, key, why);
  if (parsed) *why = record_inconsistency(*parsed);
  if (!parsed || !why->empty()) return std::nullopt;
  return parsed;
}

void ResultCache::prefetch(const std::vector<util::Digest>& keys) {
  if (!remote_usable()) return;
  std::vector<util::Digest> wanted;
  {
    std::lock_guard lock(mutex_);
    for (const auto& key : keys)
      if (!prefetched_.count(util::to_hex(key))) wanted.push_back(key);
  }
  // What the local store answers needs no request (a stat each, not a read: lookup() reads).
  std::erase_if(wanted,
                [&](const util::Digest& key) { return util::exists(local_.record_path(key)); });
  if (wanted.empty()) return;
  remote::Failure failure;
  auto texts = remote_->get_records(wanted, &failure, options_.max_in_flight);
  if (!failure.message.empty()) {
    remote_failed(failure.message);
    return;
  }
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < wanted.size() && i < texts.size(); ++i)
    prefetched_[util::to_hex(wanted[i])] = std::move(texts[i]);
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

  std::optional<std::string> bytes;
  bool was_prefetched = false;
  {
    std::lock_guard lock(mutex_);
    if (auto it = prefetched_.find(util::to_hex(key)); it != prefetched_.end()) {
      was_prefetched = true;
      bytes = std::move(it->second);
      prefetched_.erase(it);
    }
  }
  if (!was_prefetched) {
    remote::Failure failure;
    bytes = remote_->get_record(key, &failure);
    if (!bytes && !failure.message.empty()) {
      remote_failed(failure.message);
      return miss();
    }
  }
  if (!bytes) return miss();
  // A record is used only if it parses and agrees with itself (see record_inconsistency).
  std::string error;
  auto record = trusted_record(key, *bytes, &error);
  if (!record) {
    // A body damaged in transit looks the same as a damaged record: read it once more
    // before calling the record malformed.
    remote::Failure again_failure;
    std::string again_error;
    if (auto again = remote_->get_record(key, &again_failure))
      record = trusted_record(key, *again, &again_error);
  }
  if (!record) {
    {
      std::lock_guard lock(mutex_);
      ++stats_.errors;
    }
    warn(fmt::format("refused the remote record {}, not used: {}", util::to_hex(key), error));
    return miss();
  }
  // Saved locally once restored (restore() queues it after its files): a record resolved
  // only to compute its dependents' keys (a --download of a last task looks up all of its
  // ancestors) is not worth a file in the store, whose creation costs more than the request.
  std::lock_guard lock(mutex_);
  fetched_from_remote_.insert(util::to_hex(key));
  ++stats_.hits_remote;
  return record;
}

void ResultCache::flush() {
  writer_.finish();
  std::vector<std::string> failures = writer_.take_fetched_failures();
  if (failures.empty()) return;
  {
    std::lock_guard lock(mutex_);
    if (warned_store_) return;
    warned_store_ = true;
  }
  warn(fmt::format("cannot keep {} downloaded file(s) and record(s) in the local cache: {}",
                   failures.size(), failures.front()));
}

bool ResultCache::place_copy(const std::string& source, const util::Digest& digest,
                             const std::string& dest, uint32_t mode, std::string* error) {
  std::string temp = placement_temp_path(dest);
  ::unlink(temp.c_str());  // left by a placement that was killed
  CopyResult copy = copy_file(source, temp, mode, CopyDigest::kAlways);
  if (!copy.ok) {
    if (error) *error = copy.error;
    return false;
  }
  if (copy.digest != digest) {
    ::unlink(temp.c_str());
    if (error) *error = fmt::format("{} changed since it was restored", source);
    return false;
  }
  if (!rename_file(temp, dest, error)) {
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

bool ResultCache::download_into_place(const ResultRecord& record, const std::vector<size_t>& which,
                                      const std::string& workspace_dir, std::string* error) {
  if (!remote_usable()) {
    if (error)
      *error = fmt::format("{} file(s) are not in the local cache and {}", which.size(),
                           remote_ ? "the remote cache failed earlier in this run"
                                   : "no remote cache is configured");
    return false;
  }
  // One download per distinct blob, straight to its first file's placement name.
  std::vector<remote::BlobTransfer> transfers;
  std::vector<size_t> first_file;                     // per transfer: index into record.files
  std::vector<std::pair<size_t, size_t>> copies;      // (file index, transfer) of the other files
  std::unordered_map<std::string, size_t> by_digest;  // hex -> transfer
  for (size_t index : which) {
    const FileEntry& file = record.files[index];
    auto [it, added] = by_digest.try_emplace(util::to_hex(file.digest), transfers.size());
    if (!added) {
      copies.emplace_back(index, it->second);
      continue;
    }
    std::string dest = util::join_path(workspace_dir, file.path);
    remote::BlobTransfer t;
    t.digest = file.digest;
    t.size = file.size;
    t.local_path = placement_temp_path(dest);
    t.in_place = true;
    ::unlink(t.local_path.c_str());  // left by a placement that was killed
    transfers.push_back(std::move(t));
    first_file.push_back(index);
  }

  // Each file is verified and renamed into place as soon as it arrived, while the others are
  // still in flight; its copy into the local store is queued.
  std::vector<bool> settled(transfers.size(), false);
  std::vector<std::string> place_errors(transfers.size());
  std::string transfer_error;  // the first failure of the remote itself
  auto settle = [&](size_t i) {
    if (i >= transfers.size() || settled[i]) return;
    settled[i] = true;
    remote::BlobTransfer& t = transfers[i];
    const FileEntry& file = record.files[first_file[i]];
    if (!t.outcome.ok) {
      ::unlink(t.local_path.c_str());
      place_errors[i] = t.outcome.error;
      if (!t.outcome.local && transfer_error.empty()) transfer_error = t.outcome.error;
      return;
    }
    {
      std::lock_guard lock(mutex_);
      stats_.bytes_down += t.bytes;
    }
    std::string check_error;
    auto actual = digest_of_file(t.local_path, &check_error);
    if (!actual || *actual != t.digest) {
      ::unlink(t.local_path.c_str());
      if (!actual) {
        place_errors[i] = check_error;
        return;
      }
      // Wrong bytes from the remote: refused, never placed. Not a transport failure, so the
      // remote stays in use for other results.
      place_errors[i] =
          fmt::format("downloaded content of blob {} does not match its digest (got {})",
                      util::to_hex(t.digest), util::to_hex(*actual));
      {
        std::lock_guard lock(mutex_);
        ++stats_.errors;
      }
      warn(fmt::format("refused a blob of record {} from remote cache {}, not used: {}",
                       util::to_hex(record.key), remote_->describe(), place_errors[i]));
      return;
    }
    std::string dest = util::join_path(workspace_dir, file.path);
    if (::chmod(t.local_path.c_str(), static_cast<mode_t>(file.mode & 07777)) != 0) {
      place_errors[i] =
          fmt::format("cannot set the mode of {}: {}", t.local_path, std::strerror(errno));
      ::unlink(t.local_path.c_str());
      return;
    }
    if (!rename_file(t.local_path, dest, &place_errors[i])) {
      ::unlink(t.local_path.c_str());
      return;
    }
    writer_.add_blob(t.digest, dest);
  };

  try {
    for (const auto& t : transfers) util::make_parent_dirs(t.local_path);
  } catch (const Error& e) {
    if (error) *error = e.what();
    return false;
  }
  remote::TransferOptions options = options_;
  options.on_downloaded = settle;
  auto batch_started = std::chrono::steady_clock::now();
  remote_->download_blobs(transfers, options);
  for (size_t i = 0; i < transfers.size(); ++i) settle(i);
  double batch_seconds = seconds_since(batch_started);
  for (const auto& t : transfers) report(blob_report(false, t, batch_seconds));
  if (!transfer_error.empty()) remote_failed(transfer_error);

  bool ok = true;
  for (size_t i = 0; i < transfers.size(); ++i) {
    if (place_errors[i].empty()) continue;
    if (ok && error)
      *error =
          fmt::format("cannot restore {}: {}", record.files[first_file[i]].path, place_errors[i]);
    ok = false;
  }
  if (!ok) return false;
  for (const auto& [index, transfer] : copies) {
    const FileEntry& file = record.files[index];
    std::string source = util::join_path(workspace_dir, record.files[first_file[transfer]].path);
    std::string copy_error;
    if (!place_copy(source, file.digest, util::join_path(workspace_dir, file.path), file.mode,
                    &copy_error)) {
      if (error) *error = fmt::format("cannot restore {}: {}", file.path, copy_error);
      return false;
    }
  }
  return true;
}

bool ResultCache::restore(const ResultRecord& record, const std::string& workspace_dir,
                          std::string* error) {
  // A directory output must match its tree digest: entries the record does not name go
  // (first: files come straight into place below).
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

  std::vector<size_t> from_remote;
  for (size_t i = 0; i < record.files.size(); ++i) {
    const FileEntry& file = record.files[i];
    std::string dest = util::join_path(workspace_dir, file.path);
    std::string place_error;
    if (file.content) {
      // Inline in the record (which verified it against its digest when it was read).
      if (local_.place_inline(file, dest, &place_error)) continue;
      if (error) *error = fmt::format("cannot restore {}: {}", file.path, place_error);
      return false;
    }
    if (local_.has_blob(file.digest)) {
      if (local_.place_blob(file.digest, dest, file.mode, &place_error)) continue;
      // The local blob was corrupt (and is now removed) or vanished: fetch it once more.
      if (local_.has_blob(file.digest) || !remote_usable()) {
        if (error) *error = fmt::format("cannot restore {}: {}", file.path, place_error);
        return false;
      }
    } else if (std::string pending = writer_.pending_blob(file.digest); !pending.empty()) {
      // Restored earlier in this run and not in the store yet: copied from that file.
      try {
        util::make_parent_dirs(dest);
        if (place_copy(pending, file.digest, dest, file.mode, &place_error)) continue;
      } catch (const Error&) {
      }
    }
    from_remote.push_back(i);
  }
  if (!from_remote.empty() && !download_into_place(record, from_remote, workspace_dir, error))
    return false;
  bool keep_record;
  {
    std::lock_guard lock(mutex_);
    keep_record = fetched_from_remote_.erase(util::to_hex(record.key)) > 0;
  }
  if (keep_record) writer_.add_record(record);  // after its files, as always
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

std::vector<std::optional<bool>> ResultCache::remote_has(const std::vector<util::Digest>& keys) {
  std::vector<std::optional<bool>> has(keys.size());
  if (!remote_usable() || keys.empty()) return has;
  remote::Failure failure;
  auto texts = remote_->get_records(keys, &failure, options_.max_in_flight);
  if (!failure.message.empty()) remote_failed(failure.message);
  for (size_t i = 0; i < keys.size() && i < texts.size(); ++i) {
    if (texts[i]) {
      has[i] = true;
    } else if (failure.message.empty()) {
      has[i] = false;
    }
  }
  return has;
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

  // Which records does the remote lack? (Parallel GETs.)
  std::vector<const ResultRecord*> unique;
  std::vector<util::Digest> keys;
  std::set<std::string> seen_keys;
  for (const ResultRecord& record : records) {
    if (!seen_keys.insert(util::to_hex(record.key)).second) continue;
    unique.push_back(&record);
    keys.push_back(record.key);
  }
  remote::Failure record_failure;
  auto existing = remote_->get_records(keys, &record_failure, options_.max_in_flight);
  if (!record_failure.message.empty()) {
    remote_failed(record_failure.message);
    for (const ResultRecord& record : records)
      failures.push_back({record.key, record_failure.message});
    return failures;
  }
  std::vector<const ResultRecord*> pending;
  for (size_t i = 0; i < unique.size(); ++i)
    if (i >= existing.size() || !existing[i]) pending.push_back(unique[i]);
  if (pending.empty()) return failures;

  // Their blobs, each once, from wherever we have it. No round of HEADs first: the upload is
  // create-only (for a small blob a request either way; the store checks large ones itself).
  // Only a blob we cannot send any more (its workspace file changed) is looked for remotely.
  std::map<std::string, std::pair<util::Digest, std::string>> sources;  // hex -> (digest, path)
  std::map<std::string, const std::string*> inline_bytes;  // hex -> content kept in a record
  for (const ResultRecord* record : pending) {
    for (const auto& file : record->files) {
      std::string hex = util::to_hex(file.digest);
      if (!sources.count(hex))
        sources[hex] = {file.digest, util::join_path(workspace_dir, file.path)};
      if (file.content) inline_bytes.emplace(hex, &*file.content);
    }
  }
  // The local record's content of a file the workspace no longer holds, as a temporary file
  // in the store: the remote gets it as a blob, like any other (its format is unchanged).
  std::vector<std::string> inline_temps;
  struct RemoveTemps {
    std::vector<std::string>& paths;
    ~RemoveTemps() {
      for (const auto& path : paths) ::unlink(path.c_str());
    }
  } remove_temps{inline_temps};
  std::map<std::string, std::string> blob_errors;  // hex -> reason; absent = fine
  std::vector<remote::BlobTransfer> transfers;
  std::vector<util::Digest> unsendable;
  for (auto& [hex, source] : sources) {
    const util::Digest& digest = source.first;
    remote::BlobTransfer t;
    t.digest = digest;
    if (local_.has_blob(digest)) {
      t.local_path = local_.blob_path(digest);
    } else {
      // Not in the local store: the workspace file, if it still holds these bytes.
      std::string error;
      auto actual = digest_of_file(source.second, &error);
      auto kept = inline_bytes.find(hex);
      if ((!actual || *actual != digest) && kept != inline_bytes.end()) {
        std::string temp;
        try {
          temp = local_.new_temp_path(digest);
        } catch (const Error& e) {
          error = e.what();
        }
        if (!temp.empty() && write_new_file(temp, *kept->second, 0444, &error)) {
          inline_temps.push_back(temp);
          actual = digest;
          source.second = temp;
        }
      }
      if (!actual || *actual != digest) {
        blob_errors[hex] =
            actual ? fmt::format("{} changed since it was built", source.second) : error;
        unsendable.push_back(digest);
        continue;
      }
      t.local_path = source.second;
    }
    if (auto st = util::stat_path(t.local_path)) t.size = st->size;
    transfers.push_back(std::move(t));
  }
  if (!unsendable.empty()) {
    remote::Failure has_failure;  // a failed check counts as absent: the error stands
    std::vector<bool> present = remote_->has_blobs(unsendable, &has_failure);
    for (size_t i = 0; i < unsendable.size() && i < present.size(); ++i)
      if (present[i]) blob_errors.erase(util::to_hex(unsendable[i]));
  }
  if (!transfers.empty()) {
    auto batch_started = std::chrono::steady_clock::now();
    remote_->upload_blobs(transfers, options_);
    double batch_seconds = seconds_since(batch_started);
    retry_evicted_from_workspace(transfers, sources);
    for (const auto& t : transfers)
      if (!t.already_present) report(blob_report(true, t, batch_seconds));
  }
  for (const auto& t : transfers) {
    if (!t.outcome.ok) {
      blob_errors[util::to_hex(t.digest)] = t.outcome.error;
      continue;
    }
    if (t.already_present) continue;
    std::lock_guard lock(mutex_);
    ++stats_.uploaded_blobs;
    stats_.bytes_up += t.bytes;
  }

  // Records last, each only when all of its blobs are there (in parallel: they are
  // independent of one another).
  std::vector<const ResultRecord*> ready;
  std::vector<util::Digest> ready_keys;
  std::vector<std::string> ready_bytes;
  for (const ResultRecord* record : pending) {
    std::string reason;
    for (const auto& file : record->files) {
      auto it = blob_errors.find(util::to_hex(file.digest));
      if (it != blob_errors.end()) {
        reason = fmt::format("{}: {}", file.path, it->second);
        break;
      }
    }
    if (!reason.empty()) {
      failures.push_back({record->key, reason});
      continue;
    }
    ready.push_back(record);
    ready_keys.push_back(record->key);
    ready_bytes.push_back(serialize_record(without_inline(*record)));  // the remote format
  }
  if (ready.empty()) return failures;
  auto started = std::chrono::steady_clock::now();
  std::vector<remote::Outcome> outcomes =
      remote_->put_records(ready_keys, ready_bytes, options_.max_in_flight);
  double seconds = seconds_since(started);
  for (size_t i = 0; i < ready.size(); ++i) {
    remote::Outcome outcome =
        i < outcomes.size() ? outcomes[i] : remote::Outcome{false, "not written", false};
    TransferReport sent;
    sent.upload = sent.record = true;
    sent.digest = ready_keys[i];
    sent.bytes = ready_bytes[i].size();
    sent.seconds = seconds;
    sent.ok = outcome.ok;
    sent.error = outcome.error;
    report(sent);
    if (outcome.ok) {
      std::lock_guard lock(mutex_);
      ++stats_.uploaded_records;
      continue;
    }
    failures.push_back({ready_keys[i], outcome.error});
  }
  return failures;
}

}  // namespace luisy::cache
