#pragma once
// The command line, parsed: `luisy COMMAND [FILE] [TASK...] [options]`.
#include <string>
#include <vector>

#include "luisy/graph/graph.h"

namespace luisy::cli {

struct CommandLine {
  std::string command;          // build, status, explain, graph, clean, validate, help, version
  std::string pipeline_path;    // FILE; default pipeline.yaml (relative to -C DIR)
  std::vector<std::string> targets;
  std::vector<graph::Param> params;  // --param K=V
  std::string directory;        // -C DIR
  size_t jobs = 0;              // -j N; 0: not given (cmd_build decides)
  bool keep_going = false;      // -k
  bool dry_run = false;         // -n / --dry-run
  bool verbose = false;         // -v
  std::string format;           // --format
  bool download = false;        // --download
  bool upload = false;          // --upload
  bool accept = false;          // build --accept
  bool yes = false;             // build --yes / -y: do not ask before deleting costly outputs
  bool remote_status = false;   // status/verify --remote (without a URL: the configured one)
  bool remove_broken = false;   // verify --remove-broken
  std::string remote_url;       // --remote URL
  int transfers = 16;           // --transfers N
  std::string depfile;          // build --depfile FILE
  std::string max_size;         // cache trim --max-size SIZE
  std::string trace_path;       // build --trace FILE
  std::string log_format;       // --log-format text|json (build, push, pull)
  std::string output_path;      // graph -o FILE
  bool man = false;             // help --man
  std::vector<std::string> words;  // positional words of help, cache, completion, __complete-tasks
};

// Whether the first operand is FILE rather than a TASK: it ends in .yaml or .yml, contains
// a '/', or names a file in `directory`.
bool is_pipeline_operand(const std::string& directory, const std::string& word);

// Throws UsageError for unknown options, missing values and malformed --param.
CommandLine parse_command_line(int argc, char** argv);

}  // namespace luisy::cli
