#pragma once
// How many commands may run at once: -j N locally; later also GNU make's jobserver.
#include <cstddef>

namespace luisy::exec {

class JobSlots {
 public:
  explicit JobSlots(size_t limit) : limit_(limit == 0 ? 1 : limit) {}
  bool try_acquire() {
    if (in_use_ >= limit_) return false;
    ++in_use_;
    return true;
  }
  void release() {
    if (in_use_ > 0) --in_use_;
  }
  size_t in_use() const { return in_use_; }
  size_t limit() const { return limit_; }

 private:
  size_t limit_;
  size_t in_use_ = 0;
};

}  // namespace luisy::exec
