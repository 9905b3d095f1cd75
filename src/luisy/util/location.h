#pragma once
#include <string>

namespace luisy {

// A place in a source file, 1-based. line == 0 means "the file as a whole".
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

// A line and column in a file named once elsewhere (a pipeline's values, a graph's
// instances): 8 bytes where a Location, with its own copy of the name, is 40. A 100,000-task
// pipeline has half a million values.
struct Place {
  int line = 0;
  int column = 0;
};

// "file:line:column" (or "file" when there is no line).
std::string to_string(const Location& where);

}  // namespace luisy
