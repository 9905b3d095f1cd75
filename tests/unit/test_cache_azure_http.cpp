// The HTTP client's retries and request shape, against a scripted server on the loopback.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <mutex>
#include <thread>

#include "luisy/cache/remote/http_client.h"

using namespace luisy::cache::remote;

namespace {

// Answers each connection's one request with the next scripted response, then closes it.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::deque<std::string> responses) : responses_(std::move(responses)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    ::listen(listener_, 16);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return fmt::format("http://127.0.0.1:{}{}", port_, path);
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    for (;;) {
      int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      std::string request;
      char buffer[65536];
      size_t header_end = std::string::npos;
      size_t body_length = 0;
      for (;;) {
        ssize_t n = ::read(connection, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
        if (header_end == std::string::npos &&
            (header_end = request.find("\r\n\r\n")) != std::string::npos) {
          size_t at = request.find("Content-Length: ");
          if (at != std::string::npos && at < header_end)
            body_length = std::stoul(request.substr(at + 16));
        }
        if (header_end != std::string::npos && request.size() >= header_end + 4 + body_length)
          break;
      }
      std::string response;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
        response = responses_.empty() ? "HTTP/1.1 500 Script Ended\r\nContent-Length: 0\r\n\r\n"
                                      : responses_.front();
        if (!responses_.empty()) responses_.pop_front();
      }
      ssize_t ignored = ::write(connection, response.data(), response.size());
      (void)ignored;
      ::close(connection);
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::deque<std::string> responses_;
  std::vector<std::string> requests_;
};

std::string answer(int status, const std::string& extra_headers = "",
                   const std::string& body = "") {
  return fmt::format("HTTP/1.1 {} X\r\nConnection: close\r\nContent-Length: {}\r\n{}\r\n{}", status,
                     body.size(), extra_headers, body);
}

HttpOptions fast_options() {
  HttpOptions options;
  options.retry_base_ms = 1;
  return options;
}

}  // namespace

TEST_SUITE("azure") {
  TEST_CASE("azure http: transient failures are retried, honouring the server's hint") {
    ScriptedServer server(
        {answer(503, "x-ms-retry-after-ms: 5\r\n"), answer(500), answer(200, "", "ok")});
    HttpClient client(fast_options(), nullptr);
    HttpRequest request;
    request.url = server.url("/c/b");
    HttpResponse response = client.perform(request);
    CHECK(response.status == 200);
    CHECK(response.body == "ok");
    CHECK(response.attempts == 3);
  }

  TEST_CASE("azure http: retries stop after max_retries; client errors are not retried") {
    ScriptedServer server(
        {answer(503), answer(503), answer(503), answer(503), answer(404), answer(200)});
    HttpClient client(fast_options(), nullptr);
    HttpRequest request;
    request.url = server.url("/c/b");
    HttpResponse response = client.perform(request);
    CHECK(response.status == 503);
    CHECK(response.attempts == 4);
    response = client.perform(request);
    CHECK(response.status == 404);
    CHECK(response.attempts == 1);
  }

  TEST_CASE("azure http: a PUT has an explicit length, no Expect, no unsigned Content-Type") {
    ScriptedServer server({answer(201)});
    HttpClient client(fast_options(), [](const HttpRequest&) {
      return HeaderList{{"x-signed", "1"}};
    });
    HttpRequest request;
    request.method = "PUT";
    request.url = server.url("/c/b");
    request.body = std::string(2 << 20, 'x');
    CHECK(client.perform(request).status == 201);
    std::string sent = server.requests().at(0);
    std::string head = sent.substr(0, sent.find("\r\n\r\n"));
    CHECK(head.find("Content-Length: 2097152") != std::string::npos);
    CHECK(head.find("x-signed: 1") != std::string::npos);
    CHECK(head.find("Expect") == std::string::npos);
    CHECK(head.find("Content-Type") == std::string::npos);
    CHECK(head.find("Transfer-Encoding") == std::string::npos);
  }

  TEST_CASE("azure http: retry delays") {
    HttpOptions options;
    HttpResponse response;
    response.status = 503;
    long first = retry_delay_ms(response, 0, options);
    CHECK(first >= 640);
    CHECK(first <= 960);
    long third = retry_delay_ms(response, 2, options);
    CHECK(third >= 2560);
    CHECK(third <= 3840);
    CHECK(retry_delay_ms(response, 30, options) == options.retry_cap_ms);
    response.headers["retry-after"] = "2";
    CHECK(retry_delay_ms(response, 0, options) == 2000);
    response.headers["x-ms-retry-after-ms"] = "150";
    CHECK(retry_delay_ms(response, 0, options) == 150);
    CHECK(is_retryable(response));
    response.status = 0;
    CHECK(is_retryable(response));
    response.status = 409;
    CHECK_FALSE(is_retryable(response));
  }

  TEST_CASE("azure http: an answer cut inside its head is retried, not taken as success") {
    ScriptedServer server({"HTTP/1.1 201 Created\r\nx-ms-request-id: 1", answer(201)});
    HttpClient client(fast_options(), nullptr);
    HttpRequest request;
    request.method = "PUT";
    request.url = server.url("/c/b");
    request.body = "data";
    HttpResponse response = client.perform(request);
    CHECK(response.status == 201);
    CHECK(response.attempts == 2);
  }

  TEST_CASE("azure http: a body shorter than its Content-MD5 or the expected size is retried") {
    // Content-Length says 3, the server sends "hello": curl keeps "hel".
    std::string lying =
        "HTTP/1.1 200 X\r\nConnection: close\r\nContent-Length: 3\r\n"
        "Content-MD5: XUFAKrxLKna5cZ2REBfFkg==\r\n\r\nhello";
    ScriptedServer server({lying, answer(200, "Content-MD5: XUFAKrxLKna5cZ2REBfFkg==\r\n", "hello"),
                           answer(200, "", "hel"), answer(200, "", "hello")});
    HttpClient client(fast_options(), nullptr);
    HttpRequest request;
    request.url = server.url("/c/b");
    HttpResponse response = client.perform(request);
    CHECK(response.ok());
    CHECK(response.body == "hello");
    CHECK(response.attempts == 2);

    request.expected_bytes = 5;
    response = client.perform(request);
    CHECK(response.ok());
    CHECK(response.body == "hello");
    CHECK(response.attempts == 2);
  }

  TEST_CASE("azure http: a body that stays wrong fails as a transport error after the retries") {
    ScriptedServer server({answer(200, "", "hel"), answer(200, "", "hel"), answer(200, "", "hel"),
                           answer(200, "", "hel")});
    HttpClient client(fast_options(), nullptr);
    HttpRequest request;
    request.url = server.url("/c/b");
    request.expected_bytes = 5;
    HttpResponse response = client.perform(request);
    CHECK_FALSE(response.ok());
    CHECK(response.status == 0);
    CHECK(response.attempts == 4);
    CHECK(response.error.find("wrong size") != std::string::npos);
  }
}
