#include "luisy/util/json.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "luisy/util/strings.h"

namespace luisy::util {

JsonValue JsonValue::boolean(bool value) {
  JsonValue v;
  v.type_ = Type::kBool;
  v.bool_ = value;
  return v;
}

JsonValue JsonValue::number(double value) {
  JsonValue v;
  v.type_ = Type::kNumber;
  v.number_ = value;
  return v;
}

JsonValue JsonValue::integer(int64_t value) {
  JsonValue v;
  v.type_ = Type::kNumber;
  v.is_integer_ = true;
  v.integer_ = value;
  v.number_ = static_cast<double>(value);
  return v;
}

JsonValue JsonValue::string(std::string value) {
  JsonValue v;
  v.type_ = Type::kString;
  v.string_ = std::move(value);
  return v;
}

JsonValue JsonValue::array() {
  JsonValue v;
  v.type_ = Type::kArray;
  return v;
}

JsonValue JsonValue::object() {
  JsonValue v;
  v.type_ = Type::kObject;
  return v;
}

const JsonValue* JsonValue::find(std::string_view name) const {
  for (const auto& [key, value] : members_)
    if (key == name) return &value;
  return nullptr;
}

JsonValue& JsonValue::push(JsonValue value) {
  items_.push_back(std::move(value));
  return items_.back();
}

JsonValue& JsonValue::set(std::string name, JsonValue value) {
  members_.emplace_back(std::move(name), std::move(value));
  return members_.back().second;
}

namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<JsonValue> parse_document(std::string* error) {
    std::optional<JsonValue> value;
    skip_space();
    value = parse_value(0);
    if (value) {
      skip_space();
      if (pos_ != text_.size()) {
        fail("unexpected text after the JSON value");
        value.reset();
      }
    }
    if (!value && error) *error = fmt::format("line {}: {}", line(), message_);
    return value;
  }

 private:
  bool fail(std::string message) {
    if (message_.empty()) message_ = std::move(message);
    return false;
  }

  int line() const {
    int n = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i)
      if (text_[i] == '\n') ++n;
    return n;
  }

  void skip_space() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  std::optional<JsonValue> parse_value(int depth) {
    if (depth > kMaxDepth) {
      fail("JSON nested too deeply");
      return std::nullopt;
    }
    if (pos_ >= text_.size()) {
      fail("unexpected end of JSON");
      return std::nullopt;
    }
    char c = text_[pos_];
    if (c == '{') return parse_object(depth);
    if (c == '[') return parse_array(depth);
    if (c == '"') {
      std::string s;
      if (!parse_string(s)) return std::nullopt;
      return JsonValue::string(std::move(s));
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    if (consume("true")) return JsonValue::boolean(true);
    if (consume("false")) return JsonValue::boolean(false);
    if (consume("null")) return JsonValue();
    fail(fmt::format("unexpected character '{}'", printable(c)));
    return std::nullopt;
  }

  static std::string printable(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return fmt::format("\\x{:02x}", u);
    return std::string(1, c);
  }

  std::optional<JsonValue> parse_object(int depth) {
    ++pos_;  // '{'
    JsonValue object = JsonValue::object();
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return object;
    }
    while (true) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        fail("expected a string as object key");
        return std::nullopt;
      }
      std::string key;
      if (!parse_string(key)) return std::nullopt;
      if (object.find(key)) {
        fail(fmt::format("duplicate key \"{}\"", json_escape(key)));
        return std::nullopt;
      }
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') {
        fail("expected ':' after an object key");
        return std::nullopt;
      }
      ++pos_;
      skip_space();
      auto value = parse_value(depth + 1);
      if (!value) return std::nullopt;
      object.set(std::move(key), std::move(*value));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return object;
      }
      fail("expected ',' or '}'");
      return std::nullopt;
    }
  }

  std::optional<JsonValue> parse_array(int depth) {
    ++pos_;  // '['
    JsonValue array = JsonValue::array();
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return array;
    }
    while (true) {
      skip_space();
      auto value = parse_value(depth + 1);
      if (!value) return std::nullopt;
      array.push(std::move(*value));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return array;
      }
      fail("expected ',' or ']'");
      return std::nullopt;
    }
  }

  bool parse_hex4(uint32_t& out) {
    if (pos_ + 4 > text_.size()) return fail("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      uint32_t v;
      if (c >= '0' && c <= '9')
        v = static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v = static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v = static_cast<uint32_t>(c - 'A' + 10);
      else
        return fail("invalid \\u escape");
      out = (out << 4) | v;
    }
    return true;
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  bool parse_string(std::string& out) {
    ++pos_;  // '"'
    while (true) {
      if (pos_ >= text_.size()) return fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) return fail("unterminated string");
      char e = text_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!parse_hex4(cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return fail("unpaired surrogate in \\u escape");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low;
            if (!consume("\\u") || !parse_hex4(low) || low < 0xdc00 || low > 0xdfff)
              return fail("unpaired surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return fail(fmt::format("invalid escape '\\{}'", printable(e)));
      }
    }
  }

  std::optional<JsonValue> parse_number() {
    size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    auto digits = [&] {
      size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      fail("invalid number");
      return std::nullopt;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (digits() == 0) {
        fail("invalid number");
        return std::nullopt;
      }
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) {
        fail("invalid number");
        return std::nullopt;
      }
    }
    std::string lexeme(text_.substr(start, pos_ - start));
    if (integral) {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(lexeme.c_str(), &end, 10);
      if (errno == 0 && end == lexeme.c_str() + lexeme.size()) return JsonValue::integer(v);
    }
    double d = std::strtod(lexeme.c_str(), nullptr);
    if (!std::isfinite(d)) {
      fail("number out of range");
      return std::nullopt;
    }
    return JsonValue::number(d);
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string message_;
};

void write_value(const JsonValue& value, int indent, int level, std::string& out) {
  auto newline = [&](int at_level) {
    if (indent == 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * at_level), ' ');
  };
  switch (value.type()) {
    case JsonValue::Type::kNull:
      out += "null";
      break;
    case JsonValue::Type::kBool:
      out += value.as_bool() ? "true" : "false";
      break;
    case JsonValue::Type::kNumber:
      if (value.is_integer())
        out += fmt::format("{}", value.as_int());
      else if (std::isfinite(value.as_double()))
        out += fmt::format("{}", value.as_double());
      else
        out += "null";
      break;
    case JsonValue::Type::kString:
      out += '"';
      out += json_escape(value.as_string());
      out += '"';
      break;
    case JsonValue::Type::kArray: {
      if (value.items().empty()) {
        out += "[]";
        break;
      }
      out += '[';
      bool first = true;
      for (const auto& item : value.items()) {
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        write_value(item, indent, level + 1, out);
      }
      newline(level);
      out += ']';
      break;
    }
    case JsonValue::Type::kObject: {
      if (value.members().empty()) {
        out += "{}";
        break;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.members()) {
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        out += '"';
        out += json_escape(key);
        out += indent ? "\": " : "\":";
        write_value(member, indent, level + 1, out);
      }
      newline(level);
      out += '}';
      break;
    }
  }
}

}  // namespace

std::optional<JsonValue> parse_json(std::string_view text, std::string* error) {
  return Parser(text).parse_document(error);
}

std::string to_json(const JsonValue& value, int indent) {
  std::string out;
  write_value(value, indent, 0, out);
  return out;
}

}  // namespace luisy::util
