// The loader reads yaml-cpp's events into a compact tree of its own (manifest/yaml_tree.h)
// instead of YAML::Load's node tree. These pin what YAML::Load gave and the loader relies on.
#include <doctest/doctest.h>

#include <string>

#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"
#include "luisy/manifest/yaml_tree.h"
#include "test_manifest_helpers.h"

using namespace luisy;
using namespace luisy::manifest;

namespace {

using manifest::testing::refusal;

}  // namespace

TEST_CASE("manifest yaml tree: kinds, scalars, marks and file order") {
  yaml::Parsed parsed = yaml::parse("a: 1\nb: [x, 'y', ~]\nc:\n  d: {}\ne:\n");
  REQUIRE(parsed.starts.size() == 1);
  yaml::Node root = parsed.tree.root_node();
  REQUIRE(root.is_map());
  REQUIRE(root.size() == 4);
  CHECK(root.key(0).scalar() == "a");
  CHECK(root.value(0).scalar() == "1");
  CHECK(root.value(0).is_plain());
  CHECK(root.value(0).mark().line == 0);
  CHECK(root.value(0).mark().column == 3);
  yaml::Node list = root.value(1);
  REQUIRE(list.is_sequence());
  REQUIRE(list.size() == 3);
  CHECK(list.item(0).scalar() == "x");
  CHECK(list.item(1).scalar() == "y");
  CHECK_FALSE(list.item(1).is_plain());  // quoted: its text is not the file's text
  CHECK(list.item(2).is_null());
  CHECK(list.item(2).scalar().empty());
  CHECK(root.key(2).scalar() == "c");
  CHECK(root.value(2).is_map());
  CHECK(root.value(2).value(0).is_map());
  CHECK(root.value(2).value(0).size() == 0);
  CHECK(root.value(2).value(0).mark().line == 3);
  CHECK(root.value(3).is_null());  // `e:` with no value
  CHECK(root.value(3).size() == 0);
}

TEST_CASE("manifest yaml tree: an alias is its anchor's node, marks included") {
  yaml::Parsed parsed = yaml::parse("a: &x [1, 2]\nb: *x\nc: &s text\nd: *s\n");
  yaml::Node root = parsed.tree.root_node();
  REQUIRE(root.size() == 4);
  CHECK(root.value(1).is_sequence());
  CHECK(root.value(1).size() == 2);
  CHECK(root.value(1).item(1).scalar() == "2");
  CHECK(root.value(1).mark().line == 0);  // where the anchored list is, as YAML::Load had it
  CHECK(root.value(3).scalar() == "text");
  CHECK(root.value(3).mark().line == 2);
}

TEST_CASE("manifest yaml tree: documents are counted, only the first is kept") {
  yaml::Parsed parsed = yaml::parse("a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n");
  CHECK(parsed.starts.size() == 3);  // enough to tell a stuck parser from a second document
  CHECK(parsed.second_node.line == 2);
  CHECK(parsed.tree.root_node().key(0).scalar() == "a");
  CHECK(yaml::parse("").starts.empty());
  CHECK(yaml::parse("# only a comment\n").starts.empty());
}

TEST_CASE("manifest yaml tree: anchors and aliases load as before") {
  Pipeline p = parse_pipeline(
      "luisy: 1\nproject: p\ntasks:\n"
      "  A:\n    cmd: &c echo {in} > {out}\n    inputs: &i [a.txt, b.txt]\n    outputs: [o.txt]\n"
      "  B:\n    cmd: *c\n    inputs: *i\n    outputs: [p.txt]\n",
      "pipeline.yaml");
  REQUIRE(p.tasks.size() == 2);
  CHECK(p.tasks[1].cmd.text == "echo {in} > {out}");
  CHECK(p.tasks[1].cmd.where.line == 5);  // the anchored value's place
  REQUIRE(p.tasks[1].inputs.size() == 2);
  CHECK(p.tasks[1].inputs[1].text == "b.txt");
  CHECK(p.tasks[1].inputs[1].where.line == 6);
}

TEST_CASE("manifest yaml tree: merge keys are not YAML 1.2 and stay an unknown key") {
  std::string e = refusal(
      "luisy: 1\nproject: p\ntasks:\n"
      "  A: &a {cmd: x, outputs: [o.txt]}\n  B:\n    <<: *a\n    outputs: [p.txt]\n");
  CHECK(e.rfind("pipeline.yaml:6:5: unknown key '<<' in task 'B'", 0) == 0);
}

TEST_CASE("manifest yaml tree: duplicate keys are caught in small and large maps") {
  CHECK(refusal("luisy: 1\nproject: p\ntasks:\n  A: {cmd: x, cmd: y}\n")
            .rfind("pipeline.yaml:4:15: duplicate key 'cmd' in task 'A' (first at line 4)", 0) ==
        0);
  // More than a handful of tasks: looked up by hashing rather than one by one.
  std::string text = "luisy: 1\nproject: p\ntasks:\n";
  for (int i = 0; i < 40; ++i) text += "  T" + std::to_string(i) + ": {cmd: x}\n";
  text += "  T7: {cmd: y}\n";
  CHECK(refusal(text).rfind("pipeline.yaml:44:3: duplicate task 'T7' in 'tasks' (first at line 11)",
                            0) == 0);
}
