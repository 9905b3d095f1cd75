#pragma once
// `luisy explain`: what a task instance's key is made of now, and what changed since the
// key it was last built with.
#include <optional>
#include <string>
#include <vector>

#include "luisy/engine/plan.h"
#include "luisy/hash/task_key.h"

namespace luisy::engine {

struct Explanation {
  graph::InstanceId id = 0;
  bool evaluated = false;         // false: an upstream has never been built, key unknown
  hash::KeyPreimage preimage;     // now (upstream digests as last recorded)
  util::Digest key;
  bool has_record = false;
  util::Digest recorded_key;
  std::vector<std::string> changes;  // hash::describe_changes(recorded, now)
  std::string state;                 // "up to date" or the reason it would run
};

// One explanation per instance of the plan matching `selector` (a task name or a label).
std::vector<Explanation> explain(Plan& plan, const std::string& selector);

// True when the instance is selected by a task name or its exact label.
bool selects(const graph::TaskInstance& instance, const std::string& selector);

}  // namespace luisy::engine
