// Configuration from azure:// URLs, luisy's variables and connection strings.
#include <doctest/doctest.h>

#include <map>

#include "luisy/cache/remote/azure_config.h"
#include "luisy/util/error.h"

using namespace luisy::cache::remote;

namespace {

GetEnv env_of(std::map<std::string, std::string> values) {
  return [values](const char* name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

std::string error_of(const std::string& url, const GetEnv& env) {
  try {
    azure_config_from(url, env);
  } catch (const luisy::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("azure") {
  TEST_CASE("azure: the original luisy variables") {
    AzureConfig config = azure_config_from("", env_of({{"LUISY_AZURE_ACCOUNT_NAME", "acct"},
                                                       {"LUISY_AZURE_CONTAINER_NAME", "projects"},
                                                       {"LUISY_AZURE_STORAGE_KEY", "a2V5"}}));
    CHECK(config.account == "acct");
    CHECK(config.container == "projects");
    CHECK(config.shared_key == "a2V5");
    CHECK(config.endpoint == "https://acct.blob.core.windows.net");
    CHECK_FALSE(config.path_style);
    CHECK(config.prefix_from_url.empty());
  }

  TEST_CASE("azure: URL values win over the environment") {
    AzureConfig config =
        azure_config_from("azure://urlacct/urlcontainer/team/project/",
                          env_of({{"LUISY_AZURE_ACCOUNT_NAME", "envacct"},
                                  {"LUISY_AZURE_CONTAINER_NAME", "envcontainer"},
                                  {"LUISY_AZURE_SAS_TOKEN", "?sv=2021-08-06&sig=abc"}}));
    CHECK(config.account == "urlacct");
    CHECK(config.container == "urlcontainer");
    CHECK(config.prefix_from_url == "team/project");
    CHECK(config.sas_token == "sv=2021-08-06&sig=abc");
    CHECK(config.shared_key.empty());
  }

  TEST_CASE("azure: connection string with a key containing '='") {
    AzureConfig config = azure_config_from(
        "azure://a/c", env_of({{"AZURE_STORAGE_CONNECTION_STRING",
                                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc/def==;"
                                "EndpointSuffix=core.chinacloudapi.cn"}}));
    CHECK(config.shared_key == "abc/def==");
    CHECK(config.endpoint == "https://a.blob.core.chinacloudapi.cn");

    config = azure_config_from(
        "",
        env_of(
            {{"AZURE_STORAGE_CONNECTION_STRING",
              "BlobEndpoint=http://127.0.0.1:1234/devstoreaccount1/;AccountName=devstoreaccount1;"
              "SharedAccessSignature=sv=2021-08-06&sig=x%3D"},
             {"LUISY_AZURE_CONTAINER_NAME", "c"}}));
    CHECK(config.endpoint == "http://127.0.0.1:1234/devstoreaccount1");
    CHECK(config.path_style);
    CHECK(config.sas_token == "sv=2021-08-06&sig=x%3D");
  }

  TEST_CASE("azure: UseDevelopmentStorage and an endpoint override") {
    AzureConfig config = azure_config_from(
        "azure://devstoreaccount1/c",
        env_of({{"AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"}}));
    CHECK(config.endpoint == "http://127.0.0.1:10000/devstoreaccount1");
    CHECK(config.shared_key == kDevelopmentStorageKey);
    CHECK(config.path_style);

    config = azure_config_from(
        "azure://devstoreaccount1/c",
        env_of({{"AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"},
                {"LUISY_AZURE_ENDPOINT", "http://127.0.0.1:4321/devstoreaccount1"}}));
    CHECK(config.endpoint == "http://127.0.0.1:4321/devstoreaccount1");
  }

  TEST_CASE("azure: missing settings are named, secrets never printed") {
    std::string message = error_of("", env_of({{"LUISY_AZURE_STORAGE_KEY", "c2VjcmV0LWtleQ=="}}));
    CHECK(message.find("storage account") != std::string::npos);
    CHECK(message.find("container") != std::string::npos);
    CHECK(message.find("credentials") == std::string::npos);
    CHECK(message.find("c2VjcmV0LWtleQ==") == std::string::npos);

    message = error_of("azure://a/c", env_of({}));
    CHECK(message.find("credentials") != std::string::npos);
    CHECK(message.find("LUISY_AZURE_STORAGE_KEY") != std::string::npos);
    CHECK(message.find("storage account") == std::string::npos);

    message = error_of("azure://a/c?sig=SECRETSIG", env_of({{"LUISY_AZURE_STORAGE_KEY", "a2V5"}}));
    CHECK_FALSE(message.empty());
    CHECK(message.find("SECRETSIG") == std::string::npos);

    message = error_of("s3://bucket", env_of({}));
    CHECK(message.find("not an Azure URL") != std::string::npos);
  }
}
