#include <doctest/doctest.h>

#include <random>

#include "luisy/graph/serialize.h"
#include "luisy/util/digest.h"
#include "test_graph_helpers.h"

using namespace luisy;
using namespace luisy::graph;
using namespace luisy::graph::testing;

namespace {
void check_same(const Graph& a, const Graph& b) {
  REQUIRE(a.instances.size() == b.instances.size());
  for (size_t i = 0; i < a.instances.size(); ++i) {
    const auto& x = a.instances[i];
    const auto& y = b.instances[i];
    CHECK(x.task == y.task);
    CHECK(x.params == y.params);
    CHECK(x.label == y.label);
    CHECK(x.command == y.command);
    CHECK(y.sources.empty());  // source_files stands for them
    CHECK(x.deps == y.deps);
    CHECK(x.inputs == y.inputs);
    CHECK(x.outputs == y.outputs);
    CHECK(x.env == y.env);
    CHECK(x.where.line == y.where.line);
    CHECK(x.where.column == y.where.column);
    CHECK(x.description == y.description);
  }
  CHECK(a.targets == b.targets);
  CHECK(a.pipeline_file == b.pipeline_file);
  CHECK(a.globbed_dirs == b.globbed_dirs);
  CHECK(a.source_files == b.source_files);
  CHECK(a.dependent_start == b.dependent_start);
  CHECK(a.dependent_ids == b.dependent_ids);
}

// Rewrites the trailing checksum so corrupted bodies reach the parser itself.
void reseal(std::string& bytes) {
  uint64_t sum = util::checksum64(bytes.data(), bytes.size() - 8);
  for (int i = 0; i < 8; ++i)
    bytes[bytes.size() - 8 + i] = static_cast<char>((sum >> (8 * i)) & 0xff);
}
}  // namespace

TEST_CASE("graph serialize: round trip") {
  Workspace ws;
  auto p = design_example(ws);
  Graph g = build_graph(p, {});
  g.globbed_dirs = {"data", "."};
  std::string bytes = serialize_graph(g);
  auto back = deserialize_graph(bytes);
  REQUIRE(back.has_value());
  check_same(g, *back);
  CHECK(serialize_graph(*back) == bytes);

  Graph empty;
  auto none = deserialize_graph(serialize_graph(empty));
  REQUIRE(none.has_value());
  CHECK(none->instances.empty());
}

TEST_CASE("graph serialize: appended after what the caller wrote, the same bytes") {
  Workspace ws;
  Graph g = build_graph(design_example(ws), {});
  std::string out = "prefix";
  serialize_graph(g, out);
  REQUIRE(out.size() > 6);
  CHECK(out.substr(0, 6) == "prefix");
  CHECK(out.substr(6) == serialize_graph(g));
  auto back = deserialize_graph(std::string_view(out).substr(6));
  REQUIRE(back.has_value());
  check_same(g, *back);
}

TEST_CASE("graph serialize: ten thousand instances stay compact") {
  Workspace ws;
  manifest::Pipeline p;
  p.directory = ws.dir;
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) values.push_back(std::to_string(i));
  auto leaf = task("Leaf", "touch {out}", {}, {"leaf/{a}/{b}.txt"});
  leaf.matrix() = {axis("a", values), axis("b", values)};
  auto all = task("All", "cat {in} > {out}", {}, {"all.txt"});
  all.requires_ = {req("Leaf")};
  p.tasks = {leaf, all};
  Graph g = build_graph(p, {});
  std::string bytes = serialize_graph(g);
  CHECK(bytes.size() < 2'000'000);
  auto back = deserialize_graph(bytes);
  REQUIRE(back.has_value());
  check_same(g, *back);
}

TEST_CASE("graph serialize: garbage, truncation and corruption are rejected without crashing") {
  Workspace ws;
  auto p = design_example(ws);
  std::string bytes = serialize_graph(build_graph(p, {}));

  CHECK_FALSE(deserialize_graph("").has_value());
  CHECK_FALSE(deserialize_graph("LUISYGRF").has_value());
  CHECK_FALSE(deserialize_graph(std::string(100, '\xff')).has_value());
  for (size_t n = 0; n < bytes.size(); ++n)
    CHECK_FALSE(deserialize_graph(bytes.substr(0, n)).has_value());
  CHECK_FALSE(deserialize_graph(bytes + "x").has_value());

  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x01;
  CHECK_FALSE(deserialize_graph(flipped).has_value());

  std::string other_version = bytes;
  other_version[8] = 99;
  reseal(other_version);
  CHECK_FALSE(deserialize_graph(other_version).has_value());

  // With a valid checksum, the parser alone must hold: every byte set to hostile values.
  int parsed = 0;
  for (size_t i = 12; i + 8 < bytes.size(); ++i) {
    for (unsigned char value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string mutated = bytes;
      mutated[i] = static_cast<char>(value);
      reseal(mutated);
      if (deserialize_graph(mutated)) ++parsed;
    }
  }
  CHECK(parsed >= 0);
  std::mt19937 random(42);
  for (int round = 0; round < 2000; ++round) {
    std::string junk(random() % 200, '\0');
    for (auto& c : junk) c = static_cast<char>(random());
    std::string mutated =
        "LUISYGRF" + std::string("\x01\x00\x00\x00", 4) + junk + std::string(8, '\0');
    reseal(mutated);
    auto graph = deserialize_graph(mutated);
    if (graph)
      for (InstanceId id = 0; id < graph->instances.size(); ++id)
        for (InstanceId dep : graph->instances[id].deps) CHECK(dep < id);
  }
}
