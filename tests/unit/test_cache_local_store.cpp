#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "luisy/cache/file_copy.h"
#include "luisy/cache/local_store.h"
#include "luisy/util/fs.h"
#include "test_cache_helpers.h"

using namespace luisy;
using cache::LocalStore;
using cache::test::stat_of;
using cache::test::TempDir;
using cache::test::write_file;

namespace {

void set_mtime(const std::string& path, time_t seconds) {
  struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
}

}  // namespace

TEST_CASE("local store: put a blob, place it with its mode, not as a hard link") {
  TempDir dir;
  LocalStore store(dir / "store");
  util::Digest d = write_file(dir / "ws/out.txt", "hello world\n");

  CHECK_FALSE(store.has_blob(d));
  REQUIRE(store.put_blob_from_file(d, dir / "ws/out.txt"));
  CHECK(store.has_blob(d));
  CHECK(util::read_file(store.blob_path(d)) == "hello world\n");
  CHECK(store.put_blob_from_file(d, dir / "ws/out.txt"));  // present: a no-op

  std::string dest = dir / "ws2/deep/placed.txt";
  std::string error;
  REQUIRE_MESSAGE(store.place_blob(d, dest, 0751, &error), error);
  CHECK(util::read_file(dest) == "hello world\n");
  struct stat st = stat_of(dest);
  CHECK((st.st_mode & 07777) == 0751);
  CHECK(st.st_nlink == 1);
  CHECK(st.st_ino != stat_of(store.blob_path(d)).st_ino);

  // Editing the placed file in place leaves the store intact.
  int fd = ::open(dest.c_str(), O_WRONLY | O_TRUNC);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "changed", 7) == 7);
  ::close(fd);
  CHECK(util::read_file(store.blob_path(d)) == "hello world\n");

  // Placing again replaces the edited file.
  REQUIRE(store.place_blob(d, dest, 0644, &error));
  CHECK(util::read_file(dest) == "hello world\n");
  CHECK((stat_of(dest).st_mode & 07777) == 0644);
}

TEST_CASE("local store: a placement killed before its rename leaves a temp the next one takes") {
  TempDir dir;
  LocalStore store(dir / "store");
  util::Digest d = write_file(dir / "f", "whole");
  REQUIRE(store.put_blob_from_file(d, dir / "f"));
  std::string dest = dir / "ws/data/out.txt";
  CHECK(cache::placement_temp_path(dest) == std::string(dir / "ws/data/.out.txt.luisy-tmp"));
  CHECK(cache::placement_temp_path("out.txt") == ".out.txt.luisy-tmp");
  write_file(dir / "ws/data/.out.txt.luisy-tmp", "half");  // what a kill -9 left
  std::string error;
  REQUIRE_MESSAGE(store.place_blob(d, dest, 0644, &error), error);
  CHECK(util::read_file(dest) == "whole");
  CHECK(util::list_files(dir / "ws/data") == std::vector<std::string>{"out.txt"});
}

TEST_CASE("local store: a file that changed since it was hashed is not stored") {
  TempDir dir;
  LocalStore store(dir / "store");
  util::Digest stale = util::digest_of("old content");
  write_file(dir / "f", "new content");
  std::string error;
  CHECK_FALSE(store.put_blob_from_file(stale, dir / "f", &error));
  CHECK(error.find("changed") != std::string::npos);
  CHECK_FALSE(store.has_blob(stale));
}

TEST_CASE("local store: a corrupt blob is detected by place_blob and removed") {
  TempDir dir;
  LocalStore store(dir / "store");
  util::Digest d = write_file(dir / "f", "good bytes");
  REQUIRE(store.put_blob_from_file(d, dir / "f"));
  std::string blob = store.blob_path(d);
  ::chmod(blob.c_str(), 0644);
  util::write_file_atomic(blob, "evil bytes");

  write_file(dir / "ws/out", "previous");
  std::string error;
  CHECK_FALSE(store.place_blob(d, dir / "ws/out", 0644, &error));
  CHECK(error.find("corrupt") != std::string::npos);
  CHECK_FALSE(store.has_blob(d));
  CHECK(util::read_file(dir / "ws/out") == "previous");                    // dest untouched
  CHECK(util::list_files(dir / "ws") == std::vector<std::string>{"out"});  // no temp left

  CHECK_FALSE(store.place_blob(d, dir / "ws/out", 0644, &error));  // now simply missing
  CHECK(error.find("not in the local store") != std::string::npos);
}

TEST_CASE("local store: records round trip; a corrupt record is a miss and removed") {
  TempDir dir;
  LocalStore store(dir / "store");
  cache::ResultRecord r;
  r.key = util::digest_of("k");
  r.files = {{"a.txt", util::digest_of("a"), 1, 0644}};
  r.preimage = "pre";
  CHECK_FALSE(store.get_record(r.key));
  store.put_record(r);
  auto got = store.get_record(r.key);
  REQUIRE(got);
  CHECK(*got == r);

  util::write_file_atomic(store.record_path(r.key), "{\"format\": 1, \"key\":");
  CHECK_FALSE(store.get_record(r.key));
  CHECK_FALSE(util::exists(store.record_path(r.key)));

  // A record stored under the wrong key name is refused too.
  cache::ResultRecord other = r;
  other.key = util::digest_of("other");
  util::write_file_atomic(store.record_path(r.key), cache::serialize_record(other));
  CHECK_FALSE(store.get_record(r.key));
}

TEST_CASE("local store: adopt_blob verifies downloaded content") {
  TempDir dir;
  LocalStore store(dir / "store");
  util::Digest d = util::digest_of("payload");
  std::string temp = store.new_temp_path(d);
  write_file(temp, "not the payload");
  std::string error;
  CHECK_FALSE(store.adopt_blob(d, temp, &error));
  CHECK_FALSE(util::exists(temp));
  CHECK_FALSE(store.has_blob(d));

  temp = store.new_temp_path(d);
  write_file(temp, "payload");
  CHECK(store.adopt_blob(d, temp, &error));
  CHECK(store.has_blob(d));
}

TEST_CASE("local store: trim evicts least recently used first") {
  TempDir dir;
  LocalStore store(dir / "store");
  std::string content(1000, 'x');
  std::vector<util::Digest> digests;
  for (int i = 0; i < 4; ++i) {
    std::string c = content;
    c[0] = static_cast<char>('a' + i);
    util::Digest d = write_file(dir / "f", c);
    REQUIRE(store.put_blob_from_file(d, dir / "f"));
    digests.push_back(d);
  }
  // Use order: 2 oldest, then 0, 3, and 1 most recent.
  set_mtime(store.blob_path(digests[2]), 1000);
  set_mtime(store.blob_path(digests[0]), 2000);
  set_mtime(store.blob_path(digests[3]), 3000);
  set_mtime(store.blob_path(digests[1]), 4000);
  // A stale temp from a crash goes too; a young one stays (a running luisy owns it).
  std::string stale = store.new_temp_path(digests[0]);
  write_file(stale, "partial");
  set_mtime(stale, 1000);
  std::string young = store.new_temp_path(digests[1]);
  write_file(young, "partial");

  CHECK(store.usage().blobs == 4);
  uint64_t freed = store.trim(2500);
  CHECK(freed == 2000 + 7);
  CHECK_FALSE(store.has_blob(digests[2]));
  CHECK_FALSE(store.has_blob(digests[0]));
  CHECK(store.has_blob(digests[3]));
  CHECK(store.has_blob(digests[1]));
  CHECK_FALSE(util::exists(stale));
  CHECK(util::exists(young));
  CHECK(store.usage().bytes == 2000);
  CHECK(store.trim(1ull << 40) == 0);
}

TEST_CASE("local store: placing a blob touches it for LRU") {
  TempDir dir;
  LocalStore store(dir / "store");
  util::Digest d = write_file(dir / "f", "abc");
  REQUIRE(store.put_blob_from_file(d, dir / "f"));
  set_mtime(store.blob_path(d), 1000);
  REQUIRE(store.place_blob(d, dir / "out", 0644));
  CHECK(stat_of(store.blob_path(d)).st_mtime > 1000);
}

namespace {
// Sets or unsets an environment variable for the scope, restoring the old value after.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~EnvGuard() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};
}  // namespace

TEST_CASE("local store: default root from the environment") {
  EnvGuard home("HOME", "/home/ana");
  {
    EnvGuard dir("LUISY_CACHE_DIR", "/some/where");
    EnvGuard xdg("XDG_CACHE_HOME", "/xdg");
    CHECK(LocalStore::default_root() == "/some/where");
  }
  {
    EnvGuard dir("LUISY_CACHE_DIR", nullptr);
    EnvGuard xdg("XDG_CACHE_HOME", "/xdg");
    CHECK(LocalStore::default_root() == "/xdg/luisy");
  }
  EnvGuard dir("LUISY_CACHE_DIR", "");
  EnvGuard xdg("XDG_CACHE_HOME", nullptr);
  CHECK(LocalStore::default_root() == "/home/ana/.cache/luisy");
}
