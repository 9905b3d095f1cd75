#pragma once
// Reading and hashing file contents: one file, or many at once on one thread per core.
// XXH3 is a streaming hash and cannot be split, so one file is always read by one thread:
// a single large file is bound by one core, several are spread over all of them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "luisy/util/digest.h"
#include "luisy/util/fs.h"

namespace luisy::hash {

// A size for digest_file_at when stat was not asked: read until the end.
constexpr uint64_t kUnknownSize = UINT64_MAX;

// XXH3-128 of the file `path`, opened relative to `dir_fd` (AT_FDCWD, or ignored for an
// absolute path). `size` is what stat said: the file is read up to it in as few reads as
// possible, and further only if it grew meanwhile, so the digest is always that of the bytes
// read (a caller storing it with that stat sees the change next time by the mtime).
// nullopt when the file does not exist; throws Error naming the path (after `base_dir`, the
// directory `dir_fd` stands for) when it cannot be read.
// With `opened` (the file not stat'ed before): the stat is taken from the open file (one
// path walk instead of two) into *opened, and only a regular file is read (nullopt for
// anything else, e.g. a directory; a FIFO is opened without waiting for a writer).
std::optional<util::Digest> digest_file_at(int dir_fd, const char* path, uint64_t size,
                                           std::string_view base_dir,
                                           util::FileStat* opened = nullptr);

struct FileToHash {
  const char* path = "";  // relative to the directory, or absolute; valid during the call
  uint64_t size = 0;      // from stat; kUnknownSize: not stat'ed, see `stat` below
};

struct HashedFile {
  std::optional<util::Digest> digest;  // nullopt: missing, not a regular file, or `error`
  std::string error;                   // e.g. "cannot read /w/a.bin: Permission denied"
  // For a file given with kUnknownSize: its stat, taken when opened, before reading (mode 0:
  // it does not exist).
  util::FileStat stat;
};

// One thread per core (std::thread::hardware_concurrency, at least 1).
unsigned hash_threads();

// Digests of `files` (results by index), read relative to `dir_fd` on up to `threads`
// threads (0: hash_threads()), the largest files first; the calling thread is one of them,
// and a small batch is hashed on it alone. `base_dir` is only for messages. Never throws for
// one file: its error is in its result.
std::vector<HashedFile> digest_files(int dir_fd, const std::string& base_dir,
                                     const std::vector<FileToHash>& files, unsigned threads = 0);

}  // namespace luisy::hash
