#include "luisy/engine/plan.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "luisy/graph/serialize.h"
#include "luisy/hash/parallel_digest.h"
#include "luisy/manifest/loader.h"
#include "luisy/manifest/pipeline.h"
#include "luisy/manifest/validate.h"
#include "luisy/state/plan_store.h"
#include "luisy/state/workspace_lock.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::engine {

namespace {

// The pipeline file's digest, read in blocks (hash::digest_file_at): at 100,000 tasks the
// file is 29 MB, which need not be in memory (it would set the no-op's peak) when the
// compiled plan is reused. nullopt when the file does not exist.
std::optional<util::Digest> pipeline_digest(const std::string& path) {
  return hash::digest_file_at(AT_FDCWD, path.c_str(), hash::kUnknownSize, "");
}

// Everything the graph depends on besides the directories globs listed.
util::Digest plan_key(const util::Digest& text_digest, const PlanRequest& request) {
  util::Hasher hasher;
  auto add = [&](std::string_view s) {
    uint64_t size = s.size();
    hasher.update(&size, sizeof size);
    hasher.update(s);
  };
  add("luisy-plan 3");  // 3: the graph's string table after its body
  // A new luisy binary may expand pipelines differently: its identity joins the key.
  if (auto self = util::stat_path("/proc/self/exe")) add(fmt::format("{}:{}", self->size, self->mtime_ns));
  hasher.update(&text_digest, sizeof text_digest);
  for (const auto& p : request.options.param_overrides) {
    add(p.name);
    add(p.value);
  }
  add("targets");
  for (const auto& t : request.options.targets) add(t);
  add(request.all_tasks ? "all" : "roots");
  return hasher.finish();
}

void put_string(std::string& out, std::string_view s) {
  uint32_t size = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&size), sizeof size);
  out.append(s);
}

bool get_string(std::string_view& in, std::string& s) {
  uint32_t size;
  if (in.size() < sizeof size) return false;
  std::memcpy(&size, in.data(), sizeof size);
  in.remove_prefix(sizeof size);
  if (in.size() < size) return false;
  s.assign(in.substr(0, size));
  in.remove_prefix(size);
  return true;
}

int64_t dir_mtime(const std::string& directory, const std::string& dir) {
  auto st = util::stat_path(util::join_path(directory, dir));
  return st ? st->mtime_ns : -1;
}

// Plan bytes: project, remote, confirm_after, the globbed directories with their mtimes,
// then the graph.
std::string encode(const Plan& plan) {
  std::string out;
  put_string(out, plan.project);
  put_string(out, plan.remote);
  put_string(out, plan.confirm_after ? std::to_string(*plan.confirm_after) : std::string());
  std::string dirs;
  for (const auto& dir : plan.graph.globbed_dirs)
    dirs += fmt::format("{}\n{}\n", dir, dir_mtime(plan.workspace.directory, dir));
  put_string(out, dirs);
  graph::serialize_graph(plan.graph, out);
  return out;
}

bool decode(std::string_view bytes, Plan& plan) {
  std::string dirs, confirm_after;
  if (!get_string(bytes, plan.project) || !get_string(bytes, plan.remote) ||
      !get_string(bytes, confirm_after) || !get_string(bytes, dirs))
    return false;
  if (!confirm_after.empty()) {
    auto seconds = manifest::parse_duration(confirm_after);
    if (!seconds) return false;
    plan.confirm_after = *seconds;
  }
  // A glob's directory that changed since the plan was made may match other files now.
  std::string_view rest = dirs;
  while (!rest.empty()) {
    size_t a = rest.find('\n');
    if (a == std::string_view::npos) return false;
    size_t b = rest.find('\n', a + 1);
    if (b == std::string_view::npos) return false;
    std::string dir(rest.substr(0, a));
    std::string mtime(rest.substr(a + 1, b - a - 1));
    if (std::to_string(dir_mtime(plan.workspace.directory, dir)) != mtime) return false;
    rest.remove_prefix(b + 1);
  }
  auto graph = graph::deserialize_graph(bytes);
  if (!graph) return false;
  // A deleted source must be reported as a planning error with its location: let the
  // full parse find it. (A missing output is no planning error: its task runs.)
  for (const auto& source : graph->source_files)
    if (!util::exists(util::join_path(plan.workspace.directory, source))) return false;
  plan.graph = std::move(*graph);
  return true;
}

bool is_executable_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The file `name` runs, as the shell would find it; empty when there is none.
std::string resolve_tool(const std::string& name, const std::string& workspace_dir) {
  std::string found;
  if (name.find('/') != std::string::npos) {
    std::string path = util::join_path(workspace_dir, name);
    if (is_executable_file(path)) found = path;
  } else {
    const char* env = std::getenv("PATH");
    std::string_view rest = env ? env : "/usr/local/bin:/usr/bin:/bin";
    while (found.empty()) {
      size_t colon = rest.find(':');
      std::string_view dir = rest.substr(0, colon);
      // An empty PATH entry means the current directory: commands run in the workspace.
      std::string candidate = util::join_path(dir.empty() ? workspace_dir : std::string(dir), name);
      if (is_executable_file(candidate)) found = candidate;
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  if (found.empty()) return found;
  // Upgrading an interpreter usually swaps what a symlink points to: digest the real file.
  char real[PATH_MAX];
  if (::realpath(found.c_str(), real)) return real;
  return util::absolute_path(found);
}

void resolve_tools(Plan& plan) {
  std::vector<std::string> names;
  for (const auto& instance : plan.graph.instances)
    names.insert(names.end(), instance.tools.begin(), instance.tools.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  plan.tools.clear();
  for (auto& name : names) {
    std::string path = resolve_tool(name, plan.workspace.directory);
    plan.tools.push_back({std::move(name), std::move(path)});
  }
}

}  // namespace

const ResolvedTool* find_tool(const Plan& plan, const std::string& name) {
  auto it = std::lower_bound(plan.tools.begin(), plan.tools.end(), name,
                             [](const ResolvedTool& tool, const std::string& n) { return tool.name < n; });
  return it != plan.tools.end() && it->name == name ? &*it : nullptr;
}

int64_t confirm_threshold(const Plan& plan) {
  constexpr int64_t kDefaultSeconds = 10 * 60;
  if (const char* env = std::getenv("LUISY_CONFIRM_AFTER"); env && *env) {
    auto seconds = manifest::parse_duration(env);
    if (!seconds)
      throw UsageError(fmt::format("LUISY_CONFIRM_AFTER must be a duration such as 90s, 10m or 2h, "
                                   "or 'never', not '{}'",
                                   env));
    return *seconds;
  }
  return plan.confirm_after.value_or(kDefaultSeconds);
}

std::unique_ptr<state::WorkspaceLock> lock_workspace(const Workspace& workspace) {
  util::make_dirs(workspace.state_dir);
  return std::make_unique<state::WorkspaceLock>(workspace.state_dir, true, [](long pid) {
    fmt::print(stderr, "luisy: waiting for another luisy (pid {}) building in this workspace...\n", pid);
    std::fflush(stderr);
  });
}

Plan load_plan(const PlanRequest& request) {
  auto digest = pipeline_digest(request.pipeline_path);
  if (!digest) throw Error(fmt::format("cannot open pipeline file {}: No such file or directory", request.pipeline_path));

  Plan plan;
  plan.workspace.pipeline_path = request.pipeline_path;
  plan.workspace.directory = util::dirname(util::absolute_path(request.pipeline_path));
  plan.workspace.state_dir = util::join_path(plan.workspace.directory, ".luisy");

  util::Digest key = plan_key(*digest, request);
  if (auto mapped = state::map_plan(plan.workspace.state_dir, key)) {
    if (decode(mapped->bytes, plan)) {
      plan.from_cache = true;
      resolve_tools(plan);
      return plan;
    }
  }

  auto text = util::read_file_if_exists(request.pipeline_path);
  if (!text) throw Error(fmt::format("cannot open pipeline file {}: No such file or directory", request.pipeline_path));
  // What is parsed is what the plan is saved under, even if the file changed meanwhile.
  key = plan_key(util::digest_of(*text), request);
  // The pipeline goes into the graph build, which frees its values as soon as it has read
  // them: at 100,000 tasks they are a third of the peak, which the plan's bytes below
  // should not add to either.
  auto plan_from = [&](manifest::Pipeline& pipeline) {
    pipeline.directory = plan.workspace.directory;
    graph::GraphOptions options = request.options;
    options.all_tasks = request.all_tasks && options.targets.empty();
    plan.project = pipeline.project;
    plan.remote = pipeline.remote;
    plan.confirm_after = pipeline.confirm_after;
    plan.graph = graph::build_graph(std::move(pipeline), options);
  };
  // libyaml reads the file first; any problem, in the file or in the graph, is planned again
  // from yaml-cpp's reading, whose messages and places are the ones users and tests know.
  bool planned = false;
  if (auto pipeline = manifest::parse_pipeline_libyaml(*text, request.pipeline_path)) {
    // The text only serves the excerpts of error messages, and those come from the second
    // reading: the file is read again for it, so its 11 MB (100,000 tasks) are not held
    // under the graph build, where memory peaks.
    text.reset();
    std::string().swap(pipeline->source);
    try {
      plan_from(*pipeline);
      planned = true;
    } catch (const Error&) {
    }
  }
  if (!planned && !text) {
    text = util::read_file_if_exists(request.pipeline_path);
    if (!text)
      throw Error(fmt::format("cannot open pipeline file {}: No such file or directory",
                              request.pipeline_path));
    key = plan_key(util::digest_of(*text), request);
  }
  if (!planned) {
    manifest::Pipeline pipeline =
        manifest::parse_pipeline_yaml_cpp(std::move(*text), request.pipeline_path);
    text.reset();
    plan_from(pipeline);
  }
  text.reset();
  resolve_tools(plan);

  // The plan is an optimisation: failing to save it must not fail the command.
  try {
    util::make_dirs(plan.workspace.state_dir);
    state::save_plan(plan.workspace.state_dir, key, encode(plan));
  } catch (const Error&) {
  }
  return plan;
}

}  // namespace luisy::engine
