#pragma once
// Private to manifest/: a YAML document as a compact tree, built from yaml-cpp's event API
// (parse) or from libyaml's (parse_libyaml, eight times faster; the loader tries it first).
// YAML::Load builds a tree of shared_ptr nodes with a std::string and a tag per node: about
// 500 bytes a node, 500 MB for a 100,000-task pipeline. Here a node is 24 bytes, the
// scalars share one buffer and the children one array, and the tree lives only while the
// loader reads it. Kinds, marks and aliases are what YAML::Load would give.
#include <yaml-cpp/mark.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace luisy::manifest::yaml {

enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };

class Tree;

// A node of a Tree, by value (the tree must outlive it).
class Node {
 public:
  Node(const Tree& tree, uint32_t id) : tree_(&tree), id_(id) {}

  Kind kind() const;
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_scalar() const { return kind() == Kind::kScalar; }
  bool is_sequence() const { return kind() == Kind::kSequence; }
  bool is_map() const { return kind() == Kind::kMap; }
  // A plain scalar (no quotes, no tag): its text is the file's text from mark().pos.
  bool is_plain() const;
  const YAML::Mark& mark() const;
  // The text of a scalar; empty for anything else.
  std::string_view scalar() const;
  // Items of a sequence, entries of a map, 0 for anything else.
  size_t size() const;
  Node item(size_t i) const;   // of a sequence
  Node key(size_t i) const;    // of a map, in file order
  Node value(size_t i) const;  // of a map

 private:
  Node child(size_t i) const;
  const Tree* tree_;
  uint32_t id_;
};

class Tree {
 public:
  struct Entry {
    YAML::Mark mark;
    Kind kind = Kind::kNull;
    bool plain = false;
    uint32_t begin = 0;  // scalar: offset in text; collection: first child in children
    uint32_t size = 0;   // scalar: length; sequence: items; map: keys and values (2 per entry)
  };
  // Blocks of a fixed size, not one array: no doubling while the tree is built, which for a
  // 100,000-task pipeline (a million nodes) held a 50 MB array half empty, and 75 MB while
  // it grew.
  class Entries {
   public:
    static constexpr size_t kShift = 12;  // 4,096 entries, 96 KiB a block
    static constexpr size_t kMask = (size_t{1} << kShift) - 1;
    Entry& operator[](size_t i) { return blocks_[i >> kShift][i & kMask]; }
    const Entry& operator[](size_t i) const { return blocks_[i >> kShift][i & kMask]; }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    void push_back(const Entry& entry) {
      if ((size_ & kMask) == 0) blocks_.push_back(std::make_unique<Entry[]>(kMask + 1));
      (*this)[size_++] = entry;
    }

   private:
    std::vector<std::unique_ptr<Entry[]>> blocks_;
    size_t size_ = 0;
  };
  Entries nodes;
  std::vector<uint32_t> children;  // node ids; an alias repeats the id of its anchor
  std::string text;                // every scalar, one after the other
  uint32_t root = 0;

  Node root_node() const { return Node(*this, root); }
};

// What parsing a stream gave: the tree of its first document, and where the first three
// documents start (the loader refuses a second one, and tells a parser stuck on one token
// from a second document) and where the second document's first node is.
struct Parsed {
  Tree tree;
  std::vector<YAML::Mark> starts;
  YAML::Mark second_node = YAML::Mark::null_mark();
};

// Parses up to three documents of `text` (throws YAML::ParserException); only the first
// becomes a tree. No copy of `text` is made.
Parsed parse(std::string_view text);

// The same tree from libyaml, for a stream of exactly one document that yaml-cpp would read
// the same way; nullopt for anything else: a syntax error, no document or several,
// directives, a tag, an unknown alias, an anchor or alias name not followed by a blank,
// ',', ']' or '}', deep nesting, a plain scalar holding '?' or ':' inside
// [ ] or { }, a node after '?' inside [ ] or { }, a quoted scalar over several lines, an escape other than \\ \" \n \t, a text
// whose last line has no '\n', a line starting with '%', or a
// byte outside printable ASCII, tab and
// '\n' (libyaml is YAML 1.1: it breaks lines on '\r', NEL, U+2028 and U+2029 where yaml-cpp
// does not, and counts columns in characters where yaml-cpp counts bytes). The caller then
// asks parse(), whose messages and marks are the ones users know. Kinds, scalar text,
// plainness, aliases and the marks of scalars and collections are what parse() gives (a
// null's mark may differ: the loader only names it in errors, which are parse()'s);
// tests/fuzz/fuzz_yaml_diff.cpp compares the two.
std::optional<Tree> parse_libyaml(std::string_view text);

inline Kind Node::kind() const {
  return tree_->nodes[id_].kind;
}
inline bool Node::is_plain() const {
  return tree_->nodes[id_].plain;
}
inline const YAML::Mark& Node::mark() const {
  return tree_->nodes[id_].mark;
}
inline std::string_view Node::scalar() const {
  const Tree::Entry& e = tree_->nodes[id_];
  if (e.kind != Kind::kScalar) return {};
  return std::string_view(tree_->text).substr(e.begin, e.size);
}
inline size_t Node::size() const {
  const Tree::Entry& e = tree_->nodes[id_];
  if (e.kind == Kind::kSequence) return e.size;
  if (e.kind == Kind::kMap) return e.size / 2;
  return 0;
}
inline Node Node::child(size_t i) const {
  return Node(*tree_, tree_->children[tree_->nodes[id_].begin + i]);
}
inline Node Node::item(size_t i) const {
  return child(i);
}
inline Node Node::key(size_t i) const {
  return child(2 * i);
}
inline Node Node::value(size_t i) const {
  return child(2 * i + 1);
}

}  // namespace luisy::manifest::yaml
