#include "luisy/engine/remote_setup.h"

#include <fmt/format.h>

#include <cstdlib>

#include "luisy/cache/result_cache.h"
#include "luisy/util/error.h"

namespace luisy::engine {

namespace {

bool env_set(const char* name) {
  const char* value = std::getenv(name);
  return value && *value;
}

}  // namespace

std::string configured_remote_url(const Plan& plan, const CacheOptions& options) {
  if (!options.remote_url.empty()) return options.remote_url;
  if (env_set("LUISY_REMOTE")) return std::getenv("LUISY_REMOTE");
  return plan.remote;
}

std::unique_ptr<cache::remote::RemoteStore> open_remote(const Plan& plan,
                                                        const CacheOptions& options) {
  std::string url = configured_remote_url(plan, options);
  // The original luisy needs nothing but its Azure variables.
  bool azure_from_env = env_set("LUISY_AZURE_ACCOUNT_NAME") || env_set("AZURE_STORAGE_CONNECTION_STRING");
  if (url.empty() && !azure_from_env)
    throw Error(
        "no remote configured: pass --remote URL, set LUISY_REMOTE, add `remote:` to the pipeline, "
        "or set LUISY_AZURE_ACCOUNT_NAME, LUISY_AZURE_STORAGE_KEY and LUISY_AZURE_CONTAINER_NAME");
  auto remote = cache::remote::open_remote_store(url, plan.project);
  remote->check_access();
  return remote;
}

std::unique_ptr<cache::ResultCache> open_cache(const Plan& plan, const CacheOptions& options,
                                               bool need_remote) {
  std::unique_ptr<cache::remote::RemoteStore> remote;
  if (need_remote) remote = open_remote(plan, options);
  // With a remote the local store is always on: every download is also copied into it (by a
  // thread of its own, once the file is in place in the workspace).
  const char* local = std::getenv("LUISY_LOCAL_CACHE");
  bool local_off = !options.local_store || (local && std::string_view(local) == "off");
  if (local_off && !remote) return nullptr;
  cache::remote::TransferOptions transfer;
  transfer.max_in_flight = options.transfers;
  return std::make_unique<cache::ResultCache>(cache::LocalStore(cache::LocalStore::default_root()),
                                              std::move(remote), transfer);
}

}  // namespace luisy::engine
