#include "luisy/engine/depfile.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::engine {

namespace {

// make's quoting in rules (as gcc writes it): `\ ` for a space, `\#`, `$$`.
std::string escape_for_make(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '\t' || c == '#' || c == '\\') out += '\\';
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

// `absolute` as make, running in `cwd`, should name it.
std::string for_make(const std::string& absolute, const std::string& cwd) {
  std::filesystem::path relative = std::filesystem::path(absolute).lexically_relative(cwd);
  std::string text = relative.string();
  if (text.empty() || text == ".." || text.rfind("../", 0) == 0) return escape_for_make(absolute);
  return escape_for_make(text);
}

// Whether `path` is an output of the build, or inside one of its directory outputs.
bool is_produced(const std::string& path, const std::set<std::string>& files,
                 const std::set<std::string>& directories) {
  if (files.count(path) || directories.count(path)) return true;
  for (std::string dir = util::dirname(path); !dir.empty() && dir != "." && dir != "/";
       dir = util::dirname(dir))
    if (directories.count(dir)) return true;
  return false;
}

}  // namespace

std::string depfile_text(const Plan& plan, const std::string& target, const std::string& cwd) {
  const graph::Graph& graph = plan.graph;
  std::set<std::string> files, directories;
  for (const auto& instance : graph.instances)
    for (const auto& output : instance.outputs) {
      if (!output.empty() && output.back() == '/')
        directories.insert(output.substr(0, output.size() - 1));
      else
        files.insert(output);
    }
  // (source_files leaves out what a dep writes, not a file inside a directory output.)
  std::set<std::string> sources;
  for (const auto& source : graph.source_files)
    if (!is_produced(source, files, directories)) sources.insert(source);

  const std::string& workspace = plan.workspace.directory;
  std::vector<std::string> prerequisites;
  prerequisites.push_back(for_make(util::absolute_path(plan.workspace.pipeline_path), cwd));
  for (const auto& source : sources)
    prerequisites.push_back(
        for_make(util::normalize_path(util::join_path(workspace, source)), cwd));
  for (const auto& dir : graph.globbed_dirs)
    if (!is_produced(dir, files, directories))
      prerequisites.push_back(for_make(util::normalize_path(util::join_path(workspace, dir)), cwd));

  std::string text = fmt::format("{}:", escape_for_make(target));
  for (const auto& prerequisite : prerequisites) text += " \\\n  " + prerequisite;
  text += "\n";
  std::set<std::string> seen;
  for (const auto& prerequisite : prerequisites)
    if (seen.insert(prerequisite).second) text += prerequisite + ":\n";
  return text;
}

void write_depfile(const Plan& plan, const std::string& path) {
  std::string cwd = util::absolute_path(".");
  util::make_parent_dirs(path);
  util::write_file_atomic(path, depfile_text(plan, path, cwd));
  // The rename changed its directory's mtime after the file's own: a directory that fed a
  // glob must not look newer than the stamp.
  if (utimensat(AT_FDCWD, path.c_str(), nullptr, 0) != 0)
    throw Error(fmt::format("cannot set the time of '{}': {}", path, std::strerror(errno)));
}

}  // namespace luisy::engine
