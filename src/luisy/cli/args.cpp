#include "luisy/cli/args.h"

#include <fmt/format.h>

#include <charconv>

#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::cli {

namespace {

size_t parse_count(const std::string& option, const std::string& text) {
  size_t jobs = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), jobs);
  if (error != std::errc() || end != text.data() + text.size() || jobs == 0)
    throw UsageError(fmt::format("{} needs a positive number, not '{}'", option, text));
  return jobs;
}

// After `status --remote`: whether the next word is the remote (a URL or a directory).
bool names_remote(std::string_view word) {
  if (word.find("://") != std::string_view::npos) return true;
  auto st = util::stat_path(std::string(word));
  return st && st->is_directory;
}

}  // namespace

bool is_pipeline_operand(const std::string& directory, const std::string& word) {
  auto ends_with = [&](std::string_view suffix) {
    return word.size() >= suffix.size() && word.compare(word.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".yaml") || ends_with(".yml") || word.find('/') != std::string::npos) return true;
  auto st = util::stat_path(util::join_path(directory, word));
  return st && !st->is_directory;
}

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine line;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& option) -> std::string {
      size_t eq = arg.find('=');
      if (arg.rfind("--", 0) == 0 && eq != std::string::npos) return arg.substr(eq + 1);
      if (arg.size() > option.size() && arg[1] != '-') return arg.substr(option.size());  // -j8, -Cdir
      if (i + 1 >= argc) throw UsageError(fmt::format("{} needs a value", option));
      return argv[++i];
    };
    if (arg == "--") {
      for (++i; i < argc; ++i) positional.push_back(argv[i]);
      break;
    }
    if (arg == "--version") {
      line.command = "version";
    } else if (arg == "-h" || arg == "--help") {
      if (!line.command.empty() && line.words.empty()) line.words.push_back(line.command);  // help on it
      line.command = "help";
    } else if (arg.rfind("-j", 0) == 0 || arg.rfind("--jobs", 0) == 0) {
      std::string option = arg.rfind("--", 0) == 0 ? "--jobs" : "-j";
      line.jobs = parse_count(option, value(option));
    } else if (arg == "-k" || arg == "--keep-going") {
      line.keep_going = true;
    } else if (arg == "-n" || arg == "--dry-run") {
      line.dry_run = true;
    } else if (arg == "-v" || arg == "--verbose") {
      line.verbose = true;
    } else if (arg.rfind("-C", 0) == 0 || arg.rfind("--directory", 0) == 0) {
      line.directory = value(arg.rfind("--", 0) == 0 ? "--directory" : "-C");
    } else if (arg.rfind("--param", 0) == 0) {
      std::string assignment = value("--param");
      size_t eq = assignment.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError(fmt::format("--param needs NAME=VALUE, not '{}'", assignment));
      line.params.push_back({assignment.substr(0, eq), assignment.substr(eq + 1)});
    } else if (arg == "--man") {
      line.man = true;
    } else if (arg == "--download") {
      line.download = true;
    } else if (arg == "--upload") {
      line.upload = true;
    } else if (arg == "--accept") {
      line.accept = true;
    } else if (arg == "-y" || arg == "--yes") {
      line.yes = true;
    } else if (arg == "--remote" && (line.command == "status" || line.command == "verify") &&
               !names_remote(i + 1 < argc ? argv[i + 1] : "")) {
      line.remote_status = true;  // `status --remote`: a flag, unless a URL or directory follows
    } else if (arg == "--remove-broken") {
      line.remove_broken = true;
    } else if (arg.rfind("--remote", 0) == 0) {
      line.remote_url = value("--remote");
      if (line.command == "status" || line.command == "verify") line.remote_status = true;
    } else if (arg.rfind("--transfers", 0) == 0) {
      line.transfers = static_cast<int>(parse_count("--transfers", value("--transfers")));
    } else if (arg.rfind("--depfile", 0) == 0) {
      line.depfile = value("--depfile");
    } else if (arg.rfind("--max-size", 0) == 0) {
      line.max_size = value("--max-size");
    } else if (arg.rfind("--trace", 0) == 0) {
      line.trace_path = value("--trace");
    } else if (arg.rfind("--log-format", 0) == 0) {
      line.log_format = value("--log-format");
      if (line.log_format != "text" && line.log_format != "json")
        throw UsageError(
            fmt::format("unknown log format '{}' (use text or json)", line.log_format));
    } else if (arg.rfind("-o", 0) == 0 || arg.rfind("--output", 0) == 0) {
      line.output_path = value(arg.rfind("--", 0) == 0 ? "--output" : "-o");
    } else if (arg.rfind("--format", 0) == 0) {
      line.format = value("--format");
    } else if (arg.size() > 1 && arg[0] == '-') {
      throw UsageError(fmt::format("unknown option '{}'", arg));
    } else if (line.command.empty()) {
      line.command = arg;
    } else {
      positional.push_back(arg);
    }
  }
  if (line.command.empty()) line.command = "help";

  if (line.command == "help" || line.command == "cache" || line.command == "completion" ||
      line.command == "__complete-tasks") {
    for (auto& word : positional) line.words.push_back(word);
    return line;
  }
  // [FILE] [TASK...]: the first word is the file when it looks like one or names a file.
  size_t first_target = 0;
  if (!positional.empty() && is_pipeline_operand(line.directory, positional[0])) {
    line.pipeline_path = positional[0];
    first_target = 1;
  }
  for (size_t i = first_target; i < positional.size(); ++i) line.targets.push_back(positional[i]);
  if (line.pipeline_path.empty()) line.pipeline_path = "pipeline.yaml";
  if (!line.directory.empty()) line.pipeline_path = util::join_path(line.directory, line.pipeline_path);
  // Like the pipeline file, files named on the command line are relative to -C DIR.
  for (std::string* path : {&line.trace_path, &line.output_path})
    if (!path->empty() && !line.directory.empty()) *path = util::join_path(line.directory, *path);
  return line;
}

}  // namespace luisy::cli
