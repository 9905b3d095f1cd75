#pragma once
// The bulk side of the Azure store: many blobs up or down at once over one HttpClient.
// Internal to cache/remote (azure_store.cpp is its only user).
#include <functional>
#include <string>
#include <vector>

#include "luisy/cache/remote/azure_store.h"
#include "luisy/cache/remote/http_client.h"
#include "luisy/cache/remote/remote_store.h"

namespace luisy::cache::remote {

// What the transfers need from the store.
struct AzureBlobAccess {
  HttpClient& http;
  const AzureStoreOptions& options;
  // The signed-or-SAS URL of a content blob, with an extra query ("comp=block&...") or "".
  std::function<std::string(const util::Digest&, const std::string& query)> blob_url;
  std::string description;  // "azure://account/container/prefix", for messages
};

// "HTTP 503 ServerBusy" or the transport error: never a URL, never a credential.
std::string describe_azure_failure(const HttpResponse& response);

// Put Blob as a block blob with a CRC64 transport checksum.
HttpRequest azure_put_blob_request(std::string url, std::string body);

// Create-only uploads (If-None-Match: *; 409 counts as success). Files above
// options.single_put_max go up as blocks. `present[i]` marks blobs known to exist, which are
// not sent. A file whose size or digest no longer matches fails instead of being uploaded.
void upload_azure_blobs(const AzureBlobAccess& access, std::vector<BlobTransfer>& transfers,
                        const TransferOptions& options, const std::vector<bool>& present);

// Downloads into a temporary file next to local_path, renamed on success and removed on
// failure. A known size of at least options.ranged_download_min uses parallel ranges.
void download_azure_blobs(const AzureBlobAccess& access, std::vector<BlobTransfer>& transfers,
                          const TransferOptions& options);

}  // namespace luisy::cache::remote
