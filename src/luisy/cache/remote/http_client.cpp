#include "luisy/cache/remote/http_client.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#include "luisy/cache/remote/crypto_api.h"
#include "luisy/cache/remote/curl_api.h"
#include "luisy/util/error.h"

namespace luisy::cache::remote {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxErrorBody = 64 * 1024;

struct Transfer {
  const CurlApi* curl = nullptr;  // set by start()
  const CryptoApi* crypto = nullptr;  // set by start()
  HttpRequest request;
  HttpResponse response;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  size_t body_offset = 0;
  std::string local_error;
  Clock::time_point not_before;
  char error_buffer[CURL_ERROR_SIZE] = {};
  EVP_MD_CTX* md5 = nullptr;   // over the 2xx body, checked against Content-MD5
  bool head_complete = false;  // the blank line that ends the response head arrived
  ~Transfer() {
    if (md5) crypto->md_ctx_free(md5);
  }
};

bool is_2xx(const Transfer& t) {
  long code = 0;
  t.curl->easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
  return code >= 200 && code < 300;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  // The head is in by the first body byte: hash the body only when there is an MD5 to meet.
  if (t->response.bytes_received == 0 && !t->md5 && is_2xx(*t) &&
      t->response.headers.count("content-md5") && (t->md5 = t->crypto->md_ctx_new()))
    t->crypto->digest_init_ex(t->md5, t->crypto->md5(), nullptr);
  if (t->md5) t->crypto->digest_update(t->md5, data, n);
  if (t->request.sink_fd >= 0 && is_2xx(*t)) {
    size_t written = 0;
    while (written < n) {
      ssize_t w = ::pwrite(
          t->request.sink_fd, data + written, n - written,
          static_cast<off_t>(t->request.sink_offset + t->response.bytes_received + written));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        t->local_error = fmt::format("cannot write the downloaded data: {}", std::strerror(errno));
        return 0;  // aborts the transfer
      }
      written += static_cast<size_t>(w);
    }
  } else if (t->request.sink_fd < 0 || t->response.body.size() < kMaxErrorBody) {
    t->response.body.append(data, n);
  }
  t->response.bytes_received += n;
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();  // a new response (after a redirect or an interim answer)
    t->head_complete = false;
  } else if (line.empty()) {
    t->head_complete = true;
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    t->response.headers[name] = std::string(value);
  }
  return n;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = std::min(size * count, t->request.body.size() - t->body_offset);
  std::memcpy(buffer, t->request.body.data() + t->body_offset, n);
  t->body_offset += n;
  return n;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->request.body.size())
    return CURL_SEEKFUNC_CANTSEEK;
  t->body_offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

long header_number(const HttpResponse& response, const char* name) {
  auto it = response.headers.find(name);
  if (it == response.headers.end()) return -1;
  char* end = nullptr;
  long value = std::strtol(it->second.c_str(), &end, 10);
  return end != it->second.c_str() && value >= 0 ? value : -1;
}

}  // namespace

bool is_retryable(const HttpResponse& response) {
  if (response.status == 0) return true;  // transport error: reset, timeout, refused
  switch (response.status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

long retry_delay_ms(const HttpResponse& response, int attempt, const HttpOptions& options) {
  long hinted = header_number(response, "retry-after-ms");
  if (hinted < 0) hinted = header_number(response, "x-ms-retry-after-ms");
  if (hinted < 0) {
    long seconds = header_number(response, "retry-after");
    if (seconds >= 0) hinted = seconds * 1000;
  }
  if (hinted >= 0) return std::min(hinted, options.retry_cap_ms);
  double delay =
      static_cast<double>(options.retry_base_ms) * static_cast<double>(1L << std::min(attempt, 20));
  thread_local std::mt19937 rng{std::random_device{}()};
  delay *= std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  return std::min(static_cast<long>(delay), options.retry_cap_ms);
}

struct HttpClient::Impl {
  HttpOptions options;
  HttpSigner signer;
  const CurlApi* curl = nullptr;  // loaded by the first run(), with multi
  CURLM* multi = nullptr;
  std::vector<CURL*> idle;  // finished handles keep their connection cache warm for reuse

  void start(Transfer& t) {
    CURL* easy = nullptr;
    if (!idle.empty()) {
      easy = idle.back();
      idle.pop_back();
      curl->easy_reset(easy);
    } else {
      easy = curl->easy_init();
    }
    t.curl = curl;
    t.crypto = &crypto_api();
    t.easy = easy;
    t.body_offset = 0;
    t.local_error.clear();
    t.head_complete = false;
    t.error_buffer[0] = '\0';
    if (t.md5) t.crypto->md_ctx_free(t.md5);
    t.md5 = nullptr;
    int attempts = t.response.attempts + 1;
    t.response = HttpResponse{};
    t.response.attempts = attempts;

    HeaderList extra = signer ? signer(t.request) : HeaderList{};
    bool has_content_type = false;
    for (const auto& list : {&t.request.headers, &extra})
      for (const auto& [name, value] : *list) {
        t.headers = curl->slist_append(t.headers, fmt::format("{}: {}", name, value).c_str());
        if (strcasecmp(name.c_str(), "Content-Type") == 0) has_content_type = true;
      }
    // No "Expect: 100-continue" round trip, and no Content-Type we did not sign.
    t.headers = curl->slist_append(t.headers, "Expect:");
    if (!has_content_type) t.headers = curl->slist_append(t.headers, "Content-Type:");

    curl->easy_setopt(easy, CURLOPT_URL, t.request.url.c_str());
    curl->easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl->easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl->easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl->easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
    curl->easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_limit);
    curl->easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, options.low_speed_time_s);
    if (!options.ca_file.empty()) curl->easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
    curl->easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error_buffer);
    curl->easy_setopt(easy, CURLOPT_PRIVATE, &t);
    curl->easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers);
    curl->easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
    curl->easy_setopt(easy, CURLOPT_WRITEDATA, &t);
    curl->easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl->easy_setopt(easy, CURLOPT_HEADERDATA, &t);
    if (t.request.method == "HEAD") {
      curl->easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (t.request.method == "PUT") {
      curl->easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl->easy_setopt(easy, CURLOPT_INFILESIZE_LARGE,
                        static_cast<curl_off_t>(t.request.body.size()));
      curl->easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
      curl->easy_setopt(easy, CURLOPT_READDATA, &t);
      curl->easy_setopt(easy, CURLOPT_SEEKFUNCTION, on_seek);
      curl->easy_setopt(easy, CURLOPT_SEEKDATA, &t);
    } else if (t.request.method != "GET") {
      curl->easy_setopt(easy, CURLOPT_CUSTOMREQUEST, t.request.method.c_str());
    }
    curl->multi_add_handle(multi, easy);
  }

  // An answer cut inside its head is no answer. A 2xx body that arrived whole by HTTP's
  // account can still be cut or wrong (a proxy that rewrote Content-Length): compare it with
  // what the caller and the server say it must be.
  void check_body(Transfer& t) {
    HttpResponse& r = t.response;
    const char* problem = nullptr;
    long version = 0;
    curl->easy_getinfo(t.easy, CURLINFO_HTTP_VERSION, &version);
    bool framed = version == CURL_HTTP_VERSION_2_0 || version == CURL_HTTP_VERSION_3;
    if (!t.head_complete && !framed) {
      // libcurl (7.88) takes an HTTP/1 answer cut inside its head as complete once the status
      // line is in: a 201 we never fully received is not proof that the server finished.
      // (HTTP/2 and 3 frame their headers: a cut there is a transport error already.)
      problem = "response cut inside its head";
    } else if (r.status < 200 || r.status >= 300) {
      return;  // an error answer: only its head matters
    } else if (t.request.expected_bytes && r.bytes_received != *t.request.expected_bytes &&
               t.request.method != "HEAD") {
      problem = "body of the wrong size";
    } else if (auto it = r.headers.find("content-md5");
               it != r.headers.end() && t.md5 && t.request.method == "GET" && r.status == 200) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int length = 0;
      t.crypto->digest_final_ex(t.md5, md, &length);
      std::string_view raw(reinterpret_cast<const char*>(md), length);
      if (base64_encode(raw) != it->second) problem = "body that does not match its Content-MD5";
    }
    if (!problem) return;
    r.error = fmt::format("received a {} ({} body bytes): cut or damaged in transit", problem,
                          r.bytes_received);
    r.status = 0;  // a transport failure: retried
  }

  void finish(Transfer& t, CURLcode code) {
    curl->multi_remove_handle(multi, t.easy);
    long status = 0;
    curl->easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    if (!t.local_error.empty()) {
      t.response.error = t.local_error;
      t.response.local_failure = true;
    } else if (code != CURLE_OK) {
      status = 0;
      t.response.error = t.error_buffer[0] ? t.error_buffer : curl->easy_strerror(code);
    }
    t.response.status = status;
    if (t.response.error.empty() && status != 0) check_body(t);
    curl->slist_free_all(t.headers);
    t.headers = nullptr;
    idle.push_back(t.easy);
    t.easy = nullptr;
  }
};

HttpClient::HttpClient(HttpOptions options, HttpSigner signer) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->signer = std::move(signer);
}

HttpClient::~HttpClient() {
  if (!impl_->multi) return;
  for (CURL* easy : impl_->idle) impl_->curl->easy_cleanup(easy);
  impl_->curl->multi_cleanup(impl_->multi);
}

void HttpClient::run(const std::function<std::optional<HttpRequest>()>& next,
                     const std::function<void(HttpRequest&, HttpResponse&)>& done,
                     int max_in_flight) {
  max_in_flight = std::max(1, max_in_flight);
  if (!impl_->multi) {
    // libcurl and libcrypto are loaded here, by the first request, not at start-up (see
    // curl_api.h); a missing one throws, as any transport setup failure would.
    impl_->curl = &curl_api();
    crypto_api();  // for Content-MD5: fails here, before any transfer, if it is missing
    impl_->multi = impl_->curl->multi_init();
    if (!impl_->multi) throw Error("cannot start libcurl (curl_multi_init failed)");
    // Reuse connections across all transfers of this client.
    impl_->curl->multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, 64L);
  }
  const CurlApi& curl = *impl_->curl;
  std::vector<std::unique_ptr<Transfer>> active;
  std::vector<std::unique_ptr<Transfer>> delayed;  // waiting to retry
  auto abandon = [&] {
    for (auto& t : active) {
      if (!t->easy) continue;
      curl.multi_remove_handle(impl_->multi, t->easy);
      curl.slist_free_all(t->headers);
      impl_->idle.push_back(t->easy);
    }
  };
  try {
    for (;;) {
      auto now = Clock::now();
      for (auto it = delayed.begin(); it != delayed.end() && int(active.size()) < max_in_flight;) {
        if ((*it)->not_before <= now) {
          impl_->start(**it);
          active.push_back(std::move(*it));
          it = delayed.erase(it);
        } else {
          ++it;
        }
      }
      while (int(active.size()) < max_in_flight) {
        std::optional<HttpRequest> request = next();
        if (!request) break;
        auto t = std::make_unique<Transfer>();
        t->request = std::move(*request);
        impl_->start(*t);
        active.push_back(std::move(t));
      }
      if (active.empty() && delayed.empty()) return;

      int running = 0;
      curl.multi_perform(impl_->multi, &running);
      bool finished_any = false;
      int queued = 0;
      while (CURLMsg* message = curl.multi_info_read(impl_->multi, &queued)) {
        if (message->msg != CURLMSG_DONE) continue;
        auto it = std::find_if(active.begin(), active.end(),
                               [&](const auto& t) { return t->easy == message->easy_handle; });
        if (it == active.end()) continue;
        std::unique_ptr<Transfer> t = std::move(*it);
        active.erase(it);
        impl_->finish(*t, message->data.result);
        finished_any = true;
        int retries = t->response.attempts - 1;
        if (t->local_error.empty() && is_retryable(t->response) &&
            retries < impl_->options.max_retries) {
          t->not_before = Clock::now() + std::chrono::milliseconds(
                                             retry_delay_ms(t->response, retries, impl_->options));
          delayed.push_back(std::move(t));
        } else {
          done(t->request, t->response);
        }
      }
      if (finished_any) continue;

      long timeout_ms = 1000;
      for (const auto& t : delayed)
        timeout_ms = std::min<long>(
            timeout_ms, std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                              t->not_before - Clock::now())
                                              .count()));
      curl.multi_poll(impl_->multi, nullptr, 0, static_cast<int>(timeout_ms), nullptr);
    }
  } catch (...) {
    abandon();
    throw;
  }
}

HttpResponse HttpClient::perform(HttpRequest request) {
  HttpResponse result;
  bool given = false;
  run(
      [&]() -> std::optional<HttpRequest> {
        if (given) return std::nullopt;
        given = true;
        return std::move(request);
      },
      [&](HttpRequest&, HttpResponse& response) { result = std::move(response); }, 1);
  return result;
}

}  // namespace luisy::cache::remote
