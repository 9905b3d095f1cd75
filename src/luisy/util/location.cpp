#include "luisy/util/location.h"

#include <fmt/format.h>

namespace luisy {

std::string to_string(const Location& where) {
  if (where.line <= 0) return where.file;
  return fmt::format("{}:{}:{}", where.file, where.line, where.column);
}

}  // namespace luisy
