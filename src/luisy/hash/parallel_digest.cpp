#include "luisy/hash/parallel_digest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <numeric>
#include <system_error>
#include <thread>

#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::hash {

namespace {

// Measured on 1 GiB in 4 cached files, two threads: 64 and 128 KiB reads cost 80 ms of CPU,
// 256 KiB and 1 MiB 82-83 ms (the buffer no longer stays in the L2 cache). 128 KiB: half the
// reads of 64 KiB, and files up to 128 KiB (most sources) are read in one call.
constexpr size_t kReadBuffer = 128 * 1024;
// Below this, POSIX_FADV_SEQUENTIAL cannot help (the kernel's default readahead covers the
// file) and is one syscall per file for nothing.
constexpr uint64_t kAdviseFrom = 1 << 20;
// A batch below both is hashed on the calling thread: starting threads would cost more.
constexpr size_t kParallelFiles = 16;
constexpr uint64_t kParallelBytes = 8 << 20;

[[noreturn]] void throw_errno(std::string_view what, std::string_view base_dir, const char* path,
                              int error) {
  throw Error(
      fmt::format("{} {}: {}", what, util::join_path(base_dir, path), std::strerror(error)));
}

struct Fd {
  int fd;
  ~Fd() { ::close(fd); }
};

}  // namespace

std::optional<util::Digest> digest_file_at(int dir_fd, const char* path, uint64_t size,
                                           std::string_view base_dir, util::FileStat* opened) {
  Fd file{::openat(dir_fd, path, O_RDONLY | O_CLOEXEC | (opened ? O_NONBLOCK : 0))};
  if (file.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("cannot open", base_dir, path, errno);
  }
  if (opened) {
    struct stat st;
    if (::fstat(file.fd, &st) != 0) throw_errno("cannot stat", base_dir, path, errno);
    *opened =
        util::FileStat{static_cast<uint64_t>(st.st_size),
                       static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                       st.st_ino, st.st_mode, S_ISDIR(st.st_mode)};
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    size = opened->size;
  }
  if (size != kUnknownSize && size >= kAdviseFrom)
    ::posix_fadvise(file.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // One per thread: hashing many small files should not allocate per file.
  constexpr size_t capacity = kReadBuffer;
  thread_local std::unique_ptr<char[]> buffer(new char[capacity]);
  std::optional<util::Hasher> hasher;
  uint64_t total = 0;
  while (true) {
    // Ask for one byte more than stat promised: a short read at that size is the end, so a
    // small file takes one read and no second one that returns 0.
    size_t want = capacity;
    if (size != kUnknownSize && total <= size)
      want = static_cast<size_t>(std::min<uint64_t>(capacity, size - total + 1));
    ssize_t n = ::read(file.fd, buffer.get(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read", base_dir, path, errno);
    }
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
    bool at_end = static_cast<size_t>(n) < want && total == size;
    // The whole file in one read: the one-shot hash (same digest) needs no streaming state.
    if (at_end && !hasher) return util::digest_of(buffer.get(), static_cast<size_t>(n));
    if (!hasher) hasher.emplace();
    hasher->update(buffer.get(), static_cast<size_t>(n));
    if (at_end) break;
  }
  if (!hasher) return util::digest_of("", 0);
  return hasher->finish();
}

unsigned hash_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<HashedFile> digest_files(int dir_fd, const std::string& base_dir,
                                     const std::vector<FileToHash>& files, unsigned threads) {
  std::vector<HashedFile> results(files.size());
  // Largest first, so that one big file does not start last and leave the other cores idle.
  std::vector<size_t> order(files.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return files[a].size > files[b].size; });
  std::atomic<size_t> next{0};
  auto work = [&] {
    while (true) {
      size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= order.size()) return;
      const FileToHash& file = files[order[i]];
      HashedFile& result = results[order[i]];
      try {
        bool unknown = file.size == kUnknownSize;
        result.digest = digest_file_at(dir_fd, file.path, file.size, base_dir,
                                       unknown ? &result.stat : nullptr);
      } catch (const std::exception& e) {
        result.error = e.what();
      }
    }
  };

  uint64_t bytes = 0;
  for (const auto& file : files) bytes += std::min(file.size, kParallelBytes);  // unknown: large
  if (threads == 0) threads = hash_threads();
  if (files.size() < kParallelFiles && bytes < kParallelBytes) threads = 1;
  threads = static_cast<unsigned>(std::min<size_t>(threads, files.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the ones running finish the work
    }
  }
  work();
  for (auto& thread : pool) thread.join();
  return results;
}

}  // namespace luisy::hash
