#pragma once
// The plan: the pipeline expanded into a graph for one set of parameters and targets.
// Compiled once and kept in .luisy/plan, so an unchanged pipeline file is not parsed again.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "luisy/graph/graph.h"

namespace luisy::state {
class WorkspaceLock;
}

namespace luisy::engine {

struct Workspace {
  std::string pipeline_path;  // as the user gave it (for messages)
  std::string directory;      // absolute: where commands run and paths are relative to
  std::string state_dir;      // <directory>/.luisy
};

// A name from `tools:` and the file it stands for now: looked up on PATH (a name with a '/'
// is a path relative to the workspace), symlinks followed. `path` is empty when not found.
struct ResolvedTool {
  std::string name;
  std::string path;
};

struct Plan {
  Workspace workspace;
  std::string project;
  std::string remote;  // the pipeline's `remote:` entry, if any
  // The pipeline's `confirm_after:` in seconds (-1: never ask); nullopt when not given.
  std::optional<int64_t> confirm_after;
  graph::Graph graph;
  // Every tool the graph names, resolved when the plan is loaded (never kept in the compiled
  // plan: PATH and the files on it may change between builds). Sorted by name.
  std::vector<ResolvedTool> tools;
  bool from_cache = false;  // true when the compiled plan was reused without parsing
};

struct PlanRequest {
  std::string pipeline_path;  // FILE, default ./pipeline.yaml (after -C)
  graph::GraphOptions options;
  bool all_tasks = false;  // every task, not only what nothing requires (validate)
};

// Creates .luisy/ and takes the workspace lock, waiting (with a message on stderr) while
// another luisy holds it.
std::unique_ptr<state::WorkspaceLock> lock_workspace(const Workspace& workspace);

// Loads the pipeline and builds the graph, reusing .luisy/plan when the pipeline text, the
// options and the directories that fed globs are unchanged. Throws ManifestError/Error
// (exit status 2) for a bad pipeline.
Plan load_plan(const PlanRequest& request);

// The resolved tool of that name, or null when the graph does not name it.
const ResolvedTool* find_tool(const Plan& plan, const std::string& name);

// Seconds of the last run above which deleting an output asks first on a terminal:
// $LUISY_CONFIRM_AFTER, else the pipeline's `confirm_after:`, else 10 minutes; -1: never.
// Throws UsageError for a malformed $LUISY_CONFIRM_AFTER.
int64_t confirm_threshold(const Plan& plan);

}  // namespace luisy::engine
