#include <doctest/doctest.h>

#include <random>

#include "luisy/cache/result_record.h"

using namespace luisy;
using cache::ResultRecord;

namespace {

ResultRecord sample_record() {
  ResultRecord r;
  r.key = util::digest_of("key");
  r.outputs = {{"data/out.csv", util::digest_of("out")}, {"models/", util::digest_of("tree")}};
  r.files = {{"data/out.csv", util::digest_of("out"), 3, 0644},
             {"models/a.bin", util::digest_of("a"), 1, 0755},
             {"models/sub/b \"q\".bin", util::digest_of("b"), 1, 0600}};
  r.preimage = "luisy-key v1\ncommand: python train.py\ninput data/raw.csv 0123\n";
  r.created_at = 1764000000;
  r.created_by = "ana@laptop";
  r.luisy_version = "0.1.0";
  r.seconds = 12.5;
  return r;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("record: serialize then parse gives the same record") {
  ResultRecord r = sample_record();
  std::string text = cache::serialize_record(r);
  std::string error;
  auto parsed = cache::parse_record(text, r.key, &error);
  REQUIRE_MESSAGE(parsed, error);
  CHECK(*parsed == r);
  CHECK(cache::serialize_record(*parsed) == text);  // stable
}

TEST_CASE("record: files are written sorted by path") {
  ResultRecord r = sample_record();
  std::swap(r.files[0], r.files[2]);
  std::string text = cache::serialize_record(r);
  CHECK(text.find("data/out.csv") < text.find("models/a.bin"));
  auto parsed = cache::parse_record(text, r.key, nullptr);
  REQUIRE(parsed);
  CHECK(parsed->files == sample_record().files);
}

TEST_CASE("record: refusals") {
  ResultRecord r = sample_record();
  std::string good = cache::serialize_record(r);
  auto refused = [&](const std::string& text, const std::string& expected_words) {
    std::string error;
    CAPTURE(text);
    CHECK_FALSE(cache::parse_record(text, r.key, &error));
    CHECK_MESSAGE(error.find(expected_words) != std::string::npos, error);
  };
  std::string out_hex = util::to_hex(util::digest_of("out"));

  SUBCASE("key mismatch") {
    std::string error;
    CHECK_FALSE(cache::parse_record(good, util::digest_of("other"), &error));
    CHECK(error.find("expected") != std::string::npos);
  }
  SUBCASE("bad digest") {
    refused(replace(good, out_hex, "xyz"), "digest");
  }
  SUBCASE("uppercase digest") {
    std::string upper = out_hex;
    for (auto& c : upper) c = static_cast<char>(toupper(c));
    refused(replace(good, out_hex, upper), "digest");
  }
  SUBCASE("dot-dot path") {
    refused(replace(good, "\"data/out.csv\"", "\"data/../../etc/x\""), "unsafe");
  }
  SUBCASE("leading dot-dot") {
    refused(replace(good, "\"models/a.bin\"", "\"../a.bin\""), "unsafe");
  }
  SUBCASE("absolute path") {
    refused(replace(good, "\"models/a.bin\"", "\"/etc/passwd\""), "unsafe");
  }
  SUBCASE("empty path") {
    refused(replace(good, "\"models/a.bin\"", "\"\""), "unsafe");
  }
  SUBCASE("dot path") {
    refused(replace(good, "\"models/a.bin\"", "\"./\""), "unsafe");
  }
  SUBCASE("newline in path") {
    refused(replace(good, "\"models/a.bin\"", "\"a\\nb\""), "unsafe");
  }
  SUBCASE("nul in path") {
    refused(replace(good, "\"models/a.bin\"", "\"a\\u0000b\""), "unsafe");
  }
  SUBCASE("file path ending in slash") {
    refused(replace(good, "\"models/a.bin\"", "\"models/\""), "unsafe");
  }
  SUBCASE("duplicate file") {
    refused(replace(good, "\"models/a.bin\"", "\"data/out.csv\""), "twice");
  }
  SUBCASE("negative size") {
    refused(replace(good, "\"size\": 3", "\"size\": -3"), "size");
  }
  SUBCASE("size as string") {
    refused(replace(good, "\"size\": 3", "\"size\": \"3\""), "size");
  }
  SUBCASE("mode too large") {
    refused(replace(good, "\"mode\": 420", "\"mode\": 70000"), "mode");
  }
  SUBCASE("newer format") {
    refused(replace(good, "\"format\": 1", "\"format\": 3"), "not supported");
  }
  SUBCASE("outputs not an array") {
    refused(R"({"format":1,"key":")" + util::to_hex(r.key) +
                R"(","outputs":{},"files":[],"preimage":""})",
            "outputs");
  }
  SUBCASE("missing preimage") {
    refused(R"({"format":1,"key":")" + util::to_hex(r.key) + R"(","outputs":[],"files":[]})",
            "preimage");
  }
  SUBCASE("not an object") {
    refused("[1,2]", "not a JSON object");
  }
  SUBCASE("truncated") {
    for (size_t n = 0; n < good.size(); n += 7) {
      std::string error;
      CHECK_FALSE(cache::parse_record(good.substr(0, n), r.key, &error));
      CHECK_FALSE(error.empty());
    }
  }
}

TEST_CASE("record: random garbage and random corruption never crash") {
  ResultRecord r = sample_record();
  std::string good = cache::serialize_record(r);
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string text = good;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) text[rng() % text.size()] = static_cast<char>(rng() % 256);
    std::string error;
    auto parsed = cache::parse_record(text, r.key, &error);
    if (parsed) {
      for (const auto& f : parsed->files) CHECK(cache::is_safe_record_path(f.path, false));
    } else {
      CHECK_FALSE(error.empty());
    }
  }
  for (int i = 0; i < 500; ++i) {
    std::string garbage(rng() % 200, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng() % 256);
    CHECK_FALSE(cache::parse_record(garbage, r.key, nullptr));
  }
}

TEST_CASE("record: safe paths") {
  CHECK(cache::is_safe_record_path("a/b.txt", false));
  CHECK(cache::is_safe_record_path("a..b/c", false));
  CHECK(cache::is_safe_record_path("dir/", true));
  CHECK_FALSE(cache::is_safe_record_path("dir/", false));
  CHECK_FALSE(cache::is_safe_record_path("a/../b", false));
  CHECK_FALSE(cache::is_safe_record_path("..", false));
  CHECK_FALSE(cache::is_safe_record_path("/a", false));
  CHECK_FALSE(cache::is_safe_record_path("", true));
  CHECK_FALSE(cache::is_safe_record_path(".", true));
}

TEST_CASE("record: inline contents round-trip in format 2, and format 1 stays as it was") {
  ResultRecord r = sample_record();
  std::string plain = cache::serialize_record(r);
  CHECK(plain.find("\"format\": 1") != std::string::npos);
  CHECK(plain.find("content") == std::string::npos);
  r.files[1].content = std::string("a");  // models/a.bin holds "a"
  REQUIRE(util::digest_of(*r.files[1].content) == r.files[1].digest);
  std::string text = cache::serialize_record(r);
  CHECK(text.find("\"format\": 2") != std::string::npos);
  std::string error;
  auto parsed = cache::parse_record(text, r.key, &error);
  REQUIRE_MESSAGE(parsed, error);
  CHECK(parsed->files == r.files);
  CHECK(parsed->files[1].content == "a");
  CHECK_FALSE(parsed->files[0].content);
  // What goes to a remote: the format-1 text, byte for byte.
  CHECK(cache::serialize_record(cache::without_inline(*parsed)) == plain);
  // An older record (format 1) still reads.
  REQUIRE(cache::parse_record(plain, r.key, &error));
}

TEST_CASE("record: damaged inline contents are refused") {
  ResultRecord r = sample_record();
  r.files[1].content = std::string("a");
  std::string good = cache::serialize_record(r);
  std::string encoded = "\"content\": \"YQ==\"";  // Base64 of "a"
  REQUIRE(good.find(encoded) != std::string::npos);
  auto with = [&](const std::string& replacement) {
    std::string text = good;
    text.replace(text.find(encoded), encoded.size(), replacement);
    return text;
  };
  std::string error;
  // Other bytes of the same size: the digest does not match.
  CHECK_FALSE(cache::parse_record(with("\"content\": \"Yg==\""), r.key, &error));
  CHECK_MESSAGE(error.find("does not match") != std::string::npos, error);
  // Another size.
  CHECK_FALSE(cache::parse_record(with("\"content\": \"YWE=\""), r.key, &error));
  CHECK_MESSAGE(error.find("does not match") != std::string::npos, error);
  // Not Base64, not a string.
  CHECK_FALSE(cache::parse_record(with("\"content\": \"Y!==\""), r.key, &error));
  CHECK_MESSAGE(error.find("Base64") != std::string::npos, error);
  CHECK_FALSE(cache::parse_record(with("\"content\": 7"), r.key, &error));
  CHECK_MESSAGE(error.find("not a string") != std::string::npos, error);
}

TEST_CASE("record: inline contents may be any bytes") {
  ResultRecord r = sample_record();
  std::string bytes("\0\xff\n\"\\z", 6);
  r.outputs[0].digest = r.files[0].digest = util::digest_of(bytes);
  r.files[0].size = bytes.size();
  r.files[0].content = bytes;
  std::string error;
  auto parsed = cache::parse_record(cache::serialize_record(r), r.key, &error);
  REQUIRE_MESSAGE(parsed, error);
  CHECK(parsed->files[0].content == bytes);
}
