#include "luisy/cache/remote/azure_store.h"

#include <fmt/format.h>

#include <chrono>
#include <mutex>

#include "luisy/cache/remote/azure_auth.h"
#include "luisy/cache/remote/azure_list.h"
#include "luisy/cache/remote/azure_transfers.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::cache::remote {
namespace {

constexpr const char* kApiVersion = "2021-08-06";

std::string host_of(const std::string& endpoint) {
  size_t scheme = endpoint.find("://");
  std::string rest = scheme == std::string::npos ? endpoint : endpoint.substr(scheme + 3);
  return rest.substr(0, rest.find('/'));
}

long env_number(const GetEnv& getenv, const char* name, long fallback) {
  auto value = getenv(name);
  if (!value || value->empty()) return fallback;
  char* end = nullptr;
  long number = std::strtol(value->c_str(), &end, 10);
  if (*end != '\0' || number < 0)
    throw Error(fmt::format("{} must be a non-negative number", name));
  return number;
}

class AzureStore final : public RemoteStore {
 public:
  AzureStore(AzureConfig config, std::string prefix, AzureStoreOptions options)
      : config_(std::move(config)),
        prefix_(std::move(prefix)),
        options_(std::move(options)),
        use_shared_key_(!config_.shared_key.empty()),
        http_(options_.http, [this](const HttpRequest& request) { return sign(request); }) {
    while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
    while (!prefix_.empty() && prefix_.front() == '/') prefix_.erase(0, 1);
    if (use_shared_key_) base64_decode(config_.shared_key);  // throws early for a bad key
    if (options_.block_size == 0 || options_.range_size == 0)
      throw Error("the Azure block and range sizes must not be zero");
  }

  std::string describe() const override {
    return fmt::format("azure://{}/{}{}{}", config_.account, config_.container,
                       prefix_.empty() ? "" : "/", prefix_);
  }

  void check_access() override {
    std::lock_guard lock(mutex_);
    HttpResponse response = http_.perform(container_request("GET"));
    if (response.status == 404) {
      HttpRequest create = container_request("PUT");
      response = http_.perform(std::move(create));
      if (response.status == 201 || response.status == 409) return;
      if (response.status != 403 && response.status != 0)
        throw Error(fmt::format("cannot create container '{}' in Azure account '{}': {}",
                                config_.container, config_.account,
                                describe_azure_failure(response)));
    }
    if (response.ok()) return;
    if (response.status == 403 || response.status == 401)
      throw Error(fmt::format(
          "Azure rejected the credentials for account '{}', container '{}' (HTTP {}): check "
          "LUISY_AZURE_STORAGE_KEY / the SAS token (expired or lacking permissions?)",
          config_.account, config_.container, response.status));
    if (response.status == 0)
      throw Error(fmt::format("cannot reach Azure Blob Storage at {}: {}",
                              host_of(config_.endpoint), response.error));
    throw Error(fmt::format("Azure answered {} for account '{}', container '{}'",
                            describe_azure_failure(response), config_.account, config_.container));
  }

  std::optional<std::string> get_record(const util::Digest& key, Failure* failure) override {
    std::lock_guard lock(mutex_);
    HttpRequest request;
    request.url = blob_url(record_name(key));
    HttpResponse response = http_.perform(std::move(request));
    if (response.status == 200 && response.error.empty()) return std::move(response.body);
    if (response.status == 404) return std::nullopt;
    if (failure)
      failure->message = fmt::format("reading record {} from {} failed: {}", util::to_hex(key),
                                     describe(), describe_azure_failure(response));
    return std::nullopt;
  }

  std::vector<std::optional<std::string>> get_records(const std::vector<util::Digest>& keys,
                                                      Failure* failure,
                                                      int max_in_flight) override {
    std::lock_guard lock(mutex_);
    std::vector<std::optional<std::string>> records(keys.size());
    size_t next_index = 0;
    bool failed = false;
    http_.run(
        [&]() -> std::optional<HttpRequest> {
          // After a request failed (retries included), no new one: the remote is down.
          if (failed || next_index >= keys.size()) return std::nullopt;
          HttpRequest request;
          request.url = blob_url(record_name(keys[next_index]));
          request.tag = next_index++;
          return request;
        },
        [&](HttpRequest& request, HttpResponse& response) {
          if (response.status == 200 && response.error.empty()) {
            records[request.tag] = std::move(response.body);
          } else if (response.status != 404 && !std::exchange(failed, true) && failure) {
            failure->message =
                fmt::format("reading record {} from {} failed: {}", util::to_hex(keys[request.tag]),
                            describe(), describe_azure_failure(response));
          }
        },
        max_in_flight);
    return records;
  }

  Outcome put_record(const util::Digest& key, const std::string& bytes) override {
    std::lock_guard lock(mutex_);
    HttpRequest request = put_blob_request(record_name(key), bytes);
    HttpResponse response = http_.perform(std::move(request));
    if (response.status == 201 && response.error.empty()) return {};
    return {false, fmt::format("writing record {} to {} failed: {}", util::to_hex(key), describe(),
                               describe_azure_failure(response))};
  }

  std::vector<Outcome> put_records(const std::vector<util::Digest>& keys,
                                   const std::vector<std::string>& bytes,
                                   int max_in_flight) override {
    std::lock_guard lock(mutex_);
    std::vector<Outcome> outcomes(std::min(keys.size(), bytes.size()));
    size_t next_index = 0;
    http_.run(
        [&]() -> std::optional<HttpRequest> {
          if (next_index >= outcomes.size()) return std::nullopt;
          HttpRequest request = put_blob_request(record_name(keys[next_index]), bytes[next_index]);
          request.tag = next_index++;
          return request;
        },
        [&](HttpRequest& request, HttpResponse& response) {
          if (response.status == 201 && response.error.empty()) return;
          outcomes[request.tag] = {false, fmt::format("writing record {} to {} failed: {}",
                                                      util::to_hex(keys[request.tag]), describe(),
                                                      describe_azure_failure(response))};
        },
        max_in_flight);
    return outcomes;
  }

  std::vector<bool> has_blobs(const std::vector<util::Digest>& digests, Failure* failure) override {
    std::lock_guard lock(mutex_);
    return head_blobs(digests, failure);
  }

  void upload_blobs(std::vector<BlobTransfer>& transfers, const TransferOptions& options) override {
    std::lock_guard lock(mutex_);
    upload(transfers, options);
  }

  void download_blobs(std::vector<BlobTransfer>& transfers,
                      const TransferOptions& options) override {
    std::lock_guard lock(mutex_);
    download(transfers, options);
  }

  std::vector<std::string> list_records(Failure* failure) override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    std::string folder = full_name("ac/");
    std::string marker;
    do {
      std::string query =
          "restype=container&comp=list&maxresults=5000&prefix=" + percent_encode(folder);
      if (!marker.empty()) query += "&marker=" + percent_encode(marker);
      HttpRequest request;
      request.url = with_credentials(
          append_query(fmt::format("{}/{}", config_.endpoint, config_.container), query));
      HttpResponse response = http_.perform(std::move(request));
      std::optional<BlobListPage> page;
      if (response.ok()) page = parse_blob_list(response.body);
      if (!page) {
        if (failure)
          failure->message = fmt::format("listing the records of {} failed: {}", describe(),
                                         response.ok() ? "the answer is not a blob listing"
                                                       : describe_azure_failure(response));
        return names;
      }
      for (auto& name : page->names)
        if (name.rfind(folder, 0) == 0) names.push_back(name.substr(folder.size()));
      marker = std::move(page->next_marker);
    } while (!marker.empty());
    return names;
  }

  Outcome delete_record(const util::Digest& key) override {
    std::lock_guard lock(mutex_);
    return delete_named(record_name(key));
  }

  Outcome delete_blob(const util::Digest& digest) override {
    std::lock_guard lock(mutex_);
    return delete_named(blob_name(digest));
  }

 private:
  Outcome delete_named(const std::string& name) {
    HttpRequest request;
    request.method = "DELETE";
    request.url = blob_url(name);
    HttpResponse response = http_.perform(std::move(request));
    if ((response.status == 202 || response.status == 404) && response.error.empty()) return {};
    return {false, fmt::format("deleting {} from {} failed: {}", name, describe(),
                               describe_azure_failure(response))};
  }

  std::vector<bool> head_blobs(const std::vector<util::Digest>& digests, Failure* failure) {
    std::vector<bool> present(digests.size(), false);
    size_t next_index = 0;
    size_t failed = 0;
    std::string first_failure;
    http_.run(
        [&]() -> std::optional<HttpRequest> {
          if (next_index >= digests.size()) return std::nullopt;
          HttpRequest request;
          request.method = "HEAD";
          request.url = blob_url(blob_name(digests[next_index]));
          request.tag = next_index++;
          return request;
        },
        [&](HttpRequest& request, HttpResponse& response) {
          if (response.status == 200 && response.error.empty()) {
            present[request.tag] = true;
          } else if (response.status != 404) {
            if (failed++ == 0) first_failure = describe_azure_failure(response);
          }
        },
        16);
    if (failed && failure)
      failure->message =
          fmt::format("checking {} blob(s) on {} failed: {}", failed, describe(), first_failure);
    return present;
  }

  HeaderList sign(const HttpRequest& request) const {
    HeaderList extra = {{"x-ms-date", http_date(std::chrono::system_clock::now())},
                        {"x-ms-version", kApiVersion}};
    if (!use_shared_key_) return extra;  // the SAS is in the URL
    HeaderList all = request.headers;
    all.insert(all.end(), extra.begin(), extra.end());
    uint64_t length = request.method == "PUT" ? request.body.size() : 0;
    extra.emplace_back("Authorization",
                       shared_key_authorization(config_.account, config_.shared_key, request.method,
                                                request.url, all, length));
    return extra;
  }

  std::string with_credentials(std::string url) const {
    return use_shared_key_ ? url : append_query(url, config_.sas_token);
  }

  std::string full_name(const std::string& relative) const {
    return prefix_.empty() ? relative : prefix_ + "/" + relative;
  }
  std::string blob_name(const util::Digest& digest) const {
    std::string hex = util::to_hex(digest);
    return full_name(fmt::format("cas/{}/{}", hex.substr(0, 2), hex));
  }
  std::string record_name(const util::Digest& key) const {
    return full_name("ac/" + util::to_hex(key));
  }

  std::string blob_url(const std::string& name, const std::string& query = "") const {
    std::string url = fmt::format("{}/{}/{}", config_.endpoint, config_.container,
                                  percent_encode(name, /*keep_slash=*/true));
    return with_credentials(append_query(url, query));
  }

  HttpRequest container_request(const char* method) const {
    HttpRequest request;
    request.method = method;
    request.url = with_credentials(
        fmt::format("{}/{}?restype=container", config_.endpoint, config_.container));
    return request;
  }

  HttpRequest put_blob_request(const std::string& name, std::string body) const {
    return azure_put_blob_request(blob_url(name), std::move(body));
  }

  AzureBlobAccess access() {
    return {http_, options_,
            [this](const util::Digest& digest, const std::string& query) {
              return blob_url(blob_name(digest), query);
            },
            describe()};
  }

  void upload(std::vector<BlobTransfer>& transfers, const TransferOptions& options) {
    // Large blobs that are already there are not sent again block by block (a small one
    // costs one create-only PUT either way): one round of parallel HEADs first.
    std::vector<size_t> large;
    std::vector<util::Digest> large_digests;
    for (size_t i = 0; i < transfers.size(); ++i) {
      auto stat = util::stat_path(transfers[i].local_path);
      if (stat && stat->size > options_.single_put_max) {
        large.push_back(i);
        large_digests.push_back(transfers[i].digest);
      }
    }
    std::vector<bool> present(transfers.size(), false);
    if (!large.empty()) {
      std::vector<bool> found = head_blobs(large_digests, nullptr);
      for (size_t k = 0; k < large.size(); ++k) present[large[k]] = found[k];
    }
    upload_azure_blobs(access(), transfers, options, present);
  }

  void download(std::vector<BlobTransfer>& transfers, const TransferOptions& options) {
    download_azure_blobs(access(), transfers, options);
  }

  AzureConfig config_;
  std::string prefix_;
  AzureStoreOptions options_;
  bool use_shared_key_;
  std::mutex mutex_;  // one operation at a time: the HTTP client is single-threaded
  HttpClient http_;
};

}  // namespace

AzureStoreOptions azure_store_options_from(const GetEnv& getenv) {
  AzureStoreOptions options;
  options.http.retry_base_ms =
      env_number(getenv, "LUISY_AZURE_RETRY_BASE_MS", options.http.retry_base_ms);
  options.http.max_retries =
      static_cast<int>(env_number(getenv, "LUISY_AZURE_MAX_RETRIES", options.http.max_retries));
  options.http.connect_timeout_s =
      env_number(getenv, "LUISY_AZURE_CONNECT_TIMEOUT_S", options.http.connect_timeout_s);
  options.http.low_speed_time_s =
      env_number(getenv, "LUISY_AZURE_LOW_SPEED_TIME_S", options.http.low_speed_time_s);
  if (auto ca = getenv("LUISY_AZURE_CA_FILE"); ca && !ca->empty()) options.http.ca_file = *ca;
  long block = env_number(getenv, "LUISY_AZURE_BLOCK_SIZE", 0);
  if (block > 0) {
    options.block_size = options.single_put_max = options.range_size = static_cast<uint64_t>(block);
    options.ranged_download_min = 4 * static_cast<uint64_t>(block);
  }
  return options;
}

std::unique_ptr<RemoteStore> open_azure_store(const AzureConfig& config, const std::string& prefix,
                                              const AzureStoreOptions& options) {
  return std::make_unique<AzureStore>(config, prefix, options);
}

std::unique_ptr<RemoteStore> open_azure_store(const AzureConfig& config,
                                              const std::string& prefix) {
  return open_azure_store(config, prefix, azure_store_options_from(process_getenv));
}

}  // namespace luisy::cache::remote
