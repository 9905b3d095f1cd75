#include "luisy/graph/sources.h"

#include <dirent.h>
#include <fmt/format.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "luisy/manifest/manifest_error.h"
#include "luisy/util/fs.h"
#include "luisy/util/strings.h"

namespace luisy::graph::detail {

namespace {

std::string_view without_slash(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

// Every directory a glob lists, so a cached plan can notice a file appearing or vanishing:
// the fixed prefix, the directories matched by wildcard segments, all below a '**'.
void scan_glob_dirs(const std::string& base, const std::vector<std::string>& segments, size_t index,
                    const std::string& prefix, std::set<std::string>& out) {
  if (index == segments.size()) return;
  const std::string& segment = segments[index];
  if (!util::has_glob_chars(segment)) {
    scan_glob_dirs(base, segments, index + 1, util::join_path(prefix, segment), out);
    return;
  }
  std::string dir_path = prefix.empty() ? base : util::join_path(base, prefix);
  DIR* dir = ::opendir(dir_path.c_str());
  if (!dir) return;
  out.insert(prefix.empty() ? "." : prefix);
  std::vector<std::string> subdirs;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    std::string child = util::join_path(prefix, name);
    if (::stat(util::join_path(base, child).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (segment == "**" ? name[0] != '.'
                        : ::fnmatch(segment.c_str(), name.c_str(), FNM_PERIOD) == 0)
      subdirs.push_back(child);
  }
  ::closedir(dir);
  for (const auto& child : subdirs)
    scan_glob_dirs(base, segments, segment == "**" ? index : index + 1, child, out);
  if (segment == "**") scan_glob_dirs(base, segments, index + 1, prefix, out);
}

const std::vector<std::string>& expand(const std::string& pattern,
                                       const manifest::Pipeline& pipeline, GlobCache& globs) {
  auto [it, inserted] = globs.matches.try_emplace(pattern);
  if (inserted) {
    it->second = util::expand_glob(pipeline.directory, pattern);
    std::vector<std::string> segments;
    for (auto& s : util::split(pattern, '/'))
      if (!s.empty() && s != ".") segments.push_back(s);
    scan_glob_dirs(pipeline.directory, segments, 0, "", globs.scanned_dirs);
  }
  return it->second;
}

}  // namespace

std::optional<Producer> OutputIndex::find(std::string_view path) const {
  if (auto it = by_path.find(without_slash(path)); it != by_path.end()) return it->second;
  return enclosing_directory(path);
}

bool OutputIndex::checked_as_input(std::string_view path) {
  auto it = by_path.find(without_slash(path));
  if (it == by_path.end()) return false;  // inside a directory output: not memoised
  return std::exchange(it->second.input_checked, true);
}

std::optional<Producer> OutputIndex::enclosing_directory(std::string_view path) const {
  if (directories.empty()) return std::nullopt;
  path = without_slash(path);
  for (size_t slash = path.rfind('/'); slash != std::string_view::npos && slash > 0;
       slash = path.rfind('/', slash - 1)) {
    if (auto it = directories.find(path.substr(0, slash)); it != directories.end())
      return it->second;
  }
  return std::nullopt;
}

OutputIndex index_outputs(const Universe& universe, const TaskTable& table,
                          const manifest::Pipeline& pipeline, WorkspacePaths& paths) {
  OutputIndex index;
  index.by_path.reserve(universe.instances.size() * 2);
  auto fail = [&](InstanceId id, size_t output, const std::string& message) {
    const auto& value = *table.tasks[universe.info[id].task].outputs[output].value;
    throw manifest::ManifestError(pipeline.at(value.where), message, pipeline.source);
  };
  for (InstanceId id = 0; id < universe.instances.size(); ++id) {
    const auto& outputs = universe.instances[id].outputs;
    for (size_t o = 0; o < outputs.size(); ++o) {
      if (std::string problem = paths.problem(outputs[o], true); !problem.empty())
        fail(id, o,
             fmt::format("output '{}' of task {} {}", outputs[o], universe.instances[id].label,
                         problem));
      std::string key(without_slash(outputs[o]));
      auto [it, inserted] = index.by_path.try_emplace(key, Producer{id, static_cast<uint32_t>(o)});
      if (!inserted) {
        const auto& first = universe.instances[it->second.instance];
        fail(id, o,
             it->second.instance == id
                 ? fmt::format("output '{}' of {} is listed twice", outputs[o], first.label)
                 : fmt::format("output '{}' of {} is also an output of {}", outputs[o],
                               universe.instances[id].label, first.label));
      }
      if (outputs[o].back() == '/')
        index.directories.emplace(key, Producer{id, static_cast<uint32_t>(o)});
    }
  }
  // An output inside a directory output: the inner one is reported.
  for (InstanceId id = 0; id < universe.instances.size() && !index.directories.empty(); ++id) {
    const auto& outputs = universe.instances[id].outputs;
    for (size_t o = 0; o < outputs.size(); ++o) {
      if (auto outer = index.enclosing_directory(outputs[o])) {
        const auto& owner = universe.instances[outer->instance];
        fail(id, o,
             fmt::format("output '{}' of {} is inside the directory output '{}' of {}", outputs[o],
                         universe.instances[id].label, owner.outputs[outer->output], owner.label));
      }
    }
  }
  return index;
}

void resolve_sources(InstanceId id, Universe& universe, const TaskTable& table,
                     const manifest::Pipeline& pipeline, OutputIndex& outputs, GlobCache& globs,
                     WorkspacePaths& paths) {
  const InstanceInfo& info = universe.info[id];
  const TaskInfo& task = table.tasks[info.task];
  std::unordered_set<InstanceId> deps(universe.instances[id].deps.begin(),
                                      universe.instances[id].deps.end());
  std::vector<std::string> sources;
  std::vector<InstanceId> added;
  auto depend_on = [&](InstanceId producer) {
    if (deps.insert(producer).second) added.push_back(producer);
  };
  for (const auto& input : task.inputs) {
    std::string path = expand_path(input, info);
    Location where = pipeline.at(input.value->where);
    const std::string& label = universe.instances[id].label;
    auto fail = [&](const std::string& file, const std::string& problem) {
      throw manifest::ManifestError(
          where, fmt::format("input '{}' of task {} {}", file, label, problem), pipeline.source);
    };
    auto check = [&](const std::string& file) {
      if (std::string problem = paths.problem(file, false); !problem.empty()) fail(file, problem);
    };
    if (util::has_glob_chars(path)) {
      check(path);
      size_t before = sources.size();
      for (const auto& match : expand(path, pipeline, globs)) {
        auto producer = outputs.find(match);
        if (producer) {
          if (!outputs.checked_as_input(match)) check(match);
        } else if (auto source = paths.source(match); !source.problem.empty()) {
          fail(match, source.problem);
        }
        if (producer && producer->instance == id) continue;  // what it wrote last time
        if (producer) depend_on(producer->instance);
        sources.push_back(match);
      }
      if (sources.size() == before)
        throw manifest::ManifestError(
            where, fmt::format("input '{}' of task {} matches no file", path, label),
            pipeline.source);
      continue;
    }
    if (auto producer = outputs.find(path)) {
      if (!outputs.checked_as_input(path)) check(path);
      if (producer->instance == id)
        throw manifest::ManifestError(
            where, fmt::format("'{}' is both an input and an output of {}", path, label),
            pipeline.source);
      depend_on(producer->instance);
    } else {
      // Like an output read by several tasks, a source file is looked at once for all its
      // readers; the lstat that looks for a symbolic link also tells whether it exists.
      auto source = paths.source(path);
      if (!source.problem.empty()) fail(path, source.problem);
      if (!source.exists)
        throw manifest::ManifestError(
            where, fmt::format("missing input '{}' of task {}", path, label), pipeline.source);
    }
    sources.push_back(std::move(path));
  }
  Draft& instance = universe.instances[id];
  instance.inputs = std::move(sources);
  instance.deps.insert(instance.deps.end(), added.begin(), added.end());
}

}  // namespace luisy::graph::detail
