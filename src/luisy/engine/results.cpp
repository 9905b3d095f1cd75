#include "luisy/engine/results.h"

#include <fmt/format.h>
#include <unistd.h>

#include <ctime>

#include "luisy/hash/file_digest.h"
#include "luisy/util/fs.h"

namespace luisy::engine {

namespace {

std::string user_at_host() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  const char* user = std::getenv("USER");
  return fmt::format("{}@{}", user ? user : "unknown", host);
}

}  // namespace

std::optional<cache::ResultRecord> make_result_record(const graph::TaskInstance& instance,
                                                      const state::TaskRecord& record,
                                                      const std::string& workspace_dir,
                                                      hash::StatCache& stats, std::string* error,
                                                      std::string preimage) {
  cache::ResultRecord result;
  result.key = record.key;
  result.preimage = preimage.empty() ? std::string(record.preimage_text()) : std::move(preimage);
  result.created_at = record.finished_at ? record.finished_at : static_cast<int64_t>(std::time(nullptr));
  result.created_by = user_at_host();
  result.luisy_version = LUISY_VERSION;
  result.seconds = record.seconds;
  for (const auto& output : record.outputs) {
    auto digest = stats.digest(workspace_dir, output.path);
    if (!digest || *digest != output.digest) {
      *error = fmt::format("output {} of {} is {}", output.path, instance.label,
                           digest ? "not what was recorded" : "missing");
      return std::nullopt;
    }
    result.outputs.push_back({output.path, output.digest});
    bool is_directory = !output.path.empty() && output.path.back() == '/';
    std::vector<std::string> files;
    if (is_directory) {
      for (const auto& relative : util::list_files(util::join_path(workspace_dir, output.path)))
        files.push_back(output.path + relative);
    } else {
      files.push_back(output.path);
    }
    for (const auto& file : files) {
      auto st = util::stat_path(util::join_path(workspace_dir, file));
      auto file_digest = stats.digest(workspace_dir, file);
      if (!st || !file_digest) {
        *error = fmt::format("output {} of {} vanished", file, instance.label);
        return std::nullopt;
      }
      result.files.push_back({file, *file_digest, st->size, st->mode & 07777});
    }
  }
  return result;
}

state::TaskRecord task_record_from(const graph::TaskInstance& instance,
                                   const cache::ResultRecord& result, bool materialized) {
  state::TaskRecord record;
  record.label = instance.label;
  record.key = result.key;
  record.preimage = result.preimage;
  record.seconds = result.seconds;
  record.finished_at = static_cast<int64_t>(std::time(nullptr));
  record.materialized = materialized;
  for (const auto& output : result.outputs) {
    state::OutputRecord out{output.path, output.digest, 0, 0};
    for (const auto& file : result.files)
      if (file.path == output.path) {
        out.size = file.size;
        out.mode = file.mode;
      }
    record.outputs.push_back(std::move(out));
  }
  return record;
}

}  // namespace luisy::engine
