#pragma once
// A small, strict JSON reader and writer for luisy's own files (result records, events).
// Strict on purpose: these files cross machines through a shared cache, so anything that is
// not plain RFC 8259 JSON is refused rather than guessed at.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace luisy::util {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Members = std::vector<std::pair<std::string, JsonValue>>;  // in document order

  JsonValue() = default;
  static JsonValue boolean(bool value);
  static JsonValue number(double value);
  static JsonValue integer(int64_t value);
  static JsonValue string(std::string value);
  static JsonValue array();
  static JsonValue object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }
  // A number written without fraction or exponent that fits in int64.
  bool is_integer() const { return type_ == Type::kNumber && is_integer_; }

  bool as_bool() const { return bool_; }
  double as_double() const { return number_; }
  int64_t as_int() const { return integer_; }
  const std::string& as_string() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const Members& members() const { return members_; }

  // Object member by name; nullptr when absent or when this is not an object.
  const JsonValue* find(std::string_view name) const;

  // Builders: push onto an array, append a member to an object (order is kept).
  JsonValue& push(JsonValue value);
  JsonValue& set(std::string name, JsonValue value);

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  bool is_integer_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  Members members_;
};

// Parses one JSON document (surrounding whitespace allowed, nothing else). Refuses duplicate
// object keys, invalid UTF-8 escapes, control characters in strings, and nesting deeper than
// 64. nullopt and *error ("line 3: expected ',' or '}'") on anything malformed.
std::optional<JsonValue> parse_json(std::string_view text, std::string* error);

// Compact when indent == 0, else pretty with that many spaces per level. Non-finite numbers
// are written as null (JSON has no NaN).
std::string to_json(const JsonValue& value, int indent = 0);

}  // namespace luisy::util
