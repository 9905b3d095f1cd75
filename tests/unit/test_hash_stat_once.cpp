#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "luisy/hash/file_digest.h"
#include "luisy/util/fs.h"

namespace {

using luisy::hash::StatCache;
namespace util = luisy::util;

struct StatOnceDir {
  std::string path;
  StatOnceDir() {
    char pattern[] = "/tmp/luisy_stat_once_XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~StatOnceDir() { util::remove_all(path); }
  std::string file(const std::string& name) const { return util::join_path(path, name); }
};

void write_text(const std::string& path, const std::string& content) {
  util::make_parent_dirs(path);
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
}

}  // namespace

TEST_CASE("stat cache, stat once: a file found current is not looked at again until forgotten") {
  StatOnceDir dir;
  write_text(dir.file("a.txt"), "hello");
  ::chmod(dir.file("a.txt").c_str(), 0751);
  StatCache cache;
  cache.stat_once(true);
  util::FileStat first_stat;
  auto first = cache.digest(dir.path, "a.txt", &first_stat);
  REQUIRE(first);
  CHECK(*first == util::digest_of("hello"));
  CHECK(first_stat.size == 5);
  CHECK((first_stat.mode & 07777) == 0751);

  // Changed behind the cache's back during the "build": the first answer stands (one stat
  // per file per build, as Ninja), with the same stat.
  write_text(dir.file("a.txt"), "changed!");
  util::FileStat second_stat;
  CHECK(cache.digest(dir.path, "a.txt", &second_stat) == first);
  CHECK(second_stat.size == 5);
  CHECK((second_stat.mode & 07777) == 0751);
  CHECK(cache.files_hashed() == 1);

  // The engine forgets what it removes, runs or restores: then it is read again.
  cache.forget("a.txt");
  CHECK(cache.digest(dir.path, "a.txt") == util::digest_of("changed!"));
  CHECK(cache.files_hashed() == 2);

  // A missing file is never remembered as current.
  CHECK_FALSE(cache.digest(dir.path, "b.txt"));
  write_text(dir.file("b.txt"), "now here");
  CHECK(cache.digest(dir.path, "b.txt") == util::digest_of("now here"));
}

TEST_CASE("stat cache without stat once looks at the file every time") {
  StatOnceDir dir;
  write_text(dir.file("a.txt"), "hello");
  StatCache cache;
  CHECK(cache.digest(dir.path, "a.txt") == util::digest_of("hello"));
  write_text(dir.file("a.txt"), "changed!");
  CHECK(cache.digest(dir.path, "a.txt") == util::digest_of("changed!"));
  // A copy opens its own directory handle and answers the same.
  StatCache copy = cache;
  CHECK(copy.digest(dir.path, "a.txt") == util::digest_of("changed!"));
}

TEST_CASE("MappedFile: contents, empty and missing files") {
  StatOnceDir dir;
  write_text(dir.file("data"), "some bytes");
  write_text(dir.file("empty"), "");
  auto data = util::MappedFile::open_if_exists(dir.file("data"));
  REQUIRE(data);
  CHECK(data->view() == "some bytes");
  util::MappedFile moved = std::move(*data);
  CHECK(moved.view() == "some bytes");
  auto empty = util::MappedFile::open_if_exists(dir.file("empty"));
  REQUIRE(empty);
  CHECK(empty->view().empty());
  CHECK_FALSE(util::MappedFile::open_if_exists(dir.file("missing")));
}
