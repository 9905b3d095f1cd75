#pragma once
// Private to graph/: phase two of build_graph. Knows every output of the pipeline, checks
// that no two instances write one path, and resolves declared inputs: globs, files on disk,
// or outputs of other instances (which become edges, Snakemake-style).
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "luisy/graph/expand.h"
#include "luisy/graph/workspace_paths.h"

namespace luisy::graph::detail {

struct Producer {
  InstanceId instance = 0;
  uint32_t output = 0;         // index into the instance's outputs
  bool input_checked = false;  // found fine as an input (WorkspacePaths::problem) once
};

// Looks a std::string key up by string_view, without making a string of it.
struct PathHash {
  using is_transparent = void;
  size_t operator()(std::string_view path) const { return std::hash<std::string_view>{}(path); }
};
using PathMap = std::unordered_map<std::string, Producer, PathHash, std::equal_to<>>;

// Outputs keyed by path without a trailing '/'.
struct OutputIndex {
  PathMap by_path;
  PathMap directories;  // directory outputs only

  // The instance writing `path`, or the directory output that contains it.
  std::optional<Producer> find(std::string_view path) const;
  // The directory output strictly above `path`, if any.
  std::optional<Producer> enclosing_directory(std::string_view path) const;
  // Whether the output `path` was already checked as an input; notes that it now is. An
  // output read by several tasks is looked at once.
  bool checked_as_input(std::string_view path);
};

// Throws manifest::ManifestError, at the later output, when two instances write one path
// or one writes inside another's directory output, and at the output when it leaves the
// workspace (see WorkspacePaths).
OutputIndex index_outputs(const Universe& universe, const TaskTable& table,
                          const manifest::Pipeline& pipeline, WorkspacePaths& paths);

struct GlobCache {
  std::unordered_map<std::string, std::vector<std::string>> matches;
  std::set<std::string> scanned_dirs;  // relative to the workspace, "." for itself
};

// Fills instance.inputs with its sources and appends the edges its inputs imply to instance.deps.
// Throws for missing inputs, globs that match nothing, an input that is its own output, an
// input (or a file a glob matched) outside the workspace.
void resolve_sources(InstanceId id, Universe& universe, const TaskTable& table,
                     const manifest::Pipeline& pipeline, OutputIndex& outputs, GlobCache& globs,
                     WorkspacePaths& paths);

}  // namespace luisy::graph::detail
