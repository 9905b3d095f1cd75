#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "luisy/cache/remote/dir_store.h"
#include "luisy/cache/result_cache.h"
#include "luisy/cache/result_record.h"
#include "luisy/util/fs.h"
#include "test_cache_helpers.h"

using namespace luisy;
using cache::ResultRecord;
using cache::test::TempDir;
using cache::test::write_file;

namespace {

std::string preimage_for(const std::vector<std::string>& outputs) {
  std::string text = "luisy-key 1\ncmd 4:make\n";
  for (const auto& o : outputs) text += "output " + std::to_string(o.size()) + ":" + o + "\n";
  return text + "input 3:a\nb 32:0123456789abcdef0123456789abcdef\nend\n";  // a newline in a path
}

// A record that stands for its key: out/a.txt and the directory out/d/ with one file.
ResultRecord good_record() {
  ResultRecord r;
  r.preimage = preimage_for({"out/a.txt", "out/d/"});
  r.key = util::digest_of(r.preimage);
  util::Digest a = util::digest_of("alpha");
  r.outputs = {{"out/a.txt", a}, {"out/d/", util::digest_of("tree")}};
  r.files = {{"out/a.txt", a, 5, 0644}, {"out/d/x", util::digest_of("x"), 1, 0644}};
  return r;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("record refusal: a record must stand for its key") {
  ResultRecord r = good_record();
  CHECK(cache::record_inconsistency(r) == "");

  SUBCASE("a preimage that does not hash to the key") {
    r.preimage += " ";
    CHECK(has(cache::record_inconsistency(r), "does not hash to its key"));
  }
  SUBCASE("a file that is not an output: a source of the workspace") {
    r.files.push_back({"pipeline.yaml", util::digest_of("evil"), 4, 0644});
    CHECK(has(cache::record_inconsistency(r), "\"pipeline.yaml\" is not one of its outputs"));
  }
  SUBCASE("a file beside a directory output, sharing its prefix") {
    r.files.push_back({"out/dx", util::digest_of("evil"), 4, 0644});
    CHECK(has(cache::record_inconsistency(r), "\"out/dx\" is not one of its outputs"));
  }
  SUBCASE("outputs other than the ones its preimage declares") {
    r.outputs[0].path = "scripts/run.py";
    r.files[0].path = "scripts/run.py";
    CHECK(has(cache::record_inconsistency(r), "not the declared output \"out/a.txt\""));
    r.outputs.pop_back();
    CHECK(has(cache::record_inconsistency(r), "lists 1 outputs where its preimage declares 2"));
  }
  SUBCASE("a file output whose file has another digest") {
    r.files[0].digest = util::digest_of("beta");
    CHECK(has(cache::record_inconsistency(r), "another digest"));
  }
  SUBCASE("a preimage that is not one") {
    r.preimage = "luisy-key 1\noutput 99:out/a.txt\nend\n";
    r.key = util::digest_of(r.preimage);
    CHECK(has(cache::record_inconsistency(r), "malformed"));
  }
}

TEST_CASE("record refusal: unsafe paths do not parse") {
  ResultRecord r = good_record();
  for (std::string bad : {"../evil", "out/../../evil", "/etc/passwd", "", "a\nb"}) {
    CAPTURE(bad);
    ResultRecord evil = r;
    evil.files[1].path = bad;
    std::string error;
    CHECK_FALSE(cache::parse_record(cache::serialize_record(evil), r.key, &error));
    CHECK_FALSE(error.empty());
  }
  std::string error;
  CHECK(cache::parse_record(cache::serialize_record(r), r.key, &error));
}

TEST_CASE("record refusal: the result cache refuses such a remote record, warns, writes nothing") {
  TempDir dir;
  auto remote = [&] { return cache::remote::open_dir_store(dir / "remote", "proj"); };
  ResultRecord r = good_record();
  r.files.push_back({"pipeline.yaml", util::digest_of("evil"), 4, 0644});
  REQUIRE(remote()->put_record(r.key, cache::serialize_record(r)).ok);

  cache::ResultCache cache(cache::LocalStore(dir / "local"), remote(), {});
  std::vector<std::string> warnings;
  cache.set_warning_callback([&](const std::string& w) { warnings.push_back(w); });
  CHECK_FALSE(cache.lookup(r.key, true));
  REQUIRE(warnings.size() == 1);
  CHECK(has(warnings[0], util::to_hex(r.key)));
  CHECK(has(warnings[0], "\"pipeline.yaml\" is not one of its outputs"));
  CHECK(cache.stats().errors == 1);
  CHECK(cache.stats().misses == 1);
  CHECK(cache.remote_usable());  // a bad record is not a failing remote
  CHECK_FALSE(cache.local().get_record(r.key));
}
