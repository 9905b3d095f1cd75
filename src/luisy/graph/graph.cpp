#include "luisy/graph/graph.h"

#include <fmt/format.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <deque>
#include <memory>
#include <unordered_set>

#include "luisy/graph/expand.h"
#include "luisy/graph/sources.h"
#include "luisy/graph/task_table.h"
#include "luisy/manifest/manifest_error.h"
#include "luisy/util/error.h"
#include "luisy/util/strings.h"

namespace luisy::graph {

using namespace detail;

void Graph::compute_dependents() {
  // Count, then place: each instance's dependents come out in increasing id order.
  dependent_start.assign(instances.size() + 1, 0);
  for (const auto& instance : instances)
    for (InstanceId dep : instance.deps)
      if (dep < instances.size()) ++dependent_start[dep + 1];
  for (size_t i = 0; i < instances.size(); ++i) dependent_start[i + 1] += dependent_start[i];
  dependent_ids.resize(dependent_start.back());
  std::vector<uint32_t> next(dependent_start.begin(), dependent_start.end() - 1);
  for (InstanceId id = 0; id < instances.size(); ++id)
    for (InstanceId dep : instances[id].deps)
      if (dep < instances.size()) dependent_ids[next[dep]++] = id;
}

void Graph::compute_source_files() {
  // A source that a task writes is an output of one of the instance's deps (the graph adds
  // that edge), so a look at those suffices.
  std::unordered_set<std::string_view> seen;
  source_files.clear();
  for (const auto& instance : instances) {
    for (const auto& source : instance.sources) {
      bool produced = false;
      for (InstanceId dep : instance.deps) {
        const auto& outputs = instances[dep].outputs;
        if (std::find(outputs.begin(), outputs.end(), source) != outputs.end()) produced = true;
      }
      if (!produced && seen.insert(source).second) source_files.push_back(source);
    }
  }
  std::sort(source_files.begin(), source_files.end());
}

namespace {

// A target as the user wrote it: a task name, or a label naming one instance.
struct Target {
  size_t task = 0;
  bool whole_task = true;
  std::string label;  // canonical (parameters sorted) when !whole_task
  std::string text;
};

[[noreturn]] void unknown_target(const std::string& text,
                                 const std::vector<std::string_view>& known) {
  std::string message = fmt::format("unknown target '{}'", text);
  std::string suggestion = closest_name(text, known);
  if (!suggestion.empty()) message += fmt::format(" (did you mean '{}'?)", suggestion);
  throw UsageError(message);
}

template <typename T>
void release(T& x) {
  T().swap(x);
}

// Parses targets; a label target also becomes a root, so that an instance no task
// requires (Clean(year=2025) with year defaulting to 2024) can still be asked for.
std::vector<Target> parse_targets(const GraphOptions& options, const TaskTable& table,
                                  std::deque<std::string>& storage,
                                  std::vector<RootContext>& roots) {
  std::vector<std::string_view> names;  // for "did you mean"
  if (!options.targets.empty())
    for (const auto& info : table.tasks) names.push_back(info.spec->name);
  std::vector<Target> targets;
  for (const auto& text : options.targets) {
    Target target;
    target.text = text;
    size_t paren = text.find('(');
    std::string name = text.substr(0, paren);
    target.task = table.find(name);
    if (target.task == table.tasks.size()) unknown_target(text, names);
    if (paren != std::string::npos) {
      if (text.back() != ')') unknown_target(text, names);
      const TaskInfo& info = table.tasks[target.task];
      RootContext root{target.task, Context(info.ident.size(), nullptr)};
      std::vector<Param> params;
      std::string inner = text.substr(paren + 1, text.size() - paren - 2);
      for (const auto& pair :
           inner.empty() ? std::vector<std::string>{} : util::split(inner, ',')) {
        size_t eq = pair.find('=');
        if (eq == std::string::npos) unknown_target(text, names);
        params.push_back({pair.substr(0, eq), pair.substr(eq + 1)});
        auto slot = std::lower_bound(info.ident.begin(), info.ident.end(), params.back().name);
        if (slot == info.ident.end() || *slot != params.back().name)
          throw UsageError(fmt::format("unknown target '{}': task '{}' has no parameter '{}'", text,
                                       name, params.back().name));
        root.context[static_cast<size_t>(slot - info.ident.begin())] =
            &storage.emplace_back(params.back().value);
      }
      std::sort(params.begin(), params.end(),
                [](const Param& a, const Param& b) { return a.name < b.name; });
      target.whole_task = false;
      target.label = make_label(name, params);
      roots.push_back(std::move(root));
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

Bindings make_bindings(const manifest::Pipeline& pipeline, const GraphOptions& options,
                       const TaskTable& table) {
  Bindings bindings;
  for (const auto& param : pipeline.params) bindings.defaults[param.name] = &param.value.text;
  for (const auto& param : options.param_overrides) {
    bool known = bindings.defaults.count(param.name) > 0;
    for (const auto& info : table.tasks)
      known = known || std::binary_search(info.own.begin(), info.own.end(), param.name);
    if (!known) throw UsageError(fmt::format("unknown parameter '{}' (--param)", param.name));
    bindings.overrides[param.name] = &param.value;  // the last one given wins
  }
  return bindings;
}

// Deps before dependents, only what the targets reach; edges found from inputs can close
// a cycle that the task-level check could not see.
std::vector<InstanceId> order_instances(const Universe& universe, const TaskTable& table,
                                        const std::vector<InstanceId>& targets,
                                        const manifest::Pipeline& pipeline) {
  enum : char { kNew, kOnStack, kDone };
  std::vector<char> state(universe.instances.size(), kNew);
  std::vector<InstanceId> order;
  std::vector<std::pair<InstanceId, size_t>> stack;
  for (InstanceId root : targets) {
    if (state[root] != kNew) continue;
    stack.emplace_back(root, 0);
    state[root] = kOnStack;
    while (!stack.empty()) {
      auto& [id, next] = stack.back();
      const auto& deps = universe.instances[id].deps;
      if (next == deps.size()) {
        state[id] = kDone;
        order.push_back(id);
        stack.pop_back();
        continue;
      }
      InstanceId dep = deps[next++];
      if (state[dep] == kOnStack) {
        std::string cycle;
        bool in_cycle = false;
        for (const auto& frame : stack) {
          in_cycle = in_cycle || frame.first == dep;
          if (in_cycle) cycle += universe.instances[frame.first].label + " -> ";
        }
        cycle += universe.instances[dep].label;
        throw manifest::ManifestError(pipeline.at(table.tasks[universe.info[id].task].spec->where),
                                      "dependency cycle: " + cycle, pipeline.source);
      }
      if (state[dep] == kNew) {
        state[dep] = kOnStack;
        stack.emplace_back(dep, 0);
      }
    }
  }
  return order;
}

// What the instances of a task share, kept while the TaskInstances are made, after the
// TaskSpecs (168 bytes each, 16.8 MB at 100,000 tasks) are gone; the name is the label's.
struct TaskShared {
  manifest::Place where;
  bool always = false;
  bool frozen = false;
  bool cache = true;
  std::unique_ptr<manifest::TaskExtras> extras;  // description, env, tools
};

// The texts of `a` and `b`, sorted, each once. Made for each instance rather than kept per
// task: nearly always empty, and two vectors in each of 100,000 TaskInfos were 4.8 MB.
std::vector<std::string> sorted_names(const std::vector<manifest::Value>* a,
                                      const std::vector<manifest::Value>* b = nullptr) {
  std::vector<std::string> names;
  for (const auto* list : {a, b})
    if (list)
      for (const auto& value : *list) names.push_back(value.text);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string without_slash(const std::string& path) {
  return path.size() > 1 && path.back() == '/' ? path.substr(0, path.size() - 1) : path;
}

// Adds the instance's sources (its inputs so far) that no instance writes to `files`: the
// files whose absence makes a compiled plan unusable. A source that a task writes is an
// output of one of the instance's deps (resolve_sources adds that edge), so a look at those
// suffices.
void note_source_files(const Universe& universe, InstanceId id,
                       std::unordered_set<std::string>& files) {
  const Draft& instance = universe.instances[id];
  for (const auto& source : instance.inputs) {
    bool produced = false;
    for (InstanceId dep : instance.deps) {
      const auto& outputs = universe.instances[dep].outputs;
      if (std::find(outputs.begin(), outputs.end(), source) != outputs.end()) produced = true;
    }
    if (!produced && !files.contains(source)) files.insert(source);
  }
}

// {in}: sources, then the outputs of the `requires` deps, each path once, added to the
// sources in place (a second list would cost a vector per instance).
void collect_inputs(Universe& universe, InstanceId id) {
  Draft& instance = universe.instances[id];
  size_t requires_deps = universe.info[id].requires_deps;
  if (requires_deps == 0) return;
  std::unordered_set<std::string> seen(instance.inputs.begin(), instance.inputs.end());
  for (size_t d = 0; d < requires_deps; ++d)
    for (const auto& path : universe.instances[instance.deps[d]].outputs)
      if (seen.insert(path).second) instance.inputs.push_back(path);
}

std::string substitute_command(const Draft& instance, const InstanceInfo& info,
                               const TaskInfo& task, const manifest::Pipeline& pipeline) {
  if (!task.cmd.parsed) return task.cmd.value->text;
  std::string command;
  auto parts = task.cmd.parts();
  for (size_t p = 0; p < parts.size(); ++p) {
    const Placeholder& part = parts[p];
    if (part.kind == Placeholder::Kind::kLiteral) {
      command += part.text;
      continue;
    }
    if (part.kind == Placeholder::Kind::kParam) {
      // Quoted like paths, so a --param value can never inject shell syntax; plain words
      // (numbers, names) stay as they are.
      command += util::shell_quote(*info.own[static_cast<size_t>(task.cmd.own(p))]);
      continue;
    }
    bool is_in = part.kind == Placeholder::Kind::kInputs;
    const auto& paths = is_in ? instance.inputs : instance.outputs;
    if (part.index < 0) {
      for (size_t i = 0; i < paths.size(); ++i) {
        if (i) command += ' ';
        command += util::shell_quote(without_slash(paths[i]));
      }
      continue;
    }
    if (static_cast<size_t>(part.index) >= paths.size())
      throw manifest::ManifestError(
          location_at(*task.cmd.value, static_cast<size_t>(part.column), pipeline),
          fmt::format("'{{{}[{}]}}' is out of range: {} has {} {}{}", is_in ? "in" : "out",
                      part.index, instance.label, paths.size(), is_in ? "input" : "output",
                      paths.size() == 1 ? "" : "s"),
          pipeline.source);
    command += util::shell_quote(without_slash(paths[static_cast<size_t>(part.index)]));
  }
  return command;
}

}  // namespace

Graph build_graph(manifest::Pipeline pipeline, const GraphOptions& options) {
  TaskTable table = analyze_tasks(pipeline);
  Bindings bindings = make_bindings(pipeline, options, table);

  std::deque<std::string> storage;  // values parsed from label targets
  std::vector<RootContext> roots;
  std::vector<Target> targets = parse_targets(options, table, storage, roots);
  for (size_t t = 0; t < table.tasks.size(); ++t)
    if (!table.tasks[t].required)
      roots.push_back({t, Context(table.tasks[t].ident.size(), nullptr)});
  release(table.by_name);  // names were looked up by the requirements and the targets

  // Every instance the pipeline defines, so that an input can find its producer anywhere.
  Universe universe = expand_universe(table, pipeline, bindings, std::move(roots));
  // The labels index only serves label targets (and keeps its 7 MB at 100,000 tasks out of
  // the output index's way).
  if (std::all_of(targets.begin(), targets.end(), [](const Target& t) { return t.whole_task; }))
    release(universe.by_label);
  WorkspacePaths paths(pipeline.directory, pipeline.allow_outside_workspace);
  OutputIndex outputs = index_outputs(universe, table, pipeline, paths);

  std::vector<InstanceId> wanted;
  for (const auto& target : targets) {
    if (target.whole_task) {
      for (InstanceId id = universe.by_task[target.task].begin;
           id < universe.by_task[target.task].end; ++id)
        wanted.push_back(id);
      continue;
    }
    InstanceId found = universe.find_label(target.label);
    if (found == Universe::kNoInstance) {
      std::vector<std::string_view> labels;
      for (InstanceId id = universe.by_task[target.task].begin;
           id < universe.by_task[target.task].end; ++id)
        labels.push_back(universe.instances[id].label);
      unknown_target(target.text, labels);
    }
    wanted.push_back(found);
  }
  if (targets.empty())
    for (size_t t = 0; t < table.tasks.size(); ++t)
      if (options.all_tasks || !table.tasks[t].required)
        for (InstanceId id = universe.by_task[t].begin; id < universe.by_task[t].end; ++id)
          wanted.push_back(id);

  // What only the targets needed goes before the graph grows: memory at 100,000 tasks peaks
  // when the last command is made.
  release(universe.by_label);
  release(universe.by_task);

  // Resolve inputs of what the targets need; edges found on the way widen the need.
  GlobCache globs;
  std::vector<char> needed(universe.instances.size(), 0);
  std::vector<InstanceId> work;
  for (InstanceId id : wanted)
    if (!needed[id]++) work.push_back(id);
  while (!work.empty()) {
    InstanceId id = work.back();
    work.pop_back();
    resolve_sources(id, universe, table, pipeline, outputs, globs, paths);
    for (InstanceId dep : universe.instances[id].deps)
      if (!needed[dep]++) work.push_back(dep);
  }

  // From here on a task's command template is all the table is read for.
  release(outputs.by_path);
  release(outputs.directories);
  release(globs.matches);
  for (TaskInfo& info : table.tasks) {
    release(info.inputs);
    release(info.outputs);
  }
  std::vector<InstanceId> order = order_instances(universe, table, wanted, pipeline);
  std::unordered_set<std::string> source_files;
  for (InstanceId id : order) {
    Draft& instance = universe.instances[id];
    note_source_files(universe, id, source_files);
    collect_inputs(universe, id);
    instance.command = substitute_command(instance, universe.info[id],
                                          table.tasks[universe.info[id].task], pipeline);
  }

  // Nothing below reads a template or names a place in the file: the table and the values
  // of the pipeline's tasks go before the TaskInstances are made, so that the three are
  // never alive together (at 100,000 tasks each is tens of megabytes).
  table = TaskTable();
  release(pipeline.source);
  std::vector<TaskShared> shared;
  shared.reserve(pipeline.tasks.size());
  for (manifest::TaskSpec& spec : pipeline.tasks)
    shared.push_back({spec.where, spec.always, spec.frozen, spec.cache, std::move(spec.extras.p)});
  release(pipeline.tasks);
#if defined(__GLIBC__)
  // What was just freed is hundreds of thousands of small blocks between live ones: glibc
  // keeps such pages, so the TaskInstances (new pages) would add to them. Handed back, the
  // peak RSS at 100,000 tasks was 3 MB lower when this was added (116 -> 113 MB).
  ::malloc_trim(0);
#endif

  // Renumber in topological order; instances no target needs are dropped. Each draft gives
  // its strings to its TaskInstance; what a task's instances share comes from `shared`.
  std::vector<InstanceId> new_id(universe.instances.size(), UINT32_MAX);
  for (size_t i = 0; i < order.size(); ++i) new_id[order[i]] = static_cast<InstanceId>(i);
  Graph graph;
  graph.pipeline_file = pipeline.path;
  graph.instances.reserve(order.size());
  for (InstanceId id : order) {
    Draft& draft = universe.instances[id];
    const TaskShared& task = shared[universe.info[id].task];
    TaskInstance& instance = graph.instances.emplace_back();
    instance.task = draft.label.substr(0, draft.label.find('('));
    instance.params = std::move(draft.params);
    instance.label = std::move(draft.label);
    // Exactly sized, as a graph read from the plan is: grown by appending, they held up to
    // twice their size for the whole build.
    instance.command = std::move(draft.command);
    instance.command.shrink_to_fit();
    instance.deps = std::move(draft.deps);
    instance.deps.shrink_to_fit();
    for (InstanceId& dep : instance.deps) dep = new_id[dep];
    instance.inputs = std::move(draft.inputs);
    instance.inputs.shrink_to_fit();
    instance.outputs = std::move(draft.outputs);
    if (task.extras) {
      instance.env = sorted_names(&task.extras->env);
      instance.description = task.extras->description;
    }
    instance.tools = sorted_names(task.extras ? &task.extras->tools : nullptr, &pipeline.tools);
    instance.where = task.where;
    instance.always = task.always;
    instance.frozen = task.frozen;
    instance.cache = task.cache;
  }
  release(universe.instances);
  release(universe.info);
  std::unordered_set<InstanceId> seen;
  for (InstanceId id : wanted)
    if (seen.insert(new_id[id]).second) graph.targets.push_back(new_id[id]);
  graph.globbed_dirs.assign(globs.scanned_dirs.begin(), globs.scanned_dirs.end());
  graph.source_files.assign(source_files.begin(), source_files.end());
  std::sort(graph.source_files.begin(), graph.source_files.end());
  graph.compute_dependents();
  return graph;
}

}  // namespace luisy::graph
