#pragma once
// The first difference between yaml-cpp's tree and libyaml's tree of the same text
// (src/luisy/manifest/yaml_tree.h), node by node from the root: kind, scalar text,
// plainness, mark (pos, line, column) and which nodes are the same node (aliases). Empty when
// they agree. The mark of a null is not compared: yaml-cpp places an empty value on the next
// token, libyaml where the value would start, and the loader names a null's place only in an
// error, which is always worded from yaml-cpp's tree. Shared by tests/unit/test_manifest_yaml_libyaml.cpp and fuzz_yaml_diff.cpp.
#include <fmt/format.h>

#include <string>
#include <unordered_map>

#include "luisy/manifest/yaml_tree.h"

namespace luisy::manifest::yaml {

inline std::string diff_trees(const Tree& a, const Tree& b) {
  std::unordered_map<uint32_t, uint32_t> same;  // a's node -> b's node, for aliases and cycles
  std::string out;
  auto walk = [&](auto&& self, uint32_t x, uint32_t y, const std::string& path) -> void {
    if (!out.empty()) return;
    if (auto [it, fresh] = same.emplace(x, y); !fresh) {
      if (it->second != y) out = fmt::format("{}: aliases differ", path);
      return;
    }
    const Tree::Entry& p = a.nodes[x];
    const Tree::Entry& q = b.nodes[y];
    Node n(a, x), m(b, y);
    if (p.kind != q.kind) {
      out = fmt::format("{}: kind {} vs {}", path, static_cast<int>(p.kind), static_cast<int>(q.kind));
    } else if (n.scalar() != m.scalar()) {
      out = fmt::format("{}: text '{}' vs '{}'", path, n.scalar(), m.scalar());
    } else if (p.plain != q.plain) {
      out = fmt::format("{}: plain {} vs {}", path, p.plain, q.plain);
    } else if (p.kind != Kind::kNull && (p.mark.pos != q.mark.pos || p.mark.line != q.mark.line ||
               p.mark.column != q.mark.column)) {
      out = fmt::format("{}: mark {}:{}:{} vs {}:{}:{}", path, p.mark.pos, p.mark.line,
                        p.mark.column, q.mark.pos, q.mark.line, q.mark.column);
    } else if (p.kind != Kind::kScalar && p.size != q.size) {
      out = fmt::format("{}: size {} vs {}", path, p.size, q.size);
    } else if (p.kind == Kind::kSequence || p.kind == Kind::kMap) {
      for (uint32_t i = 0; i < p.size && out.empty(); ++i)
        self(self, a.children[p.begin + i], b.children[q.begin + i], fmt::format("{}/{}", path, i));
    }
  };
  walk(walk, a.root, b.root, "");
  return out;
}

}  // namespace luisy::manifest::yaml
