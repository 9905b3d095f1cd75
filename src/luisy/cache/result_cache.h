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
#include <string>
#include <vector>

#include "luisy/cache/local_store.h"
#include "luisy/cache/remote/remote_store.h"
#include "luisy/cache/result_record.h"

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

  // The local record, else (when use_remote) the remote one, which is then saved locally.
  // nullopt on a miss. A remote failure warns once, counts an error, marks the remote failed
  // for the rest of the run and gives a miss. A remote record that is malformed or does not
  // stand for its key (record_inconsistency) is refused with a warning: also a miss.
  std::optional<ResultRecord> lookup(const util::Digest& key, bool use_remote);

  // Makes every file of the record present in the workspace: blobs missing locally are
  // downloaded into the local store (each verified against its digest; a mismatch is refused,
  // never placed), then placed atomically. Files under a directory output that the record
  // does not name are removed, so the directory matches its tree digest. False and *error
  // when anything could not be restored; files already placed are valid (each was verified).
  bool restore(const ResultRecord& record, const std::string& workspace_dir, std::string* error);

  // After a task ran: copies its output files into the local store and writes the record.
  // False and *error when a file is missing or changed since it was hashed, or the store
  // cannot be written; the record is then not written.
  bool store_local(const ResultRecord& record, const std::string& workspace_dir,
                   std::string* error = nullptr);

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
  // Downloads blobs into the local store; false and *error unless every one arrived intact.
  // `sizes` (same order; 0 = unknown) lets a transfer refuse a cut body and retry it; `key`
  // names the record they belong to, in warnings.
  bool fetch_blobs(const std::vector<util::Digest>& digests, const std::vector<uint64_t>& sizes,
                   const util::Digest& key, std::string* error);
  // Uploads again, from the workspace file named in `sources` (hex -> (digest, path)), the
  // transfers that failed because their local-store copy was evicted meanwhile.
  void retry_evicted_from_workspace(
      std::vector<remote::BlobTransfer>& transfers,
      const std::map<std::string, std::pair<util::Digest, std::string>>& sources);

  LocalStore local_;
  std::unique_ptr<remote::RemoteStore> remote_;
  remote::TransferOptions options_;
  mutable std::mutex mutex_;  // guards stats_, failed_, warned_, warning_, transfer_
  CacheStats stats_;
  bool failed_ = false;
  bool warned_ = false;
  std::function<void(const std::string&)> warning_;
  std::function<void(const TransferReport&)> transfer_;
};

}  // namespace luisy::cache
