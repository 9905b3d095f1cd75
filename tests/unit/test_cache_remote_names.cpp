#include <doctest/doctest.h>

#include <map>
#include <string>

#include "luisy/cache/remote/azure_config.h"
#include "luisy/util/error.h"

using luisy::cache::remote::azure_config_from;

namespace {

// The message azure_config_from throws for `url`, with a key in the environment; "" if none.
std::string refusal(const std::string& url) {
  auto env = [](const char* name) -> std::optional<std::string> {
    if (std::string(name) == "LUISY_AZURE_STORAGE_KEY") return std::string("a2V5");
    return std::nullopt;
  };
  try {
    azure_config_from(url, env);
  } catch (const luisy::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("remote names: account and container cannot redirect signed requests") {
  CHECK(refusal("azure://myaccount/my-container/prefix") == "");
  for (std::string url : {"azure://evil.example.com#/c", "azure://evil.example.com:443/c",
                          "azure://user@evil/c", "azure://Acct/c"}) {
    CAPTURE(url);
    CHECK(refusal(url).find("invalid Azure storage account name") != std::string::npos);
  }
  for (std::string url : {"azure://acct/c%2f..", "azure://acct/c#x", "azure://acct/C"}) {
    CAPTURE(url);
    CHECK(refusal(url).find("invalid Azure container name") != std::string::npos);
  }
}
