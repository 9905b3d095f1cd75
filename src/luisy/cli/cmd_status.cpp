#include <fmt/format.h>

#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/cache/result_cache.h"
#include "luisy/engine/build.h"
#include "luisy/engine/remote_setup.h"
#include "luisy/util/error.h"
#include "luisy/util/strings.h"

namespace luisy::cli {

namespace {

// Per instance: "yes", "no", "unknown" (key not known yet, or the request failed), or "" (not asked).
std::vector<std::string> remote_presence(const CommandLine& line, const engine::Plan& plan,
                                         const std::vector<engine::InstanceReport>& reports) {
  std::vector<std::string> presence(reports.size());
  if (!line.remote_status) return presence;
  engine::CacheOptions options;
  options.remote_url = line.remote_url;
  auto cache = engine::open_cache(plan, options, true);
  std::vector<util::Digest> keys;
  for (const auto& report : reports)
    if (report.key) keys.push_back(*report.key);
  std::vector<std::optional<bool>> has = cache->remote_has(keys);
  size_t next = 0;
  for (size_t i = 0; i < reports.size(); ++i) {
    std::optional<bool> known = reports[i].key ? has[next++] : std::nullopt;
    presence[i] = known ? (*known ? "yes" : "no") : "unknown";
  }
  return presence;
}

std::string json_report(const engine::Plan& plan, const std::vector<engine::InstanceReport>& reports,
                        const std::vector<std::string>& remote) {
  std::string out = fmt::format("{{\"pipeline\":\"{}\",\"instances\":[", util::json_escape(plan.workspace.pipeline_path));
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& instance = plan.graph.instances[reports[i].id];
    std::string params;
    for (const auto& p : instance.params)
      params += fmt::format("{}\"{}\":\"{}\"", params.empty() ? "" : ",", util::json_escape(p.name),
                            util::json_escape(p.value));
    std::string outputs;
    for (const auto& o : instance.outputs)
      outputs += fmt::format("{}\"{}\"", outputs.empty() ? "" : ",", util::json_escape(o));
    out += fmt::format(
        "{}{{\"label\":\"{}\",\"task\":\"{}\",\"params\":{{{}}},\"state\":\"{}\",\"reason\":\"{}\","
        "\"outputs\":[{}]{}}}",
        i ? "," : "", util::json_escape(instance.label), util::json_escape(instance.task), params,
        reports[i].up_to_date ? "up-to-date" : "will-run", util::json_escape(reports[i].reason), outputs,
        remote[i].empty() ? "" : fmt::format(",\"remote\":\"{}\"", remote[i]));
  }
  out += "]}\n";
  return out;
}

}  // namespace

int command_status(const CommandLine& line) {
  if (!line.format.empty() && line.format != "text" && line.format != "json")
    throw UsageError(fmt::format("unknown format '{}' (use text or json)", line.format));
  engine::Plan plan = engine::load_plan(plan_request(line));
  plan.graph.compute_dependents();
  std::vector<engine::InstanceReport> reports = engine::inspect(plan);
  std::vector<std::string> remote = remote_presence(line, plan, reports);
  if (line.format == "json") {
    fmt::print("{}", json_report(plan, reports, remote));
    return kExitOk;
  }
  size_t stale = 0;
  for (const auto& report : reports) {
    std::string label = plan.graph.instances[report.id].label;
    if (!remote[report.id].empty()) label += fmt::format("  [remote: {}]", remote[report.id]);
    if (report.up_to_date) {
      fmt::print("  up to date  {}\n", label);
    } else {
      ++stale;
      fmt::print("  will run    {}: {}\n", label, report.reason);
    }
  }
  fmt::print("{} of {} task instances up to date\n", reports.size() - stale, reports.size());
  return kExitOk;
}

}  // namespace luisy::cli
