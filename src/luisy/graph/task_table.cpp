#include "luisy/graph/task_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "luisy/manifest/manifest_error.h"

namespace luisy::graph::detail {

using manifest::ManifestError;

Location location_at(const manifest::Value& value, size_t offset,
                     const manifest::Pipeline& pipeline) {
  Location where = pipeline.at(value.where);
  std::string_view source = pipeline.source;
  if (where.line <= 0 || where.column <= 0 || value.text.find('\n') != std::string::npos)
    return where;
  size_t start = 0;
  for (int line = 1; line < where.line; ++line) {
    start = source.find('\n', start);
    if (start == std::string_view::npos) return where;
    ++start;
  }
  size_t column = start + static_cast<size_t>(where.column - 1);
  // A quoted or folded scalar's text differs from the source: keep the value's column.
  if (source.substr(column, value.text.size()) != value.text) return where;
  where.column += static_cast<int>(offset);
  return where;
}

std::string closest_name(std::string_view name, const std::vector<std::string_view>& known) {
  std::string_view best;
  // Short names differ by one edit at most, or every short name would look alike.
  size_t best_distance = (name.size() < 4 ? 1 : std::max<size_t>(2, name.size() / 3)) + 1;
  std::vector<size_t> row;
  for (std::string_view candidate : known) {
    // Levenshtein distance, one row at a time.
    row.resize(candidate.size() + 1);
    for (size_t j = 0; j <= candidate.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= name.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= candidate.size(); ++j) {
        size_t above = row[j];
        size_t cost = name[i - 1] == candidate[j - 1] ? 0 : 1;
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
        diagonal = above;
      }
    }
    if (row[candidate.size()] < best_distance) {
      best_distance = row[candidate.size()];
      best = candidate;
    }
  }
  return std::string(best);
}

namespace {

Template parse(const manifest::Value& value, bool is_path, const manifest::Pipeline& pipeline,
               TaskTable& table) {
  Template out;
  out.value = &value;
  if (value.text.find_first_of("{}") == std::string::npos) return out;  // one literal
  auto [it, inserted] = table.parsed_by_text.try_emplace(value.text, nullptr);
  if (inserted) {
    size_t offset = 0;
    try {
      it->second = &table.parsed.emplace_back(parse_template(value.text, &offset));
    } catch (const std::invalid_argument& error) {
      table.parsed_by_text.erase(it);
      throw ManifestError(location_at(value, offset, pipeline), error.what(), pipeline.source);
    }
  }
  out.parsed = it->second;
  if (is_path) {
    for (const auto& part : out.parts())
      if (part.kind == Placeholder::Kind::kInputs || part.kind == Placeholder::Kind::kOutputs)
        throw ManifestError(location_at(value, static_cast<size_t>(part.column), pipeline),
                            "only parameters ({name}) can be used in inputs and outputs; {in} and "
                            "{out} belong in cmd",
                            pipeline.source);
  }
  return out;
}

size_t index_of(const std::vector<std::string>& sorted, std::string_view name) {
  return static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), name) - sorted.begin());
}
bool contains(const std::vector<std::string>& sorted, std::string_view name) {
  size_t i = index_of(sorted, name);
  return i < sorted.size() && sorted[i] == name;
}

void sort_unique(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

void analyze_own(TaskInfo& info, const manifest::Pipeline& pipeline, TaskTable& table) {
  const manifest::TaskSpec& spec = *info.spec;
  info.cmd = parse(spec.cmd, false, pipeline, table);
  info.inputs.reserve(spec.inputs.size());
  for (const auto& value : spec.inputs) info.inputs.push_back(parse(value, true, pipeline, table));
  info.outputs.reserve(spec.outputs.size());
  for (const auto& value : spec.outputs)
    info.outputs.push_back(parse(value, true, pipeline, table));

  auto add_template = [&](const Template& t) {
    for (const auto& part : t.parts())
      if (part.kind == Placeholder::Kind::kParam) info.own.push_back(part.text);
  };
  add_template(info.cmd);
  for (const auto& t : info.inputs) add_template(t);
  for (const auto& t : info.outputs) add_template(t);
  for (const auto& param : spec.params()) info.own.push_back(param.name);
  for (const auto& axis : spec.matrix()) info.own.push_back(axis.name);
  sort_unique(info.own);

  info.own_slots.assign(info.own.size(), TaskInfo::OwnSlot{});
  for (const auto& param : spec.params()) {
    size_t i = index_of(info.own, param.name);
    info.own_slots[i].task_default = &param.value.text;  // the last one written wins
  }
  for (size_t a = 0; a < spec.matrix().size(); ++a) {
    const auto& axis = spec.matrix()[a];
    if (axis.values.empty())
      throw ManifestError(pipeline.at(axis.where),
                          fmt::format("matrix axis '{}' has no values", axis.name),
                          pipeline.source);
    size_t i = index_of(info.own, axis.name);
    info.own_slots[i].axis = static_cast<int32_t>(a);
  }

  auto index_parts = [&](Template& t) {
    auto parts = t.parts();
    for (size_t p = 0; p < parts.size(); ++p) {
      if (parts[p].kind != Placeholder::Kind::kParam) continue;
      if (!t.own_index) {
        t.own_index = std::make_unique<int[]>(parts.size());
        std::fill_n(t.own_index.get(), parts.size(), -1);
      }
      t.own_index[p] = static_cast<int>(index_of(info.own, parts[p].text));
    }
  };
  index_parts(info.cmd);
  for (auto& t : info.inputs) index_parts(t);
  for (auto& t : info.outputs) index_parts(t);
}

// Depth-first over `requires`, without recursion (pipelines can be long chains).
// Throws at the requirement that closes a cycle.
std::vector<size_t> order_tasks(const TaskTable& table, const manifest::Pipeline& pipeline) {
  enum : char { kNew, kOnStack, kDone };
  std::vector<char> state(table.tasks.size(), kNew);
  std::vector<size_t> order;
  order.reserve(table.tasks.size());
  std::vector<std::pair<size_t, size_t>> stack;  // task, next requirement
  for (size_t root = 0; root < table.tasks.size(); ++root) {
    if (state[root] != kNew) continue;
    stack.emplace_back(root, 0);
    state[root] = kOnStack;
    while (!stack.empty()) {
      auto& [task, next] = stack.back();
      const auto& requirements = table.tasks[task].requirements;
      if (next == requirements.size()) {
        state[task] = kDone;
        order.push_back(task);
        stack.pop_back();
        continue;
      }
      const RequirementInfo& requirement = requirements[next++];
      size_t required = requirement.task;
      if (state[required] == kOnStack) {
        std::string cycle;
        bool in_cycle = false;
        for (const auto& frame : stack) {
          in_cycle = in_cycle || frame.first == required;
          if (in_cycle) cycle += table.tasks[frame.first].spec->name + " -> ";
        }
        cycle += table.tasks[required].spec->name;
        throw ManifestError(pipeline.at(requirement.spec->where), "dependency cycle: " + cycle,
                            pipeline.source);
      }
      if (state[required] == kNew) {
        state[required] = kOnStack;
        stack.emplace_back(required, 0);
      }
    }
  }
  return order;
}

void link_requirements(TaskTable& table, const manifest::Pipeline& pipeline) {
  for (auto& info : table.tasks) {
    for (const auto& requirement : info.spec->requires_) {
      size_t required = table.find(requirement.task);
      if (required == table.tasks.size()) {
        std::string message =
            fmt::format("unknown task '{}' in requires of '{}'", requirement.task, info.spec->name);
        std::vector<std::string_view> names;
        for (const auto& task : table.tasks) names.push_back(task.spec->name);
        std::string suggestion = closest_name(requirement.task, names);
        if (!suggestion.empty()) message += fmt::format(" (did you mean '{}'?)", suggestion);
        throw ManifestError(pipeline.at(requirement.where), message, pipeline.source);
      }
      RequirementInfo link;
      link.task = required;
      link.spec = &requirement;
      for (const auto& param : requirement.params) link.override_names.push_back(param.name);
      sort_unique(link.override_names);
      info.requirements.push_back(std::move(link));
      table.tasks[required].required = true;
    }
  }
}

// In dependency order: a task reads its own parameters plus whatever its required tasks
// read that the requirement does not fix.
void compute_ident(TaskTable& table, const manifest::Pipeline& pipeline) {
  for (size_t t : table.order) {
    TaskInfo& info = table.tasks[t];
    info.ident = info.own;
    for (const auto& link : info.requirements) {
      const TaskInfo& required = table.tasks[link.task];
      for (const auto& param : link.spec->params) {
        if (contains(required.ident, param.name)) continue;
        Location where =
            pipeline.at(param.value.where.line > 0 ? param.value.where : link.spec->where);
        throw ManifestError(
            where,
            fmt::format("task '{}' has no parameter '{}' (it is not used in its cmd, inputs "
                        "or outputs, nor in its params, matrix or requirements)",
                        required.spec->name, param.name),
            pipeline.source);
      }
      for (const auto& name : required.ident)
        if (!contains(link.override_names, name)) info.ident.push_back(name);
    }
    sort_unique(info.ident);
    for (size_t i = 0; i < info.own.size(); ++i)
      info.own_slots[i].in_ident = static_cast<uint32_t>(index_of(info.ident, info.own[i]));

    for (auto& link : info.requirements) {
      const TaskInfo& required = table.tasks[link.task];
      for (const auto& name : required.ident) {
        Source source;
        if (contains(link.override_names, name)) {
          source.from = Source::From::kOverride;
          for (const auto& param : link.spec->params)
            if (param.name == name) source.value = &param.value.text;
        } else if (size_t i = index_of(info.own, name);
                   i < info.own.size() && info.own[i] == name && info.own_forwarded(i)) {
          source.from = Source::From::kOwn;
          source.index = i;
        } else {
          source.from = Source::From::kContext;
          source.index = index_of(info.ident, name);
        }
        link.sources.push_back(source);
      }
    }
  }
}

}  // namespace

size_t TaskTable::find(std::string_view name) const {
  auto it = std::lower_bound(by_name.begin(), by_name.end(), name,
                             [](const auto& entry, std::string_view n) { return entry.first < n; });
  return it != by_name.end() && it->first == name ? it->second : tasks.size();
}

TaskTable analyze_tasks(const manifest::Pipeline& pipeline) {
  TaskTable table;
  table.tasks.resize(pipeline.tasks.size());
  table.by_name.reserve(pipeline.tasks.size());
  for (size_t t = 0; t < pipeline.tasks.size(); ++t) {
    table.tasks[t].spec = &pipeline.tasks[t];
    table.by_name.emplace_back(pipeline.tasks[t].name, t);
  }
  std::stable_sort(table.by_name.begin(), table.by_name.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& info : table.tasks) analyze_own(info, pipeline, table);
  link_requirements(table, pipeline);
  table.order = order_tasks(table, pipeline);
  compute_ident(table, pipeline);
  return table;
}

}  // namespace luisy::graph::detail
