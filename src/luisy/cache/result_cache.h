#pragma once
// What the engine calls: result records looked up locally then remotely, outputs restored
// into the workspace from the local store (downloading what it lacks), results stored and
// uploaded. A remote that fails is a miss, never a wrong result: it is said once, counted,
// and skipped for the rest of the run. Safe to call from several threads.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "luisy/cache/local_store.h"
#include "luisy/cache/remote/remote_store.h"
#include "luisy/cache/result_record.h"
#include "luisy/cache/store_writer.h"

namespace luisy::cache {

struct CacheStats {
  size_t hits_local = 0, hits_remote = 0, misses = 0, errors = 0;
  size_t uploaded_records = 0, uploaded_blobs = 0;
  uint64_t bytes_down = 0, bytes_up = 0;
};

// One blob or record that crossed the wire, for --trace and --log-format json. Blobs move in
// parallel batches; each reports the duration of its batch.
struct TransferReport {
  bool upload = false;
  bool record = false;  // a result record (digest is its key), else a blob
  util::Digest digest;
  uint64_t bytes = 0;
  double seconds = 0;
  bool ok = true;
  std::string error;  // when !ok
};

class ResultCache {
 public:
  ResultCache(LocalStore local, std::unique_ptr<remote::RemoteStore> remote,
              remote::TransferOptions options);
  ~ResultCache();

  bool has_remote() const { return remote_ != nullptr; }
  // False once the remote failed during this run.
  bool remote_usable() const;
  LocalStore& local() { return local_; }
  // The one thread that writes into the local store: what lookup() and restore() fetched,
  // and (added by the build) the results of tasks that ran. Joined by flush() and by the
  // destructor.
  StoreWriter& writer() { return writer_; }

  // The local record, else (when use_remote) the remote one, which restore() then saves
  // locally (by writer(): see flush). nullopt on a miss. A remote failure warns
  // once, counts an error, marks the remote failed for the rest of the run and gives a miss. A remote record that is malformed or does not
  // stand for its key (record_inconsistency) is refused with a warning: also a miss.
  std::optional<ResultRecord> lookup(const util::Digest& key, bool use_remote);

  // Looks up on the remote, with up to --transfers requests in flight, the records of `keys`
  // that the local store lacks, and keeps the answers (a record or its absence) for the next
  // lookup() of each key in this run. A failure marks the remote failed, as in lookup().
  void prefetch(const std::vector<util::Digest>& keys);

  // Makes every file of the record present in the workspace: files in the local store are
  // placed from it; the others are downloaded straight into place (through the placement
  // temporary name, each verified against its digest before the rename: a mismatch is
  // refused, never placed) and copied into the local store afterwards, off the critical
  // path; the record follows its files there when it came from the remote. Files under a
  // directory output that the record does not name are removed, so the directory matches
  // its tree digest. False and *error
  // when anything could not be restored; files already placed are valid (each was verified).
  bool restore(const ResultRecord& record, const std::string& workspace_dir, std::string* error);

  struct UploadFailure {
    util::Digest key;
    std::string reason;
  };
  // Uploads the records the remote lacks: their missing blobs first (from the local store,
  // else from the workspace after re-checking the file's digest), each record only after all
  // of its blobs succeeded. Returns the records not uploaded, with reasons.
  std::vector<UploadFailure> upload(const std::vector<ResultRecord>& records,
                                    const std::string& workspace_dir);

  // Whether the remote has a record (for status --remote); nullopt when there is no usable
  // remote or the request failed.
  std::optional<bool> remote_has(const util::Digest& key);
  // The same for many keys, asked in parallel as prefetch() does; after a failed
  // request, what is not known is nullopt.
  std::vector<std::optional<bool>> remote_has(const std::vector<util::Digest>& keys);

  // Waits until everything queued for the local store is stored, and warns (once) if
  // something that lookup() and restore() queued could not be (the failures of results stay
  // with writer(), for the build to name). Also done by the destructor, without the warning.
  void flush();

  CacheStats stats() const;
  // Called (once per run) with a user-facing message when the remote fails, and for each
  // malformed remote record.
  void set_warning_callback(std::function<void(const std::string&)> callback);
  // Called after every blob download and every blob and record upload; empty: none.
  void set_transfer_callback(std::function<void(const TransferReport&)> callback);

 private:
  void remote_failed(const std::string& message);
  void warn(const std::string& message);
  void report(const TransferReport& transfer);
  // Downloads the files record.files[i] for i in `which` straight into the workspace (one
  // download per distinct blob, copies for the rest) and queues them for the local store;
  // false and *error unless every one arrived intact and was placed.
  bool download_into_place(const ResultRecord& record, const std::vector<size_t>& which,
                           const std::string& workspace_dir, std::string* error);
  // Places a copy of `source` (a workspace file this run verified and placed) at `dest` if it
  // still holds `digest`.
  bool place_copy(const std::string& source, const util::Digest& digest, const std::string& dest,
                  uint32_t mode, std::string* error);
  // A record that parses and agrees with itself (record_inconsistency), else nullopt and *why.
  std::optional<ResultRecord> trusted_record(const util::Digest& key, const std::string& text,
                                             std::string* why);
  // Uploads again, from the workspace file named in `sources` (hex -> (digest, path)), the
  // transfers that failed because their local-store copy was evicted meanwhile.
  void retry_evicted_from_workspace(
      std::vector<remote::BlobTransfer>& transfers,
      const std::map<std::string, std::pair<util::Digest, std::string>>& sources);

  LocalStore local_;
  std::unique_ptr<remote::RemoteStore> remote_;
  remote::TransferOptions options_;
  StoreWriter writer_{local_};  // after local_, which it writes into
  // prefetch()'s answers not yet taken by lookup(): key hex -> the record's bytes, or nullopt
  // for a record the remote lacks. Used by the thread that builds only.
  std::unordered_map<std::string, std::optional<std::string>> prefetched_;
  std::set<std::string> fetched_from_remote_;  // keys (hex) of remote records not yet restored
  mutable std::mutex mutex_;  // guards stats_, the flags, the two maps, warning_, transfer_
  CacheStats stats_;
  bool failed_ = false;
  bool warned_ = false;
  bool warned_store_ = false;
  std::function<void(const std::string&)> warning_;
  std::function<void(const TransferReport&)> transfer_;
};

}  // namespace luisy::cache
