#pragma once
// Where the Azure remote lives and how to authenticate: from an "azure://" URL and the
// environment. Never prints a credential.
#include <functional>
#include <optional>
#include <string>

namespace luisy::cache::remote {

struct AzureConfig {
  std::string account;
  std::string container;
  // e.g. https://ACCOUNT.blob.core.windows.net or http://127.0.0.1:PORT/devstoreaccount1
  std::string endpoint;
  std::string shared_key;  // Base64, may be empty
  std::string sas_token;   // without leading '?', may be empty
  std::string prefix_from_url;
  bool path_style = false;  // the account is the endpoint's first path segment (Azurite)
};

using GetEnv = std::function<std::optional<std::string>(const char*)>;

// Reads "azure://ACCOUNT/CONTAINER[/PREFIX]" (or "" for the environment alone) and
// LUISY_AZURE_ACCOUNT_NAME, LUISY_AZURE_CONTAINER_NAME, LUISY_AZURE_STORAGE_KEY,
// LUISY_AZURE_SAS_TOKEN, LUISY_AZURE_ENDPOINT and AZURE_STORAGE_CONNECTION_STRING.
// URL values win over the environment. Throws luisy::Error naming what is missing.
AzureConfig azure_config_from(const std::string& url, const GetEnv& getenv);

// The process environment, for azure_config_from.
std::optional<std::string> process_getenv(const char* name);

// The well-known Azurite development account key (public; documented by Microsoft).
extern const char* const kDevelopmentStorageKey;

}  // namespace luisy::cache::remote
