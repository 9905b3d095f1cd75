// luisy: runs data pipelines declared in YAML, incrementally and in parallel.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "luisy/cli/cli.h"
#include "luisy/util/error.h"

int main(int argc, char** argv) {
  try {
    return luisy::cli::run(argc, argv);
  } catch (const luisy::UsageError& e) {
    fmt::print(stderr, "luisy: error: {}\n(run `luisy help` for usage)\n", e.what());
    return e.exit_code();
  } catch (const luisy::Error& e) {
    fmt::print(stderr, "luisy: error: {}\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    fmt::print(stderr, "luisy: internal error: {}\n", e.what());
    return 70;
  }
}
