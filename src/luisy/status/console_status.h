#pragma once
// Internal: the console Status with its streams and width injected, for tests.
// Everyone else uses make_console_status() from status.h.
#include <cstdio>
#include <memory>

#include "luisy/status/status.h"

namespace luisy::status {

// `width` 0 asks the terminal behind `out` for its width whenever the status line is drawn.
std::unique_ptr<Status> make_console_status(const ConsoleOptions& options, FILE* out, FILE* err,
                                            size_t width = 0);

}  // namespace luisy::status
