#include <doctest/doctest.h>

#include <stdexcept>

#include "luisy/graph/placeholder.h"

using luisy::graph::parse_template;
using luisy::graph::Placeholder;
using luisy::graph::template_params;
using Kind = Placeholder::Kind;

TEST_CASE("graph placeholder: literals, params, in and out") {
  auto parts = parse_template("cp {in} {out[1]} --y {year}");
  REQUIRE(parts.size() == 6);
  CHECK(parts[0].kind == Kind::kLiteral);
  CHECK(parts[0].text == "cp ");
  CHECK(parts[1].kind == Kind::kInputs);
  CHECK(parts[1].index == -1);
  CHECK(parts[1].column == 3);
  CHECK(parts[3].kind == Kind::kOutputs);
  CHECK(parts[3].index == 1);
  CHECK(parts[3].column == 8);
  CHECK(parts[5].kind == Kind::kParam);
  CHECK(parts[5].text == "year");
  CHECK(parts[5].column == 21);
}

TEST_CASE("graph placeholder: doubled braces are literal and merge with the text around") {
  auto parts = parse_template("awk '{{print $1}}' {in[0]}");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].text == "awk '{print $1}' ");
  CHECK(parts[1].kind == Kind::kInputs);
  CHECK(parts[1].index == 0);
  CHECK(parse_template("").empty());
}

TEST_CASE("graph placeholder: errors carry the offset") {
  size_t offset = 99;
  CHECK_THROWS_AS(parse_template("echo {year", &offset), std::invalid_argument);
  CHECK(offset == 5);
  CHECK_THROWS_AS(parse_template("echo }", &offset), std::invalid_argument);
  CHECK(offset == 5);
  CHECK_THROWS_AS(parse_template("a {} b", &offset), std::invalid_argument);
  CHECK(offset == 2);
  CHECK_THROWS_AS(parse_template("x {foo bar}", &offset), std::invalid_argument);
  CHECK(offset == 2);
  CHECK_THROWS_AS(parse_template("{in[x]}", &offset), std::invalid_argument);
  CHECK(offset == 0);
  CHECK_THROWS_AS(parse_template("{in[-1]}", &offset), std::invalid_argument);
  CHECK_THROWS_AS(parse_template("{a{b}", &offset), std::invalid_argument);
  CHECK_THROWS_AS(parse_template("{1abc}", &offset), std::invalid_argument);
}

TEST_CASE("graph placeholder: template_params lists names once, in order of first use") {
  auto names = template_params(parse_template("{b} {a} {in} {b} {c}"));
  CHECK(names == std::vector<std::string>{"b", "a", "c"});
}
