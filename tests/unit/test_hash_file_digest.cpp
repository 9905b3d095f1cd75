#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "luisy/hash/file_digest.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace {

using luisy::hash::StatCache;
namespace util = luisy::util;

struct HashTempDir {
  std::string path;
  HashTempDir() {
    char pattern[] = "/tmp/luisy_hash_XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~HashTempDir() { util::remove_all(path); }
  std::string file(const std::string& name) const { return util::join_path(path, name); }
};

void write(const std::string& path, const std::string& content) {
  util::make_parent_dirs(path);
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
}

// Sets the mtime explicitly, so tests need neither sleeps nor a coarse clock.
void set_mtime(const std::string& path, int64_t seconds, long nanos = 0) {
  struct timespec times[2] = {{seconds, nanos}, {seconds, nanos}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

std::string xxhsum_h2(const std::string& path) {
  std::string command = "xxhsum -H2 '" + path + "' 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return "";
  char buffer[256] = {};
  std::string out = std::fgets(buffer, sizeof buffer, pipe) ? buffer : "";
  ::pclose(pipe);
  return out.substr(0, out.find(' '));
}

}  // namespace

TEST_CASE("hash_file equals the digest of the content and xxhsum -H2") {
  HashTempDir dir;
  std::string content;
  for (int i = 0; i < 700'000; ++i) content += static_cast<char>('a' + i % 23);  // > buffer
  write(dir.file("big.bin"), content);
  write(dir.file("empty"), "");
  CHECK(luisy::hash::hash_file(dir.file("big.bin")) == util::digest_of(content));
  CHECK(luisy::hash::hash_file(dir.file("empty")) == util::digest_of(""));

  if (::system("command -v xxhsum >/dev/null 2>&1") != 0) {
    MESSAGE("xxhsum not installed: skipping the comparison with it");
    return;
  }
  for (const char* name : {"big.bin", "empty"}) {
    std::string path = dir.file(name);
    CHECK(util::to_hex(luisy::hash::hash_file(path)) == xxhsum_h2(path));
  }
}

TEST_CASE("hash_file of a missing file throws naming it") {
  HashTempDir dir;
  try {
    luisy::hash::hash_file(dir.file("nope"));
    FAIL("no exception");
  } catch (const luisy::Error& e) {
    CHECK(std::string(e.what()).find("nope") != std::string::npos);
  }
}

TEST_CASE("stat cache: a hit does not read, a change in size or mtime does") {
  HashTempDir dir;
  write(dir.file("a.txt"), "hello");
  set_mtime(dir.file("a.txt"), 1'600'000'000);
  StatCache cache;
  auto first = cache.digest(dir.path, "a.txt");
  REQUIRE(first);
  CHECK(*first == util::digest_of("hello"));
  CHECK(cache.files_hashed() == 1);
  CHECK(cache.dirty());
  REQUIRE(cache.entries().count("a.txt") == 1);
  CHECK(cache.entries().at("a.txt").mtime_ns == 1'600'000'000LL * 1'000'000'000);

  cache.mark_clean();
  CHECK(cache.digest(dir.path, "a.txt") == first);
  CHECK(cache.files_hashed() == 1);
  CHECK_FALSE(cache.dirty());

  // Same mtime, different size.
  write(dir.file("a.txt"), "hello world");
  set_mtime(dir.file("a.txt"), 1'600'000'000);
  CHECK(cache.digest(dir.path, "a.txt") == util::digest_of("hello world"));
  CHECK(cache.files_hashed() == 2);

  // Same size, different mtime (by one nanosecond).
  write(dir.file("a.txt"), "HELLO WORLD");
  set_mtime(dir.file("a.txt"), 1'600'000'000, 1);
  CHECK(cache.digest(dir.path, "a.txt") == util::digest_of("HELLO WORLD"));
  CHECK(cache.files_hashed() == 3);

  // A stale entry whose stat matches is trusted: that is the contract, and why it matters
  // that racy entries are dropped.
  write(dir.file("a.txt"), "hello world");
  set_mtime(dir.file("a.txt"), 1'600'000'000, 1);
  CHECK(cache.digest(dir.path, "a.txt") == util::digest_of("HELLO WORLD"));
  CHECK(cache.files_hashed() == 3);
}

TEST_CASE("stat cache: missing paths give nullopt") {
  HashTempDir dir;
  StatCache cache;
  CHECK_FALSE(cache.digest(dir.path, "missing.csv"));
  CHECK_FALSE(cache.digest(dir.path, "missing_dir/"));
  CHECK(cache.files_hashed() == 0);
}

TEST_CASE("stat cache: directory tree digests") {
  HashTempDir dir;
  write(dir.file("out/a.csv"), "1,2\n");
  write(dir.file("out/sub/b.csv"), "3,4\n");
  StatCache cache;
  auto tree = cache.digest(dir.path, "out/");
  REQUIRE(tree);
  CHECK(cache.files_hashed() == 2);
  CHECK(cache.entries().count("out/a.csv") == 1);
  CHECK(cache.entries().count("out/sub/b.csv") == 1);
  CHECK(cache.digest(dir.path, "out") == tree);  // trailing slash or not
  CHECK(cache.files_hashed() == 2);              // an unchanged directory reads nothing

  SUBCASE("content change") {
    write(dir.file("out/sub/b.csv"), "3,5\n");
    set_mtime(dir.file("out/sub/b.csv"), 1'500'000'000);
    auto changed = cache.digest(dir.path, "out/");
    REQUIRE(changed);
    CHECK(*changed != *tree);
    CHECK(cache.files_hashed() == 3);
  }
  SUBCASE("new file") {
    write(dir.file("out/c.csv"), "");
    CHECK(cache.digest(dir.path, "out/") != tree);
  }
  SUBCASE("rename") {
    REQUIRE(::rename(dir.file("out/a.csv").c_str(), dir.file("out/z.csv").c_str()) == 0);
    CHECK(cache.digest(dir.path, "out/") != tree);
  }
  SUBCASE("executable bit") {
    REQUIRE(::chmod(dir.file("out/a.csv").c_str(), 0755) == 0);
    CHECK(cache.digest(dir.path, "out/") != tree);
  }
  SUBCASE("the same tree elsewhere has the same digest") {
    write(dir.file("copy/a.csv"), "1,2\n");
    write(dir.file("copy/sub/b.csv"), "3,4\n");
    CHECK(cache.digest(dir.path, "copy/") == tree);
  }
}

TEST_CASE("stat cache: forget removes a path and everything below it") {
  HashTempDir dir;
  write(dir.file("out/a"), "a");
  write(dir.file("out/b"), "b");
  write(dir.file("outside"), "c");
  StatCache cache;
  REQUIRE(cache.digest(dir.path, "out/"));
  REQUIRE(cache.digest(dir.path, "outside"));
  REQUIRE(cache.entries().size() == 3);
  cache.forget("out/");
  CHECK(cache.entries().size() == 1);
  CHECK(cache.entries().count("outside") == 1);  // a prefix of the name is not "below"
  cache.forget("outside");
  CHECK(cache.entries().empty());
}

TEST_CASE("stat cache: drop_racy removes entries with recent mtimes") {
  StatCache cache;
  const int64_t second = 1'000'000'000;
  cache.insert("old", {1, 100 * second, 1, util::digest_of("old")});
  cache.insert("edge", {1, 200 * second - 50'000'000, 2, util::digest_of("edge")});
  cache.insert("recent", {1, 200 * second - 10'000'000, 3, util::digest_of("recent")});
  cache.insert("future", {1, 300 * second, 4, util::digest_of("future")});
  cache.drop_racy(200 * second);
  CHECK(cache.entries().size() == 2);
  CHECK(cache.entries().count("old") == 1);
  CHECK(cache.entries().count("edge") == 1);
}
