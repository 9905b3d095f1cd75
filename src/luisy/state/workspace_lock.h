#pragma once
// One build per workspace: an flock on .luisy/lock, released when the process ends
// (also on kill -9).
#include <functional>
#include <string>

namespace luisy::state {

class WorkspaceLock {
 public:
  // Takes the lock. If another process holds it: with `wait`, calls on_wait(holder_pid)
  // once and blocks until it is free; without, throws Error naming the holder's pid.
  WorkspaceLock(const std::string& state_dir, bool wait, const std::function<void(long)>& on_wait);
  ~WorkspaceLock();
  WorkspaceLock(const WorkspaceLock&) = delete;
  WorkspaceLock& operator=(const WorkspaceLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace luisy::state
