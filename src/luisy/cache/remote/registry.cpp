// The one place that names the concrete remote backends.
#include <fmt/format.h>

#include <cstdlib>

#include "luisy/cache/remote/azure_config.h"
#include "luisy/cache/remote/azure_store.h"
#include "luisy/cache/remote/dir_store.h"
#include "luisy/cache/remote/remote_store.h"
#include "luisy/util/error.h"

namespace luisy::cache::remote {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Segments of [a-z0-9][a-z0-9._-]* separated by single '/': valid as an Azure blob name
// prefix and as a directory path, and never able to climb out of the container or root.
bool is_valid_prefix(std::string_view prefix) {
  if (prefix.empty()) return false;
  size_t start = 0;
  while (start <= prefix.size()) {
    size_t slash = prefix.find('/', start);
    if (slash == std::string_view::npos) slash = prefix.size();
    std::string_view segment = prefix.substr(start, slash - start);
    if (segment.empty()) return false;
    auto first = segment.front();
    if (!((first >= 'a' && first <= 'z') || (first >= '0' && first <= '9'))) return false;
    for (char c : segment) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    start = slash + 1;
  }
  return true;
}

std::string checked_prefix(const std::string& prefix, std::string_view origin) {
  if (!is_valid_prefix(prefix))
    throw Error(fmt::format(
        "invalid remote cache prefix '{}' (from {}): use lowercase letters, digits, '.', '_' and "
        "'-', in segments separated by '/'",
        prefix, origin));
  return prefix;
}

bool is_plain_path(const std::string& url) {
  return starts_with(url, "/") || starts_with(url, "./") || starts_with(url, "../") ||
         url.find("://") == std::string::npos;
}

}  // namespace

std::unique_ptr<RemoteStore> open_remote_store(const std::string& url, const std::string& project) {
  if (url.empty() || starts_with(url, "azure://")) {
    AzureConfig config = azure_config_from(url, [](const char* name) -> std::optional<std::string> {
      const char* value = ::getenv(name);
      if (!value) return std::nullopt;
      return std::string(value);
    });
    std::string prefix = config.prefix_from_url.empty()
                             ? checked_prefix(project, "the project name")
                             : checked_prefix(config.prefix_from_url, "the remote URL");
    return open_azure_store(config, prefix);
  }
  if (starts_with(url, "file://")) {
    std::string path = url.substr(7);
    if (starts_with(path, "localhost/")) path = path.substr(9);  // file://localhost/mnt/x
    if (path.empty()) throw Error(fmt::format("remote URL '{}' names no directory", url));
    return open_dir_store(path, checked_prefix(project, "the project name"));
  }
  if (is_plain_path(url)) return open_dir_store(url, checked_prefix(project, "the project name"));
  std::string scheme = url.substr(0, url.find("://"));
  throw Error(fmt::format(
      "unsupported remote URL scheme '{}' (use azure://ACCOUNT/CONTAINER[/PREFIX] or a directory)",
      scheme));
}

}  // namespace luisy::cache::remote
