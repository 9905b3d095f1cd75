#pragma once
// A content-addressed remote: `cas/<2 hex>/<digest>` blobs and `ac/<key>` result records
// under a prefix. Two backends implement it: Azure Blob Storage and a directory.
// Failures in normal operation (network, server errors) are returned, not thrown, so the
// caller can treat them as cache misses; only bad configuration throws luisy::Error.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "luisy/util/digest.h"

namespace luisy::cache::remote {

struct Failure {
  std::string message;  // user-facing, never containing a secret
};

// Outcome of one operation: ok, or a failure that the caller counts as a miss.
struct Outcome {
  bool ok = true;
  std::string error;   // when !ok
  bool local = false;  // when !ok: the local side failed (a full disk), not the remote
};

struct BlobTransfer {
  util::Digest digest;
  std::string local_path;  // upload: read from here; download: written here (whole file)
  uint64_t size = 0;       // upload: the file's size
  Outcome outcome;         // filled in by the store
  uint64_t bytes = 0;      // bytes actually transferred
  // Download: local_path is a temporary name already (the caller verifies and renames it):
  // write it directly instead of through a part file renamed onto it.
  bool in_place = false;
  // Upload: the remote had the blob already, nothing was sent (set by the store).
  bool already_present = false;
};

struct TransferOptions {
  TransferOptions(int in_flight = 16) : max_in_flight(in_flight) {}  // NOLINT: {4} reads well
  int max_in_flight;                                                 // --transfers
  // Download: called with the index of each transfer as soon as it is finished (outcome set,
  // file complete or removed), on the thread that called download_blobs, so that the caller
  // can verify and place it while other transfers are in flight. Optional for a store: a
  // transfer it was not called for is handled after download_blobs returns.
  std::function<void(size_t)> on_downloaded;
};

class RemoteStore {
 public:
  virtual ~RemoteStore() = default;
  // For messages: e.g. "azure://account/container/prefix", never with credentials.
  virtual std::string describe() const = 0;
  // One cheap request that proves the credentials and the container; creates the container
  // when missing and allowed. Throws luisy::Error naming account and container on failure.
  virtual void check_access() = 0;

  // The record's bytes; nullopt when absent. A failure sets *failure and returns nullopt.
  virtual std::optional<std::string> get_record(const util::Digest& key, Failure* failure) = 0;
  // Many records at once (Azure: up to max_in_flight parallel GETs); nullopt for an absent
  // one. A failure sets *failure (the first) and gives nullopt for that record; no request
  // starts after it (those in flight finish).
  virtual std::vector<std::optional<std::string>> get_records(const std::vector<util::Digest>& keys,
                                                              Failure* failure,
                                                              int max_in_flight = 16) {
    (void)max_in_flight;
    std::vector<std::optional<std::string>> records;
    for (const auto& key : keys) {
      Failure one;
      records.push_back(get_record(key, &one));
      if (!one.message.empty()) {
        if (failure && failure->message.empty()) *failure = one;
        records.resize(keys.size());
        break;
      }
    }
    return records;
  }
  // Writes the record (last, after its blobs). Overwrites an existing one.
  virtual Outcome put_record(const util::Digest& key, const std::string& bytes) = 0;
  // Many records at once (Azure: up to max_in_flight parallel PUTs); one outcome each.
  virtual std::vector<Outcome> put_records(const std::vector<util::Digest>& keys,
                                           const std::vector<std::string>& bytes,
                                           int max_in_flight) {
    (void)max_in_flight;
    std::vector<Outcome> outcomes;
    for (size_t i = 0; i < keys.size() && i < bytes.size(); ++i)
      outcomes.push_back(put_record(keys[i], bytes[i]));
    return outcomes;
  }

  // Which blobs exist (parallel HEADs). A failed check counts as absent and sets *failure.
  virtual std::vector<bool> has_blobs(const std::vector<util::Digest>& digests,
                                      Failure* failure) = 0;
  // Uploads blobs (parallel, blocks for large files, create-only: an existing blob is success
  // and marked already_present). Checks for existing large blobs itself; a small one costs a
  // create-only request either way.
  virtual void upload_blobs(std::vector<BlobTransfer>& transfers,
                            const TransferOptions& options) = 0;
  // Downloads blobs to their local_path (parallel, ranges for large files). Verifying the
  // digest is the caller's job; a partial file is removed on failure.
  virtual void download_blobs(std::vector<BlobTransfer>& transfers,
                              const TransferOptions& options) = 0;

  // For `luisy verify`: the names under `ac/` (normally 32 hex digits each, in no particular
  // order). A failure sets *failure and returns what was listed before it.
  virtual std::vector<std::string> list_records(Failure* failure) = 0;
  // Remove a record or a blob; one that is already absent counts as removed.
  virtual Outcome delete_record(const util::Digest& key) = 0;
  virtual Outcome delete_blob(const util::Digest& digest) = 0;
};

// Opens the remote named by `url` ("azure://ACCOUNT/CONTAINER[/PREFIX]", "file:///path", a
// plain path, or empty: Azure from the environment variables alone). `project` is the default
// prefix. Throws luisy::Error for a malformed URL or missing credentials.
std::unique_ptr<RemoteStore> open_remote_store(const std::string& url, const std::string& project);

}  // namespace luisy::cache::remote
