#pragma once
// How many commands may run at once: -j N, GNU make's jobserver, or both. The first job
// always runs (luisy's own implicit slot, never a token); each further one needs a free
// local slot and, with a jobserver, a token that goes back when the job ends.
#include <cstddef>
#include <memory>
#include <vector>

#include "luisy/exec/jobserver.h"

namespace luisy::exec {

class JobSlots {
 public:
  // `limit` 0: no limit of luisy's own (only the jobserver's, if any; else 1).
  explicit JobSlots(size_t limit, Jobserver* jobserver = nullptr)
      : limit_(limit == 0 && !jobserver ? 1 : limit), jobserver_(jobserver) {}
  // Every token still held goes back, whatever path the build took out.
  ~JobSlots() {
    while (!tokens_.empty()) give_back_one();
  }
  JobSlots(const JobSlots&) = delete;
  JobSlots& operator=(const JobSlots&) = delete;

  // Takes a slot for one more job if one is free now; never blocks.
  bool try_acquire() {
    if (limit_ != 0 && in_use_ >= limit_) return false;
    if (in_use_ > 0 && jobserver_) {
      std::optional<char> token = jobserver_->try_take();
      if (!token) return false;
      tokens_.push_back(*token);
    }
    ++in_use_;
    return true;
  }
  // A job ended (however it ended): its slot, and a token if one is held for it, go back.
  void release() {
    if (in_use_ == 0) return;
    --in_use_;
    if (tokens_.size() > (in_use_ == 0 ? 0 : in_use_ - 1)) give_back_one();
  }
  // The descriptor to wait on (SubprocessSet::wait) after try_acquire failed: the
  // jobserver's when a token is all that is missing, else -1 (a job ending frees a slot).
  int wait_fd() const {
    if (!jobserver_ || in_use_ == 0 || (limit_ != 0 && in_use_ >= limit_)) return -1;
    return jobserver_->fd();
  }
  size_t in_use() const { return in_use_; }
  size_t tokens_held() const { return tokens_.size(); }

 private:
  void give_back_one() {
    jobserver_->give_back(tokens_.back());
    tokens_.pop_back();
  }

  size_t limit_;
  Jobserver* jobserver_;
  size_t in_use_ = 0;
  std::vector<char> tokens_;  // the bytes read, written back as they were
};

}  // namespace luisy::exec
