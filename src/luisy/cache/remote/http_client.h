#pragma once
// A small HTTP client over libcurl's multi interface: many requests in flight on reused
// connections, retries with backoff for transient failures. It knows nothing of Azure; a
// signer callback adds authentication before every attempt. libcurl stays in the .cpp.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "luisy/cache/remote/azure_auth.h"

namespace luisy::cache::remote {

struct HttpOptions {
  long connect_timeout_s = 10;
  long low_speed_limit = 1024;  // bytes/s; below it for low_speed_time_s aborts the transfer
  long low_speed_time_s = 30;
  int max_retries = 3;
  long retry_base_ms = 800;  // delay = base * 2^attempt with jitter, capped
  long retry_cap_ms = 60000;
  std::string ca_file;  // extra CA bundle (tests with a self-signed server); verification stays on
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT
  std::string url;             // may carry a SAS query: never put it in a message
  HeaderList headers;
  std::string body;  // PUT body, sent with an explicit Content-Length
  // GET: when sink_fd >= 0 a 2xx body is written there with pwrite from sink_offset,
  // otherwise it is kept in HttpResponse::body.
  int sink_fd = -1;
  uint64_t sink_offset = 0;
  uint64_t tag = 0;  // the caller's
  // When known, the size a 2xx body must have: a shorter or longer one (a proxy or a
  // connection that cut it, a wrong Content-Length) is a transport error, retried.
  std::optional<uint64_t> expected_bytes;
};

struct HttpResponse {
  long status = 0;                             // 0 when no HTTP answer came (see error)
  std::string error;                           // transport or local error, safe to show
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;                            // error bodies are truncated
  uint64_t bytes_received = 0;                 // body bytes written to the sink or kept
  int attempts = 0;
  bool local_failure = false;  // `error` is ours (writing to the sink failed), not the server's
  bool ok() const { return status >= 200 && status < 300 && error.empty(); }
};

// Adds headers (date, authorization) to a request just before an attempt is sent.
using HttpSigner = std::function<HeaderList(const HttpRequest&)>;

// A 2xx body is also checked against its Content-MD5 header when the server sends one (Azure
// does for blobs put whole); a mismatch is a transport error, retried.

// Whether a status or transport failure is worth another attempt.
bool is_retryable(const HttpResponse& response);
// The delay before attempt `attempt` (0-based retry count): server hints first
// (retry-after-ms, x-ms-retry-after-ms, Retry-After seconds), else exponential with jitter.
long retry_delay_ms(const HttpResponse& response, int attempt, const HttpOptions& options);

class HttpClient {
 public:
  HttpClient(HttpOptions options, HttpSigner signer);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Runs requests with up to max_in_flight at once. `next` is asked for work whenever a slot
  // is free and returns nullopt when it has none right now; `done` gets every finished request
  // (after retries) and may make more work appear for `next`. Returns when both are idle.
  void run(const std::function<std::optional<HttpRequest>()>& next,
           const std::function<void(HttpRequest&, HttpResponse&)>& done, int max_in_flight);

  // One request, with retries.
  HttpResponse perform(HttpRequest request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace luisy::cache::remote
