#pragma once
// A client of GNU make's jobserver: a pipe (or, from make 4.4, a named fifo) that holds one
// byte per job slot beyond the first. Knows nothing of tasks; JobSlots decides when to ask.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace luisy::exec {

// What luisy needs from MAKEFLAGS.
struct MakeFlags {
  std::string auth;      // the last --jobserver-auth= (or --jobserver-fds=) value, else empty
  bool dry_run = false;  // make -n: the first word holds single-letter flags with an 'n'
};
MakeFlags parse_makeflags(std::string_view makeflags);

class Jobserver {
 public:
  ~Jobserver();
  Jobserver(const Jobserver&) = delete;
  Jobserver& operator=(const Jobserver&) = delete;

  // Connects to the jobserver that `auth` names: "fifo:PATH" or "R,W". Returns null when
  // there is none to use: an empty or unknown form or a negative descriptor (no message),
  // or descriptors that are not open pipes because make did not treat the recipe as
  // recursive (no `+`): then *warning says so, as make would.
  static std::unique_ptr<Jobserver> connect(const std::string& auth, std::string* warning);

  // Readable when a token may be available: poll it, never block on it.
  int fd() const { return read_fd_; }
  // Takes one token without blocking; nullopt when there is none now.
  std::optional<char> try_take();
  // Gives a token back: the very byte try_take returned.
  void give_back(char token);

 private:
  Jobserver(int read_fd, int write_fd, bool owns_write_fd)
      : read_fd_(read_fd), write_fd_(write_fd), owns_write_fd_(owns_write_fd) {}
  int read_fd_;   // a private, non-blocking open file description, close-on-exec
  int write_fd_;  // make's descriptor (R,W form) or the fifo's (fifo form)
  bool owns_write_fd_;
};

}  // namespace luisy::exec
