#include "luisy/graph/serialize.h"

#include <cstring>
#include <limits>
#include <unordered_map>

#include "luisy/util/digest.h"

namespace luisy::graph {

namespace {

// Layout: magic, u32 version, u64 size of the body, the varint-encoded body, a table of
// distinct strings, u64 checksum of all that precedes it. Most strings in the body are
// indices into the table, since task names, parameter values and paths repeat across
// thousands of instances. The table comes last so that the body is written straight into
// the output as the table fills (a body of its own, then copied, held 11 MB twice at
// 100,000 tasks).
constexpr char kMagic[8] = {'L', 'U', 'I', 'S', 'Y', 'G', 'R', 'F'};
// 2: tools and the always/frozen/cache flags; 3: source_files instead of each instance's
// sources; 4: the string table after the body, the pipeline file once, not per instance
constexpr uint32_t kVersion = 4;
constexpr size_t kHeaderSize = sizeof kMagic + 4 + 8;

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

// One instance of the body; `id` is its own (deps point below it).
void read_instance(BodyReader& in, size_t id, TaskInstance& instance) {
  Reader& r = in.r;
  instance.task = in.view();
  size_t params = r.count();
  instance.params.reserve(params);
  for (size_t p = 0; p < params && r.ok(); ++p) {
    std::string name = in.str();
    instance.params.push_back({std::move(name), in.str()});
  }
  instance.label = r.raw();
  instance.command = r.raw();
  instance.deps = in.ids(id);
  instance.inputs = in.str_list();
  instance.outputs = in.str_list();
  instance.env = in.str_list();
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

// More than the bytes serialize_graph writes (a varint is taken as 8 bytes, a string of
// the table as its size plus 8), so that the output never grows by copying.
size_t size_bound(const Graph& graph) {
  size_t bytes = kHeaderSize + 64;
  auto list = [](const std::vector<std::string>& l) { return 8 + 8 * l.size(); };
  for (const auto& instance : graph.instances) {
    bytes += 8 * 12 + instance.label.size() + instance.command.size() +
             16 * instance.params.size() + 8 * instance.deps.size() + list(instance.inputs) +
             list(instance.outputs) + list(instance.env) + list(instance.tools);
    // At most the strings it adds to the table: its outputs are its own (an input is
    // either a source, listed below, or another instance's output).
    bytes += instance.task.size() + instance.description.size() + 24;
    for (const auto& param : instance.params) bytes += param.name.size() + param.value.size() + 16;
    for (const auto* l : {&instance.outputs, &instance.env, &instance.tools})
      for (const auto& s : *l) bytes += s.size() + 8;
  }
  bytes += list(graph.globbed_dirs) + list(graph.source_files) + 8 * graph.targets.size() + 16 +
           graph.pipeline_file.size() + 16;
  for (const auto* l : {&graph.globbed_dirs, &graph.source_files})
    for (const auto& s : *l) bytes += s.size() + 8;
  return bytes;
}

}  // namespace

std::string serialize_graph(const Graph& graph) {
  std::string out;
  serialize_graph(graph, out);
  return out;
}

void serialize_graph(const Graph& graph, std::string& out) {
  size_t start = out.size();
  out.reserve(start + size_bound(graph));
  out.append(kMagic, sizeof kMagic);
  Writer w(out);
  w.fixed(kVersion, 4);
  size_t size_at = out.size();
  w.fixed(0, 8);  // the body's size, once known
  size_t body_start = out.size();
  StringTable table(graph.instances.size() * 4 + 16);
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
    w.varint(static_cast<uint64_t>(std::max(instance.where.line, 0)));
    w.varint(static_cast<uint64_t>(std::max(instance.where.column, 0)));
    w.varint(table.add(instance.description));
    write_strings(w, table, instance.tools);
    w.varint((instance.always ? 1u : 0u) | (instance.frozen ? 2u : 0u) | (instance.cache ? 4u : 0u));
  }
  write_ids(w, graph.targets);
  w.varint(table.add(graph.pipeline_file));
  write_strings(w, table, graph.globbed_dirs);
  write_strings(w, table, graph.source_files);
  uint64_t body_size = out.size() - body_start;
  for (int i = 0; i < 8; ++i) out[size_at + i] = static_cast<char>((body_size >> (8 * i)) & 0xff);
  w.varint(table.strings().size());
  for (std::string_view s : table.strings()) w.raw(s);
  w.fixed(util::checksum64(out.data() + start, out.size() - start), 8);
}

std::optional<Graph> deserialize_graph(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic + 4 + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return std::nullopt;
  std::string_view covered = bytes.substr(0, bytes.size() - 8);
  Reader tail(bytes.substr(bytes.size() - 8));
  if (tail.fixed(8) != util::checksum64(covered.data(), covered.size())) return std::nullopt;

  // One reader, moved from the header to the table to the body (three made the compiler
  // stop inlining its calls: 1% more instructions in a no-op).
  Reader r(covered.substr(sizeof kMagic));
  if (r.fixed(4) != kVersion) return std::nullopt;
  uint64_t body_size = r.fixed(8);
  if (!r.ok() || body_size > r.remaining()) return std::nullopt;
  r = Reader(covered.substr(kHeaderSize + body_size));
  BodyReader in{r, {}};
  size_t string_count = r.count();
  in.strings.reserve(string_count);
  for (size_t i = 0; i < string_count && r.ok(); ++i) in.strings.push_back(r.raw());
  if (!r.ok() || !r.at_end()) return std::nullopt;
  r = Reader(covered.substr(kHeaderSize, body_size));

  Graph graph;
  size_t count = r.count();
  graph.instances.reserve(count);
  for (size_t i = 0; i < count && r.ok(); ++i) read_instance(in, i, graph.instances.emplace_back());
  graph.targets = in.ids(count);
  graph.pipeline_file = in.view();
  graph.globbed_dirs = in.str_list();
  graph.source_files = in.str_list();
  if (!r.ok() || !r.at_end()) return std::nullopt;
  graph.compute_dependents();
  return graph;
}

}  // namespace luisy::graph
