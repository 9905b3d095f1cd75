#pragma once
// `luisy verify`: an audit of everything luisy would trust without looking again.
//  - the workspace: every stat-cache entry whose file still has the recorded size, mtime and
//    inode must hash to its digest (else a build would take changed bytes as up to date);
//    recorded outputs that were modified or deleted are counted, not broken (they rebuild);
//  - the local store: every record parses against its key, every blob re-hashes to its name;
//  - a remote: every record parses, every blob it names exists and re-hashes (downloaded).
// Broken entries are reported and, on request, removed: records before blobs, so no reader
// ever sees a record whose blobs are gone.
#include <cstdint>
#include <string>
#include <vector>

namespace luisy::cache {
class LocalStore;
}
namespace luisy::cache::remote {
class RemoteStore;
}

namespace luisy::engine {

struct VerifyProblem {
  std::string where;  // "workspace", "local", "remote"
  // workspace: "stale-stat"; records: "bad-name", "corrupt-record", "missing-blob" (names a
  // blob that is not there), "bad-blob" (names a blob that is corrupt); blobs: "bad-name",
  // "corrupt-blob".
  std::string kind;
  std::string subject;  // a workspace path, a record key or a blob digest (hex)
  std::string detail;   // one line for a human
  bool removed = false;
};

struct VerifyCounts {
  size_t results = 0;       // workspace: log records of materialised results
  size_t outputs = 0;       // workspace: recorded outputs checked
  size_t will_rebuild = 0;  // workspace: recorded outputs modified or missing (not broken)
  size_t stat_entries = 0;
  size_t records = 0;
  size_t blobs = 0;
  size_t records_without_blobs = 0;  // local: blobs evicted or never fetched (not broken)
  uint64_t bytes = 0;                // hashed (local) or downloaded and hashed (remote)
};

struct VerifySection {
  std::string where;     // "workspace", "local", "remote"
  std::string location;  // a directory or "azure://account/container/prefix"
  VerifyCounts counts;
  std::string incomplete;  // why the audit of this section could not finish; empty when it did
};

struct VerifyReport {
  std::vector<VerifySection> sections;
  std::vector<VerifyProblem> problems;
  // Broken entries left in place (not asked to remove, or removal failed).
  size_t remaining() const;
  bool complete() const;
};

struct VerifyOptions {
  bool remove_broken = false;
  int transfers = 16;
  uint64_t batch_bytes = 256ull << 20;  // remote blobs are downloaded and hashed in batches
};

// `workspace_dir` holds `.luisy/`; nothing to audit when it has none. Removal forgets the
// broken stat entries (the caller holds the workspace lock).
void verify_workspace(const std::string& workspace_dir, const VerifyOptions& options,
                      VerifyReport& report);
// Removal deletes corrupt blobs and unreadable records.
void verify_local_store(cache::LocalStore& store, const VerifyOptions& options,
                        VerifyReport& report);
// `scratch_dir` receives the downloads (removed as they are hashed). A remote that fails
// leaves the section incomplete.
void verify_remote(cache::remote::RemoteStore& remote, const std::string& scratch_dir,
                   const VerifyOptions& options, VerifyReport& report);

// The report as text lines for a terminal, and as one JSON object.
std::string format_verify_text(const VerifyReport& report, const VerifyOptions& options);
std::string format_verify_json(const VerifyReport& report);

}  // namespace luisy::engine
