#pragma once
// The Azure Blob Storage backend of the remote cache.
#include <cstdint>
#include <memory>
#include <string>

#include "luisy/cache/remote/azure_config.h"
#include "luisy/cache/remote/http_client.h"
#include "luisy/cache/remote/remote_store.h"

namespace luisy::cache::remote {

struct AzureStoreOptions {
  uint64_t single_put_max = 8 << 20;        // larger files go up as blocks
  uint64_t block_size = 8 << 20;            // Put Block size
  uint64_t ranged_download_min = 32 << 20;  // from this size, parallel ranged GETs
  uint64_t range_size = 8 << 20;
  HttpOptions http;
};

// Defaults, overridden by LUISY_AZURE_RETRY_BASE_MS, LUISY_AZURE_MAX_RETRIES,
// LUISY_AZURE_CONNECT_TIMEOUT_S, LUISY_AZURE_LOW_SPEED_TIME_S, LUISY_AZURE_BLOCK_SIZE
// (also lowers the single-put and range sizes; for tests) and LUISY_AZURE_CA_FILE.
AzureStoreOptions azure_store_options_from(const GetEnv& getenv);

// `prefix` is the folder inside the container (the caller picks config.prefix_from_url or
// the project). Options come from the process environment. Throws luisy::Error for an
// unusable configuration (e.g. a key that is not Base64); sends no request.
std::unique_ptr<RemoteStore> open_azure_store(const AzureConfig& config, const std::string& prefix);
std::unique_ptr<RemoteStore> open_azure_store(const AzureConfig& config, const std::string& prefix,
                                              const AzureStoreOptions& options);

}  // namespace luisy::cache::remote
