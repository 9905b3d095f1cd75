#pragma once
// File operations shared by the local store and the directory remote: copies that reflink
// when the file system allows (never hard links, so a user editing a placed file cannot
// corrupt the store), digests of files, unique temporary names for temp + rename.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "luisy/util/digest.h"

namespace luisy::cache {

enum class CopyDigest {
  kNone,     // do not hash
  kIfCheap,  // hash while copying byte by byte; a reflink is not read again
  kAlways,   // always hash what was written (reads a reflinked copy once)
};

struct CopyResult {
  bool ok = false;
  std::string error;  // when !ok: "cannot read x: No such file or directory"
  bool hashed = false;
  util::Digest digest;  // of the bytes written, when hashed
  uint64_t bytes = 0;
  bool source_missing = false;  // the source did not exist (ENOENT)
};

// Copies `source` into a new file `dest` (which must not exist) with permission bits `mode`.
// Tries ioctl(FICLONE) first, then a plain copy. On failure `dest` is removed.
CopyResult copy_file(const std::string& source, const std::string& dest, uint32_t mode,
                     CopyDigest digest);

// A fresh name next to `path` for temp + rename: "<path>.tmp.<pid>.<counter>".
std::string temp_path_for(const std::string& path);
bool is_temp_path(const std::string& path);

// The one temporary name for placing a file at `dest` in a workspace: "DIR/.NAME.luisy-tmp".
// Fixed, not unique (one luisy per workspace holds its lock), so that a placement killed
// before its rename leaves a file that the next placement or removal of `dest` takes away;
// hidden, so that globs (`data/*`) do not pick it up meanwhile.
std::string placement_temp_path(const std::string& dest);

// XXH3-128 of a file's contents; nullopt and *error when it cannot be read.
std::optional<util::Digest> digest_of_file(const std::string& path, std::string* error);

// Sets atime and mtime to now (for LRU). Failures are ignored: a missed touch only makes
// eviction slightly less accurate.
void touch_file(const std::string& path);

// Writes `content` to a temp next to `path` and renames it over `path` (no fsync: readers of
// our files verify what they read). False and *error on failure; no temp is left behind.
bool write_file_replace(const std::string& path, std::string_view content, std::string* error);

// Creates `path` (which must not exist) holding `content`, with `mode`; on failure *error and
// nothing is left.
bool write_new_file(const std::string& path, std::string_view content, uint32_t mode,
                    std::string* error);

// rename(2) with a user-facing error; false and *error on failure.
bool rename_file(const std::string& from, const std::string& to, std::string* error);

}  // namespace luisy::cache
