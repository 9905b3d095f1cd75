#include "luisy/cache/file_copy.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

namespace luisy::cache {

namespace {

constexpr size_t kBufferSize = 1 << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// One buffer per thread, allocated once: a vector per call zeroed a megabyte for every copy
// and every hash, about 20 GiB of memset for a restore of 10,000 small files.
char* copy_buffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kBufferSize]);
  return buffer.get();
}

std::string errno_message(std::string_view what, const std::string& path) {
  return fmt::format("{} {}: {}", what, path, std::strerror(errno));
}

// Reads the whole of fd from its current offset into the hasher.
bool hash_fd(int fd, util::Hasher& hasher, std::string* error, const std::string& path) {
  char* buffer = copy_buffer();
  while (true) {
    ssize_t n = ::read(fd, buffer, kBufferSize);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (error) *error = errno_message("cannot read", path);
      return false;
    }
    if (n == 0) return true;
    hasher.update(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

CopyResult copy_file(const std::string& source, const std::string& dest, uint32_t mode,
                     CopyDigest digest) {
  CopyResult result;
  Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    result.source_missing = errno == ENOENT;
    result.error = errno_message("cannot read", source);
    return result;
  }
  Fd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (out.get() < 0) {
    result.error = errno_message("cannot create", dest);
    return result;
  }
  auto fail = [&](std::string message) {
    result.ok = false;
    result.error = std::move(message);
    ::close(out.release());
    ::unlink(dest.c_str());
    return result;
  };

  util::Hasher hasher;
  if (::ioctl(out.get(), FICLONE, in.get()) == 0) {
    struct stat st;
    if (::fstat(out.get(), &st) == 0) result.bytes = static_cast<uint64_t>(st.st_size);
    if (digest == CopyDigest::kAlways) {
      Fd check(::open(dest.c_str(), O_RDONLY | O_CLOEXEC));
      std::string error;
      if (check.get() < 0) return fail(errno_message("cannot read", dest));
      if (!hash_fd(check.get(), hasher, &error, dest)) return fail(error);
      result.hashed = true;
    }
  } else {
    bool hashing = digest != CopyDigest::kNone;
    char* buffer = copy_buffer();
    while (true) {
      ssize_t n = ::read(in.get(), buffer, kBufferSize);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail(errno_message("cannot read", source));
      }
      if (n == 0) break;
      if (hashing) hasher.update(buffer, static_cast<size_t>(n));
      size_t written = 0;
      while (written < static_cast<size_t>(n)) {
        ssize_t w = ::write(out.get(), buffer + written, static_cast<size_t>(n) - written);
        if (w < 0) {
          if (errno == EINTR) continue;
          return fail(errno_message("cannot write", dest));
        }
        written += static_cast<size_t>(w);
      }
      result.bytes += static_cast<uint64_t>(n);
    }
    result.hashed = hashing;
  }
  if (::fchmod(out.get(), static_cast<mode_t>(mode & 07777)) != 0)
    return fail(errno_message("cannot set the mode of", dest));
  if (::close(out.release()) != 0) {
    int saved = errno;
    ::unlink(dest.c_str());
    errno = saved;
    result.error = errno_message("cannot write", dest);
    return result;
  }
  if (result.hashed) result.digest = hasher.finish();
  result.ok = true;
  return result;
}

std::string temp_path_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter.fetch_add(1));
}

std::string placement_temp_path(const std::string& dest) {
  size_t slash = dest.rfind('/');
  if (slash == std::string::npos) return fmt::format(".{}.luisy-tmp", dest);
  return fmt::format("{}/.{}.luisy-tmp", dest.substr(0, slash), dest.substr(slash + 1));
}

bool is_temp_path(const std::string& path) {
  size_t slash = path.rfind('/');
  size_t name = slash == std::string::npos ? 0 : slash + 1;
  return path.find(".tmp.", name) != std::string::npos;
}

std::optional<util::Digest> digest_of_file(const std::string& path, std::string* error) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (error) *error = errno_message("cannot read", path);
    return std::nullopt;
  }
  util::Hasher hasher;
  if (!hash_fd(fd.get(), hasher, error, path)) return std::nullopt;
  return hasher.finish();
}

void touch_file(const std::string& path) {
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
}

bool write_new_file(const std::string& path, std::string_view content, uint32_t mode,
                    std::string* error) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777));
  if (fd.get() < 0) {
    if (error) *error = errno_message("cannot create", path);
    return false;
  }
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (error) *error = errno_message("cannot write", path);
      ::close(fd.release());
      ::unlink(path.c_str());
      return false;
    }
    written += static_cast<size_t>(n);
  }
  // The mode asked for, not the one the umask left (a restored file gets its recorded mode).
  if (::fchmod(fd.get(), static_cast<mode_t>(mode & 07777)) != 0 || ::close(fd.release()) != 0) {
    if (error) *error = errno_message("cannot write", path);
    if (fd.get() >= 0) ::close(fd.release());
    ::unlink(path.c_str());
    return false;
  }
  return true;
}

bool write_file_replace(const std::string& path, std::string_view content, std::string* error) {
  std::string temp = temp_path_for(path);
  if (!write_new_file(temp, content, 0644, error)) return false;
  if (!rename_file(temp, path, error)) {
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

bool rename_file(const std::string& from, const std::string& to, std::string* error) {
  if (::rename(from.c_str(), to.c_str()) == 0) return true;
  if (error) *error = errno_message("cannot rename into", to);
  return false;
}

}  // namespace luisy::cache
