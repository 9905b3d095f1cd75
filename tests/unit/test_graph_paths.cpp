#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "luisy/graph/graph.h"
#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"
#include "test_graph_helpers.h"

using namespace luisy;
using luisy::graph::testing::Workspace;

namespace {

// A pipeline with one task A reading `inputs` and writing `outputs` (YAML flow lists), with
// `extra` top-level lines; the message build_graph (or the loader) gives, or "" when fine.
std::string problem(const Workspace& ws, const std::string& inputs, const std::string& outputs,
                    const std::string& extra = "", const std::string& params = "{}") {
  std::string text = "luisy: 1\nproject: p\n" + extra + "params: " + params +
                     "\ntasks:\n  A:\n    cmd: cat {in} > {out}\n    inputs: " + inputs +
                     "\n    outputs: " + outputs + "\n";
  try {
    auto pipeline = manifest::parse_pipeline(text, ws.dir + "/pipeline.yaml");
    graph::build_graph(pipeline, {});
  } catch (const manifest::ManifestError& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void touch(const Workspace& ws, const std::string& relative) {
  util::make_parent_dirs(ws.dir + "/" + relative);
  util::write_file_atomic(ws.dir + "/" + relative, relative);
}

}  // namespace

TEST_CASE("graph paths: inside the workspace is fine, links inside included") {
  Workspace ws;
  touch(ws, "data/a.csv");
  REQUIRE(::symlink("data", (ws.dir + "/alias").c_str()) == 0);
  CHECK(problem(ws, "[data/a.csv, alias/a.csv, \"data/*\"]", "[out/x.txt, out/dir/]") == "");
}

TEST_CASE("graph paths: '..' and absolute paths are refused, in the file and after substitution") {
  Workspace ws;
  touch(ws, "data/a.csv");
  std::string e = problem(ws, "[data/a.csv]", "[../x.txt]");
  CHECK(has(e, "pipeline.yaml:8:15: "));
  CHECK(has(e, "leaves the workspace through '..'"));
  e = problem(ws, "[/etc/hostname]", "[x.txt]");
  CHECK(has(e, "pipeline.yaml:7:14: "));
  CHECK(has(e, "is absolute"));

  // A parameter value cannot smuggle them in.
  e = problem(ws, "[data/a.csv]", "[\"{dir}/x.txt\"]", "", "{dir: ../..}");
  CHECK(has(e, "output '../../x.txt' of task A(dir=../..) leaves the workspace through '..'"));
  CHECK(has(e, "allow_outside_workspace: true"));
  CHECK(has(e, ":8:15: "));
  e = problem(ws, "[\"{dir}/hostname\"]", "[x.txt]", "", "{dir: /etc}");
  CHECK(has(e, "input '/etc/hostname' of task A(dir=/etc) is absolute"));
  e = problem(ws, "[\"{dir}/*\"]", "[x.txt]", "", "{dir: ../..}");
  CHECK(has(e, "leaves the workspace"));
}

TEST_CASE("graph paths: symbolic links that leave the workspace are refused") {
  Workspace ws;
  Workspace elsewhere;
  touch(elsewhere, "secret.txt");
  REQUIRE(::symlink(elsewhere.dir.c_str(), (ws.dir + "/out").c_str()) == 0);
  REQUIRE(::symlink((elsewhere.dir + "/secret.txt").c_str(), (ws.dir + "/link.txt").c_str()) == 0);
  touch(ws, "data/a.csv");

  std::string e = problem(ws, "[out/secret.txt]", "[x.txt]");
  CHECK(has(e, "input 'out/secret.txt' of task A goes through a symbolic link"));
  CHECK(has(e, "outside the workspace"));
  e = problem(ws, "[link.txt]", "[x.txt]");
  CHECK(has(e, "input 'link.txt' of task A is a symbolic link to '"));
  // A glob does not pick up what lies behind such a link either.
  e = problem(ws, "[\"*.txt\"]", "[x.txt]");
  CHECK(has(e, "input 'link.txt' of task A is a symbolic link"));
  // An output written through a link, even into a folder that does not exist yet.
  e = problem(ws, "[data/a.csv]", "[out/new/x.txt]");
  CHECK(has(e, "output 'out/new/x.txt' of task A goes through a symbolic link"));
}

TEST_CASE("graph paths: the workspace itself and .luisy/ are never outputs") {
  Workspace ws;
  touch(ws, "data/a.csv");
  CHECK(has(problem(ws, "[data/a.csv]", "[./]"), "is the workspace itself"));
  CHECK(has(problem(ws, "[data/a.csv]", "[\"{d}/\"]", "", "{d: .}"), "is the workspace itself"));
  CHECK(has(problem(ws, "[data/a.csv]", "[.luisy/log]"), "inside .luisy/"));
  CHECK(has(problem(ws, "[data/a.csv]", "[.luisy/log]", "allow_outside_workspace: true\n"),
            "inside .luisy/"));
}

TEST_CASE("graph paths: allow_outside_workspace opts in") {
  Workspace ws;
  Workspace elsewhere;
  touch(elsewhere, "in.txt");
  REQUIRE(::symlink(elsewhere.dir.c_str(), (ws.dir + "/ext").c_str()) == 0);
  std::string in = "[" + elsewhere.dir + "/in.txt, ext/in.txt]";
  CHECK(has(problem(ws, in, "[../x.txt]"), "is absolute"));
  CHECK(problem(ws, in, "[../x.txt, ext/out.txt]", "allow_outside_workspace: true\n") == "");
  // Wherever the key stands, and only as a boolean.
  std::string text =
      "luisy: 1\nproject: p\ntasks:\n  A:\n    cmd: x\n    outputs: [/tmp/x]\n"
      "allow_outside_workspace: true\n";
  CHECK(manifest::parse_pipeline(text, ws.dir + "/pipeline.yaml").allow_outside_workspace);
  CHECK(has(problem(ws, "[]", "[x]", "allow_outside_workspace: yes please\n"),
            "'allow_outside_workspace' must be true or false"));
}

TEST_CASE("graph paths: a substituted value never reads as a shell assignment") {
  Workspace ws;
  std::string text =
      "luisy: 1\nproject: p\nparams: {x: PATH=/tmp/evil, y: --opt=1}\ntasks:\n"
      "  A:\n    cmd: \"{x} run {y}\"\n    outputs: [a.txt]\n";
  auto g = graph::build_graph(manifest::parse_pipeline(text, ws.dir + "/pipeline.yaml"), {});
  REQUIRE(g.instances.size() == 1);
  CHECK(g.instances[0].command == "'PATH=/tmp/evil' run --opt=1");
}
