#pragma once
#include <string>

#include "luisy/util/error.h"
#include "luisy/util/location.h"

namespace luisy::manifest {

// A problem in a pipeline file. what() is "file:line:col: message", followed by the source
// line and a caret under the column when the source text is known.
class ManifestError : public Error {
 public:
  ManifestError(const Location& where, const std::string& message, std::string_view source = {});
  const Location& where() const { return where_; }

 private:
  Location where_;
};

// The line of `source` that `where` points at, and a caret under its column (for messages).
std::string source_excerpt(const Location& where, std::string_view source);

}  // namespace luisy::manifest
