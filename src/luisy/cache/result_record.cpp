#include "luisy/cache/result_record.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "luisy/cache/remote/azure_auth.h"
#include "luisy/util/error.h"
#include "luisy/util/json.h"

namespace luisy::cache {

using util::JsonValue;

bool is_safe_record_path(std::string_view path, bool allow_trailing_slash) {
  if (path.empty() || path.front() == '/') return false;
  if (path.find_first_of(std::string_view("\0\n\r", 3)) != std::string_view::npos) return false;
  if (path.back() == '/' && !allow_trailing_slash) return false;
  size_t named = 0;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (part == "..") return false;
    if (!part.empty() && part != ".") ++named;
    start = slash + 1;
  }
  return named > 0;
}

std::string serialize_record(const ResultRecord& record) {
  std::vector<FileEntry> files = record.files;
  std::sort(files.begin(), files.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });

  bool has_inline = std::any_of(files.begin(), files.end(),
                                [](const FileEntry& f) { return f.content.has_value(); });
  JsonValue root = JsonValue::object();
  root.set("format", JsonValue::integer(has_inline ? kRecordFormatInline : kRecordFormat));
  root.set("key", JsonValue::string(util::to_hex(record.key)));
  JsonValue& outputs = root.set("outputs", JsonValue::array());
  for (const auto& output : record.outputs) {
    JsonValue& o = outputs.push(JsonValue::object());
    o.set("path", JsonValue::string(output.path));
    o.set("digest", JsonValue::string(util::to_hex(output.digest)));
  }
  JsonValue& file_list = root.set("files", JsonValue::array());
  for (const auto& file : files) {
    JsonValue& f = file_list.push(JsonValue::object());
    f.set("path", JsonValue::string(file.path));
    f.set("digest", JsonValue::string(util::to_hex(file.digest)));
    f.set("size", JsonValue::integer(static_cast<int64_t>(file.size)));
    f.set("mode", JsonValue::integer(file.mode));
    if (file.content) f.set("content", JsonValue::string(remote::base64_encode(*file.content)));
  }
  root.set("created_at", JsonValue::integer(record.created_at));
  root.set("created_by", JsonValue::string(record.created_by));
  root.set("luisy_version", JsonValue::string(record.luisy_version));
  root.set("seconds", JsonValue::number(std::isfinite(record.seconds) ? record.seconds : 0));
  root.set("preimage", JsonValue::string(record.preimage));
  return util::to_json(root, 1) + "\n";
}

ResultRecord without_inline(ResultRecord record) {
  for (auto& file : record.files) file.content.reset();
  return record;
}

namespace {

// Field readers: each returns false and sets *error naming the field when it is wrong.
struct Reader {
  std::string* error;

  bool fail(std::string message) {
    if (error) *error = std::move(message);
    return false;
  }

  const JsonValue* get(const JsonValue& object, std::string_view name, std::string_view where,
                       bool required) {
    const JsonValue* v = object.find(name);
    if (!v && required) fail(fmt::format("{}: missing \"{}\"", where, name));
    return v;
  }

  bool string(const JsonValue& object, std::string_view name, std::string_view where, bool required,
              std::string& out) {
    const JsonValue* v = get(object, name, where, required);
    if (!v) return !required;
    if (!v->is_string()) return fail(fmt::format("{}: \"{}\" is not a string", where, name));
    out = v->as_string();
    return true;
  }

  bool digest(const JsonValue& object, std::string_view name, std::string_view where,
              util::Digest& out) {
    std::string hex;
    if (!string(object, name, where, true, hex)) return false;
    auto d = util::digest_from_hex(hex);
    if (!d) return fail(fmt::format("{}: \"{}\" is not a 32-digit hex digest", where, name));
    out = *d;
    return true;
  }

  bool integer(const JsonValue& object, std::string_view name, std::string_view where,
               bool required, int64_t min, int64_t max, int64_t& out) {
    const JsonValue* v = get(object, name, where, required);
    if (!v) return !required;
    if (!v->is_integer() || v->as_int() < min || v->as_int() > max)
      return fail(fmt::format("{}: \"{}\" is not an integer in range", where, name));
    out = v->as_int();
    return true;
  }

  bool path(const JsonValue& object, std::string_view where, bool is_output, std::string& out) {
    if (!string(object, "path", where, true, out)) return false;
    if (!is_safe_record_path(out, is_output))
      return fail(fmt::format("{}: unsafe path \"{}\"", where, out));
    return true;
  }
};

// The output paths of a key preimage (hash::serialize_preimage): lines "TAG ITEM...\n"
// after a header line, each item " LEN:BYTES" or " -". nullopt when the text is not of that
// shape. Read here rather than with hash::parse_preimage so that cache/ stays below hash/.
std::optional<std::vector<std::string>> preimage_outputs(std::string_view text) {
  size_t pos = text.find('\n');
  if (pos == std::string_view::npos) return std::nullopt;
  ++pos;
  std::vector<std::string> outputs;
  while (pos < text.size()) {
    size_t tag_start = pos;
    while (pos < text.size() && text[pos] >= 'a' && text[pos] <= 'z') ++pos;
    std::string_view tag = text.substr(tag_start, pos - tag_start);
    std::vector<std::string_view> items;
    while (pos < text.size() && text[pos] == ' ') {
      ++pos;
      if (pos < text.size() && text[pos] == '-') {
        ++pos;
        continue;
      }
      size_t length = 0, digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (++digits > 12) return std::nullopt;
        length = length * 10 + static_cast<size_t>(text[pos++] - '0');
      }
      if (digits == 0 || pos >= text.size() || text[pos] != ':') return std::nullopt;
      ++pos;
      if (length > text.size() - pos) return std::nullopt;
      items.push_back(text.substr(pos, length));
      pos += length;
    }
    if (pos >= text.size() || text[pos] != '\n') return std::nullopt;
    ++pos;
    if (tag == "output") {
      if (items.size() != 1) return std::nullopt;
      outputs.emplace_back(items[0]);
    }
  }
  return outputs;
}

}  // namespace

std::string record_inconsistency(const ResultRecord& record) {
  if (util::digest_of(record.preimage) != record.key)
    return "its preimage does not hash to its key";
  auto declared = preimage_outputs(record.preimage);
  if (!declared) return "its preimage is malformed";
  if (declared->size() != record.outputs.size())
    return fmt::format("it lists {} outputs where its preimage declares {}", record.outputs.size(),
                       declared->size());
  for (size_t i = 0; i < declared->size(); ++i)
    if (record.outputs[i].path != (*declared)[i])
      return fmt::format("output \"{}\" is not the declared output \"{}\"", record.outputs[i].path,
                         (*declared)[i]);
  for (const auto& file : record.files) {
    bool covered = false;
    for (const auto& output : record.outputs) {
      if (output.path.back() == '/') {
        covered = file.path.starts_with(output.path);
      } else if (file.path == output.path) {
        if (file.digest != output.digest)
          return fmt::format("file \"{}\" has another digest than its output", file.path);
        covered = true;
      }
      if (covered) break;
    }
    if (!covered) return fmt::format("file \"{}\" is not one of its outputs", file.path);
  }
  return {};
}

std::optional<ResultRecord> parse_record(std::string_view json, const util::Digest& expected_key,
                                         std::string* error) {
  std::string json_error;
  auto root = util::parse_json(json, &json_error);
  if (!root) {
    if (error) *error = "invalid JSON: " + json_error;
    return std::nullopt;
  }
  Reader r{error};
  if (!root->is_object()) {
    r.fail("record is not a JSON object");
    return std::nullopt;
  }
  ResultRecord record;
  int64_t format = 0;
  if (!r.integer(*root, "format", "record", true, 0, INT32_MAX, format)) return std::nullopt;
  if (format != kRecordFormat && format != kRecordFormatInline) {
    r.fail(fmt::format("record format {} is not supported (this luisy reads formats {} and {})",
                       format, kRecordFormat, kRecordFormatInline));
    return std::nullopt;
  }
  if (!r.digest(*root, "key", "record", record.key)) return std::nullopt;
  if (record.key != expected_key) {
    r.fail(fmt::format("record is for key {}, expected {}", util::to_hex(record.key),
                       util::to_hex(expected_key)));
    return std::nullopt;
  }

  const JsonValue* outputs = r.get(*root, "outputs", "record", true);
  if (!outputs) return std::nullopt;
  if (!outputs->is_array()) {
    r.fail("record: \"outputs\" is not an array");
    return std::nullopt;
  }
  for (size_t i = 0; i < outputs->items().size(); ++i) {
    const JsonValue& item = outputs->items()[i];
    std::string where = fmt::format("outputs[{}]", i);
    if (!item.is_object()) {
      r.fail(where + " is not an object");
      return std::nullopt;
    }
    OutputEntry entry;
    if (!r.path(item, where, true, entry.path) || !r.digest(item, "digest", where, entry.digest))
      return std::nullopt;
    record.outputs.push_back(std::move(entry));
  }

  const JsonValue* files = r.get(*root, "files", "record", true);
  if (!files) return std::nullopt;
  if (!files->is_array()) {
    r.fail("record: \"files\" is not an array");
    return std::nullopt;
  }
  for (size_t i = 0; i < files->items().size(); ++i) {
    const JsonValue& item = files->items()[i];
    std::string where = fmt::format("files[{}]", i);
    if (!item.is_object()) {
      r.fail(where + " is not an object");
      return std::nullopt;
    }
    FileEntry entry;
    int64_t size = 0, mode = 0644;
    if (!r.path(item, where, false, entry.path) || !r.digest(item, "digest", where, entry.digest) ||
        !r.integer(item, "size", where, true, 0, INT64_MAX, size) ||
        !r.integer(item, "mode", where, true, 0, 07777, mode))
      return std::nullopt;
    entry.size = static_cast<uint64_t>(size);
    entry.mode = static_cast<uint32_t>(mode);
    if (format == kRecordFormatInline) {
      std::string encoded;
      if (!r.string(item, "content", where, false, encoded)) return std::nullopt;
      if (item.find("content")) {
        try {
          entry.content = remote::base64_decode(encoded);
        } catch (const Error&) {
          r.fail(fmt::format("{}: \"content\" is not Base64", where));
          return std::nullopt;
        }
        if (entry.content->size() != entry.size || util::digest_of(*entry.content) != entry.digest) {
          r.fail(fmt::format("{}: the inline content of \"{}\" does not match its size and digest",
                             where, entry.path));
          return std::nullopt;
        }
      }
    }
    record.files.push_back(std::move(entry));
  }
  std::sort(record.files.begin(), record.files.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  for (size_t i = 1; i < record.files.size(); ++i) {
    if (record.files[i].path == record.files[i - 1].path) {
      r.fail(fmt::format("files: \"{}\" appears twice", record.files[i].path));
      return std::nullopt;
    }
  }

  if (!r.string(*root, "preimage", "record", true, record.preimage) ||
      !r.integer(*root, "created_at", "record", false, INT64_MIN, INT64_MAX, record.created_at) ||
      !r.string(*root, "created_by", "record", false, record.created_by) ||
      !r.string(*root, "luisy_version", "record", false, record.luisy_version))
    return std::nullopt;
  if (const JsonValue* seconds = root->find("seconds")) {
    if (!seconds->is_number()) {
      r.fail("record: \"seconds\" is not a number");
      return std::nullopt;
    }
    record.seconds = seconds->as_double();
  }
  return record;
}

}  // namespace luisy::cache
