#pragma once
// Helpers shared by the cache tests: a temporary directory and small file utilities.
#include <stdlib.h>
#include <sys/stat.h>

#include <string>

#include "luisy/util/digest.h"
#include "luisy/util/fs.h"

namespace luisy::cache::test {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/luisy-cache-test-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() { util::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& relative) const { return path_ + "/" + relative; }

 private:
  std::string path_;
};

inline util::Digest write_file(const std::string& path, const std::string& content) {
  util::make_parent_dirs(path);
  util::write_file_atomic(path, content);
  return util::digest_of(content);
}

inline struct stat stat_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st;
}

}  // namespace luisy::cache::test
