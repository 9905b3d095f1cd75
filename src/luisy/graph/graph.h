#pragma once
// Task instances and the edges between them: the pipeline expanded for one set of
// parameters and targets. Knows nothing of hashing, state or processes.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "luisy/util/location.h"

namespace luisy::manifest {
struct Pipeline;
}

namespace luisy::graph {

using InstanceId = uint32_t;

struct Param {
  std::string name;
  std::string value;
  bool operator==(const Param&) const = default;
};

// One node: a task plus the values of the parameters it uses, e.g. `Clean(year=2024)`.
// All paths are relative to the workspace (the pipeline file's directory), normalised.
struct TaskInstance {
  std::string task;               // the task's name
  std::vector<Param> params;      // the parameters that identify it, sorted by name
  std::string label;              // "Clean(year=2024)" or "Clean"
  std::string command;            // after substitution
  // Declared inputs after glob expansion, in order. Only while the graph is built: they
  // become the start of `inputs`, and a built or loaded graph leaves this empty
  // (Graph::source_files is what planning needs).
  std::vector<std::string> sources;
  std::vector<InstanceId> deps;      // upstream instances, in `requires` order
  std::vector<std::string> inputs;   // sources, then the outputs of deps in order ({in})
  std::vector<std::string> outputs;  // a path ending in '/' is a directory
  std::vector<std::string> env;      // variable names that join the key, sorted
  std::vector<std::string> tools;    // the task's and the pipeline's `tools`, sorted, unique
  Place where;                       // the task's definition, in Graph::pipeline_file
  std::string description;
  bool always = false;  // reruns on every build
  bool frozen = false;  // never reruns; its outputs must exist
  bool cache = true;    // false: never stored in, restored from or uploaded to a cache
};

struct Graph {
  std::vector<TaskInstance> instances;  // topologically ordered: deps before dependents
  std::string pipeline_file;            // as given on the command line; the instances' file
  // "file:line:col" of an instance's task, for messages.
  Location where(const TaskInstance& instance) const {
    return Location{pipeline_file, instance.where.line, instance.where.column};
  }
  std::vector<InstanceId> targets;      // what the build was asked for
  std::vector<std::string> globbed_dirs;  // directories whose listing fed a glob (for plan reuse)
  // Every declared input that no instance writes, sorted, each once: the files whose absence
  // makes a compiled plan unusable (the full parse reports it with its location).
  std::vector<std::string> source_files;

  // Instances that depend on each instance (reverse edges), built by compute_dependents: those
  // of instance i are dependent_ids[dependent_start[i] .. dependent_start[i + 1]). Two flat
  // arrays rather than a vector per instance: one allocation instead of one per instance.
  std::vector<uint32_t> dependent_start;
  std::vector<InstanceId> dependent_ids;
  std::span<const InstanceId> dependents(InstanceId id) const {
    return {dependent_ids.data() + dependent_start[id], dependent_start[id + 1] - dependent_start[id]};
  }
  bool has_dependents() const { return dependent_start.size() == instances.size() + 1; }
  void compute_dependents();
  // From the instances' sources and outputs (for a graph made by hand: build_graph fills
  // source_files as it moves each instance's sources into its inputs).
  void compute_source_files();
};

struct GraphOptions {
  std::vector<Param> param_overrides;  // --param K=V
  std::vector<std::string> targets;    // task names or labels; empty: every task nothing requires
  // With no targets: every task is one, as if each were named (validate, graph --all),
  // without a list of 100,000 names.
  bool all_tasks = false;
};

// Expands the pipeline into instances and edges. Throws manifest::ManifestError (exit 2)
// with file:line:column for: unknown placeholders or parameters, unknown tasks in requires,
// cycles (the message lists the cycle), two instances writing one path, missing source
// inputs or globs that match nothing, an output that is also a source input, unknown targets.
// The instance list holds only what the targets need. The pipeline is taken (move it in):
// its values are freed before the instances are made, where memory would peak.
Graph build_graph(manifest::Pipeline pipeline, const GraphOptions& options);

}  // namespace luisy::graph
