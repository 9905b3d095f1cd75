#include "luisy/manifest/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <istream>
#include <streambuf>

namespace luisy::manifest::yaml {

namespace {

// An istream over text we already hold: std::istringstream would copy it (twice).
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // only ever read
    setg(begin, begin, begin + text.size());
  }
};

// Mirrors yaml-cpp's NodeBuilder (what YAML::Load uses) event for event: a null, a scalar
// with its tag, an alias as its anchor's node, map children as key, value, key, value.
class Builder : public YAML::EventHandler {
 public:
  explicit Builder(Parsed& out) : out_(out) {}

  void OnDocumentStart(const YAML::Mark& mark) override { out_.starts.push_back(mark); }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!building()) return note(mark);
    add(mark, Kind::kNull, false, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!building()) return note(mark);
    if (anchor < anchors_.size() && anchors_[anchor] != kNone) {
      attach(anchors_[anchor]);
    } else {
      add(mark, Kind::kNull, false, YAML::NullAnchor);  // the parser refuses unknown anchors
    }
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (!building()) return note(mark);
    uint32_t id = add(mark, Kind::kScalar, tag == "?", anchor);
    Tree::Entry& entry = out_.tree.nodes[id];
    entry.begin = static_cast<uint32_t>(out_.tree.text.size());
    entry.size = static_cast<uint32_t>(value.size());
    out_.tree.text += value;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    if (!building()) return note(mark);
    open(add(mark, Kind::kSequence, false, anchor));
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    if (!building()) return note(mark);
    open(add(mark, Kind::kMap, false, anchor));
  }
  void OnMapEnd() override { close(); }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  bool building() const { return out_.starts.size() == 1; }
  // The first node of the second document, for "holds one YAML document, not several".
  void note(const YAML::Mark& mark) {
    if (out_.starts.size() == 2 && out_.second_node.is_null()) out_.second_node = mark;
  }

  uint32_t add(const YAML::Mark& mark, Kind kind, bool plain, YAML::anchor_t anchor) {
    auto id = static_cast<uint32_t>(out_.tree.nodes.size());
    out_.tree.nodes.push_back(Tree::Entry{mark, kind, plain, 0, 0});
    if (anchor != YAML::NullAnchor) {
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1, kNone);
      anchors_[anchor] = id;
    }
    attach(id);
    return id;
  }

  // A node takes its place among its parent's children when it starts, so that children
  // stay in file order; a collection's own children join the shared array when it ends.
  void attach(uint32_t id) {
    if (depth_ == 0) {
      out_.tree.root = id;
    } else {
      pending_[depth_ - 1].push_back(id);
    }
  }
  void open(uint32_t id) {
    if (pending_.size() <= depth_) pending_.emplace_back();
    pending_[depth_].clear();
    open_.push_back(id);
    ++depth_;
  }
  void close() {
    if (!building() || depth_ == 0) return;
    --depth_;
    std::vector<uint32_t>& kids = pending_[depth_];
    Tree::Entry& entry = out_.tree.nodes[open_.back()];
    open_.pop_back();
    entry.begin = static_cast<uint32_t>(out_.tree.children.size());
    entry.size = static_cast<uint32_t>(kids.size());
    out_.tree.children.insert(out_.tree.children.end(), kids.begin(), kids.end());
    kids.clear();
  }

  Parsed& out_;
  std::vector<uint32_t> anchors_;               // anchor_t -> node id (anchors count from 1)
  std::vector<std::vector<uint32_t>> pending_;  // children of each open collection, by depth
  std::vector<uint32_t> open_;                  // the open collections
  size_t depth_ = 0;
};

}  // namespace

Parsed parse(std::string_view text) {
  Parsed parsed;
  ViewBuffer buffer(text);
  std::istream stream(&buffer);
  YAML::Parser parser(stream);
  Builder builder(parsed);
  // A document that starts where the previous one did means the parser is stuck on a token
  // it cannot use: yaml-cpp 0.7 would loop forever on a stray ',' at the top level. Three
  // starts are enough to tell that from a genuine second document.
  while (parsed.starts.size() < 3 && parser.HandleNextDocument(builder)) {
  }
  if (parsed.tree.nodes.empty()) parsed.tree.nodes.push_back(Tree::Entry{});  // no document
  parsed.tree.children.shrink_to_fit();
  return parsed;
}

}  // namespace luisy::manifest::yaml
