#include <doctest/doctest.h>
#include <stdlib.h>

#include <string>

#include "luisy/state/plan_store.h"
#include "luisy/util/fs.h"

namespace {

namespace util = luisy::util;

struct PlanTempDir {
  std::string path;
  PlanTempDir() {
    char pattern[] = "/tmp/luisy_plan_XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~PlanTempDir() { util::remove_all(path); }
  std::string plan() const { return util::join_path(path, "plan"); }
};

}  // namespace

TEST_CASE("plan store: bytes come back under the same key only") {
  PlanTempDir dir;
  const auto key = util::digest_of("pipeline.yaml text + params + targets");
  const auto other = util::digest_of("edited pipeline");
  CHECK_FALSE(luisy::state::load_plan(dir.path, key));  // nothing saved yet

  std::string bytes("compiled\0plan\nwith binary \xff bytes", 33);
  luisy::state::save_plan(dir.path, key, bytes);
  auto loaded = luisy::state::load_plan(dir.path, key);
  REQUIRE(loaded);
  CHECK(*loaded == bytes);
  CHECK_FALSE(luisy::state::load_plan(dir.path, other));

  luisy::state::save_plan(dir.path, other, "");
  CHECK_FALSE(luisy::state::load_plan(dir.path, key));
  auto empty = luisy::state::load_plan(dir.path, other);
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("plan store: a damaged file is a miss") {
  PlanTempDir dir;
  const auto key = util::digest_of("k");
  luisy::state::save_plan(dir.path, key, std::string(1000, 'p'));
  const std::string good = util::read_file(dir.plan());

  for (size_t n = 0; n < good.size(); n += 7) {
    util::write_file_atomic(dir.plan(), good.substr(0, n));
    CHECK_FALSE(luisy::state::load_plan(dir.path, key));
  }
  std::string flipped = good;
  flipped[500] ^= 0x01;
  util::write_file_atomic(dir.plan(), flipped);
  CHECK_FALSE(luisy::state::load_plan(dir.path, key));
  util::write_file_atomic(dir.plan(), good + "x");
  CHECK_FALSE(luisy::state::load_plan(dir.path, key));
}
