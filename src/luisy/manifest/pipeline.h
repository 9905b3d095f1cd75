#pragma once
// The pipeline file as written: plain structs, every value with the place it came from.
// Knows nothing of instances, graphs or hashing.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "luisy/util/location.h"

namespace luisy::manifest {

// Where something sits in the pipeline file (util/location.h): the file's name is kept once,
// in Pipeline::path, and Pipeline::at makes the Location. A Location in each of the half
// million values of a 100,000-task pipeline cost 16 MB at the peak of planning.
using luisy::Place;

// A scalar as written in the file (numbers and booleans keep their spelling: `2024`, `true`).
struct Value {
  std::string text;
  Place where;
};

struct NamedValue {
  std::string name;
  Value value;
};

struct Requirement {
  std::string task;
  std::vector<NamedValue> params;  // overrides, in file order
  Place where;
};

struct MatrixAxis {
  std::string name;
  std::vector<Value> values;
  Place where;
};

// What few tasks have, kept out of TaskSpec: a TaskSpec exists per task, and these were 128
// bytes of empty vectors and string in each (13 MB at 100,000 tasks).
struct TaskExtras {
  std::vector<NamedValue> params;  // task-level defaults, in file order
  std::vector<MatrixAxis> matrix;  // in file order; instances vary the last axis fastest
  std::vector<Value> env;          // environment variable names that join the key
  std::string description;         // optional `description:`, shown by status and graph
  std::vector<Value> tools;        // executables resolved on PATH whose digests join the key
};

// A TaskExtras made on first write and copied with its task.
struct TaskExtrasBox {
  std::unique_ptr<TaskExtras> p;
  TaskExtrasBox() = default;
  TaskExtrasBox(const TaskExtrasBox& o) : p(o.p ? std::make_unique<TaskExtras>(*o.p) : nullptr) {}
  TaskExtrasBox& operator=(const TaskExtrasBox& o) {
    if (this != &o) p = o.p ? std::make_unique<TaskExtras>(*o.p) : nullptr;
    return *this;
  }
  TaskExtrasBox(TaskExtrasBox&&) noexcept = default;
  TaskExtrasBox& operator=(TaskExtrasBox&&) noexcept = default;
};

struct TaskSpec {
  std::string name;
  Place where;  // of the task's name
  Value cmd;
  std::vector<Value> inputs;   // paths or globs, relative to the pipeline file's directory
  std::vector<Value> outputs;  // a path ending in '/' is a directory output
  std::vector<Requirement> requires_;  // `requires` in the file (a C++20 keyword)
  TaskExtrasBox extras;                // read through the accessors below
  bool always = false;                 // `always: true`: reruns on every build
  bool frozen = false;                 // `frozen: true`: never reruns, its outputs must exist
  bool cache = true;                   // `cache: false`: never stored in or taken from a cache

  // Reading gives an empty value when the file had none; the non-const overloads make the
  // record, so read through a const TaskSpec.
  const std::vector<NamedValue>& params() const { return read().params; }
  const std::vector<MatrixAxis>& matrix() const { return read().matrix; }
  const std::vector<Value>& env() const { return read().env; }
  const std::string& description() const { return read().description; }
  const std::vector<Value>& tools() const { return read().tools; }
  std::vector<NamedValue>& params() { return write().params; }
  std::vector<MatrixAxis>& matrix() { return write().matrix; }
  std::vector<Value>& env() { return write().env; }
  std::string& description() { return write().description; }
  std::vector<Value>& tools() { return write().tools; }

 private:
  const TaskExtras& read() const;
  TaskExtras& write();
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
  // `place` in this pipeline's file, for messages.
  Location at(Place place) const { return Location{path, place.line, place.column}; }
};

}  // namespace luisy::manifest
