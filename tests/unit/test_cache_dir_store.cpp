#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>

#include "luisy/cache/remote/dir_store.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"
#include "test_cache_helpers.h"

using namespace luisy;
using cache::remote::BlobTransfer;
using cache::remote::Failure;
using cache::test::TempDir;
using cache::test::write_file;

TEST_CASE("dir store: blobs up, has, down through the RemoteStore interface") {
  TempDir dir;
  std::unique_ptr<cache::remote::RemoteStore> store =
      cache::remote::open_remote_store(dir / "remote", "team/proj");
  CHECK(store->describe() == dir / "remote/team/proj");
  store->check_access();
  CHECK(util::stat_path(dir / "remote/team/proj")->is_directory);

  util::Digest a = write_file(dir / "a.txt", "alpha");
  util::Digest b = write_file(dir / "b.txt", std::string(3 << 20, 'b'));
  util::Digest absent = util::digest_of("absent");

  Failure failure;
  CHECK(store->has_blobs({a, b, absent}, &failure) == std::vector<bool>{false, false, false});
  CHECK(failure.message.empty());

  std::vector<BlobTransfer> up(2);
  up[0].digest = a;
  up[0].local_path = dir / "a.txt";
  up[1].digest = b;
  up[1].local_path = dir / "b.txt";
  store->upload_blobs(up, {4});
  CHECK(up[0].outcome.ok);
  CHECK(up[1].outcome.ok);
  CHECK(up[1].bytes == (3u << 20));
  std::string hex = util::to_hex(a);
  CHECK(util::read_file(dir / ("remote/team/proj/cas/" + hex.substr(0, 2) + "/" + hex)) == "alpha");
  CHECK(store->has_blobs({a, b, absent}, &failure) == std::vector<bool>{true, true, false});

  // Uploading again is success (create-only), and leaves no temp files.
  store->upload_blobs(up, {4});
  CHECK(up[0].outcome.ok);
  CHECK(util::list_files(dir / "remote/team/proj/cas").size() == 2);

  std::vector<BlobTransfer> down(3);
  down[0].digest = a;
  down[0].local_path = dir / "down/a";
  down[1].digest = b;
  down[1].local_path = dir / "down/b";
  down[2].digest = absent;
  down[2].local_path = dir / "down/absent";
  util::make_dirs(dir / "down");
  store->download_blobs(down, {2});
  CHECK(down[0].outcome.ok);
  CHECK(util::read_file(dir / "down/a") == "alpha");
  CHECK(down[1].outcome.ok);
  CHECK(util::digest_of(util::read_file(dir / "down/b")) == b);
  CHECK_FALSE(down[2].outcome.ok);
  CHECK(down[2].outcome.error.find("missing") != std::string::npos);
  CHECK_FALSE(util::exists(dir / "down/absent"));
}

TEST_CASE("dir store: records") {
  TempDir dir;
  auto store = cache::remote::open_remote_store("file://" + dir.path() + "/r", "proj");
  util::Digest key = util::digest_of("key");
  Failure failure;
  CHECK_FALSE(store->get_record(key, &failure));
  CHECK(failure.message.empty());
  CHECK(store->put_record(key, "{\"x\": 1}").ok);
  auto got = store->get_record(key, &failure);
  REQUIRE(got);
  CHECK(*got == "{\"x\": 1}");
  CHECK(store->put_record(key, "{\"x\": 2}").ok);  // overwrites
  CHECK(*store->get_record(key, &failure) == "{\"x\": 2}");
  CHECK(util::exists(dir / ("r/proj/ac/" + util::to_hex(key))));
}

TEST_CASE("dir store: records are listed and deleted; deleting what is absent is fine") {
  TempDir dir;
  auto store = cache::remote::open_remote_store("file://" + dir.path() + "/r", "proj");
  Failure failure;
  CHECK(store->list_records(&failure).empty());  // no ac/ yet: nothing, and no failure
  CHECK(failure.message.empty());
  util::Digest k1 = util::digest_of("k1"), k2 = util::digest_of("k2");
  CHECK(store->put_record(k1, "{}").ok);
  CHECK(store->put_record(k2, "{}").ok);
  auto names = store->list_records(&failure);
  std::sort(names.begin(), names.end());
  std::vector<std::string> expected = {util::to_hex(k1), util::to_hex(k2)};
  std::sort(expected.begin(), expected.end());
  CHECK(names == expected);
  CHECK(store->delete_record(k1).ok);
  CHECK(store->delete_record(k1).ok);
  CHECK(store->list_records(&failure) == std::vector<std::string>{util::to_hex(k2)});

  util::Digest blob = write_file(dir / "a", "alpha");
  std::vector<BlobTransfer> up(1);
  up[0].digest = blob;
  up[0].local_path = dir / "a";
  store->upload_blobs(up, {});
  REQUIRE(up[0].outcome.ok);
  CHECK(store->has_blobs({blob}, &failure) == std::vector<bool>{true});
  CHECK(store->delete_blob(blob).ok);
  CHECK(store->has_blobs({blob}, &failure) == std::vector<bool>{false});
  CHECK(store->delete_blob(blob).ok);
}

TEST_CASE("dir store: a root that is a file fails check_access with the path, and ops fail") {
  TempDir dir;
  write_file(dir / "file", "not a directory");
  auto store = cache::remote::open_remote_store(dir / "file", "proj");
  try {
    store->check_access();
    FAIL("check_access should throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(dir / "file/proj") != std::string::npos);
  }
  Failure failure;
  CHECK_FALSE(store->get_record(util::digest_of("k"), &failure));
  CHECK_FALSE(failure.message.empty());
  CHECK_FALSE(store->put_record(util::digest_of("k"), "{}").ok);
  std::vector<BlobTransfer> up(1);
  up[0].digest = write_file(dir / "a", "a");
  up[0].local_path = dir / "a";
  store->upload_blobs(up, {});
  CHECK_FALSE(up[0].outcome.ok);
}

TEST_CASE("dir store: a prefix blocked by a file is reported by check_access") {
  TempDir dir;
  write_file(dir / "root/proj", "in the way");
  auto store = cache::remote::open_remote_store(dir / "root", "proj");
  CHECK_THROWS_AS(store->check_access(), Error);
}

TEST_CASE("registry: URL schemes and prefixes") {
  TempDir dir;
  CHECK(cache::remote::open_remote_store("file://" + dir.path(), "p")->describe() == dir / "p");
  CHECK(cache::remote::open_remote_store("file://localhost" + dir.path(), "p")->describe() ==
        dir / "p");
  CHECK(cache::remote::open_remote_store(dir.path() + "/", "a/b.c_d-e")->describe() ==
        dir / "a/b.c_d-e");
  auto relative = cache::remote::open_remote_store("./cache-dir", "p");
  CHECK(relative->describe() == util::absolute_path("cache-dir/p"));

  try {
    cache::remote::open_remote_store("s3://bucket/x", "p");
    FAIL("s3 should be refused");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "unsupported remote URL scheme 's3' (use azure://ACCOUNT/CONTAINER[/PREFIX] or a "
          "directory)");
  }
  for (const char* bad : {"", "Proj", "../x", "a//b", "/a", "a/", "-a", "a b", "a/../b"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(cache::remote::open_remote_store(dir.path(), bad), Error);
  }
}
