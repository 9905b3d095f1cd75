#include <doctest/doctest.h>

#include <string>

#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"
#include "luisy/manifest/validate.h"

using namespace luisy;
using namespace luisy::manifest;

TEST_CASE("manifest: names") {
  CHECK(is_identifier("Clean"));
  CHECK(is_identifier("_x9"));
  CHECK_FALSE(is_identifier(""));
  CHECK_FALSE(is_identifier("9x"));
  CHECK_FALSE(is_identifier("a-b"));
  CHECK(is_project_name("sales-forecast.v2_b"));
  CHECK(is_project_name("0abc"));
  CHECK_FALSE(is_project_name("Sales"));
  CHECK_FALSE(is_project_name("-x"));
  CHECK_FALSE(is_project_name(""));
}

TEST_CASE("manifest: placeholder syntax") {
  CHECK_FALSE(check_template("plain text", TemplateUse::kCommand));
  CHECK_FALSE(check_template("{a} {in} {out} {in[0]} {out[10]} {{}} }}{{", TemplateUse::kCommand));
  CHECK_FALSE(check_template("data/{year}/{{x}}.csv", TemplateUse::kPath));

  auto problem = check_template("ab {x", TemplateUse::kCommand);
  REQUIRE(problem);
  CHECK(problem->offset == 3);
  CHECK(problem->message.find("unclosed '{'") != std::string::npos);

  problem = check_template("a {b{c}", TemplateUse::kCommand);
  REQUIRE(problem);
  CHECK(problem->offset == 2);

  problem = check_template("{{x}", TemplateUse::kCommand);  // literal '{', then a stray '}'
  REQUIRE(problem);
  CHECK(problem->offset == 3);
  CHECK(problem->message.find("stray '}'") != std::string::npos);

  problem = check_template("x {}", TemplateUse::kCommand);
  REQUIRE(problem);
  CHECK(problem->offset == 2);

  for (const char* bad :
       {"{in[]}", "{in[x]}", "{in[-1]}", "{out[1}", "{in[1]x}", "{in[1234567890]}"}) {
    CAPTURE(bad);
    problem = check_template(bad, TemplateUse::kCommand);
    REQUIRE(problem);
    CHECK(problem->offset == 0);
    CHECK(problem->message.find("invalid placeholder") != std::string::npos);
  }
  for (const char* bad : {"{a b}", "{1x}", "{$HOME}", "{ year }"}) {
    CAPTURE(bad);
    CHECK(check_template(bad, TemplateUse::kCommand));
  }

  problem = check_template("out/{in[2]}.csv", TemplateUse::kPath);
  REQUIRE(problem);
  CHECK(problem->offset == 4);
  CHECK(problem->message.find("cannot be used in a path") != std::string::npos);
  CHECK(check_template("{out}", TemplateUse::kPath));
  CHECK_FALSE(check_template("{input}/{outdir}", TemplateUse::kPath));
}

TEST_CASE("manifest: workspace paths") {
  CHECK_FALSE(check_workspace_path("data/x.csv", "input"));
  CHECK_FALSE(check_workspace_path("./data/", "output"));
  CHECK_FALSE(check_workspace_path("..data/x", "input"));
  CHECK_FALSE(check_workspace_path("data/x..", "input"));
  CHECK_FALSE(check_workspace_path("**/*.csv", "input"));

  auto problem = check_workspace_path("", "output");
  REQUIRE(problem);
  CHECK(problem->message == "empty output path");
  problem = check_workspace_path("/abs", "input");
  REQUIRE(problem);
  CHECK(problem->offset == 0);
  CHECK(problem->message.find("is absolute") != std::string::npos);
  problem = check_workspace_path("a/b/..", "input");
  REQUIRE(problem);
  CHECK(problem->offset == 4);
  problem = check_workspace_path("../x", "output");
  REQUIRE(problem);
  CHECK(problem->offset == 0);
  CHECK(problem->message.find("'..'") != std::string::npos);
}

TEST_CASE("manifest: closest key") {
  constexpr std::string_view keys[] = {"cmd", "inputs", "outputs", "requires", "env"};
  CHECK(closest_key("cmds", keys) == "cmd");
  CHECK(closest_key("Cmd", keys) == "cmd");
  CHECK(closest_key("ouptuts", keys) == "outputs");  // a transposition counts once
  CHECK(closest_key("require", keys) == "requires");
  CHECK(closest_key("input", keys) == "inputs");
  CHECK(closest_key("zzzzzz", keys).empty());
  CHECK(closest_key("command", keys).empty());
}

TEST_CASE("manifest: columns count bytes on the line, with CRLF and UTF-8 before the error") {
  std::string text = "luisy: 1\r\nproject: p\r\ntasks:\r\n  T:\r\n    cmd: echo h\xc3\xa9 {x\r\n";
  try {
    parse_pipeline(text, "p.yaml");
    FAIL("no error");
  } catch (const ManifestError& e) {
    CHECK(e.where().line == 5);
    CHECK(e.where().column == 19);  // the '{' after the two-byte 'é'
  }
}
