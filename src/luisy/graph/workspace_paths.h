#pragma once
// Private to graph/: whether an input or output path, after substitution and normalisation,
// stays inside the workspace. The loader already refused absolute paths and '..' in the
// templates; this sees what parameter values make of them ({dir} = "../x") and what the
// file system makes of them (a symbolic link that leads out).
#include <string>
#include <string_view>
#include <unordered_map>

namespace luisy::graph::detail {

class WorkspacePaths {
 public:
  // `allow_outside`: the pipeline opted in (`allow_outside_workspace: true`); then only the
  // workspace itself and its .luisy/ are refused as outputs.
  WorkspacePaths(const std::string& workspace, bool allow_outside);

  // Empty when `path` (workspace-relative, normalised; a trailing '/' for a directory) may
  // be used; else why not, as the end of a sentence starting "input 'x' of task T ...".
  std::string problem(const std::string& path, bool is_output);

  // For an input no task writes: problem(), and whether the file exists as stat(2) on it
  // would say. The lstat that looks for a symbolic link mostly answers that too, and the
  // answer is memoised: thousands of tasks read the same few source files.
  struct SourceCheck {
    std::string problem;
    bool exists = false;
  };
  SourceCheck source(const std::string& path);

 private:
  // The real path of the workspace-relative directory `dir` ("" is the workspace), through
  // its deepest existing ancestor; memoised, since thousands of paths share a few folders.
  const std::string& real_dir(const std::string& dir);
  // problem(); *exists (when asked) becomes 1 or 0 when the lstat of an input showed whether
  // stat(2) would find it, else -1.
  std::string check(const std::string& path, bool is_output, int* exists);
  bool inside(std::string_view real) const;

  std::string workspace_;
  std::string root_;  // realpath of the workspace
  bool allow_outside_;
  std::unordered_map<std::string, std::string> real_dirs_;
  std::unordered_map<std::string, bool> sources_;  // source() answers without a problem
};

}  // namespace luisy::graph::detail
