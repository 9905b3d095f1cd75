#include "luisy/manifest/manifest_error.h"

#include <fmt/format.h>

namespace luisy::manifest {

std::string source_excerpt(const Location& where, std::string_view source) {
  if (where.line <= 0 || source.empty()) return {};
  size_t start = 0;
  for (int line = 1; line < where.line; ++line) {
    size_t newline = source.find('\n', start);
    if (newline == std::string_view::npos) return {};
    start = newline + 1;
  }
  size_t end = source.find('\n', start);
  std::string_view text = source.substr(start, end == std::string_view::npos ? end : end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  int column = where.column > 0 ? where.column : 1;
  return fmt::format("{}\n{}^", text, std::string(static_cast<size_t>(column - 1), ' '));
}

namespace {
std::string compose(const Location& where, const std::string& message, std::string_view source) {
  std::string text = fmt::format("{}: {}", to_string(where), message);
  std::string excerpt = source_excerpt(where, source);
  if (!excerpt.empty()) text += "\n" + excerpt;
  return text;
}
}  // namespace

ManifestError::ManifestError(const Location& where, const std::string& message, std::string_view source)
    : Error(compose(where, message, source), kExitUsage), where_(where) {}

}  // namespace luisy::manifest
