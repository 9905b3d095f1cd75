#pragma once
// Azure Storage request authentication: Shared Key signatures and SAS tokens, plus the
// encodings they need (Base64, percent-encoding). Nothing here sends a request.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace luisy::cache::remote {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

std::string base64_encode(std::string_view bytes);
// Throws luisy::Error (without echoing the input: it is usually a key) when malformed.
std::string base64_decode(std::string_view text);
std::string hmac_sha256(std::string_view key, std::string_view message);

// Percent-encodes everything but unreserved characters (and '/' when keep_slash).
std::string percent_encode(std::string_view text, bool keep_slash = false);
std::string percent_decode(std::string_view text);

// The URL without its query string: what may appear in a message or a log.
std::string redact_url(std::string_view url);
// Appends `query` ("a=b&c=d", no leading '?') to a URL that may already have a query.
std::string append_query(std::string_view url, std::string_view query);

// "Wed, 25 Nov 2026 08:37:33 GMT" for x-ms-date.
std::string http_date(std::chrono::system_clock::time_point when);
// "2026-11-25T08:37:33Z" for SAS st/se.
std::string iso8601_utc(std::chrono::system_clock::time_point when);

// The Shared Key string to sign for a request to `url` (full URL, path percent-encoded as
// sent). `content_length` is the body size for requests with a body (0 signs as empty).
std::string shared_key_string_to_sign(std::string_view account, std::string_view method,
                                      std::string_view url, const HeaderList& headers,
                                      uint64_t content_length);
// "SharedKey ACCOUNT:SIGNATURE"; `key` is the Base64 account key.
std::string shared_key_authorization(std::string_view account, std::string_view key,
                                     std::string_view method, std::string_view url,
                                     const HeaderList& headers, uint64_t content_length);

// An account SAS (no leading '?'), signed with the Base64 account key. Used by tests and by
// anyone who wants to hand out a narrower credential.
struct AccountSas {
  std::string permissions = "rwdlacu";  // sp
  std::string services = "b";           // ss
  std::string resource_types = "sco";   // srt
  std::string start;                    // st, optional
  std::string expiry;                   // se, required
  std::string protocol = "https,http";  // spr
  std::string version = "2021-08-06";   // sv
};
std::string account_sas_token(std::string_view account, std::string_view key,
                              const AccountSas& sas);

}  // namespace luisy::cache::remote
