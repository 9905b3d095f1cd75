#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <utility>

#include "luisy/cache/remote/dir_store.h"
#include "luisy/cache/result_cache.h"
#include "luisy/util/fs.h"
#include "test_cache_helpers.h"

using namespace luisy;
using cache::ResultCache;
using cache::ResultRecord;
using cache::remote::BlobTransfer;
using cache::remote::Failure;
using cache::remote::Outcome;
using cache::remote::RemoteStore;
using cache::remote::TransferOptions;
using cache::test::stat_of;
using cache::test::TempDir;
using cache::test::write_file;

namespace {

// Wraps a real store, logs every call, and can be switched to fail everything.
class ScriptedStore : public RemoteStore {
 public:
  ScriptedStore(std::unique_ptr<RemoteStore> inner, std::vector<std::string>* log)
      : inner_(std::move(inner)), log_(log) {}
  bool fail = false;
  std::function<void()> before_upload;  // run once, at the next upload_blobs

  std::string describe() const override { return "scripted"; }
  void check_access() override {}
  std::optional<std::string> get_record(const util::Digest& key, Failure* failure) override {
    log_->push_back("get_record");
    if (fail) {
      failure->message = "connection refused";
      return std::nullopt;
    }
    return inner_->get_record(key, failure);
  }
  Outcome put_record(const util::Digest& key, const std::string& bytes) override {
    log_->push_back("put_record");
    if (fail) return {false, "connection refused"};
    return inner_->put_record(key, bytes);
  }
  std::vector<bool> has_blobs(const std::vector<util::Digest>& digests, Failure* failure) override {
    log_->push_back("has_blobs");
    if (fail) {
      failure->message = "connection refused";
      return std::vector<bool>(digests.size(), false);
    }
    return inner_->has_blobs(digests, failure);
  }
  void upload_blobs(std::vector<BlobTransfer>& transfers, const TransferOptions& options) override {
    log_->push_back("upload_blobs");
    if (before_upload) std::exchange(before_upload, nullptr)();
    if (fail) {
      for (auto& t : transfers) t.outcome = {false, "connection refused"};
      return;
    }
    inner_->upload_blobs(transfers, options);
  }
  void download_blobs(std::vector<BlobTransfer>& transfers,
                      const TransferOptions& options) override {
    log_->push_back("download_blobs");
    if (fail) {
      for (auto& t : transfers) t.outcome = {false, "connection refused"};
      return;
    }
    inner_->download_blobs(transfers, options);
  }
  std::vector<std::string> list_records(Failure* failure) override {
    return inner_->list_records(failure);
  }
  Outcome delete_record(const util::Digest& key) override { return inner_->delete_record(key); }
  Outcome delete_blob(const util::Digest& digest) override { return inner_->delete_blob(digest); }

 private:
  std::unique_ptr<RemoteStore> inner_;
  std::vector<std::string>* log_;
};

// A task's result in `ws`: out/a.txt (mode 0755), out/dir/ with two files.
ResultRecord make_result(const std::string& ws, const std::string& flavour) {
  ResultRecord r;
  // A preimage as hash::serialize_preimage writes it: remote records must hash to their key
  // and declare their outputs in it.
  std::string cmd = "make " + flavour;
  r.preimage = "luisy-key 1\ncmd " + std::to_string(cmd.size()) + ":" + cmd +
               "\noutput 9:out/a.txt\noutput 8:out/dir/\nend\n";
  r.key = util::digest_of(r.preimage);
  util::Digest a = write_file(ws + "/out/a.txt", "alpha " + flavour);
  ::chmod((ws + "/out/a.txt").c_str(), 0755);
  util::Digest x = write_file(ws + "/out/dir/x", "x " + flavour);
  util::Digest y = write_file(ws + "/out/dir/sub/y", std::string(100000, 'y') + flavour);
  r.outputs = {{"out/a.txt", a}, {"out/dir/", util::digest_of("tree " + flavour)}};
  r.files = {{"out/a.txt", a, 6 + flavour.size(), 0755},
             {"out/dir/sub/y", y, 100000 + flavour.size(), 0644},
             {"out/dir/x", x, 2 + flavour.size(), 0644}};
  r.created_by = "ana@laptop";
  return r;
}

std::unique_ptr<RemoteStore> dir_remote(const TempDir& dir) {
  return cache::remote::open_dir_store(dir / "remote", "proj");
}

}  // namespace

TEST_CASE("result cache: local miss, remote hit, restore into an empty workspace") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws1", "one");

  ResultCache producer(cache::LocalStore(dir / "local1"), dir_remote(dir), {});
  std::string error;
  REQUIRE_MESSAGE(producer.local().put_result(r, dir / "ws1", &error), error);
  CHECK(producer.lookup(r.key, false));
  CHECK(producer.stats().hits_local == 1);
  CHECK(producer.upload({r}, dir / "ws1").empty());
  CHECK(producer.stats().uploaded_records == 1);
  CHECK(producer.stats().uploaded_blobs == 3);

  ResultCache consumer(cache::LocalStore(dir / "local2"), dir_remote(dir), {});
  CHECK_FALSE(consumer.lookup(r.key, false));  // local only: a miss
  auto hit = consumer.lookup(r.key, true);
  REQUIRE(hit);
  CHECK(*hit == r);
  CHECK(consumer.stats().hits_remote == 1);
  CHECK(consumer.stats().misses == 1);
  consumer.flush();
  CHECK_FALSE(consumer.local().get_record(r.key));  // not saved until restored

  REQUIRE_MESSAGE(consumer.restore(*hit, dir / "ws2", &error), error);
  CHECK(util::read_file(dir / "ws2/out/a.txt") == "alpha one");
  CHECK((stat_of(dir / "ws2/out/a.txt").st_mode & 07777) == 0755);
  CHECK(util::read_file(dir / "ws2/out/dir/x") == "x one");
  CHECK(util::digest_of(util::read_file(dir / "ws2/out/dir/sub/y")) == r.files[1].digest);
  CHECK(stat_of(dir / "ws2/out/dir/x").st_nlink == 1);
  CHECK(consumer.stats().bytes_down == 9 + 5 + 100003);
  CHECK(consumer.stats().errors == 0);
  // Downloaded straight into the workspace, then kept in the local store too.
  CHECK_FALSE(util::exists(dir / "ws2/out/.a.txt.luisy-tmp"));
  consumer.flush();
  for (const auto& file : r.files) CHECK(consumer.local().has_blob(file.digest));
  CHECK(consumer.local().get_record(r.key));  // saved locally after its files
}

TEST_CASE("result cache: restore makes a directory output match the record") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws", "one");
  ResultCache cache(cache::LocalStore(dir / "local"), nullptr, {});
  REQUIRE(cache.local().put_result(r, dir / "ws"));
  write_file(dir / "ws/out/dir/stale.txt", "left over");
  write_file(dir / "ws/out/dir/x", "edited by hand");
  write_file(dir / "ws/other.txt", "not an output");
  write_file(dir / "precious/data.csv", "user data");
  REQUIRE(::symlink((dir / "precious").c_str(), (dir / "ws/out/dir/link").c_str()) == 0);
  std::string error;
  auto stored = cache.lookup(r.key, false);  // its small files are inline
  REQUIRE(stored);
  REQUIRE_MESSAGE(cache.restore(*stored, dir / "ws", &error), error);
  CHECK_FALSE(util::exists(dir / "ws/out/dir/stale.txt"));
  CHECK(util::read_file(dir / "ws/out/dir/x") == "x one");
  CHECK(util::exists(dir / "ws/other.txt"));
  CHECK_FALSE(util::exists(dir / "ws/out/dir/link"));                // the link is removed...
  CHECK(util::read_file(dir / "precious/data.csv") == "user data");  // ...not followed
}

TEST_CASE("result cache: restore without the blobs and without a remote fails cleanly") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws", "one");
  ResultCache cache(cache::LocalStore(dir / "local"), nullptr, {});
  std::string error;
  CHECK_FALSE(cache.restore(r, dir / "ws2", &error));
  CHECK(error.find("no remote cache") != std::string::npos);
  CHECK_FALSE(util::exists(dir / "ws2/out/a.txt"));
}

TEST_CASE("result cache: upload writes blobs first, the record last, and only what is missing") {
  TempDir dir;
  std::vector<std::string> log;
  ResultRecord r = make_result(dir / "ws", "one");
  ResultCache cache(cache::LocalStore(dir / "local"),
                    std::make_unique<ScriptedStore>(dir_remote(dir), &log), {});
  REQUIRE(cache.local().put_result(r, dir / "ws"));
  CHECK(cache.upload({r, r}, dir / "ws").empty());  // duplicates are uploaded once
  // No round of checks before the create-only upload.
  CHECK(log == std::vector<std::string>{"get_record", "upload_blobs", "put_record"});
  auto remote = dir_remote(dir);
  Failure failure;
  CHECK(remote->get_record(r.key, &failure));
  CHECK(remote->has_blobs({r.files[0].digest, r.files[1].digest, r.files[2].digest}, &failure) ==
        std::vector<bool>{true, true, true});

  log.clear();
  CHECK(cache.upload({r}, dir / "ws").empty());  // already there: only checked
  CHECK(log == std::vector<std::string>{"get_record"});
  CHECK(cache.stats().uploaded_records == 1);
}

TEST_CASE("result cache: a blob trimmed from the local store during an upload goes from the workspace") {
  TempDir dir;
  std::vector<std::string> log;
  ResultRecord r = make_result(dir / "ws", "one");
  auto scripted = std::make_unique<ScriptedStore>(dir_remote(dir), &log);
  ScriptedStore* store = scripted.get();
  ResultCache cache(cache::LocalStore(dir / "local"), std::move(scripted), {});
  REQUIRE(cache.local().put_result(r, dir / "ws"));
  // A `luisy cache trim --max-size 0` between the check of the local store and the upload.
  store->before_upload = [&] { cache::LocalStore(dir / "local").trim(0); };
  CHECK(cache.upload({r}, dir / "ws").empty());
  CHECK(log == std::vector<std::string>{"get_record", "upload_blobs", "upload_blobs", "put_record"});
  auto remote = dir_remote(dir);
  Failure failure;
  CHECK(remote->get_record(r.key, &failure));
  CHECK(remote->has_blobs({r.files[0].digest, r.files[1].digest, r.files[2].digest}, &failure) ==
        std::vector<bool>{true, true, true});
}

TEST_CASE(
    "result cache: upload from the workspace re-checks digests; a changed file blocks its record") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws", "one");
  ResultRecord good = make_result(dir / "ws_good", "two");
  ResultCache cache(cache::LocalStore(dir / "local"), dir_remote(dir),
                    {});  // nothing stored locally
  write_file(dir / "ws/out/dir/x", "changed after the build");
  auto failures = cache.upload({r, good}, dir / "ws");
  REQUIRE(failures.size() == 2);  // `good` lives in another workspace: its files are absent
  CHECK(failures[0].key == r.key);
  CHECK(failures[0].reason.find("changed since it was built") != std::string::npos);
  auto remote = dir_remote(dir);
  Failure failure;
  CHECK_FALSE(remote->get_record(r.key, &failure));
  CHECK(remote->has_blobs({r.files[0].digest}, &failure) == std::vector<bool>{true});

  CHECK(cache.upload({good}, dir / "ws_good").empty());
  CHECK(remote->get_record(good.key, &failure));
}

TEST_CASE("result cache: remote_has answers many keys at once") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws", "one");
  ResultCache cache(cache::LocalStore(dir / "local"), dir_remote(dir), {});
  REQUIRE(cache.upload({r}, dir / "ws").empty());
  util::Digest absent = util::digest_of("absent");
  CHECK(cache.remote_has(std::vector<util::Digest>{absent, r.key, absent}) ==
        std::vector<std::optional<bool>>{false, true, false});
  CHECK(cache.remote_has(std::vector<util::Digest>{}).empty());

  std::vector<std::string> log;
  auto scripted = std::make_unique<ScriptedStore>(dir_remote(dir), &log);
  scripted->fail = true;
  ResultCache failing(cache::LocalStore(dir / "local2"), std::move(scripted), {});
  failing.set_warning_callback([](const std::string&) {});
  CHECK(failing.remote_has(std::vector<util::Digest>{r.key, absent}) ==
        std::vector<std::optional<bool>>{std::nullopt, std::nullopt});
  CHECK_FALSE(failing.remote_usable());
}

TEST_CASE("result cache: a failing remote is a miss, said once, then skipped") {
  TempDir dir;
  std::vector<std::string> log;
  auto scripted = std::make_unique<ScriptedStore>(dir_remote(dir), &log);
  scripted->fail = true;
  ResultCache cache(cache::LocalStore(dir / "local"), std::move(scripted), {});
  std::vector<std::string> warnings;
  cache.set_warning_callback([&](const std::string& w) { warnings.push_back(w); });

  CHECK_FALSE(cache.lookup(util::digest_of("k1"), true));
  CHECK_FALSE(cache.lookup(util::digest_of("k2"), true));
  CHECK_FALSE(cache.remote_has(util::digest_of("k3")));
  CHECK(log == std::vector<std::string>{"get_record"});  // marked failed after the first
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("connection refused") != std::string::npos);
  CHECK(cache.stats().errors == 1);
  CHECK(cache.stats().misses == 2);
  CHECK_FALSE(cache.remote_usable());

  ResultRecord r = make_result(dir / "ws", "one");
  auto failures = cache.upload({r}, dir / "ws");
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].reason.find("failed earlier") != std::string::npos);
}

TEST_CASE("result cache: a remote directory that is a file gives misses, not errors thrown") {
  TempDir dir;
  write_file(dir / "remote", "a file, not a directory");
  ResultCache cache(cache::LocalStore(dir / "local"), dir_remote(dir), {});
  int warnings = 0;
  cache.set_warning_callback([&](const std::string&) { ++warnings; });
  CHECK_FALSE(cache.lookup(util::digest_of("k"), true));
  CHECK_FALSE(cache.lookup(util::digest_of("k2"), true));
  CHECK(warnings == 1);
  CHECK(cache.stats().errors == 1);
}

TEST_CASE("result cache: a remote blob that does not match its digest is refused") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws1", "one");
  ResultCache producer(cache::LocalStore(dir / "local1"), dir_remote(dir), {});
  REQUIRE(producer.local().put_result(r, dir / "ws1"));
  REQUIRE(producer.upload({r}, dir / "ws1").empty());

  auto remote = cache::remote::DirStore(dir / "remote", "proj");
  std::string blob = remote.blob_path(r.files[2].digest);  // out/dir/x
  ::chmod(blob.c_str(), 0644);
  util::write_file_atomic(blob, "tampered");

  ResultCache consumer(cache::LocalStore(dir / "local2"), dir_remote(dir), {});
  std::vector<std::string> warnings;
  consumer.set_warning_callback([&](const std::string& w) { warnings.push_back(w); });
  auto hit = consumer.lookup(r.key, true);
  REQUIRE(hit);
  std::string error;
  CHECK_FALSE(consumer.restore(*hit, dir / "ws2", &error));
  CHECK(error.find("does not match") != std::string::npos);
  CHECK_FALSE(util::exists(dir / "ws2/out/dir/x"));
  consumer.flush();
  CHECK_FALSE(consumer.local().has_blob(r.files[2].digest));
  CHECK(consumer.local().has_blob(r.files[0].digest));  // the good ones were kept
  CHECK(consumer.stats().errors == 1);
  CHECK(consumer.remote_usable());  // bad content is not a transport failure
  REQUIRE(warnings.size() == 1);
}

TEST_CASE("result cache: a malformed remote record is a miss") {
  TempDir dir;
  util::Digest key = util::digest_of("k");
  REQUIRE(dir_remote(dir)->put_record(key, "{\"format\": 1, \"key\": \"../../etc\"}").ok);
  ResultCache cache(cache::LocalStore(dir / "local"), dir_remote(dir), {});
  int warnings = 0;
  cache.set_warning_callback([&](const std::string&) { ++warnings; });
  CHECK_FALSE(cache.lookup(key, true));
  CHECK(warnings == 1);
  CHECK(cache.stats().misses == 1);
  CHECK_FALSE(cache.local().get_record(key));
}

TEST_CASE("result cache: a corrupt local blob is fetched again from the remote") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws1", "one");
  ResultCache cache(cache::LocalStore(dir / "local"), dir_remote(dir), {});
  REQUIRE(cache.local().put_result(r, dir / "ws1"));
  REQUIRE(cache.upload({r}, dir / "ws1").empty());
  // (The file is small, so the store kept it inline; a blob is planted for the restore of
  // the record without its contents to find.)
  std::string blob = cache.local().blob_path(r.files[0].digest);
  util::make_parent_dirs(blob);
  ::chmod(blob.c_str(), 0644);
  util::write_file_atomic(blob, "bit rot");
  std::string error;
  REQUIRE_MESSAGE(cache.restore(r, dir / "ws2", &error), error);
  CHECK(util::read_file(dir / "ws2/out/a.txt") == "alpha one");
}

TEST_CASE("result cache: put_result refuses a file that changed since it was hashed") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws", "one");
  write_file(dir / "ws/out/a.txt", "changed");
  ResultCache cache(cache::LocalStore(dir / "local"), nullptr, {});
  std::string error;
  CHECK_FALSE(cache.local().put_result(r, dir / "ws", &error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(cache.local().get_record(r.key));
}

TEST_CASE("result cache: prefetched records answer lookups without another request") {
  TempDir dir;
  std::vector<std::string> log;
  ResultRecord r = make_result(dir / "ws", "one");
  ResultCache producer(cache::LocalStore(dir / "local1"), dir_remote(dir), {});
  REQUIRE(producer.local().put_result(r, dir / "ws"));
  REQUIRE(producer.upload({r}, dir / "ws").empty());

  ResultCache cache(cache::LocalStore(dir / "local2"),
                    std::make_unique<ScriptedStore>(dir_remote(dir), &log), {});
  util::Digest absent = util::digest_of("no such result");
  cache.prefetch({r.key, absent});
  CHECK(log.size() == 2);
  auto hit = cache.lookup(r.key, true);
  REQUIRE(hit);
  CHECK(*hit == r);
  CHECK_FALSE(cache.lookup(absent, true));
  CHECK(log.size() == 2);  // both answered from the prefetch
  CHECK(cache.stats().hits_remote == 1);
  CHECK(cache.stats().misses == 1);
  // An answer is used once: a later lookup asks again.
  CHECK_FALSE(cache.lookup(absent, true));
  CHECK(log.size() == 3);
  // A key the local store holds costs no request.
  REQUIRE(cache.local().put_result(r, dir / "ws"));
  cache.prefetch({r.key});
  CHECK(log.size() == 3);
}

TEST_CASE("result cache: a failing prefetch marks the remote failed, once") {
  TempDir dir;
  std::vector<std::string> log;
  auto scripted = std::make_unique<ScriptedStore>(dir_remote(dir), &log);
  scripted->fail = true;
  ResultCache cache(cache::LocalStore(dir / "local"), std::move(scripted), {});
  std::vector<std::string> warnings;
  cache.set_warning_callback([&](const std::string& w) { warnings.push_back(w); });
  cache.prefetch({util::digest_of("k1"), util::digest_of("k2")});
  CHECK_FALSE(cache.remote_usable());
  CHECK_FALSE(cache.lookup(util::digest_of("k1"), true));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("connection refused") != std::string::npos);
}

TEST_CASE("result cache: files of equal content are downloaded once and all placed") {
  TempDir dir;
  std::vector<std::string> log;
  ResultRecord r;
  std::string cmd = "make twins";
  r.preimage = "luisy-key 1\ncmd " + std::to_string(cmd.size()) + ":" + cmd +
               "\noutput 4:out/\nend\n";
  r.key = util::digest_of(r.preimage);
  util::Digest same = write_file(dir / "ws/out/a", "same bytes");
  write_file(dir / "ws/out/b", "same bytes");
  r.outputs = {{"out/", util::digest_of("tree twins")}};
  r.files = {{"out/a", same, 10, 0644}, {"out/b", same, 10, 0600}};
  ResultCache producer(cache::LocalStore(dir / "local1"), dir_remote(dir), {});
  REQUIRE(producer.local().put_result(r, dir / "ws"));
  REQUIRE(producer.upload({r}, dir / "ws").empty());

  ResultCache consumer(cache::LocalStore(dir / "local2"),
                       std::make_unique<ScriptedStore>(dir_remote(dir), &log), {});
  std::string error;
  REQUIRE_MESSAGE(consumer.restore(r, dir / "ws2", &error), error);
  CHECK(util::read_file(dir / "ws2/out/a") == "same bytes");
  CHECK(util::read_file(dir / "ws2/out/b") == "same bytes");
  CHECK((stat_of(dir / "ws2/out/b").st_mode & 07777) == 0600);
  CHECK(consumer.stats().bytes_down == 10);
  CHECK(log == std::vector<std::string>{"download_blobs"});

  // A second workspace, before the first copy reached the local store or after: no download.
  log.clear();
  REQUIRE_MESSAGE(consumer.restore(r, dir / "ws3", &error), error);
  CHECK(util::read_file(dir / "ws3/out/b") == "same bytes");
  CHECK(log.empty());
}

TEST_CASE("result cache: a changed workspace file does not block a blob the remote has") {
  TempDir dir;
  std::vector<std::string> log;
  ResultRecord r = make_result(dir / "ws", "one");
  ResultCache first(cache::LocalStore(dir / "local1"), dir_remote(dir), {});
  REQUIRE(first.local().put_result(r, dir / "ws"));
  REQUIRE(first.upload({r}, dir / "ws").empty());
  REQUIRE(dir_remote(dir)->delete_record(r.key).ok);

  // Nothing in this local store, and one file changed since the build: only that blob is
  // looked for on the remote, which has it.
  ResultCache cache(cache::LocalStore(dir / "local2"),
                    std::make_unique<ScriptedStore>(dir_remote(dir), &log), {});
  write_file(dir / "ws/out/dir/x", "changed after the build");
  CHECK(cache.upload({r}, dir / "ws").empty());
  CHECK(log == std::vector<std::string>{"get_record", "has_blobs", "upload_blobs", "put_record"});
  CHECK(cache.stats().uploaded_blobs == 0);  // the other two were there already
}

TEST_CASE("result cache: small outputs are kept inside the record, large ones as blobs") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws1", "one");  // two small files, one of 100 KB
  ResultCache cache(cache::LocalStore(dir / "local"), dir_remote(dir), {});
  std::string error;
  REQUIRE_MESSAGE(cache.local().put_result(r, dir / "ws1", &error), error);
  auto stored = cache.local().get_record(r.key);
  REQUIRE(stored);
  for (const auto& file : stored->files) {
    CAPTURE(file.path);
    CHECK(file.content.has_value() == (file.size < cache::kInlineMaxBytes));
    CHECK(cache.local().has_blob(file.digest) == !file.content.has_value());
    CHECK(cache.local().has_content(file));
  }
  REQUIRE_MESSAGE(cache.restore(*stored, dir / "ws2", &error), error);
  for (const auto& file : r.files)
    CHECK(util::digest_of(util::read_file(dir / ("ws2/" + file.path))) == file.digest);
  CHECK(util::read_file(dir / "ws2/out/a.txt") == "alpha one");

  // Uploaded from the record's bytes when the workspace lost the file; the remote gets
  // blobs and a format-1 record.
  util::remove_all(dir / "ws1");
  REQUIRE(cache.upload({*stored}, dir / "ws1").empty());
  std::string remote_record = util::read_file(dir / ("remote/proj/ac/" + util::to_hex(r.key)));
  CHECK(remote_record.find("\"format\": 1") != std::string::npos);
  CHECK(remote_record.find("content") == std::string::npos);
  ResultCache consumer(cache::LocalStore(dir / "local2"), dir_remote(dir), {});
  auto fetched = consumer.lookup(r.key, true);
  REQUIRE(fetched);
  REQUIRE_MESSAGE(consumer.restore(*fetched, dir / "ws3", &error), error);
  for (const auto& file : r.files)
    CHECK(util::digest_of(util::read_file(dir / ("ws3/" + file.path))) == file.digest);
  CHECK(stat_of(dir / "ws3/out/a.txt").st_mode % 01000 == 0755);
}

TEST_CASE("result cache: trim counts inline contents in their record's size") {
  TempDir dir;
  ResultRecord r = make_result(dir / "ws", "one");
  ResultCache cache(cache::LocalStore(dir / "local"), nullptr, {});
  REQUIRE(cache.local().put_result(r, dir / "ws"));
  cache::StoreUsage usage = cache.local().usage();
  CHECK(usage.records == 1);
  CHECK(usage.blobs == 1);  // only the 100 KB file
  uint64_t record_size = util::read_file(cache.local().record_path(r.key)).size();
  CHECK(record_size > r.files[0].size + r.files[2].size);
  CHECK(usage.bytes == record_size + r.files[1].size);
  CHECK(cache.local().trim(0) == usage.bytes);
  CHECK_FALSE(cache.local().get_record(r.key));
}
