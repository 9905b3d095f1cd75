#pragma once
#include <string>

namespace luisy {

// A place in a source file, 1-based. line == 0 means "the file as a whole".
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

// "file:line:column" (or "file" when there is no line).
std::string to_string(const Location& where);

}  // namespace luisy
