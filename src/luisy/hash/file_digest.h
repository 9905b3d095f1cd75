#pragma once
// Content digests of files and directory trees, remembered by stat so that an unchanged
// file is never read twice.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "luisy/util/digest.h"
#include "luisy/util/fs.h"

namespace luisy::hash {

// XXH3-128 of a file's contents. Throws Error naming the path when it cannot be read.
util::Digest hash_file(const std::string& path);

struct StatEntry {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  util::Digest digest;
  // Not saved: set when this run stat'ed (or hashed) the file and found the entry current,
  // with the st_mode of that stat. Used only with stat_once().
  uint32_t mode = 0;
  bool checked = false;
};

// path -> (size, mtime_ns, inode, digest). A digest is trusted while the three stat fields
// are unchanged. Paths are as the caller gives them (workspace-relative in practice).
class StatCache {
 public:
  // Digest of a regular file, from the cache when its stat is unchanged, else by reading it.
  // For a directory: the tree digest (every file's relative path, mode bit x and digest).
  // nullopt when the path does not exist. `base_dir` is prepended to reach the file.
  // `stat`, when given, receives the stat of the path (of the directory, for a directory).
  std::optional<util::Digest> digest(const std::string& base_dir, const std::string& path,
                                     util::FileStat* stat = nullptr);

  // Within one build every path is stat'ed once (as Ninja does): a file found current is
  // trusted for the rest of the run until forget() is called for it. A build turns this on;
  // the engine forgets every output it removes, runs or restores. Off by default.
  void stat_once(bool on) { stat_once_ = on; }

  // Makes a walk that will ask for the digests of `paths` cheap: stats each (a directory:
  // each file below it) once, as digest() would, and hashes every file whose stat does not
  // match its entry on `threads` threads (0: one per core), filling the cache. With
  // stat_once, digest() then answers from the cache without a stat. Paths that are missing,
  // unreadable or neither file nor directory are skipped: digest() reports them. Returns the
  // number of files hashed.
  size_t prefetch(const std::string& base_dir, const std::vector<const std::string*>& paths,
                  unsigned threads = 0);

  // Forgets a file path; a directory path given with its trailing '/' forgets everything
  // below it too.
  void forget(const std::string& path);

  // Entries whose mtime is within `racy_window_ns` of `now_ns` are not trustworthy (the
  // file could change again within the timestamp granularity); drop_racy removes them
  // before saving.
  void drop_racy(int64_t now_ns, int64_t racy_window_ns = 50'000'000);

  const std::unordered_map<std::string, StatEntry>& entries() const { return entries_; }
  void insert(const std::string& path, const StatEntry& entry) {
    entries_[path] = entry;
    dirty_ = true;
  }
  void reserve(size_t count) { entries_.reserve(count); }
  bool dirty() const { return dirty_; }
  void mark_clean() { dirty_ = false; }
  size_t files_hashed() const { return files_hashed_; }

 private:
  std::optional<util::Digest> file_digest(const std::string& base_dir, const std::string& key,
                                          const util::FileStat& stat);
  std::optional<util::FileStat> stat(const std::string& base_dir, const std::string& key);
  // `base_dir` opened (and kept open) for the *at calls; -1 when empty or not openable.
  int base_fd(const std::string& base_dir);

  // The directory paths are relative to, kept open for fstatat.
  struct BaseDir {
    std::string path;
    int fd = -1;
    BaseDir() = default;
    BaseDir(const BaseDir&) {}  // a copy opens its own
    BaseDir& operator=(const BaseDir&) { return *this; }
    ~BaseDir();
  };
  BaseDir base_;
  std::unordered_map<std::string, StatEntry> entries_;
  bool stat_once_ = false;
  bool dirty_ = false;
  size_t files_hashed_ = 0;
};

}  // namespace luisy::hash
