#include "luisy/graph/workspace_paths.h"

#include <fmt/format.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "luisy/util/fs.h"

namespace luisy::graph::detail {

namespace {

constexpr std::string_view kOptIn =
    "; set 'allow_outside_workspace: true' at the top of the pipeline to allow it";

std::string real_path(const std::string& path) {
  char buffer[PATH_MAX];
  if (!::realpath(path.c_str(), buffer)) return {};
  return buffer;
}

std::string_view without_slash(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

}  // namespace

WorkspacePaths::WorkspacePaths(const std::string& workspace, bool allow_outside)
    : workspace_(workspace), allow_outside_(allow_outside) {
  root_ = real_path(workspace);
  if (root_.empty()) root_ = workspace;
}

bool WorkspacePaths::inside(std::string_view real) const {
  if (root_ == "/") return true;
  return real == root_ || (real.starts_with(root_) && real[root_.size()] == '/');
}

const std::string& WorkspacePaths::real_dir(const std::string& dir) {
  auto it = real_dirs_.find(dir);
  if (it != real_dirs_.end()) return it->second;
  std::string real;
  if (dir.empty() || dir == ".") {
    real = root_;
  } else {
    real = real_path(util::join_path(workspace_, dir));
    if (real.empty()) {
      // Missing: where it would be created is decided by its parent.
      size_t slash = dir.rfind('/');
      std::string parent = slash == std::string::npos ? "" : dir.substr(0, slash);
      std::string name = slash == std::string::npos ? dir : dir.substr(slash + 1);
      real = util::join_path(real_dir(parent), name);
    }
  }
  return real_dirs_.emplace(dir, std::move(real)).first->second;
}

std::string WorkspacePaths::problem(const std::string& path, bool is_output) {
  return check(path, is_output, nullptr);
}

WorkspacePaths::SourceCheck WorkspacePaths::source(const std::string& path) {
  if (auto it = sources_.find(path); it != sources_.end()) return {{}, it->second};
  int state = -1;
  SourceCheck result;
  result.problem = check(path, false, &state);
  if (!result.problem.empty()) return result;
  result.exists =
      state >= 0 ? state == 1 : util::stat_path(util::join_path(workspace_, path)).has_value();
  sources_.emplace(path, result.exists);
  return result;
}

std::string WorkspacePaths::check(const std::string& path, bool is_output, int* exists) {
  if (exists) *exists = -1;
  if (path.find('\0') != std::string::npos) return "contains a NUL character";
  std::string_view plain = without_slash(path);
  if (is_output && (plain == "." || plain.empty()))
    return "is the workspace itself; an output must be a file or folder inside it";
  if (is_output && (plain == ".luisy" || plain.starts_with(".luisy/")))
    return "is inside .luisy/, where luisy keeps its state";
  if (allow_outside_) return {};
  if (plain.front() == '/') return fmt::format("is absolute, outside the workspace{}", kOptIn);
  if (plain == ".." || plain.starts_with("../"))
    return fmt::format("leaves the workspace through '..'{}", kOptIn);

  // Symbolic links: the folder the path is in, and for an existing input the file itself (an
  // output that is a link is removed before its task runs, never written through).
  size_t slash = plain.rfind('/');
  std::string dir = slash == std::string_view::npos ? "" : std::string(plain.substr(0, slash));
  const std::string& real = real_dir(dir);
  if (!inside(real))
    return fmt::format("goes through a symbolic link to '{}', outside the workspace{}", real,
                       kOptIn);
  if (!is_output) {
    std::string full = util::join_path(workspace_, plain);
    struct stat st;
    bool found = ::lstat(full.c_str(), &st) == 0;
    if (found && S_ISLNK(st.st_mode)) {
      std::string target = real_path(full);
      if (!target.empty() && !inside(target))
        return fmt::format("is a symbolic link to '{}', outside the workspace{}", target, kOptIn);
    } else if (exists) {
      // Where lstat fails, stat fails too; a file that is no link stats the same, except
      // that "name/" needs a directory.
      *exists = found && (!path.ends_with('/') || S_ISDIR(st.st_mode)) ? 1 : 0;
    }
  }
  return {};
}

}  // namespace luisy::graph::detail
