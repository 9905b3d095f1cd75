#include <doctest/doctest.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <time.h>

#include <string>

#include "luisy/state/stat_store.h"
#include "luisy/util/fs.h"

namespace {

using luisy::hash::StatCache;
using luisy::hash::StatEntry;
namespace util = luisy::util;

struct StatsTempDir {
  std::string path;
  StatsTempDir() {
    char pattern[] = "/tmp/luisy_stats_XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~StatsTempDir() { util::remove_all(path); }
  std::string stats() const { return util::join_path(path, "stats"); }
};

const int64_t kOld = 1'600'000'000LL * 1'000'000'000;  // 2020: long past any racy window

StatCache filled_cache(int count) {
  StatCache cache;
  for (int i = 0; i < count; ++i)
    cache.insert(fmt::format("data/part-{:05}.csv", i),
                 StatEntry{static_cast<uint64_t>(i) * 100, kOld + i, 1000u + i,
                           util::digest_of(std::to_string(i))});
  return cache;
}

void check_equal(const StatCache& a, const StatCache& b) {
  REQUIRE(a.entries().size() == b.entries().size());
  for (const auto& [path, e] : a.entries()) {
    auto it = b.entries().find(path);
    REQUIRE(it != b.entries().end());
    CHECK(it->second.size == e.size);
    CHECK(it->second.mtime_ns == e.mtime_ns);
    CHECK(it->second.inode == e.inode);
    CHECK(it->second.digest == e.digest);
  }
}

}  // namespace

TEST_CASE("stat store: round trip") {
  StatsTempDir dir;
  StatCache saved = filled_cache(2000);
  luisy::state::save_stat_cache(dir.path, saved);
  CHECK_FALSE(saved.dirty());

  StatCache loaded;
  luisy::state::load_stat_cache(dir.path, loaded);
  check_equal(saved, loaded);
  CHECK_FALSE(loaded.dirty());
}

TEST_CASE("stat store: a clean cache is not written") {
  StatsTempDir dir;
  StatCache cache = filled_cache(3);
  cache.mark_clean();
  luisy::state::save_stat_cache(dir.path, cache);
  CHECK_FALSE(util::exists(dir.stats()));
}

TEST_CASE("stat store: racy entries are not saved") {
  StatsTempDir dir;
  StatCache cache = filled_cache(3);
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  cache.insert("fresh.csv", StatEntry{1, now.tv_sec * 1'000'000'000LL + now.tv_nsec, 7,
                                      util::digest_of("fresh")});
  luisy::state::save_stat_cache(dir.path, cache);
  StatCache loaded;
  luisy::state::load_stat_cache(dir.path, loaded);
  CHECK(loaded.entries().size() == 3);
  CHECK(loaded.entries().count("fresh.csv") == 0);
}

TEST_CASE("stat store: anything malformed loads as an empty cache") {
  StatsTempDir dir;
  StatCache saved = filled_cache(50);
  luisy::state::save_stat_cache(dir.path, saved);
  const std::string good = util::read_file(dir.stats());

  SUBCASE("missing") {
    util::remove_all(dir.stats());
  }
  SUBCASE("empty") {
    util::write_file_atomic(dir.stats(), "");
  }
  SUBCASE("truncated") {
    util::write_file_atomic(dir.stats(), good.substr(0, good.size() - 9));
  }
  SUBCASE("flipped byte") {
    std::string bad = good;
    bad[good.size() / 2] ^= 0x10;
    util::write_file_atomic(dir.stats(), bad);
  }
  SUBCASE("garbage appended") {
    util::write_file_atomic(dir.stats(), good + "xx");
  }
  SUBCASE("not a stats file") {
    util::write_file_atomic(dir.stats(), std::string(300, 'z'));
  }

  StatCache loaded;
  luisy::state::load_stat_cache(dir.path, loaded);
  CHECK(loaded.entries().empty());
}

TEST_CASE("stat store: every truncation is rejected without crashing") {
  StatsTempDir dir;
  StatCache saved = filled_cache(4);
  luisy::state::save_stat_cache(dir.path, saved);
  const std::string good = util::read_file(dir.stats());
  for (size_t n = 0; n < good.size(); ++n) {
    util::write_file_atomic(dir.stats(), good.substr(0, n));
    StatCache loaded;
    luisy::state::load_stat_cache(dir.path, loaded);
    CHECK(loaded.entries().empty());
  }
}
