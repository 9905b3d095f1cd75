#pragma once
// Chooses and opens the caches a command uses: the user's local content store, and the
// remote named by --remote, LUISY_REMOTE, the pipeline's `remote:`, or Azure variables.
#include <memory>
#include <string>

#include "luisy/engine/plan.h"

namespace luisy::cache {
class ResultCache;
}
namespace luisy::cache::remote {
class RemoteStore;
}

namespace luisy::engine {

struct CacheOptions {
  std::string remote_url;  // --remote; empty: LUISY_REMOTE, then the pipeline's `remote:`
  int transfers = 16;      // --transfers
  bool local_store = true; // LUISY_LOCAL_CACHE=off disables the local content store
};

// The local store always (unless disabled); the remote when `need_remote`. The remote's
// credentials are checked with one cheap request here, before any work. Throws Error
// (exit status 2) when a remote is needed but none is configured or it refuses access.
std::unique_ptr<cache::ResultCache> open_cache(const Plan& plan, const CacheOptions& options,
                                               bool need_remote);

// The configured remote, its credentials checked with one cheap request. Throws Error (exit
// status 2) when none is configured or it refuses access.
std::unique_ptr<cache::remote::RemoteStore> open_remote(const Plan& plan,
                                                        const CacheOptions& options);

// Where the remote URL comes from, for messages: "" when none is configured.
std::string configured_remote_url(const Plan& plan, const CacheOptions& options);

}  // namespace luisy::engine
