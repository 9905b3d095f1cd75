#include <yaml-cpp/null.h>
#include <yaml.h>

#include <algorithm>
#include <string>
#include <unordered_map>

#include "luisy/manifest/yaml_tree.h"

namespace luisy::manifest::yaml {

namespace {

// A pipeline nests five deep; yaml-cpp refuses 500. Past this, yaml-cpp decides.
constexpr size_t kMaxDepth = 64;

// Bytes both parsers read alike: printable ASCII, tab and '\n'. libyaml (YAML 1.1) also
// breaks lines on '\r', NEL, U+2028 and U+2029 and counts columns in characters; yaml-cpp
// does neither. A file with any other byte is left to yaml-cpp.
bool same_for_both(std::string_view text) {
  unsigned char bad = 0;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    // Branch-free so the loop vectorises: 11 MB at 100,000 tasks.
    bad |= static_cast<unsigned char>((u < 0x20 && u != '\n' && u != '\t') | (u >= 0x7f));
  }
  return bad == 0;
}

// libyaml ends an anchor's or alias's name at the first character that is not a letter,
// digit, '_' or '-', yaml-cpp only at a blank or one of ",[]{}": `&a:b` is anchor "a" and
// scalar ":b" to one, anchor "a:b" to the other. Both agree when the name, at the start of the
// event, ends where yaml-cpp would end it.
bool clean_name(std::string_view text, const yaml_mark_t& at, char sigil, const yaml_char_t* name) {
  std::string_view n(reinterpret_cast<const char*>(name));
  size_t pos = at.index;
  if (pos >= text.size() || text[pos] != sigil || text.substr(pos + 1, n.size()) != n) return false;
  size_t end = pos + 1 + n.size();
  return end == text.size() || std::string_view(" \t\n,]}").find(text[end]) != std::string_view::npos;
}

// Quoted scalars are read alike on one line with the common escapes. Across lines the two
// fold empty lines before the closing quote differently ('a\n\n\n' is "a\n" to yaml-cpp,
// "a\n\n" to libyaml), and the escapes of other characters (\N, \_, \L, \P, ...) become
// different bytes: yaml-cpp reads those scalars.
bool quoting_read_alike(std::string_view text, const yaml_event_t& e) {
  const auto& s = e.data.scalar;
  if (s.style != YAML_SINGLE_QUOTED_SCALAR_STYLE && s.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE)
    return true;
  if (e.start_mark.line != e.end_mark.line) return false;
  if (s.style == YAML_SINGLE_QUOTED_SCALAR_STYLE) return true;
  size_t end = std::min<size_t>(e.end_mark.index, text.size());
  for (size_t i = e.start_mark.index; i < end; ++i) {
    if (text[i] != '\\') continue;
    if (i + 1 >= end || std::string_view("\\\"nt").find(text[i + 1]) == std::string_view::npos)
      return false;
    ++i;
  }
  return true;
}

// Inside [ ] or { }, libyaml takes any '?' before a node for the explicit-key indicator
// (`{?a: 1}` is key "a"); yaml-cpp only a '?' followed by a blank, and refuses `?a`.
bool after_question_mark(std::string_view text, size_t index) {
  while (index > 0 && std::string_view(" \t\n").find(text[index - 1]) != std::string_view::npos)
    --index;
  return index > 0 && text[index - 1] == '?';
}

YAML::Mark mark_of(const yaml_mark_t& mark) {
  YAML::Mark out = YAML::Mark::null_mark();
  out.pos = static_cast<int>(mark.index);
  out.line = static_cast<int>(mark.line);
  out.column = static_cast<int>(mark.column);
  return out;
}

struct Parser {
  yaml_parser_t parser;
  Parser() { yaml_parser_initialize(&parser); }
  ~Parser() { yaml_parser_delete(&parser); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

struct Event {
  yaml_event_t event{};
  bool live = false;
  ~Event() { reset(); }
  void reset() {
    if (live) yaml_event_delete(&event);
    live = false;
  }
};

// Mirrors yaml_tree.cpp's Builder (and so yaml-cpp's NodeBuilder) on libyaml's events.
class Builder {
 public:
  // False when the stream is one yaml-cpp should read (see parse_libyaml).
  explicit Builder(std::string_view text) : text_(text) {}

  bool run(yaml_parser_t& parser) {
    Event event;
    for (;;) {
      event.reset();
      if (!yaml_parser_parse(&parser, &event.event)) return false;
      event.live = true;
      const yaml_event_t& e = event.event;
      bool node = e.type == YAML_ALIAS_EVENT || e.type == YAML_SCALAR_EVENT ||
                  e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT;
      if (node && flow_ > 0 && after_question_mark(text_, std::min(e.start_mark.index, text_.size())))
        return false;
      switch (e.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
        case YAML_NO_EVENT:
          break;
        case YAML_STREAM_END_EVENT:
          return documents_ == 1;
        case YAML_DOCUMENT_START_EVENT:
          // A second document is an error, and directives are read differently: yaml-cpp's.
          if (++documents_ > 1 || e.data.document_start.version_directive ||
              e.data.document_start.tag_directives.start != e.data.document_start.tag_directives.end)
            return false;
          break;
        case YAML_ALIAS_EVENT: {
          if (!clean_name(text_, e.start_mark, '*', e.data.alias.anchor)) return false;
          auto it = anchors_.find(reinterpret_cast<const char*>(e.data.alias.anchor));
          if (it == anchors_.end()) return false;  // yaml-cpp refuses it, in its words
          attach(it->second);
          break;
        }
        case YAML_SCALAR_EVENT: {
          const auto& s = e.data.scalar;
          std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
          if (s.tag) return false;  // yaml-cpp reads tags its own way (`!!str]`, `!:&x`)
          if (!quoting_read_alike(text_, e)) return false;
          if (s.anchor && !clean_name(text_, e.start_mark, '&', s.anchor)) return false;
          // yaml-cpp tags an untagged plain scalar "?" and any other untagged one "!"; an
          // untagged plain "", "~", "null", "Null" or "NULL" is a null.
          bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
          // Inside [ ] or { }, yaml-cpp ends a plain scalar at any '?' (then fails on it) and
          // reads ':' differently; libyaml keeps both inside (`[a?b]`): yaml-cpp decides.
          if (s.style == YAML_PLAIN_SCALAR_STYLE && flow_ > 0 &&
              value.find_first_of("?:") != std::string_view::npos)
            return false;
          if (plain && value.size() <= 4 && YAML::IsNullString(std::string(value))) {
            add(e, Kind::kNull, false, s.anchor);
            break;
          }
          uint32_t id = add(e, Kind::kScalar, plain, s.anchor);
          Tree::Entry& entry = tree_.nodes[id];
          entry.begin = static_cast<uint32_t>(tree_.text.size());
          entry.size = static_cast<uint32_t>(value.size());
          tree_.text += value;
          break;
        }
        case YAML_SEQUENCE_START_EVENT: {
          const auto& start = e.data.sequence_start;
          if (!start_collection(e, Kind::kSequence, start.tag, start.anchor,
                                start.style == YAML_FLOW_SEQUENCE_STYLE))
            return false;
          break;
        }
        case YAML_MAPPING_START_EVENT: {
          const auto& start = e.data.mapping_start;
          if (!start_collection(e, Kind::kMap, start.tag, start.anchor,
                                start.style == YAML_FLOW_MAPPING_STYLE))
            return false;
          break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          close();
          break;
      }
    }
  }

  Tree take() { return std::move(tree_); }

 private:
  // A sequence or mapping starts; false when yaml-cpp should read the stream (a tag, an
  // anchor name it reads otherwise, nesting too deep).
  bool start_collection(const yaml_event_t& e, Kind kind, const yaml_char_t* tag,
                        const yaml_char_t* anchor, bool flow) {
    if (tag) return false;
    if (anchor && !clean_name(text_, e.start_mark, '&', anchor)) return false;
    return open(add(e, kind, false, anchor), flow);
  }

  uint32_t add(const yaml_event_t& e, Kind kind, bool plain, const yaml_char_t* anchor) {
    auto id = static_cast<uint32_t>(tree_.nodes.size());
    tree_.nodes.push_back(Tree::Entry{mark_of(e.start_mark), kind, plain, 0, 0});
    // Registered as the node starts, like yaml-cpp: an alias inside it refers to it.
    if (anchor) anchors_[reinterpret_cast<const char*>(anchor)] = id;
    attach(id);
    return id;
  }
  void attach(uint32_t id) {
    if (open_.empty()) {
      tree_.root = id;
    } else {
      pending_[open_.size() - 1].push_back(id);
    }
  }
  bool open(uint32_t id, bool flow) {
    if (open_.size() >= kMaxDepth) return false;
    if (pending_.size() <= open_.size()) pending_.emplace_back();
    pending_[open_.size()].clear();
    open_.push_back(id);
    flows_.push_back(flow);
    flow_ += flow;
    return true;
  }
  void close() {
    if (open_.empty()) return;
    flow_ -= flows_.back();
    flows_.pop_back();
    std::vector<uint32_t>& kids = pending_[open_.size() - 1];
    Tree::Entry& entry = tree_.nodes[open_.back()];
    open_.pop_back();
    entry.begin = static_cast<uint32_t>(tree_.children.size());
    entry.size = static_cast<uint32_t>(kids.size());
    tree_.children.insert(tree_.children.end(), kids.begin(), kids.end());
    kids.clear();
  }

  std::string_view text_;
  Tree tree_;
  int documents_ = 0;
  std::unordered_map<std::string, uint32_t> anchors_;
  std::vector<std::vector<uint32_t>> pending_;  // children of each open collection, by depth
  std::vector<uint32_t> open_;                  // the open collections
  std::vector<bool> flows_;                     // whether each is in flow style ([ ] or { })
  size_t flow_ = 0;                             // how many of them are
};

}  // namespace

std::optional<Tree> parse_libyaml(std::string_view text) {
  // A last line without its '\n' is read two ways inside a block scalar (`>-\n  a\n  ` is
  // "a " to yaml-cpp, "a" to libyaml).
  if (text.empty() || text.back() != '\n' || !same_for_both(text)) return std::nullopt;
  // A line that starts with '%' inside a document is text to libyaml, the start of a
  // directive to yaml-cpp (which ends a multi-line scalar there).
  if (text.front() == '%' || text.find("\n%") != std::string_view::npos) return std::nullopt;
  Parser parser;
  yaml_parser_set_input_string(&parser.parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  yaml_parser_set_encoding(&parser.parser, YAML_UTF8_ENCODING);
  Builder builder(text);
  if (!builder.run(parser.parser)) return std::nullopt;
  Tree tree = builder.take();
  tree.children.shrink_to_fit();
  return tree;
}

}  // namespace luisy::manifest::yaml
