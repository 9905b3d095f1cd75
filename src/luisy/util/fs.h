#pragma once
// Small file-system helpers. Paths are plain strings; errors are util::Error with the path.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace luisy::util {

struct FileStat {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint32_t mode = 0;  // st_mode
  bool is_directory = false;
  bool operator==(const FileStat&) const = default;
};

// Follows symlinks. nullopt when the path does not exist (or is a dangling link).
std::optional<FileStat> stat_path(const std::string& path);
// The same for `path` relative to the open directory `dir_fd` (a shorter path walk than
// from the root, for the thousands of stats of a build).
std::optional<FileStat> stat_at(int dir_fd, const char* path);
bool exists(const std::string& path);

// A whole file mapped read-only: loading state files this way skips a copy and most of
// the page faults of reading megabytes into the heap. Move-only.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
  // nullopt when the file does not exist; throws Error on other errors.
  static std::optional<MappedFile> open_if_exists(const std::string& path);
  std::string_view view() const { return {data_, size_}; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
};

// Throws Error naming the path when it cannot be read.
std::string read_file(const std::string& path);
// nullopt when the file does not exist; throws on other errors.
std::optional<std::string> read_file_if_exists(const std::string& path);

// Writes through a temporary file in the same directory, fsyncs, then renames, so readers
// see the old or the new content, never a mix. `Durability::kCache` skips the fsync: for
// files that are checked when read (a checksum) or are only a report, where losing the new
// content in an OS crash costs some recomputation, never a wrong answer; a kill -9 still
// leaves the old or the new content.
enum class Durability { kDurable, kCache };
void write_file_atomic(const std::string& path, std::string_view content,
                       Durability durability = Durability::kDurable);

// Creates the directory and its parents (mkdir -p). Throws on failure.
void make_dirs(const std::string& path);
// Creates the parent directories of a file path.
void make_parent_dirs(const std::string& path);

// Removes a file, a symlink or a whole directory tree. Missing paths are fine.
// Throws Error when something exists and cannot be removed.
void remove_all(const std::string& path);

// Every regular file below dir, as paths relative to dir, sorted.
std::vector<std::string> list_files(const std::string& dir);

// Joins two paths ("a" + "b" -> "a/b"); an absolute b wins.
std::string join_path(std::string_view a, std::string_view b);
// Lexically normalised: removes "." and "x/.." parts and duplicate slashes.
std::string normalize_path(std::string_view path);
std::string dirname(std::string_view path);
std::string absolute_path(const std::string& path);

// Expands a glob relative to base_dir: *, ?, [...] within one path segment and ** for any
// number of directories. Returns matching regular files relative to base_dir, sorted.
std::vector<std::string> expand_glob(const std::string& base_dir, const std::string& pattern);
bool has_glob_chars(std::string_view pattern);

}  // namespace luisy::util
