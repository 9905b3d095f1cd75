#pragma once
// The pipeline file as written: plain structs, every value with the place it came from.
// Knows nothing of instances, graphs or hashing.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "luisy/util/location.h"

namespace luisy::manifest {

// A scalar as written in the file (numbers and booleans keep their spelling: `2024`, `true`).
struct Value {
  std::string text;
  Location where;
};

struct NamedValue {
  std::string name;
  Value value;
};

struct Requirement {
  std::string task;
  std::vector<NamedValue> params;  // overrides, in file order
  Location where;
};

struct MatrixAxis {
  std::string name;
  std::vector<Value> values;
  Location where;
};

struct TaskSpec {
  std::string name;
  Location where;  // of the task's name
  Value cmd;
  std::vector<Value> inputs;   // paths or globs, relative to the pipeline file's directory
  std::vector<Value> outputs;  // a path ending in '/' is a directory output
  std::vector<Requirement> requires_;  // `requires` in the file (a C++20 keyword)
  std::vector<NamedValue> params;      // task-level defaults, in file order
  std::vector<MatrixAxis> matrix;      // in file order; instances vary the last axis fastest
  std::vector<Value> env;              // environment variable names that join the key
  std::string description;             // optional `description:`, shown by status and graph
  std::vector<Value> tools;            // executables resolved on PATH whose digests join the key
  bool always = false;                 // `always: true`: reruns on every build
  bool frozen = false;                 // `frozen: true`: never reruns, its outputs must exist
  bool cache = true;                   // `cache: false`: never stored in or taken from a cache
};

struct Pipeline {
  std::string path;       // as given on the command line
  std::string directory;  // absolute directory of the pipeline file: the workspace
  int version = 1;
  std::string project;
  Location project_where;
  std::string remote;  // optional `remote:` URL (never credentials)
  Location remote_where;
  // `allow_outside_workspace: true`: inputs and outputs may be absolute, use '..' or go
  // through symbolic links that leave the workspace (never shared through a remote).
  bool allow_outside_workspace = false;
  std::vector<NamedValue> params;  // pipeline-wide defaults
  std::vector<Value> tools;        // pipeline-wide `tools:`, added to every task's
  // `confirm_after:` seconds a deleted output's last run must have taken before a build on a
  // terminal asks first; -1: never ask; nullopt: not given (the default applies).
  std::optional<int64_t> confirm_after;
  std::vector<TaskSpec> tasks;     // in file order
  std::string source;              // the file's text, for error excerpts

  const TaskSpec* find_task(std::string_view name) const;
};

}  // namespace luisy::manifest
