// libFuzzer target: a pipeline file from hostile bytes. The loader, the validation and the
// graph build must either succeed or throw luisy::Error (a message for the user); anything
// else (a crash, a sanitizer report, another exception, a hang) is a bug. A graph that
// builds must also survive the round trip through the compiled-plan format.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "luisy/graph/graph.h"
#include "luisy/graph/serialize.h"
#include "luisy/manifest/loader.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace {

// A directory of our own, in memory when the machine has /dev/shm (inputs write files and
// fsync them), removed when the fuzzer exits.
struct ScratchDir {
  std::string path;
  explicit ScratchDir(const std::string& name) {
    for (std::string base : {"/dev/shm", "/tmp"}) {
      std::string pattern = base + "/luisy-fuzz-" + name + "-XXXXXX";
      if (const char* made = ::mkdtemp(pattern.data())) {
        path = made;
        return;
      }
    }
    path = "/tmp";
  }
  ~ScratchDir() {
    if (path != "/tmp") luisy::util::remove_all(path);
  }
};

// A workspace of our own holding the source files the seed pipelines (the examples) name,
// so that mutations get past "missing input" into globs, requires and edges, and a symbolic
// link that leaves the workspace.
const std::string& pipeline_path() {
  static const std::string path = [] {
    static const ScratchDir scratch("loader");
    const std::string& dir = scratch.path;
    for (const char* file :
         {"scripts/generate.py", "scripts/fit.py", "scripts/summarize.py",
          "scripts/clean_customers.py", "scripts/clean_orders.py", "scripts/join.py",
          "scripts/revenue_by_country.py", "scripts/split_chapters.py", "scripts/normalize.py",
          "scripts/word_counts.py", "scripts/top_words.py", "data/customers.csv", "data/orders.csv",
          "data/book.txt", "data/stopwords.txt", "data/sub/a.csv"}) {
      std::string full = dir + "/" + file;
      luisy::util::make_parent_dirs(full);
      luisy::util::write_file_atomic(full, file);
    }
    (void)::symlink("/tmp", (dir + "/outside").c_str());
    (void)::symlink("data", (dir + "/inside").c_str());
    return dir + "/pipeline.yaml";
  }();
  return path;
}

// Matrices multiply: a ten-line file can ask for 10^12 instances. Such a file is valid and
// luisy would honestly try to build it, so the fuzzer skips the expansion (the loader and
// its checks still ran).
bool small_enough(const luisy::manifest::Pipeline& pipeline) {
  double instances = 1;
  for (const auto& task : pipeline.tasks)
    for (const auto& axis : task.matrix()) instances *= static_cast<double>(axis.values.size());
  return instances <= 4096;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    luisy::manifest::Pipeline pipeline = luisy::manifest::parse_pipeline(text, pipeline_path());
    if (!small_enough(pipeline)) return 0;
    luisy::graph::Graph graph = luisy::graph::build_graph(pipeline, {});
    std::string bytes = luisy::graph::serialize_graph(graph);
    auto back = luisy::graph::deserialize_graph(bytes);
    if (!back || back->instances.size() != graph.instances.size() ||
        luisy::graph::serialize_graph(*back) != bytes)
      __builtin_trap();  // the plan format lost or changed something
  } catch (const luisy::Error&) {
    // A message for the user: the expected outcome for most inputs.
  }
  return 0;
}
