#pragma once
// Errors that reach the user. Thrown at the boundaries (manifest, remote, command line),
// caught once in main, printed as "luisy: error: <message>", and turned into the exit code.
#include <stdexcept>
#include <string>

namespace luisy {

// Exit codes scripts can rely on (documented in the README).
enum ExitCode : int {
  kExitOk = 0,
  kExitTaskFailed = 1,
  kExitUsage = 2,      // bad command line or bad pipeline file
  kExitUploadFailed = 3,
  kExitInterrupted = 130,  // SIGINT; SIGTERM gives 143
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitUsage)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A usage error: main prints the message and a hint to run `luisy help`.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, kExitUsage) {}
};

}  // namespace luisy
