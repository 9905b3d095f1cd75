#pragma once

namespace luisy::cli {

// Runs the command line; returns the exit code. Throws Error for bad usage or pipelines.
int run(int argc, char** argv);

}  // namespace luisy::cli
