#include <fmt/format.h>

#include "luisy/cli/commands.h"
#include "luisy/cli/plan_request.h"
#include "luisy/engine/build.h"
#include "luisy/util/error.h"

namespace luisy::cli {

namespace {

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

}  // namespace

int command_graph(const CommandLine& line) {
  std::string format = line.format.empty() ? "dot" : line.format;
  if (format != "dot" && format != "mermaid")
    throw UsageError(fmt::format("unknown graph format '{}' (use dot or mermaid)", format));
  engine::Plan plan = engine::load_plan(plan_request(line));
  plan.graph.compute_dependents();
  std::vector<engine::InstanceReport> reports = engine::inspect(plan);
  const auto& instances = plan.graph.instances;

  if (format == "dot") {
    fmt::print("digraph luisy {{\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n");
    for (const auto& report : reports)
      fmt::print("  n{} [label=\"{}\", fillcolor=\"{}\"];\n", report.id, dot_escape(instances[report.id].label),
                 report.up_to_date ? "#c8e6c9" : "#ffe0b2");
    for (graph::InstanceId id = 0; id < instances.size(); ++id)
      for (graph::InstanceId dep : instances[id].deps) fmt::print("  n{} -> n{};\n", dep, id);
    fmt::print("}}\n");
    return kExitOk;
  }
  fmt::print("flowchart LR\n");
  for (const auto& report : reports)
    fmt::print("  n{}[\"{}\"]:::{}\n", report.id, mermaid_escape(instances[report.id].label),
               report.up_to_date ? "uptodate" : "willrun");
  for (graph::InstanceId id = 0; id < instances.size(); ++id)
    for (graph::InstanceId dep : instances[id].deps) fmt::print("  n{} --> n{}\n", dep, id);
  fmt::print("  classDef uptodate fill:#c8e6c9;\n  classDef willrun fill:#ffe0b2;\n");
  return kExitOk;
}

}  // namespace luisy::cli
