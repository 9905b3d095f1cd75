#include "luisy/util/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <fmt/format.h>

#include "luisy/util/error.h"
#include "luisy/util/strings.h"

namespace luisy::util {

namespace {
FileStat to_file_stat(const struct stat& st) {
  FileStat fs;
  fs.size = static_cast<uint64_t>(st.st_size);
  fs.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  fs.inode = st.st_ino;
  fs.mode = st.st_mode;
  fs.is_directory = S_ISDIR(st.st_mode);
  return fs;
}

[[noreturn]] void throw_errno(std::string_view what, const std::string& path) {
  throw Error(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}
}  // namespace

std::optional<FileStat> stat_path(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return to_file_stat(st);
}

std::optional<FileStat> stat_at(int dir_fd, const char* path) {
  struct stat st;
  if (::fstatat(dir_fd, path, &st, 0) != 0) return std::nullopt;
  return to_file_stat(st);
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// read(2) retried on EINTR; on an error, closes `fd` and throws. 0 at the end of the file.
static size_t read_or_close(int fd, char* buffer, size_t size, const std::string& path) {
  while (true) {
    ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    int saved = errno;
    ::close(fd);
    errno = saved;
    throw_errno("cannot read", path);
  }
}

std::optional<std::string> read_file_if_exists(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("cannot open", path);
  }
  std::string content;
  struct stat st;
  size_t filled = 0;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    // Read straight into the string (the build log is megabytes: no second copy).
    content.resize(static_cast<size_t>(st.st_size));
    while (filled < content.size()) {
      size_t n = read_or_close(fd, content.data() + filled, content.size() - filled, path);
      if (n == 0) break;
      filled += n;
    }
    if (filled < content.size()) {  // it shrank meanwhile
      content.resize(filled);
      ::close(fd);
      return content;
    }
  }
  char buffer[65536];
  // The rest, if it grew meanwhile (or fstat gave no size: /proc files).
  while (size_t n = read_or_close(fd, buffer, sizeof buffer, path)) content.append(buffer, n);
  ::close(fd);
  return content;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, false)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (mapped_) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, false);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(data_, size_);
}

std::optional<MappedFile> MappedFile::open_if_exists(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("cannot open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    throw_errno("cannot read", path);
  }
  MappedFile file;
  if (st.st_size > 0) {
    void* data = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      int saved = errno;
      ::close(fd);
      errno = saved;
      throw_errno("cannot read", path);
    }
    file.data_ = static_cast<char*>(data);
    file.size_ = static_cast<size_t>(st.st_size);
    file.mapped_ = true;
  }
  ::close(fd);
  return file;
}

std::string read_file(const std::string& path) {
  auto content = read_file_if_exists(path);
  if (!content) throw Error(fmt::format("cannot open {}: {}", path, std::strerror(ENOENT)));
  return std::move(*content);
}

void write_file_atomic(const std::string& path, std::string_view content, Durability durability) {
  std::string temp = fmt::format("{}.tmp.{}", path, ::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("cannot create", temp);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      errno = saved;
      throw_errno("cannot write", path);
    }
    written += static_cast<size_t>(n);
  }
  if ((durability == Durability::kDurable && ::fsync(fd) != 0) || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    throw_errno("cannot write", path);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    throw_errno("cannot rename into", path);
  }
}

void make_dirs(const std::string& path) {
  if (path.empty() || path == "." || path == "/") return;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    throw Error(fmt::format("cannot create directory {}: a file is in the way", path));
  }
  make_parent_dirs(path);
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("cannot create directory", path);
}

void make_parent_dirs(const std::string& path) {
  std::string parent = dirname(path);
  if (parent != "." && parent != "/" && !parent.empty()) make_dirs(parent);
}

void remove_all(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw_errno("cannot remove", path);
  }
  if (S_ISDIR(st.st_mode)) {
    DIR* dir = ::opendir(path.c_str());
    if (!dir) throw_errno("cannot open directory", path);
    std::vector<std::string> children;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      children.push_back(join_path(path, name));
    }
    ::closedir(dir);
    for (const auto& child : children) remove_all(child);
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) throw_errno("cannot remove", path);
    return;
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("cannot remove", path);
}

namespace {
void list_files_into(const std::string& root, const std::string& relative, std::vector<std::string>& out) {
  std::string dir_path = relative.empty() ? root : join_path(root, relative);
  DIR* dir = ::opendir(dir_path.c_str());
  if (!dir) return;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string child = relative.empty() ? std::string(name) : join_path(relative, name);
    struct stat st;
    if (::stat(join_path(root, child).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      list_files_into(root, child, out);
    else if (S_ISREG(st.st_mode))
      out.push_back(child);
  }
  ::closedir(dir);
}
}  // namespace

std::vector<std::string> list_files(const std::string& dir) {
  std::vector<std::string> files;
  list_files_into(dir, "", files);
  std::sort(files.begin(), files.end());
  return files;
}

std::string join_path(std::string_view a, std::string_view b) {
  if (a.empty() || a == "." || (!b.empty() && b[0] == '/')) return std::string(b);
  if (b.empty()) return std::string(a);
  std::string out(a);
  if (out.back() != '/') out += '/';
  out += b;
  return out;
}

std::string normalize_path(std::string_view path) {
  bool absolute = !path.empty() && path[0] == '/';
  std::vector<std::string> parts;
  for (auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..") {
      parts.pop_back();
      continue;
    }
    if (part == ".." && absolute) continue;
    parts.push_back(part);
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  if (out.empty()) out = ".";
  return out;
}

std::string dirname(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string absolute_path(const std::string& path) {
  if (!path.empty() && path[0] == '/') return normalize_path(path);
  char buffer[4096];
  if (!::getcwd(buffer, sizeof buffer)) throw Error("cannot determine the current directory");
  return normalize_path(join_path(buffer, path));
}

bool has_glob_chars(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

namespace {
void glob_segments(const std::string& base, const std::vector<std::string>& segments, size_t index,
                   const std::string& prefix, std::vector<std::string>& out) {
  std::string dir_path = prefix.empty() ? base : join_path(base, prefix);
  if (index == segments.size()) {
    struct stat st;
    if (::stat(dir_path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.push_back(prefix);
    return;
  }
  const std::string& segment = segments[index];
  if (!has_glob_chars(segment)) {
    glob_segments(base, segments, index + 1, prefix.empty() ? segment : join_path(prefix, segment), out);
    return;
  }
  DIR* dir = ::opendir(dir_path.empty() ? "." : dir_path.c_str());
  if (!dir) return;
  std::vector<std::pair<std::string, bool>> entries;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    std::string child = prefix.empty() ? name : join_path(prefix, name);
    if (::stat(join_path(base, child).c_str(), &st) != 0) continue;
    entries.emplace_back(name, S_ISDIR(st.st_mode));
  }
  ::closedir(dir);
  for (const auto& [name, is_dir] : entries) {
    std::string child = prefix.empty() ? name : join_path(prefix, name);
    if (segment == "**") {
      // ** matches zero directories (handled by the caller) or this one and recurses
      if (is_dir && name[0] != '.') glob_segments(base, segments, index, child, out);
      continue;
    }
    if (::fnmatch(segment.c_str(), name.c_str(), FNM_PERIOD) == 0)
      glob_segments(base, segments, index + 1, child, out);
  }
  if (segment == "**") glob_segments(base, segments, index + 1, prefix, out);
}
}  // namespace

std::vector<std::string> expand_glob(const std::string& base_dir, const std::string& pattern) {
  std::vector<std::string> segments;
  for (auto& s : split(pattern, '/'))
    if (!s.empty() && s != ".") segments.push_back(s);
  std::vector<std::string> out;
  glob_segments(base_dir, segments, 0, "", out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace luisy::util
