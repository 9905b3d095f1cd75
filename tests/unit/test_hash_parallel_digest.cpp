#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "luisy/hash/file_digest.h"
#include "luisy/hash/parallel_digest.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace {

using luisy::hash::StatCache;
namespace hash = luisy::hash;
namespace util = luisy::util;

struct ParallelDir {
  std::string path;
  ParallelDir() {
    char pattern[] = "/tmp/luisy_parallel_XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~ParallelDir() {
    ::chmod(file("locked.bin").c_str(), 0644);
    util::remove_all(path);
  }
  std::string file(const std::string& name) const { return util::join_path(path, name); }
};

void write_bytes(const std::string& path, const std::string& content) {
  util::make_parent_dirs(path);
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
}

std::string pattern(size_t size, int seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + seed * 7) % 251);
  return s;
}

// Sizes around the read size of 128 KiB (one byte less, exact, one more, twice), the size
// from which reads are advised sequential (1 MiB), and a few others.
constexpr size_t kRead = 128 * 1024;
const std::vector<size_t> kSizes = {
    0,
    1,
    4096,
    kRead - 1,
    kRead,
    kRead + 1,
    2 * kRead - 1,
    2 * kRead,
    2 * kRead + 1,
    1 << 20,
    (1 << 20) + 1,
    3'000'000,
};

}  // namespace

TEST_CASE("parallel digests equal the sequential ones, whatever the size and thread count") {
  ParallelDir dir;
  std::vector<std::string> names, contents;
  for (int copy = 0; copy < 3; ++copy) {  // enough files for several threads
    for (size_t size : kSizes) {
      names.push_back("f" + std::to_string(names.size()) + ".bin");
      contents.push_back(pattern(size, static_cast<int>(names.size())));
      write_bytes(dir.file(names.back()), contents.back());
    }
  }
  std::vector<hash::FileToHash> files;
  for (size_t i = 0; i < names.size(); ++i) files.push_back({names[i].c_str(), contents[i].size()});
  int fd = ::open(dir.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  for (unsigned threads : {1u, 2u, 4u, 0u}) {
    CAPTURE(threads);
    auto results = hash::digest_files(fd, dir.path, files, threads);
    REQUIRE(results.size() == files.size());
    for (size_t i = 0; i < files.size(); ++i) {
      CAPTURE(files[i].size);
      CHECK(results[i].error.empty());
      REQUIRE(results[i].digest);
      CHECK(*results[i].digest == util::digest_of(contents[i]));
      CHECK(*results[i].digest == hash::hash_file(dir.file(files[i].path)));
    }
  }
  ::close(fd);
}

TEST_CASE("a file that grew or shrank after its stat is hashed as read, to its end") {
  ParallelDir dir;
  std::string content = pattern(300'000, 3);
  write_bytes(dir.file("a.bin"), content);
  // The stat said less (it grew since) or more (it shrank): the digest is still the content's.
  for (uint64_t said : {uint64_t{0}, uint64_t{10}, uint64_t{299'999}, uint64_t{300'001},
                        uint64_t{1'000'000}, hash::kUnknownSize}) {
    CAPTURE(said);
    CHECK(hash::digest_file_at(AT_FDCWD, dir.file("a.bin").c_str(), said, "") ==
          util::digest_of(content));
  }
}

TEST_CASE("parallel digests: a missing file is nullopt, an unreadable one an error naming it") {
  ParallelDir dir;
  write_bytes(dir.file("ok.bin"), "fine");
  write_bytes(dir.file("locked.bin"), "secret");
  std::vector<hash::FileToHash> files = {{"ok.bin", 4}, {"gone.bin", 10}, {"/proc/self/mem", 0}};
  bool can_lock = ::geteuid() != 0;  // root reads a mode-000 file anyway
  if (can_lock) {
    REQUIRE(::chmod(dir.file("locked.bin").c_str(), 0) == 0);
    files.push_back({"locked.bin", 6});
  }
  int fd = ::open(dir.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  auto results = hash::digest_files(fd, dir.path, files, 2);
  ::close(fd);
  CHECK(results[0].digest == util::digest_of("fine"));
  CHECK_FALSE(results[1].digest);
  CHECK(results[1].error.empty());
  // Reading /proc/self/mem at offset 0 fails (EIO) even for root.
  CHECK_FALSE(results[2].digest);
  CHECK(results[2].error.find("cannot read /proc/self/mem") != std::string::npos);
  if (can_lock) {
    CHECK_FALSE(results[3].digest);
    CHECK(results[3].error.find("cannot open " + dir.file("locked.bin")) != std::string::npos);
  }
}

TEST_CASE("stat cache prefetch: the same digests as digest(), files and directories") {
  ParallelDir dir;
  for (int i = 0; i < 40; ++i)
    write_bytes(dir.file("src/" + std::to_string(i) + ".txt"), pattern(i * 1000, i));
  write_bytes(dir.file("tree/a.txt"), "a");
  write_bytes(dir.file("tree/sub/b.txt"), pattern(200'000, 9));
  ::chmod(dir.file("tree/a.txt").c_str(), 0755);

  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("src/" + std::to_string(i) + ".txt");
  names.push_back("src/0.txt");  // twice: hashed once
  names.push_back("tree/");
  names.push_back("tree");  // the same directory, without its slash
  names.push_back("missing.txt");
  std::vector<const std::string*> paths;
  for (const auto& name : names) paths.push_back(&name);

  StatCache sequential;
  StatCache prefetched;
  prefetched.stat_once(true);
  CHECK(prefetched.prefetch(dir.path, paths, 2) == 42);
  CHECK(prefetched.files_hashed() == 42);
  CHECK(prefetched.dirty());
  for (const auto& name : names) {
    CAPTURE(name);
    CHECK(prefetched.digest(dir.path, name) == sequential.digest(dir.path, name));
  }
  CHECK_FALSE(prefetched.digest(dir.path, "missing.txt"));
  // Everything was found current: nothing read again, in the walk or in a second prefetch.
  CHECK(prefetched.files_hashed() == 42);
  CHECK(prefetched.prefetch(dir.path, paths, 2) == 0);
  CHECK(prefetched.entries().at("tree/sub/b.txt").digest == util::digest_of(pattern(200'000, 9)));

  // From a saved cache: only a changed file is read again.
  StatCache reloaded;
  for (auto [path, entry] : prefetched.entries()) {
    entry.checked = false;  // not saved
    reloaded.insert(path, entry);
  }
  reloaded.mark_clean();
  reloaded.stat_once(true);
  write_bytes(dir.file("src/7.txt"), "changed, and of another size");
  CHECK(reloaded.prefetch(dir.path, paths) == 1);
  CHECK(reloaded.digest(dir.path, "src/7.txt") == util::digest_of("changed, and of another size"));
  CHECK(reloaded.files_hashed() == 1);
}

TEST_CASE("stat cache prefetch leaves an unreadable file to digest(), which names it") {
  ParallelDir dir;
  std::string mem = "/proc/self/mem";
  std::vector<const std::string*> paths = {&mem};
  StatCache cache;
  cache.stat_once(true);
  CHECK(cache.prefetch(dir.path, paths, 2) == 0);
  CHECK_THROWS_WITH_AS(cache.digest(dir.path, mem), doctest::Contains("cannot read /proc/self/mem"),
                       luisy::Error);
}

TEST_CASE("stat cache prefetch without stat once: stats first, the same digests") {
  ParallelDir dir;
  for (int i = 0; i < 20; ++i) write_bytes(dir.file(std::to_string(i)), pattern(i * 5000, i));
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back(std::to_string(i));
  names.push_back("3");
  std::vector<const std::string*> paths;
  for (const auto& name : names) paths.push_back(&name);
  StatCache cache;
  CHECK(cache.prefetch(dir.path, paths, 2) == 20);
  for (int i = 0; i < 20; ++i)
    CHECK(cache.digest(dir.path, names[i]) == util::digest_of(pattern(i * 5000, i)));
  CHECK(cache.files_hashed() == 20);
}

TEST_CASE("stat cache prefetch does not open a FIFO for reading; digest() rejects it") {
  ParallelDir dir;
  REQUIRE(::mkfifo(dir.file("pipe").c_str(), 0644) == 0);
  std::string name = "pipe";
  std::vector<const std::string*> paths = {&name};
  for (bool once : {true, false}) {
    StatCache cache;
    cache.stat_once(once);
    CHECK(cache.prefetch(dir.path, paths) == 0);  // returns: nothing waits for a writer
    CHECK_THROWS_WITH_AS(cache.digest(dir.path, name),
                         doctest::Contains("neither a regular file nor a directory"), luisy::Error);
  }
}
