// Shared Key signing, SAS tokens and CRC64 against vectors computed by hand from the
// documented string-to-sign layouts (the signatures were computed independently with
// Python's hmac module).
#include <doctest/doctest.h>

#include <chrono>

#include "luisy/cache/remote/azure_auth.h"
#include "luisy/cache/remote/azure_config.h"
#include "luisy/cache/remote/crc64.h"
#include "luisy/util/error.h"

using namespace luisy::cache::remote;

TEST_SUITE("azure") {
  TEST_CASE("azure: base64 and percent-encoding round trips") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_decode("Zm9vYg==") == "foob");
    CHECK_THROWS_AS(base64_decode("not base64!"), luisy::Error);
    CHECK(percent_encode("a b/c=", false) == "a%20b%2Fc%3D");
    CHECK(percent_encode("a b/c=", true) == "a%20b/c%3D");
    CHECK(percent_decode("AAA%3D%3d+") == "AAA==+");
    CHECK(redact_url("https://a.blob.core.windows.net/c/b?sv=1&sig=SECRET") ==
          "https://a.blob.core.windows.net/c/b");
    CHECK(append_query("http://h/c?restype=container", "sig=x") ==
          "http://h/c?restype=container&sig=x");
    CHECK(append_query("http://h/c", "") == "http://h/c");
  }

  TEST_CASE("azure: CRC-64/NVME matches Azure's x-ms-content-crc64") {
    const std::string text = "Hello World";
    CHECK(crc64_header_value(crc64_nvme(0, text.data(), text.size())) == "YeJLfssylmU=");
    // Feeding in pieces (crossing the 8-byte fast path) gives the same value.
    uint64_t crc = crc64_nvme(0, text.data(), 3);
    crc = crc64_nvme(crc, text.data() + 3, text.size() - 3);
    CHECK(crc64_header_value(crc) == "YeJLfssylmU=");
    // The check value of CRC-64/NVME ("123456789").
    CHECK(crc64_nvme(0, "123456789", 9) == 0xAE8B14860A799888ULL);
  }

  TEST_CASE("azure: Shared Key string to sign for a path-style URL with a query") {
    HeaderList headers = {{"x-ms-version", "2021-08-06"},
                          {"If-None-Match", "*"},
                          {"x-ms-date", "Wed, 25 Nov 2026 08:37:33 GMT"},
                          {"X-MS-Blob-Type", "BlockBlob"}};
    const std::string url =
        "http://127.0.0.1:10000/devstoreaccount1/c/b%20x?comp=block&blockid=AAA%3D";
    std::string expected =
        "PUT\n\n\n11\n\n\n\n\n\n*\n\n\n"
        "x-ms-blob-type:BlockBlob\n"
        "x-ms-date:Wed, 25 Nov 2026 08:37:33 GMT\n"
        "x-ms-version:2021-08-06\n"
        "/devstoreaccount1/devstoreaccount1/c/b%20x\n"
        "blockid:AAA=\n"
        "comp:block";
    CHECK(shared_key_string_to_sign("devstoreaccount1", "PUT", url, headers, 11) == expected);
    CHECK(shared_key_authorization("devstoreaccount1", kDevelopmentStorageKey, "PUT", url, headers,
                                   11) ==
          "SharedKey devstoreaccount1:bqSwmmEjEggUCRXLGU8iEDOGh56QcZPi2W7DGIyPPNs=");
  }

  TEST_CASE(
      "azure: a zero Content-Length signs as empty; host-style resource has no doubled account") {
    std::string to_sign = shared_key_string_to_sign(
        "acct", "GET", "https://acct.blob.core.windows.net/container?restype=container", {}, 0);
    CHECK(to_sign == "GET\n\n\n\n\n\n\n\n\n\n\n\n/acct/container\nrestype:container");
  }

  TEST_CASE("azure: account SAS token") {
    AccountSas sas;
    sas.permissions = "rl";
    sas.expiry = "2030-01-01T00:00:00Z";
    std::string token = account_sas_token("devstoreaccount1", kDevelopmentStorageKey, sas);
    CHECK(token.find("sv=2021-08-06&ss=b&srt=sco&sp=rl&se=2030-01-01T00%3A00%3A00Z") == 0);
    CHECK(token.find("&sig=" + percent_encode("vDMcyw3ZlebJO5+zeUI5GFTFTx+1XDXzVVIoXUDAJBQ=")) !=
          std::string::npos);
  }

  TEST_CASE("azure: dates") {
    auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1795595853));
    CHECK(http_date(when) == "Wed, 25 Nov 2026 08:37:33 GMT");
    CHECK(iso8601_utc(when) == "2026-11-25T08:37:33Z");
  }
}
