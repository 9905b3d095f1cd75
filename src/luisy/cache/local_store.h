#pragma once
// The user's local content store, shared by all workspaces: `cas/<2 hex>/<digest>` holds file
// contents, `ac/<key>` result records (the same layout as a remote, without a prefix). A file
// smaller than kInlineMaxBytes is kept inside its record instead of as a blob (format 2). Every
// write is temp + rename, so a crash leaves either nothing or a whole file; blobs are copied
// or reflinked, never hard-linked, so editing a placed output cannot corrupt the store.
#include <cstdint>
#include <optional>
#include <string>

#include "luisy/cache/file_copy.h"
#include "luisy/cache/result_record.h"
#include "luisy/util/digest.h"

namespace luisy::cache {

struct StoreUsage {
  uint64_t bytes = 0;
  size_t blobs = 0;
  size_t records = 0;
};

class LocalStore {
 public:
  // Does not touch the disk until used.
  explicit LocalStore(std::string root);
  // $LUISY_CACHE_DIR, else $XDG_CACHE_HOME/luisy, else ~/.cache/luisy.
  static std::string default_root();
  const std::string& root() const { return root_; }

  // A verified record (parsed against `key`), touched for LRU. nullopt when absent; a corrupt
  // record is removed and also gives nullopt.
  std::optional<ResultRecord> get_record(const util::Digest& key);
  // Atomic; overwrites. Throws Error when the store cannot be written.
  void put_record(const ResultRecord& record);

  // Keeps a task's result, its files in `workspace_dir`: a file smaller than kInlineMaxBytes
  // goes inside the record (read and hashed), every other into a blob (put_blob_from_file);
  // then the record. False and *error, the record not written, when a file changed since it
  // was hashed, is missing, or the store cannot be written.
  bool put_result(const ResultRecord& record, const std::string& workspace_dir,
                  std::string* error = nullptr);

  bool has_blob(const util::Digest& digest) const;
  // Whether the store can place `file`: its content is inline in the record, or a blob.
  bool has_content(const FileEntry& file) const { return file.content || has_blob(file.digest); }
  std::string blob_path(const util::Digest& digest) const;
  std::string record_path(const util::Digest& key) const;

  // Adds a file's content under `digest` (the caller computed it from the same file). A
  // no-op when present. When the bytes are copied (no reflink) they are hashed on the way and
  // a mismatch (the file changed since it was hashed) stores nothing and returns false with
  // *error; with CopyDigest::kAlways a reflinked copy is hashed too. Throws Error when the
  // store cannot be written or the file cannot be read.
  bool put_blob_from_file(const util::Digest& digest, const std::string& path,
                          std::string* error = nullptr, CopyDigest check = CopyDigest::kIfCheap);

  // Adopts a file downloaded to `temp_path` (from new_temp_path) as the blob `digest`: its
  // content is hashed, and only a match is renamed into the store. A mismatch removes the
  // file and returns false with *error.
  bool adopt_blob(const util::Digest& digest, const std::string& temp_path, std::string* error);
  // A fresh path inside the store (its directory exists) for a download of `digest`.
  std::string new_temp_path(const util::Digest& digest);

  // Places the blob at `dest` (reflink or copy to placement_temp_path(dest), chmod mode, rename
  // over dest), creating dest's directories. The copy is verified against `digest` before the
  // rename; a mismatch removes the corrupt blob from the store. False and *error on any
  // failure (a missing blob included); dest is then left as it was.
  bool place_blob(const util::Digest& digest, const std::string& dest, uint32_t mode,
                  std::string* error = nullptr);

  // Places a file whose content is inline in its record at `dest`, like place_blob: written
  // to placement_temp_path(dest) with its mode, checked against its digest, renamed over dest.
  bool place_inline(const FileEntry& file, const std::string& dest, std::string* error = nullptr);

  // Evicts the least recently used blobs and records (by mtime) until the total size is at
  // most max_bytes; also removes stale temporary files. Returns the bytes freed.
  uint64_t trim(uint64_t max_bytes);
  StoreUsage usage() const;

 private:
  std::string root_;
};

}  // namespace luisy::cache
