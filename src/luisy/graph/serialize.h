#pragma once
// The graph as compact bytes, so a plan can be reused without parsing the pipeline again.
#include <optional>
#include <string>
#include <string_view>

#include "luisy/graph/graph.h"

namespace luisy::graph {

// Versioned binary form of everything in the Graph but the dependents (derived data) and
// each instance's `sources` (Graph::source_files stands for them).
std::string serialize_graph(const Graph& graph);
// The same bytes appended to `out`, which is reserved for them first: a caller that puts
// something before the graph makes no second copy of it.
void serialize_graph(const Graph& graph, std::string& out);

// nullopt for anything that is not exactly what serialize_graph wrote with this format
// version: wrong magic or version, truncation, a bad checksum, out-of-range ids. Never
// crashes and never allocates beyond what the input's size can justify. The result has
// its dependents computed.
std::optional<Graph> deserialize_graph(std::string_view bytes);

}  // namespace luisy::graph
