// luisy graph: the task instances and their edges as Graphviz dot or Mermaid text, each node
// coloured by its state; svg and png are rendered by Graphviz's `dot` when it is installed.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "luisy/cache/result_cache.h"
#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/engine/build.h"
#include "luisy/engine/remote_setup.h"
#include "luisy/status/build_recorder.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"
#include "luisy/util/strings.h"

extern char** environ;

namespace luisy::cli {

namespace {

enum class NodeState { kUpToDate, kWillRun, kInRemote, kFailedLast };

struct StateStyle {
  const char* name;   // Mermaid class name and dot legend node
  const char* label;  // shown in the legend
  const char* fill;
  const char* stroke;
};

constexpr StateStyle kStyles[] = {
    {"uptodate", "up to date", "#c8e6c9", "#2e7d32"},
    {"willrun", "will run", "#ffe0b2", "#ef6c00"},
    {"inremote", "in the remote cache", "#bbdefb", "#1565c0"},
    {"failedlast", "failed last time", "#ffcdd2", "#c62828"},
};

const StateStyle& style(NodeState state) {
  return kStyles[static_cast<int>(state)];
}

std::string dot_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string mermaid_escape(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '"' ? std::string("#quot;") : std::string(1, c);
  return out;
}

bool remote_configured(const engine::Plan& plan, const engine::CacheOptions& options) {
  auto set = [](const char* name) { return std::getenv(name) && *std::getenv(name); };
  return !engine::configured_remote_url(plan, options).empty() || set("LUISY_AZURE_ACCOUNT_NAME") ||
         set("AZURE_STORAGE_CONNECTION_STRING");
}

// The remote to look keys up in: the one named by --remote, else the configured one (whose
// failure is only a warning: the graph is then drawn without the remote state); null when
// no remote is configured.
std::unique_ptr<cache::ResultCache> open_remote(const CommandLine& line, const engine::Plan& plan) {
  engine::CacheOptions options;
  options.remote_url = line.remote_url;
  if (!remote_configured(plan, options)) return nullptr;
  try {
    return engine::open_cache(plan, options, true);
  } catch (const Error& e) {
    if (!line.remote_url.empty()) throw;  // asked for by name: its failure is the answer
    fmt::print(stderr, "luisy: warning: {}; the graph does not show what the remote holds\n",
               e.what());
    return nullptr;
  }
}

// Up to date wins; then a result the remote holds (a build with --download fetches it; its
// dependents are judged with the digests of the remote's record); then a failure of the last
// build; else it will run.
std::vector<NodeState> node_states(const engine::Plan& plan,
                                   const std::vector<engine::InstanceReport>& reports) {
  std::vector<NodeState> states(reports.size(), NodeState::kWillRun);
  std::vector<std::string> failed = status::failed_in_last_build(plan.workspace.state_dir);
  std::set<std::string> failed_labels(failed.begin(), failed.end());
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& report = reports[i];
    if (report.up_to_date)
      states[i] = NodeState::kUpToDate;
    else if (report.in_remote)
      states[i] = NodeState::kInRemote;
    else if (failed_labels.count(plan.graph.instances[report.id].label))
      states[i] = NodeState::kFailedLast;
  }
  return states;
}

std::vector<NodeState> legend_states(bool remote_checked) {
  std::vector<NodeState> states = {NodeState::kUpToDate, NodeState::kWillRun};
  if (remote_checked) states.push_back(NodeState::kInRemote);
  states.push_back(NodeState::kFailedLast);
  return states;
}

std::string dot_text(const engine::Plan& plan, const std::vector<NodeState>& states,
                     bool remote_checked) {
  const auto& instances = plan.graph.instances;
  std::string out =
      "digraph luisy {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", "
      "fontname=\"Helvetica\"];\n";
  for (graph::InstanceId id = 0; id < instances.size(); ++id) {
    const StateStyle& s = style(states[id]);
    out += fmt::format("  n{} [label=\"{}\", fillcolor=\"{}\", color=\"{}\", tooltip=\"{}\"];\n",
                       id, dot_escape(instances[id].label), s.fill, s.stroke, s.label);
  }
  for (graph::InstanceId id = 0; id < instances.size(); ++id)
    for (graph::InstanceId dep : instances[id].deps) out += fmt::format("  n{} -> n{};\n", dep, id);
  // The legend: one node per state, stacked, in a dashed box of its own.
  out +=
      "  subgraph cluster_legend {\n    label=\"legend\";\n    style=dashed;\n    "
      "fontname=\"Helvetica\";\n";
  std::vector<NodeState> legend = legend_states(remote_checked);
  for (NodeState state : legend) {
    const StateStyle& s = style(state);
    out += fmt::format("    legend_{} [label=\"{}\", fillcolor=\"{}\", color=\"{}\"];\n", s.name,
                       s.label, s.fill, s.stroke);
  }
  for (size_t i = 1; i < legend.size(); ++i)
    out += fmt::format("    legend_{} -> legend_{} [style=invis];\n", style(legend[i - 1]).name,
                       style(legend[i]).name);
  out += "  }\n}\n";
  return out;
}

std::string mermaid_text(const engine::Plan& plan, const std::vector<NodeState>& states,
                         bool remote_checked) {
  const auto& instances = plan.graph.instances;
  std::string out = "flowchart LR\n";
  for (graph::InstanceId id = 0; id < instances.size(); ++id)
    out += fmt::format("  n{}[\"{}\"]:::{}\n", id, mermaid_escape(instances[id].label),
                       style(states[id]).name);
  for (graph::InstanceId id = 0; id < instances.size(); ++id)
    for (graph::InstanceId dep : instances[id].deps) out += fmt::format("  n{} --> n{}\n", dep, id);
  out += "  subgraph legend [\"legend\"]\n";
  for (NodeState state : legend_states(remote_checked))
    out += fmt::format("    legend_{}[\"{}\"]:::{}\n", style(state).name, style(state).label,
                       style(state).name);
  out += "  end\n";
  for (const StateStyle& s : kStyles)
    out += fmt::format("  classDef {} fill:{},stroke:{};\n", s.name, s.fill, s.stroke);
  return out;
}

// The absolute path of `name` on $PATH, or "" when it is not there.
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (const auto& dir : util::split(path ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = util::join_path(dir.empty() ? "." : dir, name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Renders `dot_source` with `dot -T<format>` to `output` (stdout when empty), atomically.
void render(const std::string& dot, const std::string& dot_source, const std::string& format,
            const std::string& output) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string source_path =
      util::join_path(tmpdir && *tmpdir ? tmpdir : "/tmp", "luisy-graph.XXXXXX");
  int fd = ::mkstemp(source_path.data());
  if (fd < 0) throw Error(fmt::format("cannot create a temporary file: {}", std::strerror(errno)));
  ::close(fd);
  util::write_file_atomic(source_path, dot_source);
  std::string target = output.empty() ? "" : fmt::format("{}.tmp.{}", output, ::getpid());
  std::vector<std::string> args = {"dot", "-T" + format, source_path};
  if (!target.empty()) args.insert(args.end(), {"-o", target});
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid;
  int spawn_error = ::posix_spawn(&pid, dot.c_str(), nullptr, nullptr, argv.data(), environ);
  int status = 0;
  if (spawn_error == 0)
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  ::unlink(source_path.c_str());
  bool ok = spawn_error == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok) {
    if (!target.empty()) ::unlink(target.c_str());
    throw Error(spawn_error ? fmt::format("cannot run {}: {}", dot, std::strerror(spawn_error))
                            : fmt::format("{} -T{} failed (see its message above)", dot, format));
  }
  if (!target.empty() && ::rename(target.c_str(), output.c_str()) != 0) {
    int error = errno;
    ::unlink(target.c_str());
    throw Error(fmt::format("cannot write {}: {}", output, std::strerror(error)));
  }
}

}  // namespace

int command_graph(const CommandLine& line) {
  std::string format = line.format.empty() ? "dot" : line.format;
  if (format != "dot" && format != "mermaid" && format != "svg" && format != "png")
    throw UsageError(
        fmt::format("unknown graph format '{}' (use dot, mermaid, svg or png)", format));
  std::string dot;
  if (format == "svg" || format == "png") {
    dot = find_program("dot");
    if (dot.empty())
      throw Error(
          fmt::format("--format {} needs Graphviz's `dot`, which is not installed (Debian: apt-get "
                      "install graphviz); "
                      "`--format dot` prints the graph as text for rendering elsewhere",
                      format));
  }
  engine::Plan plan = engine::load_plan(plan_request(line));
  plan.graph.compute_dependents();
  std::unique_ptr<cache::ResultCache> remote = open_remote(line, plan);
  engine::RemoteLookup lookup;
  if (remote)
    lookup = [&](const util::Digest& key) -> std::optional<cache::ResultRecord> {
      // Only what the remote holds: a result only in the local store is not "in the remote".
      // Without a local record, the lookup itself asks the remote (one request, not two).
      bool local = util::exists(remote->local().record_path(key));
      if (local && !remote->remote_has(key).value_or(false)) return std::nullopt;
      return remote->lookup(key, true);
    };
  std::vector<engine::InstanceReport> reports = engine::inspect(plan, lookup);
  bool remote_checked = remote != nullptr;
  std::vector<NodeState> states = node_states(plan, reports);

  if (!dot.empty()) {
    render(dot, dot_text(plan, states, remote_checked), format, line.output_path);
    return kExitOk;
  }
  std::string text = format == "dot" ? dot_text(plan, states, remote_checked)
                                     : mermaid_text(plan, states, remote_checked);
  if (line.output_path.empty())
    fmt::print("{}", text);
  else
    util::write_file_atomic(line.output_path, text);
  return kExitOk;
}

}  // namespace luisy::cli
