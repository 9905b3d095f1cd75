#include "luisy/cache/remote/azure_auth.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <map>

#include "luisy/cache/remote/crypto_api.h"
#include "luisy/util/error.h"

namespace luisy::cache::remote {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string header_value(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (lower(key) == lower(name)) return value;
  return {};
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint8_t(bytes[i + 2]);
    out += kBase64[n >> 18];
    out += kBase64[(n >> 12) & 63];
    out += kBase64[(n >> 6) & 63];
    out += kBase64[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kBase64[n >> 18];
    out += kBase64[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  size_t padding = 0;
  for (char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    const char* at = std::find(kBase64, kBase64 + 64, c);
    if (at == kBase64 + 64 || padding > 0) throw Error("the Azure storage key is not valid Base64");
    buffer = (buffer << 6) | uint32_t(at - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (padding > 2 || (text.size() % 4) != 0)
    throw Error("the Azure storage key is not valid Base64");
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const CryptoApi& crypto = crypto_api();
  if (!crypto.hmac(crypto.sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
            &length))
    throw Error("HMAC-SHA256 failed in OpenSSL");
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

std::string percent_encode(std::string_view text, bool keep_slash) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
      out += c;
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string redact_url(std::string_view url) {
  return std::string(url.substr(0, url.find('?')));
}

std::string append_query(std::string_view url, std::string_view query) {
  if (query.empty()) return std::string(url);
  return fmt::format("{}{}{}", url, url.find('?') == std::string_view::npos ? '?' : '&', query);
}

std::string http_date(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string iso8601_utc(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string shared_key_string_to_sign(std::string_view account, std::string_view method,
                                      std::string_view url, const HeaderList& headers,
                                      uint64_t content_length) {
  std::string out = fmt::format("{}\n", method);
  for (const char* name : {"Content-Encoding", "Content-Language"})
    out += header_value(headers, name) + "\n";
  out += content_length == 0 ? std::string("\n") : fmt::format("{}\n", content_length);
  for (const char* name : {"Content-MD5", "Content-Type", "Date", "If-Modified-Since", "If-Match",
                           "If-None-Match", "If-Unmodified-Since", "Range"})
    out += header_value(headers, name) + "\n";

  std::map<std::string, std::string> ms_headers;
  for (const auto& [key, value] : headers) {
    std::string name = lower(key);
    if (name.rfind("x-ms-", 0) == 0) ms_headers[name] = value;
  }
  for (const auto& [name, value] : ms_headers) out += fmt::format("{}:{}\n", name, value);

  // Canonical resource: /account + the path as sent, then the decoded query sorted by name.
  size_t scheme = url.find("://");
  size_t path_start = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  size_t query_start = url.find('?');
  std::string_view path = path_start == std::string_view::npos
                              ? std::string_view("/")
                              : url.substr(path_start, query_start == std::string_view::npos
                                                           ? std::string_view::npos
                                                           : query_start - path_start);
  out += fmt::format("/{}{}", account, path);
  if (query_start != std::string_view::npos) {
    std::map<std::string, std::vector<std::string>> params;
    std::string_view query = url.substr(query_start + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      size_t eq = pair.find('=');
      std::string name = lower(percent_decode(pair.substr(0, eq)));
      std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
      if (!name.empty()) params[name].push_back(value);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    for (auto& [name, values] : params) {
      std::sort(values.begin(), values.end());
      out += fmt::format("\n{}:{}", name, fmt::join(values, ","));
    }
  }
  return out;
}

std::string shared_key_authorization(std::string_view account, std::string_view key,
                                     std::string_view method, std::string_view url,
                                     const HeaderList& headers, uint64_t content_length) {
  std::string to_sign = shared_key_string_to_sign(account, method, url, headers, content_length);
  return fmt::format("SharedKey {}:{}", account,
                     base64_encode(hmac_sha256(base64_decode(key), to_sign)));
}

std::string account_sas_token(std::string_view account, std::string_view key,
                              const AccountSas& sas) {
  // Layout for sv >= 2020-12-06, including the trailing newline (encryption scope, empty).
  std::string to_sign =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n\n{}\n{}\n\n", account, sas.permissions, sas.services,
                  sas.resource_types, sas.start, sas.expiry, sas.protocol, sas.version);
  std::string signature = base64_encode(hmac_sha256(base64_decode(key), to_sign));
  std::string token = fmt::format("sv={}&ss={}&srt={}&sp={}&se={}", sas.version, sas.services,
                                  sas.resource_types, sas.permissions, percent_encode(sas.expiry));
  if (!sas.start.empty()) token += "&st=" + percent_encode(sas.start);
  token += fmt::format("&spr={}&sig={}", percent_encode(sas.protocol), percent_encode(signature));
  return token;
}

}  // namespace luisy::cache::remote
