#include "luisy/graph/serialize.h"

#include <cstring>
#include <limits>
#include <unordered_map>

#include "luisy/util/digest.h"

namespace luisy::graph {

namespace {

// Layout: magic, u32 version, varint-encoded body, u64 checksum of all that precedes it.
// The body starts with a table of distinct strings; most strings after it are indices,
// since task names, parameter values and paths repeat across thousands of instances.
constexpr char kMagic[8] = {'L', 'U', 'I', 'S', 'Y', 'G', 'R', 'F'};
// 2: tools and the always/frozen/cache flags; 3: source_files instead of each instance's
// sources
constexpr uint32_t kVersion = 3;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  void fixed(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void raw(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }

 private:
  std::string& out_;
};

// Keys are views into the graph being written, which outlives the table: no copies.
class StringTable {
 public:
  explicit StringTable(size_t expected) { index_.reserve(expected); }
  uint32_t add(std::string_view s) {
    auto [it, inserted] = index_.try_emplace(s, static_cast<uint32_t>(strings_.size()));
    if (inserted) strings_.push_back(s);
    return it->second;
  }
  const std::vector<std::string_view>& strings() const { return strings_; }

 private:
  std::unordered_map<std::string_view, uint32_t> index_;
  std::vector<std::string_view> strings_;
};

// Every read checks the bounds; a failure sticks and every later read returns zero.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : data_(bytes) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && ok_; shift += 7) {
      if (pos_ >= data_.size()) return fail();
      uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      if (shift == 63 && byte > 1) return fail();
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return fail();
  }
  uint64_t fixed(int bytes) {
    if (remaining() < static_cast<size_t>(bytes)) return fail();
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_++])) << (8 * i);
    return v;
  }
  std::string_view raw() {
    uint64_t size = varint();
    if (!ok_ || size > remaining()) return fail(), std::string_view();
    std::string_view s = data_.substr(pos_, size);
    pos_ += size;
    return s;
  }
  // A count of items that take at least one byte each: larger than what is left is a lie.
  size_t count() {
    uint64_t n = varint();
    if (n > remaining()) return fail();
    return static_cast<size_t>(n);
  }
  uint64_t fail() {
    ok_ = false;
    return 0;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void write_strings(Writer& w, StringTable& table, const std::vector<std::string>& list) {
  w.varint(list.size());
  for (const auto& s : list) w.varint(table.add(s));
}

void write_ids(Writer& w, const std::vector<InstanceId>& ids) {
  w.varint(ids.size());
  for (InstanceId id : ids) w.varint(id);
}

struct BodyReader {
  Reader& r;
  std::vector<std::string_view> strings;

  std::string_view view() {
    uint64_t i = r.varint();
    if (i >= strings.size()) return r.fail(), std::string_view();
    return strings[i];
  }
  std::string str() { return std::string(view()); }
  std::vector<std::string> str_list() {
    size_t n = r.count();
    std::vector<std::string> list;
    list.reserve(n);
    for (size_t i = 0; i < n && r.ok(); ++i) list.emplace_back(view());
    return list;
  }
  // Ids below `limit` only: deps point backwards, targets anywhere in the graph.
  std::vector<InstanceId> ids(uint64_t limit) {
    size_t n = r.count();
    std::vector<InstanceId> list;
    list.reserve(n);
    for (size_t i = 0; i < n && r.ok(); ++i) {
      uint64_t id = r.varint();
      if (id >= limit) return r.fail(), std::vector<InstanceId>();
      list.push_back(static_cast<InstanceId>(id));
    }
    return list;
  }
  int small_int() {
    uint64_t v = r.varint();
    if (v > static_cast<uint64_t>(std::numeric_limits<int>::max()))
      return static_cast<int>(r.fail());
    return static_cast<int>(v);
  }
};

}  // namespace

std::string serialize_graph(const Graph& graph) {
  StringTable table(graph.instances.size() * 4 + 16);
  std::string body;
  body.reserve(graph.instances.size() * 32);
  Writer w(body);
  w.varint(graph.instances.size());
  for (const auto& instance : graph.instances) {
    w.varint(table.add(instance.task));
    w.varint(instance.params.size());
    for (const auto& param : instance.params) {
      w.varint(table.add(param.name));
      w.varint(table.add(param.value));
    }
    w.raw(instance.label);  // unique per instance: not worth a table lookup
    w.raw(instance.command);
    write_ids(w, instance.deps);
    write_strings(w, table, instance.inputs);
    write_strings(w, table, instance.outputs);
    write_strings(w, table, instance.env);
    w.varint(table.add(instance.where.file));
    w.varint(static_cast<uint64_t>(std::max(instance.where.line, 0)));
    w.varint(static_cast<uint64_t>(std::max(instance.where.column, 0)));
    w.varint(table.add(instance.description));
    write_strings(w, table, instance.tools);
    w.varint((instance.always ? 1u : 0u) | (instance.frozen ? 2u : 0u) | (instance.cache ? 4u : 0u));
  }
  write_ids(w, graph.targets);
  write_strings(w, table, graph.globbed_dirs);
  write_strings(w, table, graph.source_files);

  std::string out(kMagic, sizeof kMagic);
  size_t table_bytes = 0;
  for (std::string_view s : table.strings()) table_bytes += s.size() + 2;
  out.reserve(sizeof kMagic + 16 + table_bytes + body.size() + 8);
  Writer header(out);
  header.fixed(kVersion, 4);
  header.varint(table.strings().size());
  for (std::string_view s : table.strings()) header.raw(s);
  out += body;
  header.fixed(util::checksum64(out.data(), out.size()), 8);
  return out;
}

std::optional<Graph> deserialize_graph(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic + 4 + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return std::nullopt;
  std::string_view covered = bytes.substr(0, bytes.size() - 8);
  Reader tail(bytes.substr(bytes.size() - 8));
  if (tail.fixed(8) != util::checksum64(covered.data(), covered.size())) return std::nullopt;

  Reader r(covered.substr(sizeof kMagic));
  if (r.fixed(4) != kVersion) return std::nullopt;
  BodyReader in{r, {}};
  size_t string_count = r.count();
  in.strings.reserve(string_count);
  for (size_t i = 0; i < string_count && r.ok(); ++i) in.strings.push_back(r.raw());

  Graph graph;
  size_t count = r.count();
  graph.instances.reserve(count);
  for (size_t i = 0; i < count && r.ok(); ++i) {
    TaskInstance& instance = graph.instances.emplace_back();
    instance.task = in.view();
    size_t params = r.count();
    instance.params.reserve(params);
    for (size_t p = 0; p < params && r.ok(); ++p) {
      std::string name = in.str();
      instance.params.push_back({std::move(name), in.str()});
    }
    instance.label = r.raw();
    instance.command = r.raw();
    instance.deps = in.ids(i);
    instance.inputs = in.str_list();
    instance.outputs = in.str_list();
    instance.env = in.str_list();
    instance.where.file = in.view();
    instance.where.line = in.small_int();
    instance.where.column = in.small_int();
    instance.description = in.view();
    instance.tools = in.str_list();
    uint64_t flags = r.varint();
    if (flags > 7) r.fail();
    instance.always = flags & 1;
    instance.frozen = flags & 2;
    instance.cache = flags & 4;
  }
  graph.targets = in.ids(count);
  graph.globbed_dirs = in.str_list();
  graph.source_files = in.str_list();
  if (!r.ok() || !r.at_end()) return std::nullopt;
  graph.compute_dependents();
  return graph;
}

}  // namespace luisy::graph
