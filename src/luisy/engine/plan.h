#pragma once
// The plan: the pipeline expanded into a graph for one set of parameters and targets.
// Compiled once and kept in .luisy/plan, so an unchanged pipeline file is not parsed again.
#include <memory>
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

struct Plan {
  Workspace workspace;
  std::string project;
  std::string remote;  // the pipeline's `remote:` entry, if any
  graph::Graph graph;
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

}  // namespace luisy::engine
