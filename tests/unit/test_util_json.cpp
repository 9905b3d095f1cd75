#include <doctest/doctest.h>

#include "luisy/util/json.h"

using luisy::util::JsonValue;
using luisy::util::parse_json;
using luisy::util::to_json;

TEST_CASE("json: parses and writes back a document") {
  std::string error;
  auto v =
      parse_json(R"( {"a": [1, -2.5, true, null, "x\n\u00e9\ud83d\ude00"], "b": {}} )", &error);
  REQUIRE(v);
  CHECK(v->is_object());
  const JsonValue* a = v->find("a");
  REQUIRE(a);
  REQUIRE(a->items().size() == 5);
  CHECK(a->items()[0].is_integer());
  CHECK(a->items()[0].as_int() == 1);
  CHECK(a->items()[1].as_double() == -2.5);
  CHECK(a->items()[2].as_bool());
  CHECK(a->items()[3].is_null());
  CHECK(a->items()[4].as_string() == "x\n\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(to_json(*v) == R"({"a":[1,-2.5,true,null,"x\n)"
                       "\xc3\xa9\xf0\x9f\x98\x80"
                       R"("],"b":{}})");
  auto again = parse_json(to_json(*v, 2), &error);
  REQUIRE(again);
  CHECK(to_json(*again) == to_json(*v));
}

TEST_CASE("json: refuses malformed input with a message") {
  for (const char* bad :
       {"",    "{",     "[1,]",  "{\"a\":1,}", "{\"a\" 1}",   "01",       "1.",
        "-",   "tru",   "\"abc", "\"\\x\"",    "\"\\ud800\"", "\"a\tb\"", "{\"a\":1,\"a\":2}",
        "1 2", "[1] x", "NaN",   "1e999",      "{a:1}",       "'x'"}) {
    std::string error;
    CAPTURE(bad);
    CHECK_FALSE(parse_json(bad, &error));
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("json: deep nesting is refused, not a stack overflow") {
  std::string deep(100000, '[');
  std::string error;
  CHECK_FALSE(parse_json(deep, &error));
  CHECK(error.find("deeply") != std::string::npos);
}

TEST_CASE("json: large integers and escapes") {
  std::string error;
  auto v = parse_json("[9223372036854775807, 18446744073709551616, \"\\u0000\"]", &error);
  REQUIRE(v);
  CHECK(v->items()[0].is_integer());
  CHECK(v->items()[0].as_int() == INT64_MAX);
  CHECK_FALSE(v->items()[1].is_integer());  // too big for int64: a double
  CHECK(v->items()[2].as_string() == std::string(1, '\0'));
  CHECK(to_json(v->items()[2]) == "\"\\u0000\"");
}
