#include "luisy/graph/expand.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <span>
#include <unordered_set>

#include "luisy/manifest/manifest_error.h"
#include "luisy/util/fs.h"

namespace luisy::graph::detail {

namespace {

// One matrix combination of an entry, and the entries of the required tasks it reaches.
struct Combo {
  std::vector<const std::string*> own;
  std::vector<uint32_t> dep_entries;  // per requirement
};

// A task reached with one (projected) context.
struct Entry {
  Context context;
  std::vector<Combo> combos;
  uint32_t first = 0, last = 0;  // its instances: EntryIds::ids[first, last)
  std::vector<Param> common;  // params every instance of the entry shares
};

// The instances of every entry, one entry after the other (a vector per entry cost 48 bytes).
struct EntryIds {
  std::vector<InstanceId> ids;
  std::span<const InstanceId> of(const Entry& entry) const {
    return std::span<const InstanceId>(ids).subspan(entry.first, entry.last - entry.first);
  }
};

// Most tasks are reached with one context: the index of contexts is made only for a task
// reached with many (a map per task cost 100 bytes a task, 10 MB at 100,000 tasks).
struct TaskEntries {
  std::unique_ptr<std::unordered_map<std::string, uint32_t>> by_key;
  std::vector<Entry> list;
};

constexpr size_t kLinearEntries = 8;

bool same_context(const Context& a, const Context& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && (!a[i] || !b[i] || *a[i] != *b[i])) return false;
  return true;
}

std::string context_key(const Context& context) {
  std::string key;
  for (const std::string* value : context) {
    if (!value) {
      key += '\0';
      continue;
    }
    key += '\1';
    key += std::to_string(value->size());
    key += ':';
    key += *value;
  }
  return key;
}

uint32_t add_entry(TaskEntries& entries, Context context) {
  auto next = static_cast<uint32_t>(entries.list.size());
  if (!entries.by_key && next < kLinearEntries) {
    for (uint32_t e = 0; e < next; ++e)
      if (same_context(entries.list[e].context, context)) return e;
  } else {
    if (!entries.by_key) {
      entries.by_key = std::make_unique<std::unordered_map<std::string, uint32_t>>();
      for (uint32_t e = 0; e < next; ++e)
        entries.by_key->emplace(context_key(entries.list[e].context), e);
    }
    auto [it, inserted] = entries.by_key->try_emplace(context_key(context), next);
    if (!inserted) return it->second;
  }
  entries.list.emplace_back();
  entries.list.back().context = std::move(context);
  return next;
}

[[noreturn]] void throw_unbound(const TaskInfo& info, size_t own,
                                const manifest::Pipeline& pipeline) {
  std::string message =
      fmt::format("unknown parameter '{{{}}}' in task '{}'", info.own[own], info.spec->name);
  auto search = [&](const Template& t) {
    for (size_t p = 0; p < t.parts().size(); ++p)
      if (t.own(p) == static_cast<int>(own))
        throw manifest::ManifestError(
            location_at(*t.value, static_cast<size_t>(t.parts()[p].column), pipeline), message,
            pipeline.source);
  };
  search(info.cmd);
  for (const auto& t : info.inputs) search(t);
  for (const auto& t : info.outputs) search(t);
  throw manifest::ManifestError(pipeline.at(info.spec->where), message, pipeline.source);
}

// Resolves the task's own parameters for one context and lists the matrix combinations,
// each with the entries it reaches in the required tasks.
void expand_entry(const TaskTable& table, size_t t, Entry& entry, std::vector<TaskEntries>& all,
                  const manifest::Pipeline& pipeline, const Bindings& bindings) {
  const TaskInfo& info = table.tasks[t];
  std::vector<const std::string*> own(info.own.size(), nullptr);
  std::vector<size_t> varying;  // own indices of the axes that are not fixed, in axis order
  for (size_t i = 0; i < info.own.size(); ++i) {
    if (const std::string* value = entry.context[info.own_slots[i].in_ident]) {
      own[i] = value;
      continue;
    }
    if (auto it = bindings.overrides.find(info.own[i]); it != bindings.overrides.end()) {
      own[i] = it->second;
      continue;
    }
    if (info.own_slots[i].axis >= 0) {
      varying.push_back(i);
      continue;
    }
    if (info.own_slots[i].task_default) {
      own[i] = info.own_slots[i].task_default;
      continue;
    }
    if (auto it = bindings.defaults.find(info.own[i]); it != bindings.defaults.end()) {
      own[i] = it->second;
      continue;
    }
    throw_unbound(info, i, pipeline);
  }
  std::sort(varying.begin(), varying.end(),
            [&](size_t a, size_t b) { return info.own_slots[a].axis < info.own_slots[b].axis; });

  const auto& matrix = info.spec->matrix();
  std::vector<size_t> position(varying.size(), 0);
  while (true) {
    Combo combo;
    combo.own = own;
    for (size_t v = 0; v < varying.size(); ++v)
      combo.own[varying[v]] =
          &matrix[static_cast<size_t>(info.own_slots[varying[v]].axis)].values[position[v]].text;
    for (const auto& link : info.requirements) {
      Context context(link.sources.size(), nullptr);
      for (size_t s = 0; s < link.sources.size(); ++s) {
        const Source& source = link.sources[s];
        switch (source.from) {
          case Source::From::kOverride:
            context[s] = source.value;
            break;
          case Source::From::kOwn:
            context[s] = combo.own[source.index];
            break;
          case Source::From::kContext:
            context[s] = entry.context[source.index];
            break;
        }
      }
      combo.dep_entries.push_back(add_entry(all[link.task], std::move(context)));
    }
    entry.combos.push_back(std::move(combo));
    // The last axis varies fastest.
    size_t v = varying.size();
    while (v > 0) {
      --v;
      size_t size = matrix[static_cast<size_t>(info.own_slots[varying[v]].axis)].values.size();
      if (++position[v] < size) break;
      position[v] = 0;
      if (v == 0) return;
    }
    if (varying.empty()) return;
  }
}

std::vector<Param> common_params(const Universe& universe, std::span<const InstanceId> ids) {
  if (ids.empty()) return {};
  std::vector<Param> common = universe.instances[ids[0]].params;
  for (size_t i = 1; i < ids.size() && !common.empty(); ++i) {
    const auto& params = universe.instances[ids[i]].params;
    std::erase_if(common, [&](const Param& p) {
      return std::find(params.begin(), params.end(), p) == params.end();
    });
  }
  return common;
}

InstanceId make_instance(const TaskTable& table, size_t t, const Combo& combo,
                         const std::vector<TaskEntries>& all, const EntryIds& entry_ids,
                         Universe& universe) {
  const TaskInfo& info = table.tasks[t];
  std::vector<Param> params;
  for (size_t i = 0; i < info.own.size(); ++i) params.push_back({info.own[i], *combo.own[i]});
  // What identifies the upstream instances identifies this one too, unless the
  // requirement fixed it, so two instances with different upstreams never merge.
  for (size_t r = 0; r < info.requirements.size(); ++r) {
    const Entry& dep = all[info.requirements[r].task].list[combo.dep_entries[r]];
    for (const auto& param : dep.common)
      if (!std::binary_search(info.requirements[r].override_names.begin(),
                              info.requirements[r].override_names.end(), param.name))
        params.push_back(param);
  }
  std::stable_sort(params.begin(), params.end(),
                   [](const Param& a, const Param& b) { return a.name < b.name; });
  params.erase(std::unique(params.begin(), params.end(),
                           [](const Param& a, const Param& b) { return a.name == b.name; }),
               params.end());

  std::string label = make_label(info.spec->name, params);
  size_t slot = universe.label_slot(label);
  if (universe.by_label[slot] != Universe::kNoInstance) return universe.by_label[slot];
  auto id = static_cast<InstanceId>(universe.instances.size());

  Draft instance;
  instance.params = std::move(params);
  instance.label = std::move(label);
  InstanceInfo extra;
  extra.task = static_cast<uint32_t>(t);
  extra.own = combo.own;
  instance.outputs.reserve(info.outputs.size());
  for (const auto& output : info.outputs) instance.outputs.push_back(expand_path(output, extra));

  std::unordered_set<InstanceId> seen;
  for (size_t r = 0; r < info.requirements.size(); ++r)
    for (InstanceId dep : entry_ids.of(all[info.requirements[r].task].list[combo.dep_entries[r]]))
      if (seen.insert(dep).second) instance.deps.push_back(dep);
  extra.requires_deps = static_cast<uint32_t>(instance.deps.size());

  universe.instances.push_back(std::move(instance));
  universe.by_label[slot] = id;  // no label was looked up since `slot` was found
  universe.info.push_back(std::move(extra));
  Universe::Range& range = universe.by_task[t];
  if (range.begin == range.end) range.begin = id;
  range.end = id + 1;
  return id;
}

// Whether util::normalize_path leaves `path` as it is: relative, and no component empty,
// "." or "..".
bool is_normal_relative(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view part =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace

size_t Universe::label_slot(std::string_view label) const {
  size_t mask = by_label.size() - 1;
  size_t hash = std::hash<std::string_view>{}(label);
  size_t slot = hash & mask;
  while (by_label[slot] != kNoInstance && instances[by_label[slot]].label != label)
    slot = (slot + 1) & mask;
  return slot;
}

InstanceId Universe::find_label(std::string_view label) const {
  return by_label.empty() ? kNoInstance : by_label[label_slot(label)];
}

std::string make_label(std::string_view task, const std::vector<Param>& params) {
  std::string label(task);
  if (params.empty()) return label;
  label += '(';
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) label += ',';
    label += params[i].name;
    label += '=';
    label += params[i].value;
  }
  label += ')';
  return label;
}

std::string expand_path(const Template& path, const InstanceInfo& info) {
  std::string text;
  if (!path.parsed) text = path.value->text;
  auto parts = path.parts();
  for (size_t p = 0; p < parts.size(); ++p)
    text += path.own(p) >= 0 ? *info.own[static_cast<size_t>(path.own(p))] : parts[p].text;
  bool directory = !text.empty() && text.back() == '/';
  // Most paths are normal as written; normalize_path would take them apart and rebuild them.
  if (is_normal_relative(directory ? std::string_view(text).substr(0, text.size() - 1) : text))
    return text;
  std::string normal = util::normalize_path(text);
  if (directory && normal.back() != '/') normal += '/';
  return normal;
}

Universe expand_universe(const TaskTable& table, const manifest::Pipeline& pipeline,
                         const Bindings& bindings, std::vector<RootContext> roots) {
  std::vector<TaskEntries> all(table.tasks.size());
  for (auto& root : roots) add_entry(all[root.task], std::move(root.context));
  std::vector<RootContext>().swap(roots);

  // Contexts flow from dependents to the tasks they require...
  for (auto t = table.order.rbegin(); t != table.order.rend(); ++t)
    for (auto& entry : all[*t].list) expand_entry(table, *t, entry, all, pipeline, bindings);

  // ...and instances are made the other way, so each knows its upstream instances. Every
  // combination makes at most one instance: reserving that many keeps the instance array
  // (a few hundred bytes an instance) from growing by doubling, which for 100,000 tasks left
  // a third of it unused at the peak and needed old and new arrays at once while growing.
  size_t combos = 0;
  for (const auto& entries : all)
    for (const auto& entry : entries.list) combos += entry.combos.size();
  Universe universe;
  universe.by_task.resize(table.tasks.size());
  universe.instances.reserve(combos);
  universe.info.reserve(combos);
  // At most half full, as each combination makes at most one instance: no growth needed.
  size_t slots = 2;
  while (slots < 2 * combos) slots *= 2;
  universe.by_label.assign(slots, Universe::kNoInstance);
  EntryIds entry_ids;
  entry_ids.ids.reserve(combos);
  for (size_t t : table.order) {
    for (auto& entry : all[t].list) {
      entry.first = static_cast<uint32_t>(entry_ids.ids.size());
      std::unordered_set<InstanceId> seen;  // only for a large matrix: most entries make one
      bool hashed = entry.combos.size() > 16;
      for (const auto& combo : entry.combos) {
        InstanceId id = make_instance(table, t, combo, all, entry_ids, universe);
        auto mine = std::span<const InstanceId>(entry_ids.ids).subspan(entry.first);
        bool fresh = hashed ? seen.insert(id).second
                            : std::find(mine.begin(), mine.end(), id) == mine.end();
        if (fresh) entry_ids.ids.push_back(id);
      }
      entry.last = static_cast<uint32_t>(entry_ids.ids.size());
      entry.common = common_params(universe, entry_ids.of(entry));
      entry.combos.clear();
      entry.combos.shrink_to_fit();
    }
  }
  return universe;
}

}  // namespace luisy::graph::detail
