#pragma once
// The stat cache on disk (.luisy/stats): loaded before planning, saved after the build.
#include <string>

#include "luisy/hash/file_digest.h"

namespace luisy::state {

// Missing or unreadable file: an empty cache (digests are recomputed, never wrong).
// The cache then serves one command over the workspace, so it stats each path once
// (StatCache::stat_once): the build forgets every output it removes or writes.
void load_stat_cache(const std::string& state_dir, hash::StatCache& cache);
// Drops racy entries, then writes atomically. Does nothing when the cache is not dirty.
void save_stat_cache(const std::string& state_dir, hash::StatCache& cache);

}  // namespace luisy::state
